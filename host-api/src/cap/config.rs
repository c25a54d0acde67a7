//! `config`: the tenant's configuration of the plugin (validated by the embedder). Always granted.

use std::sync::Arc;

use crate::state::Invocation;

pub(crate) struct ConfigCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) json: String,
}

impl ConfigCap {
    pub(crate) fn get(&self) -> wasmtime::Result<String> {
        self.inv.charge(self.json.len())?;
        Ok(self.json.clone())
    }
}
