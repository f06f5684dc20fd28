//! Admission: a hello checked against the relay's rules (protocol version, the name
//! rules of `common::rules`). Rooms and their keys are checked per join. Pure.

use common::{
    protocol::{Hello, RefuseReason, PROTOCOL_VERSION},
    rules::validate_name,
};

/// The name to register (normalised) if `hello` may open a session.
pub(super) fn admit(hello: &Hello) -> Result<String, RefuseReason> {
    if hello.version != PROTOCOL_VERSION {
        return Err(RefuseReason::VersionMismatch {
            relay: PROTOCOL_VERSION,
        });
    }
    validate_name(&hello.name).map_err(RefuseReason::BadName)
}

#[cfg(test)]
mod tests {
    use common::protocol::{InstallId, NameError};

    use super::*;

    fn hello(name: &str) -> Hello {
        Hello::new(name, InstallId([1; 16]))
    }

    #[test]
    fn a_hello_is_admitted_with_its_name_normalised() {
        assert_eq!(admit(&hello("  Andre\u{301} ")).unwrap(), "Andr\u{e9}");
        let mut with_key = hello("Anna");
        with_key.room_key = Some("ignored since v4".into());
        assert_eq!(admit(&with_key).unwrap(), "Anna");
    }

    #[test]
    fn wrong_versions_and_names_are_refused_with_their_reason() {
        for version in [2, 3, 4, PROTOCOL_VERSION + 1] {
            let mut old = hello("Anna");
            old.version = version;
            assert_eq!(
                admit(&old),
                Err(RefuseReason::VersionMismatch {
                    relay: PROTOCOL_VERSION
                })
            );
        }
        assert_eq!(
            admit(&hello("Anna\u{200b}")),
            Err(RefuseReason::BadName(NameError::InvisibleCharacter))
        );
    }
}
