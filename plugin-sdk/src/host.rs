//! Calls into the host. On `wasm32` they go to ILS through `ils:platform`; anywhere else they
//! go to the thread's [`crate::testing::MockHost`].

use crate::HostError;

#[cfg(target_arch = "wasm32")]
use crate::__bindings::ils::platform as wit;

/// Key-value storage private to this plugin and tenant (capability `kv`).
pub mod kv {
    use super::*;

    /// The value under `key`.
    pub fn get(key: &str) -> Result<Option<Vec<u8>>, HostError> {
        #[cfg(target_arch = "wasm32")]
        return wit::kv::get(key).map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("kv")?;
            Ok(s.kv.get(key).cloned())
        })
    }

    /// Stores `value` under `key`.
    pub fn set(key: &str, value: &[u8]) -> Result<(), HostError> {
        #[cfg(target_arch = "wasm32")]
        return wit::kv::set(key, value).map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("kv")?;
            s.kv.insert(key.into(), value.to_vec());
            Ok(())
        })
    }

    /// Removes `key`.
    pub fn delete(key: &str) -> Result<(), HostError> {
        #[cfg(target_arch = "wasm32")]
        return wit::kv::delete(key).map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("kv")?;
            s.kv.remove(key);
            Ok(())
        })
    }

    /// Keys starting with `prefix`, sorted, at most `limit`.
    pub fn list_keys(prefix: &str, limit: u32) -> Result<Vec<String>, HostError> {
        #[cfg(target_arch = "wasm32")]
        return wit::kv::list_keys(prefix, limit).map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("kv")?;
            Ok(s.kv.keys().filter(|k| k.starts_with(prefix)).take(limit as usize).cloned().collect())
        })
    }
}

/// Secrets the tenant admin set (capability `secrets`).
pub mod secrets {
    use super::*;

    /// One secret.
    pub fn get(name: &str) -> Result<Option<String>, HostError> {
        #[cfg(target_arch = "wasm32")]
        return wit::secrets::get(name).map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("secrets")?;
            Ok(s.secrets.get(name).cloned())
        })
    }
}

/// The tenant's configuration of this plugin (always available).
pub mod config {
    #[cfg(target_arch = "wasm32")]
    use super::*;

    /// The configuration as JSON text.
    pub fn raw() -> String {
        #[cfg(target_arch = "wasm32")]
        return wit::config::get();
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| s.config.clone())
    }

    /// The configuration as a typed value.
    pub fn get<T: serde::de::DeserializeOwned>() -> Result<T, crate::Error> {
        Ok(serde_json::from_str(&raw())?)
    }
}

/// Publishing events (capability `events-publish`).
pub mod events {
    use super::*;

    /// Publishes `kind` (the host prefixes `plugin.<id>.`) with a JSON payload.
    pub fn publish(kind: &str, payload: &impl serde::Serialize) -> Result<(), HostError> {
        let payload = serde_json::to_string(payload).map_err(|e| HostError::Invalid(e.to_string()))?;
        #[cfg(target_arch = "wasm32")]
        return wit::events::publish(kind, &payload).map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("events-publish")?;
            s.published.push((kind.into(), payload));
            Ok(())
        })
    }
}

/// Who the plugin runs for.
pub mod context {
    pub use ils_records::Caller;

    /// The tenant's id in ILS (a UUID as text; opaque to plugins: compare it, don't parse it).
    pub fn tenant_id() -> String {
        #[cfg(target_arch = "wasm32")]
        return super::wit::context::tenant_id();
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| s.tenant.clone())
    }

    /// The plugin's id, as in its manifest.
    pub fn plugin_id() -> String {
        #[cfg(target_arch = "wasm32")]
        return super::wit::context::plugin_id();
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| s.plugin.clone())
    }

    /// The signed-in user on whose behalf a route runs; none for events and jobs.
    pub fn caller() -> Option<Caller> {
        #[cfg(target_arch = "wasm32")]
        return super::wit::context::current_caller().map(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| s.caller.clone())
    }
}

/// Logging into the host's logs, tagged with tenant and plugin (always available; lines past
/// the per-invocation budget are dropped).
pub mod log {
    pub use ils_records::log::Level;

    /// Writes a log line.
    pub fn log(level: Level, message: &str) {
        #[cfg(target_arch = "wasm32")]
        super::wit::log::log(level.into(), message);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| s.logs.push(format!("{level:?} {message}")));
    }

    /// Writes a line at [`Level::Info`].
    pub fn info(message: &str) {
        log(Level::Info, message)
    }

    /// Writes a line at [`Level::Warn`].
    pub fn warn(message: &str) {
        log(Level::Warn, message)
    }
}

pub mod clinical;
pub mod orders;

/// Stock of the tenant, read only (capability `inventory-read`).
pub mod inventory {
    pub use ils_records::StockLevel;

    use super::*;

    /// Stock of the item with `sku` at every location.
    pub fn stock_by_sku(sku: &str) -> Result<Vec<StockLevel>, HostError> {
        #[cfg(target_arch = "wasm32")]
        return wit::inventory::stock_by_sku(sku)
            .map(|levels| levels.into_iter().map(Into::into).collect())
            .map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("inventory-read")?;
            Ok(s.stock.iter().filter(|l| l.sku == sku).cloned().collect())
        })
    }
}
