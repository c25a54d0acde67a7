//! Phrasing recommendations through the real host (issue 14): a practice that configured an
//! OpenAI-compatible endpoint reads its explanations in that endpoint's words, and every number
//! stays the plugin's. The endpoint is a fake on loopback speaking chat completions over HTTPS
//! with its own certificate; the host connects a real-looking name to it and trusts that
//! certificate, and checks everything else as it would for a real provider. Both backends.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::guests::install;
use crate::harness::{Backend, Tenant, TestApp, db_test};
use crate::recommendations::CONSENT;

const RECOMMENDATIONS: &str = include_str!("../../../plugins/recommendations/ils-plugin.toml");
/// The endpoint's name as a tenant would configure it; the host connects it to the fake.
const DOMAIN: &str = "llm.example.com";
const MODEL: &str = "gpt-4o-mini";
const MARK: &str = " (phrased by gpt-4o-mini)";
/// How long the stalling fake takes: far past any phrasing timeout and the invocation's deadline.
const STALL: Duration = Duration::from_secs(20);

/// What the fake does with the next requests.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Rewords each recommendation with its own title and first figure.
    Phrase,
    /// Rewords each one with a thickness nobody computed.
    Invent,
    /// Answers 503, as a provider in trouble does.
    Fail,
    /// Says nothing for `STALL`.
    Stall,
}

/// One request the fake received.
#[derive(Clone, Debug)]
struct Seen {
    authorization: String,
    body: Value,
}

impl Seen {
    /// The recommendations the plugin sent, from the user message.
    fn recommendations(&self) -> Vec<Value> {
        let user = self.body["messages"][1]["content"].as_str().expect("a user message");
        let user: Value = serde_json::from_str(user).expect("JSON in the user message");
        user["recommendations"].as_array().expect("recommendations").clone()
    }
}

struct FakeState {
    mode: Mode,
    seen: Vec<Seen>,
}

/// An OpenAI-compatible endpoint on `127.0.0.1`, HTTPS with a self-signed certificate for
/// `DOMAIN`: `POST /v1/chat/completions`, any bearer key. Dropping it stops it.
struct FakeLlm {
    addr: SocketAddr,
    cert: Vec<u8>,
    state: Arc<Mutex<FakeState>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// TLS over a loopback listener, for `axum::serve`.
struct TlsListener {
    tcp: TcpListener,
    tls: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            // A client that gives up during the handshake is its own business.
            if let Ok(tls) = self.tls.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

impl FakeLlm {
    async fn start() -> Self {
        let certified = rcgen::generate_simple_self_signed(vec![DOMAIN.to_string()]).expect("a certificate");
        let cert = certified.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
        let mut tls =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_no_client_auth()
                .with_single_cert(vec![cert.clone()], key)
                .expect("TLS configuration");
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tcp = TcpListener::bind(("127.0.0.1", 0)).await.expect("a loopback port");
        let addr = tcp.local_addr().expect("its address");
        let state = Arc::new(Mutex::new(FakeState { mode: Mode::Phrase, seen: Vec::new() }));
        let app = axum::Router::new()
            .route("/v1/chat/completions", axum::routing::post(completions))
            .with_state(state.clone());
        let listener = TlsListener { tcp, tls: TlsAcceptor::from(Arc::new(tls)) };
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeLlm { addr, cert: cert.to_vec(), state, server }
    }

    fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).mode = mode;
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).seen.clone()
    }
}

/// What the fake writes for one recommendation when it behaves: its title and first figure,
/// numbers copied as given.
fn rewording(item: &Value) -> String {
    let title = item["title"].as_str().unwrap_or_default();
    match item["figures"].as_array().and_then(|f| f.first()) {
        Some(f) => format!("Suggested: {title}; {} {}.", f["name"].as_str().unwrap_or_default(), f["value"]),
        None => format!("Also worth offering: {title}."),
    }
}

