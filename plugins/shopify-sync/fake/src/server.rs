//! The fake on the wire: HTTPS on `127.0.0.1` (an ephemeral port unless one is asked for) with a
//! self-signed certificate for the shop's domain, serving the GraphQL endpoint and the bulk
//! exports.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ils_fake_tls::{Tls, TlsError};

use crate::admin::bulk::{Bulk, BulkSettings};
use crate::admin::{self, API_VERSION, State, Token};
use crate::clock::Clock;
use crate::shop::Shop;
use crate::throttle::{Bucket, BucketSettings};

/// How to set a fake shop up.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// The shop's `*.myshopify.com` domain; the certificate is made for it.
    pub domain: String,
    /// The Admin API access token the app holds.
    pub access_token: String,
    /// The app's client secret, which signs webhooks.
    pub webhook_secret: String,
    /// The cost bucket.
    pub bucket: BucketSettings,
    /// How bulk operations behave.
    pub bulk: BulkSettings,
    /// The clock the bucket and the request log run on.
    pub clock: Clock,
    /// The loopback port to listen on; 0 for any free one.
    pub port: u16,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            domain: "lenses.myshopify.com".into(),
            access_token: "shpat_fake_0123456789abcdef".into(),
            webhook_secret: "fake-app-client-secret".into(),
            bucket: BucketSettings::default(),
            bulk: BulkSettings::default(),
            clock: Clock::real(),
            port: 0,
        }
    }
}

/// Why the fake could not start: its port, its certificate, or its client.
pub type StartError = TlsError;

pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(state: &Shared) -> MutexGuard<'_, State> {
    // A test that panicked while holding the lock leaves consistent data: every change is made
    // under one guard without awaiting.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake shop. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeShopify {
    pub(crate) state: Shared,
    pub(crate) config: FakeConfig,
    addr: SocketAddr,
    tls: Tls,
    pub(crate) http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeShopify {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeShopify {
    /// Starts a fake shop with no products and no locations.
    pub async fn start(config: FakeConfig) -> Result<Self, StartError> {
        let tls = Tls::self_signed(&config.domain)?;
        let listener = ils_fake_tls::bind(config.port).await?;
        let addr = listener.local_addr()?;
        let now = config.clock.now();
        let state = Arc::new(Mutex::new(State {
            shop: Shop::new(&config.domain),
            clock: config.clock.clone(),
            bucket: Bucket::new(config.bucket, now),
            token: Token::new(&config.access_token),
            log: Vec::new(),
            idempotency: Default::default(),
            bulk: Bulk::new(config.bulk),
        }));
        let http = tls.client(addr)?;
        let server = ils_fake_tls::spawn(listener, &tls, app(state.clone()));
        Ok(Self { state, config, addr, tls, http, server })
    }

    /// The address the fake listens on (loopback; an ephemeral port unless one was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shop's domain.
    pub fn domain(&self) -> &str {
        &self.config.domain
    }

    /// The self-signed certificate (DER) a client must trust to talk to the fake.
    pub fn cert_der(&self) -> &[u8] {
        self.tls.cert_der()
    }

    /// The same certificate as PEM, for a client in another process (`ILS_OUTBOUND_EXTRA_ROOTS`).
    pub fn cert_pem(&self) -> String {
        self.tls.cert_pem()
    }

    /// The access token the fake accepts (until revoked).
    pub fn access_token(&self) -> &str {
        &self.config.access_token
    }

    /// The GraphQL endpoint, exactly as the plugin builds it: `https://{domain}/admin/api/2026-04/graphql.json`.
    /// It names the default port; connect the domain to [`Self::addr`] (as [`Self::client`] does).
    pub fn endpoint(&self) -> String {
        format!("https://{}/admin/api/{API_VERSION}/graphql.json", self.config.domain)
    }

    /// A reqwest client that trusts the fake's certificate and connects its domain to
    /// [`Self::addr`] (it also sends webhooks).
    pub fn client(&self) -> reqwest::Client {
        self.http.clone()
    }

    /// The fake's routes, to call in process without TLS (e.g. with `tower::ServiceExt::oneshot`).
    pub fn router(&self) -> Router {
        app(self.state.clone())
    }
}

fn app(state: Shared) -> Router {
    Router::new()
        .route("/admin/api/{version}/graphql.json", post(graphql))
        .route("/bulk/{file}", get(bulk_file))
        .fallback(|| async {
            (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "errors": "Not Found" })))
        })
        .with_state(state)
}

async fn graphql(
    AxumState(state): AxumState<Shared>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = headers.get("x-shopify-access-token").map(|v| v.as_bytes());
    let answer = admin::graphql(&mut lock(&state), &version, token, &body);
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [("x-shopify-api-version", API_VERSION)], axum::Json(answer.body)).into_response()
}

async fn bulk_file(AxumState(state): AxumState<Shared>, Path(file): Path<String>) -> Response {
    match lock(&state).bulk.download(&file) {
        Some(jsonl) => ([(header::CONTENT_TYPE, "application/jsonl")], jsonl).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
