//! Purchase orders over HTTP: raise a draft, edit it, send it (and again), see its deliveries,
//! cancel it; receipts are in [`super::receipts`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_stock::purchase_orders::{
    self, Delivery, DraftLine, DraftOrder, Filter, Mailing, PurchaseOrder, PurchaseOrderStatus,
};
use ils_storage::ids::{ItemId, LocationId, PurchaseOrderId, SupplierId};
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_order, list_orders))
        .routes(routes!(get_order, update_order))
        .routes(routes!(send_order))
        .routes(routes!(send_again))
        .routes(routes!(list_purchase_order_deliveries))
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
    /// The item to order: one of the tenant's catalogue, at most one line per item.
    pub item_id: ItemId,
    /// Units to order (positive).
    pub quantity: i64,
    /// Price per unit, in minor units of the currency (0 or more).
    pub unit_price_minor: i64,
}

impl From<PurchaseOrderInput> for DraftOrder {
    fn from(i: PurchaseOrderInput) -> Self {
        DraftOrder {
            supplier_id: i.supplier_id,
            location_id: i.location_id,
            currency: i.currency,
            notes: i.notes,
            lines: i
                .lines
                .into_iter()
                .map(|l| DraftLine {
                    item_id: l.item_id,
                    quantity: l.quantity,
                    unit_price_minor: l.unit_price_minor,
                })
                .collect(),
        }
    }
}

/// Raise a purchase order (a draft).
#[utoipa::path(post, path = "/purchase-orders", operation_id = "create_purchase_order", tag = "purchasing", security(("bearer" = [])), request_body = PurchaseOrderInput,
    responses((status = 201, description = "Raised, as a draft", body = PurchaseOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No account with that supplier, or no such location or item in this tenant", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn create_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<PurchaseOrderInput>,
) -> ApiResult<(StatusCode, Json<PurchaseOrder>)> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let order = purchase_orders::raise(&mut uow, req.into()).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(order)))
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
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The tenant's purchase orders, oldest first.
#[utoipa::path(get, path = "/purchase-orders", operation_id = "list_purchase_orders", tag = "purchasing", security(("bearer" = [])), params(OrderQuery),
    responses((status = 200, description = "Purchase orders", body = Page<PurchaseOrder>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
pub(crate) async fn list_orders(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Json<Page<PurchaseOrder>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: q.cursor, limit: q.limit })?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let filter = Filter { status: q.status, supplier_id: q.supplier_id };
    Ok(Json(purchase_orders::list(&mut tx, &filter, &page).await?))
}

/// One purchase order with its lines.
#[utoipa::path(get, path = "/purchase-orders/{purchase_order_id}", operation_id = "get_purchase_order", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")),
    responses((status = 200, description = "The purchase order", body = PurchaseOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem)))]
pub(crate) async fn get_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Json<PurchaseOrder>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(purchase_orders::get(&mut tx, id).await?))
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
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let order = purchase_orders::revise(&mut uow, id, req.into()).await?;
    uow.commit().await?;
    Ok(Json(order))
}

/// Whether this installation e-mails (an SMTP server is configured).
fn mailing(state: &AppState) -> Mailing {
    if state.mailer.is_some() { Mailing::Available } else { Mailing::Unavailable }
}

/// Sends (or sends again) in one unit of work, with the delivery's job queued in it.
async fn dispatch(
    state: &AppState,
    principal: &Principal,
    id: PurchaseOrderId,
    again: bool,
) -> ApiResult<Json<PurchaseOrder>> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let (order, delivery) = if again {
        purchase_orders::send_again(&mut uow, id, mailing(state)).await?
    } else {
        purchase_orders::send(&mut uow, id, mailing(state)).await?
    };
    crate::notify::purchase_orders::queue(uow.tx(), &delivery, state.config.jobs.delivery_attempts).await?;
    uow.commit().await?;
    Ok(Json(order))
}

/// Send a draft purchase order to the supplier: it can no longer be edited, and it is e-mailed
/// as a PDF to the supplier's orders address (`delivery` says how that goes: `queued`, then
/// `delivered` or `failed`; `not_emailed` with the reason when the supplier has no address or
/// this installation sends no e-mail).
#[utoipa::path(post, path = "/purchase-orders/{purchase_order_id}/send", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")),
    responses((status = 200, description = "Sent; `delivery` is its e-mail to the supplier", body = PurchaseOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem),
              (status = 409, description = "Not a draft (`invalid_transition`)", body = Problem)))]
pub(crate) async fn send_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Json<PurchaseOrder>> {
    dispatch(&state, &principal, id, false).await
}

/// Send an order that was sent before once more (the supplier lost it, or the e-mail failed):
/// a new delivery, e-mailed as `send` does.
#[utoipa::path(post, path = "/purchase-orders/{purchase_order_id}/send-again", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")),
    responses((status = 200, description = "Queued again; `delivery` is the new e-mail", body = PurchaseOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem),
              (status = 409, description = "A draft, or received or cancelled (`purchase_order_not_sent`)", body = Problem)))]
pub(crate) async fn send_again(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Json<PurchaseOrder>> {
    dispatch(&state, &principal, id, true).await
}

/// Every sending of a purchase order to its supplier, newest first.
#[utoipa::path(get, path = "/purchase-orders/{purchase_order_id}/deliveries", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")),
    responses((status = 200, description = "The deliveries, newest first", body = Vec<Delivery>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem)))]
pub(crate) async fn list_purchase_order_deliveries(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Json<Vec<Delivery>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let deliveries = purchase_orders::deliveries::list(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(deliveries))
}

/// Cancel a purchase order; a partially received one is closed short (what arrived stays).
#[utoipa::path(post, path = "/purchase-orders/{purchase_order_id}/cancel", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")),
    responses((status = 200, description = "Cancelled", body = PurchaseOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem),
              (status = 409, description = "Already received or cancelled (`invalid_transition`)", body = Problem)))]
pub(crate) async fn cancel_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Json<PurchaseOrder>> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let order = purchase_orders::cancel(&mut uow, id).await?;
    uow.commit().await?;
    Ok(Json(order))
}
