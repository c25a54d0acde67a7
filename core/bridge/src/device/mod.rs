//! The devices: one task each, keeping its line open (listening, dialling or opening the port
//! again, with backoff), reporting what happens on it as [`DeviceEvent`]s and writing what ILS
//! sends. Bytes read within [`QUIET`] of each other become one entry, held at most [`MAX_HOLD`].

mod serial;
mod tcp;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::{DeviceConfig, Transport};

/// Bytes that follow within this time join the same entry.
pub(crate) const QUIET: Duration = Duration::from_millis(5);
/// No byte waits longer than this to be journaled.
pub(crate) const MAX_HOLD: Duration = Duration::from_millis(20);
/// An entry is closed at this size even if bytes keep coming.
const MAX_ENTRY: usize = 64 * 1024;
/// A connection that lasted this long resets the backoff for the next.
const STEADY: Duration = Duration::from_secs(10);

/// What happened on a device's line, in the order it happened.
#[derive(Debug)]
pub(crate) enum DeviceEvent {
    /// The device connected (`peer`: its address, for TCP).
    Up { peer: Option<String> },
    /// The device went away, or the bridge let it go.
    Down { reason: String },
    /// Bytes the device sent.
    Bytes(Vec<u8>),
    /// A chunk from ILS was written.
    Written { out_seq: u64 },
    /// A chunk from ILS could not be written (not connected, or the line failed).
    WriteFailed { epoch: u64, out_seq: u64, reason: String },
    /// The listening address, once bound.
    Listening(SocketAddr),
    /// Trouble reaching the device (not bound, not dialled, not opened); said once until it
    /// changes.
    Problem(String),
}

/// A chunk from ILS for the device. `epoch` tells apart chunks sent before and after the bridge
/// gave up on an earlier one.
#[derive(Debug)]
pub(crate) struct OutChunk {
    pub(crate) epoch: u64,
    pub(crate) out_seq: u64,
    pub(crate) data: Vec<u8>,
}

/// The device's side of the channel to the bridge's core.
pub(crate) struct Events {
    index: usize,
    tx: mpsc::Sender<(usize, DeviceEvent)>,
    last_problem: std::sync::Mutex<Option<String>>,
}

impl Events {
    /// Sends an event; `false` once the core has gone.
    async fn send(&self, event: DeviceEvent) -> bool {
        if matches!(event, DeviceEvent::Up { .. }) {
            *self.last_problem.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        self.tx.send((self.index, event)).await.is_ok()
    }

    /// Sends `pending` as one entry and empties it. Cancel-safe: the bytes leave `pending` only
    /// once the channel has room for them.
    async fn flush(&self, pending: &mut Vec<u8>) -> bool {
        if pending.is_empty() {
            return true;
        }
        match self.tx.reserve().await {
            Ok(permit) => {
                permit.send((self.index, DeviceEvent::Bytes(std::mem::take(pending))));
                true
            }
            Err(_) => false,
        }
    }

    /// Reports trouble if it differs from the last one reported.
    async fn problem(&self, message: String) {
        {
            let mut last = self.last_problem.lock().unwrap_or_else(|e| e.into_inner());
            if last.as_deref() == Some(message.as_str()) {
                return;
            }
            *last = Some(message.clone());
        }
        self.send(DeviceEvent::Problem(message)).await;
    }
}

/// Starts the task that serves one device.
pub(crate) fn spawn(
    index: usize,
    config: DeviceConfig,
    tx: mpsc::Sender<(usize, DeviceEvent)>,
    writes: mpsc::Receiver<OutChunk>,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let events = Events { index, tx, last_problem: Default::default() };
    let name = config.name().to_string();
    let span = tracing::info_span!("device", name = %name);
    let task = async move {
        let line = Line { events, writes, stop };
        match config.transport().clone() {
            Transport::TcpListen(addr) => tcp::listen(addr, line).await,
            Transport::TcpConnect(addr) => tcp::dial(addr, line).await,
            Transport::Serial(settings) => serial::run(settings, line).await,
        }
    };
    tokio::spawn(tracing::Instrument::instrument(task, span))
}

/// What every transport works with.
pub(crate) struct Line {
    events: Events,
    writes: mpsc::Receiver<OutChunk>,
    stop: watch::Receiver<bool>,
}

impl Line {
    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Resolves when the bridge stops.
    fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stop = self.stop.clone();
        async move {
            let _ = stop.wait_for(|s| *s).await;
        }
    }

    /// Waits `delay` (or until the bridge stops), refusing chunks from ILS meanwhile. Returns
    /// `false` if the bridge is stopping.
    async fn pause(&mut self, delay: Duration) -> bool {
        let stopped = self.stopped();
        tokio::select! {
            () = tokio::time::sleep(delay) => true,
            () = stopped => false,
            () = refuse_writes(&mut self.writes, &self.events) => false,
        }
    }

    /// Runs `fut` (dialling, opening), refusing chunks from ILS meanwhile; `None` if the bridge
    /// stops first.
    async fn while_down<T>(&mut self, fut: impl Future<Output = T>) -> Option<T> {
        let stopped = self.stopped();
        tokio::select! {
            value = fut => Some(value),
            () = stopped => None,
            () = refuse_writes(&mut self.writes, &self.events) => None,
        }
    }

