//! Purchase orders over HTTP: raise a draft, edit it, send it, cancel it; receipts are in
//! [`super::receipts`].

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, Filter, NewLine, NewOrder};
use super::{PurchaseOrder, PurchaseOrderStatus};
use crate::audit::{self, Event};
use crate::auth::permissions::Action;
use crate::auth::{Principal, TenantCtx};
use crate::db::TenantTx;
use crate::error::{Error, Result};
use crate::events::{self, catalog};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::{ItemId, LocationId, PurchaseOrderId, SupplierId};
use crate::input::optional_text;
use crate::state::AppState;
use crate::stock::{items, locations, positive_quantity, suppliers};

/// The most lines one order may have.
pub const MAX_LINES: usize = 500;
/// The highest unit price, in minor units.
pub const MAX_UNIT_PRICE_MINOR: i64 = 1_000_000_000;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_order, list_orders))
        .routes(routes!(get_order, update_order))
        .routes(routes!(send_order))
        .routes(routes!(cancel_order))
        .merge(super::receipts::router())
}

/// A purchase order as sent by a client (creation, or a full replacement of a draft).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderInput {
    /// The supplier; the tenant must have an account with it.
    pub supplier_id: SupplierId,
    /// Where the goods are to be delivered and stocked.
    pub location_id: LocationId,
    /// ISO 4217 currency code of the prices (`GBP`).
    pub currency: String,
    /// Notes to the supplier (up to 2,000 characters).
    pub notes: Option<String>,
    /// The lines: at least one, one per item.
    pub lines: Vec<LineInput>,
}

/// One line as sent by a client.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// The item.
    pub item_id: ItemId,
    /// Units to order (positive).
    pub quantity: i64,
    /// Price per unit, in minor units of the currency (0 or more).
    pub unit_price_minor: i64,
}

impl PurchaseOrderInput {
    /// Checks the values; references are checked against the tenant's data in [`Self::resolve`].
    fn order(&self) -> Result<NewOrder> {
        let currency = crate::input::currency_code("currency", &self.currency)?;
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            return Err(Error::invalid_field("lines", format!("must have 1–{MAX_LINES} lines")));
        }
        let mut seen = HashSet::new();
        let mut lines = Vec::with_capacity(self.lines.len());
        for (n, line) in self.lines.iter().enumerate() {
            let quantity = positive_quantity(&format!("lines[{n}].quantity"), line.quantity)?;
            if !(0..=MAX_UNIT_PRICE_MINOR).contains(&line.unit_price_minor) {
                return Err(Error::invalid_field(
                    &format!("lines[{n}].unit_price_minor"),
                    format!("must be between 0 and {MAX_UNIT_PRICE_MINOR}"),
                ));
            }
            if !seen.insert(line.item_id) {
                return Err(Error::invalid_field(
                    &format!("lines[{n}].item_id"),
                    "is on another line already: one line per item",
                ));
            }
            lines.push(NewLine { item_id: line.item_id, quantity, unit_price_minor: line.unit_price_minor });
        }
        Ok(NewOrder {
            supplier_id: self.supplier_id,
            location_id: self.location_id,
            currency,
            notes: optional_text("notes", self.notes.as_deref(), 2000)?.unwrap_or_default(),
            lines,
        })
    }
}

/// Checks that the order's supplier account, location and items are the tenant's.
async fn resolve(tx: &mut TenantTx, order: &NewOrder) -> Result<()> {
    suppliers::account(tx, order.supplier_id).await?;
    locations::get(tx, order.location_id).await?;
    for line in &order.lines {
        items::get(tx, line.item_id).await?;
    }
    Ok(())
}

