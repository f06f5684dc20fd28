//! Hosting a room from the app, as a teacher and a pupil do it: window A types a name and
//! clicks "Host a room"; its invite is copied with the copy button (read back from A's
//! clipboard) and its QR code decoded from a screenshot of A's screen — both must be
//! exactly the invite; window B types that invite and joins; both read the same check
//! code. Closing A asks first (naming who is online), then B reads that the host closed
//! the room within 2 s; A hosting again keeps the invite and the history, and B comes
//! back.
//!
//! Needs Xvfb, openbox, xdotool, xclip and ImageMagick (`scripts/setup.sh` installs them).

mod support;

use std::time::{Duration, Instant};

use support::{
    app::Options,
    hosting::{host, join_by_typing, sends},
    run, serial, temp_dir, wait_until, AppWindow,
};

const WAIT: Duration = Duration::from_secs(30);

/// The QR codes on the display's screen, decoded.
fn qr_codes_on_screen(app: &AppWindow) -> Vec<String> {
    let dir = temp_dir("piazza-e2e-qr");
    let path = dir.path().join("screen.png");
    let path = path.to_str().unwrap();
    run(
        Some(app.display.name()),
        "import",
        &["-window", "root", path],
    );
    let image = image::open(path).expect("a screenshot").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

#[test]
fn a_hosted_room_is_joined_with_the_invite_copied_from_the_hosts_screen_and_its_qr_code() {
    let _serial = serial();
    let (dir_a, dir_b) = (temp_dir("piazza-e2e-host"), temp_dir("piazza-e2e-pupil"));
    let mut teacher = host(dir_a.path(), "Prof Rossi");

    // The copy button: what lands on A's clipboard is the invite shown.
    teacher.click("#share-copy");
    wait_until("copied", WAIT, || {
        teacher.js::<String>("return document.getElementById('share-copy').dataset.copied || '';")
            == "true"
    });
    let copied = run(
        Some(teacher.display.name()),
        "xclip",
        &["-selection", "clipboard", "-o"],
    );
    let shown = teacher.value("#share-link");
    assert_eq!(copied, shown, "the clipboard has the invite shown");
    assert!(copied.starts_with("piazza://"), "{copied}");
    assert!(
        !copied.contains("127.0.0.1") || teacher.exists("#share-offline"),
        "others get this computer's network address, not loopback: {copied}"
    );
    // The QR code on the screen is exactly the invite.
    assert_eq!(qr_codes_on_screen(&teacher), std::slice::from_ref(&copied));
    let code = teacher.text("#share-code");
    assert_eq!(code.len(), 19, "four groups of four: {code}");
    teacher.screenshot("screenshot-hosting");

    // The pupil types the invite (through loopback when A has no network address).
    let mut pupil = join_by_typing(dir_b.path(), "Giulia", &copied);
    assert!(
        pupil.text("#room-code").contains(&code),
        "the same check code on both sides: {} vs {code}",
        pupil.text("#room-code")
    );
    teacher.click("#share-done");
    wait_until("the dialog closed", WAIT, || {
        !teacher.exists("#share-dialog")
    });
    sends(&mut teacher, "benvenuti in classe");
    wait_until("the pupil reads it", WAIT, || {
        pupil.texts().contains(&"benvenuti in classe".to_owned())
    });
    sends(&mut pupil, "buongiorno prof");
    wait_until("the teacher reads it", WAIT, || {
        teacher.texts().contains(&"buongiorno prof".to_owned())
    });
    wait_until("two online", WAIT, || {
        teacher.text("#members").contains("Giulia")
    });
}

#[test]
fn closing_the_host_asks_first_then_members_read_the_host_closed_it_and_hosting_again_keeps_the_room(
) {
    let _serial = serial();
    let (dir_a, dir_b) = (temp_dir("piazza-e2e-host"), temp_dir("piazza-e2e-pupil"));
    let mut teacher = host(dir_a.path(), "Prof Rossi");
    let invite = teacher.value("#share-link");
    teacher.click("#share-done");
    let mut pupil = join_by_typing(dir_b.path(), "Giulia", &invite);
    sends(&mut pupil, "prima della pausa");

    // Alt+F4 with someone in the room: the app asks, naming how many are online.
    wait_until("the teacher sees the pupil", WAIT, || {
        teacher.text("#members").contains("Giulia")
    });
    teacher.key("alt+F4");
    wait_until("the question", WAIT, || teacher.exists("#close-hosted"));
    assert!(
        teacher
            .text("#close-hosted-text")
            .contains("1 other person"),
        "{}",
        teacher.text("#close-hosted-text")
    );
    teacher.click("#keep-open");
    wait_until("the question gone", WAIT, || {
        !teacher.exists("#close-hosted")
    });
    assert!(teacher.exited().is_none(), "kept open");
    assert_eq!(pupil.status(), "connected");

    // Closing for real: the pupil reads why within 2 s.
    teacher.key("alt+F4");
    wait_until("the question", WAIT, || teacher.exists("#close-hosted"));
    teacher.click("#close-hosted-confirm");
    let closed = Instant::now();
    wait_until("the pupil reads that the host closed it", WAIT, || {
        pupil.text("#status").contains("The host closed the room")
    });
    assert!(
        closed.elapsed() < Duration::from_secs(2),
        "took {:?}",
        closed.elapsed()
    );
    pupil.screenshot("e2e-host-closed");
    wait_until("the host's app exited", WAIT, || teacher.exited().is_some());
    drop(teacher);

    // The teacher opens Piazza again: it hosts the room again, with the same invite and
    // history; the pupil comes back (at once with "Reconnect now").
    let mut teacher = AppWindow::open(Options::new(dir_a.path()));
    wait_until("connected again", WAIT, || teacher.status() == "connected");
    teacher.click("#share-button");
    wait_until("the invite dialog", WAIT, || {
        teacher.exists("#share-dialog")
    });
    assert_eq!(teacher.value("#share-link"), invite, "the same invite");
    teacher.click("#share-done");
    wait_until("the history kept", WAIT, || {
        teacher.texts().contains(&"prima della pausa".to_owned())
    });
    if pupil.exists("#reconnect") {
        pupil.click("#reconnect");
    }
    wait_until("the pupil back in", Duration::from_secs(60), || {
        pupil.status() == "connected"
    });
    sends(&mut teacher, "riprendiamo");
    wait_until("the pupil reads it", WAIT, || {
        pupil.texts().contains(&"riprendiamo".to_owned())
    });
}
