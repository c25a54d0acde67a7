//! Goods receipts: what arrived against a purchase order. One receipt is one transaction: the
//! order is locked, each line's received quantity grows (never past what was ordered), the stock
//! at the order's location grows, the order's status follows, and the audit row and events
//! (`goods.received`, `purchase_order.status_changed`) commit with it.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{PurchaseOrderStatus, store};
use crate::audit::{self, Event};
use crate::auth::Principal;
use crate::auth::permissions::Action;
use crate::db::query;
use crate::db::types::Timestamp;
use crate::db::{TenantTx, execute};
use crate::error::{Error, Result};
use crate::events::{self, catalog};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::{GoodsReceiptId, ItemId, PurchaseOrderId, UserId};
use crate::input::optional_text;
use crate::state::AppState;
use crate::stock::levels::{self, Change, MovementKind};
use crate::stock::{items, positive_quantity};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive, list_receipts))
}

/// A delivery as recorded by a client.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptInput {
    /// What arrived: at least one line, items of the order, one line per item.
    pub lines: Vec<ReceiptLineInput>,
    /// Delivery note number, damage, anything worth keeping (up to 500 characters).
    pub note: Option<String>,
}

/// One item that arrived.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLineInput {
    /// The item (a line of the order).
    pub item_id: ItemId,
    /// Units that arrived (positive, at most what is still outstanding).
    pub quantity: i64,
}

/// A recorded goods receipt.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GoodsReceipt {
    /// Id.
    pub id: GoodsReceiptId,
    /// The purchase order.
    pub purchase_order_id: PurchaseOrderId,
    /// What arrived.
    pub lines: Vec<ReceiptLine>,
    /// Note.
    pub note: String,
    /// Who received it.
    pub received_by: Option<UserId>,
    /// When.
    pub received_at: Timestamp,
    /// The purchase order's status as this answer was given.
    pub purchase_order_status: PurchaseOrderStatus,
}

/// One item of a receipt.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ReceiptLine {
    /// The item.
    pub item_id: ItemId,
    /// Units that arrived.
    pub quantity: i64,
}

/// Receive goods against a sent (or partially received) purchase order.
#[utoipa::path(post, path = "/purchase-orders/{purchase_order_id}/receipts", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")), request_body = ReceiptInput,
    responses((status = 201, description = "Received; stock and the order's status updated", body = GoodsReceipt),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem),
              (status = 409, description = "The order is not awaiting goods (`purchase_order_not_receivable`), or more than is outstanding (`over_receipt`)", body = Problem),
              (status = 422, description = "Invalid input, e.g. an item not on the order", body = Problem)))]
