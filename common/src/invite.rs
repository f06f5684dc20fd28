//! The invite: one string a relay's host hands to people.
//!
//! `piazza://host:4433/<room>?fp=<sha-256 hex>&key=<room key>` names the relay and the
//! room, pins the relay's self-signed certificate and carries the room key if the room
//! has one. A relay reachable at several addresses (the relays of a cluster, which
//! share one certificate) lists them all,
//! `piazza://a.example:4433,b.example:4433/room?fp=…`, and a client tries the next one
//! when one fails. Without a room (`piazza://host:4433/?fp=…`, every invite of earlier
//! versions) it means the relay's default room, [`DEFAULT_ROOM`]. A bare
//! `host:port` (or `piazza://host:port` without `fp`) means the relay has a certificate
//! from a public CA and is checked against the web PKI roots.

use std::{fmt, str::FromStr};

use url::Url;

use crate::{
    fingerprint::{Fingerprint, FingerprintError, Trust},
    protocol::{RoomNameError, DEFAULT_ROOM},
    rules::validate_room_name,
};

/// The scheme of invite links.
pub const SCHEME: &str = "piazza";
/// The port a relay listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 4433;

/// One address of a relay: a host and a UDP port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    /// DNS name or IP address (IPv6 without brackets).
    pub host: String,
    /// UDP port.
    pub port: u16,
}

impl Address {
    /// `host:port`, with brackets around an IPv6 address, for resolving.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Where a relay is and how to trust it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invite {
    /// DNS name or IP address (IPv6 without brackets) of the first address.
    pub host: String,
    /// UDP port of the first address.
    pub port: u16,
    /// The relay's other addresses, in the order to try them after the first (the
    /// other relays of a cluster); usually none.
    pub more: Vec<Address>,
    /// Pinned certificate fingerprint; `None` trusts the web PKI.
    pub fingerprint: Option<Fingerprint>,
    /// The room (as [`validate_room_name`] returns it); `None` is the default room.
    pub room: Option<String>,
    /// The room key, if the room has one.
    pub room_key: Option<String>,
}

/// What is wrong with an invite string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    /// Nothing was given.
    #[error("the invite is empty")]
    Empty,
    /// A scheme other than `piazza://`.
    #[error("an invite starts with piazza://, not {0}://")]
    BadScheme(String),
    /// No host name or address.
    #[error("the invite names no host")]
    MissingHost,
    /// A host that cannot stand in an address.
    #[error("{0:?} is not a host name or IP address")]
    BadHost(String),
    /// The port is not a number from 1 to 65535.
    #[error("the port {0:?} is not a number from 1 to 65535")]
    BadPort(String),
    /// The room's name breaks the rule for room names.
    #[error("the room's name in the invite is wrong: {0}")]
    BadRoom(RoomNameError),
    /// The fingerprint parameter is malformed.
    #[error("the certificate fingerprint in the invite is wrong: {0}")]
    Fingerprint(FingerprintError),
    /// The text could not be read as an address at all.
    #[error("the invite is not a valid address: {0}")]
    Malformed(String),
}

impl Invite {
    /// How the client should trust the relay's certificate.
    pub fn trust(&self) -> Trust {
        match self.fingerprint {
            Some(fp) => Trust::Pinned(fp),
            None => Trust::WebPki,
        }
    }

    /// `host:port` of the first address, with brackets around an IPv6 address.
    pub fn authority(&self) -> String {
        self.first().authority()
    }

    /// The relay's addresses for people to read: the first, and how many more
    /// (`a.example:4433 +2`).
    pub fn place_label(&self) -> String {
        match self.more.len() {
            0 => self.authority(),
            more => format!("{} +{more}", self.authority()),
        }
    }

    /// Every address, `host:port`, comma-separated (a tooltip's full list).
    pub fn authorities(&self) -> String {
        let all: Vec<String> = self.addresses().iter().map(Address::authority).collect();
        all.join(", ")
    }

    /// The first address.
    pub fn first(&self) -> Address {
        Address {
            host: self.host.clone(),
            port: self.port,
        }
    }

    /// Every address of the relay, the first one first.
    pub fn addresses(&self) -> Vec<Address> {
        let mut all = vec![self.first()];
        all.extend(self.more.iter().cloned());
        all
    }

