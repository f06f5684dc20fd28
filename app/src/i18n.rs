//! Every string the app shows, in Italian and English.
//!
//! [`Lang::detect`] picks Italian when the system locale is Italian and English
//! otherwise; `PIAZZA_LANG=it|en` overrides it. Components get the [`Lang`] as a prop
//! and call its methods, so no visible text lives anywhere else. Reasons that come from
//! the engine ([`Problem`], [`RefuseReason`], [`RejectReason`], …) are translated here
//! from their variants, never shown as `Debug` text.

use common::{
    client::Problem,
    invite::InviteError,
    protocol::{
        ByeReason, LeaveReason, NameError, RefuseReason, RejectReason, MAX_NAME_CHARS,
        MAX_TEXT_CHARS, PROTOCOL_VERSION,
    },
};

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

    // ---- name prompt -------------------------------------------------------------

    /// The app's name.
    pub fn app_name(self) -> &'static str {
        "Piazza"
    }

    /// Under the title of the join screen.
    pub fn tagline(self) -> &'static str {
        self.pick(
            "Chat with everyone on your relay.",
            "Chiacchiera con tutti sul tuo relay.",
        )
    }

    /// Label of the name field.
    pub fn name_label(self) -> &'static str {
        self.pick("Your name", "Il tuo nome")
    }

    /// Placeholder of the name field.
    pub fn name_placeholder(self) -> &'static str {
        self.pick("e.g. Giulia", "es. Giulia")
    }

    /// Label of the invite field.
    pub fn invite_label(self) -> &'static str {
        self.pick("Relay invite", "Invito del relay")
    }

    /// Placeholder of the invite field.
    pub fn invite_placeholder(self) -> &'static str {
        "piazza://host:4433/?fp=…"
    }

    /// Help under the invite field.
    pub fn invite_help(self) -> &'static str {
        self.pick(
            "Paste the invite the relay's host gave you.",
            "Incolla l'invito che ti ha dato chi gestisce il relay.",
        )
    }

    /// The join button.
    pub fn join_button(self) -> &'static str {
        self.pick("Join", "Entra")
    }

    /// What is wrong with a name, for the name field.
    pub fn name_error(self, error: NameError) -> String {
        match error {
            NameError::Empty => self.pick("Enter a name.", "Scrivi un nome.").to_owned(),
            NameError::TooLong => match self {
                Self::En => format!("At most {MAX_NAME_CHARS} characters."),
                Self::It => format!("Al massimo {MAX_NAME_CHARS} caratteri."),
            },
            NameError::ControlCharacter => self
                .pick(
                    "A name cannot contain line breaks or tabs.",
                    "Il nome non può contenere a capo o tabulazioni.",
                )
                .to_owned(),
        }
    }

    /// What is wrong with an invite, for the invite field.
    pub fn invite_error(self, error: &InviteError) -> String {
        match (self, error) {
            (Self::En, InviteError::Empty) => "Paste the invite you received.".into(),
            (Self::It, InviteError::Empty) => "Incolla l'invito che hai ricevuto.".into(),
            (Self::En, InviteError::BadScheme(s)) => {
                format!("An invite starts with piazza://, not {s}://.")
            }
            (Self::It, InviteError::BadScheme(s)) => {
                format!("Un invito inizia con piazza://, non con {s}://.")
            }
            (Self::En, InviteError::MissingHost) => "The invite names no relay.".into(),
            (Self::It, InviteError::MissingHost) => "L'invito non indica nessun relay.".into(),
            (Self::En, InviteError::BadHost(h)) => {
                format!("“{h}” is not a host name or IP address.")
            }
            (Self::It, InviteError::BadHost(h)) => {
                format!("“{h}” non è un nome di host né un indirizzo IP.")
            }
            (Self::En, InviteError::BadPort(p)) => {
                format!("The port “{p}” is not a number from 1 to 65535.")
            }
            (Self::It, InviteError::BadPort(p)) => {
                format!("La porta “{p}” non è un numero da 1 a 65535.")
            }
            (Self::En, InviteError::Fingerprint(_)) => {
                "The certificate fingerprint in the invite is damaged; copy it again.".into()
            }
            (Self::It, InviteError::Fingerprint(_)) => {
                "L'impronta del certificato nell'invito è danneggiata: copialo di nuovo.".into()
            }
            (Self::En, InviteError::Malformed(_)) => "This is not a valid invite.".into(),
            (Self::It, InviteError::Malformed(_)) => "Questo non è un invito valido.".into(),
        }
    }

    // ---- chat screen ------------------------------------------------------------

    /// The button that leaves the room and goes back to the join screen.
    pub fn leave_button(self) -> &'static str {
        self.pick("Leave", "Esci")
    }

    /// Tooltip of the leave button.
    pub fn leave_title(self) -> &'static str {
        self.pick(
            "Leave the room (change name or relay)",
            "Esci dalla stanza (cambia nome o relay)",
        )
    }

    /// Heading of the member list.
    pub fn members_heading(self) -> &'static str {
        self.pick("Online", "In linea")
    }

    /// Button that shows the member list on a phone.
    pub fn members_toggle(self, count: usize) -> String {
        match self {
            Self::En if count == 1 => "1 person".into(),
            Self::En => format!("{count} people"),
            Self::It if count == 1 => "1 persona".into(),
            Self::It => format!("{count} persone"),
        }
    }

    /// Marks one's own name in the member list.
    pub fn you(self) -> &'static str {
        self.pick("you", "tu")
    }

    /// In a room too large for the relay to list its members.
    pub fn too_many_to_list(self) -> &'static str {
        self.pick(
            "Too many people to list them all.",
            "Troppe persone per elencarle tutte.",
        )
    }

    /// When nobody is listed (offline).
    pub fn nobody_online(self) -> &'static str {
        self.pick("Nobody yet", "Ancora nessuno")
    }

    /// Shown in an empty room.
    pub fn empty_room(self) -> &'static str {
        self.pick(
            "No messages yet. Say hello!",
            "Ancora nessun messaggio. Saluta!",
        )
    }

    /// Shown where older events were lost.
    pub fn gap_notice(self) -> &'static str {
        self.pick(
            "Some earlier messages are no longer available.",
            "Alcuni messaggi precedenti non sono più disponibili.",
        )
    }

    /// A join notice.
    pub fn joined(self, name: &str) -> String {
        match self {
            Self::En => format!("{name} joined"),
            Self::It => format!("{name} è entrato nella piazza"),
        }
    }

    /// A leave notice.
    pub fn left(self, name: &str, reason: LeaveReason) -> String {
        match (self, reason) {
            (Self::En, LeaveReason::Left) => format!("{name} left"),
            (Self::En, LeaveReason::ConnectionLost) => format!("{name} lost the connection"),
            (Self::En, LeaveReason::TooSlow) => format!("{name} left (connection too slow)"),
            (Self::En, LeaveReason::ProtocolError) => format!("{name} left (app error)"),
            (Self::En, LeaveReason::Shutdown) => format!("{name} left (relay shut down)"),
            (Self::It, LeaveReason::Left) => format!("{name} ha lasciato la piazza"),
            (Self::It, LeaveReason::ConnectionLost) => format!("{name} ha perso la connessione"),
            (Self::It, LeaveReason::TooSlow) => {
                format!("{name} ha lasciato la piazza (connessione troppo lenta)")
            }
            (Self::It, LeaveReason::ProtocolError) => {
                format!("{name} ha lasciato la piazza (errore dell'app)")
            }
            (Self::It, LeaveReason::Shutdown) => {
                format!("{name} ha lasciato la piazza (relay spento)")
            }
        }
    }

    /// Delivery state: waiting in the outbox.
    pub fn queued(self) -> &'static str {
        self.pick("Sending…", "In invio…")
    }

    /// Delivery state: stored by the relay.
    pub fn delivered(self) -> &'static str {
        self.pick("Delivered", "Consegnato")
    }

    /// Delivery state: rejected, with the reason.
    pub fn not_sent(self, reason: RejectReason) -> String {
        match self {
            Self::En => format!("Not sent: {}", self.reject_reason(reason)),
            Self::It => format!("Non inviato: {}", self.reject_reason(reason)),
        }
    }

    /// Why the relay rejected a message.
    pub fn reject_reason(self, reason: RejectReason) -> String {
        match (self, reason) {
            (Self::En, RejectReason::EmptyText) => "the message is empty".into(),
            (Self::It, RejectReason::EmptyText) => "il messaggio è vuoto".into(),
            (Self::En, RejectReason::TextTooLong) => {
                format!("longer than {MAX_TEXT_CHARS} characters")
            }
            (Self::It, RejectReason::TextTooLong) => {
                format!("più lungo di {MAX_TEXT_CHARS} caratteri")
            }
            (Self::En, RejectReason::RateLimited) => "sending too fast".into(),
            (Self::It, RejectReason::RateLimited) => "stai inviando troppo in fretta".into(),
            (Self::En, RejectReason::StorageFailed) => "the relay could not save it".into(),
            (Self::It, RejectReason::StorageFailed) => "il relay non è riuscito a salvarlo".into(),
        }
    }

    /// Button that queues a rejected message again.
    pub fn retry_button(self) -> &'static str {
        self.pick("Retry", "Riprova")
    }

    /// Marker shown when messages arrived below the visible part of the list.
    pub fn new_messages(self, count: usize) -> String {
        match self {
            Self::En if count == 1 => "1 new message ↓".into(),
            Self::En => format!("{count} new messages ↓"),
            Self::It if count == 1 => "1 nuovo messaggio ↓".into(),
            Self::It => format!("{count} nuovi messaggi ↓"),
        }
    }

    /// Date separator for today.
    pub fn today(self) -> &'static str {
        self.pick("Today", "Oggi")
    }

    /// Date separator for yesterday.
    pub fn yesterday(self) -> &'static str {
        self.pick("Yesterday", "Ieri")
    }

    // ---- composer -----------------------------------------------------------------

    /// Placeholder of the message field.
    pub fn composer_placeholder(self) -> &'static str {
        self.pick("Write a message…", "Scrivi un messaggio…")
    }

    /// The send button: "Invia" in Italian.
    pub fn send_button(self) -> &'static str {
        self.pick("Send", "Invia")
    }

    /// Tooltip of the message field.
    pub fn composer_hint(self) -> &'static str {
        self.pick(
            "Enter sends, Shift+Enter starts a new line",
            "Invio per inviare, Maiusc+Invio per andare a capo",
        )
    }

    /// Character counter near the limit.
    pub fn chars_left(self, left: i64) -> String {
        match self {
            Self::En if left < 0 => format!("{} characters too many", -left),
            Self::En => format!("{left} characters left"),
            Self::It if left < 0 => format!("{} caratteri di troppo", -left),
            Self::It => format!("ancora {left} caratteri"),
        }
    }

    // ---- status ---------------------------------------------------------------------

    /// Status: first connection attempt.
    pub fn connecting(self) -> &'static str {
        self.pick("Connecting to the relay…", "Connessione al relay…")
    }

    /// Status: in the room.
    pub fn connected(self) -> &'static str {
        self.pick("Connected", "Connesso")
    }

    /// Status: offline on request.
    pub fn disconnected(self) -> &'static str {
        self.pick("You are offline.", "Sei offline.")
    }

    /// Status: lost the connection; retrying in `secs` seconds (0 = now).
    pub fn reconnecting(self, problem: &Problem, secs: u64) -> String {
        let problem = self.problem(problem);
        match self {
            Self::En if secs == 0 => format!("{problem} Reconnecting…"),
            Self::En => format!("{problem} Reconnecting in {secs} s…"),
            Self::It if secs == 0 => format!("{problem} Riconnessione…"),
            Self::It => format!("{problem} Nuovo tentativo tra {secs} s…"),
        }
    }

    /// How many own messages wait for the connection.
    pub fn waiting_messages(self, count: usize) -> String {
        match self {
            Self::En if count == 1 => "1 message will be sent when you are back online.".into(),
            Self::En => format!("{count} messages will be sent when you are back online."),
            Self::It if count == 1 => "1 messaggio verrà inviato appena torni in linea.".into(),
            Self::It => format!("{count} messaggi verranno inviati appena torni in linea."),
        }
    }

    /// Button: connect now.
    pub fn reconnect_now(self) -> &'static str {
        self.pick("Reconnect now", "Riconnetti ora")
    }

    /// Button: try again after a failure.
    pub fn try_again(self) -> &'static str {
        self.pick("Try again", "Riprova")
    }

    /// Button: go back and choose another name.
    pub fn change_name(self) -> &'static str {
        self.pick("Change name", "Cambia nome")
    }

    /// Button: go back and paste another invite.
    pub fn change_relay(self) -> &'static str {
        self.pick("Change invite", "Cambia invito")
    }

    /// Why the app is not connected, in plain words (one or two sentences).
    pub fn problem(self, problem: &Problem) -> String {
        match problem {
            Problem::Resolve(_) => self
                .pick(
                    "Cannot find the relay's address: check the invite and your connection.",
                    "Impossibile trovare l'indirizzo del relay: controlla l'invito e la connessione.",
                )
                .into(),
            Problem::Unreachable => self
                .pick("The relay does not answer.", "Il relay non risponde.")
                .into(),
            Problem::PinMismatch => self
                .pick(
                    "The relay's certificate does not match the invite: it may be another server.",
                    "Il certificato del relay non corrisponde all'invito: potrebbe essere un altro server.",
                )
                .into(),
            Problem::Untrusted(_) => self
                .pick(
                    "The relay's certificate is not trusted.",
                    "Il certificato del relay non è attendibile.",
                )
                .into(),
            Problem::Refused(reason) => self.refuse_reason(*reason),
            Problem::Bye(reason) => self.bye_reason(*reason),
            Problem::ConnectionLost(_) => self
                .pick("The connection was lost.", "La connessione si è interrotta.")
                .into(),
            Problem::Protocol(_) => self
                .pick(
                    "The relay speaks a different version of Piazza: update the app.",
                    "Il relay usa una versione diversa di Piazza: aggiorna l'app.",
                )
                .into(),
            Problem::Local(_) => self
                .pick(
                    "The network on this device is not available.",
                    "La rete di questo dispositivo non è disponibile.",
                )
                .into(),
        }
    }

    /// Why the relay refused to let us in.
    pub fn refuse_reason(self, reason: RefuseReason) -> String {
        match reason {
            RefuseReason::VersionMismatch { relay } => match self {
                Self::En => format!(
                    "The relay uses another version of Piazza (protocol {relay}, this app {PROTOCOL_VERSION}): update the app."
                ),
                Self::It => format!(
                    "Il relay usa un'altra versione di Piazza (protocollo {relay}, questa app {PROTOCOL_VERSION}): aggiorna l'app."
                ),
            },
            RefuseReason::BadName(error) => self.name_error(error),
            RefuseReason::NameTaken => self
                .pick(
                    "Someone in the room already uses this name: choose another one.",
                    "Qualcuno nella stanza usa già questo nome: scegline un altro.",
                )
                .into(),
            RefuseReason::RoomKeyRequired => self
                .pick(
                    "This room needs a room key: ask for a complete invite.",
                    "Questa stanza richiede una chiave: chiedi un invito completo.",
                )
                .into(),
            RefuseReason::RoomKeyWrong => self
                .pick(
                    "The room key in the invite is wrong.",
                    "La chiave della stanza nell'invito è sbagliata.",
                )
                .into(),
            RefuseReason::RelayFull => self
                .pick("The relay is full.", "Il relay è pieno.")
                .into(),
            RefuseReason::HelloTimeout => self
                .pick(
                    "The connection was too slow to join.",
                    "La connessione era troppo lenta per entrare.",
                )
                .into(),
            RefuseReason::ProtocolError => self
                .pick(
                    "The relay could not understand this app.",
                    "Il relay non ha capito questa app.",
                )
                .into(),
        }
    }

    /// Why the relay ended the session.
    pub fn bye_reason(self, reason: ByeReason) -> String {
        match reason {
            ByeReason::Shutdown => self.pick(
                "The relay is restarting or shutting down.",
                "Il relay si sta riavviando o spegnendo.",
            ),
            ByeReason::Replaced => self.pick(
                "This app joined again from another window.",
                "Questa app è entrata di nuovo da un'altra finestra.",
            ),
            ByeReason::TooSlow => self.pick(
                "The connection was too slow to keep up with the room.",
                "La connessione era troppo lenta per seguire la stanza.",
            ),
            ByeReason::ProtocolError => self.pick(
                "The relay could not read what this app sent.",
                "Il relay non è riuscito a leggere ciò che questa app ha inviato.",
            ),
            ByeReason::Left => self.pick("You left the room.", "Sei uscito dalla stanza."),
        }
        .into()
    }

    // ---- notifications ------------------------------------------------------------

    /// Title of a desktop notification for a new message.
    pub fn notification_title(self, sender: &str) -> String {
        format!("{sender} · Piazza")
    }
}

#[cfg(test)]
mod tests {
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
    fn reasons_are_translated_not_debug() {
        for lang in [Lang::En, Lang::It] {
            let text = lang.problem(&Problem::Refused(RefuseReason::NameTaken));
            assert!(!text.contains("NameTaken"), "{text}");
            let text = lang.not_sent(RejectReason::RateLimited);
            assert!(!text.contains("RateLimited"), "{text}");
        }
        assert_eq!(Lang::It.send_button(), "Invia");
        assert_eq!(Lang::En.send_button(), "Send");
    }
}
