//! Server-side rendering of the shared components (dioxus-ssr): what each one shows
//! for a given state, in Italian and English.

use std::{rc::Rc, time::Duration};

use app::{
    controller::host::{qr_svg, HostProblem, Share},
    i18n::Lang,
    state::RoomSummary,
    state::{ChatView, Older, StatusView},
    ui::{
        format_time, AddRoomForm, CloseHostedDialog, Composer, MemberList, MessageList, NamePrompt,
        RoomList, ShareDialog, StatusBanner,
    },
};
use common::{
    protocol::{
        ClientMsgId, EventKind, InstallId, JoinRefusal, LeaveReason, RejectReason, RoomEvent,
    },
    rules::MAX_NAME_CHARS,
};
use dioxus::prelude::*;
use engine::{Event, Outgoing, Problem, Status};

#[derive(Clone)]
struct Root(Rc<dyn Fn() -> Element>);

fn root(props: Root) -> Element {
    (props.0)()
}

/// Renders what `f` returns inside a real virtual DOM (so hooks and callbacks work).
fn render(f: impl Fn() -> Element + 'static) -> String {
    let mut dom = VirtualDom::new_with_props(root, Root(Rc::new(f)));
    dom.rebuild_in_place();
    dioxus_ssr::render(&dom)
}

const ME: InstallId = InstallId([1; 16]);
const OTHER: InstallId = InstallId([2; 16]);
/// 2024-03-05 09:07:00 UTC, in ms.
const AT: u64 = 1_709_629_620_000;

fn id(install: InstallId, counter: u64) -> ClientMsgId {
    ClientMsgId { install, counter }
}

const ROOM: &str = "piazza";

fn room(event: RoomEvent) -> Event {
    Event::Room {
        room: ROOM.into(),
        event,
    }
}

fn queued(out: Outgoing) -> Event {
    Event::Queued {
        room: ROOM.into(),
        out,
    }
}

fn room_msg(seq: u64, sender: &str, text: &str, id: ClientMsgId) -> Event {
    room(RoomEvent {
        seq,
        at_ms: AT + seq * 60_000,
        kind: EventKind::Message {
            sender: sender.into(),
            text: text.into(),
            id,
        },
    })
}

/// A room with: a join, Bruno's message, my delivered message, my queued message, my
/// rejected message and a leave.
fn sample_view() -> ChatView {
    let mut view = ChatView::new(ME, "Anna", &[], &[], AT);
    let events = [
        Event::Welcome {
            room: ROOM.into(),
            name: "Anna".into(),
            last_seq: 0,
            gap: false,
            archived: false,
            owner: false,
        },
        room(RoomEvent {
            seq: 1,
            at_ms: AT,
            kind: EventKind::Joined {
                name: "Bruno".into(),
            },
        }),
        room_msg(2, "Bruno", "Ciao a tutti!", id(OTHER, 1)),
        queued(Outgoing {
            id: id(ME, 1),
            text: "Ciao Bruno".into(),
        }),
        Event::Acked {
            room: ROOM.into(),
            id: id(ME, 1),
            seq: 3,
        },
        room_msg(3, "Anna", "Ciao Bruno", id(ME, 1)),
        room(RoomEvent {
            seq: 4,
            at_ms: AT + 240_000,
            kind: EventKind::Left {
                name: "Bruno".into(),
                reason: LeaveReason::ConnectionLost,
            },
        }),
        queued(Outgoing {
            id: id(ME, 2),
            text: "in coda".into(),
        }),
        queued(Outgoing {
            id: id(ME, 3),
            text: "troppo veloce".into(),
        }),
        Event::Rejected {
            room: ROOM.into(),
            id: id(ME, 3),
            reason: RejectReason::RateLimited,
        },
        Event::Members {
            room: ROOM.into(),
            online: 2,
            names: Some(vec!["Anna".into(), "Bruno".into()]),
        },
    ];
    for event in &events {
        view.apply(event, AT);
    }
    view
}

fn message_list(lang: Lang, view: &ChatView, unseen: usize) -> String {
    message_list_with(lang, view, unseen, Older::None, false)
}

