//! The WebSocket to ILS: dial (`ws://` or `wss://` with rustls and Mozilla's roots), say
//! `hello`, pass ILS's messages to the core and the core's to ILS; on loss, dial again with
//! backoff. Each connection has a generation: what the core queued for an older one is dropped,
//! because after the next `welcome` the core resends from ILS's `acked` anyway.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::{self, Message};
use url::Url;

use crate::backoff::{Backoff, jitter};
use crate::wire::{FromIls, ToIls};

/// How long dialling and the upgrade may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How often the bridge pings ILS.
const PING_EVERY: Duration = Duration::from_secs(15);
/// Silence after which the connection counts as dead (a NAT that forgot it, a cable pulled).
const SILENCE: Duration = Duration::from_secs(45);
/// The wait before trying a refused key again.
const REFUSED_RETRY: Duration = Duration::from_secs(60);
/// How many queued messages go out before a flush.
const BATCH: usize = 256;

/// What happened to the connection, for the core.
#[derive(Debug)]
pub(crate) enum IlsEvent {
    /// Dialling.
    Connecting,
    /// Connected and `hello` sent; a `welcome` should follow.
    Connected { generation: u64 },
    /// A message from ILS on that connection.
    Message { generation: u64, message: FromIls },
    /// The attempt failed or the connection was lost.
    Lost { error: String },
    /// ILS refused the API key.
    Refused { error: String },
}

/// A message for ILS on one connection.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) generation: u64,
    pub(crate) message: ToIls,
}

/// What the connection needs to know.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) url: Url,
    pub(crate) key: String,
    pub(crate) hello: ToIls,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
type Socket = WebSocketStream<Box<dyn Io>>;

enum Failure {
    Refused(String),
    Other(String),
}

/// Keeps a connection to ILS until `stop` turns true; then sends what the core has queued and
/// closes.
pub(crate) async fn run(
    settings: Settings,
    events: mpsc::UnboundedSender<IlsEvent>,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new();
    let mut generation = 0u64;
    // The same failure again (ILS down for an hour) is logged once, then at debug level.
    let mut last_failure: Option<String> = None;
    loop {
        let _ = events.send(IlsEvent::Connecting);
        let attempt = tokio::select! {
            attempt = tokio::time::timeout(CONNECT_TIMEOUT, connect(&settings)) => attempt,
            () = stopped(&mut stop) => return,
        };
        let delay = match attempt {
            Ok(Ok(mut socket)) => {
                generation += 1;
                last_failure = None;
                tracing::info!(url = %settings.url, "connected to ILS");
                let error = match session(
                    &mut socket,
                    generation,
                    &settings,
                    &events,
                    &mut outgoing,
                    &mut stop,
                    &mut backoff,
                )
                .await
                {
                    Ok(()) => return,
                    Err(error) => error,
                };
                tracing::warn!(%error, "lost the connection to ILS");
                let _ = events.send(IlsEvent::Lost { error });
                backoff.next_delay()
            }
            Ok(Err(Failure::Refused(error))) => {
                tracing::error!(%error, "ILS refused the API key; trying again in a minute");
                let _ = events.send(IlsEvent::Refused { error });
                jitter(REFUSED_RETRY)
            }
            Ok(Err(Failure::Other(error))) => {
                if last_failure.as_ref() != Some(&error) {
                    tracing::warn!(%error, url = %settings.url, "could not connect to ILS; trying again with backoff");
                } else {
                    tracing::debug!(%error, url = %settings.url, "could not connect to ILS");
                }
                last_failure = Some(error.clone());
                let _ = events.send(IlsEvent::Lost { error });
                backoff.next_delay()
            }
            Err(_elapsed) => {
                let error = format!("no connection within {} s", CONNECT_TIMEOUT.as_secs());
                if last_failure.as_ref() != Some(&error) {
                    tracing::warn!(%error, url = %settings.url, "could not connect to ILS; trying again with backoff");
                }
                last_failure = Some(error.clone());
                let _ = events.send(IlsEvent::Lost { error });
                backoff.next_delay()
            }
        };
        // Wait, dropping what the core queued for the lost connection.
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => break,
                () = stopped(&mut stop) => return,
                queued = outgoing.recv() => if queued.is_none() { return },
            }
        }
    }
}

