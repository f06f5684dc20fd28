//! Advertising a hosted room on the LAN with DNS-SD over mDNS ([`LanConfig`]): the
//! service `_piazza._udp.local.` (`common::lan`), registered with the mdns-sd daemon
//! while the relay runs and unregistered (a goodbye packet) when it shuts down.
//!
//! mDNS is unauthenticated: the advertisement is a convenience; the invite stays the
//! verified path.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use common::{
    fingerprint::Fingerprint,
    lan::{LanRecord, SERVICE_TYPE},
    protocol::DEFAULT_ROOM,
    rules::validate_room_name,
};
use mdns_sd::{IfKind, ServiceDaemon, ServiceInfo};

use crate::rooms::RoomConfig;

/// A relay's advertisement on the LAN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanConfig {
    /// The room's display name people see in "rooms nearby" (cleaned and cut to fit;
    /// the instance name gets the fingerprint's first group to stay unique).
    pub name: String,
    /// The room the advertisement leads to; `None`: the default room.
    pub room: Option<String>,
}

impl LanConfig {
    /// Advertises the default room under `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            room: None,
        }
    }
}

/// Why the advertisement could not start.
#[derive(Debug, thiserror::Error)]
pub enum LanError {
    /// The mDNS daemon refused (no socket, a name it cannot take).
    #[error("mDNS: {0}")]
    Mdns(#[from] mdns_sd::Error),
    /// The advertised room does not exist on this relay.
    #[error("the room {0:?} to advertise is not one of this relay's rooms")]
    NoSuchRoom(String),
}

/// The service a relay listening on `listen` registers for `record`: addresses filled
/// in by the daemon from the host's interfaces (and kept up to date) when `listen` is
/// an unspecified address, otherwise that address alone.
pub fn service_info(record: &LanRecord, listen: SocketAddr) -> Result<ServiceInfo, LanError> {
    let host = format!(
        "piazza-{}.local.",
        record.fingerprint.short().to_lowercase()
    );
    let ips: Vec<IpAddr> = if listen.ip().is_unspecified() {
        Vec::new()
    } else {
        vec![listen.ip()]
    };
    let info = ServiceInfo::new(
        SERVICE_TYPE,
        &record.instance_name(),
        &host,
        &ips[..],
        listen.port(),
        &record.to_txt()[..],
    )?;
    Ok(if ips.is_empty() {
        info.enable_addr_auto()
    } else {
        info
    })
}

/// The advertisement of a relay: its daemon made and its record checked before the
/// relay opens anything, registered once the relay listens.
pub(crate) struct Advertisement {
    daemon: ServiceDaemon,
    record: LanRecord,
    fullname: String,
}

impl Advertisement {
    /// Checks `lan` against the relay's rooms (`configured`, as `rooms::configured`
    /// returns them; any valid name with open rooms) and starts an mDNS daemon.
    pub(crate) fn prepare(
        lan: &LanConfig,
        configured: &[RoomConfig],
        open_rooms: bool,
        fingerprint: Fingerprint,
    ) -> Result<Self, LanError> {
        let asked = lan.room.as_deref().unwrap_or(DEFAULT_ROOM);
        let no_such_room = || LanError::NoSuchRoom(asked.to_owned());
        let room = validate_room_name(asked).map_err(|_| no_such_room())?;
        let key_required = match configured.iter().find(|r| r.name == room) {
            Some(known) => known.key.is_some(),
            None if open_rooms => false,
            None => return Err(no_such_room()),
        };
        let record = LanRecord::new(&lan.name, Some(&room), fingerprint, key_required);
        let daemon = ServiceDaemon::new()?;
        Ok(Self {
            daemon,
            fullname: String::new(),
            record,
        })
    }

    /// Registers the record for a relay on `listen`. Loopback interfaces are left out
    /// (nobody else can reach them), and so is IPv6 when the relay listens on IPv4
    /// only. A daemon that refuses is logged: the relay runs on unadvertised.
    pub(crate) fn register(&mut self, listen: SocketAddr) {
        if listen.ip().is_loopback() {
            tracing::warn!(
                %listen,
                "advertising on the LAN a relay that listens on loopback: nobody else can reach it"
            );
        }
        let mut off = vec![IfKind::LoopbackV4, IfKind::LoopbackV6];
        if listen.is_ipv4() {
            off.push(IfKind::IPv6);
        }
        let registered = service_info(&self.record, listen).and_then(|info| {
            self.daemon.disable_interface(off)?;
            let fullname = info.get_fullname().to_owned();
            self.daemon.register(info)?;
            Ok(fullname)
        });
        match registered {
            Ok(fullname) => {
                tracing::info!(name = %fullname, port = listen.port(), "advertised on the LAN (mDNS)");
                self.fullname = fullname;
            }
            Err(e) => tracing::error!("not advertised on the LAN: {e}"),
        }
    }

    /// Unregisters the service (the daemon sends a goodbye, TTL 0) and stops the
    /// daemon; waits at most a second for each.
    pub(crate) async fn stop(self) {
        const WAIT: Duration = Duration::from_secs(1);
        if !self.fullname.is_empty() {
            match self.daemon.unregister(&self.fullname) {
                Ok(status) => {
                    let _ = tokio::time::timeout(WAIT, status.recv_async()).await;
                    tracing::info!(name = %self.fullname, "no longer advertised on the LAN");
                }
                Err(e) => tracing::warn!("mDNS: could not unregister {}: {e}", self.fullname),
            }
        }
        if let Ok(status) = self.daemon.shutdown() {
            let _ = tokio::time::timeout(WAIT, status.recv_async()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> LanRecord {
        LanRecord::new(
            "Marco's room",
            Some("kitchen"),
            Fingerprint([0xab; 32]),
            true,
        )
    }

    #[test]
    fn an_unspecified_listen_address_lets_the_daemon_fill_in_the_hosts_addresses() {
        let info = service_info(&record(), "0.0.0.0:4433".parse().unwrap()).unwrap();
        assert!(info.is_addr_auto());
        assert!(info.get_addresses().is_empty());
        assert_eq!(info.get_port(), 4433);
        assert_eq!(info.get_type(), SERVICE_TYPE);
        assert_eq!(
            info.get_fullname(),
            "Marco's room (ABAB)._piazza._udp.local."
        );
        assert_eq!(info.get_hostname(), "piazza-abab-abab-abab-abab.local.");
        let txt = |k| info.get_property_val_str(k).unwrap().to_owned();
        assert_eq!(txt("fp"), "ab".repeat(32));
        assert_eq!(txt("name"), "Marco's room");
        assert_eq!(txt("room"), "kitchen");
        assert_eq!(txt("key"), "1");
        assert_eq!(txt("v"), common::protocol::PROTOCOL_VERSION.to_string());
    }

    #[test]
    fn a_specific_listen_address_is_the_one_advertised() {
        let info = service_info(&record(), "192.0.2.7:5000".parse().unwrap()).unwrap();
        assert!(!info.is_addr_auto());
        let addrs: Vec<IpAddr> = info.get_addresses().iter().copied().collect();
        assert_eq!(addrs, ["192.0.2.7".parse::<IpAddr>().unwrap()]);
        assert_eq!(info.get_port(), 5000);
    }
}
