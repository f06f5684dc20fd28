//! What differs by platform or reaches outside the shared components: the page glue
//! (JavaScript that must run inside the web view), desktop notifications, the desktop
//! window, the app's life on the device, and the end-to-end test probe.
//!
//! - [`glue`]: composer, list following and focus, in the page ([`glue::PageEvent`]);
//! - [`notify`]: notifications for messages while the window is not focused;
//! - [`window`]: the desktop window's configuration and its polite close;
//! - [`probe`]: read-only page queries for end-to-end tests (off by default);
//! - [`lifecycle`]: resuming from the background and network changes.

pub mod glue;
pub mod lifecycle;
pub mod notify;
pub mod probe;
pub mod window;
