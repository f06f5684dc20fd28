//! Every string the app shows, in Italian and English.
//!
//! [`Lang::detect`] picks Italian when the system locale is Italian and English
//! otherwise; `PIAZZA_LANG=it|en` overrides it. Components get the [`Lang`] as a prop
//! and call its methods, so no visible text lives anywhere else. Reasons that come from
//! the engine (`Problem`, `RefuseReason`, `RejectReason`, …) are translated here from
//! their variants, never shown as `Debug` text. Italian wording fits every name (no
//! gendered participles: "ha raggiunto la piazza", not "è entrato").
//!
//! - this file: the language, its detection, shared helpers;
//! - [`prompt`]: the join screen (names, invites);
//! - [`chat`]: the chat screen (timeline, notices, composer, members);
//! - [`status`]: connection states, problems and the reasons behind them;
//! - [`host`]: hosting a room (sharing its invite, the check code, closing it);
//! - [`moderation`]: removed messages, owners' actions, mutes and removals.

mod chat;
mod host;
mod moderation;
mod prompt;
mod status;

/// The language of the interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English (the fallback).
    #[default]
    En,
    /// Italian.
    It,
}

/// Environment variable that forces a language (`it` or `en`).
pub const LANG_ENV: &str = "PIAZZA_LANG";

impl Lang {
    /// The language for this process: `PIAZZA_LANG`, then `LC_ALL`, `LC_MESSAGES`,
    /// `LANG` (the POSIX order), then the platform's locale (Android, macOS, Windows).
    pub fn detect() -> Self {
        Self::from_sources(|key| std::env::var(key).ok(), sys_locale::get_locale)
    }

    /// [`Lang::detect`] with the environment and system locale given, for tests.
    pub fn from_sources(
        env: impl Fn(&str) -> Option<String>,
        system: impl FnOnce() -> Option<String>,
    ) -> Self {
        if let Some(lang) = env(LANG_ENV).as_deref().and_then(Self::from_tag) {
            return lang;
        }
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            match env(key) {
                // An empty variable does not count; "C"/"POSIX" means no preference.
                Some(value) if !value.trim().is_empty() => {
                    return Self::from_tag(&value).unwrap_or_default();
                }
                _ => {}
            }
        }
        system()
            .as_deref()
            .and_then(Self::from_tag)
            .unwrap_or_default()
    }

    /// Reads a locale tag such as `it_IT.UTF-8`, `it-CH` or `en`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let lower = tag.trim().to_ascii_lowercase();
        let primary = lower.split(['_', '-', '.', '@']).next().unwrap_or("");
        match primary {
            "it" => Some(Self::It),
            "en" => Some(Self::En),
            _ if lower.is_empty() => None,
            _ => Some(Self::En),
        }
    }

    /// The BCP 47 code, for the `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::It => "it",
        }
    }

    fn pick(self, en: &'static str, it: &'static str) -> &'static str {
        match self {
            Self::En => en,
            Self::It => it,
        }
    }

    /// Names as a readable list: "Anna", "Anna and Bruno", "Anna, Bruno and Carla",
    /// "Anna, Bruno and 3 others".
    pub fn names(self, names: &[String]) -> String {
        let and = self.pick("and", "e");
        match names {
            [] => String::new(),
            [one] => one.clone(),
            [a, b] => format!("{a} {and} {b}"),
            [a, b, c] => format!("{a}, {b} {and} {c}"),
            [a, b, rest @ ..] => match self {
                Self::En => format!("{a}, {b} and {} others", rest.len()),
                Self::It => format!("{a}, {b} e altre {} persone", rest.len()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use common::protocol::{JoinRefusal, RejectReason};
    use engine::Problem;

    use super::*;

    fn detect(vars: &[(&str, &str)], system: Option<&str>) -> Lang {
        Lang::from_sources(
            |key| {
                vars.iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| (*v).to_owned())
            },
            || system.map(str::to_owned),
        )
    }

    #[test]
    fn italian_locales_pick_italian() {
        assert_eq!(detect(&[("LANG", "it_IT.UTF-8")], None), Lang::It);
        assert_eq!(detect(&[("LC_ALL", "it_CH")], None), Lang::It);
        assert_eq!(detect(&[("LC_MESSAGES", "it")], None), Lang::It);
        assert_eq!(detect(&[], Some("it-IT")), Lang::It);
    }

    #[test]
    fn other_locales_pick_english() {
        assert_eq!(detect(&[("LANG", "de_DE.UTF-8")], Some("it-IT")), Lang::En);
        assert_eq!(detect(&[("LANG", "C")], None), Lang::En);
        assert_eq!(detect(&[], None), Lang::En);
        assert_eq!(detect(&[], Some("fr-FR")), Lang::En);
    }

    #[test]
    fn posix_order_and_override() {
        assert_eq!(
            detect(&[("LC_ALL", "en_US"), ("LANG", "it_IT")], None),
            Lang::En
        );
        assert_eq!(detect(&[("LC_ALL", ""), ("LANG", "it_IT")], None), Lang::It);
        assert_eq!(
            detect(&[("PIAZZA_LANG", "it"), ("LANG", "en_US")], None),
            Lang::It
        );
        assert_eq!(
            detect(&[("PIAZZA_LANG", "en"), ("LANG", "it_IT")], None),
            Lang::En
        );
        // An empty override falls through to the locale.
        assert_eq!(
            detect(&[("PIAZZA_LANG", ""), ("LANG", "it_IT")], None),
            Lang::It
        );
    }

    #[test]
    fn name_lists_read_naturally() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Lang::En.names(&names(&["Anna"])), "Anna");
        assert_eq!(Lang::It.names(&names(&["Anna", "Bruno"])), "Anna e Bruno");
        assert_eq!(Lang::En.names(&names(&["A", "B", "C"])), "A, B and C");
        assert_eq!(
            Lang::It.names(&names(&["A", "B", "C", "D", "E"])),
            "A, B e altre 3 persone"
        );
    }

    #[test]
    fn reasons_are_translated_not_debug() {
        for lang in [Lang::En, Lang::It] {
            let text = lang.problem(&Problem::JoinRefused(JoinRefusal::NameTaken));
            assert!(!text.contains("NameTaken"), "{text}");
            let text = lang.not_sent(RejectReason::RateLimited);
            assert!(!text.contains("RateLimited"), "{text}");
        }
        assert_eq!(Lang::It.send_button(), "Invia");
        assert_eq!(Lang::En.send_button(), "Send");
    }
}
