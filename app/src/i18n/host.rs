//! Strings about hosting a room from the app: the host button, sharing the invite, the
//! check code, nearby rooms and closing the room.

use super::Lang;
use crate::controller::host::{HostProblem, LAST_PORT};

impl Lang {
    /// Button on the join screen: host a room on this computer.
    pub fn host_button(self) -> &'static str {
        self.pick("Host a room", "Ospita una piazza")
    }

    /// Under the host button.
    pub fn host_help(self) -> &'static str {
        self.pick(
            "No server needed: this computer runs the room, and others on the same network join with its invite or QR code.",
            "Nessun server da preparare: questo computer ospita la stanza, e chi è sulla stessa rete entra con il suo invito o il codice QR.",
        )
    }

    /// While the hosted relay starts.
    pub fn hosting_starting(self) -> &'static str {
        self.pick("Starting the room…", "Avvio della stanza…")
    }

    /// Why hosting did not start.
    pub fn host_problem(self, problem: &HostProblem) -> String {
        match (self, problem) {
            (Self::En, HostProblem::NoDataDir) => "This computer has no folder where Piazza can keep the room: hosting needs one.".into(),
            (Self::It, HostProblem::NoDataDir) => "Su questo computer Piazza non ha una cartella dove tenere la stanza: per ospitarla serve.".into(),
            (Self::En, HostProblem::NoFreePort) => format!("Every UDP port from 4433 to {LAST_PORT} is used by other programs: close one of them and try again."),
            (Self::It, HostProblem::NoFreePort) => format!("Tutte le porte UDP da 4433 a {LAST_PORT} sono usate da altri programmi: chiudine uno e riprova."),
            (Self::En, HostProblem::Start(e)) => format!("The room could not start: {e}"),
            (Self::It, HostProblem::Start(e)) => format!("Non è stato possibile avviare la stanza: {e}"),
        }
    }

    /// The hosted room's name in "rooms nearby" on others' screens.
    pub fn hosted_room_name(self, host: &str) -> String {
        match self {
            Self::En => format!("{host}'s room"),
            Self::It => format!("La piazza di {host}"),
        }
    }

    /// The heading of the list of rooms found on the network.
    pub fn nearby_title(self) -> &'static str {
        self.pick("Rooms nearby", "Piazze qui vicino")
    }

    /// What the list is, and why the check code matters.
    pub fn nearby_help(self) -> &'static str {
        self.pick(
            "Found on this network. Anyone here could announce a room: compare the check code with the host's screen. The host's QR code or invite is the sure way in.",
            "Trovate su questa rete. Chiunque qui potrebbe annunciare una piazza: confronta il codice di verifica con lo schermo di chi ospita. Il codice QR o l'invito di chi ospita è la via sicura.",
        )
    }

    /// A nearby room that needs its key: only its invite gets in.
    pub fn nearby_needs_invite(self) -> &'static str {
        self.pick("needs the invite", "serve l'invito")
    }

    /// Button in the room's bar: show the invite.
    pub fn share_button(self) -> &'static str {
        self.pick("Invite", "Invita")
    }

    /// The share dialog's title.
    pub fn share_title(self) -> &'static str {
        self.pick("Invite people to your room", "Invita nella tua piazza")
    }

    /// Under the QR code.
    pub fn share_qr_help(self) -> &'static str {
        self.pick(
            "On a phone: scan the code with the camera. On a computer: copy the invite and send it.",
            "Dal telefono: inquadra il codice con la fotocamera. Da un computer: copia l'invito e mandalo.",
        )
    }

    /// The copy button, and what it says once copied.
    pub fn copy(self) -> &'static str {
        self.pick("Copy", "Copia")
    }

    /// The copy button once it copied.
    pub fn copied(self) -> &'static str {
        self.pick("Copied", "Copiato")
    }

    /// The check code's label.
    pub fn check_code(self) -> &'static str {
        self.pick("Check code", "Codice di verifica")
    }

    /// What the check code is for (host side).
    pub fn check_code_help(self) -> &'static str {
        self.pick(
            "Read it aloud: everyone who joined sees the same code at the top of the room. A different code means another server.",
            "Leggilo ad alta voce: chi è entrato vede lo stesso codice in cima alla stanza. Un codice diverso vuol dire un altro server.",
        )
    }

    /// The check code's tooltip on the member side.
    pub fn check_code_title(self) -> &'static str {
        self.pick(
            "Check code of this relay's certificate: it must match the one on the host's screen.",
            "Codice di verifica del certificato di questo relay: deve essere uguale a quello sullo schermo di chi ospita.",
        )
    }

    /// The port and the firewall.
    pub fn share_port(self, port: u16) -> String {
        match self {
            Self::En => format!("The room uses UDP port {port}. If others cannot join, allow it in this computer's firewall."),
            Self::It => format!("La stanza usa la porta UDP {port}. Se gli altri non riescono a entrare, consentila nel firewall di questo computer."),
        }
    }

    /// The computer has no network address others can reach.
    pub fn share_offline(self) -> &'static str {
        self.pick(
            "This computer is not connected to a network: only Piazza windows on this computer can join.",
            "Questo computer non è collegato a una rete: possono entrare solo finestre di Piazza su questo computer.",
        )
    }

    /// Closes the share dialog.
    pub fn done(self) -> &'static str {
        self.pick("Done", "Fatto")
    }

    /// The confirmation before closing a hosted room with others online.
    pub fn close_hosted_title(self) -> &'static str {
        self.pick("Close the room?", "Chiudere la piazza?")
    }

    /// How many others are online, and what closing does to them.
    pub fn close_hosted_text(self, others: usize) -> String {
        match self {
            Self::En if others == 1 => "1 other person is online. Closing Piazza closes the room for them: they will read that the host closed it. The room and its messages come back when you host again.".into(),
            Self::En => format!("{others} other people are online. Closing Piazza closes the room for them: they will read that the host closed it. The room and its messages come back when you host again."),
            Self::It if others == 1 => "C'è 1 altra persona online. Chiudendo Piazza la stanza si chiude anche per lei: leggerà che chi ospitava l'ha chiusa. La stanza e i messaggi tornano quando la ospiti di nuovo.".into(),
            Self::It => format!("Ci sono altre {others} persone online. Chiudendo Piazza la stanza si chiude anche per loro: leggeranno che chi ospitava l'ha chiusa. La stanza e i messaggi tornano quando la ospiti di nuovo."),
        }
    }

    /// Confirms closing the hosted room.
    pub fn close_hosted(self) -> &'static str {
        self.pick("Close the room", "Chiudi la piazza")
    }

    /// Keeps the window (and the room) open.
    pub fn keep_open(self) -> &'static str {
        self.pick("Keep it open", "Tienila aperta")
    }
}
