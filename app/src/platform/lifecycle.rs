//! The app's life on the device: coming back from the background (a phone's app
//! switcher, a laptop waking up) and network changes (Wi-Fi to mobile data, a new
//! address). Either way the engines get `Command::NetworkChanged`: a live session moves
//! to a new socket (QUIC migration keeps it), a session waiting to reconnect tries at
//! once.
//!
//! Resuming comes from the window's event loop (tao's `Resumed`); network changes from
//! comparing the device's interface addresses every few seconds (no event loop reports
//! them on every platform).

use std::{collections::BTreeSet, net::IpAddr, time::Duration};

use dioxus::prelude::*;

/// How often the interface addresses are compared.
const NETWORK_POLL: Duration = Duration::from_secs(3);

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The app came back to the foreground.
    Resumed,
    /// The device's network addresses changed.
    Network,
}

/// Calls `on_change` when the app resumes and when the device's addresses change.
pub fn use_lifecycle(on_change: impl FnMut(Change) + 'static) {
    let on_change = std::rc::Rc::new(std::cell::RefCell::new(on_change));
    #[cfg(any(feature = "desktop", feature = "mobile"))]
    {
        #[cfg(feature = "desktop")]
        use dioxus::desktop as webview;
        #[cfg(all(feature = "mobile", not(feature = "desktop")))]
        use dioxus::mobile as webview;
        let on_change = on_change.clone();
        // A `Resumed` the event loop gives as it starts (before this hook, usually)
        // costs at most a restarted first attempt; a real one must not be missed.
        webview::use_wry_event_handler(move |event, _| {
            if let webview::tao::event::Event::Resumed = event {
                (on_change.borrow_mut())(Change::Resumed);
            }
        });
    }
    use_future(move || {
        let on_change = on_change.clone();
        async move {
            let mut last = addresses();
            loop {
                tokio::time::sleep(NETWORK_POLL).await;
                let now = addresses();
                if now != last {
                    tracing::info!(?now, "network addresses changed");
                    last = now;
                    (on_change.borrow_mut())(Change::Network);
                }
            }
        }
    });
}

/// The device's interface addresses, loopback aside.
fn addresses() -> BTreeSet<IpAddr> {
    if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|ip| !ip.is_loopback())
        .collect()
}
