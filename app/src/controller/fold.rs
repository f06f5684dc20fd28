//! Engine events into the rooms' views: the connection's status goes to every room of
//! its relay, a room's events to that room; joins answered (or refused) move the app
//! from the join screen or the "join another room" form; messages from others count as
//! unread where they are not seen and raise notifications for rooms not muted.

use dioxus::prelude::*;
use engine::{Event, Problem, RoomStatus, Status};

use super::{sessions::Sessions, sessions::Tagged, AddRoom, Phase, Ui};
use crate::{
    platform::{glue, notify},
    state::{Notice, RoomKey},
};

/// What a batch changed beyond the views.
#[derive(Default)]
struct Outcome {
    /// Back to the join screen with this problem (the first join failed).
    back_to_prompt: Option<Problem>,
    /// The first join was answered: show the chat.
    chat: bool,
    /// The form's room was joined: close it.
    form_done: bool,
    /// The form's room was refused: show why.
    form_problem: Option<Problem>,
    /// Rooms the relay refused that must leave the list.
    drop: Vec<RoomKey>,
    /// A relay the form tried and could not reach or use, with no other room: its
    /// session ends.
    drop_relay: Option<String>,
    /// New messages from others in the room shown, below the visible part.
    unseen: usize,
    /// The last message to notify about.
    notice: Option<(String, Notice)>,
    /// History arrived: the list may ask for more.
    history: bool,
}

/// Folds a batch of tagged engine events into the views, then acts on what changed.
/// True when rooms left the list (refused, or on a relay the form could not reach): the
/// saved list must follow.
pub fn fold(ui: Ui, sessions: &mut Sessions, batch: &[Tagged]) -> bool {
    let phase = ui.phase.peek().clone();
    let form = ui.add_room.peek().clone();
    let focused = *ui.focused.peek();
    let sticky = *ui.sticky.peek();
    let now = crate::app::now_ms();
    let mut out = Outcome::default();
    let mut rooms = ui.rooms;
    {
        let mut rooms = rooms.write();
        let active = rooms.active.clone();
        for (relay, event) in batch {
            let room = match event {
                Event::Status(status) => {
                    for tab in rooms.on_relay(relay) {
                        tab.view.apply(event, now);
                    }
                    if let Some(session) = sessions.get_mut(relay) {
                        session.status = status.clone();
                    }
                    let welcomed = sessions.get(relay).is_some_and(|s| s.welcomed);
                    match status {
                        Status::Failed(problem) if phase == Phase::Joining && !welcomed => {
                            out.back_to_prompt = Some(problem.clone());
                        }
                        Status::Reconnecting { .. } if phase == Phase::Joining => out.chat = true,
                        _ => {}
                    }
                    // The form's room is on a new relay that cannot be reached or used:
                    // say why in the form rather than wait there.
                    let form_key = form.as_ref().and_then(|f| f.joining.clone());
                    if let Some(key) = form_key.filter(|k| &k.relay == relay && !welcomed) {
                        if let Status::Failed(problem) | Status::Reconnecting { problem, .. } =
                            status
                        {
                            out.form_problem = Some(problem.clone());
                            if rooms.on_relay(relay).count() <= 1 {
                                out.drop_relay = Some(relay.clone());
                            }
                            out.drop.push(key);
                        }
                    }
                    continue;
                }
                Event::RoomStatus { room, .. }
                | Event::Welcome { room, .. }
                | Event::Members { room, .. }
                | Event::Room { room, .. }
                | Event::Queued { room, .. }
                | Event::Acked { room, .. }
                | Event::Rejected { room, .. }
                | Event::History { room, .. }
                | Event::ModerationRefused { room, .. } => room,
                Event::Saved(_) => continue,
            };
            let key = RoomKey {
                relay: relay.clone(),
                room: room.clone(),
            };
            let shown = active.as_ref() == Some(&key);
            let Some(tab) = rooms.get_mut(&key) else {
                continue; // a room left meanwhile
            };
            let applied = tab.view.apply(event, now);
            match event {
                Event::Welcome { .. } => {
                    if let Some(session) = sessions.get_mut(relay) {
                        session.welcomed = true;
                    }
                }
                Event::RoomStatus { status, .. } => {
                    tab.status = status.clone();
                    let from_form = form.as_ref().and_then(|f| f.joining.as_ref()) == Some(&key);
                    match status {
                        RoomStatus::Joined | RoomStatus::Archived => {
                            out.chat |= phase == Phase::Joining;
                            out.form_done |= from_form;
                        }
                        RoomStatus::Refused(reason) => {
                            let problem = Problem::JoinRefused(*reason);
                            if phase == Phase::Joining {
                                out.back_to_prompt = Some(problem);
                                out.drop.push(key.clone());
                            } else if from_form {
                                out.form_problem = Some(problem);
                                out.drop.push(key.clone());
                            }
                        }
                        _ => {}
                    }
                }
                Event::History { .. } => out.history |= shown,
                _ => {}
            }
            if applied.new_from_others > 0 {
                if !shown || !focused {
                    tab.unread += applied.new_from_others;
                }
                if shown && !sticky {
                    out.unseen += applied.new_from_others;
                }
                if let Some(notice) = applied.notice {
                    if !tab.muted && (!focused || !shown) {
                        out.notice = Some((room.clone(), notice));
                    }
                }
            }
        }
        for key in &out.drop {
            rooms.remove(key);
        }
    }
    let dropped = !out.drop.is_empty();
    act(ui, sessions, out);
    dropped
}

fn act(ui: Ui, sessions: &mut Sessions, out: Outcome) {
    let (mut phase, mut add_room, mut unseen) = (ui.phase, ui.add_room, ui.unseen);
    for key in &out.drop {
        // The engine keeps a refused room until told: forget it.
        if let Some(session) = sessions.get(&key.relay) {
            session.engine.send(engine::Command::LeaveRoom {
                room: key.room.clone(),
            });
        }
    }
    if let Some(relay) = &out.drop_relay {
        sessions.drop_one(relay);
    }
    if let Some(problem) = out.back_to_prompt {
        // Refused before ever getting in (name taken, wrong key, another server): back
        // to the join screen, with the problem next to what can fix it.
        let mut rooms = ui.rooms;
        let stale: Vec<RoomKey> = rooms.peek().tabs.iter().map(|t| t.key.clone()).collect();
        for key in stale {
            if let Some(session) = sessions.get(&key.relay) {
                session
                    .engine
                    .send(engine::Command::LeaveRoom { room: key.room });
            }
        }
        sessions.drop_all();
        rooms.write().tabs.clear();
        rooms.write().active = None;
        phase.set(Phase::Prompt(Some(problem)));
        return;
    }
    if out.chat && *phase.peek() == Phase::Joining {
        phase.set(Phase::Chat);
    }
    if out.form_done {
        add_room.set(None);
        // The room joined is shown: typing goes to its composer.
        glue::focus_composer();
    } else if let Some(problem) = out.form_problem {
        add_room.set(Some(AddRoom {
            joining: None,
            problem: Some(problem),
        }));
    }
    if out.unseen > 0 {
        unseen += out.unseen;
    }
    if out.history {
        glue::rearm_top();
    }
    if let Some((room, notice)) = out.notice {
        notify::show(
            ui.lang.notification_title(&notice.sender, &room),
            &notice.text,
        );
    }
}
