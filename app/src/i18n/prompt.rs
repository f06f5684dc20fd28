//! Strings of the join screen: the name and invite fields and what can be wrong with
//! them, and the screen shown when another window already uses the data directory.

use common::{invite::InviteError, protocol::NameError, rules::MAX_NAME_CHARS};

use super::Lang;

impl Lang {
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
        self.pick("Room invite", "Invito della stanza")
    }

    /// Placeholder of the invite field.
    pub fn invite_placeholder(self) -> &'static str {
        "piazza://host:4433/classe-3b?fp=…"
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

    /// The join button while joining.
    pub fn joining(self) -> &'static str {
        self.pick("Joining…", "Ingresso…")
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
            NameError::InvisibleCharacter => self
                .pick(
                    "The name contains invisible characters (perhaps pasted): type it again.",
                    "Il nome contiene caratteri invisibili (forse incollati): riscrivilo.",
                )
                .to_owned(),
            NameError::UnsupportedCharacter => self
                .pick(
                    "The name contains characters that cannot be shown to everyone.",
                    "Il nome contiene caratteri che non tutti possono vedere.",
                )
                .to_owned(),
            NameError::NothingVisible => self
                .pick(
                    "The name must contain at least one visible letter or sign.",
                    "Il nome deve contenere almeno una lettera o un segno visibile.",
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
            (Self::En, InviteError::BadRoom(_)) => {
                "The room's name in the invite is not valid (letters a-z, digits, - and _).".into()
            }
            (Self::It, InviteError::BadRoom(_)) => {
                "Il nome della stanza nell'invito non è valido (lettere a-z, cifre, - e _).".into()
            }
            (Self::En, InviteError::Malformed(_)) => "This is not a valid invite.".into(),
            (Self::It, InviteError::Malformed(_)) => "Questo non è un invito valido.".into(),
        }
    }

    /// Title of the screen shown when the data directory is in use.
    pub fn already_open_title(self) -> &'static str {
        self.pick("Piazza is already open", "Piazza è già aperta")
    }

    /// Explains the data directory lock, naming the directory.
    pub fn already_open(self, dir: &str) -> String {
        match self {
            Self::En => format!(
                "Another Piazza window uses the data in {dir}. Switch to that window, or \
                 close it first. For a second person on this computer, start Piazza with \
                 PIAZZA_DATA_DIR set to another folder."
            ),
            Self::It => format!(
                "Un'altra finestra di Piazza usa i dati in {dir}. Passa a quella finestra, \
                 oppure chiudila prima. Per una seconda persona su questo computer, avvia \
                 Piazza con PIAZZA_DATA_DIR impostata su un'altra cartella."
            ),
        }
    }

    /// The data directory cannot be used at all.
    pub fn no_storage(self, dir: &str, error: &str) -> String {
        match self {
            Self::En => format!(
                "Piazza cannot use its data folder {dir} ({error}). Messages will not be \
                 kept after closing."
            ),
            Self::It => format!(
                "Piazza non può usare la sua cartella dei dati {dir} ({error}). I messaggi \
                 non verranno conservati dopo la chiusura."
            ),
        }
    }
}