async fn receive(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
    ApiJson(req): ApiJson<ReceiptInput>,
) -> ApiResult<(StatusCode, Json<GoodsReceipt>)> {
    let ctx = principal.tenant(Action::StockWrite)?;
    if req.lines.is_empty() || req.lines.len() > super::routes::MAX_LINES {
        return Err(Error::invalid_field("lines", "must have at least one line").into());
    }
    let mut seen = HashSet::new();
    let mut lines = Vec::with_capacity(req.lines.len());
    for (n, line) in req.lines.iter().enumerate() {
        let quantity = positive_quantity(&format!("lines[{n}].quantity"), line.quantity)?;
        if !seen.insert(line.item_id) {
            return Err(Error::invalid_field(&format!("lines[{n}].item_id"), "appears twice").into());
        }
        lines.push(ReceiptLine { item_id: line.item_id, quantity });
    }
    // Stock rows are locked in item order, as everywhere, so that receipts cannot deadlock.
    lines.sort_by_key(|l| l.item_id);
    let note = optional_text("note", req.note.as_deref(), 500)?.unwrap_or_default();

    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let order = store::get_locked(&mut tx, id).await?;
    if !order.status.accepts_receipts() {
        return Err(Error::conflict(
            "purchase_order_not_receivable",
            format!(
                "Purchase order {} is {}: goods are received only against sent orders.",
                order.number, order.status
            ),
        )
        .into());
    }
    for (n, line) in lines.iter().enumerate() {
        let Some(ordered) = order.lines.iter().find(|l| l.item_id == line.item_id) else {
            return Err(Error::invalid_field(
                &format!("lines[{n}].item_id"),
                "is not on this purchase order",
            )
            .into());
        };
        let outstanding = ordered.quantity - ordered.received_quantity;
        if line.quantity > outstanding
            || !store::receive_line(&mut tx, id, line.item_id, line.quantity).await?
        {
            return Err(Error::conflict(
                "over_receipt",
                format!("Only {outstanding} of {} are outstanding on {}.", ordered.sku, order.number),
            )
            .into());
        }
    }
    let receipt_id = GoodsReceiptId::new();
    let now = Timestamp::now();
    insert(&mut tx, receipt_id, id, &lines, &note, ctx.user_id, now).await?;
    for line in &lines {
        let item = items::get(&mut tx, line.item_id).await?;
        let change = Change {
            item: &item,
            location: order.location_id,
            delta: line.quantity,
            kind: MovementKind::Receipt,
            reference: receipt_id.as_uuid(),
            actor: ctx.audit.actor_id,
        };
        levels::apply(&mut tx, change).await?;
    }
    let after = store::get(&mut tx, id).await?;
    let complete = after.lines.iter().all(|l| l.received_quantity == l.quantity);
    let status =
        if complete { PurchaseOrderStatus::Received } else { PurchaseOrderStatus::PartiallyReceived };
    if status != order.status {
        store::set_status(&mut tx, id, order.status, status).await?;
        super::routes::changed(&mut tx, &ctx, &order, status).await?;
    }
    let event = Event::new("goods.received", "goods_receipt", receipt_id).changes(serde_json::json!({
        "purchase_order_id": id, "lines": lines.iter().map(|l| serde_json::json!({ "item_id": l.item_id, "quantity": l.quantity })).collect::<Vec<_>>(),
        "note": note,
    }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    let received = catalog::GoodsReceived {
        goods_receipt_id: receipt_id,
        purchase_order_id: id,
        supplier_id: order.supplier_id,
        location_id: order.location_id,
        lines: lines
            .iter()
            .map(|l| catalog::ReceivedLine { item_id: l.item_id, quantity: l.quantity })
            .collect(),
    };
    events::emit(&mut tx, &received).await?;
    tx.commit().await?;
    let receipt = GoodsReceipt {
        id: receipt_id,
        purchase_order_id: id,
        lines,
        note,
        received_by: ctx.user_id,
        received_at: now,
        purchase_order_status: status,
    };
    Ok((StatusCode::CREATED, Json(receipt)))
}

async fn insert(
    tx: &mut TenantTx,
    id: GoodsReceiptId,
    order: PurchaseOrderId,
    lines: &[ReceiptLine],
    note: &str,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<()> {
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO goods_receipts (tenant_id, id, purchase_order_id, note, received_by, received_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        tenant,
        id,
        order,
        note,
        by,
        at
    )?;
    for line in lines {
        execute!(
            tx.conn(),
            "INSERT INTO goods_receipt_lines (tenant_id, goods_receipt_id, item_id, quantity) VALUES ($1, $2, $3, $4)",
            tenant,
            id,
            line.item_id,
            line.quantity
        )?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ReceiptRow {
    id: GoodsReceiptId,
    note: String,
    received_by: Option<UserId>,
    received_at: Timestamp,
}

/// The goods received against a purchase order, oldest first.
#[utoipa::path(get, path = "/purchase-orders/{purchase_order_id}/receipts", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")),
    responses((status = 200, description = "Receipts", body = Vec<GoodsReceipt>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem)))]
async fn list_receipts(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Json<Vec<GoodsReceipt>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let order = store::get(&mut tx, id).await?;
    let tenant = tx.tenant_id();
    let rows: Vec<ReceiptRow> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT id, note, received_by, received_at FROM goods_receipts
         WHERE tenant_id = $1 AND purchase_order_id = $2 ORDER BY id",
        tenant,
        id
    )?;
    let mut receipts = Vec::with_capacity(rows.len());
    for row in rows {
        let lines: Vec<ReceiptLine> = query!(
            tx,
            query_as,
            fetch_all,
            "SELECT item_id, quantity FROM goods_receipt_lines WHERE tenant_id = $1 AND goods_receipt_id = $2
             ORDER BY item_id",
            tenant,
            row.id
        )?;
        receipts.push(GoodsReceipt {
            id: row.id,
            purchase_order_id: id,
            lines,
            note: row.note,
            received_by: row.received_by,
            received_at: row.received_at,
            purchase_order_status: order.status,
        });
    }
    Ok(Json(receipts))
}
