//! `secrets`: tenant-set secrets of the plugin. Capability `secrets`.

use std::sync::Arc;

use ils_registry::Capability;

use super::{CapResult, require};
use crate::error::GuestError;
use crate::services::SecretStore;
use crate::state::Invocation;

pub(crate) struct SecretsCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) store: Arc<dyn SecretStore>,
}

impl SecretsCap {
    fn check(&self) -> Result<(), GuestError> {
        require(&self.inv, Capability::Secrets)
    }

    pub(crate) async fn get(&self, name: String) -> CapResult<Option<String>> {
        if let Err(e) = self.check() {
            return Ok(Err(e));
        }
        match self.store.secret(&self.inv.scope, &name).await {
            Ok(value) => {
                self.inv.charge(value.as_ref().map_or(0, String::len))?;
                Ok(Ok(value))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }
}
