//! Admission: a hello checked against the relay's rules (protocol version, room key,
//! the name rules of `common::rules`). Pure.

use common::{
    fingerprint::constant_time_eq,
    protocol::{Hello, RefuseReason, MAX_ROOM_KEY_CHARS, PROTOCOL_VERSION},
    rules::validate_name,
};

/// The name to register (normalised) if `hello` may join a room keyed `room_key`.
pub(super) fn admit(hello: &Hello, room_key: Option<&str>) -> Result<String, RefuseReason> {
    if hello.version != PROTOCOL_VERSION {
        return Err(RefuseReason::VersionMismatch {
            relay: PROTOCOL_VERSION,
        });
    }
    if let Some(key) = room_key {
        match &hello.room_key {
            None => return Err(RefuseReason::RoomKeyRequired),
            Some(given) if given.chars().count() > MAX_ROOM_KEY_CHARS => {
                return Err(RefuseReason::RoomKeyWrong)
            }
            Some(given) if !constant_time_eq(given.as_bytes(), key.as_bytes()) => {
                return Err(RefuseReason::RoomKeyWrong)
            }
            Some(_) => {}
        }
    }
    validate_name(&hello.name).map_err(RefuseReason::BadName)
}

#[cfg(test)]
mod tests {
    use common::protocol::{InstallId, NameError};

    use super::*;

    fn hello(name: &str, key: Option<&str>) -> Hello {
        Hello {
            version: PROTOCOL_VERSION,
            name: name.into(),
            install: InstallId([1; 16]),
            room_key: key.map(Into::into),
            resume_after: None,
        }
    }

    #[test]
    fn a_hello_is_admitted_with_its_name_normalised() {
        assert_eq!(
            admit(&hello("  Andre\u{301} ", None), None).unwrap(),
            "Andr\u{e9}"
        );
        assert_eq!(admit(&hello("Anna", Some("k")), Some("k")).unwrap(), "Anna");
    }

    #[test]
    fn wrong_versions_keys_and_names_are_refused_with_their_reason() {
        let mut old = hello("Anna", None);
        old.version = 2;
        assert_eq!(
            admit(&old, None),
            Err(RefuseReason::VersionMismatch {
                relay: PROTOCOL_VERSION
            })
        );
        assert_eq!(
            admit(&hello("Anna", None), Some("k")),
            Err(RefuseReason::RoomKeyRequired)
        );
        assert_eq!(
            admit(&hello("Anna", Some("x")), Some("k")),
            Err(RefuseReason::RoomKeyWrong)
        );
        let long = "k".repeat(MAX_ROOM_KEY_CHARS + 1);
        assert_eq!(
            admit(&hello("Anna", Some(&long)), Some("k")),
            Err(RefuseReason::RoomKeyWrong)
        );
        assert_eq!(
            admit(&hello("Anna\u{200b}", None), None),
            Err(RefuseReason::BadName(NameError::InvisibleCharacter))
        );
    }
}
