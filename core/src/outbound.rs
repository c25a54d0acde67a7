//! The host's outbound HTTP client (webhook deliveries): a DNS resolver that drops private,
//! loopback and reserved addresses from every answer — the client connects only to what is left,
//! so the check and the connection use the same answer and DNS rebinding cannot slip in between —
//! no redirects, and a timeout. (Plugins' outbound HTTP has its own sender in `ils-host-api`,
//! with the same address rules.)

use std::net::SocketAddr;

use ils_kernel::error::{Error, Result};
use ils_webhooks::guard::{BlockedAddress, is_public};

/// A DNS resolver for outbound HTTP that hands the client only the addresses the guard allows,
/// and refuses a name with none (no DNS rebinding between the check and the connection).
#[derive(Clone, Debug)]
pub struct GuardedResolver {
    /// Allow private targets (tests, closed networks).
    pub allow_private: bool,
}

impl GuardedResolver {
    /// The addresses among `found` (the answer for `host`) that may be connected to.
    fn allowed(
        &self,
        host: &str,
        found: Vec<SocketAddr>,
    ) -> std::result::Result<Vec<SocketAddr>, BlockedAddress> {
        if self.allow_private {
            return Ok(found);
        }
        let Some(first) = found.first().copied() else {
            return Err(BlockedAddress::new(format!("{host} resolves to no address")));
        };
        let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
        if allowed.is_empty() {
            return Err(BlockedAddress::new(format!(
                "{host} resolves to {}, a private, loopback or reserved address",
                first.ip()
            )));
        }
        Ok(allowed)
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let resolver = self.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            match resolver.allowed(&host, found) {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                Err(blocked) => Err(Box::new(blocked) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

/// The HTTP client for outbound deliveries: guarded resolver, no redirects, a timeout.
pub fn http_client(allow_private: bool, timeout: std::time::Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(std::sync::Arc::new(GuardedResolver { allow_private }))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(concat!("ILS-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Internal(format!("http client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ils_webhooks::guard::is_blocked;

    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses() {
        use reqwest::dns::Resolve as _;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let refused = GuardedResolver { allow_private: false }.resolve(name).await;
        let error = refused.err().expect("localhost is loopback");
        assert!(is_blocked(error.as_ref()));
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> =
            GuardedResolver { allow_private: true }.resolve(name).await.unwrap().collect();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[test]
    fn the_client_gets_only_the_allowed_addresses_of_a_mixed_answer() {
        let found: Vec<SocketAddr> = ["127.0.0.1:0", "93.184.216.34:0", "[fd00::1]:0", "[2606:4700::1111]:0"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let guarded = GuardedResolver { allow_private: false };
        let allowed = guarded.allowed("rebind.example", found.clone()).unwrap();
        let expected: Vec<SocketAddr> =
            vec!["93.184.216.34:0".parse().unwrap(), "[2606:4700::1111]:0".parse().unwrap()];
        assert_eq!(allowed, expected);
        assert_eq!(
            GuardedResolver { allow_private: true }.allowed("rebind.example", found.clone()).unwrap(),
            found
        );
        let private: Vec<SocketAddr> = vec!["10.0.0.1:0".parse().unwrap()];
        assert!(guarded.allowed("inside.example", private).is_err());
        assert!(guarded.allowed("nowhere.example", Vec::new()).is_err());
    }
}
