//! Strings about the connection: states, problems in plain words, and the reasons the
//! relay gives for refusing or ending a session.

use common::protocol::{ByeReason, RefuseReason, PROTOCOL_VERSION};
use engine::Problem;

use super::Lang;

impl Lang {
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
            Self::En => format!("{problem} Trying again in {secs} s…"),
            Self::It if secs == 0 => format!("{problem} Riconnessione…"),
            Self::It => format!("{problem} Nuovo tentativo tra {secs} s…"),
        }
    }

    /// How many own messages wait for the connection.
    pub fn waiting_messages(self, count: usize) -> String {
        match self {
            Self::En if count == 1 => "1 message will be sent when the relay is back.".into(),
            Self::En => format!("{count} messages will be sent when the relay is back."),
            Self::It if count == 1 => "1 messaggio verrà inviato quando il relay torna.".into(),
            Self::It => format!("{count} messaggi verranno inviati quando il relay torna."),
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

    /// Saving on this device failed (a full disk, a read-only folder).
    pub fn storage_error(self, error: &str) -> String {
        match self {
            Self::En => format!(
                "Messages cannot be saved on this device ({error}): they are shown, but \
                 will not be here after a restart."
            ),
            Self::It => format!(
                "Non è possibile salvare i messaggi su questo dispositivo ({error}): li vedi, \
                 ma dopo un riavvio non ci saranno."
            ),
        }
    }

    /// The composer's placeholder while sending is impossible (a permanent failure).
    pub fn composer_stopped(self) -> &'static str {
        self.pick(
            "Messages cannot be sent here now (see above).",
            "Ora non si possono inviare messaggi qui (vedi sopra).",
        )
    }

    /// Why the app is not connected, in plain words (one or two sentences).
    pub fn problem(self, problem: &Problem) -> String {
        match problem {
            Problem::Resolve(_) => self.pick(
                "Cannot find the relay's address: check the invite and this device's network.",
                "Impossibile trovare l'indirizzo del relay: controlla l'invito e la rete di questo dispositivo.",
            ),
            Problem::Unreachable => self.pick(
                "The relay cannot be reached.",
                "Il relay non è raggiungibile.",
            ),
            Problem::PinMismatch => self.pick(
                "The relay's certificate does not match the invite: it may be another server.",
                "Il certificato del relay non corrisponde all'invito: potrebbe essere un altro server.",
            ),
            Problem::Untrusted(_) => self.pick(
                "The relay's certificate is not trusted.",
                "Il certificato del relay non è attendibile.",
            ),
            Problem::Refused(reason) => return self.refuse_reason(*reason),
            Problem::JoinRefused(reason) => return self.join_refusal(*reason),
            Problem::Bye(reason) => return self.bye_reason(*reason).into(),
            Problem::RelayRestarted => self.pick("The relay restarted.", "Il relay si è riavviato."),
            Problem::ConnectionLost(_) => self.pick(
                "The connection to the relay was interrupted.",
                "La connessione con il relay si è interrotta.",
            ),
            Problem::Protocol(_) | Problem::Undecodable(_) => self.pick(
                "The relay speaks a different version of Piazza: update the app.",
                "Il relay usa una versione diversa di Piazza: aggiorna l'app.",
            ),
            Problem::Local(_) => self.pick(
                "This device has no working network.",
                "Questo dispositivo non ha una rete funzionante.",
            ),
        }
        .into()
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

    /// Why a room did not let us in.
    pub fn join_refusal(self, reason: common::protocol::JoinRefusal) -> String {
        use common::protocol::JoinRefusal as J;
        match reason {
            J::NoSuchRoom => self.pick(
                "The relay has no room of that name: check the invite.",
                "Il relay non ha una stanza con quel nome: controlla l'invito.",
            ),
            J::BadRoomName(_) => self.pick(
                "The room's name in the invite is not valid.",
                "Il nome della stanza nell'invito non è valido.",
            ),
            J::RoomKeyRequired => self.pick(
                "This room needs a room key: ask for a complete invite.",
                "Questa stanza richiede una chiave: chiedi un invito completo.",
            ),
            J::RoomKeyWrong => self.pick(
                "The room key in the invite is wrong.",
                "La chiave della stanza nell'invito è sbagliata.",
            ),
            J::NameTaken => self.pick(
                "Someone in the room already uses this name (or one that looks the same): choose another one.",
                "Qualcuno nella stanza usa già questo nome (o uno che sembra uguale): scegline un altro.",
            ),
            J::TooManyRooms => self.pick(
                "You are in as many rooms as this relay allows: leave one first.",
                "Sei in tutte le stanze che questo relay consente: esci prima da una.",
            ),
            J::RoomFull => self.pick("The room is full.", "La stanza è piena."),
            J::TooManyRoomsOnRelay => self.pick(
                "The relay cannot create more rooms.",
                "Il relay non può creare altre stanze.",
            ),
            J::Removed => self.pick(
                "The room's host removed you from this room.",
                "L'host della stanza ti ha rimosso da questa stanza.",
            ),
            J::OwnerKeyWrong => self.pick(
                "The owner key is wrong.",
                "La chiave del proprietario è sbagliata.",
            ),
        }
        .into()
    }

    /// Why the relay ended the session.
    pub fn bye_reason(self, reason: ByeReason) -> &'static str {
        match reason {
            ByeReason::Shutdown => self.pick(
                "The relay is restarting or shutting down.",
                "Il relay si sta riavviando o spegnendo.",
            ),
            ByeReason::Replaced => self.pick(
                "This account joined again from another Piazza window, which now has the session: this one stopped.",
                "Questo account è entrato di nuovo da un'altra finestra di Piazza, che ora ha la sessione: questa si è fermata.",
            ),
            ByeReason::TooSlow => self.pick(
                "The connection was too slow to keep up with the room.",
                "La connessione era troppo lenta per seguire la stanza.",
            ),
            ByeReason::ProtocolError => self.pick(
                "The relay could not read what this app sent.",
                "Il relay non è riuscito a leggere ciò che questa app ha inviato.",
            ),
            ByeReason::Left => self.pick("You left the room.", "Hai lasciato la stanza."),
            ByeReason::HostClosed => self.pick(
                "The host closed the room; it comes back when they host it again.",
                "Chi ospitava la stanza l'ha chiusa; torna quando la ospita di nuovo.",
            ),
        }
    }
}