fn message_list_with(
    lang: Lang,
    view: &ChatView,
    unseen: usize,
    older: Older,
    offline: bool,
) -> String {
    let entries: Vec<_> = view.timeline.visible().into_iter().cloned().collect();
    render(move || {
        rsx! {
            MessageList {
                lang,
                entries: entries.clone(),
                older,
                offline,
                unseen,
                on_retry: |_| {},
                on_jump: |_| {},
                on_older: |_| {},
            }
        }
    })
}

/// The `<li …>` element of the message with this text.
fn row_of<'a>(html: &'a str, text: &str) -> &'a str {
    let at = html
        .find(&format!(">{text}<"))
        .unwrap_or_else(|| panic!("{text:?} not in {html}"));
    let start = html[..at].rfind("<li").unwrap();
    let end = at + html[at..].find("</li>").unwrap();
    &html[start..end]
}

#[test]
fn messages_show_sender_time_and_own_marking() {
    let html = message_list(Lang::En, &sample_view(), 0);

    let theirs = row_of(&html, "Ciao a tutti!");
    assert!(theirs.contains(r#"class="msg""#), "{theirs}");
    assert!(theirs.contains(r#"data-own="false""#), "{theirs}");
    assert!(theirs.contains(">Bruno<"), "{theirs}");
    assert!(theirs.contains(&format_time(AT + 2 * 60_000)), "{theirs}");
    assert!(!theirs.contains(r#"class="delivery"#), "{theirs}");

    let mine = row_of(&html, "Ciao Bruno");
    assert!(mine.contains(r#"class="msg own""#), "{mine}");
    assert!(mine.contains(r#"data-own="true""#), "{mine}");
    assert!(mine.contains(">Anna<"), "{mine}");
    assert!(mine.contains(r#"data-delivery="delivered""#), "{mine}");
    assert!(mine.contains("Delivered"), "{mine}");
    assert!(mine.contains(&format_time(AT + 3 * 60_000)), "{mine}");
}

#[test]
fn time_is_local_hh_mm() {
    let time = format_time(AT);
    assert_eq!(time.len(), 5, "{time}");
    assert_eq!(&time[2..3], ":");
    assert!(time.chars().filter(char::is_ascii_digit).count() == 4);
}

#[test]
fn queued_and_rejected_states_with_retry() {
    let html = message_list(Lang::En, &sample_view(), 0);
    let queued = row_of(&html, "in coda");
    assert!(queued.contains(r#"data-delivery="queued""#), "{queued}");
    assert!(queued.contains("Sending…"), "{queued}");
    assert!(queued.contains(r#"data-own="true""#), "{queued}");

    let rejected = row_of(&html, "troppo veloce");
    assert!(
        rejected.contains(r#"data-delivery="rejected""#),
        "{rejected}"
    );
    assert!(
        rejected.contains("Not sent: sending too fast"),
        "{rejected}"
    );
    assert!(rejected.contains(">Retry<"), "{rejected}");
    assert!(!rejected.contains("RateLimited"), "{rejected}");
}

#[test]
fn italian_message_list() {
    let html = message_list(Lang::It, &sample_view(), 3);
    assert!(html.contains("Bruno ha raggiunto la piazza"), "{html}");
    assert!(html.contains("Bruno ha perso la connessione"), "{html}");
    assert!(row_of(&html, "Ciao Bruno").contains("Consegnato"));
    assert!(row_of(&html, "in coda").contains("In invio…"));
    let rejected = row_of(&html, "troppo veloce");
    assert!(
        rejected.contains("Non inviato: stai inviando troppo in fretta"),
        "{rejected}"
    );
    assert!(rejected.contains(">Riprova<"), "{rejected}");
    assert!(html.contains("3 nuovi messaggi ↓"), "{html}");
}

#[test]
fn english_notices_marker_and_empty_room() {
    let html = message_list(Lang::En, &sample_view(), 1);
    assert!(html.contains("Bruno joined"), "{html}");
    assert!(html.contains("Bruno lost the connection"), "{html}");
    assert!(html.contains("1 new message ↓"), "{html}");

    let html = message_list(Lang::En, &sample_view(), 0);
    assert!(!html.contains("new-messages"), "{html}");

    let empty = message_list(Lang::It, &ChatView::new(ME, "Anna", &[], &[], AT), 0);
    assert!(
        empty.contains("Ancora nessun messaggio. Saluta!"),
        "{empty}"
    );
}

#[test]
fn text_is_escaped() {
    let mut view = ChatView::new(ME, "Anna", &[], &[], AT);
    view.apply(
        &room_msg(1, "<b>Eve</b>", "<script>x()</script>", id(OTHER, 9)),
        AT,
    );
    let html = message_list(Lang::En, &view, 0);
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&#60;script&#62;x()"), "{html}");
}

#[test]
fn composer_button_is_invia_in_italian_and_send_in_english() {
    let it = render(|| rsx! { Composer { lang: Lang::It } });
    assert!(it.contains(">Invia<"), "{it}");
    assert!(it.contains("Scrivi un messaggio…"), "{it}");
    assert!(it.contains("composer-input"), "{it}");
    // Uncontrolled: no value attribute on the textarea.
    assert!(!it.contains("value="), "{it}");
    // Empty: nothing to send, no counter.
    assert!(it.contains(r#"aria-disabled="true""#), "{it}");
    assert!(!it.contains("char-counter"), "{it}");

    let en = render(|| rsx! { Composer { lang: Lang::En } });
    assert!(en.contains(">Send<"), "{en}");
    assert!(en.contains("Write a message…"), "{en}");
}

fn prompt(lang: Lang, name: &str, invite: &str, problem: Option<Problem>) -> String {
    let (name, invite) = (name.to_owned(), invite.to_owned());
    render(move || {
        rsx! {
            NamePrompt {
                lang,
                initial_name: name.clone(),
                initial_invite: invite.clone(),
                problem: problem.clone(),
                on_join: |_| {},
                on_host: |_| {},
            }
        }
    })
}

#[test]
fn name_prompt_fields_are_prefilled_and_valid() {
    let html = prompt(Lang::En, "Giulia", "piazza://127.0.0.1:4433/", None);
    assert!(html.contains(r#"id="name-input""#), "{html}");
    assert!(html.contains(r#"value="Giulia""#), "{html}");
    assert!(
        html.contains(r#"value="piazza://127.0.0.1:4433/""#),
        "{html}"
    );
    assert!(html.contains(">Join<"), "{html}");
    assert!(!html.contains("field-error"), "{html}");

    let it = prompt(Lang::It, "", "", None);
    assert!(it.contains("Il tuo nome"), "{it}");
    assert!(it.contains("Invito della stanza"), "{it}");
    assert!(it.contains(">Entra<"), "{it}");
    // Empty fields are not scolded before the user tried.
    assert!(!it.contains("field-error"), "{it}");
}

#[test]
fn name_prompt_validation_messages_follow_protocol_limits() {
    let long = "x".repeat(MAX_NAME_CHARS + 1);
    let en = prompt(Lang::En, &long, "http://example.org", None);
    assert!(en.contains("At most 32 characters."), "{en}");
    assert!(en.contains("33/32"), "{en}");
    assert!(
        en.contains("An invite starts with piazza://, not http://."),
        "{en}"
    );

    let it = prompt(Lang::It, &long, "piazza://host:99999", None);
    assert!(it.contains("Al massimo 32 caratteri."), "{it}");
    assert!(
        it.contains("La porta “99999” non è un numero da 1 a 65535."),
        "{it}"
    );

    let it = prompt(Lang::It, "a\tb", "piazza://host:4433", None);
    assert!(
        it.contains("Il nome non può contenere a capo o tabulazioni."),
        "{it}"
    );
}

#[test]
fn name_prompt_shows_an_outside_error() {
    let taken = Problem::JoinRefused(JoinRefusal::NameTaken);
    let html = prompt(Lang::It, "Anna", "127.0.0.1:4433", Some(taken));
    let name_field = &html[html.find("name-input").unwrap()..html.find("invite-input").unwrap()];
    assert!(
        name_field.contains("Qualcuno nella stanza usa già questo nome (o uno che sembra uguale)"),
        "{html}"
    );
    let html = prompt(
        Lang::En,
        "Anna",
        "127.0.0.1:4433",
        Some(Problem::PinMismatch),
    );
    let invite_field = &html[html.find("invite-input").unwrap()..];
    assert!(invite_field.contains("may be another server"), "{html}");
}

fn banner(lang: Lang, status: Status, since_ms: u64, now_ms: u64, waiting: usize) -> String {
    render(move || {
        rsx! {
            StatusBanner {
                lang,
                status: StatusView { status: status.clone(), since_ms },
                now_ms,
                waiting,
                on_reconnect: |_| {},
                on_change: |_| {},
            }
        }
    })
}

#[test]
fn banner_connecting_and_connected() {
    let html = banner(Lang::En, Status::Connecting, 0, 0, 0);
    assert!(html.contains(r#"data-status="connecting""#), "{html}");
    assert!(html.contains("Connecting to the relay…"), "{html}");
    let html = banner(Lang::It, Status::Connected, 0, 0, 0);
    assert!(html.contains(r#"data-status="connected""#), "{html}");
    assert!(html.contains("Connesso"), "{html}");
}

#[test]
fn banner_reconnecting_counts_down_in_plain_words() {
    let status = Status::Reconnecting {
        attempt: 2,
        retry_in: Duration::from_secs(8),
        problem: Problem::Unreachable,
    };
    let html = banner(Lang::En, status.clone(), 10_000, 12_500, 2);
    assert!(html.contains(r#"data-status="reconnecting""#), "{html}");
    assert!(
        html.contains("The relay cannot be reached. Trying again in 6 s…"),
        "{html}"
    );
    assert!(
        html.contains("2 messages will be sent when the relay is back."),
        "{html}"
    );
    assert!(html.contains("Reconnect now"), "{html}");
    assert!(!html.contains("Unreachable"), "{html}");

    let html = banner(Lang::It, status, 10_000, 12_500, 1);
    assert!(
        html.contains("Il relay non è raggiungibile. Nuovo tentativo tra 6 s…"),
        "{html}"
    );
    assert!(
        html.contains("1 messaggio verrà inviato quando il relay torna."),
        "{html}"
    );
}

#[test]
fn banner_failed_name_taken_offers_change_name() {
    let status = Status::Failed(Problem::JoinRefused(JoinRefusal::NameTaken));
    let html = banner(Lang::En, status.clone(), 0, 0, 0);
    assert!(html.contains(r#"data-status="failed""#), "{html}");
    assert!(
        html.contains("Someone in the room already uses this name"),
        "{html}"
    );
    assert!(html.contains(r#"id="change-name""#), "{html}");
    assert!(html.contains(">Change name<"), "{html}");
    assert!(html.contains(">Try again<"), "{html}");
    assert!(!html.contains("NameTaken"), "{html}");

    let html = banner(Lang::It, status, 0, 0, 0);
    assert!(html.contains(">Cambia nome<"), "{html}");
    assert!(html.contains(">Riprova<"), "{html}");

    let html = banner(Lang::En, Status::Failed(Problem::PinMismatch), 0, 0, 0);
    assert!(html.contains(r#"id="change-invite""#), "{html}");
    assert!(html.contains("may be another server"), "{html}");
}

#[test]
fn member_list_marks_me() {
    let html = render(|| {
        rsx! {
            MemberList {
                lang: Lang::It,
                online: 2,
                members: Some(vec!["Anna".to_owned(), "Bruno".to_owned()]),
                me: Some("anna".to_owned()),
            }
        }
    });
    assert!(html.contains("In linea"), "{html}");
    assert!(html.contains(">Bruno<"), "{html}");
    let anna = row_of(&html, "Anna");
    assert!(
        anna.contains("(tu)") && anna.contains(r#"data-me="true""#),
        "{html}"
    );
    let bruno = row_of(&html, "Bruno");
    assert!(
        !bruno.contains("(tu)") && bruno.contains(r#"data-me="false""#),
        "{html}"
    );
    assert_eq!(html.matches(r#"data-me="true""#).count(), 1, "{html}");

    let empty = render(
        || rsx! { MemberList { lang: Lang::En, online: 0, members: Some(vec![]), me: None } },
    );
    assert!(empty.contains("Nobody yet"), "{empty}");

    let large =
        render(|| rsx! { MemberList { lang: Lang::It, online: 1500, members: None, me: None } });
    assert!(large.contains(">1500<"), "{large}");
    assert!(large.contains("Troppe persone"), "{large}");
    assert!(!large.contains("Ancora nessuno"), "{large}");
}

#[test]
fn while_offline_the_member_list_says_presence_is_unknown() {
    let html = render(|| {
        rsx! {
            MemberList {
                lang: Lang::En,
                online: 2,
                members: Some(vec!["Anna".to_owned(), "Bruno".to_owned()]),
                me: Some("Anna".to_owned()),
                known: false,
            }
        }
    });
    assert!(html.contains(r#"data-known="false""#), "{html}");
    assert!(html.contains("who is here now is unknown"), "{html}");
    assert!(html.contains(r#"class="count">?<"#), "{html}");
}

#[test]
fn links_in_texts_are_clickable_and_nothing_else_is() {
    let mut view = ChatView::new(ME, "Anna", &[], &[], AT);
    view.apply(
        &room_msg(
            1,
            "Bruno",
            "orario su https://scuola.example.it/orario e www.comune.roma.it",
            id(OTHER, 1),
        ),
        AT,
    );
    view.apply(
        &room_msg(2, "Bruno", "javascript:alert(1)", id(OTHER, 2)),
        AT,
    );
    let html = message_list(Lang::It, &view, 0);
    assert!(
        html.contains(r#"href="https://scuola.example.it/orario""#),
        "{html}"
    );
    assert!(
        html.contains(r#"href="https://www.comune.roma.it""#),
        "{html}"
    );
    assert_eq!(html.matches("<a ").count(), 2, "{html}");
}

#[test]
fn a_run_of_joins_and_leaves_reads_as_one_line_in_words_that_fit_everyone() {
    let mut view = ChatView::new(ME, "Anna", &[], &[], AT);
    let at = |seq| AT + seq * 1000;
    for (seq, kind) in [
        (
            1,
            EventKind::Left {
                name: "Giulia".into(),
                reason: LeaveReason::Shutdown,
            },
        ),
        (
            2,
            EventKind::Joined {
                name: "Giulia".into(),
            },
        ),
        (
            3,
            EventKind::Joined {
                name: "Marco".into(),
            },
        ),
        (
            4,
            EventKind::Joined {
                name: "Sara".into(),
            },
        ),
    ] {
        view.apply(
            &room(RoomEvent {
                seq,
                at_ms: at(seq),
                kind,
            }),
            AT,
        );
    }
    let it = message_list(Lang::It, &view, 0);
    assert_eq!(it.matches(r#"class="notice""#).count(), 1, "{it}");
    assert!(
        it.contains("Marco e Sara hanno raggiunto la piazza · Di nuovo in piazza: Giulia"),
        "{it}"
    );
    assert!(!it.contains("entrato") && !it.contains("entrata"), "{it}");
    let en = message_list(Lang::En, &view, 0);
    assert!(
        en.contains("Marco and Sara joined · Giulia is back"),
        "{en}"
    );
}

#[test]
fn the_top_of_the_list_says_whether_older_messages_exist() {
    let mut view = ChatView::new(ME, "Anna", &[], &[], AT);
    view.apply(&room_msg(5, "Bruno", "ciao", id(OTHER, 5)), AT);
    let start = message_list_with(Lang::En, &view, 0, Older::None, false);
    assert!(
        start.contains("This is the beginning of the room."),
        "{start}"
    );
    let loading = message_list_with(Lang::It, &view, 0, Older::Loading, false);
    assert!(
        loading.contains("Caricamento dei messaggi precedenti…"),
        "{loading}"
    );
    let more = message_list_with(Lang::En, &view, 0, Older::More, false);
    assert!(more.contains(r#"id="load-older""#), "{more}");
}

#[test]
fn queued_messages_say_they_wait_for_the_connection_while_offline() {
    let html = message_list_with(Lang::En, &sample_view(), 0, Older::None, true);
    let queued = row_of(&html, "in coda");
    assert!(queued.contains("Waiting for the connection"), "{queued}");
}

#[test]
fn a_stopped_session_disables_the_composer_with_a_reason() {
    let html = render(|| rsx! { Composer { lang: Lang::En, stopped: true } });
    assert!(html.contains(r#"data-stopped="true""#), "{html}");
    assert!(html.contains("Messages cannot be sent here now"), "{html}");
    assert!(html.contains(r#"aria-disabled="true""#), "{html}");
}

#[test]
fn the_room_list_shows_names_last_messages_unread_counts_and_the_room_shown() {
    let rooms = vec![
        RoomSummary {
            id: "r/piazza".into(),
            name: "piazza".into(),
            host: "127.0.0.1:4433".into(),
            place: Some("127.0.0.1:4433".into()),
            last: Some(("Bruno".into(), "ci vediamo".into())),
            unread: 0,
            muted: false,
            active: true,
            state: app::state::RoomMark::Live,
        },
        RoomSummary {
            id: "r/classe-3b".into(),
            name: "classe-3b".into(),
            host: "127.0.0.1:4433".into(),
            place: None,
            last: None,
            unread: 4,
            muted: true,
            active: false,
            state: app::state::RoomMark::Waiting,
        },
    ];
    let html = render(move || {
        rsx! { RoomList { lang: Lang::It, rooms: rooms.clone(), on_select: |_| {}, on_add: |_| {} } }
    });
    assert!(html.contains("Stanze"), "{html}");
    assert!(html.contains("Bruno: ci vediamo"), "{html}");
    assert!(html.contains("Ancora nessun messaggio"), "{html}");
    let b = &html[html.find(r#"data-room="classe-3b""#).unwrap()..];
    assert!(
        b.contains(r#"data-unread="4""#) && b.contains("4 messaggi non letti"),
        "{html}"
    );
    assert!(b.contains(r#"aria-label="silenziata""#), "{html}");
    assert_eq!(html.matches(r#"aria-current="true""#).count(), 1, "{html}");
    assert!(html.contains("Entra in una stanza"), "{html}");
    // Where a room is shows only when it is needed (a name shared across relays).
    assert_eq!(html.matches(r#"class="room-place""#).count(), 1, "{html}");
}

#[test]
fn the_add_room_form_says_why_a_room_refused() {
    let html = render(|| {
        rsx! {
            AddRoomForm {
                lang: Lang::En,
                joining: false,
                problem: Some(Problem::JoinRefused(JoinRefusal::RoomKeyWrong)),
                on_join: |_| {},
                on_cancel: |_| {},
            }
        }
    });
    assert!(html.contains("Join another room"), "{html}");
    assert!(
        html.contains("The room key in the invite is wrong."),
        "{html}"
    );
}

fn share(on_network: bool) -> Share {
    let link = "piazza://192.168.1.20:4433/?fp=0879295023".to_owned() + &"0".repeat(54);
    let invite: common::invite::Invite = link.parse().unwrap();
    Share {
        qr_svg: qr_svg(&link),
        link,
        own_invite: invite.clone(),
        invite,
        short_fingerprint: "0879-2950-2300-0000".into(),
        port: 4433,
        on_network,
    }
}

#[test]
fn the_share_dialog_shows_the_qr_code_the_link_the_check_code_and_the_port() {
    let html =
        render(|| rsx! { ShareDialog { lang: Lang::It, share: share(true), on_close: |_| {} } });
    assert!(html.contains("<svg"), "the QR code: {html}");
    assert!(html.contains("piazza://192.168.1.20:4433/"), "{html}");
    assert!(html.contains("0879-2950-2300-0000"), "{html}");
    assert!(html.contains("Codice di verifica"), "{html}");
    assert!(html.contains("porta UDP 4433"), "{html}");
    assert!(html.contains("Copia"), "{html}");
    let offline =
        render(|| rsx! { ShareDialog { lang: Lang::En, share: share(false), on_close: |_| {} } });
    assert!(
        offline.contains("only Piazza windows on this computer can join"),
        "{offline}"
    );
}

#[test]
fn closing_a_hosted_room_names_how_many_are_online() {
    let one = render(|| {
        rsx! { CloseHostedDialog { lang: Lang::En, others: 1, on_close: |_| {}, on_keep: |_| {} } }
    });
    assert!(one.contains("1 other person is online"), "{one}");
    let three = render(|| {
        rsx! { CloseHostedDialog { lang: Lang::It, others: 3, on_close: |_| {}, on_keep: |_| {} } }
    });
    assert!(three.contains("Ci sono altre 3 persone online"), "{three}");
    assert!(three.contains("Chiudi la piazza"), "{three}");
}

#[test]
fn the_join_screen_offers_hosting_and_says_why_it_did_not_start() {
    let html = render(|| {
        rsx! {
            NamePrompt {
                lang: Lang::It,
                initial_name: "Prof Rossi".to_owned(),
                initial_invite: String::new(),
                on_join: |_| {},
                on_host: |_| {},
                host_problem: Some(Lang::It.host_problem(&HostProblem::NoFreePort)),
            }
        }
    });
    assert!(html.contains("Ospita una piazza"), "{html}");
    assert!(html.contains("Tutte le porte UDP da 4433 a 4452"), "{html}");
}

#[test]
fn rooms_nearby_show_their_check_code_and_which_need_the_invite() {
    use engine::nearby::NearbyRoom;
    let room = |name: &str, key_required: bool| NearbyRoom {
        instance: format!("{name} (3F3F)"),
        name: name.into(),
        room: "piazza".into(),
        addresses: vec!["10.0.0.5".parse().unwrap()],
        port: 4433,
        fingerprint: common::fingerprint::Fingerprint([0x3f; 32]),
        key_required,
    };
    let html = render(move || {
        rsx! {
            app::ui::NearbyRooms {
                lang: Lang::En,
                rooms: vec![room("Marco's room", false), room("Staff room", true)],
                on_pick: |_| {},
            }
        }
    });
    assert!(html.contains("Rooms nearby"), "{html}");
    assert!(
        html.contains("Marco&#39;s room") || html.contains("Marco's room"),
        "{html}"
    );
    assert!(html.contains("3F3F-3F3F-3F3F-3F3F"), "{html}");
    assert_eq!(html.matches("needs the invite").count(), 1, "{html}");
    assert!(html.contains("the sure way in"), "{html}");
    let none = render(
        || rsx! { app::ui::NearbyRooms { lang: Lang::En, rooms: Vec::new(), on_pick: |_| {} } },
    );
    assert!(
        !none.contains("Rooms nearby"),
        "nothing shown when nothing is found"
    );
}

#[test]
fn an_owner_gets_actions_on_others_and_everyone_sees_the_removal_question() {
    let owner = render(|| {
        rsx! {
            MemberList {
                lang: Lang::It,
                online: 2,
                members: Some(vec!["Anna".to_owned(), "Bruno".to_owned()]),
                me: Some("anna".to_owned()),
                owner: true,
            }
        }
    });
    let bruno = row_of(&owner, "Bruno");
    assert!(
        bruno.contains("Silenzia 10 min") && bruno.contains("Allontana…"),
        "{owner}"
    );
    assert!(
        !row_of(&owner, "Anna").contains("Silenzia"),
        "not on oneself: {owner}"
    );
    let member = render(|| {
        rsx! {
            MemberList {
                lang: Lang::It,
                online: 2,
                members: Some(vec!["Anna".to_owned(), "Bruno".to_owned()]),
                me: Some("anna".to_owned()),
            }
        }
    });
    assert!(!member.contains("Silenzia"), "only owners: {member}");
    let dialog = render(|| {
        rsx! {
            app::ui::RemoveMemberDialog {
                lang: Lang::En,
                name: "Bruno".to_owned(),
                on_confirm: |_| {},
                on_cancel: |_| {},
            }
        }
    });
    assert!(dialog.contains("Remove Bruno from the room?"), "{dialog}");
    assert!(dialog.contains("Everyone reads the reason"), "{dialog}");
    assert!(
        dialog.contains(r#"aria-disabled="true""#),
        "no removal without a reason: {dialog}"
    );
}
