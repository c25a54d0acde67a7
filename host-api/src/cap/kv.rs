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

impl KvCap {
    fn check(&self, key: &str) -> Result<(), GuestError> {
        require(&self.inv, Capability::Kv)?;
        if key.is_empty() || key.len() > MAX_KEY {
            return Err(GuestError::Invalid(format!("keys are 1 to {MAX_KEY} bytes")));
        }
        Ok(())
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

    pub(crate) async fn list_keys(&self, prefix: String, limit: u32) -> CapResult<Vec<String>> {
        if let Err(e) = require(&self.inv, Capability::Kv) {
            return Ok(Err(e));
        }
        let limit = limit.min(MAX_LIST) as usize;
        match self.store.list_keys(&self.inv.scope, &prefix, limit).await {
            Ok(keys) => {
                self.inv.charge(keys.iter().map(String::len).sum())?;
                Ok(Ok(keys))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }
}
