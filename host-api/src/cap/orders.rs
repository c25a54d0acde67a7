//! `orders`: the tenant's orders. Capabilities `orders-read`, `orders-annotate`, `orders-transition`.

use std::sync::Arc;

use ils_registry::Capability;

use super::{CapResult, require};
use crate::error::GuestError;
use crate::services::{Order, OrderStatus, OrdersService};
use crate::state::Invocation;

const MAX_LIST: u32 = 100;

pub(crate) struct OrdersCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) orders: Arc<dyn OrdersService>,
}

fn size(o: &Order) -> usize {
    64 + o.id.len() + o.reference.len() + o.practice_id.len() + o.lab_id.len() + o.details.to_string().len()
}

impl OrdersCap {
    fn check(&self, needed: Capability) -> Result<(), GuestError> {
        require(&self.inv, needed)
    }

    pub(crate) async fn get(&self, id: String) -> CapResult<Order> {
        if let Err(e) = self.check(Capability::OrdersRead) {
            return Ok(Err(e));
        }
        match self.orders.get(&self.inv.scope, &id).await {
            Ok(o) => {
                self.inv.charge(size(&o))?;
                Ok(Ok(o))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }

    pub(crate) async fn list(&self, status: Option<OrderStatus>, limit: u32) -> CapResult<Vec<Order>> {
        if let Err(e) = self.check(Capability::OrdersRead) {
            return Ok(Err(e));
        }
        match self.orders.list(&self.inv.scope, status, limit.min(MAX_LIST) as usize).await {
            Ok(list) => {
                self.inv.charge(list.iter().map(size).sum())?;
                Ok(Ok(list))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }

    pub(crate) async fn annotate(&self, id: String, note: String) -> CapResult<()> {
        if let Err(e) = self.check(Capability::OrdersAnnotate) {
            return Ok(Err(e));
        }
        if note.is_empty() || note.len() > 2000 {
            return Ok(Err(GuestError::Invalid("notes are 1 to 2000 bytes".into())));
        }
        Ok(self.orders.annotate(&self.inv.scope, &id, &note).await.map_err(Into::into))
    }

    pub(crate) async fn transition(&self, id: String, to: OrderStatus, reason: String) -> CapResult<Order> {
        if let Err(e) = self.check(Capability::OrdersTransition) {
            return Ok(Err(e));
        }
        Ok(self.orders.transition(&self.inv.scope, &id, to, &reason).await.map_err(Into::into))
    }
}
