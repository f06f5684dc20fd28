//! The rules for display names and message texts: one function for each, called by the
//! relay (which enforces them) and by the app and engine (which explain them before
//! anything is sent).
//!
//! Names follow the spirit of Unicode's identifier and confusable guidance (UAX #31,
//! UTS #39) without being identifiers (spaces, punctuation and emoji are welcome):
//! - [`validate_name`] normalises to NFC, collapses runs of white space to one space,
//!   and refuses control characters, invisible and formatting characters (zero-width
//!   spaces and joiners, bidi controls, variation selectors, tag characters, soft
//!   hyphens: Unicode's *default ignorable* code points), unassigned and private-use
//!   characters, stacks of combining marks, and names with nothing visible at all.
//! - [`name_key`] is what makes two names the same name: compatibility-normalised
//!   (NFKC), lower-cased and reduced to the UTS #39 *confusable skeleton*, so that
//!   "ANNA", "Аnna" (Cyrillic А) and "Anna" are one name, as they look one.
//!
//! Texts: [`clean_text`] is what a client sends (line endings normalised, control
//! characters such as NUL and terminal escapes removed, blank lines around trimmed);
//! [`validate_text`] is what the relay accepts (something visible, no control characters
//! but line breaks and tabs, at most [`MAX_TEXT_CHARS`]).
//!
//! The Unicode data comes from `unicode-normalization`, `unicode-properties` and
//! `unicode-security`.

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_security::{
    general_security_profile::IdentifierType, skeleton, GeneralSecurityProfile,
};

use crate::protocol::{NameError, RejectReason, RoomNameError};

/// Longest display name, in characters (after normalising).
pub const MAX_NAME_CHARS: usize = 32;
/// Longest message text, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Longest room name, in characters.
pub const MAX_ROOM_NAME_CHARS: usize = 40;
/// Most combining marks allowed on one base character.
const MAX_MARKS: usize = 3;

/// What kind of character this is, for the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Shows something.
    Visible,
    /// White space (collapsed in names, kept in texts).
    Space,
    /// A control character (C0, C1, line and paragraph separators).
    Control,
    /// Takes no room or only changes how others show: default ignorable code points
    /// (zero-width characters, bidi controls, variation selectors, tags, …).
    Invisible,
    /// Unassigned, private use or a noncharacter: no reliable rendering.
    Unsupported,
}

fn class(c: char) -> Class {
    if c.is_ascii_graphic() {
        // Most of what people type: the lookups below would all say so, at a cost the
        // relay pays for every character of every message.
        return Class::Visible;
    }
    if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
        return Class::Control;
    }
    if c.is_whitespace() {
        return Class::Space;
    }
    match c.general_category() {
        GeneralCategory::Unassigned | GeneralCategory::PrivateUse | GeneralCategory::Surrogate => {
            return Class::Unsupported
        }
        GeneralCategory::Format => return Class::Invisible,
        _ => {}
    }
    if c.identifier_type() == Some(IdentifierType::Default_Ignorable) {
        // Default ignorable code points outside Cf: Hangul fillers, variation
        // selectors, the combining grapheme joiner.
        return Class::Invisible;
    }
    if skeleton_is_blank(c) {
        // Renders as blank space without being white space (U+2800 BRAILLE PATTERN
        // BLANK): its skeleton is a space.
        return Class::Space;
    }
    Class::Visible
}

fn skeleton_is_blank(c: char) -> bool {
    let mut buf = [0u8; 4];
    let one: &str = c.encode_utf8(&mut buf);
    let blank = skeleton(one).all(char::is_whitespace);
    blank
}

