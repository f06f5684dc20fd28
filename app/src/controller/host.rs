//! Hosting a room from the app: the relay runs in this process (the `relay` crate as a
//! library) on every interface, with its log, certificate and key in the data
//! directory's `host/`, so the invite stays the same from one run to the next.
//!
//! The port is 4433, or the next free one up to [`LAST_PORT`]; the one used is kept in
//! `host/port` and tried first next time. The invite others get lists this computer's
//! network addresses (loopback only when it has none); the host joins through loopback.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket},
    path::{Path, PathBuf},
};

use common::{
    fingerprint::Fingerprint,
    invite::{Address, Invite, DEFAULT_PORT},
};
use relay::{LanConfig, Relay, RelayConfig, RelayError};

use dioxus::prelude::*;

use super::{Phase, Ui};
use crate::store::{files, Store};

/// The last port tried after [`DEFAULT_PORT`].
pub const LAST_PORT: u16 = DEFAULT_PORT + 19;

/// Where the hosted relay keeps its files, inside the data directory.
pub const HOST_DIR: &str = "host";

/// The file that remembers the port.
const PORT_FILE: &str = "port";

/// The file holding the owner key the host's own joins give (mode 0600 on Unix).
const OWNER_KEY_FILE: &str = "owner.key";

/// What the host shows to let others in.
#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    /// The invite others use (this computer's network addresses).
    pub invite: Invite,
    /// The invite as a link (`piazza://…`).
    pub link: String,
    /// The link as a QR code (SVG).
    pub qr_svg: String,
    /// The certificate's fingerprint in a form people read aloud and compare.
    pub short_fingerprint: String,
    /// The UDP port.
    pub port: u16,
    /// This computer has a network address others can reach (not loopback only).
    pub on_network: bool,
    /// The invite the host itself joins with (loopback).
    pub own_invite: Invite,
}

/// Why hosting did not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostProblem {
    /// No data directory to keep the room in.
    NoDataDir,
    /// Every port from 4433 to [`LAST_PORT`] is taken.
    NoFreePort,
    /// The relay did not start.
    Start(String),
}

/// A relay running in this process, and what to share.
pub struct Hosted {
    relay: Relay,
    /// The relay's owner key: the host's joins give it, making it the room's owner.
    owner_key: String,
    /// What others need to join.
    pub share: Share,
}

impl Hosted {
    /// Starts the relay in `data_dir/host/` on every interface, advertised on the LAN
    /// as `lan_name` (without the advertisement where mDNS cannot run).
    pub async fn start(data_dir: Option<&Path>, lan_name: &str) -> Result<Hosted, HostProblem> {
        let dir = data_dir.ok_or(HostProblem::NoDataDir)?.join(HOST_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| HostProblem::Start(e.to_string()))?;
        let port = free_port(&dir).ok_or(HostProblem::NoFreePort)?;
        let lan = lan_addresses();
        let mut config = RelayConfig::new(&dir);
        config.listen = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
        config.hosts = ["127.0.0.1".to_owned(), "localhost".to_owned()]
            .into_iter()
            .chain(lan.iter().map(IpAddr::to_string))
            .collect();
        config.advertise = lan
            .iter()
            .map(|ip| Address {
                host: ip.to_string(),
                port,
            })
            .collect();
        let owner_key = load_owner_key(&dir).map_err(|e| HostProblem::Start(e.to_string()))?;
        config.owner_key = Some(owner_key.clone());
        config.lan = Some(LanConfig::new(lan_name));
        let relay = match Relay::start(config.clone()).await {
            Err(RelayError::Lan(error)) => {
                tracing::warn!(%error, "hosting without the LAN advertisement");
                config.lan = None;
                Relay::start(config).await
            }
            started => started,
        }
        .map_err(|e| HostProblem::Start(e.to_string()))?;
        if let Err(error) = std::fs::write(dir.join(PORT_FILE), port.to_string()) {
            tracing::warn!(%error, "the hosted relay's port was not saved");
        }
        let invite = relay.invite();
        let own_invite = Invite {
            host: "127.0.0.1".into(),
            port,
            more: Vec::new(),
            ..invite.clone()
        };
        let share = Share {
            own_invite,
            ..Share::of(&invite, relay.fingerprint(), port, !lan.is_empty())
        };
        tracing::info!(%invite, "hosting");
        Ok(Hosted {
            relay,
            owner_key,
            share,
        })
    }

