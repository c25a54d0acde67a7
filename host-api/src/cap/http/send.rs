//! Sending a plugin's request to exactly the addresses that were checked. The name is resolved
//! once, forbidden addresses are dropped, and the connection goes to what is left: DNS cannot
//! answer the check with a public address and the connection with a private one (rebinding).
//! TLS still verifies the certificate against the name the plugin asked for.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

use crate::net::is_public;

/// The addresses `host` may be reached at: the embedder's override for `host:port` if it set one,
/// else an IP literal as it is, else the name resolved once; every address the rules forbid is
/// dropped (an override too). Refused when none is left.
pub(crate) async fn resolve(
    host: &str,
    port: u16,
    allow_private: bool,
    overrides: &OutboundOverrides,
) -> Result<Vec<SocketAddr>, HttpError> {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let found: Vec<SocketAddr> =
        if let Some(addr) = overrides.connect_to.get(&(literal.to_ascii_lowercase(), port)) {
            vec![*addr]
        } else {
            match literal.parse::<IpAddr>() {
                Ok(ip) => vec![SocketAddr::new(ip, port)],
                Err(_) => tokio::net::lookup_host((host, port))
                    .await
                    .map_err(|e| HttpError::DnsError { rcode: Some(e.to_string()), info_code: None })?
                    .collect(),
            }
        };
    allowed(found, allow_private)
}

/// Where outbound HTTP goes and whom TLS trusts, beyond DNS and Mozilla's roots: for an embedder
/// that must send a name elsewhere without the plugin knowing — a test's fake of a third-party
/// API on loopback, a site's own CA. Every check still applies: the manifest must allow the
/// origin, and an overridden address must be allowed (loopback only with private networks).
#[derive(Clone, Debug, Default)]
pub struct OutboundOverrides {
    /// `(host, port)` → the address to connect to instead of resolving the name (as curl's
    /// `--connect-to`); the host in lowercase. TLS still verifies the certificate for the name.
    pub connect_to: HashMap<(String, u16), SocketAddr>,
    /// Trust anchors (DER certificates) accepted beside Mozilla's roots.
    pub extra_roots: Vec<Vec<u8>>,
}

impl OutboundOverrides {
    /// The TLS connector: Mozilla's roots and the extra ones. Built once per host.
    pub(crate) fn connector(&self) -> Result<tokio_rustls::TlsConnector, String> {
        if self.extra_roots.is_empty() {
            return Ok(tls());
        }
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() };
        for der in &self.extra_roots {
            roots
                .add(rustls::pki_types::CertificateDer::from(der.clone()))
                .map_err(|e| format!("an extra root certificate is not usable: {e}"))?;
        }
        let config =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
        Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
    }
}

/// The addresses among `found` that the rules allow.
pub(crate) fn allowed(found: Vec<SocketAddr>, allow_private: bool) -> Result<Vec<SocketAddr>, HttpError> {
    if found.is_empty() {
        return Err(HttpError::DestinationNotFound);
    }
    let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| allow_private || is_public(a.ip())).collect();
    if allowed.is_empty() {
        return Err(HttpError::DestinationIpProhibited);
    }
    Ok(allowed)
}

trait Stream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> Stream for T {}

/// Root certificates (Mozilla's, compiled in) and ring, built once per process.
fn tls() -> tokio_rustls::TlsConnector {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() };
        let config =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map(|b| b.with_root_certificates(roots).with_no_client_auth())
                // ring supports the default protocol versions; this is unreachable.
                .unwrap_or_else(|_| unreachable!("ring supports TLS 1.2 and 1.3"));
        Arc::new(config)
    });
    tokio_rustls::TlsConnector::from(config.clone())
}

pub(crate) type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

/// Sends `request` over a connection to one of `addrs` (tried in order), TLS to `host` for
/// `https`. The returned future drives the connection until the response body is read.
pub(crate) async fn send(
    mut request: http::Request<WasiBody>,
    addrs: &[SocketAddr],
    host: &str,
    options: RequestOptions,
    tls: &tokio_rustls::TlsConnector,
) -> Result<(http::Response<WasiBody>, IoFuture), HttpError> {
    let limit = |d: Option<Duration>| d.unwrap_or(Duration::from_secs(600));
    let (connect_timeout, first_byte_timeout) =
        (limit(options.connect_timeout), limit(options.first_byte_timeout));
    let between_bytes = limit(options.between_bytes_timeout).max(Duration::from_nanos(1));

    let tcp = match tokio::time::timeout(connect_timeout, TcpStream::connect(addrs)).await {
        Ok(stream) => stream.map_err(HttpError::Connect)?,
        Err(_) => return Err(HttpError::ConnectionTimeout),
    };
    let stream: Box<dyn Stream> = if request.uri().scheme() == Some(&http::uri::Scheme::HTTPS) {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        let name = match literal.parse::<IpAddr>() {
            Ok(ip) => ServerName::from(ip),
            Err(_) => ServerName::try_from(literal.to_owned())?,
        };
        let connect = tls.connect(name, tcp);
        match tokio::time::timeout(connect_timeout, connect).await {
            Ok(tls) => Box::new(tls.map_err(HttpError::Tls)?),
            Err(_) => return Err(HttpError::ConnectionTimeout),
        }
    } else {
        Box::new(tcp)
    };
    let handshake = hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream));
    let (mut sender, conn) = tokio::time::timeout(connect_timeout, handshake)
        .await
        .map_err(|_| HttpError::ConnectionTimeout)??;

    // On the wire the request line carries only the path; the Host header names the host.
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    *request.uri_mut() = http::Uri::try_from(path).map_err(|_| HttpError::HttpRequestUriInvalid)?;

    let mut conn = Some(conn);
    let mut response = std::pin::pin!(async {
        tokio::time::timeout(first_byte_timeout, sender.send_request(request))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?
            .map_err(HttpError::from)
    });
    // Drive the connection while waiting for the response head.
    let response = std::future::poll_fn(|cx| match response.as_mut().poll(cx) {
        Poll::Ready(r) => Poll::Ready(r),
        Poll::Pending => {
            let Some(io) = conn.as_mut() else { return Poll::Pending };
            let done = ready!(Pin::new(io).poll(cx));
            conn = None;
            match done {
                Ok(()) => response.as_mut().poll(cx),
                Err(e) => Poll::Ready(Err(HttpError::from(e))),
            }
        }
    })
    .await?;

    let mut interval = tokio::time::interval(between_bytes);
    interval.reset();
    let response = response.map(|incoming| Paced { incoming, interval }.boxed_unsync());
    let io = async move {
        match conn {
            Some(conn) => conn.await.map_err(HttpError::from),
            None => Ok(()),
        }
    };
    Ok((response, Box::new(io) as IoFuture))
}

