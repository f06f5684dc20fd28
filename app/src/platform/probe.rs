//! A read-only window into the page for end-to-end tests, off unless
//! `PIAZZA_TEST_PROBE=1`: each line on standard input is a JSON request
//! `{"id": 1, "js": "return document.title;"}`, evaluated in the page; the answer is one
//! line on standard output, `PIAZZA-PROBE {"id": 1, "ok": …}` (or `"err"`).
//!
//! Tests only *read* the page through it; everything they do to the app goes through
//! real X input (keystrokes and clicks), as a person's would.

use std::io::{BufRead, Write};

use dioxus::prelude::*;
use serde::Deserialize;
use serde_json::Value;

/// The variable that turns the probe on.
pub const PROBE_ENV: &str = "PIAZZA_TEST_PROBE";
/// The prefix of every answer line.
pub const PREFIX: &str = "PIAZZA-PROBE ";

#[derive(Deserialize)]
struct Request {
    id: u64,
    js: String,
}

/// Whether the probe is on for this process.
pub fn enabled() -> bool {
    std::env::var(PROBE_ENV).is_ok_and(|v| v == "1")
}

/// Answers requests from standard input until it closes.
pub async fn run() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    while let Some(line) = rx.recv().await {
        let answer = match serde_json::from_str::<Request>(&line) {
            Ok(request) => match document::eval(&request.js).join::<Value>().await {
                Ok(value) => serde_json::json!({ "id": request.id, "ok": value }),
                Err(error) => serde_json::json!({ "id": request.id, "err": format!("{error:?}") }),
            },
            Err(error) => serde_json::json!({ "id": 0, "err": error.to_string() }),
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{PREFIX}{answer}");
        let _ = out.flush();
    }
}
