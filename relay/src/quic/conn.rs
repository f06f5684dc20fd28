//! [`Conn`]: one connection inside the driver — its `quinn-proto` state, the session's
//! [`Link`], and the frames taken from the member's queue that the stream has not
//! taken yet (flow control).

use std::{sync::Arc, time::Instant};

use bytes::Bytes;
use quinn_proto::{ConnectionHandle, Dir, Event, ReadError, StreamEvent, StreamId, WriteError};

use super::{
    io::Socket,
    link::{Link, READ_AHEAD},
};

/// Datagrams one connection may send in one pass of the loop before the others get
/// their turn.
const DATAGRAMS_PER_PASS: usize = 40;

/// Frame slots kept between batches; a burst's larger vector is given back.
const OUT_KEPT: usize = 32;

/// What driving a connection left.
pub(super) struct Driven {
    /// The connection has drained: forget it.
    pub(super) drained: bool,
    /// It has more to send than this pass allowed (or the socket is full).
    pub(super) more: bool,
}

/// One connection.
pub(super) struct Conn {
    pub(super) proto: quinn_proto::Connection,
    link: Arc<Link>,
    /// The client's stream, once opened.
    stream: Option<StreamId>,
    /// Frames taken from the queue; `out[sent..]` are not in the stream yet.
    out: Vec<Bytes>,
    sent: usize,
    /// The queue's close, once its last frames are taken.
    closed: Option<crate::room::Close>,
    /// Nothing more is written (the stream is finished, stopped or given up).
    done_writing: bool,
    /// The timer the driver has queued for this connection.
    pub(super) timer: Option<Instant>,
}

impl Conn {
    pub(super) fn new(proto: quinn_proto::Connection, link: Arc<Link>) -> Self {
        Self {
            proto,
            link,
            stream: None,
            out: Vec::new(),
            sent: 0,
            closed: None,
            done_writing: false,
            timer: None,
        }
    }

    /// Handles its events, moves queued frames into the stream, collects its packets.
    pub(super) fn drive(
        &mut self,
        now: Instant,
        endpoint: &mut quinn_proto::Endpoint,
        socket: &mut Socket,
    ) -> Driven {
        let handle = ConnectionHandle(self.link.handle);
        loop {
            self.events();
            self.write();
            let more = self.transmit(now, socket);
            let mut drained = false;
            let mut again = false;
            while let Some(event) = self.proto.poll_endpoint_events() {
                drained |= event.is_drained();
                if let Some(back) = endpoint.handle_event(handle, event) {
                    self.proto.handle_event(back);
                    again = true;
                }
            }
            if drained || !again {
                return Driven { drained, more };
            }
        }
    }

    /// The connection's events, turned into the session's state.
    fn events(&mut self) {
        while let Some(event) = self.proto.poll() {
            match event {
                Event::Connected => {
                    self.link.state.lock().unwrap().connected = true;
                    self.link.notify.notify_one();
                }
                Event::ConnectionLost { reason } => self.gone(&reason.to_string()),
                Event::Stream(StreamEvent::Opened { dir: Dir::Bi }) if self.stream.is_none() => {
                    if let Some(id) = self.proto.streams().accept(Dir::Bi) {
                        self.stream = Some(id);
                        self.link.state.lock().unwrap().stream = true;
                        self.read();
                    }
                }
                Event::Stream(StreamEvent::Readable { id }) if self.stream == Some(id) => {
                    self.read()
                }
                Event::Stream(StreamEvent::Finished { id }) if self.stream == Some(id) => {
                    self.sent_all()
                }
                Event::Stream(StreamEvent::Stopped { id, .. }) if self.stream == Some(id) => {
                    // The client reads no more: what is left is not sent.
                    self.out.clear();
                    self.sent = 0;
                    self.sent_all();
                }
                _ => {}
            }
        }
    }

    /// Reads what the stream has (up to [`READ_AHEAD`] ahead of the session).
    pub(super) fn read(&mut self) {
        let Some(id) = self.stream else { return };
        let mut state = self.link.state.lock().unwrap();
        if state.paused || state.finished {
            return;
        }
        let mut recv = self.proto.recv_stream(id);
        let Ok(mut chunks) = recv.read(true) else {
            return;
        };
        loop {
            match chunks.next(usize::MAX) {
                Ok(Some(chunk)) => {
                    state.inbound.extend_from_slice(&chunk.bytes);
                    if state.inbound.len() >= READ_AHEAD {
                        state.paused = true;
                        break;
                    }
                }
                Ok(None) => {
                    state.finished = true;
                    break;
                }
                Err(ReadError::Blocked) => break,
                Err(ReadError::Reset(code)) => {
                    state
                        .gone
                        .get_or_insert_with(|| format!("the client reset its stream ({code})"));
                    break;
                }
            }
        }
        // Flow-control credit goes out with the packets collected after this.
        let _ = chunks.finalize();
        drop(state);
        self.link.notify.notify_one();
    }

    /// Moves what the member's queue holds into the stream, as far as flow control
    /// lets it; finishes the stream after the last frames of a closed queue.
    fn write(&mut self) {
        let Some(id) = self.stream else { return };
        while !self.done_writing {
            if self.sent == self.out.len() {
                self.out.clear();
                self.sent = 0;
                if self.out.capacity() > OUT_KEPT {
                    self.out = Vec::new();
                }
                if self.closed.is_none() {
                    self.closed = self.link.queue.take_batch(&mut self.out);
                }
                if self.out.is_empty() {
                    match self.closed {
                        None => return,
                        Some(close) if close.discards() => self.sent_all(),
                        Some(_) => match self.proto.send_stream(id).finish() {
                            // Done once the client has acknowledged it all (`Finished`).
                            Ok(()) => self.done_writing = true,
                            Err(_) => self.sent_all(),
                        },
                    }
                    return;
                }
            }
            match self
                .proto
                .send_stream(id)
                .write_chunks(&mut self.out[self.sent..])
            {
                Ok(written) if written.bytes == 0 => return,
                Ok(written) => self.sent += written.chunks,
                Err(WriteError::Blocked) => return,
                Err(_) => {
                    // Stopped by the client or closed: nothing more goes out.
                    self.out.clear();
                    self.sent = 0;
                    self.sent_all();
                }
            }
        }
    }

    /// Collects the connection's packets; true when it has more than this pass takes.
    fn transmit(&mut self, now: Instant, socket: &mut Socket) -> bool {
        let mut datagrams = 0;
        while datagrams < DATAGRAMS_PER_PASS {
            if socket.blocked() {
                return true;
            }
            let max = socket.max_gso().min(DATAGRAMS_PER_PASS - datagrams);
            let Some(transmit) = self.proto.poll_transmit(now, max, socket.buf()) else {
                return false;
            };
            datagrams += transmit
                .segment_size
                .map_or(1, |segment| transmit.size.div_ceil(segment));
            socket.commit(&transmit);
        }
        true
    }

    /// Everything written is with the client (or never will be): the session may close.
    fn sent_all(&mut self) {
        self.done_writing = true;
        self.link.queue.set_finished();
        self.link.notify.notify_one();
    }

    /// The connection is gone: the session learns why.
    pub(super) fn gone(&self, why: &str) {
        let mut state = self.link.state.lock().unwrap();
        if state.gone.is_none() {
            state.gone = Some(why.to_owned());
        }
        drop(state);
        self.link.notify.notify_one();
    }
}
