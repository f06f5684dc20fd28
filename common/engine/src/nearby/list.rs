//! The list of rooms nearby, without I/O: services resolved and removed go in, the
//! sorted list comes out.

use std::{collections::BTreeMap, net::IpAddr};

use common::{
    fingerprint::Fingerprint,
    invite::{Address, Invite},
    lan::{LanRecord, LanRecordError},
};

/// A room advertised on the LAN. Unauthenticated: anyone on the network could have
/// sent it. Show [`NearbyRoom::short_fingerprint`] beside it; the invite from the host
/// (QR code or link) stays the verified path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearbyRoom {
    /// The DNS-SD instance's full name (`Marco's room (3F1C)._piazza._udp.local.`):
    /// what tells two entries apart.
    pub instance: String,
    /// The room's display name.
    pub name: String,
    /// The room to join.
    pub room: String,
    /// The relay's addresses, IPv4 first (link-local IPv6 left out: an invite cannot
    /// say which interface).
    pub addresses: Vec<IpAddr>,
    /// The relay's UDP port.
    pub port: u16,
    /// The relay's certificate fingerprint, as advertised.
    pub fingerprint: Fingerprint,
    /// Whether joining needs the room's key (which is never advertised).
    pub key_required: bool,
}

impl NearbyRoom {
    /// The fingerprint's short form (`3F1C-08AB-77D2-19E0`) people can compare with
    /// the host's.
    pub fn short_fingerprint(&self) -> String {
        self.fingerprint.short()
    }

    /// An invite to the room: every address (IPv4 first), the advertised fingerprint
    /// pinned, and `room_key` (ask for it when [`NearbyRoom::key_required`]).
    pub fn invite(&self, room_key: Option<String>) -> Invite {
        let mut addresses = self.addresses.iter().map(|ip| Address {
            host: ip.to_string(),
            port: self.port,
        });
        let first = addresses.next().expect("a nearby room has an address");
        let room = (self.room != common::protocol::DEFAULT_ROOM).then(|| self.room.clone());
        Invite {
            host: first.host,
            port: first.port,
            more: addresses.collect(),
            fingerprint: Some(self.fingerprint),
            room,
            room_key,
        }
    }
}

/// A service as the mDNS daemon resolved it, as plain data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// The instance's full name.
    pub fullname: String,
    /// The SRV record's port.
    pub port: u16,
    /// The addresses found for its host.
    pub addresses: Vec<IpAddr>,
    /// The TXT record's key/value pairs.
    pub txt: Vec<(String, String)>,
}

/// Why a resolved service is not listed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// The TXT record is malformed or from another protocol version.
    #[error("{0}")]
    Record(#[from] LanRecordError),
    /// No address a client could dial.
    #[error("no usable address")]
    NoAddress,
    /// Port 0.
    #[error("no port")]
    NoPort,
}

/// What the list learnt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A service was resolved (again: its record or addresses may have changed).
    Resolved(Resolved),
    /// A service went away (its goodbye, or its records expired).
    Removed(String),
}

/// The rooms nearby by instance.
#[derive(Clone, Debug, Default)]
pub struct NearbyList {
    rooms: BTreeMap<String, NearbyRoom>,
}

impl NearbyList {
    /// Applies a change: `Ok(true)` when the list changed. A service whose record is
    /// malformed is left out (and one listed before is removed): `Err` says why.
    pub fn apply(&mut self, change: Change) -> Result<bool, Skip> {
        match change {
            Change::Removed(fullname) => Ok(self.rooms.remove(&key(&fullname)).is_some()),
            Change::Resolved(service) => {
                let key = key(&service.fullname);
                match parse(service) {
                    Ok(room) => Ok(self.rooms.insert(key, room.clone()) != Some(room)),
                    Err(skip) => {
                        self.rooms.remove(&key);
                        Err(skip)
                    }
                }
            }
        }
    }

    /// The rooms, by display name (ignoring case), then by instance.
    pub fn rooms(&self) -> Vec<NearbyRoom> {
        let mut rooms: Vec<NearbyRoom> = self.rooms.values().cloned().collect();
        rooms.sort_by_cached_key(|r| (r.name.to_lowercase(), r.instance.to_lowercase()));
        rooms
    }
}

/// DNS names compare without case.
fn key(fullname: &str) -> String {
    fullname.to_lowercase()
}

/// A resolved service as a room nearby, or why not.
pub fn parse(service: Resolved) -> Result<NearbyRoom, Skip> {
    let instance = instance_label(&service.fullname);
    let record = LanRecord::from_txt(&instance, |k| {
        let found = service
            .txt
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k));
        found.map(|(_, v)| v.as_str())
    })?;
    if service.port == 0 {
        return Err(Skip::NoPort);
    }
    let mut addresses: Vec<IpAddr> = service
        .addresses
        .into_iter()
        .filter(|ip| !ip.is_unspecified() && !ip.is_multicast() && !is_link_local_v6(ip))
        .collect();
    addresses.sort_by_key(|ip| (ip.is_ipv6(), *ip));
    addresses.dedup();
    if addresses.is_empty() {
        return Err(Skip::NoAddress);
    }
    Ok(NearbyRoom {
        instance: service.fullname,
        name: record.name,
        room: record.room,
        addresses,
        port: service.port,
        fingerprint: record.fingerprint,
        key_required: record.key_required,
    })
}

/// The instance part of a full name (before `._piazza._udp.local.`), unescaped.
fn instance_label(fullname: &str) -> String {
    let instance = fullname
        .strip_suffix(common::lan::SERVICE_TYPE)
        .map(|i| i.trim_end_matches('.'))
        .unwrap_or(fullname);
    instance.replace("\\.", ".").replace("\\\\", "\\")
}

