//! HTTPS on loopback for the fakes of services outside our reach: a self-signed certificate made
//! for the real service's domain, an axum [`Router`] served over it on `127.0.0.1`, and a client
//! that trusts the certificate and connects the domain to the fake. ILS reaches a fake the same
//! way (its outbound overrides: `connect_to` and an extra root), so the plugin under test builds
//! the same `https://` URLs it builds in production.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Why HTTPS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// No loopback port could be bound.
    #[error("could not listen on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    /// The certificate could not be made (e.g. the domain is not a DNS name).
    #[error("could not make a certificate for the domain: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("could not configure TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A self-signed certificate for one domain, and the server configuration that presents it.
#[derive(Clone)]
pub struct Tls {
    domain: String,
    cert: CertificateDer<'static>,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("domain", &self.domain).finish_non_exhaustive()
    }
}

impl Tls {
    /// A new certificate for `domain`.
    pub fn self_signed(domain: &str) -> Result<Self, TlsError> {
        let certified = rcgen::generate_simple_self_signed(vec![domain.to_string()])?;
        let cert = certified.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self { domain: domain.to_string(), cert, acceptor: TlsAcceptor::from(Arc::new(config)) })
    }

    /// The certificate (DER) a client must trust.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert
    }

    /// The certificate as PEM, for a client in another process (`ILS_OUTBOUND_EXTRA_ROOTS`).
    pub fn cert_pem(&self) -> String {
        use base64::Engine as _;
        let text = base64::engine::general_purpose::STANDARD.encode(&self.cert);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in text.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }

    /// A reqwest client that trusts the certificate and connects the domain to `addr`.
    pub fn client(&self, addr: SocketAddr) -> Result<reqwest::Client, TlsError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.clone())?;
        let tls = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .resolve(&self.domain, addr)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()?)
    }
}

/// Binds `127.0.0.1:port` (0 for any free port).
pub async fn bind(port: u16) -> Result<TcpListener, TlsError> {
    Ok(TcpListener::bind(("127.0.0.1", port)).await?)
}

/// Serves `app` over HTTPS on `listener` until the task is aborted.
pub fn spawn(listener: TcpListener, tls: &Tls, app: Router) -> tokio::task::JoinHandle<()> {
    tokio::spawn(serve(listener, tls.acceptor.clone(), app))
}

async fn serve(listener: TcpListener, acceptor: TlsAcceptor, app: Router) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            // Out of descriptors, most likely; let connections close before trying again.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            let service = TowerToHyperService::new(app);
            // A client that goes away mid-request is its own business.
            let _ =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service).await;
        });
    }
}