    /// The same invite with `address` as its only address (what one connection
    /// attempt dials: its host is also the name the TLS handshake asks for).
    pub fn via(&self, address: &Address) -> Self {
        Self {
            host: address.host.clone(),
            port: address.port,
            more: Vec::new(),
            ..self.clone()
        }
    }

    /// The room's name: the invite's, or the default room's.
    pub fn room_name(&self) -> &str {
        self.room.as_deref().unwrap_or(DEFAULT_ROOM)
    }

    /// The same relay (address and trust), another room.
    pub fn for_room(&self, room: Option<String>, room_key: Option<String>) -> Self {
        Self {
            room,
            room_key,
            ..self.clone()
        }
    }

    /// The name the TLS handshake asks for (SNI).
    pub fn server_name(&self) -> &str {
        &self.host
    }

    /// Checks that `host` (a DNS name or an IP address, IPv6 without brackets) can stand
    /// in an invite, so that the invite of a relay on it can be written out.
    pub fn check_host(host: &str) -> Result<(), InviteError> {
        let probe = Invite {
            host: host.to_owned(),
            port: DEFAULT_PORT,
            more: Vec::new(),
            fingerprint: None,
            room: None,
            room_key: None,
        };
        match probe.url() {
            Some(url) if url.host().is_some_and(|h| !h.to_string().is_empty()) => Ok(()),
            _ => Err(InviteError::BadHost(host.to_owned())),
        }
    }

    /// `piazza://host:port/` as a URL, if the host can stand in one.
    fn url(&self) -> Option<Url> {
        Url::parse(&format!("{SCHEME}://{}/", self.authority())).ok()
    }
}

impl fmt::Display for Invite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hosts are checked where invites are made (`Invite::check_host`, parsing).
        let url = self.with_room_and_query(self.url().ok_or(fmt::Error)?);
        if self.more.is_empty() {
            return f.write_str(url.as_str());
        }
        // The url crate knows one host: the others are written by hand, after the first.
        for address in &self.more {
            Self::check_host(&address.host).map_err(|_| fmt::Error)?;
        }
        let all: Vec<String> = self.addresses().iter().map(Address::authority).collect();
        write!(
            f,
            "{SCHEME}://{}{}",
            all.join(","),
            &url[url::Position::BeforePath..]
        )
    }
}

