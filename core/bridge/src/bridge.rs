//! The core: the one task that owns the journal. Device events are journaled (fsync) and then
//! sent; ILS's messages trim the journal, trigger resends and carry bytes to the devices. Every
//! change is published to the status writer.

use std::collections::HashMap;
use std::fs::File;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::device::{self, DeviceEvent, OutChunk};
use crate::ils::{self, IlsEvent, Outgoing};
use crate::journal::{Acked, Body, Entry, Journal, Resync};
use crate::status::{self, ConnectionState, ConnectionStatus, DeviceStatus, Status};
use crate::wire::{FromIls, ToIls};
use crate::{Error, journal};

/// Chunks from ILS waiting for one device.
const WRITE_QUEUE: usize = 64;
/// Device events handled (and fsync'd) together.
const BATCH: usize = 256;

/// Runs the bridge until `shutdown` resolves. See the crate docs.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
    let data_dir = config.data_dir().to_path_buf();
    let (lock, journal) = {
        let dir = data_dir.clone();
        tokio::task::spawn_blocking(move || open(&dir))
            .await
            .map_err(|e| Error::DataDir { path: data_dir.clone(), source: std::io::Error::other(e) })??
    };
    tracing::info!(
        bridge = config.name(),
        data_dir = %data_dir.display(),
        server = %config.server(),
        devices = config.devices().len(),
        "the bridge is starting"
    );

    let mut tasks = Tasks(Vec::new());
    let (device_stop, _) = watch::channel(false);
    let (device_tx, device_rx) = mpsc::channel(BATCH);
    let mut slots = Vec::new();
    for (index, device) in config.devices().iter().enumerate() {
        let (writes_tx, writes_rx) = mpsc::channel(WRITE_QUEUE);
        let log = journal.device(device.name());
        slots.push(Slot {
            name: device.name().to_string(),
            transport: device.transport().to_string(),
            writes: writes_tx,
            connected: false,
            listening: None,
            peer: None,
            registered: None,
            sent: log.map_or(0, |l| l.acked),
            out_written: log.map_or(0, |l| l.out_written),
            out_inflight: log.map_or(0, |l| l.out_written),
            out_blocked: false,
            out_epoch: 0,
            acked: log.map_or(0, |l| l.acked),
            link_seq: 0,
            last_error: None,
        });
        tasks.0.push(device::spawn(
            index,
            device.clone(),
            device_tx.clone(),
            writes_rx,
            device_stop.subscribe(),
        ));
    }
    drop(device_tx);
    for name in journal.device_names() {
        if !config.devices().iter().any(|d| d.name() == name) {
            let waiting = journal.device(name).map_or(0, |l| l.entries.len());
            if waiting > 0 {
                tracing::warn!(
                    device = name,
                    waiting,
                    "a device no longer configured has entries waiting in the journal; they are kept"
                );
            }
        }
    }

    let (ils_stop, ils_stop_rx) = watch::channel(false);
    let (ils_tx, ils_rx) = mpsc::unbounded_channel();
    let (to_ils, outgoing) = mpsc::unbounded_channel();
    let settings = ils::Settings {
        url: config.websocket_url(),
        key: config.key().to_string(),
        hello: ToIls::Hello {
            bridge: config.name().to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            devices: config.devices().iter().map(|d| d.name().to_string()).collect(),
        },
    };
    let ils_task = tokio::spawn(ils::run(settings, ils_tx, outgoing, ils_stop_rx));
    tasks.0.push(ils_task);

    let mut core = Core {
        by_name: slots.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect(),
        slots,
        journal: Arc::new(Mutex::new(journal)),
        phase: Phase::Connecting,
        to_ils,
        connection: ConnectionStatus {
            state: ConnectionState::Connecting,
            since: Timestamp::now(),
            last_error: None,
            last_ils_error: None,
        },
        status: watch::channel(Status {
            bridge: config.name().to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            pid: std::process::id(),
            server: config.server().to_string(),
            updated_at: Timestamp::now(),
            connection: ConnectionStatus {
                state: ConnectionState::Connecting,
                since: Timestamp::now(),
                last_error: None,
                last_ils_error: None,
            },
            devices: Vec::new(),
        })
        .0,
    };
    core.publish();
    let status_task = tokio::spawn(status::write_loop(data_dir.clone(), core.status.subscribe()));

    let result = core.run(device_rx, ils_rx, &device_stop, shutdown).await;

    // The devices are done: let the connection send what they last journaled, then close it.
    let _ = ils_stop.send(true);
    if let Some(ils_task) = tasks.0.pop() {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), ils_task).await;
    }
    core.set_connection(ConnectionState::Stopped);
    core.publish();
    drop(core);
    let _ = status_task.await;
    drop(lock);
    match &result {
        Ok(()) => tracing::info!("the bridge has stopped"),
        Err(e) => tracing::error!(error = %e, "the bridge has stopped"),
    }
    result
}

