//! Outbound HTTP (`wasi:http/outgoing-handler`): only to the origins the manifest allows, with
//! the tenant's configuration filled in; private and loopback addresses refused unless the
//! operator allows them. Capability `http-outbound`. A refusal is the guest-visible
//! `error-code.HTTP-request-denied` (or `destination-IP-prohibited`), never a trap.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use ils_registry::{AllowedOrigin, Capability};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::state::Invocation;

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;
type SendFuture = Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>;

pub(crate) struct OutboundPolicy {
    pub(crate) inv: Arc<Invocation>,
    /// The manifest's origins, resolved with the tenant's configuration.
    pub(crate) origins: Vec<AllowedOrigin>,
    pub(crate) allow_private: bool,
    pub(crate) sent: u32,
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

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast()
                // 100.64.0.0/10 carrier-grade NAT
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Refuses hosts that are, or resolve to, private addresses.
async fn public_only(host: &str, port: u16) -> Result<(), HttpError> {
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| HttpError::DnsError { rcode: Some("lookup failed".into()), info_code: None })?
            .map(|a| a.ip())
            .collect(),
    };
    if addrs.iter().any(|ip| is_private(*ip)) {
        return Err(HttpError::DestinationIpProhibited);
    }
    Ok(())
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
        Box::new(async move {
            let (host, port) = checked?;
            if !allow_private {
                public_only(&host, port).await?;
            }
            let clamp = |d: Option<Duration>| Some(d.map_or(timeout, |d| d.min(timeout)));
            let options = options.unwrap_or_default();
            let options = RequestOptions {
                connect_timeout: clamp(options.connect_timeout),
                first_byte_timeout: clamp(options.first_byte_timeout),
                between_bytes_timeout: clamp(options.between_bytes_timeout),
            };
            let (response, io) = wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            // Response bodies count against the invocation's host allocation budget.
            let response = response.map(|body| {
                http_body_util::Limited::new(body, max_body)
                    .map_err(|_| HttpError::HttpResponseBodySize(None))
                    .boxed_unsync()
            });
            Ok((response, Box::new(io) as IoFuture))
        })
    }

    fn is_supported_scheme(&mut self, scheme: &http::uri::Scheme) -> bool {
        *scheme == http::uri::Scheme::HTTPS || *scheme == http::uri::Scheme::HTTP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.5",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
