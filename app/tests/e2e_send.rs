//! Scenario A, in a real window under Xvfb against a real relay: type a name, join,
//! send one message with the "Invia" button and one with Enter; both show with the
//! sender's name, marked own and delivered; a message from another client shows with
//! that client's name.
//!
//! Run: `xvfb-run -a cargo test -p app --test e2e_send`

mod support;

use support::*;

fn main() {
    watchdog(120);
    run("it", || Box::pin(scenario()));
}

async fn scenario() {
    wait_until("the join screen", 20, || exists("#name-input")).await;
    let prefilled = value_of("#invite-input").await;
    if prefilled != invite().to_string() {
        fail(&format!(
            "invite not pre-filled from PIAZZA_INVITE: {prefilled:?}"
        ));
    }
    let join_label: String =
        js(r##"return document.querySelector("#join-button").textContent;"##).await;
    if join_label != "Entra" {
        fail(&format!(
            "the join button is not in Italian: {join_label:?}"
        ));
    }

    type_into("#name-input", "Anna").await;
    click("#join-button").await;
    wait_until("connected", 20, || async { status().await == "connected" }).await;

    // With the button.
    type_into("#composer-input", "Ciao dal bottone").await;
    wait_until("the send button enabled", 5, || async {
        js::<bool>(r##"return !document.querySelector("#send-button").disabled;"##).await
    })
    .await;
    let label: String = js(r##"return document.querySelector("#send-button").textContent;"##).await;
    if label != "Invia" {
        fail(&format!("the send button says {label:?}, not Invia"));
    }
    click("#send-button").await;
    wait_until("the composer cleared", 5, || async {
        value_of("#composer-input").await.is_empty()
    })
    .await;

    // With Enter.
    type_into("#composer-input", "Ciao con Invio").await;
    pause(150).await;
    press_key("#composer-input", "Enter", false).await;

    for text in ["Ciao dal bottone", "Ciao con Invio"] {
        wait_until(&format!("{text:?} delivered"), 15, || async {
            row(text).await.is_some_and(|r| r.delivery == "delivered")
        })
        .await;
        let r = row(text).await.unwrap();
        if !(r.own && r.own_class && r.sender == "Anna" && r.time.len() == 5) {
            fail(&format!("own message shown wrongly: {r:?}"));
        }
    }

    // Someone else.
    let mut bruno = OtherClient::join("Bruno").await;
    bruno.say("Ciao Anna, sono Bruno").await;
    wait_until("Bruno's message", 15, || async {
        row("Ciao Anna, sono Bruno").await.is_some()
    })
    .await;
    let r = row("Ciao Anna, sono Bruno").await.unwrap();
    if r.own || r.own_class || r.sender != "Bruno" {
        fail(&format!("someone else's message shown wrongly: {r:?}"));
    }
    wait_until("Bruno in the member list", 10, || async {
        js::<bool>(
            r##"return Array.from(document.querySelectorAll("#members .member-name"))
                   .some(el => el.textContent === "Bruno");"##,
        )
        .await
    })
    .await;

    // Each message exactly once, in order.
    let texts: Vec<String> = rows().await.into_iter().map(|r| r.text).collect();
    if texts
        != [
            "Ciao dal bottone",
            "Ciao con Invio",
            "Ciao Anna, sono Bruno",
        ]
    {
        fail(&format!("unexpected timeline: {texts:?}"));
    }
    drop(bruno);
    pass("join, send with Invia and Enter, see own and others' messages");
}