/// A response body that fails when the next bytes take longer than the between-bytes timeout.
struct Paced {
    incoming: hyper::body::Incoming,
    interval: tokio::time::Interval,
}

impl hyper::body::Body for Paced {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                self.interval.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(HttpError::from(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                ready!(self.interval.poll_tick(cx));
                Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn forbidden_addresses_are_dropped_and_none_left_is_a_refusal() {
        let mixed = addrs(&["93.184.216.34:443", "127.0.0.1:443", "[fd00::1]:443"]);
        assert_eq!(allowed(mixed.clone(), false).unwrap(), addrs(&["93.184.216.34:443"]));
        assert_eq!(allowed(mixed.clone(), true).unwrap(), mixed);
        let private = addrs(&["10.0.0.1:80", "[::1]:80"]);
        assert!(matches!(allowed(private, false), Err(HttpError::DestinationIpProhibited)));
        assert!(matches!(allowed(Vec::new(), true), Err(HttpError::DestinationNotFound)));
    }

    #[tokio::test]
    async fn a_name_of_loopback_is_refused_unless_private_networks_are_allowed() {
        let none = OutboundOverrides::default();
        assert!(matches!(
            resolve("localhost", 80, false, &none).await,
            Err(HttpError::DestinationIpProhibited)
        ));
        let found = resolve("localhost", 80, true, &none).await.unwrap();
        assert!(found.iter().all(|a| a.ip().is_loopback() && a.port() == 80), "{found:?}");
        assert!(matches!(
            resolve("127.0.0.1", 80, false, &none).await,
            Err(HttpError::DestinationIpProhibited)
        ));
        assert!(matches!(resolve("[::1]", 80, false, &none).await, Err(HttpError::DestinationIpProhibited)));
    }

    /// An override sends one name and port elsewhere, and is held to the same address rules.
    #[tokio::test]
    async fn an_override_sends_one_name_and_port_elsewhere_under_the_same_rules() {
        let fake: SocketAddr = "127.0.0.1:4443".parse().unwrap();
        let overrides = OutboundOverrides {
            connect_to: [(("shop.example.com".to_string(), 443), fake)].into_iter().collect(),
            extra_roots: Vec::new(),
        };
        assert_eq!(resolve("Shop.Example.com", 443, true, &overrides).await.unwrap(), [fake]);
        assert!(matches!(
            resolve("shop.example.com", 443, false, &overrides).await,
            Err(HttpError::DestinationIpProhibited)
        ));
        // Another port of the name is not overridden (and here resolves nowhere).
        assert!(resolve("shop.example.invalid", 443, true, &overrides).await.is_err());
        let junk = OutboundOverrides { extra_roots: vec![b"not a certificate".to_vec()], ..overrides };
        assert!(junk.connector().is_err());
    }

    /// The connection goes to the checked address, never to a second answer for the name: here
    /// the name resolves nowhere at all, and the request still reaches the server it was checked
    /// against, with its own name in the Host header.
    #[tokio::test]
    async fn the_request_goes_to_the_checked_address_not_a_second_lookup() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let checked = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = vec![0u8; 4096];
            let n = socket.read(&mut head).await.unwrap();
            socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi").await.unwrap();
            String::from_utf8_lossy(&head[..n]).into_owned()
        });
        let request = http::Request::get("http://rebound.invalid/x?y=1")
            .header(http::header::HOST, "rebound.invalid")
            .body(http_body_util::Empty::new().map_err(|never| match never {}).boxed_unsync())
            .unwrap();
        let (response, io) =
            send(request, &[checked], "rebound.invalid", RequestOptions::default(), &tls()).await.unwrap();
        tokio::spawn(Box::into_pin(io));
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"hi");
        let head = server.await.unwrap();
        assert!(head.starts_with("GET /x?y=1 HTTP/1.1\r\n"), "{head}");
        assert!(head.to_ascii_lowercase().contains("host: rebound.invalid"), "{head}");
    }
}