/// Raise a purchase order (a draft).
#[utoipa::path(post, path = "/purchase-orders", tag = "purchasing", security(("bearer" = [])), request_body = PurchaseOrderInput,
    responses((status = 201, description = "Raised, as a draft", body = PurchaseOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No account with that supplier, or no such location or item in this tenant", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn create_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<PurchaseOrderInput>,
) -> ApiResult<(StatusCode, Json<PurchaseOrder>)> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let order = req.order()?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    resolve(&mut tx, &order).await?;
    let number = store::next_number(&mut tx).await?;
    let id = store::insert(&mut tx, &number, &order, ctx.user_id).await?;
    let created = store::get(&mut tx, id).await?;
    let event = Event::new("purchase_order.created", "purchase_order", id).changes(serde_json::json!({
        "number": created.number, "supplier_id": created.supplier_id, "total_minor": created.total_minor,
        "currency": created.currency,
    }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Which orders to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Only orders in this status.
    pub status: Option<PurchaseOrderStatus>,
    /// Only orders to this supplier.
    pub supplier_id: Option<SupplierId>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// The tenant's purchase orders, oldest first.
#[utoipa::path(get, path = "/purchase-orders", tag = "purchasing", security(("bearer" = [])), params(OrderQuery),
    responses((status = 200, description = "Purchase orders", body = Page<PurchaseOrder>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
async fn list_orders(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Json<Page<PurchaseOrder>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: q.cursor, limit: q.limit })?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let filter = Filter { status: q.status, supplier_id: q.supplier_id };
    Ok(Json(store::list(&mut tx, &filter, &page).await?))
}

/// One purchase order with its lines.
#[utoipa::path(get, path = "/purchase-orders/{purchase_order_id}", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")),
    responses((status = 200, description = "The purchase order", body = PurchaseOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem)))]
async fn get_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Json<PurchaseOrder>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(store::get(&mut tx, id).await?))
}

/// Replace a draft purchase order (supplier, location, currency, notes and lines).
#[utoipa::path(put, path = "/purchase-orders/{purchase_order_id}", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")),
    request_body = PurchaseOrderInput,
    responses((status = 200, description = "Updated", body = PurchaseOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order (or supplier account, location, item) in this tenant", body = Problem),
              (status = 409, description = "Not a draft (`purchase_order_not_editable`)", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn update_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
    ApiJson(req): ApiJson<PurchaseOrderInput>,
) -> ApiResult<Json<PurchaseOrder>> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let order = req.order()?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let before = store::get_locked(&mut tx, id).await?;
    if !before.status.is_editable() {
        return Err(Error::conflict(
            "purchase_order_not_editable",
            format!("Purchase order {} is {}: only drafts can be changed.", before.number, before.status),
        )
        .into());
    }
    resolve(&mut tx, &order).await?;
    store::replace(&mut tx, id, &order).await?;
    let after = store::get(&mut tx, id).await?;
    let event = Event::new("purchase_order.updated", "purchase_order", id).changes(serde_json::json!({
        "total_minor": { "from": before.total_minor, "to": after.total_minor },
        "lines": { "from": before.lines.len(), "to": after.lines.len() },
    }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Moves an order by a person's request (send, cancel): locked, checked, audited, announced.
async fn transition(
    state: &AppState,
    ctx: &TenantCtx,
    id: PurchaseOrderId,
    to: PurchaseOrderStatus,
) -> Result<PurchaseOrder> {
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let order = store::get_locked(&mut tx, id).await?;
    if !order.status.can_move_to(to) {
        return Err(Error::conflict(
            "invalid_transition",
            format!("Purchase order {} is {}: it cannot become {to}.", order.number, order.status),
        ));
    }
    store::set_status(&mut tx, id, order.status, to).await?;
    changed(&mut tx, ctx, &order, to).await?;
    let after = store::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Records a status change of `order` in the audit log and as an event.
pub(crate) async fn changed(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    order: &PurchaseOrder,
    to: PurchaseOrderStatus,
) -> Result<()> {
    let event = Event::new("purchase_order.status_changed", "purchase_order", order.id)
        .changes(serde_json::json!({ "status": { "from": order.status, "to": to } }));
    audit::record(tx, &ctx.audit, event).await?;
    let event = catalog::PurchaseOrderStatusChanged {
        purchase_order_id: order.id,
        number: order.number.clone(),
        from: order.status,
        to,
    };
    events::emit(tx, &event).await?;
    Ok(())
}

/// Send a draft purchase order to the supplier (it can no longer be edited).
#[utoipa::path(post, path = "/purchase-orders/{purchase_order_id}/send", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")),
    responses((status = 200, description = "Sent", body = PurchaseOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem),
              (status = 409, description = "Not a draft (`invalid_transition`)", body = Problem)))]
async fn send_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Json<PurchaseOrder>> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    Ok(Json(transition(&state, &ctx, id, PurchaseOrderStatus::Sent).await?))
}

/// Cancel a purchase order; a partially received one is closed short (what arrived stays).
#[utoipa::path(post, path = "/purchase-orders/{purchase_order_id}/cancel", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")),
    responses((status = 200, description = "Cancelled", body = PurchaseOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem),
              (status = 409, description = "Already received or cancelled (`invalid_transition`)", body = Problem)))]
async fn cancel_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Json<PurchaseOrder>> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    Ok(Json(transition(&state, &ctx, id, PurchaseOrderStatus::Cancelled).await?))
}
