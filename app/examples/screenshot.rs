//! Takes `docs/screenshot.png`: a real relay, the app in a visible window, three people
//! chatting. Needs an X display of the window's size and ImageMagick's `import`:
//!
//! ```sh
//! xvfb-run -a -s "-screen 0 980x720x24" cargo run -p app --example screenshot -- docs/screenshot.png
//! SCREENSHOT_SIZE=400x760 xvfb-run -a -s "-screen 0 400x760x24" \
//!     cargo run -p app --example screenshot -- docs/screenshot-phone.png
//! ```

#[path = "../tests/support/mod.rs"]
mod support;

use support::*;

fn main() {
    watchdog(120);
    run_with("it", || Box::pin(scene()), true);
}

async fn send(text: &str) {
    type_into("#composer-input", text).await;
    pause(150).await;
    press_key("#composer-input", "Enter", false).await;
    let text = text.to_owned();
    wait_until("delivered", 15, || {
        let text = text.clone();
        async move { row(&text).await.is_some_and(|r| r.delivery == "delivered") }
    })
    .await;
}

async fn scene() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "docs/screenshot.png".into());
    let mut bruno = OtherClient::join("Bruno").await;
    bruno
        .say("Ciao a tutti! Chi viene stasera in piazza per il concerto?")
        .await;

    wait_until("the join screen", 20, || exists("#name-input")).await;
    type_into("#name-input", "Anna").await;
    click("#join-button").await;
    wait_until("connected", 20, || async { status().await == "connected" }).await;

    send("Io ci sono! A che ora comincia?").await;
    bruno
        .say("Alle 21, ma conviene arrivare prima per trovare posto.")
        .await;
    let mut chiara = OtherClient::join("Chiara").await;
    chiara
        .say("Vengo anch'io! Porto la chitarra per dopo.")
        .await;
    send("Perfetto, allora ci vediamo alle 20:30 davanti alla fontana.\nPorto qualcosa da bere.")
        .await;
    chiara.say("Ottimo, a stasera!").await;
    wait_until("Chiara's last message", 10, || async {
        row("Ottimo, a stasera!").await.is_some()
    })
    .await;
    type_into(
        "#composer-input",
        "Qualcuno ha visto le previsioni del tempo?",
    )
    .await;
    pause(1500).await;

    let status = std::process::Command::new("import")
        .args(["-window", "root", &out])
        .status();
    match status {
        Ok(s) if s.success() => pass(&format!("screenshot written to {out}")),
        other => fail(&format!("import failed: {other:?}")),
    }
}
