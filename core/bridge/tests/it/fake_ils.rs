//! ILS's side of the bridge's WebSocket, as docs/adr/049 states it: `welcome` with the last
//! committed `seq` per device, each device's entries applied only at `acked + 1` (one at or below
//! is acknowledged again, one beyond ignored), a cumulative `ack` after each commit. Everything it
//! sees is kept in a [`World`] the tests wait on; knobs make it lose a connection at chosen
//! points, as a crashing ILS would.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

/// The key the fake accepts.
pub const KEY: &str = "ils_test_devices_key";
/// Every wait in the tests gives up after this: a failure guard, not a delay.
pub const GUARD: Duration = Duration::from_secs(20);

/// One entry as the device's stream in ILS holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Link(bool),
    Bytes(Vec<u8>),
}

/// How the next entry is lost, with the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// ILS commits it, then dies before acknowledging.
    AfterCommit,
    /// ILS dies before committing it.
    BeforeCommit,
}

/// What the fake has seen, and its knobs.
#[derive(Clone, Debug)]
pub struct World {
    /// Committed entries per device, in order: `(seq, body)`.
    pub committed: BTreeMap<String, Vec<(u64, Body)>>,
    /// Every `link` and `bytes` received, duplicates included: `(device, seq, body)`.
    pub received: Vec<(String, u64, Body)>,
    /// Every `written`: `(device, out_seq)`.
    pub written: Vec<(String, u64)>,
    /// Every `hello`.
    pub hellos: Vec<Value>,
    /// Connections welcomed.
    pub connections: usize,
    /// Upgrades refused (wrong key).
    pub refused: usize,
    /// Entries beyond `acked + 1` while committing: a bridge that keeps order sends none.
    pub gaps: usize,
    /// Knob: commit what arrives (else it is only received: ILS failing before its commit).
    pub committing: bool,
    /// Knob: acknowledge commits.
    pub acking: bool,
    /// Knob: lose the next entry and the connection.
    pub lose_next: Option<Loss>,
    /// Knob: answer every upgrade with 503, as a proxy does while ILS behind it is down.
    pub down: bool,
}

impl World {
    fn new() -> Self {
        Self {
            committed: BTreeMap::new(),
            received: Vec::new(),
            written: Vec::new(),
            hellos: Vec::new(),
            connections: 0,
            refused: 0,
            gaps: 0,
            committing: true,
            acking: true,
            lose_next: None,
            down: false,
        }
    }

    /// The last committed `seq` of a device.
    pub fn acked(&self, device: &str) -> u64 {
        self.committed.get(device).and_then(|c| c.last()).map_or(0, |(seq, _)| *seq)
    }

    /// The device's bytes as committed, end to end.
    pub fn stream(&self, device: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for (_, body) in self.committed.get(device).into_iter().flatten() {
            if let Body::Bytes(b) = body {
                out.extend_from_slice(b);
            }
        }
        out
    }

    /// The device's bytes as received, duplicates included.
    pub fn received_stream(&self, device: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for (_, _, body) in self.received.iter().filter(|(d, _, _)| d == device) {
            if let Body::Bytes(b) = body {
                out.extend_from_slice(b);
            }
        }
        out
    }

    /// The device's link changes as committed.
    pub fn links(&self, device: &str) -> Vec<bool> {
        let committed = self.committed.get(device).into_iter().flatten();
        committed.filter_map(|(_, b)| if let Body::Link(up) = b { Some(*up) } else { None }).collect()
    }

    /// The device's committed seqs.
    pub fn seqs(&self, device: &str) -> Vec<u64> {
        self.committed.get(device).into_iter().flatten().map(|(s, _)| *s).collect()
    }

    /// How many times an entry `seq` of the device arrived.
    pub fn times_received(&self, device: &str, seq: u64) -> usize {
        self.received.iter().filter(|(d, s, _)| d == device && *s == seq).count()
    }

    /// How many `written` came for an `out_seq`.
    pub fn times_written(&self, device: &str, out_seq: u64) -> usize {
        self.written.iter().filter(|(d, s)| d == device && *s == out_seq).count()
    }
}

/// A fake ILS listening on loopback.
pub struct FakeIls {
    pub addr: SocketAddr,
    world: Arc<watch::Sender<World>>,
    push: broadcast::Sender<String>,
    task: JoinHandle<()>,
}

