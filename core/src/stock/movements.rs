//! Moving stock by hand: adjustments (never zero, always with a reason) and transfers between
//! two different locations. Each is one transaction with its ledger rows, audit row and events.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::levels::{self, Change, MovementKind};
use super::{MAX_QUANTITY, items, locations, positive_quantity};
use crate::audit::{self, Event};
use crate::auth::Principal;
use crate::auth::permissions::Action;
use crate::db::execute;
use crate::db::text_enum;
use crate::db::types::Timestamp;
use crate::error::{Error, Result};
use crate::http::extract::ApiJson;
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::{ItemId, LocationId, StockAdjustmentId, StockTransferId};
use crate::input::optional_text;
use crate::state::AppState;

text_enum! {
    /// Why stock was adjusted.
    pub enum AdjustmentReason {
        /// Stock on hand when the tenant started using ILS.
        OpeningBalance = "opening_balance",
        /// Found (more than the books said).
        Found = "found",
        /// Damaged and written off.
        Damaged = "damaged",
        /// Lost or stolen.
        Lost = "lost",
        /// Used up (consumables, in production).
        Used = "used",
        /// Sent back to the supplier outside a purchase order.
        ReturnedToSupplier = "returned_to_supplier",
        /// Correcting a mistake.
        Correction = "correction",
    }
}

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(adjust)).routes(routes!(transfer))
}

/// An adjustment as sent by a client.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    /// The item.
    pub item_id: ItemId,
    /// The location.
    pub location_id: LocationId,
    /// Units to add (positive) or remove (negative); never zero.
    pub quantity: i64,
    /// Why.
    pub reason: AdjustmentReason,
    /// Details (up to 500 characters).
    pub note: Option<String>,
}

/// A recorded adjustment.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Adjustment {
    /// Id.
    pub id: StockAdjustmentId,
    /// The item.
    pub item_id: ItemId,
    /// The location.
    pub location_id: LocationId,
    /// Units added (positive) or removed (negative).
    pub quantity: i64,
    /// Why.
    pub reason: AdjustmentReason,
    /// Details.
    pub note: String,
    /// The stock at the location afterwards.
    pub quantity_after: i64,
    /// When.
    pub created_at: Timestamp,
}

/// Adjust the stock of an item at a location.
#[utoipa::path(post, path = "/stock/adjustments", tag = "stock", security(("bearer" = [])), request_body = AdjustmentInput,
    responses((status = 201, description = "Adjusted", body = Adjustment),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such item or location in this tenant", body = Problem),
              (status = 409, description = "Not enough stock (`insufficient_stock`): stock never goes negative", body = Problem),
              (status = 422, description = "Invalid input, e.g. a zero quantity", body = Problem)))]
async fn adjust(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<AdjustmentInput>,
) -> ApiResult<(StatusCode, Json<Adjustment>)> {
    let ctx = principal.tenant(Action::StockWrite)?;
    if req.quantity == 0 || req.quantity.abs() > MAX_QUANTITY {
        return Err(Error::invalid_field(
            "quantity",
            format!("must not be zero, and at most {MAX_QUANTITY} either way"),
        )
        .into());
    }
    let note = optional_text("note", req.note.as_deref(), 500)?.unwrap_or_default();
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let item = items::get(&mut tx, req.item_id).await?;
    locations::get(&mut tx, req.location_id).await?;
    let id = StockAdjustmentId::new();
    let now = Timestamp::now();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO stock_adjustments (tenant_id, id, item_id, location_id, quantity, reason, note, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        tenant,
        id,
        item.id,
        req.location_id,
        req.quantity,
        req.reason,
        &note,
        ctx.audit.actor_id,
        now
    )?;
    let change = Change {
        item: &item,
        location: req.location_id,
        delta: req.quantity,
        kind: MovementKind::Adjustment,
        reference: id.as_uuid(),
        actor: ctx.audit.actor_id,
    };
    let quantity_after = levels::apply(&mut tx, change).await?;
    let event = Event::new("stock.adjusted", "stock_adjustment", id).changes(serde_json::json!({
        "item_id": item.id, "location_id": req.location_id, "quantity": req.quantity,
        "reason": req.reason, "note": note, "quantity_after": quantity_after,
    }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    let adjustment = Adjustment {
        id,
        item_id: item.id,
        location_id: req.location_id,
        quantity: req.quantity,
        reason: req.reason,
        note,
        quantity_after,
        created_at: now,
    };
    Ok((StatusCode::CREATED, Json(adjustment)))
}

/// A transfer as sent by a client.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// The item.
    pub item_id: ItemId,
    /// Where the stock leaves.
    pub from_location_id: LocationId,
    /// Where it arrives (a different location).
    pub to_location_id: LocationId,
    /// Units moved (positive).
    pub quantity: i64,
    /// Details (up to 500 characters).
    pub note: Option<String>,
}

/// A recorded transfer.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Transfer {
    /// Id.
    pub id: StockTransferId,
    /// The item.
    pub item_id: ItemId,
    /// Where the stock left.
    pub from_location_id: LocationId,
    /// Where it arrived.
    pub to_location_id: LocationId,
    /// Units moved.
    pub quantity: i64,
    /// Details.
    pub note: String,
    /// The stock left at the sending location.
    pub from_quantity_after: i64,
    /// The stock at the receiving location afterwards.
    pub to_quantity_after: i64,
    /// When.
    pub created_at: Timestamp,
}