/// Locks the data directory and opens the journal.
fn open(dir: &Path) -> Result<(File, Journal), Error> {
    let io = |source| Error::DataDir { path: dir.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(io)?;
    let lock = File::options().create(true).truncate(false).write(true).open(dir.join("lock")).map_err(io)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(Error::DataDirInUse { path: dir.to_path_buf() });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    let journal = Journal::open(dir)?;
    Ok((lock, journal))
}

/// Aborts what is left of the bridge's tasks if `run` returns early.
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Where the connection to ILS is, as the core sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    /// Connected, `hello` sent, no `welcome` yet.
    Connected(u64),
    /// Welcomed: entries go out on this connection.
    Welcomed(u64),
    Refused,
}

/// A configured device, as the core tracks it.
struct Slot {
    name: String,
    transport: String,
    writes: mpsc::Sender<OutChunk>,
    connected: bool,
    listening: Option<String>,
    peer: Option<String>,
    /// `Some(false)` when the last `welcome` said ILS does not know the device.
    registered: Option<bool>,
    /// The last `seq` sent on the current (or last) connection.
    sent: u64,
    /// The last `out_seq` written (durable).
    out_written: u64,
    /// The last `out_seq` handed to the device, written or not yet.
    out_inflight: u64,
    /// A chunk could not be written: later ones are refused until ILS resends after the next
    /// `welcome`, so that the device never gets them out of order.
    out_blocked: bool,
    /// Counts the resets of `out_blocked`: a failure reported for an older epoch is stale.
    out_epoch: u64,
    /// The last `seq` ILS acknowledged.
    acked: u64,
    /// The `seq` of the entry saying the device's current connection came up. Until ILS has
    /// acknowledged it, what ILS sends answers an earlier connection (ILS voids those bytes when
    /// it applies the entry) and is not written to the device.
    link_seq: u64,
    last_error: Option<String>,
}

struct Core {
    slots: Vec<Slot>,
    by_name: HashMap<String, usize>,
    journal: Arc<Mutex<Journal>>,
    phase: Phase,
    to_ils: mpsc::UnboundedSender<Outgoing>,
    connection: ConnectionStatus,
    status: watch::Sender<Status>,
}

impl Core {
    async fn run(
        &mut self,
        mut devices: mpsc::Receiver<(usize, DeviceEvent)>,
        mut ils: mpsc::UnboundedReceiver<IlsEvent>,
        device_stop: &watch::Sender<bool>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut stopping = false;
        loop {
            tokio::select! {
                () = &mut shutdown, if !stopping => {
                    tracing::info!("stopping: closing the devices' lines");
                    stopping = true;
                    device_stop.send_replace(true);
                }
                event = devices.recv() => {
                    let Some(first) = event else { break };
                    let mut batch = vec![first];
                    while batch.len() < BATCH {
                        match devices.try_recv() {
                            Ok(event) => batch.push(event),
                            Err(_) => break,
                        }
                    }
                    self.on_device_events(batch).await?;
                }
                Some(event) = ils.recv() => self.on_ils(event).await?,
            }
            self.publish();
        }
        // Acks that arrived meanwhile.
        while let Ok(event) = ils.try_recv() {
            self.on_ils(event).await?;
        }
        Ok(())
    }