fn is_link_local_v6(ip: &IpAddr) -> bool {
    matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80)
}

#[cfg(test)]
mod tests {
    use common::lan::LanRecord;

    use super::*;

    const TYPE: &str = common::lan::SERVICE_TYPE;

    fn service(name: &str, fp: u8, addrs: &[&str]) -> Resolved {
        let record = LanRecord::new(name, Some("kitchen"), Fingerprint([fp; 32]), fp % 2 == 1);
        Resolved {
            fullname: format!("{}.{TYPE}", record.instance_name()),
            port: 4433,
            addresses: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            txt: record
                .to_txt()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        }
    }

    fn names(list: &NearbyList) -> Vec<String> {
        list.rooms().into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn resolved_services_are_listed_by_name_and_removed_when_they_go() {
        let mut list = NearbyList::default();
        assert_eq!(
            list.apply(Change::Resolved(service("zeta", 2, &["10.0.0.2"]))),
            Ok(true)
        );
        assert_eq!(
            list.apply(Change::Resolved(service("Alpha", 4, &["10.0.0.4"]))),
            Ok(true)
        );
        assert_eq!(
            list.apply(Change::Resolved(service("beta", 6, &["10.0.0.6"]))),
            Ok(true)
        );
        assert_eq!(names(&list), ["Alpha", "beta", "zeta"]);
        let gone = service("beta", 6, &[]).fullname.to_uppercase();
        assert_eq!(list.apply(Change::Removed(gone)), Ok(true));
        assert_eq!(names(&list), ["Alpha", "zeta"]);
        assert_eq!(
            list.apply(Change::Removed("nobody._piazza._udp.local.".into())),
            Ok(false)
        );
    }

    #[test]
    fn a_service_resolved_again_is_one_entry_updated() {
        let mut list = NearbyList::default();
        list.apply(Change::Resolved(service("a", 2, &["10.0.0.2"])))
            .unwrap();
        assert_eq!(
            list.apply(Change::Resolved(service("a", 2, &["10.0.0.2"]))),
            Ok(false)
        );
        let moved = service("a", 2, &["10.0.0.9", "fd00::9"]);
        assert_eq!(list.apply(Change::Resolved(moved)), Ok(true));
        let rooms = list.rooms();
        assert_eq!(rooms.len(), 1);
        assert_eq!(rooms[0].addresses.len(), 2);
    }

    #[test]
    fn two_relays_with_one_name_are_two_entries() {
        let mut list = NearbyList::default();
        list.apply(Change::Resolved(service("Party", 2, &["10.0.0.2"])))
            .unwrap();
        list.apply(Change::Resolved(service("Party", 4, &["10.0.0.4"])))
            .unwrap();
        let rooms = list.rooms();
        assert_eq!(names(&list), ["Party", "Party"]);
        assert_ne!(rooms[0].short_fingerprint(), rooms[1].short_fingerprint());
    }

    #[test]
    fn malformed_records_are_skipped_with_a_reason_and_drop_an_earlier_entry() {
        let mut list = NearbyList::default();
        let good = service("a", 2, &["10.0.0.2"]);
        list.apply(Change::Resolved(good.clone())).unwrap();
        let mut bad_fp = good.clone();
        bad_fp.txt[1].1 = "xyz".into();
        assert!(matches!(
            list.apply(Change::Resolved(bad_fp)),
            Err(Skip::Record(LanRecordError::Fingerprint(_)))
        ));
        assert!(list.rooms().is_empty());
        let mut old = good.clone();
        old.txt[0].1 = "1".into();
        assert!(matches!(
            list.apply(Change::Resolved(old)),
            Err(Skip::Record(LanRecordError::Version(_)))
        ));
        let link_local_only = service("b", 4, &["fe80::1"]);
        assert_eq!(
            list.apply(Change::Resolved(link_local_only)),
            Err(Skip::NoAddress)
        );
        let mut no_txt = good;
        no_txt.txt.clear();
        assert!(list.apply(Change::Resolved(no_txt)).is_err());
        assert!(list.rooms().is_empty());
    }

    #[test]
    fn the_invite_lists_every_address_ipv4_first_and_pins_the_fingerprint() {
        let room = parse(service("a", 3, &["fd00::2", "fe80::1", "192.0.2.2"])).unwrap();
        assert!(room.key_required);
        assert_eq!(room.short_fingerprint(), "0303-0303-0303-0303");
        let invite = room.invite(Some("secret".into()));
        assert_eq!(invite.authorities(), "192.0.2.2:4433, [fd00::2]:4433");
        assert_eq!(invite.fingerprint, Some(Fingerprint([3; 32])));
        assert_eq!(invite.room.as_deref(), Some("kitchen"));
        assert_eq!(invite.room_key.as_deref(), Some("secret"));
        let again: Invite = invite.to_string().parse().unwrap();
        assert_eq!(again, invite);
    }

    #[test]
    fn the_default_room_makes_an_invite_without_a_room() {
        let mut s = service("a", 2, &["10.0.0.2"]);
        s.txt[3].1 = common::protocol::DEFAULT_ROOM.into();
        assert_eq!(parse(s).unwrap().invite(None).room, None);
    }

    #[test]
    fn the_instance_label_stands_in_for_a_missing_name() {
        let mut s = service("a", 2, &["10.0.0.2"]);
        s.fullname = format!("My\\.room.{TYPE}");
        s.txt.retain(|(k, _)| k != "name");
        assert_eq!(parse(s).unwrap().name, "My.room");
    }
}