/// Move stock of an item from one location to another.
#[utoipa::path(post, path = "/stock/transfers", tag = "stock", security(("bearer" = [])), request_body = TransferInput,
    responses((status = 201, description = "Transferred", body = Transfer),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such item or location in this tenant", body = Problem),
              (status = 409, description = "Not enough stock at the sending location (`insufficient_stock`)", body = Problem),
              (status = 422, description = "Invalid input, e.g. the same location twice", body = Problem)))]
async fn transfer(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<TransferInput>,
) -> ApiResult<(StatusCode, Json<Transfer>)> {
    let ctx = principal.tenant(Action::StockWrite)?;
    let quantity = positive_quantity("quantity", req.quantity)?;
    if req.from_location_id == req.to_location_id {
        return Err(Error::invalid_field("to_location_id", "must differ from from_location_id").into());
    }
    let note = optional_text("note", req.note.as_deref(), 500)?.unwrap_or_default();
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let item = items::get(&mut tx, req.item_id).await?;
    locations::get(&mut tx, req.from_location_id).await?;
    locations::get(&mut tx, req.to_location_id).await?;
    let id = StockTransferId::new();
    let now = Timestamp::now();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO stock_transfers (tenant_id, id, item_id, from_location_id, to_location_id, quantity, note,
            created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        tenant,
        id,
        item.id,
        req.from_location_id,
        req.to_location_id,
        quantity,
        &note,
        ctx.audit.actor_id,
        now
    )?;
    let leg = |location, delta, kind| Change {
        item: &item,
        location,
        delta,
        kind,
        reference: id.as_uuid(),
        actor: ctx.audit.actor_id,
    };
    let out = leg(req.from_location_id, -quantity, MovementKind::TransferOut);
    let into = leg(req.to_location_id, quantity, MovementKind::TransferIn);
    // Rows are locked in one global order (item, then location) so that two transfers in
    // opposite directions cannot deadlock on PostgreSQL.
    let (from_after, to_after) = if req.from_location_id < req.to_location_id {
        let from_after = levels::apply(&mut tx, out).await?;
        (from_after, levels::apply(&mut tx, into).await?)
    } else {
        let to_after = levels::apply(&mut tx, into).await?;
        (levels::apply(&mut tx, out).await?, to_after)
    };
    let event = Event::new("stock.transferred", "stock_transfer", id).changes(serde_json::json!({
        "item_id": item.id, "from_location_id": req.from_location_id, "to_location_id": req.to_location_id,
        "quantity": quantity, "note": note,
    }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    let transfer = Transfer {
        id,
        item_id: item.id,
        from_location_id: req.from_location_id,
        to_location_id: req.to_location_id,
        quantity,
        note,
        from_quantity_after: from_after,
        to_quantity_after: to_after,
        created_at: now,
    };
    Ok((StatusCode::CREATED, Json(transfer)))
}
