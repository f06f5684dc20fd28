//! Rooms nearby for real: a relay advertising a room on the LAN (DNS-SD over mDNS), the
//! engine's browser finding it with the relay's fingerprint and port, the invite made
//! from the entry joining the room, a malformed advertisement left out, and the room
//! leaving the list with the relay's goodbye.
//!
//! Multicast needs an interface that carries it. The test runs itself again in a
//! network namespace of its own (`unshare --net`, as root: util-linux and iproute2)
//! holding a veth pair with 10.77.0.1 on one end, so it neither depends on the host's
//! network nor disturbs it. Where no namespace can be made, it fails and says why.

mod support;

use std::{
    net::IpAddr,
    process::Command as Process,
    time::{Duration, Instant},
};

use engine::{
    nearby::{NearbyBrowser, NearbyRoom},
    Command, EngineState,
};
use relay::{LanConfig, Relay, RelayConfig};
use support::*;
use tokio::sync::watch;

/// Set in the copy of the test that runs inside the namespace.
const INSIDE: &str = "PIAZZA_NEARBY_NETNS";
/// The relay's address on the namespace's veth.
const RELAY_IP: &str = "10.77.0.1";
/// Time for mDNS to probe, announce and resolve.
const FIND: Duration = Duration::from_secs(20);

#[test]
fn a_room_advertised_on_the_lan_is_found_and_joined_and_goes_with_its_relay() {
    if std::env::var_os(INSIDE).is_some() {
        set_up_namespace();
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(round_trip());
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let run = Process::new("unshare")
        .args(["--net", "--"])
        .arg(exe)
        .args([
            "--exact",
            "a_room_advertised_on_the_lan_is_found_and_joined_and_goes_with_its_relay",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INSIDE, "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run unshare (util-linux): {e}"));
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        !err.contains("unshare failed"),
        "this test needs its own network namespace for multicast (run as root, or \
         with CAP_SYS_ADMIN and CAP_NET_ADMIN): {err}"
    );
    assert!(
        run.status.success() && out.contains("1 passed"),
        "inside the namespace:\n{out}\n{err}"
    );
}

/// Inside the new namespace: loopback up, and a veth pair up with the relay's address
/// on one end (a veth carries multicast, and the host's own datagrams loop back).
fn set_up_namespace() {
    for args in [
        "link set lo up",
        "link add pz0 type veth peer name pz1",
        &format!("addr add {RELAY_IP}/24 dev pz0"),
        "link set pz0 up",
        "link set pz1 up",
    ] {
        let status = Process::new("ip")
            .args(args.split(' '))
            .status()
            .unwrap_or_else(|e| panic!("cannot run ip (iproute2): {e}"));
        assert!(status.success(), "ip {args} failed in the test's namespace");
    }
}

async fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.listen = "0.0.0.0:0".parse().unwrap();
    config.hosts = vec![RELAY_IP.into()];
    config.rooms = rooms(&[("cucina", Some("chiave"))]);
    config.lan = Some(LanConfig {
        name: "Marco's room".into(),
        room: Some("cucina".into()),
    });
    let relay = Relay::start(config).await.unwrap();
    let bad = advertise_malformed();

    let browser = NearbyBrowser::start().unwrap();
    let mut rooms = browser.rooms();
    let fingerprint = relay.fingerprint();
    let found = wait_for(&mut rooms, "the relay's room nearby", |list| {
        list.iter().find(|r| r.fingerprint == fingerprint).cloned()
    })
    .await;
    assert_eq!(found.name, "Marco's room");
    assert_eq!(found.room, "cucina");
    assert_eq!(found.port, relay.addr().port());
    assert_eq!(found.addresses, [RELAY_IP.parse::<IpAddr>().unwrap()]);
    assert!(found.key_required);
    assert_eq!(found.short_fingerprint(), fingerprint.short());

    // The malformed advertisement was seen on the wire too, and left out.
    let sent_bad = Instant::now();
    while sent_bad.elapsed() < Duration::from_secs(2) {
        let list = rooms.borrow().clone();
        assert!(
            list.iter().all(|r| r.name != "Bad room"),
            "a malformed record was listed: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rooms.borrow().len(), 1, "{:?}", rooms.borrow());

    let (anna, mut events) = engine(
        found.invite(Some("chiave".into())),
        "Anna",
        EngineState::new(),
    );
    until(
        &mut events,
        "Anna in cucina, from the nearby entry",
        is_joined("cucina"),
    )
    .await;
    anna.send(Command::Send {
        room: "cucina".into(),
        text: "ciao dal vicino".into(),
    });
    until(&mut events, "the message back", is_text("ciao dal vicino")).await;
    drop(anna);

    relay.shutdown().await;
    wait_for(
        &mut rooms,
        "the room gone with the relay's goodbye",
        |list| {
            list.iter()
                .all(|r| r.fingerprint != fingerprint)
                .then_some(())
        },
    )
    .await;
    browser.stop().await;
    let _ = bad.shutdown();
}

/// Waits (at most [`FIND`]) until `check` finds something in the list.
async fn wait_for<T>(
    rooms: &mut watch::Receiver<Vec<NearbyRoom>>,
    what: &str,
    check: impl Fn(&[NearbyRoom]) -> Option<T>,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(found) = check(&rooms.borrow_and_update()) {
            return found;
        }
        let left = FIND.saturating_sub(start.elapsed());
        let changed = tokio::time::timeout(left, rooms.changed()).await;
        assert!(
            matches!(changed, Ok(Ok(()))),
            "multicast works in this namespace, but waited {FIND:?} for {what}; the list: {:?}",
            rooms.borrow()
        );
    }
}

/// A room advertised with a fingerprint that is not one.
fn advertise_malformed() -> mdns_sd::ServiceDaemon {
    let daemon = mdns_sd::ServiceDaemon::new().unwrap();
    let txt = [
        ("v", common::protocol::PROTOCOL_VERSION.to_string()),
        ("fp", "not-a-fingerprint".to_string()),
        ("name", "Bad room".to_string()),
        ("room", "piazza".to_string()),
        ("key", "0".to_string()),
    ];
    let info = mdns_sd::ServiceInfo::new(
        common::lan::SERVICE_TYPE,
        "Bad room",
        "piazza-bad.local.",
        RELAY_IP,
        4433,
        &txt[..],
    )
    .unwrap();
    daemon.register(info).unwrap();
    daemon
}
