//! Piazza's chat app: one Dioxus code base for desktop and Android.
//!
//! # Layout
//! - [`app`]: the root component [`App`] and the coroutine that owns the engine
//!   (`common::client`) and turns user [`Intent`](app::Intent)s into commands.
//! - [`state`]: the view model, folded from engine events by pure functions.
//! - [`ui`]: the shared components ([`ui::NamePrompt`], [`ui::MessageList`],
//!   [`ui::Composer`], [`ui::StatusBanner`], [`ui::MemberList`]).
//! - [`i18n`]: every visible string, in Italian and English.
//! - [`store`]: settings and engine state in the platform data directory.
//! - [`notify`]: desktop notifications for messages while the window is unfocused.
//!
//! The binary (`src/main.rs`) opens a desktop window by default; with the `mobile`
//! feature (and without `desktop`) the same [`App`] runs on Android.
//!
//! # Environment
//! - `PIAZZA_INVITE`: pre-fills the invite field (so does the first argument).
//! - `PIAZZA_DATA_DIR`: where settings and the outbox live.
//! - `PIAZZA_LANG=it|en`: overrides the system locale.
//! - `PIAZZA_NOTIFY=0`: no desktop notifications.

pub mod app;
pub mod i18n;
pub mod notify;
pub mod state;
pub mod store;
pub mod ui;

pub use app::App;

/// The desktop window configuration: title, size, icon, no default menu bar.
/// `visible: false` opens a hidden window (end-to-end tests).
#[cfg(feature = "desktop")]
pub fn desktop_config(visible: bool) -> dioxus::desktop::Config {
    use dioxus::desktop::{Config, LogicalSize, WindowBuilder};

    let window = WindowBuilder::new()
        .with_title("Piazza")
        .with_inner_size(LogicalSize::new(980.0, 720.0))
        .with_min_inner_size(LogicalSize::new(360.0, 480.0))
        .with_visible(visible);
    let mut config = Config::new()
        .with_window(window)
        .with_menu(None)
        .with_background_color((246, 247, 251, 255))
        .with_disable_context_menu(false);
    match dioxus::desktop::icon_from_memory(include_bytes!("../assets/icons/256x256.png")) {
        Ok(icon) => config = config.with_icon(icon),
        Err(error) => tracing::debug!(%error, "window icon not loaded"),
    }
    config
}

/// Opens the app: a desktop window, or the mobile activity with the `mobile` feature.
pub fn launch() {
    #[cfg(feature = "desktop")]
    dioxus::LaunchBuilder::desktop()
        .with_cfg(desktop_config(true))
        .launch(App);
    #[cfg(all(feature = "mobile", not(feature = "desktop")))]
    dioxus::LaunchBuilder::mobile().launch(App);
    #[cfg(not(any(feature = "desktop", feature = "mobile")))]
    compile_error!("enable the `desktop` or the `mobile` feature");
}
