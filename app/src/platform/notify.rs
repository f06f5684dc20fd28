//! Desktop notifications for new messages while the window is not focused.
//!
//! Showing a notification must never disturb the app: it runs on its own short-lived
//! thread and every error is only logged. On Android (and whenever
//! `PIAZZA_NOTIFY=0`) nothing is shown.

/// Environment variable that turns notifications off (`0`, `off`, `false`).
pub const NOTIFY_ENV: &str = "PIAZZA_NOTIFY";

/// Longest body shown, in characters.
const MAX_BODY_CHARS: usize = 200;

/// Whether notifications are enabled for this process.
pub fn enabled() -> bool {
    !matches!(
        std::env::var(NOTIFY_ENV).as_deref().map(str::trim),
        Ok("0" | "off" | "false" | "no")
    )
}

/// The body of a notification: the text, shortened to one paragraph of reasonable size.
pub fn body(text: &str) -> String {
    let mut body: String = text.chars().take(MAX_BODY_CHARS).collect();
    if text.chars().count() > MAX_BODY_CHARS {
        body.push('…');
    }
    body
}

/// Shows a notification, in the background; failures are logged and ignored.
pub fn show(title: String, text: &str) {
    if !enabled() {
        return;
    }
    let body = body(text);
    #[cfg(not(target_os = "android"))]
    {
        let spawned = std::thread::Builder::new()
            .name("piazza-notify".into())
            .spawn(move || {
                let result = std::panic::catch_unwind(|| {
                    notify_rust::Notification::new()
                        .appname("Piazza")
                        .summary(&title)
                        .body(&body)
                        .show()
                        .map(|_| ())
                });
                match result {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => tracing::debug!(%error, "notification not shown"),
                    Err(_) => tracing::debug!("notification backend panicked"),
                }
            });
        if let Err(error) = spawned {
            tracing::debug!(%error, "cannot start the notification thread");
        }
    }
    #[cfg(target_os = "android")]
    {
        let _ = (title, body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_bodies_are_shortened() {
        assert_eq!(body("ciao"), "ciao");
        let long = "è".repeat(500);
        let short = body(&long);
        assert_eq!(short.chars().count(), MAX_BODY_CHARS + 1);
        assert!(short.ends_with('…'));
    }
}
