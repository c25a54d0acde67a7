//! Outbound HTTP (`wasi:http/outgoing-handler`): only to the origins the manifest allows, with
//! the tenant's configuration filled in; private and loopback addresses refused unless the
//! operator allows them, and the connection made to the very addresses checked (`send`).
//! Capability `http-outbound`. A refusal is the guest-visible `error-code.HTTP-request-denied`
//! (or `destination-IP-prohibited`), never a trap.

mod send;

pub use send::OutboundOverrides;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use ils_registry::{AllowedOrigin, Capability};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::state::Invocation;

use send::IoFuture;
type SendFuture = Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>;

pub(crate) struct OutboundPolicy {
    pub(crate) inv: Arc<Invocation>,
    /// The manifest's origins, resolved with the tenant's configuration.
    pub(crate) origins: Vec<AllowedOrigin>,
    pub(crate) allow_private: bool,
    pub(crate) sent: u32,
    pub(crate) routes: Arc<Routes>,
}

/// The embedder's overrides with their TLS connector, built once per host.
pub(crate) struct Routes {
    pub(crate) overrides: OutboundOverrides,
    pub(crate) tls: tokio_rustls::TlsConnector,
}

impl Routes {
    pub(crate) fn new(overrides: OutboundOverrides) -> Result<Self, String> {
        Ok(Self { tls: overrides.connector()?, overrides })
    }
}

impl OutboundPolicy {
    /// The permission check: granted, allowed origin, request budget.
    fn check(&mut self, uri: &http::Uri) -> Result<(String, u16), HttpError> {
        if !self.inv.grants.contains(Capability::HttpOutbound) {
            return Err(HttpError::HttpRequestDenied);
        }
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let host = uri.host().ok_or(HttpError::HttpRequestUriInvalid)?.to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        if !self.origins.iter().any(|o| o.permits(https, &host, port)) {
            tracing::info!(tenant = %self.inv.scope.tenant, plugin = %self.inv.scope.plugin, %host, "outbound HTTP denied");
            return Err(HttpError::HttpRequestDenied);
        }
        if self.sent >= self.inv.limits.http_requests {
            return Err(HttpError::HttpRequestDenied);
        }
        self.sent += 1;
        Ok((host, port))
    }
}

/// `body`, its data bytes counted on the invocation as they pass (metering).
fn counted(body: WasiBody, inv: Arc<Invocation>) -> WasiBody {
    body.map_frame(move |frame| {
        if let Some(data) = frame.data_ref() {
            inv.count_outbound(data.len());
        }
        frame
    })
    .boxed_unsync()
}

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> SendFuture {
        let checked = self.check(request.uri());
        let allow_private = self.allow_private;
        let timeout = self.inv.limits.timeout;
        let max_body = self.inv.limits.host_bytes;
        let inv = self.inv.clone();
        let routes = self.routes.clone();
        Box::new(async move {
            let target = match checked {
                Ok((host, port)) => send::resolve(&host, port, allow_private, &routes.overrides)
                    .await
                    .map(|addrs| (host, addrs)),
                Err(e) => Err(e),
            };
            let (host, addrs) = match target {
                Ok(target) => target,
                Err(refusal) => {
                    // Take the body the guest is writing (and drop it): the guest then learns the
                    // refusal from the response, not as a stream closed under its write.
                    let mut body = request.into_body();
                    while let Some(Ok(_)) = body.frame().await {}
                    return Err(refusal);
                }
            };
            let clamp = |d: Option<Duration>| Some(d.map_or(timeout, |d| d.min(timeout)));
            let options = options.unwrap_or_default();
            let options = RequestOptions {
                connect_timeout: clamp(options.connect_timeout),
                first_byte_timeout: clamp(options.first_byte_timeout),
                between_bytes_timeout: clamp(options.between_bytes_timeout),
            };
            let sent = inv.clone();
            let request = request.map(|body| counted(body, sent));
            let (response, io) = send::send(request, &addrs, &host, options, &routes.tls).await?;
            // Response bodies count against the invocation's host allocation budget.
            let response = response.map(|body| {
                let limited = http_body_util::Limited::new(body, max_body)
                    .map_err(|_| HttpError::HttpResponseBodySize(None))
                    .boxed_unsync();
                counted(limited, inv)
            });
            Ok((response, io))
        })
    }

    fn is_supported_scheme(&mut self, scheme: &http::uri::Scheme) -> bool {
        *scheme == http::uri::Scheme::HTTPS || *scheme == http::uri::Scheme::HTTP
    }
}
