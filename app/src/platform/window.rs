//! The desktop window: its configuration, and closing it politely (the app leaves the
//! room, so others read "left", and saves what it has, before the window goes).

/// The desktop window configuration: title, size, icon, no default menu bar, no web
/// view context menu in release builds ("Inspect Element" is for developers).
/// `visible: false` opens a hidden window.
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
        .with_disable_context_menu(!cfg!(debug_assertions));
    match dioxus::desktop::icon_from_memory(include_bytes!("../../assets/icons/256x256.png")) {
        Ok(icon) => config = config.with_icon(icon),
        Err(error) => tracing::debug!(%error, "window icon not loaded"),
    }
    config
}

/// How long closing may take (leaving the room, saving, closing a hosted room) before
/// the app exits anyway.
#[cfg(feature = "desktop")]
const CLOSE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(12);

/// Calls `on_close` when the person asks to close the window (its close button, Alt+F4,
/// the window manager); from then on the window only hides on a close request and
/// stays until [`close_now`] (or comes back with [`show`], to ask). (Before this hook
/// runs, a close request closes the window at once: there is nothing to leave yet.)
///
/// `on_close` returns whether the app is closing for sure (it is not when it asks
/// first, as a hosted room with people in it does): then the deadline starts at once.
pub fn use_close_request(on_close: impl FnMut() -> bool + 'static) {
    #[cfg(feature = "desktop")]
    {
        use dioxus::desktop::{
            tao::event::{Event, WindowEvent},
            WindowCloseBehaviour,
        };
        dioxus::prelude::use_hook(|| {
            dioxus::desktop::window().set_close_behavior(WindowCloseBehaviour::WindowHides)
        });
        let mut on_close = on_close;
        dioxus::desktop::use_wry_event_handler(move |event, _| {
            if let Event::WindowEvent {
                event: WindowEvent::CloseRequested,
                ..
            } = event
            {
                if on_close() {
                    exit_after_deadline();
                }
            }
        });
    }
    #[cfg(not(feature = "desktop"))]
    let _ = on_close;
}

/// Hides the window at once (closing feels immediate while the app finishes leaving).
/// Should closing not finish, the app exits after a few seconds anyway: a closed window
/// never lingers as a hidden process.
pub fn hide() {
    #[cfg(feature = "desktop")]
    {
        dioxus::desktop::window().set_visible(false);
        exit_after_deadline();
    }
}

/// Ends the process after [`CLOSE_DEADLINE`], whatever happens meanwhile.
#[cfg(feature = "desktop")]
fn exit_after_deadline() {
    std::thread::spawn(|| {
        std::thread::sleep(CLOSE_DEADLINE);
        tracing::warn!("closing took too long; exiting");
        std::process::exit(0);
    });
}

/// Shows the window again (it hides on a close request) and gives it the focus.
pub fn show() {
    #[cfg(feature = "desktop")]
    {
        let window = dioxus::desktop::window();
        window.set_visible(true);
        window.set_focus();
    }
}

/// Closes the window for good (the app exits with its last window). Everything is
/// saved and left by then: should the event loop not end the process promptly (a
/// hidden window's close is not always acted on), it ends a moment later anyway.
pub fn close_now() {
    #[cfg(feature = "desktop")]
    {
        let window = dioxus::desktop::window();
        window.set_close_behavior(dioxus::desktop::WindowCloseBehaviour::WindowCloses);
        window.close();
        std::thread::spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            std::process::exit(0);
        });
    }
    #[cfg(not(feature = "desktop"))]
    std::process::exit(0);
}
