//! `config`: the tenant's configuration of the plugin (validated by the embedder). Always granted.

use std::sync::Arc;

use serde_json::Value;

use crate::state::Invocation;

pub(crate) struct ConfigCap {
    pub(crate) inv: Arc<Invocation>,
    /// Serialised when the plugin asks for it: most calls never do.
    pub(crate) value: Value,
}

impl ConfigCap {
    pub(crate) fn get(&self) -> wasmtime::Result<String> {
        let json = self.value.to_string();
        self.inv.charge(json.len())?;
        Ok(json)
    }
}
