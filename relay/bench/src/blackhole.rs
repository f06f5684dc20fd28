//! A UDP socket that can be cut off for good: once [`Switch::cut`] is called nothing is
//! sent from it and everything that arrives is dropped, as when a phone loses its
//! network. The QUIC connections on it vanish without a close, a Quit or an ack; the
//! relay sees only silence until its idle timeout.

use std::{
    fmt,
    io::{self, IoSliceMut},
    net::SocketAddr,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll},
};

use quinn::{
    udp::{RecvMeta, Transmit},
    AsyncUdpSocket, Runtime, TokioRuntime, UdpPoller,
};

/// Cuts the sockets it was given to.
#[derive(Clone, Default)]
pub struct Switch(Arc<AtomicBool>);

impl Switch {
    /// From now on the socket neither sends nor receives.
    pub fn cut(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn is_cut(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A client endpoint on a big-buffer socket (`net::socket::udp_socket`) that `switch`
/// can cut.
pub fn endpoint(remote: SocketAddr, switch: Switch) -> io::Result<quinn::Endpoint> {
    let socket = net::socket::udp_socket(net::socket::unspecified(remote))?;
    let inner = TokioRuntime.wrap_udp_socket(socket)?;
    quinn::Endpoint::new_with_abstract_socket(
        quinn::EndpointConfig::default(),
        None,
        Arc::new(Holed { inner, switch }),
        Arc::new(TokioRuntime),
    )
}

struct Holed {
    inner: Arc<dyn AsyncUdpSocket>,
    switch: Switch,
}

impl fmt::Debug for Holed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Holed")
            .field("cut", &self.switch.is_cut())
            .finish()
    }
}

impl AsyncUdpSocket for Holed {
    fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
        self.inner.clone().create_io_poller()
    }

    fn try_send(&self, transmit: &Transmit) -> io::Result<()> {
        if self.switch.is_cut() {
            return Ok(());
        }
        self.inner.try_send(transmit)
    }

    fn poll_recv(
        &self,
        cx: &mut Context,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        loop {
            match self.inner.poll_recv(cx, bufs, meta) {
                // Drained and dropped; polling again registers the waker when empty.
                Poll::Ready(Ok(_)) if self.switch.is_cut() => continue,
                other => return other,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    fn max_transmit_segments(&self) -> usize {
        self.inner.max_transmit_segments()
    }

    fn max_receive_segments(&self) -> usize {
        self.inner.max_receive_segments()
    }

    fn may_fragment(&self) -> bool {
        self.inner.may_fragment()
    }
}