async fn completions(
    State(state): State<Arc<Mutex<FakeState>>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let authorization =
        headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let seen = Seen { authorization, body };
    let mode = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.seen.push(seen.clone());
        state.mode
    };
    if !seen.authorization.starts_with("Bearer sk-") {
        let error =
            json!({ "error": { "message": "Incorrect API key provided", "code": "invalid_api_key" } });
        return (StatusCode::UNAUTHORIZED, Json(error)).into_response();
    }
    let explanations: Vec<Value> = seen
        .recommendations()
        .iter()
        .map(|item| {
            let text = match mode {
                Mode::Invent => "A light lens, about 3.25 mm at the edge.".to_owned(),
                _ => rewording(item),
            };
            json!({ "id": item["id"], "text": text })
        })
        .collect();
    match mode {
        Mode::Fail => {
            let error = json!({ "error": { "message": "The server is overloaded", "type": "server_error" } });
            return (StatusCode::SERVICE_UNAVAILABLE, Json(error)).into_response();
        }
        Mode::Stall => tokio::time::sleep(STALL).await,
        Mode::Phrase | Mode::Invent => {}
    }
    let content = json!({ "explanations": explanations }).to_string();
    Json(json!({
        "id": "chatcmpl-fake", "object": "chat.completion", "model": seen.body["model"],
        "choices": [{ "index": 0, "finish_reason": "stop",
                      "message": { "role": "assistant", "content": content, "refusal": null } }],
        "usage": { "prompt_tokens": 400, "completion_tokens": 60, "total_tokens": 460 },
    }))
    .into_response()
}

/// The app, with the fake's name connected to it and its certificate trusted.
async fn app_with(backend: Backend, fake: &FakeLlm) -> TestApp {
    let (addr, cert) = (fake.addr, fake.cert.clone());
    let app = TestApp::spawn_with(backend, move |config| {
        let o = &mut config.plugins.outbound_overrides;
        o.connect_to.insert((DOMAIN.to_string(), 443), addr);
        o.extra_roots.push(cert);
    })
    .await;
    install(&app, "ils_recommendations", RECOMMENDATIONS, "free").await;
    app
}

/// Enables the plugin for `tenant` with `config`, and sets the phrasing key when one is given.
async fn enable(app: &TestApp, tenant: &Tenant, config: Value, key: Option<&str>) {
    let body = json!({ "version": "0.1.0", "consent": CONSENT, "config": config });
    app.put("/api/v1/tenant/plugins/recommendations", &tenant.admin.token, body).await.ok(200);
    if let Some(key) = key {
        let path = "/api/v1/tenant/plugins/recommendations/secrets/phrasing_api_key";
        app.put(path, &tenant.admin.token, json!({ "value": key })).await.ok(204);
    }
}

fn phrasing(timeout_ms: u64) -> Value {
    json!({ "phrasing_host": DOMAIN, "phrasing_model": MODEL, "phrasing_timeout_ms": timeout_ms })
}

/// A progressive −6.00 with an add of +2.00 at 58: a main suggestion with figures, and a second pair.
fn lens_query() -> Value {
    json!({ "sphere": "-6.00", "add": "+2.00", "age_years": 58, "pd_mm": 64,
            "frame": { "eye_size_mm": 52, "bridge_mm": 18 } })
}

/// The plugin's own words for the query, computed natively.
fn own_words() -> String {
    let query: ils_recommendations::optics::LensQuery = serde_json::from_value(lens_query()).unwrap();
    let lens = ils_recommendations::optics::suggest_lens(&query).unwrap();
    lens.explanation.lines().join(" ")
}

async fn lens(app: &TestApp, tenant: &Tenant) -> Vec<Value> {
    let answer = app.post("/api/v1/recommendations/lens", Some(&tenant.admin.token), lens_query()).await;
    let body = answer.ok(200);
    assert_eq!(body["unanswered"], json!([]), "{body}");
    body["recommendations"].as_array().expect("recommendations").clone()
}

