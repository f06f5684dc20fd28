//! Scenario B, in a real window under Xvfb against a real relay: the relay stops, the
//! banner says the app is reconnecting, a message typed meanwhile shows as queued, and
//! once the relay is back on the same port and data directory it shows as delivered,
//! exactly once.
//!
//! Run: `xvfb-run -a cargo test -p app --test e2e_reconnect`

mod support;

use support::*;

fn main() {
    watchdog(150);
    run("en", || Box::pin(scenario()));
}

async fn scenario() {
    wait_until("the join screen", 20, || exists("#name-input")).await;
    type_into("#name-input", "Carla").await;
    click("#join-button").await;
    wait_until("connected", 20, || async { status().await == "connected" }).await;

    type_into("#composer-input", "Before the outage").await;
    pause(150).await;
    press_key("#composer-input", "Enter", false).await;
    wait_until("first message delivered", 15, || async {
        row("Before the outage")
            .await
            .is_some_and(|r| r.delivery == "delivered")
    })
    .await;

    let addr = stop_relay().await;
    wait_until("the banner says reconnecting", 20, || async {
        status().await == "reconnecting"
    })
    .await;
    let banner: String = js(r##"return document.querySelector("#status").textContent;"##).await;
    if !banner.contains("Reconnecting") {
        fail(&format!("banner text: {banner:?}"));
    }

    type_into("#composer-input", "Typed while offline").await;
    pause(150).await;
    click("#send-button").await;
    wait_until("the offline message queued", 10, || async {
        row("Typed while offline")
            .await
            .is_some_and(|r| r.delivery == "queued" && r.own)
    })
    .await;
    pause(1500).await;
    if row("Typed while offline").await.map(|r| r.delivery) != Some("queued".into()) {
        fail("the offline message left the queued state while the relay was down");
    }

    restart_relay(addr).await;
    wait_until("the offline message delivered", 60, || async {
        row("Typed while offline")
            .await
            .is_some_and(|r| r.delivery == "delivered")
    })
    .await;
    wait_until("connected again", 10, || async {
        status().await == "connected"
    })
    .await;

    let texts: Vec<String> = rows().await.into_iter().map(|r| r.text).collect();
    if texts != ["Before the outage", "Typed while offline"] {
        fail(&format!("unexpected timeline after the restart: {texts:?}"));
    }
    pass("relay restart: reconnecting banner, queued then delivered, exactly once");
}
