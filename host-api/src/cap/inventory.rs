//! `inventory`: stock levels, read only. Capability `inventory-read`.

use std::sync::Arc;

use ils_registry::Capability;

use super::{CapResult, require};
use crate::error::GuestError;
use crate::services::{InventoryReader, StockLevel};
use crate::state::Invocation;

pub(crate) struct InventoryCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) reader: Arc<dyn InventoryReader>,
}

impl InventoryCap {
    fn check(&self) -> Result<(), GuestError> {
        require(&self.inv, Capability::InventoryRead)
    }

    pub(crate) async fn stock_by_sku(&self, sku: String) -> CapResult<Vec<StockLevel>> {
        if let Err(e) = self.check() {
            return Ok(Err(e));
        }
        match self.reader.stock_by_sku(&self.inv.scope, &sku).await {
            Ok(levels) => {
                self.inv.charge(
                    levels.iter().map(|l| 48 + l.item_id.len() + l.sku.len() + l.location_id.len()).sum(),
                )?;
                Ok(Ok(levels))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }
}
