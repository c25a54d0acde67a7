//! Where outbound requests may go. Webhook URLs are chosen by tenants, so without a guard they
//! could reach the operator's internal network (SSRF). Targets are resolved once, every address
//! is checked by the resolver the HTTP client connects through, so the check and the connection use
//! the same answer (no DNS rebinding in between); the resolver and client are the host's
//! (`outbound`), this module refuses literal addresses the rules of [`ils_net`] forbid.

use std::net::IpAddr;

pub use ils_net::is_public;

/// A name resolved only to addresses the policy forbids.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BlockedAddress(String);

impl BlockedAddress {
    /// A refusal that says which address was refused and why.
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// Whether a request failed because its target address is not allowed.
pub fn is_blocked(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if e.is::<BlockedAddress>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// Checks a URL whose host is an IP literal (the resolver never sees those).
pub fn check_literal(url: &url::Url, allow_private: bool) -> Result<(), BlockedAddress> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(BlockedAddress(format!("{ip} is a private, loopback or reserved address")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_private_targets_are_refused_unless_allowed() {
        let url = url::Url::parse("http://127.0.0.1:9/hook").unwrap();
        assert!(check_literal(&url, false).is_err());
        assert!(check_literal(&url, true).is_ok());
        let v6 = url::Url::parse("https://[::1]/hook").unwrap();
        assert!(check_literal(&v6, false).is_err());
        let name = url::Url::parse("https://example.com/hook").unwrap();
        assert!(check_literal(&name, false).is_ok(), "names are checked by the resolver");
    }
}