    /// Runs `f` on the journal on the blocking pool (it fsyncs).
    async fn journal<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Journal) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let journal = self.journal.clone();
        tokio::task::spawn_blocking(move || f(&mut journal.lock().unwrap_or_else(PoisonError::into_inner)))
            .await
            .map_err(|e| Error::Journal { path: journal::FILE.into(), source: std::io::Error::other(e) })?
    }

    fn send(&self, message: ToIls) {
        if let Phase::Welcomed(generation) = self.phase {
            let _ = self.to_ils.send(Outgoing { generation, message });
        }
    }

    fn sendable(&self, slot: &Slot) -> bool {
        matches!(self.phase, Phase::Welcomed(_)) && slot.registered == Some(true)
    }

    async fn on_device_events(&mut self, batch: Vec<(usize, DeviceEvent)>) -> Result<(), Error> {
        let mut entries = Vec::new();
        let mut written = Vec::new();
        for (index, event) in batch {
            let slot = &mut self.slots[index];
            match event {
                DeviceEvent::Up { peer } => {
                    slot.connected = true;
                    slot.last_error = None;
                    // A new connection: what was written or failed on the last one is void, and
                    // a failure reported late for it is stale.
                    slot.out_blocked = false;
                    slot.out_epoch += 1;
                    slot.out_inflight = slot.out_written;
                    if peer.is_some() {
                        slot.peer = peer;
                    }
                    entries.push((slot.name.clone(), Body::Link { up: true }));
                }
                DeviceEvent::Down { reason } => {
                    slot.connected = false;
                    tracing::info!(device = %slot.name, %reason, "link down");
                    entries.push((slot.name.clone(), Body::Link { up: false }));
                }
                DeviceEvent::Bytes(bytes) => entries.push((slot.name.clone(), Body::Bytes(bytes))),
                DeviceEvent::Written { out_seq } => written.push((index, out_seq)),
                DeviceEvent::WriteFailed { epoch, out_seq, reason } => {
                    tracing::warn!(device = %slot.name, out_seq, %reason, "a chunk from ILS was not written; ILS resends it after the next reconnect");
                    slot.last_error = Some(format!("out_seq {out_seq} {reason}"));
                    if epoch == slot.out_epoch {
                        slot.out_blocked = true;
                        slot.out_inflight = slot.out_written;
                    }
                }
                DeviceEvent::Listening(addr) => slot.listening = Some(addr.to_string()),
                DeviceEvent::Problem(problem) => {
                    tracing::warn!(device = %slot.name, %problem, "device trouble");
                    slot.last_error = Some(problem);
                }
            }
        }

        if !entries.is_empty() {
            let numbered = self.journal(move |j| j.append(entries)).await?;
            for (name, entry) in numbered {
                let Some(&index) = self.by_name.get(&name) else { continue };
                if matches!(entry.body, Body::Link { up: true }) {
                    self.slots[index].link_seq = entry.seq;
                }
                if self.sendable(&self.slots[index]) {
                    self.send(entry.to_wire(&name));
                    self.slots[index].sent = entry.seq;
                }
            }
        }

        for (index, out_seq) in written {
            let name = self.slots[index].name.clone();
            {
                let name = name.clone();
                self.journal(move |j| j.written(&name, out_seq)).await?;
            }
            let slot = &mut self.slots[index];
            slot.out_written = slot.out_written.max(out_seq);
            slot.out_inflight = slot.out_inflight.max(out_seq);
            self.send(ToIls::Written { device: name, out_seq });
        }
        Ok(())
    }

    async fn on_ils(&mut self, event: IlsEvent) -> Result<(), Error> {
        match event {
            IlsEvent::Connecting => {
                if self.phase != Phase::Refused {
                    self.phase = Phase::Connecting;
                    self.set_connection(ConnectionState::Connecting);
                }
            }
            IlsEvent::Connected { generation } => self.phase = Phase::Connected(generation),
            IlsEvent::Lost { error } => {
                self.phase = Phase::Connecting;
                self.set_connection(ConnectionState::Connecting);
                self.connection.last_error = Some(error);
            }
            IlsEvent::Refused { error } => {
                self.phase = Phase::Refused;
                self.set_connection(ConnectionState::Refused);
                self.connection.last_error = Some(error);
            }
            IlsEvent::Message { generation, message } => {
                let current =
                    matches!(self.phase, Phase::Connected(g) | Phase::Welcomed(g) if g == generation);
                if current {
                    self.on_message(generation, message).await?;
                }
            }
        }
        Ok(())
    }

    async fn on_message(&mut self, generation: u64, message: FromIls) -> Result<(), Error> {
        match message {
            FromIls::Welcome { acked, unknown } => self.on_welcome(generation, acked, unknown).await?,
            FromIls::Ack { device, seq } => {
                let name = device.clone();
                match self.journal(move |j| j.ack(&name, seq)).await? {
                    Acked::Advanced | Acked::Stale => {
                        if let Some(&index) = self.by_name.get(&device) {
                            let slot = &mut self.slots[index];
                            slot.acked = slot.acked.max(seq);
                        }
                    }
                    Acked::Beyond => {
                        tracing::warn!(%device, seq, "ILS acknowledged an entry this bridge has not sent; ignored")
                    }
                }
            }
            FromIls::Send { device, out_seq, data } => self.on_send(device, out_seq, data),
            FromIls::Error { device, message } => {
                tracing::warn!(device = device.as_deref().unwrap_or("-"), %message, "ILS reported an error");
                match device.as_ref().and_then(|d| self.by_name.get(d)) {
                    Some(&index) => self.slots[index].last_error = Some(format!("ILS: {message}")),
                    None => self.connection.last_ils_error = Some(message),
                }
            }
            FromIls::Other => {}
        }
        Ok(())
    }

    async fn on_welcome(
        &mut self,
        generation: u64,
        acked: std::collections::BTreeMap<String, u64>,
        unknown: Vec<String>,
    ) -> Result<(), Error> {
        let mut known = Vec::new();
        for slot in &mut self.slots {
            let registered = !unknown.contains(&slot.name);
            if !registered && slot.registered != Some(false) {
                tracing::warn!(device = %slot.name, "ILS does not know this device: register it in ILS; its bytes are kept until then");
            }
            slot.registered = Some(registered);
            if registered {
                known.push((slot.name.clone(), acked.get(&slot.name).copied().unwrap_or(0)));
            }
            if slot.out_blocked {
                slot.out_blocked = false;
                slot.out_epoch += 1;
                slot.out_inflight = slot.out_written;
            }
        }
        let resynced = self
            .journal(move |j| {
                let mut out = Vec::new();
                for (name, acked) in known {
                    let resync = j.resync(&name, acked)?;
                    let entries: Vec<Entry> =
                        j.device(&name).map(|l| l.entries.iter().cloned().collect()).unwrap_or_default();
                    out.push((name, acked, resync, entries));
                }
                Ok(out)
            })
            .await?;
        self.phase = Phase::Welcomed(generation);
        self.set_connection(ConnectionState::Connected);
        self.connection.last_error = None;
        let mut resent = 0;
        for (name, acked, resync, entries) in resynced {
            if let Resync::Renumbered { local_acked, local_next } = resync {
                tracing::warn!(
                    device = %name,
                    ils_acked = acked,
                    local_acked,
                    local_last = local_next - 1,
                    waiting = entries.len(),
                    "ILS's count of this device's entries does not match the journal (data directory lost, or ILS restored): numbering the waiting entries from ILS's"
                );
            }
            let Some(&index) = self.by_name.get(&name) else { continue };
            self.slots[index].sent = acked;
            self.slots[index].acked = acked;
            if matches!(resync, Resync::Renumbered { .. }) {
                // The waiting entries have new numbers; which one opened the connection is lost.
                self.slots[index].link_seq = 0;
            }
            for entry in entries {
                self.send(entry.to_wire(&name));
                self.slots[index].sent = entry.seq;
                resent += 1;
            }
        }
        tracing::info!(resent, "welcomed by ILS");
        Ok(())
    }

    fn on_send(&mut self, device: String, out_seq: u64, data: Vec<u8>) {
        let Some(&index) = self.by_name.get(&device) else {
            tracing::warn!(%device, out_seq, "ILS sent bytes for a device this bridge does not have");
            return;
        };
        let slot = &mut self.slots[index];
        if slot.acked < slot.link_seq {
            tracing::debug!(%device, out_seq, "answers the device's previous connection; not written");
            return;
        }
        if out_seq <= slot.out_written {
            tracing::debug!(%device, out_seq, "already written; answering written again");
            self.send(ToIls::Written { device, out_seq });
            return;
        }
        if out_seq <= slot.out_inflight {
            tracing::debug!(%device, out_seq, "being written; written follows");
            return;
        }
        if slot.out_blocked {
            tracing::info!(%device, out_seq, "not written: an earlier chunk failed; waiting for ILS to resend after the next reconnect");
            return;
        }
        let chunk = OutChunk { epoch: slot.out_epoch, out_seq, data };
        match slot.writes.try_send(chunk) {
            Ok(()) => slot.out_inflight = out_seq,
            Err(e) => {
                let why = match e {
                    mpsc::error::TrySendError::Full(_) => "too many chunks waiting for the device",
                    mpsc::error::TrySendError::Closed(_) => "the device's task has stopped",
                };
                tracing::warn!(%device, out_seq, why, "not written");
                slot.last_error = Some(format!("out_seq {out_seq} not written: {why}"));
                slot.out_blocked = true;
            }
        }
    }

    fn set_connection(&mut self, state: ConnectionState) {
        if self.connection.state != state {
            self.connection.state = state;
            self.connection.since = Timestamp::now();
        }
    }

    fn publish(&self) {
        let journal = self.journal.lock().unwrap_or_else(PoisonError::into_inner);
        let mut devices: Vec<DeviceStatus> = self
            .slots
            .iter()
            .map(|slot| {
                let log = journal.device(&slot.name);
                DeviceStatus {
                    name: slot.name.clone(),
                    transport: slot.transport.clone(),
                    listening: slot.listening.clone(),
                    peer: slot.peer.clone(),
                    connected: slot.connected,
                    registered: slot.registered,
                    waiting: log.map_or(0, |l| l.entries.len() as u64),
                    waiting_bytes: log.map_or(0, |l| l.waiting_bytes()),
                    last_seq: log.map_or(0, |l| l.next_seq - 1),
                    last_sent: slot.sent,
                    last_acked: log.map_or(0, |l| l.acked),
                    last_out_written: slot.out_written,
                    last_error: slot.last_error.clone(),
                }
            })
            .collect();
        for name in journal.device_names() {
            if self.by_name.contains_key(name) {
                continue;
            }
            if let Some(log) = journal.device(name).filter(|l| !l.entries.is_empty()) {
                devices.push(DeviceStatus {
                    name: name.to_string(),
                    transport: String::new(),
                    listening: None,
                    peer: None,
                    connected: false,
                    registered: None,
                    waiting: log.entries.len() as u64,
                    waiting_bytes: log.waiting_bytes(),
                    last_seq: log.next_seq - 1,
                    last_sent: 0,
                    last_acked: log.acked,
                    last_out_written: log.out_written,
                    last_error: None,
                });
            }
        }
        drop(journal);
        self.status.send_modify(|status| {
            status.connection = self.connection.clone();
            status.devices = devices;
        });
    }
}
