//! Real keystrokes (xdotool) into the composer of a visible window under Xvfb: fast
//! typing keeps every character (the composer is uncontrolled), Return sends, and
//! Shift+Return makes a new line instead of sending.
//!
//! Run: `xvfb-run -a cargo test -p app --test e2e_typing` (needs `xdotool`). Without
//! xdotool the scenario is skipped.

mod support;

use support::*;

fn main() {
    if std::process::Command::new("xdotool")
        .arg("version")
        .output()
        .is_err()
    {
        println!("xdotool not installed: skipping the typing scenario");
        println!("test result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out");
        return;
    }
    watchdog(120);
    run_with("en", || Box::pin(scenario()), true);
}

/// Runs xdotool off the UI thread.
async fn xdotool(args: &[&str]) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let status = rt()
        .spawn_blocking(move || std::process::Command::new("xdotool").args(&args).status())
        .await
        .expect("join");
    match status {
        Ok(s) if s.success() => {}
        other => fail(&format!("xdotool failed: {other:?}")),
    }
}

async fn scenario() {
    wait_until("the join screen", 20, || exists("#name-input")).await;
    type_into("#name-input", "Dora").await;
    click("#join-button").await;
    wait_until("connected", 20, || async { status().await == "connected" }).await;
    wait_until("the composer", 5, || exists("#composer-input")).await;

    // Keyboard focus: the pointer over the window (no window manager under Xvfb) and
    // the DOM focus in the composer.
    let (x, y): (i32, i32) = js(
        r##"const r = document.querySelector("#composer-input").getBoundingClientRect();
        return [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)];"##,
    )
    .await;
    xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]).await;
    pause(300).await;

    let text = "The quick brown fox jumps over 13 lazy dogs";
    xdotool(&["type", "--delay", "5", text]).await;
    wait_until("every typed character in the composer", 10, || async {
        value_of("#composer-input").await == text
    })
    .await;

    // Shift+Return: a new line, not a send.
    xdotool(&["key", "shift+Return"]).await;
    xdotool(&["type", "--delay", "5", "second line"]).await;
    let expected = format!("{text}\nsecond line");
    wait_until("a two-line draft", 10, || async {
        value_of("#composer-input").await == expected
    })
    .await;
    if row(text).await.is_some() {
        fail("Shift+Return sent the message");
    }

    xdotool(&["key", "Return"]).await;
    wait_until("the typed message delivered", 15, || async {
        row(&expected)
            .await
            .is_some_and(|r| r.delivery == "delivered" && r.own)
    })
    .await;
    wait_until("the composer cleared", 5, || async {
        value_of("#composer-input").await.is_empty()
    })
    .await;
    pass("fast real typing keeps every character; Return sends, Shift+Return adds a line");
}
