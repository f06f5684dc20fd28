//! Rooms nearby: what a relay hosting a room on the LAN advertises with DNS-SD over mDNS
//! (service type [`SERVICE_TYPE`]), and how a client reads it back. Pure: the relay
//! (`relay::lan`) registers the service, the engine (`engine::nearby`) browses for it,
//! both through this one [`LanRecord`].
//!
//! mDNS is unauthenticated: anyone on the LAN can advertise any name and fingerprint.
//! What a record says is a hint; the invite (QR code or link) from the host stays the
//! verified path, and a client shows [`Fingerprint::short`] so people can compare it.

use std::fmt;

use crate::{
    fingerprint::Fingerprint,
    protocol::{DEFAULT_ROOM, PROTOCOL_VERSION},
    rules::validate_room_name,
};

/// The DNS-SD service type (with its domain) of Piazza relays on the LAN.
pub const SERVICE_TYPE: &str = "_piazza._udp.local.";
/// TXT key: the protocol version the relay speaks.
pub const TXT_VERSION: &str = "v";
/// TXT key: the relay's certificate fingerprint, 64 hex digits.
pub const TXT_FINGERPRINT: &str = "fp";
/// TXT key: the room's display name, as the host typed it.
pub const TXT_NAME: &str = "name";
/// TXT key: the room to join (a room name as `validate_room_name` returns it).
pub const TXT_ROOM: &str = "room";
/// TXT key: `1` if joining the room needs its key (the key itself is never advertised),
/// `0` otherwise.
pub const TXT_KEY: &str = "key";
/// Most bytes of a DNS-SD instance name (one DNS label).
pub const MAX_INSTANCE_BYTES: usize = 63;
/// Most bytes of the display name in the TXT record (one TXT string is at most 255
/// bytes, key and `=` included).
pub const MAX_NAME_BYTES: usize = 200;

/// What a relay advertises about its hosted room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanRecord {
    /// The room's display name.
    pub name: String,
    /// The room to join.
    pub room: String,
    /// The relay's certificate fingerprint, pinned by the invite made from the record.
    pub fingerprint: Fingerprint,
    /// Whether joining needs the room's key.
    pub key_required: bool,
}

/// Why a TXT record was not taken as a room nearby.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LanRecordError {
    /// A key the record must have is missing.
    #[error("the record has no {0:?}")]
    Missing(&'static str),
    /// The relay speaks another protocol version (or wrote no number).
    #[error("protocol version {0:?}, this client speaks {PROTOCOL_VERSION}")]
    Version(String),
    /// The fingerprint is not 64 hex digits.
    #[error("the fingerprint {0:?} is malformed")]
    Fingerprint(String),
    /// The room name breaks the rule for room names.
    #[error("the room {0:?} is not a valid room name")]
    Room(String),
    /// The key flag is neither `0` nor `1`.
    #[error("the key flag {0:?} is neither 0 nor 1")]
    KeyFlag(String),
}

impl LanRecord {
    /// The record of `room` (`None`: the default room) named `name` on a relay with
    /// `fingerprint`; the name is cleaned ([`clean_display_name`]).
    pub fn new(
        name: &str,
        room: Option<&str>,
        fingerprint: Fingerprint,
        key_required: bool,
    ) -> Self {
        Self {
            name: clean_display_name(name, MAX_NAME_BYTES),
            room: room.unwrap_or(DEFAULT_ROOM).to_owned(),
            fingerprint,
            key_required,
        }
    }

    /// The TXT record's key/value pairs.
    pub fn to_txt(&self) -> Vec<(&'static str, String)> {
        vec![
            (TXT_VERSION, PROTOCOL_VERSION.to_string()),
            (TXT_FINGERPRINT, self.fingerprint.to_string()),
            (TXT_NAME, self.name.clone()),
            (TXT_ROOM, self.room.clone()),
            (
                TXT_KEY,
                if self.key_required { "1" } else { "0" }.to_owned(),
            ),
        ]
    }

    /// Reads a TXT record, `get` looking its keys up. A missing name falls back to
    /// `instance` (the DNS-SD instance name).
    pub fn from_txt<'a>(
        instance: &str,
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, LanRecordError> {
        let need = |key: &'static str| get(key).ok_or(LanRecordError::Missing(key));
        let version = need(TXT_VERSION)?;
        if version.trim().parse::<u16>().ok() != Some(PROTOCOL_VERSION) {
            return Err(LanRecordError::Version(version.to_owned()));
        }
        let fp = need(TXT_FINGERPRINT)?;
        let fingerprint = fp
            .parse()
            .map_err(|_| LanRecordError::Fingerprint(fp.to_owned()))?;
        let room = match get(TXT_ROOM) {
            None => DEFAULT_ROOM.to_owned(),
            Some(room) => {
                validate_room_name(room).map_err(|_| LanRecordError::Room(room.to_owned()))?
            }
        };
        let key_required = match need(TXT_KEY)? {
            "0" => false,
            "1" => true,
            other => return Err(LanRecordError::KeyFlag(other.to_owned())),
        };
        let name = match get(TXT_NAME).map(|n| clean_display_name(n, MAX_NAME_BYTES)) {
            Some(name) if !name.is_empty() => name,
            _ => clean_display_name(instance, MAX_INSTANCE_BYTES),
        };
        Ok(Self {
            name,
            room,
            fingerprint,
            key_required,
        })
    }