/// Normalises a display name and checks it against the rules; the name to register.
pub fn validate_name(name: &str) -> Result<String, NameError> {
    let normal: String = name.nfc().collect();
    let mut out = String::with_capacity(normal.len());
    let mut visible = false;
    let mut marks = 0;
    let mut pending_space = false;
    for c in normal.chars() {
        match class(c) {
            Class::Control => return Err(NameError::ControlCharacter),
            Class::Invisible => return Err(NameError::InvisibleCharacter),
            Class::Unsupported => return Err(NameError::UnsupportedCharacter),
            Class::Space => {
                pending_space = !out.is_empty();
                marks = 0;
                continue;
            }
            Class::Visible => {}
        }
        if is_combining_mark(c) {
            marks += 1;
            if marks > MAX_MARKS {
                return Err(NameError::UnsupportedCharacter);
            }
        } else {
            marks = 0;
            visible = true;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    if out.is_empty() && normal.chars().all(char::is_whitespace) {
        return Err(NameError::Empty);
    }
    if !visible {
        return Err(NameError::NothingVisible);
    }
    if out.chars().count() > MAX_NAME_CHARS {
        return Err(NameError::TooLong);
    }
    Ok(out)
}

/// The key under which a name is unique: names that differ only in letter case, in
/// Unicode normal form, in spacing or by look-alike characters (from any script) are
/// the same name, so nobody can pass for someone else.
pub fn name_key(name: &str) -> String {
    let folded: String = name.nfkc().flat_map(char::to_lowercase).collect();
    let skeleton: String = skeleton(&folded).flat_map(char::to_lowercase).collect();
    let mut key = String::with_capacity(skeleton.len());
    for word in skeleton.nfc().collect::<String>().split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(word);
    }
    key
}

/// Checks a room's name and returns it as the relay keeps it: letters a–z (capitals are
/// taken as small ones), digits, `-` and `_`, starting with a letter or a digit, at most
/// [`MAX_ROOM_NAME_CHARS`]. One clear rule that fits in an invite's address as it is
/// (`piazza://host:4433/classe-3b`) and reads aloud without ambiguity.
pub fn validate_room_name(name: &str) -> Result<String, RoomNameError> {
    let name = name.trim().to_ascii_lowercase();
    if name.is_empty() {
        return Err(RoomNameError::Empty);
    }
    if name.chars().count() > MAX_ROOM_NAME_CHARS {
        return Err(RoomNameError::TooLong);
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !first_ok || !name.chars().all(allowed) {
        return Err(RoomNameError::BadCharacter);
    }
    Ok(name)
}

/// A text as a client should send it: `\r\n` and `\r` become `\n`, every other control
/// character (NUL, escape sequences' ESC, …) but tab is removed, and white space around
/// the text is trimmed.
pub fn clean_text(text: &str) -> String {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    let kept: String = unified
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect();
    kept.trim().to_owned()
}

/// Checks a message text against the rules the relay enforces. The text is taken as
/// sent (see [`clean_text`]).
pub fn validate_text(text: &str) -> Result<(), RejectReason> {
    let mut visible = false;
    let mut count = 0;
    for c in text.chars() {
        count += 1;
        match class(c) {
            Class::Control if c != '\n' && c != '\t' => return Err(RejectReason::ControlCharacter),
            Class::Visible => visible = true,
            _ => {}
        }
    }
    if !visible {
        return Err(RejectReason::EmptyText);
    }
    if count > MAX_TEXT_CHARS {
        return Err(RejectReason::TextTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_trimmed_and_collapsed() {
        assert_eq!(validate_name("  Anna ").unwrap(), "Anna");
        assert_eq!(validate_name("Anna \u{3000}  Rossi").unwrap(), "Anna Rossi");
        // "André" typed with a combining acute is stored composed.
        assert_eq!(validate_name("Andre\u{301}").unwrap(), "Andr\u{e9}");
        assert_eq!(validate_name(&"è".repeat(32)).unwrap().chars().count(), 32);
        assert_eq!(validate_name("Marco 🎸").unwrap(), "Marco 🎸");
        assert_eq!(
            validate_name("Jean-Luc O'Brien").unwrap(),
            "Jean-Luc O'Brien"
        );
        assert_eq!(validate_name("Zoë").unwrap(), "Zoë");
        assert_eq!(validate_name("李小龙").unwrap(), "李小龙");
        assert_eq!(validate_name("محمد").unwrap(), "محمد");
    }

    #[test]
    fn names_with_hidden_or_broken_characters_are_refused() {
        assert_eq!(validate_name("   "), Err(NameError::Empty));
        assert_eq!(validate_name(""), Err(NameError::Empty));
        assert_eq!(validate_name("a\nb"), Err(NameError::ControlCharacter));
        assert_eq!(
            validate_name("a\u{2028}b"),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(validate_name(&"x".repeat(33)), Err(NameError::TooLong));
        for hidden in [
            "\u{200b}",  // zero-width space
            "\u{200d}",  // zero-width joiner
            "\u{2060}",  // word joiner
            "\u{feff}",  // byte order mark
            "\u{ad}",    // soft hyphen
            "\u{200e}",  // left-to-right mark
            "\u{fe0f}",  // variation selector
            "\u{34f}",   // combining grapheme joiner
            "\u{e0041}", // tag character
            "\u{202e}",  // right-to-left override
        ] {
            assert_eq!(
                validate_name(&format!("Anna{hidden}")),
                Err(NameError::InvisibleCharacter),
                "{hidden:?}"
            );
        }
        assert_eq!(
            validate_name("\u{202e}oirad"),
            Err(NameError::InvisibleCharacter)
        );
        assert_eq!(
            validate_name("\u{e000}x"),
            Err(NameError::UnsupportedCharacter)
        );
        assert_eq!(
            validate_name(&format!("a{}", "\u{301}".repeat(5))),
            Err(NameError::UnsupportedCharacter)
        );
    }

    #[test]
    fn names_with_nothing_visible_are_refused() {
        for blank in [
            "\u{200b}",
            "\u{202e}",
            "\u{3164}",
            "\u{2800}",
            "\u{2800} \u{2800}",
        ] {
            assert!(validate_name(blank).is_err(), "{blank:?}");
        }
        assert_eq!(validate_name("\u{2800}"), Err(NameError::NothingVisible));
        assert_eq!(validate_name("\u{301}"), Err(NameError::NothingVisible));
    }

    #[test]
    fn names_that_look_alike_have_one_key() {
        let anna = name_key("Anna");
        for same in ["anna", "ANNA", " Anna ", "\u{410}nna", "Ann\u{430}"] {
            assert_eq!(name_key(same), anna, "{same:?}");
        }
        assert_eq!(name_key("André"), name_key("Andre\u{301}"));
        // Cyrillic Е and Greek Ο against Latin E and O.
        assert_eq!(name_key("\u{415}lena"), name_key("Elena"));
        assert_eq!(name_key("\u{39f}tto"), name_key("Otto"));
        assert_eq!(name_key("Anna  Rossi"), name_key("anna rossi"));
        assert_ne!(name_key("Anna"), name_key("Anne"));
        assert_ne!(name_key("Anna Rossi"), name_key("AnnaRossi"));
        // Full-width letters are compatibility forms of the plain ones.
        assert_eq!(name_key("Ａｎｎａ"), anna);
    }

    #[test]
    fn room_names_follow_one_clear_rule() {
        assert_eq!(validate_room_name("Classe-3B").unwrap(), "classe-3b");
        assert_eq!(validate_room_name(" prof_rossi ").unwrap(), "prof_rossi");
        assert_eq!(validate_room_name("3b").unwrap(), "3b");
        assert_eq!(validate_room_name(""), Err(RoomNameError::Empty));
        assert_eq!(
            validate_room_name(&"a".repeat(41)),
            Err(RoomNameError::TooLong)
        );
        for bad in ["città", "classe 3b", "-3b", "_x", "a/b", "a?b", "аnna"] {
            assert_eq!(
                validate_room_name(bad),
                Err(RoomNameError::BadCharacter),
                "{bad}"
            );
        }
    }

    #[test]
    fn texts_are_cleaned_for_sending() {
        assert_eq!(clean_text("  ciao\r\na tutti\n\n"), "ciao\na tutti");
        assert_eq!(clean_text("a\0b\u{1b}[31mc\u{7}"), "ab[31mc");
        assert_eq!(clean_text("col\tonne"), "col\tonne");
        assert_eq!(clean_text("\u{85}x"), "x");
    }

    #[test]
    fn texts_are_checked() {
        assert_eq!(validate_text(" \n "), Err(RejectReason::EmptyText));
        assert_eq!(validate_text(""), Err(RejectReason::EmptyText));
        assert_eq!(
            validate_text("\u{200b}\u{2060}\u{feff}"),
            Err(RejectReason::EmptyText)
        );
        assert_eq!(
            validate_text("\u{2800}\u{3164}"),
            Err(RejectReason::EmptyText)
        );
        assert_eq!(validate_text("a\0"), Err(RejectReason::ControlCharacter));
        assert_eq!(
            validate_text("\u{1b}[2J"),
            Err(RejectReason::ControlCharacter)
        );
        assert_eq!(
            validate_text(&"a".repeat(4001)),
            Err(RejectReason::TextTooLong)
        );
        assert!(validate_text(&"a".repeat(4000)).is_ok());
        assert!(validate_text("riga uno\n\triga due").is_ok());
        assert!(validate_text("👍").is_ok());
        assert!(validate_text("שלום \u{200f}!").is_ok());
    }

    proptest::proptest! {
        #[test]
        fn a_valid_name_is_stable_and_keys_like_itself(name in "\\PC{1,40}") {
            if let Ok(valid) = validate_name(&name) {
                proptest::prop_assert_eq!(validate_name(&valid), Ok(valid.clone()));
                proptest::prop_assert_eq!(name_key(&valid), name_key(&name));
                proptest::prop_assert!(!name_key(&valid).is_empty());
            }
        }

        #[test]
        fn a_cleaned_text_is_valid_or_empty(text in "\\PC{0,60}|[\\x00-\\x20a\\n\\r]{0,20}") {
            let cleaned = clean_text(&text);
            match validate_text(&cleaned) {
                Ok(()) | Err(RejectReason::EmptyText) => {}
                Err(other) => proptest::prop_assert!(false, "{other:?} for {cleaned:?}"),
            }
        }
    }
}