db_test!(
    async fn a_practice_with_phrasing_reads_its_endpoints_words_beside_its_own_figures_and_no_other_tenant_reaches_it(
        backend
    ) {
        let fake = FakeLlm::start().await;
        let app = app_with(backend, &fake).await;
        let north = app.tenant("northgate").await;
        let river = app.tenant("riverside").await;
        enable(&app, &north, phrasing(2000), Some("sk-northgate-key")).await;
        enable(&app, &river, json!({}), None).await;

        // Riverside configured nothing: its own words, and nothing reaches the endpoint.
        let plain = lens(&app, &river).await;
        assert_eq!(plain[0]["explanation"], own_words());
        assert!(fake.seen().is_empty(), "an unconfigured tenant sends nothing");

        let phrased = lens(&app, &north).await;
        let seen = fake.seen();
        assert_eq!(seen.len(), 1, "one request for the kind's recommendations");
        assert_eq!(seen[0].authorization, "Bearer sk-northgate-key");
        assert_eq!(seen[0].body["model"], MODEL);
        let sent = seen[0].recommendations();
        assert_eq!(sent.len(), plain.len());
        for (p, own) in phrased.iter().zip(&plain) {
            // The endpoint's words; the figures, title, score as the plugin computed them.
            let item = sent.iter().find(|i| i["title"] == p["title"]).expect("sent");
            assert_eq!(p["explanation"], format!("{}{MARK}", rewording(item)));
            assert_eq!((&p["title"], &p["score"], &p["figures"]), (&own["title"], &own["score"], &own["figures"]));
            // The endpoint was given the plugin's own explanation and figures.
            assert_eq!(item["figures"], own["figures"]);
            assert_eq!(item["explanation"], own["explanation"]);
        }
        assert!(phrased[0]["explanation"].as_str().unwrap().starts_with("Suggested: 1.67 aspheric progressive; refractive index 1.67."));

        // Riverside turns phrasing on with its own key: its calls carry its key, never Northgate's.
        let config = "/api/v1/tenant/plugins/recommendations/config";
        app.put(config, &river.admin.token, phrasing(2000)).await.ok(200);
        let path = "/api/v1/tenant/plugins/recommendations/secrets/phrasing_api_key";
        app.put(path, &river.admin.token, json!({ "value": "sk-riverside-key" })).await.ok(204);
        lens(&app, &river).await;
        lens(&app, &north).await;
        let keys: Vec<String> = fake.seen().iter().map(|s| s.authorization.clone()).collect();
        assert_eq!(keys, ["Bearer sk-northgate-key", "Bearer sk-riverside-key", "Bearer sk-northgate-key"]);

        // Northgate turns it off: nothing more is sent for it.
        app.put(config, &north.admin.token, json!({})).await.ok(200);
        assert_eq!(lens(&app, &north).await[0]["explanation"], own_words());
        assert_eq!(fake.seen().len(), 3);
    }
);

db_test!(
    async fn an_invented_number_an_error_or_a_stall_leaves_the_plugins_own_words_and_the_answer(backend) {
        let fake = FakeLlm::start().await;
        let app = app_with(backend, &fake).await;
        let lab = app.tenant("northgate").await;
        enable(&app, &lab, phrasing(500), Some("sk-northgate-key")).await;

        fake.set_mode(Mode::Invent);
        let found = lens(&app, &lab).await;
        assert_eq!(found[0]["explanation"], own_words(), "3.25 mm is nobody's figure");
        assert_eq!(fake.seen().len(), 1);

        fake.set_mode(Mode::Fail);
        assert_eq!(lens(&app, &lab).await[0]["explanation"], own_words());
        assert_eq!(fake.seen().len(), 2);

        fake.set_mode(Mode::Stall);
        let started = Instant::now();
        let found = lens(&app, &lab).await;
        let took = started.elapsed();
        assert_eq!(found[0]["explanation"], own_words());
        assert_eq!(fake.seen().len(), 3, "the request reached the stalling endpoint");
        assert!(took < Duration::from_secs(3), "the 500 ms phrasing timeout ended the wait, not the endpoint: {took:?}");

        // Behaving again, it phrases again: a failure leaves nothing behind.
        fake.set_mode(Mode::Phrase);
        assert!(lens(&app, &lab).await[0]["explanation"].as_str().unwrap().ends_with(MARK));
    }
);
