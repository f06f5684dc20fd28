//! The operator's room definitions: flags, the rooms file, one checked list, and what a
//! reload changes.

use std::io::Write;

use common::protocol::{JoinRefusal, RoomNameError};

use super::*;
use crate::rooms::key_admits;

#[test]
fn room_flags_give_a_name_and_maybe_a_key_or_a_key_file() {
    assert_eq!(
        RoomConfig::parse_flag("Classe-3B").unwrap(),
        RoomConfig::new("Classe-3B")
    );
    let keyed = RoomConfig::parse_flag("prof:segreto:con:due-punti").unwrap();
    assert_eq!(keyed.name, "prof");
    assert_eq!(keyed.key.as_deref(), Some("segreto:con:due-punti"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prof.key");
    std::fs::write(&file, "dal-file\n").unwrap();
    let from_file = RoomConfig::parse_flag(&format!("prof:@{}", file.display())).unwrap();
    assert_eq!(from_file.key.as_deref(), Some("dal-file"));
    let missing = RoomConfig::parse_flag("prof:@/nessun/file");
    assert!(matches!(missing, Err(RoomsError::File { .. })));
}

#[test]
fn a_rooms_file_lists_rooms_with_keys_key_files_and_archived_flags() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prof.key"), "chiave-prof").unwrap();
    let path = dir.path().join("rooms.toml");
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(
        file,
        r#"
[[room]]
name = "classe-3b"
key = "segreto"

[[room]]
name = "prof"
key_file = "prof.key"

[[room]]
name = "gita"
archived = true
"#
    )
    .unwrap();
    let rooms = read_rooms_file(&path).unwrap();
    assert_eq!(rooms.len(), 3);
    assert_eq!(rooms[0].key.as_deref(), Some("segreto"));
    assert_eq!(
        rooms[1].key.as_deref(),
        Some("chiave-prof"),
        "relative to the file"
    );
    assert!(rooms[2].archived && rooms[2].key.is_none());

    for bad in [
        "[[room]]\nname = \"a\"\nkey = \"k\"\nkey_file = \"f\"\n",
        "[[room]]\nnome = \"a\"\n",
        "[[room]\n",
    ] {
        std::fs::write(&path, bad).unwrap();
        let err = read_rooms_file(&path).unwrap_err();
        assert!(err.to_string().contains("rooms.toml"), "{err}");
    }
    std::fs::write(&path, "").unwrap();
    assert!(
        read_rooms_file(&path).unwrap().is_empty(),
        "an empty file: no rooms"
    );
}

#[test]
fn the_configured_rooms_start_with_the_default_room_and_are_checked() {
    let rooms = configured(
        Some("k"),
        &[RoomConfig::new("Classe-3B"), RoomConfig::new("classe-3b")],
    )
    .unwrap();
    let names: Vec<&str> = rooms.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [DEFAULT_ROOM, "classe-3b"],
        "folded, merged when equal"
    );
    assert_eq!(rooms[0].key.as_deref(), Some("k"));

    let bad = configured(None, &[RoomConfig::new("-no")]);
    assert!(matches!(
        bad,
        Err(RoomsError::BadName {
            reason: RoomNameError::BadCharacter,
            ..
        })
    ));
    let twice = [
        RoomConfig::parse_flag("a:uno").unwrap(),
        RoomConfig::parse_flag("a:due").unwrap(),
    ];
    assert_eq!(configured(None, &twice), Err(RoomsError::Twice("a".into())));
    let empty_key = RoomConfig::parse_flag("a:").unwrap();
    assert_eq!(
        configured(None, &[empty_key]),
        Err(RoomsError::BadKey("a".into()))
    );
    assert!(
        configured(Some(""), &[]).is_err(),
        "the default room's key too"
    );

    // An entry for the default room archives it, or keys it when --room-key does not.
    let mut piazza = RoomConfig::parse_flag("piazza:k2").unwrap();
    piazza.archived = true;
    let rooms = configured(None, std::slice::from_ref(&piazza)).unwrap();
    assert_eq!(rooms.len(), 1);
    assert!(rooms[0].archived);
    assert_eq!(rooms[0].key.as_deref(), Some("k2"));
    assert!(configured(Some("k1"), &[piazza]).is_err());
}

#[test]
fn a_plan_adds_removes_and_changes_rooms_but_never_removes_the_default_one() {
    let old = configured(None, &[RoomConfig::new("a"), RoomConfig::new("b")]).unwrap();
    let mut b = RoomConfig::new("b");
    b.archived = true;
    let new = configured(None, &[b.clone(), RoomConfig::new("c")]).unwrap();
    let plan = Plan::between(&old, &new);
    assert_eq!(plan.added, [RoomConfig::new("c")]);
    assert_eq!(plan.removed, ["a"]);
    assert_eq!(plan.changed, [b]);
    assert_eq!(Plan::between(&new, &new), Plan::default());
    assert!(Plan::between(&old, &[]).removed.len() == 2, "only a and b");
}

#[test]
fn keys_are_required_compared_and_bounded() {
    assert_eq!(key_admits(None, None), Ok(()));
    assert_eq!(
        key_admits(None, Some("any")),
        Ok(()),
        "a public room ignores keys"
    );
    assert_eq!(
        key_admits(Some("k"), None),
        Err(JoinRefusal::RoomKeyRequired)
    );
    assert_eq!(
        key_admits(Some("k"), Some("x")),
        Err(JoinRefusal::RoomKeyWrong)
    );
    assert_eq!(key_admits(Some("k"), Some("k")), Ok(()));
    let long = "k".repeat(MAX_ROOM_KEY_CHARS + 1);
    assert_eq!(
        key_admits(Some("k"), Some(&long)),
        Err(JoinRefusal::RoomKeyWrong)
    );
}