impl Invite {
    /// `url` (the first address) with the room as its path and the pin and key as its
    /// query.
    fn with_room_and_query(&self, mut url: Url) -> Url {
        if let Some(room) = &self.room {
            url.set_path(room);
        }
        {
            let mut query = url.query_pairs_mut();
            if let Some(fp) = &self.fingerprint {
                query.append_pair("fp", &fp.to_string());
            }
            if let Some(key) = &self.room_key {
                query.append_pair("key", key);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        url
    }
}

/// The query parameter of an *owner invite*: the invite with the relay's owner key
/// (`piazza-relay --owner-key-file`), which makes whoever joins with it an owner of the
/// room. [`Invite`] itself ignores it (an owner invite parses as the plain invite); it
/// is read with [`owner_key_in`] and written with [`owner_invite`]. Keep such links
/// private.
pub const OWNER_PARAM: &str = "owner";

/// The owner key an invite link carries, if it is an owner invite ([`OWNER_PARAM`]).
pub fn owner_key_in(link: &str) -> Option<String> {
    let query = link.trim().split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| name == OWNER_PARAM && !value.is_empty())
        .map(|(_, value)| value.into_owned())
}

/// `invite` as an owner invite carrying `owner_key`.
pub fn owner_invite(invite: &Invite, owner_key: &str) -> String {
    let link = invite.to_string();
    let encoded: String = url::form_urlencoded::byte_serialize(owner_key.as_bytes()).collect();
    let separator = if link.contains('?') { '&' } else { '?' };
    format!("{link}{separator}{OWNER_PARAM}={encoded}")
}

impl FromStr for Invite {
    type Err = InviteError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(InviteError::Empty);
        }
        let with_scheme = match s.split_once("://") {
            Some((scheme, _)) if !scheme.eq_ignore_ascii_case(SCHEME) => {
                return Err(InviteError::BadScheme(scheme.to_owned()))
            }
            Some(_) => s.to_owned(),
            None => format!("{SCHEME}://{s}"),
        };
        // Several addresses: the first makes the invite, the others are added to it.
        let after = &with_scheme[SCHEME.len() + 3..];
        let (authorities, rest) =
            after.split_at(after.find(['/', '?', '#']).unwrap_or(after.len()));
        if let Some((first, others)) = authorities.split_once(',') {
            let mut invite: Invite = format!("{SCHEME}://{first}{rest}").parse()?;
            for part in others.split(',') {
                let address = format!("{SCHEME}://{part}/").parse::<Invite>()?.first();
                if !invite.addresses().contains(&address) {
                    invite.more.push(address);
                }
            }
            return Ok(invite);
        }
        // Check the port by hand: url reports every port problem the same way.
        let authority = authorities;
        let host_part = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        if host_part.is_empty() {
            return Err(InviteError::MissingHost);
        }
        let port = match host_part.rsplit_once(':') {
            // "[::1]" without a port: that colon is inside the brackets.
            Some((host, _)) if host.starts_with('[') && !host.ends_with(']') => None,
            Some(("", _)) => return Err(InviteError::MissingHost),
            Some((_, port)) => match port.parse::<u16>() {
                Ok(p) if p > 0 => Some(p),
                _ => return Err(InviteError::BadPort(port.to_owned())),
            },
            None => None,
        };
        let url = Url::parse(&with_scheme).map_err(|e| match e {
            url::ParseError::EmptyHost => InviteError::MissingHost,
            other => InviteError::Malformed(other.to_string()),
        })?;
        let host = match url.host() {
            None => return Err(InviteError::MissingHost),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
        };
        if host.is_empty() {
            return Err(InviteError::MissingHost);
        }
        let room = match url.path().trim_matches('/') {
            "" => None,
            path => Some(validate_room_name(path).map_err(InviteError::BadRoom)?),
        };
        let mut fingerprint = None;
        let mut room_key = None;
        for (name, value) in url.query_pairs() {
            match name.as_ref() {
                "fp" => {
                    fingerprint = Some(value.parse().map_err(InviteError::Fingerprint)?);
                }
                "key" if !value.is_empty() => room_key = Some(value.into_owned()),
                // Unknown parameters are left for newer versions.
                _ => {}
            }
        }
        Ok(Invite {
            host,
            port: port.or(url.port()).unwrap_or(DEFAULT_PORT),
            more: Vec::new(),
            fingerprint,
            room,
            room_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp() -> Fingerprint {
        Fingerprint::of(b"relay certificate")
    }

    #[test]
    fn round_trips() {
        for invite in [
            Invite {
                host: "chat.example.org".into(),
                port: 4433,
                more: Vec::new(),
                fingerprint: Some(fp()),
                room: Some("classe-3b".into()),
                room_key: Some("segreto & più".into()),
            },
            Invite {
                host: "127.0.0.1".into(),
                port: 9000,
                more: Vec::new(),
                fingerprint: Some(fp()),
                room: None,
                room_key: None,
            },
            Invite {
                host: "::1".into(),
                port: 5000,
                more: Vec::new(),
                fingerprint: None,
                room: Some("3b".into()),
                room_key: None,
            },
        ] {
            let text = invite.to_string();
            assert!(text.starts_with("piazza://"), "{text}");
            assert_eq!(text.parse::<Invite>().unwrap(), invite, "{text}");
        }
    }

    #[test]
    fn an_invite_names_its_room_or_the_default_one() {
        let with = format!("piazza://h:4433/Classe-3B?fp={}", fp());
        let invite: Invite = with.parse().unwrap();
        assert_eq!(invite.room.as_deref(), Some("classe-3b"));
        assert_eq!(invite.room_name(), "classe-3b");
        assert!(invite
            .to_string()
            .starts_with("piazza://h:4433/classe-3b?fp="));
        let old = format!("piazza://h:4433/?fp={}", fp());
        let invite: Invite = old.parse().unwrap();
        assert_eq!(invite.room, None);
        assert_eq!(invite.room_name(), DEFAULT_ROOM);
        assert_eq!(
            invite.to_string(),
            old,
            "invites printed so far are unchanged"
        );
        assert_eq!(
            "piazza://h:4433/città".parse::<Invite>(),
            Err(InviteError::BadRoom(RoomNameError::BadCharacter))
        );
    }

    #[test]
    fn a_relay_at_several_addresses_lists_them_all_in_order() {
        let text = format!(
            "piazza://a.example:4433,b.example:4434,[::1]:5000/classe-3b?fp={}",
            fp()
        );
        let invite: Invite = text.parse().unwrap();
        assert_eq!((invite.host.as_str(), invite.port), ("a.example", 4433));
        let all: Vec<String> = invite.addresses().iter().map(Address::authority).collect();
        assert_eq!(all, ["a.example:4433", "b.example:4434", "[::1]:5000"]);
        assert_eq!(invite.room.as_deref(), Some("classe-3b"));
        assert_eq!(invite.fingerprint, Some(fp()));
        assert_eq!(invite.to_string(), text, "written as it was read");
        assert_eq!(invite.place_label(), "a.example:4433 +2");
        assert_eq!(
            invite.authorities(),
            "a.example:4433, b.example:4434, [::1]:5000"
        );
        // One attempt dials one address, under its own name.
        let b = invite.via(&invite.more[0]);
        assert_eq!((b.server_name(), b.port), ("b.example", 4434));
        assert!(b.more.is_empty());
        assert_eq!(b.room, invite.room);
        // Without a scheme or a port, and with an address twice.
        let invite: Invite = "a.example,b.example,a.example:4433".parse().unwrap();
        assert_eq!(invite.addresses().len(), 2);
        assert_eq!(invite.more[0].port, DEFAULT_PORT);
        // Each address is checked.
        assert_eq!(
            "piazza://a:4433,/x".parse::<Invite>(),
            Err(InviteError::MissingHost)
        );
        assert_eq!(
            "piazza://a:4433,b:0/x".parse::<Invite>(),
            Err(InviteError::BadPort("0".into()))
        );
    }

    #[test]
    fn bare_host_port_trusts_web_pki() {
        let invite: Invite = "chat.example.org:443".parse().unwrap();
        assert_eq!(invite.port, 443);
        assert_eq!(invite.trust(), Trust::WebPki);
        let invite: Invite = "chat.example.org".parse().unwrap();
        assert_eq!(invite.port, DEFAULT_PORT);
        let invite: Invite = "[::1]:7000".parse().unwrap();
        assert_eq!((invite.host.as_str(), invite.port), ("::1", 7000));
        assert_eq!(invite.authority(), "[::1]:7000");
    }

    #[test]
    fn each_malformed_part_has_its_error() {
        assert_eq!("".parse::<Invite>(), Err(InviteError::Empty));
        assert_eq!(
            "https://host:4433/".parse::<Invite>(),
            Err(InviteError::BadScheme("https".into()))
        );
        assert_eq!("piazza://".parse::<Invite>(), Err(InviteError::MissingHost));
        assert_eq!(
            "piazza://:4433/".parse::<Invite>(),
            Err(InviteError::MissingHost)
        );
        assert_eq!(
            "host:99999".parse::<Invite>(),
            Err(InviteError::BadPort("99999".into()))
        );
        assert_eq!(
            "host:abc".parse::<Invite>(),
            Err(InviteError::BadPort("abc".into()))
        );
        assert_eq!(
            "host:0".parse::<Invite>(),
            Err(InviteError::BadPort("0".into()))
        );
        assert_eq!(
            "piazza://host:4433/?fp=abcd".parse::<Invite>(),
            Err(InviteError::Fingerprint(FingerprintError::Length(4)))
        );
        let bad = format!("piazza://host:4433/?fp={}", "g".repeat(64));
        assert_eq!(
            bad.parse::<Invite>(),
            Err(InviteError::Fingerprint(FingerprintError::Encoding))
        );
    }

    #[test]
    fn errors_read_as_plain_words() {
        let e = "ftp://x".parse::<Invite>().unwrap_err().to_string();
        assert!(e.contains("piazza://"), "{e}");
    }

    #[test]
    fn an_owner_invite_is_the_plain_invite_plus_the_owner_key() {
        let invite: Invite = "piazza://relay.example:4433/classe-3b?key=k"
            .parse()
            .unwrap();
        let link = owner_invite(&invite, "s3gr3to & più");
        assert_eq!(
            link.parse::<Invite>().unwrap(),
            invite,
            "the invite is unchanged"
        );
        assert_eq!(owner_key_in(&link).as_deref(), Some("s3gr3to & più"));
        assert_eq!(owner_key_in(&invite.to_string()), None);
        let bare: Invite = "piazza://relay.example".parse().unwrap();
        assert_eq!(
            owner_key_in(&owner_invite(&bare, "k")).as_deref(),
            Some("k")
        );
        assert_eq!(
            owner_key_in("piazza://h/?owner="),
            None,
            "an empty key is none"
        );
    }
}
