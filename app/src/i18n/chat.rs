//! Strings of the chat screen: top bar, members, timeline and its notices, delivery
//! states, composer.

use common::{
    protocol::{LeaveReason, RejectReason},
    rules::MAX_TEXT_CHARS,
};

use super::Lang;
use crate::state::NoticeSummary;

impl Lang {
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

    /// The member button while offline (who is there is unknown).
    pub fn members_unknown_toggle(self) -> &'static str {
        self.pick("People", "Persone")
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

    /// When nobody is listed.
    pub fn nobody_online(self) -> &'static str {
        self.pick("Nobody yet", "Ancora nessuno")
    }

    /// Above the last known member list while offline.
    pub fn presence_unknown(self) -> &'static str {
        self.pick(
            "Offline: who is here now is unknown. Last seen online:",
            "Offline: non si sa chi c'è adesso. Ultimi visti in linea:",
        )
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
            "Some messages from this period are no longer available.",
            "Alcuni messaggi di questo periodo non sono più disponibili.",
        )
    }

    /// At the top of the timeline while older messages load.
    pub fn loading_older(self) -> &'static str {
        self.pick(
            "Loading older messages…",
            "Caricamento dei messaggi precedenti…",
        )
    }

    /// At the top of the timeline when it reaches the start of the room.
    pub fn start_of_room(self) -> &'static str {
        self.pick(
            "This is the beginning of the room.",
            "Questo è l'inizio della stanza.",
        )
    }

    /// At the top of the timeline when more can be loaded.
    pub fn load_older(self) -> &'static str {
        self.pick("Show older messages", "Mostra i messaggi precedenti")
    }

    /// A run of joins and leaves, as one line.
    pub fn notices(self, summary: &NoticeSummary) -> String {
        let mut parts = Vec::new();
        if !summary.joined.is_empty() {
            let names = self.names(&summary.joined);
            let many = summary.joined.len() > 1;
            parts.push(match (self, many) {
                (Self::En, _) => format!("{names} joined"),
                (Self::It, false) => format!("{names} ha raggiunto la piazza"),
                (Self::It, true) => format!("{names} hanno raggiunto la piazza"),
            });
        }
        if !summary.back.is_empty() {
            let names = self.names(&summary.back);
            let many = summary.back.len() > 1;
            parts.push(match (self, many) {
                (Self::En, false) => format!("{names} is back"),
                (Self::En, true) => format!("{names} are back"),
                (Self::It, _) => format!("Di nuovo in piazza: {names}"),
            });
        }
        for (reason, names) in &summary.left {
            parts.push(self.left(&self.names(names), names.len() > 1, *reason));
        }
        for notice in &summary.moderation {
            parts.push(self.moderation_notice(notice));
        }
        parts.join(" · ")
    }

    /// `names` left, for `reason`.
    fn left(self, names: &str, many: bool, reason: LeaveReason) -> String {
        let has = match (self, many) {
            (Self::It, false) => "ha",
            (Self::It, true) => "hanno",
            (Self::En, _) => "",
        };
        match (self, reason) {
            (Self::En, LeaveReason::Left) => format!("{names} left"),
            (Self::En, LeaveReason::ConnectionLost) => format!("{names} lost the connection"),
            (Self::En, LeaveReason::TooSlow) => format!("{names} left (connection too slow)"),
            (Self::En, LeaveReason::ProtocolError) => format!("{names} left (app error)"),
            (Self::En, LeaveReason::Shutdown) => format!("{names} left (the relay stopped)"),
            (Self::En, LeaveReason::Removed) => format!("{names} left (removed by the host)"),
            (Self::It, LeaveReason::Removed) => {
                format!("{names} {has} lasciato la piazza (su decisione dell'host)")
            }
            (Self::It, LeaveReason::Left) => format!("{names} {has} lasciato la piazza"),
            (Self::It, LeaveReason::ConnectionLost) => {
                format!("{names} {has} perso la connessione")
            }
            (Self::It, LeaveReason::TooSlow) => {
                format!("{names} {has} lasciato la piazza (connessione troppo lenta)")
            }
            (Self::It, LeaveReason::ProtocolError) => {
                format!("{names} {has} lasciato la piazza (errore dell'app)")
            }
            (Self::It, LeaveReason::Shutdown) => {
                format!("{names} {has} lasciato la piazza (il relay si è fermato)")
            }
        }
    }

    /// Delivery state: waiting in the outbox.
    pub fn queued(self) -> &'static str {
        self.pick("Sending…", "In invio…")
    }

    /// Delivery state: waiting for the connection to come back.
    pub fn waiting(self) -> &'static str {
        self.pick("Waiting for the connection", "In attesa della connessione")
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
            (Self::En, RejectReason::ControlCharacter) => "it contains control characters".into(),
            (Self::It, RejectReason::ControlCharacter) => "contiene caratteri di controllo".into(),
            (Self::En, RejectReason::Archived) => "the room is archived".into(),
            (Self::It, RejectReason::Archived) => "la stanza è archiviata".into(),
            (Self::En, RejectReason::NotInRoom) => "you are not in this room".into(),
            (Self::It, RejectReason::NotInRoom) => "non sei in questa stanza".into(),
            (Self::En, RejectReason::Unavailable) => {
                "the relay cannot reach its storage right now; retry in a moment".into()
            }
            (Self::It, RejectReason::Unavailable) => {
                "il relay ora non raggiunge il suo archivio; riprova tra poco".into()
            }
            (_, RejectReason::Muted { until_ms }) => self.muted_until(until_ms),
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

    /// Window title, with the number of unread messages.
    pub fn window_title(self, unread: usize) -> String {
        match unread {
            0 => "Piazza".into(),
            n => format!("({n}) Piazza"),
        }
    }

    /// Title of a desktop notification for a new message.
    pub fn notification_title(self, sender: &str, room: &str) -> String {
        format!("{sender} · {room} · Piazza")
    }

    /// Heading of the room list.
    pub fn rooms_heading(self) -> &'static str {
        self.pick("Rooms", "Stanze")
    }

    /// The button that shows the room list on a phone.
    pub fn rooms_button(self) -> &'static str {
        self.pick("Rooms", "Stanze")
    }

    /// The button that opens the form to join another room.
    pub fn add_room_button(self) -> &'static str {
        self.pick("Join a room", "Entra in una stanza")
    }

    /// Title of the form to join another room.
    pub fn add_room_title(self) -> &'static str {
        self.pick("Join another room", "Entra in un'altra stanza")
    }

    /// Help in the form to join another room.
    pub fn add_room_help(self) -> &'static str {
        self.pick(
            "Paste the room's invite: you join with the name you use now.",
            "Incolla l'invito della stanza: entri con il nome che usi ora.",
        )
    }

    /// Closes the form.
    pub fn cancel(self) -> &'static str {
        self.pick("Cancel", "Annulla")
    }

    /// Notifications off for a room (button).
    pub fn mute(self) -> &'static str {
        self.pick("Mute", "Silenzia")
    }

    /// Notifications on again for a room (button).
    pub fn unmute(self) -> &'static str {
        self.pick("Unmute", "Riattiva")
    }

    /// Marks a muted room in the list.
    pub fn muted(self) -> &'static str {
        self.pick("muted", "silenziata")
    }

    /// Leaves the room shown (button).
    pub fn leave_room(self) -> &'static str {
        self.pick("Leave room", "Esci dalla stanza")
    }

    /// Tooltip of the leave-room button.
    pub fn leave_room_title(self) -> &'static str {
        self.pick(
            "Leave this room: it leaves your list",
            "Esci da questa stanza: sparisce dal tuo elenco",
        )
    }

    /// Leaves every room to change name (button).
    pub fn sign_out(self) -> &'static str {
        self.pick("Change name", "Cambia nome")
    }

    /// Unread messages of a room, for screen readers.
    pub fn unread(self, count: usize) -> String {
        match self {
            Self::En if count == 1 => "1 unread message".into(),
            Self::En => format!("{count} unread messages"),
            Self::It if count == 1 => "1 messaggio non letto".into(),
            Self::It => format!("{count} messaggi non letti"),
        }
    }

    /// A room with no message yet, in the list.
    pub fn no_messages_yet(self) -> &'static str {
        self.pick("No messages yet", "Ancora nessun messaggio")
    }

    /// An archived room: can be read, not written to (banner and composer).
    pub fn archived_room(self) -> &'static str {
        self.pick(
            "This room is archived: you can read it, not write in it.",
            "Questa stanza è archiviata: puoi leggerla, non scriverci.",
        )
    }

    /// A room the operator deleted.
    pub fn room_deleted(self) -> &'static str {
        self.pick(
            "This room was deleted by the relay's operator.",
            "Questa stanza è stata eliminata da chi gestisce il relay.",
        )
    }
}
