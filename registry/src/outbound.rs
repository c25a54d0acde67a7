//! Outbound HTTP origins a manifest allows: `scheme://host[:port]`, where the host may start with
//! `*.` (any subdomain) or contain `{config.KEY}` filled in from the tenant's configuration.

use serde_json::Value;

use crate::manifest::ManifestError;

/// An allowed origin as written in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundHost {
    https: bool,
    host: String,
    port: Option<u16>,
}

/// An allowed origin with its configuration values filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin {
    https: bool,
    /// Lowercase host name, without a leading `*.` (see `any_subdomain`).
    host: String,
    any_subdomain: bool,
    port: u16,
}

impl std::fmt::Display for OutboundHost {
    /// As written in the manifest: `scheme://host[:port]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.host)?;
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

impl OutboundHost {
    /// Parses `https://api.example.com`, `http://127.0.0.1:8080`, `https://*.example.com` or
    /// `https://{config.shop}.myshopify.com`.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        let bad = || ManifestError::Invalid(format!("outbound host {text:?} is not scheme://host[:port]"));
        let (https, rest) = if let Some(rest) = text.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad());
        };
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !port.contains('}') => {
                (host, Some(port.parse::<u16>().map_err(|_| bad())?))
            }
            _ => (rest, None),
        };
        let this = Self { https, host: host.to_ascii_lowercase(), port };
        // Check the shape with placeholders replaced by a plain label.
        let mut probe = this.host.clone();
        for key in this.config_keys() {
            probe = probe.replace(&format!("{{config.{key}}}"), "x");
        }
        let probe = probe.strip_prefix("*.").unwrap_or(&probe);
        if !valid_host(probe) {
            return Err(bad());
        }
        Ok(this)
    }

    /// The configuration keys this origin uses (`{config.KEY}`).
    pub fn config_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        let mut rest = self.host.as_str();
        while let Some(start) = rest.find("{config.") {
            let after = &rest[start + "{config.".len()..];
            match after.find('}') {
                Some(end) => {
                    keys.push(after[..end].to_string());
                    rest = &after[end + 1..];
                }
                None => break,
            }
        }
        keys
    }

    /// Fills in configuration values. `None` when a value is missing, is not a string, or is not
    /// a plain host name (so a value can never add a path or user info). When the origin names
    /// no port, a value may end with `:PORT`.
    pub fn resolve(&self, config: &Value) -> Option<AllowedOrigin> {
        let mut host = self.host.clone();
        let mut port = self.port;
        for key in self.config_keys() {
            let mut value = config.get(&key)?.as_str()?.to_ascii_lowercase();
            if let Some((h, p)) = value.clone().split_once(':') {
                if port.is_some() {
                    return None;
                }
                port = Some(p.parse().ok()?);
                value = h.to_string();
            }
            if !valid_host(&value) {
                return None;
            }
            host = host.replace(&format!("{{config.{key}}}"), &value);
        }
        let (any_subdomain, host) = match host.strip_prefix("*.") {
            Some(h) => (true, h.to_string()),
            None => (false, host),
        };
        let port = port.unwrap_or(if self.https { 443 } else { 80 });
        Some(AllowedOrigin { https: self.https, host, any_subdomain, port })
    }
}

impl AllowedOrigin {
    /// Whether a request to `scheme://host:port` is allowed by this origin.
    pub fn permits(&self, https: bool, host: &str, port: u16) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let host_ok = if self.any_subdomain {
            host.strip_suffix(&self.host).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'))
        } else {
            host == self.host
        };
        https == self.https && port == self.port && host_ok
    }
}

/// A DNS name or an IPv4 literal (no IPv6 literals, user info, paths or ports).
fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literal_origins_match_scheme_host_and_port() {
        let o = OutboundHost::parse("https://api.example.com").unwrap().resolve(&json!({})).unwrap();
        assert!(o.permits(true, "api.example.com", 443));
        assert!(o.permits(true, "API.example.com.", 443));
        assert!(!o.permits(false, "api.example.com", 443));
        assert!(!o.permits(true, "api.example.com", 8443));
        assert!(!o.permits(true, "evil-api.example.com", 443));
        assert!(!o.permits(true, "api.example.com.evil.net", 443));
    }

    #[test]
    fn displays_as_written() {
        for text in
            ["https://api.example.com", "http://127.0.0.1:8080", "https://{config.shop}.myshopify.com"]
        {
            assert_eq!(OutboundHost::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn wildcards_match_subdomains_only() {
        let o = OutboundHost::parse("https://*.example.com").unwrap().resolve(&json!({})).unwrap();
        assert!(o.permits(true, "a.example.com", 443));
        assert!(o.permits(true, "a.b.example.com", 443));
        assert!(!o.permits(true, "example.com", 443));
        assert!(!o.permits(true, "badexample.com", 443));
    }

    #[test]
    fn config_values_fill_placeholders() {
        let h = OutboundHost::parse("https://{config.shop}.myshopify.com").unwrap();
        assert_eq!(h.config_keys(), vec!["shop".to_string()]);
        let o = h.resolve(&json!({"shop": "bright-eyes"})).unwrap();
        assert!(o.permits(true, "bright-eyes.myshopify.com", 443));
        assert!(!o.permits(true, "other.myshopify.com", 443));
        assert!(h.resolve(&json!({})).is_none());
        assert!(h.resolve(&json!({"shop": 3})).is_none());
        assert!(h.resolve(&json!({"shop": "x/evil.com#"})).is_none());
        let port = OutboundHost::parse("http://{config.host}:8080").unwrap();
        assert!(port.resolve(&json!({"host": "127.0.0.1"})).unwrap().permits(false, "127.0.0.1", 8080));
        assert!(port.resolve(&json!({"host": "127.0.0.1:9090"})).is_none());
        let with_port =
            OutboundHost::parse("http://{config.host}").unwrap().resolve(&json!({"host": "127.0.0.1:9090"}));
        assert!(with_port.unwrap().permits(false, "127.0.0.1", 9090));
    }

    #[test]
    fn malformed_origins_are_refused() {
        for bad in
            ["ftp://x.com", "https://", "https://a.com/path", "https://user@a.com", "https://a.com:99999"]
        {
            assert!(OutboundHost::parse(bad).is_err(), "{bad}");
        }
    }
}