/// One connection: `hello`, then messages both ways. `Ok` once stopped; `Err` says why the
/// connection was lost.
async fn session(
    socket: &mut Socket,
    generation: u64,
    settings: &Settings,
    events: &mpsc::UnboundedSender<IlsEvent>,
    outgoing: &mut mpsc::UnboundedReceiver<Outgoing>,
    stop: &mut watch::Receiver<bool>,
    backoff: &mut Backoff,
) -> Result<(), String> {
    let fail = |e: tungstenite::Error| e.to_string();
    socket.send(text(&settings.hello)).await.map_err(fail)?;
    let _ = events.send(IlsEvent::Connected { generation });
    let mut heard = Instant::now();
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            received = socket.next() => {
                heard = Instant::now();
                match received {
                    Some(Ok(Message::Text(body))) => match serde_json::from_str::<FromIls>(body.as_str()) {
                        Ok(FromIls::Other) => tracing::warn!(message = %body.as_str(), "skipping a message of a type this bridge does not know"),
                        Ok(message) => {
                            if matches!(message, FromIls::Welcome { .. }) {
                                backoff.reset();
                            }
                            if events.send(IlsEvent::Message { generation, message }).is_err() {
                                return Ok(());
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, message = %body.as_str(), "skipping a message that could not be read"),
                    },
                    Some(Ok(Message::Close(frame))) => {
                        return Err(match frame {
                            Some(frame) if !frame.reason.is_empty() => format!("ILS closed the connection: {}", frame.reason),
                            _ => "ILS closed the connection".to_string(),
                        });
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.to_string()),
                    None => return Err("the connection closed".to_string()),
                }
            }
            queued = outgoing.recv() => {
                let Some(first) = queued else { return Ok(()) };
                send_batch(socket, generation, first, outgoing).await.map_err(fail)?;
            }
            _ = ping.tick() => {
                if heard.elapsed() >= SILENCE {
                    return Err(format!("no word from ILS for {} s", SILENCE.as_secs()));
                }
                socket.send(Message::Ping(Default::default())).await.map_err(fail)?;
            }
            () = stopped(stop) => {
                // The core stops this connection after the devices' last entries are queued.
                while let Ok(queued) = outgoing.try_recv() {
                    if queued.generation == generation {
                        socket.feed(text(&queued.message)).await.map_err(fail)?;
                    }
                }
                let _ = socket.close(None).await;
                return Ok(());
            }
        }
    }
}

/// Sends `first` and whatever else is queued, then flushes once.
async fn send_batch(
    socket: &mut Socket,
    generation: u64,
    first: Outgoing,
    outgoing: &mut mpsc::UnboundedReceiver<Outgoing>,
) -> Result<(), tungstenite::Error> {
    let mut next = Some(first);
    let mut count = 0;
    while let Some(queued) = next.take() {
        if queued.generation == generation {
            socket.feed(text(&queued.message)).await?;
            count += 1;
        }
        if count < BATCH {
            next = outgoing.try_recv().ok();
        }
    }
    socket.flush().await
}

/// Resolves when the bridge stops (without holding the channel's lock across an await).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

fn text(message: &ToIls) -> Message {
    // Strings and integers only: serialising cannot fail.
    Message::text(serde_json::to_string(message).unwrap_or_else(|e| unreachable!("wire message: {e}")))
}

async fn connect(settings: &Settings) -> Result<Socket, Failure> {
    let url = &settings.url;
    let other = |what: &str, e: &dyn std::fmt::Display| Failure::Other(format!("{what}: {e}"));
    let port = url.port_or_known_default().ok_or_else(|| Failure::Other(format!("{url} has no port")))?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(Failure::Other(format!("{url} has no host"))),
    };
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| other(&format!("could not reach {host}:{port}"), &e))?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Io> = if url.scheme() == "wss" {
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| other(&format!("{host} is not a name TLS can check"), &e))?;
        let tls = tls().connect(name, tcp).await.map_err(|e| other("TLS failed", &e))?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let mut request = url.as_str().into_client_request().map_err(|e| other("bad URL", &e))?;
    let bearer =
        HeaderValue::from_str(&format!("Bearer {}", settings.key)).map_err(|e| other("bad API key", &e))?;
    request.headers_mut().insert(header::AUTHORIZATION, bearer);
    match tokio_tungstenite::client_async(request, stream).await {
        Ok((socket, _response)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status();
            let body = response
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(&b[..b.len().min(300)]).trim().to_string())
                .filter(|b| !b.is_empty());
            let said = body.map(|b| format!(": {b}")).unwrap_or_default();
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                Err(Failure::Refused(format!("the API key was refused (HTTP {status}){said}")))
            } else {
                Err(Failure::Other(format!("ILS answered HTTP {status} instead of a WebSocket{said}")))
            }
        }
        Err(e) => Err(other("the WebSocket upgrade failed", &e)),
    }
}

/// rustls with ring and Mozilla's roots, built once.
fn tls() -> tokio_rustls::TlsConnector {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() };
        let config =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map(|b| b.with_root_certificates(roots).with_no_client_auth())
                .unwrap_or_else(|_| unreachable!("ring supports TLS 1.2 and 1.3"));
        Arc::new(config)
    });
    tokio_rustls::TlsConnector::from(config.clone())
}
