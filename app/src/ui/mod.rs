//! The shared components: functions of state plus callbacks, the same on desktop and
//! phone (the layout adapts through CSS media queries), free of platform code.
//!
//! - [`NamePrompt`]: name and invite, validated, the join and host buttons, and
//!   [`NearbyRooms`] (rooms found on the network).
//! - [`MessageList`]: the timeline with senders, times, delivery states and notices
//!   (rows from [`message`]).
//! - [`Composer`]: the message field with the "Invia" button.
//! - [`StatusBanner`]: connection problems in plain words, with a way out.
//! - [`MemberList`]: who is online.
//! - [`RoomList`]: the rooms the app is in; [`AddRoomForm`]: joining another.
//! - [`ShareDialog`]: a hosted room's invite, QR code and check code;
//!   [`CloseHostedDialog`]: closing it while others are in.
//! - [`RemoveMemberDialog`]: an owner removing a member, with the reason.

mod add_room;
mod composer;
mod member_list;

use dioxus::prelude::*;
pub mod message;
mod message_list;
mod name_prompt;
mod nearby;
mod remove_member;
mod room_list;
mod share;
mod status_banner;

pub use add_room::AddRoomForm;
pub use composer::Composer;
pub use member_list::MemberList;
pub use message_list::{format_day, format_time, MessageList};
pub use name_prompt::NamePrompt;
pub use nearby::NearbyRooms;
pub use remove_member::RemoveMemberDialog;
pub use room_list::RoomList;
pub use share::{CloseHostedDialog, ShareDialog};
pub use status_banner::StatusBanner;

/// Hues that stay readable on light and dark backgrounds and differ clearly.
const HUES: [u32; 10] = [4, 28, 48, 140, 172, 198, 222, 262, 290, 326];

/// A stable hue (0..360) for a name, so each person keeps one colour.
pub fn name_hue(name: &str) -> u32 {
    // FNV-1a over the name's key: stable across runs and platforms, and the same for
    // names that are the same name.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in common::rules::name_key(name).bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    HUES[((hash >> 3) % HUES.len() as u32) as usize]
}

/// A bell (notifications on) or a struck-out bell (muted), drawn (no emoji font needed).
#[component]
pub fn BellIcon(
    /// Struck out.
    off: bool,
) -> Element {
    rsx! {
        svg {
            class: "bell",
            width: "16",
            height: "16",
            view_box: "0 0 24 24",
            fill: "none",
            stroke: "currentColor",
            stroke_width: "2",
            stroke_linecap: "round",
            stroke_linejoin: "round",
            "aria-hidden": "true",
            path { d: "M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" }
            path { d: "M10.3 21a1.94 1.94 0 0 0 3.4 0" }
            if off {
                line { x1: "2", y1: "2", x2: "22", y2: "22" }
            }
        }
    }
}

/// The first letter of a name, upper-cased, for an avatar.
pub fn initial(name: &str) -> String {
    name.trim()
        .chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_else(|| "?".into())
}