    /// How many are online in the room (the host included).
    pub fn online(&self) -> usize {
        let room = self.share.own_invite.room_name();
        self.relay.room_stats(room).map_or(0, |s| s.online)
    }

    /// Closes the room: members are told the host closed it.
    pub async fn close(self) {
        self.relay.close_hosted().await;
    }
}

impl Share {
    fn of(invite: &Invite, fingerprint: Fingerprint, port: u16, on_network: bool) -> Self {
        let link = invite.to_string();
        Share {
            qr_svg: qr_svg(&link),
            link,
            invite: invite.clone(),
            short_fingerprint: fingerprint.short(),
            port,
            on_network,
            own_invite: invite.clone(),
        }
    }
}

/// The owner key to give when joining `invite`: the hosted relay's, for its room.
pub fn owner_key(hosted: &Option<Hosted>, invite: &Invite) -> Option<String> {
    hosted
        .as_ref()
        .filter(|h| {
            crate::store::relay_dir_name(&h.share.own_invite)
                == crate::store::relay_dir_name(invite)
        })
        .map(|h| h.owner_key.clone())
}

/// The hosted relay's owner key, made (random, 32 bytes in hex) on first use and kept
/// in `host/owner.key`, readable by this user only.
fn load_owner_key(dir: &Path) -> std::io::Result<String> {
    let path = dir.join(OWNER_KEY_FILE);
    if let Some(key) = files::read_key(&path)? {
        return Ok(key);
    }
    let key = hex::encode(rand::random::<[u8; 32]>());
    files::write_key(&path, &key)?;
    Ok(key)
}

/// Starts hosting unless this app hosts already, and shows what to share (or why it
/// did not start, on the join screen). Returns the invite the host joins with.
pub async fn start(ui: Ui, store: Option<&Store>, hosted: &mut Option<Hosted>) -> Option<Invite> {
    let (mut problem, mut hosting) = (ui.host_problem, ui.hosting);
    if hosted.is_none() {
        let name = ui.lang.hosted_room_name(&ui.settings.peek().name);
        match Hosted::start(store.map(Store::dir), &name).await {
            Ok(started) => *hosted = Some(started),
            Err(error) => {
                tracing::warn!(?error, "hosting did not start");
                problem.set(Some(error));
                let mut phase = ui.phase;
                if *phase.peek() == Phase::Joining {
                    phase.set(Phase::Prompt(None));
                }
                return None;
            }
        }
    }
    problem.set(None);
    let share = hosted.as_ref()?.share.clone();
    let invite = share.own_invite.clone();
    hosting.set(Some(share));
    Some(invite)
}

/// The link as a QR code, black on white with its quiet zone, scaled by the page.
pub fn qr_svg(link: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(link, qrcode::EcLevel::M) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build(),
        Err(error) => {
            tracing::warn!(%error, "no QR code for the invite");
            String::new()
        }
    }
}

/// The port to host on: the one used last time if it is free, else the first free one
/// from 4433 to [`LAST_PORT`].
fn free_port(dir: &Path) -> Option<u16> {
    let last = std::fs::read_to_string(port_file(dir))
        .ok()
        .and_then(|s| s.trim().parse::<u16>().ok());
    last.into_iter()
        .chain(DEFAULT_PORT..=LAST_PORT)
        .find(|&port| UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok())
}

fn port_file(dir: &Path) -> PathBuf {
    dir.join(PORT_FILE)
}

/// This computer's addresses others on the network can reach: IPv4 first (what phones
/// on a classroom Wi-Fi use), no loopback, no link-local.
pub fn lan_addresses() -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|ip| match ip {
            IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_link_local() && !v4.is_unspecified(),
            IpAddr::V6(_) => false,
        })
        .collect();
    ips.sort();
    ips.dedup();
    ips
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_port_is_skipped_and_the_last_one_used_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        let held = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let taken = held.local_addr().unwrap().port();
        std::fs::write(port_file(dir.path()), taken.to_string()).unwrap();
        let port = free_port(dir.path()).expect("a free port");
        assert_ne!(port, taken, "the port held by another program is skipped");
        assert!((DEFAULT_PORT..=LAST_PORT).contains(&port));
        drop(held);
        assert_eq!(
            free_port(dir.path()),
            Some(taken),
            "the last port, once free"
        );
    }

    #[test]
    fn the_qr_code_is_an_svg_with_its_quiet_zone() {
        let svg = qr_svg("piazza://192.168.1.20:4433/?fp=00");
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"), "{svg}");
    }
}