impl Drop for FakeIls {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeIls {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the fake ILS binds");
        let addr = listener.local_addr().unwrap();
        let world = Arc::new(watch::channel(World::new()).0);
        let (push, _) = broadcast::channel(64);
        let task = {
            let (world, push) = (world.clone(), push.clone());
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, world.clone(), push.subscribe()));
                }
            })
        };
        Self { addr, world, push, task }
    }

    /// `http://127.0.0.1:port`, for the bridge's `server`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn world(&self) -> World {
        self.world.borrow().clone()
    }

    pub fn set(&self, f: impl FnOnce(&mut World)) {
        self.world.send_modify(f);
    }

    /// Waits until `cond` holds; panics with what the fake saw after [`GUARD`].
    pub async fn wait(&self, what: &str, cond: impl Fn(&World) -> bool) -> World {
        let mut rx = self.world.subscribe();
        match tokio::time::timeout(GUARD, rx.wait_for(|w| cond(w))).await {
            Ok(Ok(world)) => world.clone(),
            _ => panic!("timed out waiting for {what}; the fake ILS saw {:#?}", self.world()),
        }
    }

    /// Sends `send {device, out_seq, data}` on the current connection.
    pub fn send(&self, device: &str, out_seq: u64, data: &[u8]) {
        let message =
            json!({"type": "send", "device": device, "out_seq": out_seq, "data": STANDARD.encode(data)});
        self.push.send(message.to_string()).expect("a bridge is connected");
    }
}

async fn serve(stream: TcpStream, world: Arc<watch::Sender<World>>, mut push: broadcast::Receiver<String>) {
    // The callback's signature is tungstenite's.
    #[allow(clippy::result_large_err)]
    let check = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        let authorized = request.headers().get("authorization").and_then(|v| v.to_str().ok())
            == Some(format!("Bearer {KEY}").as_str());
        if world.borrow().down {
            let mut unavailable = ErrorResponse::new(Some("ILS is not running".into()));
            *unavailable.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            return Err(unavailable);
        }
        if request.uri().path() == "/api/v1/bridge" && authorized {
            return Ok(response);
        }
        world.send_modify(|w| w.refused += 1);
        let mut refusal = ErrorResponse::new(Some("the API key is not valid".into()));
        *refusal.status_mut() = StatusCode::UNAUTHORIZED;
        Err(refusal)
    };
    let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, check).await else { return };
    let (mut sink, mut messages) = socket.split();

    let Some(Ok(Message::Text(hello))) = messages.next().await else { return };
    let hello: Value = serde_json::from_str(hello.as_str()).expect("hello is JSON");
    assert_eq!(hello["type"], "hello", "the first message is hello");
    let acked: BTreeMap<String, u64> = {
        let w = world.borrow();
        w.committed.keys().map(|d| (d.clone(), w.acked(d))).collect()
    };
    let welcome = json!({"type": "welcome", "acked": acked, "unknown": []});
    if sink.send(Message::text(welcome.to_string())).await.is_err() {
        return;
    }
    world.send_modify(|w| {
        w.hellos.push(hello);
        w.connections += 1;
    });

    loop {
        tokio::select! {
            message = messages.next() => {
                let Some(Ok(message)) = message else { return };
                let Message::Text(text) = message else { continue };
                let message: Value = serde_json::from_str(text.as_str()).expect("messages are JSON");
                let mut reply = None;
                let mut lost = false;
                world.send_modify(|w| {
                    (reply, lost) = apply(w, &message);
                });
                if let Some(reply) = reply
                    && sink.send(Message::text(reply.to_string())).await.is_err()
                {
                    return;
                }
                if lost {
                    return;
                }
            }
            pushed = push.recv() => {
                let Ok(pushed) = pushed else { return };
                if sink.send(Message::text(pushed)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Applies one message as ILS would; returns the reply and whether the connection is lost.
fn apply(w: &mut World, message: &Value) -> (Option<Value>, bool) {
    let device = message["device"].as_str().unwrap_or_default().to_string();
    let body = match message["type"].as_str() {
        Some("link") => Body::Link(message["up"].as_bool().expect("link has up")),
        Some("bytes") => {
            Body::Bytes(STANDARD.decode(message["data"].as_str().expect("bytes has data")).unwrap())
        }
        Some("written") => {
            w.written.push((device, message["out_seq"].as_u64().expect("written has out_seq")));
            return (None, false);
        }
        other => panic!("the bridge sent an unknown message type {other:?}: {message}"),
    };
    let seq = message["seq"].as_u64().expect("entries have seq");
    w.received.push((device.clone(), seq, body.clone()));
    let loss = w.lose_next.take();
    let acked = w.acked(&device);
    if seq == acked + 1 {
        if w.committing && loss != Some(Loss::BeforeCommit) {
            w.committed.entry(device.clone()).or_default().push((seq, body));
        }
    } else if seq > acked + 1 && w.committing {
        // Beyond a commit that failed is expected; beyond one that succeeded is out of order.
        w.gaps += 1;
    }
    let reply = (w.acking && loss.is_none() && seq <= w.acked(&device))
        .then(|| json!({"type": "ack", "device": device, "seq": w.acked(&device)}));
    (reply, loss.is_some())
}
