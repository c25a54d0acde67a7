//! `inventory`: stock levels, locations and the catalogue (capability `inventory-read`), and stock
//! movements recorded once per key (capability `inventory-write`).

use std::sync::Arc;

use ils_records::inventory::MAX_ITEM_PAGE;
use ils_registry::Capability;

use super::{CapResult, require};
use crate::error::GuestError;
use crate::services::{
    CatalogueItem, InventoryService, ItemPage, MovementOutcome, StockLevel, StockLocation, StockMovement,
};
use crate::state::Invocation;

/// The most movements one call records.
pub(crate) const MAX_MOVEMENTS: usize = 500;

pub(crate) struct InventoryCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) service: Arc<dyn InventoryService>,
}

fn level_bytes(l: &StockLevel) -> usize {
    48 + l.item_id.len() + l.sku.len() + l.location_id.len()
}

fn item_bytes(i: &CatalogueItem) -> usize {
    48 + i.id.len() + i.sku.len() + i.name.len() + i.levels.iter().map(level_bytes).sum::<usize>()
}

impl InventoryCap {
    pub(crate) async fn stock_by_sku(&self, sku: String) -> CapResult<Vec<StockLevel>> {
        if let Err(e) = require(&self.inv, Capability::InventoryRead) {
            return Ok(Err(e));
        }
        match self.service.stock_by_sku(&self.inv.scope, &sku).await {
            Ok(levels) => {
                self.inv.charge(levels.iter().map(level_bytes).sum())?;
                Ok(Ok(levels))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }

    pub(crate) async fn locations(&self) -> CapResult<Vec<StockLocation>> {
        if let Err(e) = require(&self.inv, Capability::InventoryRead) {
            return Ok(Err(e));
        }
        match self.service.locations(&self.inv.scope).await {
            Ok(list) => {
                self.inv.charge(list.iter().map(|l| 32 + l.id.len() + l.name.len()).sum())?;
                Ok(Ok(list))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }

    pub(crate) async fn items(&self, after: Option<String>, limit: u32) -> CapResult<ItemPage> {
        if let Err(e) = require(&self.inv, Capability::InventoryRead) {
            return Ok(Err(e));
        }
        let limit = limit.clamp(1, MAX_ITEM_PAGE);
        match self.service.items(&self.inv.scope, after.as_deref(), limit).await {
            Ok(page) => {
                self.inv.charge(page.items.iter().map(item_bytes).sum())?;
                Ok(Ok(page))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }

    pub(crate) async fn record_movements(
        &self,
        movements: Vec<StockMovement>,
    ) -> CapResult<Vec<MovementOutcome>> {
        if let Err(e) = require(&self.inv, Capability::InventoryWrite) {
            return Ok(Err(e));
        }
        if movements.len() > MAX_MOVEMENTS {
            return Ok(Err(GuestError::Invalid(format!(
                "{} movements in one call; at most {MAX_MOVEMENTS}",
                movements.len()
            ))));
        }
        if movements.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        match self.service.record_movements(&self.inv.scope, &movements).await {
            Ok(outcomes) => Ok(Ok(outcomes)),
            Err(e) => Ok(Err(e.into())),
        }
    }
}