    /// Serves one connection until it fails or `until` resolves; returns why it ended, having
    /// journaled the bytes read and answered every chunk taken from ILS. Does not send `Down`.
    async fn serve(
        &mut self,
        reader: &mut Reader,
        writer: &mut Writer,
        until: impl Future<Output = String>,
    ) -> String {
        let mut pending = Vec::new();
        let mut in_flight: Option<InFlight> = None;
        let reason = {
            let read = read_loop(reader, &mut pending, &self.events);
            let write = write_loop(writer, &mut self.writes, &mut in_flight, &self.events);
            tokio::select! {
                reason = read => reason,
                reason = write => reason,
                reason = until => reason,
            }
        };
        self.events.flush(&mut pending).await;
        if let Some(chunk) = in_flight {
            let event = if chunk.written {
                DeviceEvent::Written { out_seq: chunk.out_seq }
            } else {
                DeviceEvent::WriteFailed {
                    epoch: chunk.epoch,
                    out_seq: chunk.out_seq,
                    reason: reason.clone(),
                }
            };
            self.events.send(event).await;
        }
        while let Ok(chunk) = self.writes.try_recv() {
            let reason = format!("not written: {reason}");
            self.events
                .send(DeviceEvent::WriteFailed { epoch: chunk.epoch, out_seq: chunk.out_seq, reason })
                .await;
        }
        reason
    }
}

struct InFlight {
    epoch: u64,
    out_seq: u64,
    written: bool,
}

/// Answers every chunk from ILS with "not connected". Never resolves while the core lives.
async fn refuse_writes(writes: &mut mpsc::Receiver<OutChunk>, events: &Events) {
    while let Some(chunk) = writes.recv().await {
        tracing::info!(out_seq = chunk.out_seq, "not written: the device is not connected");
        let reason = "not written: the device is not connected".to_string();
        if !events.send(DeviceEvent::WriteFailed { epoch: chunk.epoch, out_seq: chunk.out_seq, reason }).await
        {
            break;
        }
    }
    std::future::pending::<()>().await;
}

/// Reads, coalescing into `pending`; returns why reading stopped.
async fn read_loop(reader: &mut Reader, pending: &mut Vec<u8>, events: &Events) -> String {
    let mut scratch = vec![0u8; 16 * 1024];
    let mut first = Instant::now();
    let mut last = first;
    loop {
        let flush_at = (!pending.is_empty()).then(|| (last + QUIET).min(first + MAX_HOLD));
        let timer = tokio::time::sleep_until(flush_at.unwrap_or(last + MAX_HOLD));
        tokio::select! {
            read = reader.read_into(pending, &mut scratch) => match read {
                Ok(0) => return "the device closed the connection".into(),
                Ok(n) => {
                    let now = Instant::now();
                    if pending.len() == n {
                        first = now;
                    }
                    last = now;
                    if pending.len() >= MAX_ENTRY && !events.flush(pending).await {
                        return "the bridge is stopping".into();
                    }
                }
                Err(e) => return format!("reading failed: {e}"),
            },
            () = timer, if flush_at.is_some() => {
                if !events.flush(pending).await {
                    return "the bridge is stopping".into();
                }
            }
        }
    }
}

/// Writes chunks from ILS in order; returns why writing stopped.
async fn write_loop(
    writer: &mut Writer,
    writes: &mut mpsc::Receiver<OutChunk>,
    in_flight: &mut Option<InFlight>,
    events: &Events,
) -> String {
    loop {
        let Some(chunk) = writes.recv().await else {
            std::future::pending::<()>().await;
            unreachable!()
        };
        *in_flight = Some(InFlight { epoch: chunk.epoch, out_seq: chunk.out_seq, written: false });
        if let Err(e) = writer.write_all(&chunk.data).await {
            return format!("writing failed: {e}");
        }
        tracing::debug!(out_seq = chunk.out_seq, len = chunk.data.len(), "written to the device");
        if let Some(f) = in_flight.as_mut() {
            f.written = true;
        }
        let Ok(permit) = events.tx.reserve().await else { return "the bridge is stopping".into() };
        permit.send((events.index, DeviceEvent::Written { out_seq: chunk.out_seq }));
        *in_flight = None;
    }
}

/// The reading side of a connection.
pub(crate) enum Reader {
    Tcp(tokio::net::tcp::OwnedReadHalf),
    Serial(serial::SerialReader),
}

impl Reader {
    /// Appends what arrives to `pending`; `Ok(0)` at the end. Cancel-safe.
    async fn read_into(&mut self, pending: &mut Vec<u8>, scratch: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(r) => {
                let n = tokio::io::AsyncReadExt::read(r, scratch).await?;
                pending.extend_from_slice(&scratch[..n]);
                Ok(n)
            }
            Self::Serial(r) => r.read_into(pending).await,
        }
    }
}

/// The writing side of a connection.
pub(crate) enum Writer {
    Tcp(tokio::net::tcp::OwnedWriteHalf),
    Serial(serial::SerialWriter),
}

impl Writer {
    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Self::Tcp(w) => tokio::io::AsyncWriteExt::write_all(w, data).await,
            Self::Serial(w) => w.write_all(data).await,
        }
    }
}
