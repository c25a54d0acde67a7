//! Calls into the host. On `wasm32` they go to ILS through `ils:platform`; anywhere else they
//! go to the thread's [`crate::testing::MockHost`].

use crate::HostError;

#[cfg(target_arch = "wasm32")]
use crate::__bindings::ils::platform0_2_0 as wit;

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

    /// Keys starting with `prefix`, sorted, at most `limit` (≤ 1000): the first page of
    /// [`list_keys_after`].
    pub fn list_keys(prefix: &str, limit: u32) -> Result<Vec<String>, HostError> {
        list_keys_after(prefix, None, limit).map(|page| page.keys)
    }

    /// A page of keys.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct KeyPage {
        /// Keys, sorted.
        pub keys: Vec<String>,
        /// Pass it as `start_after` for the next page; none after the last.
        pub next_start_after: Option<String>,
    }

    /// Keys starting with `prefix` after `start_after` (exclusive), sorted, at most `limit`
    /// (≤ 1000).
    ///
    /// ```
    /// use ils_plugin_sdk::host::kv;
    /// let _mock = ils_plugin_sdk::testing::MockHost::install();
    /// for k in ["job/1", "job/2", "job/3"] { kv::set(k, b"").unwrap(); }
    /// let first = kv::list_keys_after("job/", None, 2).unwrap();
    /// assert_eq!(first.keys, ["job/1", "job/2"]);
    /// let rest = kv::list_keys_after("job/", first.next_start_after.as_deref(), 2).unwrap();
    /// assert_eq!((rest.keys.as_slice(), rest.next_start_after), (&["job/3".to_string()][..], None));
    /// ```
    pub fn list_keys_after(
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
    ) -> Result<KeyPage, HostError> {
        #[cfg(target_arch = "wasm32")]
        return wit::kv::list_keys(prefix, start_after, limit)
            .map(|p| KeyPage { keys: p.keys, next_start_after: p.next_start_after })
            .map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("kv")?;
            let limit = limit.min(1000) as usize;
            let mut keys: Vec<String> =
                s.kv.keys()
                    .filter(|k| k.starts_with(prefix) && start_after.is_none_or(|a| k.as_str() > a))
                    .take(limit + 1)
                    .cloned()
                    .collect();
            let more = keys.len() > limit;
            keys.truncate(limit);
            let next_start_after = if more { keys.last().cloned() } else { None };
            Ok(KeyPage { keys, next_start_after })
        })
    }

    /// Stores `new` under `key` (none removes it) only if the value is `expected` (none: the key
    /// is absent), atomically; `Ok(false)`, changing nothing, when it was something else.
    ///
    /// ```
    /// use ils_plugin_sdk::host::kv;
    /// let _mock = ils_plugin_sdk::testing::MockHost::install();
    /// assert!(kv::compare_and_set("n", None, Some(b"1")).unwrap());
    /// assert!(!kv::compare_and_set("n", None, Some(b"1")).unwrap(), "already there");
    /// assert!(kv::compare_and_set("n", Some(b"1"), Some(b"2")).unwrap());
    /// assert_eq!(kv::get("n").unwrap().as_deref(), Some(&b"2"[..]));
    /// ```
    pub fn compare_and_set(
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, HostError> {
        #[cfg(target_arch = "wasm32")]
        return wit::kv::compare_and_set(key, expected, new).map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("kv")?;
            if s.kv.get(key).map(Vec::as_slice) != expected {
                return Ok(false);
            }
            match new {
                Some(v) => s.kv.insert(key.into(), v.to_vec()),
                None => s.kv.remove(key),
            };
            Ok(true)
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

/// Who the plugin runs for, and when.
pub mod context {
    pub use ils_records::{Caller, Tenant};

    use crate::HostError;

    /// The tenant's name (the practice or lab name, as a report prints it) and kind.
    pub fn tenant() -> Result<Tenant, HostError> {
        #[cfg(target_arch = "wasm32")]
        return super::wit::context::current_tenant().map_err(HostError::from).and_then(|t| {
            let id = t.id.parse().map_err(|_| HostError::Invalid(format!("tenant id {:?}", t.id)))?;
            Ok(Tenant { id, name: t.name, kind: t.kind })
        });
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| Ok(s.tenant_record()))
    }

    /// The invocation's time, milliseconds since the Unix epoch: fixed by the host when the
    /// invocation starts. Use it instead of the system clock so answers are reproducible.
    pub fn now_ms() -> i64 {
        #[cfg(target_arch = "wasm32")]
        return super::wit::context::now();
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| s.now_ms)
    }

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
pub mod files;
pub mod orders;
pub mod reports;

/// Stock of the tenant: levels, locations and the catalogue (capability `inventory-read`), and
/// movements recorded once per key (capability `inventory-write`).
pub mod inventory {
    pub use ils_records::inventory::MAX_ITEM_PAGE;
    pub use ils_records::{
        CatalogueItem, FrameSize, ItemPage, MovementKind, MovementOutcome, Rim, StockLevel, StockLocation,
        StockMovement,
    };

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

    /// The tenant's stock locations.
    pub fn locations() -> Result<Vec<StockLocation>, HostError> {
        #[cfg(target_arch = "wasm32")]
        return wit::inventory::list_locations()
            .map(|list| list.into_iter().map(Into::into).collect())
            .map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("inventory-read")?;
            Ok(s.locations.clone())
        })
    }

    /// One page of the catalogue in id order (at most `limit`, clamped to [`MAX_ITEM_PAGE`]),
    /// after the item id `after`; pass the page's `next_after` for the next.
    pub fn items(after: Option<&str>, limit: u32) -> Result<ItemPage, HostError> {
        #[cfg(target_arch = "wasm32")]
        return wit::inventory::list_items(after, limit).map(Into::into).map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("inventory-read")?;
            Ok(s.item_page(after, limit.clamp(1, MAX_ITEM_PAGE)))
        })
    }

    /// Every item of the catalogue, page after page.
    pub fn all_items() -> Result<Vec<CatalogueItem>, HostError> {
        let (mut all, mut after) = (Vec::new(), None::<String>);
        loop {
            let page = items(after.as_deref(), MAX_ITEM_PAGE)?;
            all.extend(page.items);
            match page.next_after {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Records `movements` in one transaction, each exactly once by its key (a repeated key
    /// answers `applied: false` and moves nothing); if one is refused, none is recorded.
    pub fn record_movements(movements: &[StockMovement]) -> Result<Vec<MovementOutcome>, HostError> {
        #[cfg(target_arch = "wasm32")]
        return wit::inventory::record_movements(
            &movements.iter().cloned().map(Into::into).collect::<Vec<wit::inventory::Movement>>(),
        )
        .map(|list| list.into_iter().map(Into::into).collect())
        .map_err(Into::into);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("inventory-write")?;
            s.record_movements(movements)
        })
    }
}

/// E-mail to the tenant's staff by role, through ILS's mail queue (capability `notify-email`).
pub mod notify {
    pub use ils_records::Email;

    use super::*;

    /// Queues `email` to every active member of the tenant holding one of `roles` (ILS role
    /// names: `ecp`, `dispenser`, `lab_tech`, `engineer`, `supplier`, `company_admin`) and
    /// returns how many it was queued for.
    pub fn email_roles(roles: &[&str], email: &Email) -> Result<u32, HostError> {
        #[cfg(target_arch = "wasm32")]
        return send(roles, email);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| {
            s.check("notify-email")?;
            s.emails.push((roles.iter().map(|r| r.to_string()).collect(), email.clone()));
            Ok(1)
        })
    }

    #[cfg(target_arch = "wasm32")]
    fn send(roles: &[&str], email: &Email) -> Result<u32, HostError> {
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        let message = wit::notify::Email {
            subject: email.subject.clone(),
            text: email.text.clone(),
            html: email.html.clone(),
            file_links: email.file_links.clone(),
        };
        wit::notify::email_roles(&roles, &message).map_err(Into::into)
    }
}

/// Progress of a long invocation (a report rendered as a job), shown to whoever waits for it.
/// Always available; ignored when nobody waits.
pub mod progress {
    /// `done` of `total` steps, and what is being done.
    pub fn report(done: u32, total: u32, note: &str) {
        #[cfg(target_arch = "wasm32")]
        super::wit::progress::report(done, total, note);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::with(|s| s.progress.push((done, total, note.to_string())));
    }
}
