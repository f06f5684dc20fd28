//! Filling the school: every member is its own client (its own QUIC connection and
//! session, as separate people are) that joins its one room with `Dialer::open_room`, at
//! most [`JOINS_IN_FLIGHT`] handshakes at once. Each member's reader records the load
//! messages it gets in its kind of room's [`Recorder`]; its writer goes to its room's
//! [`RoomLoad`] for [`super::chat`].

use std::{cell::RefCell, rc::Rc, time::Instant};

use anyhow::Result;
use common::{invite::Invite, protocol::Join};

use super::{Kind, Shape};
use crate::{
    client::{receive, Client, ClientOpts, Endpoints, Sender, JOINS_IN_FLIGHT},
    record::Recorder,
};

/// Name of the large room.
pub const BIG_ROOM: &str = "school";

/// One room of the school and the writers of its members.
pub struct RoomLoad {
    /// Class room or the large room.
    pub kind: Kind,
    /// The members that joined, each able to post.
    pub members: Vec<Sender>,
}

/// The school after filling.
pub struct Filled {
    /// Every room, class rooms first, the large room (if any) last.
    pub rooms: Vec<RoomLoad>,
    /// Members that joined.
    pub joined: usize,
    /// Members that could not join, and the first error.
    pub failed: usize,
    pub first_error: Option<String>,
    /// Seconds from the first handshake to the last welcome.
    pub secs: f64,
}

/// The name of class room `c`.
pub fn class_room(c: usize) -> String {
    format!("class-{c:04}")
}

/// Joins every member of every room; `recorders` are indexed by [`Kind`].
pub async fn fill(
    invite: &Invite,
    opts: ClientOpts,
    shape: &Shape,
    base: Instant,
    recorders: &[Rc<RefCell<Recorder>>; 2],
) -> Result<Filled> {
    let mut plan: Vec<(usize, String, String)> = Vec::new();
    for c in 0..shape.classes {
        for m in 0..shape.class_size {
            plan.push((c, class_room(c), format!("m{m}")));
        }
    }
    for m in 0..shape.big {
        plan.push((shape.classes, BIG_ROOM.to_owned(), format!("b{m}")));
    }
    let mut rooms: Vec<RoomLoad> = (0..shape.classes)
        .map(|_| RoomLoad {
            kind: Kind::Class,
            members: Vec::new(),
        })
        .collect();
    if shape.big > 0 {
        rooms.push(RoomLoad {
            kind: Kind::Big,
            members: Vec::new(),
        });
    }
    let mut eps = Endpoints::new(invite, plan.len().div_ceil(500), opts)?;
    let start = Instant::now();
    let mut filled = Filled {
        rooms: Vec::new(),
        joined: 0,
        failed: 0,
        first_error: None,
        secs: 0.0,
    };
    let mut settle = |(r, joined): (usize, Result<Client>), filled: &mut Filled| match joined {
        Ok(c) => {
            let room = &mut rooms[r];
            let recorder = recorders[room.kind as usize].clone();
            tokio::task::spawn_local(receive(c.reader, c.conn, base, Some(recorder)));
            room.members.push(Sender {
                room: c.room,
                writer: c.writer,
                install: c.install,
                counter: c.counter,
            });
            filled.joined += 1;
        }
        Err(e) => {
            filled.failed += 1;
            filled.first_error.get_or_insert_with(|| format!("{e:#}"));
        }
    };
    let mut joins = tokio::task::JoinSet::new();
    for (r, room, name) in plan {
        if joins.len() >= JOINS_IN_FLIGHT {
            let done = joins.join_next().await.expect("running")?;
            settle(done, &mut filled);
        }
        let join = eps.join_room(
            name,
            Join {
                room,
                key: None,
                resume_after: None,
                owner_key: None,
            },
        );
        joins.spawn_local(async move { (r, join.await) });
    }
    while let Some(done) = joins.join_next().await {
        settle(done?, &mut filled);
    }
    filled.secs = start.elapsed().as_secs_f64();
    filled.rooms = rooms;
    Ok(filled)
}
