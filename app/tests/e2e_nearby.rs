//! Rooms nearby, as a class uses them: window A hosts a room, and window B's join screen
//! lists it under "Rooms nearby" (found with DNS-SD over mDNS) with the same check code
//! A shows; B types a name and clicks it, and they chat.
//!
//! Multicast needs an interface that carries it: the test runs itself again in a
//! network namespace of its own (`unshare --net`, as root; util-linux and iproute2),
//! with a veth pair holding 10.77.0.1, and the displays, windows and the hosted relay
//! all live in there. Where no namespace can be made, it fails and says why.
//!
//! Needs Xvfb, openbox, xdotool and ImageMagick (`scripts/setup.sh` installs them).

mod support;

use std::{process::Command, time::Duration};

use support::{app::Options, serial, temp_dir, wait_until, AppWindow};

const WAIT: Duration = Duration::from_secs(30);
/// Set in the copy of the test that runs inside the namespace.
const INSIDE: &str = "PIAZZA_NEARBY_NETNS";
const TEST: &str =
    "a_room_hosted_on_the_network_is_listed_nearby_with_its_check_code_and_joined_with_a_click";

#[test]
fn a_room_hosted_on_the_network_is_listed_nearby_with_its_check_code_and_joined_with_a_click() {
    if std::env::var_os(INSIDE).is_some() {
        set_up_namespace();
        hosted_and_found();
        return;
    }
    let run = Command::new("unshare")
        .args(["--net", "--"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run unshare (util-linux): {e}"));
    let (out, err) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert!(
        !err.contains("unshare failed"),
        "this test needs its own network namespace for multicast (run as root, or with \
         CAP_SYS_ADMIN and CAP_NET_ADMIN): {err}"
    );
    assert!(
        run.status.success() && out.contains("1 passed"),
        "inside the namespace:\n{out}\n{err}"
    );
}

/// Loopback up, and a veth pair up with 10.77.0.1 on one end (a veth carries
/// multicast, and the host's own datagrams loop back).
fn set_up_namespace() {
    for args in [
        "link set lo up",
        "link add pz0 type veth peer name pz1",
        "addr add 10.77.0.1/24 dev pz0",
        "link set pz0 up",
        "link set pz1 up",
    ] {
        let status = Command::new("ip")
            .args(args.split(' '))
            .status()
            .unwrap_or_else(|e| panic!("cannot run ip (iproute2): {e}"));
        assert!(status.success(), "ip {args} failed in the test's namespace");
    }
}

fn hosted_and_found() {
    let _serial = serial();
    let (dir_a, dir_b) = (temp_dir("piazza-e2e-host"), temp_dir("piazza-e2e-pupil"));
    let mut teacher = AppWindow::open(Options::new(dir_a.path()).lang("it"));
    wait_until("the join screen", WAIT, || teacher.exists("#name-input"));
    teacher.click("#name-input");
    teacher.type_text("Prof Rossi", 30);
    teacher.click("#host-button");
    wait_until("the invite dialog", WAIT, || {
        teacher.exists("#share-dialog")
    });
    let code = teacher.text("#share-code");
    teacher.click("#share-done");

    let mut pupil = AppWindow::open(Options::new(dir_b.path()).lang("it"));
    wait_until("the join screen", WAIT, || pupil.exists("#name-input"));
    let room = r#"#nearby .nearby-room[data-room="La piazza di Prof Rossi"]"#;
    wait_until("the hosted room listed nearby", WAIT, || pupil.exists(room));
    let listed = pupil.text(room);
    assert!(
        listed.contains(&code),
        "the same check code as on the host's screen: {listed:?} vs {code}"
    );
    pupil.click("#name-input");
    pupil.type_text("Giulia", 30);
    pupil.screenshot("screenshot-nearby");
    pupil.click(room);
    wait_until("in the room", WAIT, || pupil.status() == "connected");
    assert!(pupil.text("#room-code").contains(&code));

    teacher.click("#composer-input");
    teacher.type_text("ciao Giulia", 20);
    teacher.key("Return");
    wait_until("the pupil reads it", WAIT, || {
        pupil.texts().contains(&"ciao Giulia".to_owned())
    });
}
