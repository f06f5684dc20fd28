//! Piazza's chat app: one Dioxus code base for desktop and Android.
//!
//! # Layout
//! - [`app`]: the root component [`App`]: starts the controller and the page glue and
//!   shows the screen of the current phase.
//! - [`controller`]: owns one engine per relay and the relays' files; turns
//!   [`controller::Intent`]s into engine commands and engine events into the view;
//!   start-up (lock, settings); hosting a room ([`controller::host`]: the relay crate
//!   in this process, what the host shares).
//! - [`state`]: the view model (rooms, timeline, rows, status), folded from engine
//!   events by pure functions; no Dioxus types, no translated text.
//! - [`screens`]: the prompt, chat and "already open" screens, wired to the controller.
//! - [`ui`]: the shared components ([`ui::NamePrompt`], [`ui::MessageList`],
//!   [`ui::Composer`], [`ui::StatusBanner`], [`ui::MemberList`], [`ui::RoomList`],
//!   [`ui::AddRoomForm`], [`ui::ShareDialog`], [`ui::CloseHostedDialog`]): functions of
//!   state and callbacks, the same on desktop and phone.
//! - [`i18n`]: every visible string, in Italian and English; reasons are translated
//!   here, at render.
//! - [`store`]: settings, identity, per-relay engine state and per-room timelines on
//!   disk; the one-window-per-directory lock.
//! - [`platform`]: page glue (JavaScript: the composer, typing ahead of a join, the copy
//!   button), notifications, the desktop window, resuming and network changes, the test
//!   probe.
//!
//! The binary (`src/main.rs`) opens a desktop window by default; with the `mobile`
//! feature (and without `desktop`) the same [`App`] runs on Android.
//!
//! # Environment
//! - `PIAZZA_INVITE`: pre-fills the invite field (so does the first argument).
//! - `PIAZZA_DATA_DIR`: where settings, outbox and history live (one window each).
//! - `PIAZZA_LANG=it|en`: overrides the system locale.
//! - `PIAZZA_NOTIFY=0`: no desktop notifications.

pub mod app;
pub mod controller;
pub mod i18n;
pub mod platform;
pub mod screens;
pub mod state;
pub mod store;
pub mod ui;

pub use app::App;
#[cfg(feature = "desktop")]
pub use platform::window::desktop_config;

/// Opens the app: a desktop window, or the mobile activity with the `mobile` feature.
/// The data directory is locked first, before any window exists, so a second start on
/// the same directory can never race the first.
pub fn launch() {
    let startup = controller::Startup::from_env();
    #[cfg(feature = "desktop")]
    dioxus::LaunchBuilder::desktop()
        .with_cfg(desktop_config(true))
        .with_context(startup)
        .launch(App);
    #[cfg(all(feature = "mobile", not(feature = "desktop")))]
    dioxus::LaunchBuilder::mobile()
        .with_context(startup)
        .launch(App);
    #[cfg(not(any(feature = "desktop", feature = "mobile")))]
    compile_error!("enable the `desktop` or the `mobile` feature");
}
