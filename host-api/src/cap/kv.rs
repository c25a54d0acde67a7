//! `kv`: key-value storage scoped to (tenant, plugin) by the host. Capability `kv`.

use std::sync::Arc;

use ils_registry::Capability;

use super::{CapResult, require};
use crate::error::GuestError;
use crate::services::KvStore;
use crate::state::Invocation;

const MAX_KEY: usize = 256;
const MAX_LIST: u32 = 1000;

pub(crate) struct KvCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) store: Arc<dyn KvStore>,
}

/// Refuses text that cannot be a key: control characters (NUL above all, which PostgreSQL
/// cannot store in text) are checked here, so the plugin gets a clear, final "invalid" instead
/// of a database error it would take for a passing outage.
fn printable(text: &str, what: &str) -> Result<(), GuestError> {
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(GuestError::Invalid(format!(
            "{what} may not contain control characters (found U+{:04X})",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

impl KvCap {
    fn check(&self, key: &str) -> Result<(), GuestError> {
        require(&self.inv, Capability::Kv)?;
        if key.is_empty() || key.len() > MAX_KEY {
            return Err(GuestError::Invalid(format!("keys are 1 to {MAX_KEY} bytes")));
        }
        printable(key, "keys")
    }

    pub(crate) async fn get(&self, key: String) -> CapResult<Option<Vec<u8>>> {
        if let Err(e) = self.check(&key) {
            return Ok(Err(e));
        }
        match self.store.get(&self.inv.scope, &key).await {
            Ok(v) => {
                self.inv.charge(v.as_ref().map_or(0, Vec::len))?;
                Ok(Ok(v))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }

    pub(crate) async fn set(&self, key: String, value: Vec<u8>) -> CapResult<()> {
        if let Err(e) = self.check(&key) {
            return Ok(Err(e));
        }
        if value.len() > self.inv.limits.kv_value_bytes {
            return Ok(Err(GuestError::TooLarge));
        }
        Ok(self.store.set(&self.inv.scope, &key, value).await.map_err(Into::into))
    }

    pub(crate) async fn delete(&self, key: String) -> CapResult<()> {
        if let Err(e) = self.check(&key) {
            return Ok(Err(e));
        }
        Ok(self.store.delete(&self.inv.scope, &key).await.map_err(Into::into))
    }

    /// Stores `new` only if the value is `expected`; `false` when it was not.
    pub(crate) async fn compare_and_set(
        &self,
        key: String,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> CapResult<bool> {
        if let Err(e) = self.check(&key) {
            return Ok(Err(e));
        }
        if new.as_ref().is_some_and(|v| v.len() > self.inv.limits.kv_value_bytes) {
            return Ok(Err(GuestError::TooLarge));
        }
        let done = self.store.compare_and_set(&self.inv.scope, &key, expected.as_deref(), new).await;
        Ok(done.map_err(Into::into))
    }

    /// Keys with `prefix` after `start_after`, at most `limit` (capped at 1000), and whether
    /// more follow.
    pub(crate) async fn list_keys(
        &self,
        prefix: String,
        start_after: Option<String>,
        limit: u32,
    ) -> CapResult<(Vec<String>, bool)> {
        let checked = require(&self.inv, Capability::Kv)
            .and_then(|()| printable(&prefix, "prefixes"))
            .and_then(|()| start_after.as_deref().map_or(Ok(()), |k| printable(k, "keys")));
        if let Err(e) = checked {
            return Ok(Err(e));
        }
        let limit = limit.min(MAX_LIST) as usize;
        // One more than asked says whether another page follows.
        match self.store.list_keys(&self.inv.scope, &prefix, start_after.as_deref(), limit + 1).await {
            Ok(mut keys) => {
                let more = keys.len() > limit;
                keys.truncate(limit);
                self.inv.charge(keys.iter().map(String::len).sum())?;
                Ok(Ok((keys, more)))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_control_characters_are_invalid() {
        for key in ["a\0b", "line\nbreak", "tab\t", "del\u{7f}", "c1\u{85}"] {
            assert!(matches!(printable(key, "keys"), Err(GuestError::Invalid(_))), "{key:?}");
        }
        for key in ["order/1", "naïve key", "emoji 🦀", "%00"] {
            assert_eq!(printable(key, "keys"), Ok(()), "{key:?}");
        }
    }
}
