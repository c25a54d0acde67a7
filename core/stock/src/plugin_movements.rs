//! Stock moved by plugins (`ils:platform` `inventory.record-movements`): a web shop's sales and
//! returns, each recorded exactly once by its idempotency key. A batch is one unit of work: every
//! movement is recorded, or none (the error names the first refused). A key recorded before
//! answers its first outcome and moves nothing, so a webhook delivered twice, or an order seen in
//! `orders/create` and again in `orders/updated`, moves stock once (docs/adr/030).

use serde::Serialize;
use uuid::Uuid;

use ils_kernel::audit::Event;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{ItemId, LocationId};
use ils_storage::types::Timestamp;
use ils_storage::{execute, query, text_enum};

use crate::levels::{self, Change, MovementKind};
use crate::{MAX_QUANTITY, items, locations};

text_enum! {
    /// Why a plugin moves stock.
    pub enum PluginMovementKind {
        /// Sold: the delta is negative.
        Sale = "sale",
        /// Returned by a customer into stock: the delta is positive.
        Return = "return",
        /// Any other correction, either way.
        Adjustment = "adjustment",
    }
}

impl PluginMovementKind {
    fn ledger_kind(self) -> MovementKind {
        match self {
            Self::Sale => MovementKind::Sale,
            Self::Return => MovementKind::Return,
            Self::Adjustment => MovementKind::Adjustment,
        }
    }
}

/// The longest idempotency key.
pub const MAX_KEY: usize = 200;

/// A movement a plugin asks for.
#[derive(Clone, Debug)]
pub struct PluginMovement {
    /// Idempotency key, unique within the tenant (1–200 characters).
    pub key: String,
    /// The item.
    pub item_id: ItemId,
    /// The location.
    pub location_id: LocationId,
    /// Units added (positive) or taken (negative).
    pub delta: i64,
    /// Why.
    pub kind: PluginMovementKind,
    /// Shown in the ledger (at most 500 characters).
    pub note: String,
}

/// What became of one movement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recorded {
    /// The movement's key.
    pub key: String,
    /// False when the key had been recorded before: nothing moved this time.
    pub applied: bool,
    /// The stock at the location after the movement (after its first recording, for a repeat).
    pub quantity_after: i64,
}

impl PluginMovement {
    fn check(&self, index: usize) -> Result<()> {
        let field = |name: &str| format!("movements[{index}].{name}");
        if self.key.trim().is_empty()
            || self.key.chars().count() > MAX_KEY
            || self.key.chars().any(char::is_control)
        {
            return Err(Error::invalid_field(
                &field("key"),
                format!("must be 1–{MAX_KEY} printable characters"),
            ));
        }
        if self.delta == 0 || !(-MAX_QUANTITY..=MAX_QUANTITY).contains(&self.delta) {
            return Err(Error::invalid_field(
                &field("delta"),
                format!("must not be zero, and at most {MAX_QUANTITY} either way"),
            ));
        }
        let sign_ok = match self.kind {
            PluginMovementKind::Sale => self.delta < 0,
            PluginMovementKind::Return => self.delta > 0,
            PluginMovementKind::Adjustment => true,
        };
        if !sign_ok {
            return Err(Error::invalid_field(
                &field("delta"),
                "a sale takes stock (negative) and a return adds it (positive)",
            ));
        }
        if self.note.chars().count() > 500 {
            return Err(Error::invalid_field(&field("note"), "must be at most 500 characters"));
        }
        Ok(())
    }
}

/// Records `movements` for `plugin`, in order, in the caller's unit of work.
pub async fn record(
    uow: &mut UnitOfWork,
    plugin: &str,
    movements: &[PluginMovement],
) -> Result<Vec<Recorded>> {
    for (i, m) in movements.iter().enumerate() {
        m.check(i)?;
    }
    let actor = uow.actor().actor_id;
    let mut outcomes = Vec::with_capacity(movements.len());
    for m in movements {
        let tenant = uow.tx().tenant_id();
        let first: Option<i64> = query!(
            uow.tx(),
            query_scalar,
            fetch_optional,
            "SELECT quantity_after FROM plugin_stock_movements WHERE tenant_id = $1 AND key = $2",
            tenant,
            &m.key
        )?;
        if let Some(quantity_after) = first {
            outcomes.push(Recorded { key: m.key.clone(), applied: false, quantity_after });
            continue;
        }
        let tx = uow.tx();
        let item = items::get(tx, m.item_id).await?;
        locations::get(tx, m.location_id).await?;
        let id = Uuid::now_v7();
        let change = Change {
            item: &item,
            location: m.location_id,
            delta: m.delta,
            kind: m.kind.ledger_kind(),
            reference: id,
            actor,
        };
        let quantity_after = levels::apply(tx, change).await?;
        let now = Timestamp::now();
        execute!(
            tx.conn(),
            "INSERT INTO plugin_stock_movements (tenant_id, key, id, plugin_id, item_id, location_id, delta, kind,
                note, quantity_after, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            tenant,
            &m.key,
            id,
            plugin,
            item.id,
            m.location_id,
            m.delta,
            m.kind,
            &m.note,
            quantity_after,
            now
        )?;
        let event =
            Event::new("stock.moved_by_plugin", "plugin_stock_movement", id).changes(serde_json::json!({
                "plugin": plugin, "key": m.key, "item_id": item.id, "location_id": m.location_id,
                "delta": m.delta, "kind": m.kind, "note": m.note, "quantity_after": quantity_after,
            }));
        uow.audit(event).await?;
        outcomes.push(Recorded { key: m.key.clone(), applied: true, quantity_after });
    }
    Ok(outcomes)
}
