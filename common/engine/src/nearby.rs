//! Rooms nearby: browsing the LAN for relays that advertise a room with DNS-SD over
//! mDNS (`_piazza._udp.local.`, the record of `common::lan`).
//!
//! [`NearbyBrowser::start`] browses until [`NearbyBrowser::stop`] (or until it is
//! dropped) and keeps [`NearbyBrowser::rooms`], a watch of the current list, sorted by
//! name. A service whose record is malformed (a bad fingerprint, another protocol
//! version) is left out with a warning in the log.
//!
//! mDNS is unauthenticated: show [`NearbyRoom::short_fingerprint`] beside each room;
//! the host's invite (QR code or link) stays the verified path.

mod list;

use std::time::Duration;

use common::lan::SERVICE_TYPE;
use mdns_sd::{ServiceDaemon, ServiceEvent};
use tokio::sync::{oneshot, watch};

pub use list::{parse, Change, NearbyList, NearbyRoom, Resolved, Skip};

/// Why browsing could not start.
#[derive(Debug, thiserror::Error)]
#[error("browsing the LAN (mDNS): {0}")]
pub struct NearbyError(#[from] mdns_sd::Error);

/// Browsing the LAN for rooms nearby.
#[derive(Debug)]
pub struct NearbyBrowser {
    rooms: watch::Receiver<Vec<NearbyRoom>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl NearbyBrowser {
    /// Starts an mDNS daemon browsing for rooms; its events are handled on the current
    /// tokio runtime.
    pub fn start() -> Result<Self, NearbyError> {
        let daemon = ServiceDaemon::new()?;
        let events = daemon.browse(SERVICE_TYPE)?;
        let (rooms_tx, rooms) = watch::channel(Vec::new());
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(browse(daemon, events, rooms_tx, stopped));
        Ok(Self {
            rooms,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The current list of rooms nearby, changed as services come, change and go.
    pub fn rooms(&self) -> watch::Receiver<Vec<NearbyRoom>> {
        self.rooms.clone()
    }

    /// Stops browsing and the daemon (waits at most about a second).
    pub async fn stop(mut self) {
        let _ = self.stop.take().map(|stop| stop.send(()));
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
    }
}

impl Drop for NearbyBrowser {
    /// Stops browsing in the background.
    fn drop(&mut self) {
        let _ = self.stop.take().map(|stop| stop.send(()));
    }
}

/// Folds the daemon's events into the list until told to stop.
async fn browse(
    daemon: ServiceDaemon,
    events: mdns_sd::Receiver<ServiceEvent>,
    rooms: watch::Sender<Vec<NearbyRoom>>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut list = NearbyList::default();
    loop {
        let event = tokio::select! {
            _ = &mut stopped => break,
            event = events.recv_async() => match event {
                Ok(event) => event,
                Err(_) => break,
            },
        };
        let change = match event {
            ServiceEvent::ServiceResolved(service) => Change::Resolved(Resolved {
                fullname: service.fullname.clone(),
                port: service.port,
                addresses: service.addresses.iter().map(|ip| ip.to_ip_addr()).collect(),
                txt: service
                    .txt_properties
                    .iter()
                    .map(|p| (p.key().to_owned(), p.val_str().to_owned()))
                    .collect(),
            }),
            ServiceEvent::ServiceRemoved(_, fullname) => Change::Removed(fullname),
            _ => continue,
        };
        match list.apply(change) {
            Ok(true) => {
                rooms.send_replace(list.rooms());
            }
            Ok(false) => {}
            Err(skip) => {
                tracing::warn!("a room nearby left out: {skip}");
                rooms.send_replace(list.rooms());
            }
        }
    }
    let _ = daemon.stop_browse(SERVICE_TYPE);
    if let Ok(status) = daemon.shutdown() {
        let _ = tokio::time::timeout(Duration::from_secs(1), status.recv_async()).await;
    }
}
