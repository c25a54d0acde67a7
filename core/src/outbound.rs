//! The host's outbound HTTP client (webhook deliveries): a DNS resolver that refuses names of
//! private, loopback and reserved addresses — the check and the connection use the same answer,
//! so DNS rebinding cannot slip in between — no redirects, and a timeout.

use std::net::SocketAddr;

use ils_kernel::error::{Error, Result};
use ils_webhooks::guard::{BlockedAddress, is_public};

/// A DNS resolver for outbound HTTP that refuses names resolving to non-public addresses, so
/// the check and the connection use the same answer (no DNS rebinding in between).
#[derive(Clone, Debug)]
pub struct GuardedResolver {
    /// Allow private targets (tests, closed networks).
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                let error = BlockedAddress::new(format!(
                    "{host} resolves to {}, a private, loopback or reserved address",
                    bad.ip()
                ));
                return Err(Box::new(error) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
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
        assert!(GuardedResolver { allow_private: true }.resolve(name).await.is_ok());
    }
}
