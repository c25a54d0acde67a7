//! Faithful fakes, on loopback, of the services outside our reach: a webhook receiver and an
//! SMTP server.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Default)]
struct ReceiverState {
    received: Vec<Received>,
    /// Statuses to answer, in order; 200 once they run out.
    script: VecDeque<u16>,
    /// Status to answer when the script is empty.
    otherwise: Option<u16>,
    /// How long to take over each answer.
    delay: std::time::Duration,
}

/// An HTTP server that records every POST and answers scripted statuses.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    state: Arc<Mutex<ReceiverState>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url: format!("http://{addr}/hook"), state }
    }

    /// Answer these statuses to the next requests, then `otherwise` (200 by default).
    pub fn script(&self, statuses: &[u16], otherwise: Option<u16>) {
        let mut state = self.state.lock().unwrap();
        state.script = statuses.iter().copied().collect();
        state.otherwise = otherwise;
    }

    /// Take this long over each answer (a slow receiver keeps deliveries in flight).
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Requests whose body has this event type.
    pub fn of_type(&self, event_type: &str) -> Vec<Received> {
        self.received().into_iter().filter(|r| r.json()["type"] == event_type).collect()
    }
}

async fn receive(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let (status, delay) = {
        let mut state = state.lock().unwrap();
        state.received.push(Received { headers, body, at: Instant::now() });
        (state.script.pop_front().or(state.otherwise).unwrap_or(200), state.delay)
    };
    tokio::time::sleep(delay).await;
    StatusCode::from_u16(status).unwrap()
}

/// One message the SMTP sink accepted.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Mail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default().parse(self.data.as_bytes()).expect("a MIME message")
    }

    /// The message's plain-text body, decoded as a mail client shows it.
    pub fn text(&self) -> String {
        self.parsed().body_text(0).expect("a text body").into_owned()
    }

    /// A header's value as text (`Subject`, `Message-ID`), decoded.
    pub fn header(&self, name: &str) -> String {
        let message = self.parsed();
        match message.header(name) {
            Some(mail_parser::HeaderValue::Text(text)) => text.to_string(),
            Some(other) => format!("{other:?}"),
            None => String::new(),
        }
    }

    /// The attachments: file name, media type (`type/subtype`) and decoded bytes.
    pub fn attachments(&self) -> Vec<(String, String, Vec<u8>)> {
        use mail_parser::MimeHeaders as _;
        self.parsed()
            .attachments()
            .map(|a| {
                let name = a.attachment_name().unwrap_or_default().to_owned();
                let kind = a
                    .content_type()
                    .map(|t| format!("{}/{}", t.ctype(), t.subtype().unwrap_or_default()))
                    .unwrap_or_default();
                (name, kind, a.contents().to_vec())
            })
            .collect()
    }
}

/// A minimal SMTP server (RFC 5321 happy path) that keeps what it receives, or refuses every
/// message with a temporary error.
#[derive(Clone)]
pub struct SmtpSink {
    pub url: String,
    mails: Arc<Mutex<Vec<Mail>>>,
    attempts: Arc<Mutex<usize>>,
    hold: Arc<Hold>,
}

/// While `on`, a message's end of data is not answered: the sink waits with the whole message
/// received and `250` unsent. A sender that goes away then has delivered nothing (RFC 5321
/// §4.1.1.4: the server takes the message with its `250`); once released, it is taken.
#[derive(Default)]
pub struct Hold {
    on: AtomicBool,
    waiting: AtomicUsize,
    dropped: AtomicUsize,
}

impl SmtpSink {
    pub async fn start(refuse: bool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let attempts = Arc::new(Mutex::new(0));
        let hold = Arc::new(Hold::default());
        let (m, a, h) = (mails.clone(), attempts.clone(), hold.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (m, a, h) = (m.clone(), a.clone(), h.clone());
                tokio::spawn(async move {
                    let _ = session(socket, refuse, m, a, h).await;
                });
            }
        });
        SmtpSink { url: format!("smtp://{addr}"), mails, attempts, hold }
    }

    /// Holds every message at its end of data from now on (see [`Hold`]).
    pub fn hold(&self) {
        self.hold.on.store(true, Ordering::SeqCst);
    }

    /// Answers held and later messages again.
    pub fn release(&self) {
        self.hold.on.store(false, Ordering::SeqCst);
    }

    /// Messages received whole and waiting for the sink's answer now.
    pub fn waiting(&self) -> usize {
        self.hold.waiting.load(Ordering::SeqCst)
    }

    /// Held messages whose sender went away before the answer: not delivered.
    pub fn dropped(&self) -> usize {
        self.hold.dropped.load(Ordering::SeqCst)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// How many messages were attempted (MAIL FROM commands seen).
    pub fn attempts(&self) -> usize {
        *self.attempts.lock().unwrap()
    }
}

async fn session(
    socket: tokio::net::TcpStream,
    refuse: bool,
    mails: Arc<Mutex<Vec<Mail>>>,
    attempts: Arc<Mutex<usize>>,
    hold: Arc<Hold>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write.write_all(b"250-sink.test\r\n250 8BITMIME\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            *attempts.lock().unwrap() += 1;
            if refuse {
                write.write_all(b"451 4.3.0 Try again later\r\n").await?;
            } else {
                from = line[10..].trim().to_owned();
                write.write_all(b"250 OK\r\n").await?;
            }
        } else if upper.starts_with("RCPT TO:") {
            to.push(line[8..].trim().to_owned());
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
            let mut data = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                data.push_str(&line);
                data.push('\n');
            }
            if hold.on.load(Ordering::SeqCst) {
                hold.waiting.fetch_add(1, Ordering::SeqCst);
                let gone = loop {
                    if !hold.on.load(Ordering::SeqCst) {
                        break false;
                    }
                    tokio::select! {
                        // The sender spoke or hung up before its answer: the transaction is void.
                        _ = lines.next_line() => break true,
                        _ = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
                    }
                };
                hold.waiting.fetch_sub(1, Ordering::SeqCst);
                if gone {
                    hold.dropped.fetch_add(1, Ordering::SeqCst);
                    return Ok(());
                }
            }
            mails.lock().unwrap().push(Mail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
            });
            write.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"502 Command not implemented\r\n").await?;
        }
    }
    Ok(())
}