    /// The DNS-SD instance name: the display name, cut to fit one DNS label with the
    /// fingerprint's first group after it (`Marco's room (3F1C)`), so that two relays
    /// with the same name on one LAN stay apart.
    pub fn instance_name(&self) -> String {
        let tag = format!(" ({})", &self.fingerprint.short()[..4]);
        let mut name = clean_display_name(&self.name, MAX_INSTANCE_BYTES - tag.len());
        if name.is_empty() {
            name = "Piazza".to_owned();
        }
        name + &tag
    }
}

impl fmt::Display for LanRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.fingerprint.short())
    }
}

/// `name` without control characters, runs of whitespace made one space, trimmed, and
/// cut (at a character boundary) to at most `max_bytes` bytes.
pub fn clean_display_name(name: &str, max_bytes: usize) -> String {
    let words: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = String::new();
    for c in words.join(" ").chars() {
        if out.len() + c.len_utf8() > max_bytes {
            break;
        }
        out.push(c);
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp() -> Fingerprint {
        Fingerprint([0x3f; 32])
    }

    fn read(txt: &[(&'static str, String)]) -> Result<LanRecord, LanRecordError> {
        LanRecord::from_txt("inst", |k| {
            txt.iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.as_str())
        })
    }

    #[test]
    fn the_txt_record_holds_version_fingerprint_name_room_and_key_flag_never_the_key() {
        let record = LanRecord::new("  Marco's\troom ", Some("kitchen"), fp(), true);
        let txt = record.to_txt();
        let keys: Vec<&str> = txt.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["v", "fp", "name", "room", "key"]);
        assert_eq!(txt[0].1, PROTOCOL_VERSION.to_string());
        assert_eq!(txt[1].1, "3f".repeat(32));
        assert_eq!(txt[2].1, "Marco's room");
        assert_eq!(txt[3].1, "kitchen");
        assert_eq!(txt[4].1, "1");
        assert_eq!(read(&txt), Ok(record));
        let open = LanRecord::new("x", None, fp(), false);
        assert_eq!(open.to_txt()[3].1, DEFAULT_ROOM);
        assert_eq!(open.to_txt()[4].1, "0");
    }

    #[test]
    fn every_txt_string_fits_in_255_bytes() {
        let record = LanRecord::new(&"ä".repeat(500), None, fp(), false);
        for (k, v) in record.to_txt() {
            assert!(k.len() + 1 + v.len() <= 255, "{k}");
        }
        assert!(record.name.len() <= MAX_NAME_BYTES);
    }

    #[test]
    fn instance_names_fit_a_dns_label_and_carry_the_fingerprint() {
        let record = LanRecord::new(&"é".repeat(100), None, fp(), false);
        let instance = record.instance_name();
        assert!(instance.len() <= MAX_INSTANCE_BYTES, "{instance}");
        assert!(instance.ends_with(" (3F3F)"), "{instance}");
        let blank = LanRecord::new(" \n ", None, fp(), false);
        assert_eq!(blank.instance_name(), "Piazza (3F3F)");
    }

    #[test]
    fn malformed_records_say_why() {
        let good = LanRecord::new("r", None, fp(), false).to_txt();
        let with = |key: &str, value: &str| {
            let mut txt = good.clone();
            txt.iter_mut().find(|(k, _)| *k == key).unwrap().1 = value.to_owned();
            read(&txt)
        };
        assert!(matches!(with("v", "3"), Err(LanRecordError::Version(_))));
        assert!(matches!(with("v", "x"), Err(LanRecordError::Version(_))));
        assert!(matches!(
            with("fp", "abc"),
            Err(LanRecordError::Fingerprint(_))
        ));
        assert!(matches!(with("room", ""), Err(LanRecordError::Room(_))));
        assert!(matches!(
            with("key", "yes"),
            Err(LanRecordError::KeyFlag(_))
        ));
        let without_fp: Vec<_> = good.iter().filter(|(k, _)| *k != "fp").cloned().collect();
        assert_eq!(read(&without_fp), Err(LanRecordError::Missing("fp")));
        let unnamed: Vec<_> = good.iter().filter(|(k, _)| *k != "name").cloned().collect();
        assert_eq!(read(&unnamed).unwrap().name, "inst");
    }
}
