//! A fake SMS gateway on loopback, speaking the contract of the `sms-gateway` plugin
//! (plugins/sms-gateway/README.md): `POST /messages` over HTTPS with a bearer key, a JSON
//! message and an `Idempotency-Key`. It keeps what it was sent, answers a repeated key with the
//! first answer (sending nothing again), refuses what a real gateway refuses (a wrong key, a
//! number that is not E.164, a body over four segments), and can be told to be down or to lose
//! its answers, so tests see what a patient would: how many texts arrived, with which words.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ils_fake_tls::{Tls, TlsError};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The longest body the fake takes: four GSM-7 segments.
pub const MAX_BODY: usize = 612;

/// A message the gateway accepted: what the patient's phone would show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivered {
    /// The gateway's id.
    pub id: String,
    /// The number.
    pub to: String,
    /// The sender.
    pub from: String,
    /// The words.
    pub body: String,
    /// The ILS reference (also the idempotency key).
    pub reference: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Incoming {
    to: String,
    from: String,
    body: String,
    reference: String,
}

#[derive(Debug, Default)]
struct Gateway {
    key: String,
    delivered: Vec<Delivered>,
    /// Requests seen, accepted or not.
    requests: u32,
    /// Answer the next this many requests with 503, sending nothing.
    down_for: u32,
    /// Send the next this many messages but answer 503, as if the answer were lost.
    lose_answers: u32,
}

type Shared = Arc<Mutex<Gateway>>;

fn lock(state: &Shared) -> MutexGuard<'_, Gateway> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake gateway; dropping it stops the server.
#[derive(Debug)]
pub struct FakeSms {
    state: Shared,
    domain: String,
    addr: SocketAddr,
    tls: Tls,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeSms {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeSms {
    /// Starts a gateway for `domain` (its certificate is made for it) that takes `api_key`.
    pub async fn start(domain: &str, api_key: &str) -> Result<Self, TlsError> {
        let tls = Tls::self_signed(domain)?;
        let listener = ils_fake_tls::bind(0).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(Gateway { key: api_key.to_string(), ..Gateway::default() }));
        let server = ils_fake_tls::spawn(listener, &tls, app(state.clone()));
        Ok(Self { state, domain: domain.to_string(), addr, tls, server })
    }

    /// Where it listens (loopback).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The certificate (DER) a client must trust.
    pub fn cert_der(&self) -> &[u8] {
        self.tls.cert_der()
    }

    /// A client that trusts the fake and connects its domain to it.
    pub fn client(&self) -> Result<reqwest::Client, TlsError> {
        self.tls.client(self.addr)
    }

    /// The messages sent, in order.
    pub fn delivered(&self) -> Vec<Delivered> {
        lock(&self.state).delivered.clone()
    }

    /// How many requests arrived, accepted or not.
    pub fn requests(&self) -> u32 {
        lock(&self.state).requests
    }

    /// Be down (503, nothing sent) for the next `n` requests.
    pub fn down_for(&self, n: u32) {
        lock(&self.state).down_for = n;
    }

    /// Send the next `n` messages but answer 503, as if each answer were lost on the way back.
    pub fn lose_answers(&self, n: u32) {
        lock(&self.state).lose_answers = n;
    }
}

fn app(state: Shared) -> Router {
    Router::new().route("/messages", post(send)).with_state(state)
}

fn refuse(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

fn e164(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or("");
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

async fn send(State(state): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let mut gateway = lock(&state);
    gateway.requests += 1;
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if bearer != Some(format!("Bearer {}", gateway.key).as_str()) {
        return refuse(StatusCode::UNAUTHORIZED, "unknown API key");
    }
    if gateway.down_for > 0 {
        gateway.down_for -= 1;
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "try again later");
    }
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned) else {
        return refuse(StatusCode::BAD_REQUEST, "an Idempotency-Key header is required");
    };
    let message: Incoming = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &format!("body: {e}")),
    };
    if let Some(first) = gateway.delivered.iter().find(|d| d.reference == key) {
        return (StatusCode::OK, Json(json!({ "id": first.id }))).into_response();
    }
    if !e164(&message.to) {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, &format!("{} is not an E.164 number", message.to));
    }
    if message.body.is_empty() || message.body.chars().count() > MAX_BODY {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "the body must be 1 to 612 characters");
    }
    let id = format!("SM{:06}", gateway.delivered.len() + 1);
    gateway.delivered.push(Delivered {
        id: id.clone(),
        to: message.to,
        from: message.from,
        body: message.body,
        reference: message.reference,
    });
    if gateway.lose_answers > 0 {
        gateway.lose_answers -= 1;
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "the answer was lost");
    }
    (StatusCode::CREATED, Json(json!({ "id": id }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn post(fake: &FakeSms, key: &str, idempotency: &str, to: &str) -> (u16, serde_json::Value) {
        let url = format!("https://{}:{}/messages", fake.domain(), fake.addr().port());
        let body = json!({ "to": to, "from": "Northgate", "body": "Hello", "reference": idempotency });
        let r = fake
            .client()
            .unwrap()
            .post(url)
            .bearer_auth(key)
            .header("idempotency-key", idempotency)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    #[tokio::test]
    async fn one_message_per_key_and_what_a_gateway_refuses() {
        let fake = FakeSms::start("sms.example.com", "k").await.unwrap();
        assert_eq!(post(&fake, "wrong", "r1", "+447700900123").await.0, 401);
        let (status, first) = post(&fake, "k", "r1", "+447700900123").await;
        assert_eq!(status, 201);
        let (again, second) = post(&fake, "k", "r1", "+447700900123").await;
        assert_eq!((again, &second["id"]), (200, &first["id"]), "a repeated key sends nothing new");
        assert_eq!(post(&fake, "k", "r2", "07700900123").await.0, 422);
        fake.lose_answers(1);
        assert_eq!(post(&fake, "k", "r3", "+447700900124").await.0, 503);
        assert_eq!(post(&fake, "k", "r3", "+447700900124").await.0, 200, "the retry gets the first answer");
        fake.down_for(1);
        assert_eq!(post(&fake, "k", "r4", "+447700900125").await.0, 503);
        let sent: Vec<_> = fake.delivered().into_iter().map(|d| d.reference).collect();
        assert_eq!(sent, ["r1", "r3"]);
        assert_eq!(fake.requests(), 7);
    }
}
