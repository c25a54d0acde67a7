//! Goods receipts over HTTP.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_stock::purchase_orders::receipts::{self, GoodsReceipt, ReceiptLine, ReceiveGoods};
use ils_storage::ids::{ItemId, PurchaseOrderId};
use ils_tenancy::auth::Principal;

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

/// Receive goods against a sent (or partially received) purchase order.
#[utoipa::path(post, path = "/purchase-orders/{purchase_order_id}/receipts", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")), request_body = ReceiptInput,
    responses((status = 201, description = "Received; stock and the order's status updated", body = GoodsReceipt),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem),
              (status = 409, description = "The order is not awaiting goods (`purchase_order_not_receivable`), or more than is outstanding (`over_receipt`)", body = Problem),
              (status = 422, description = "Invalid input, e.g. an item not on the order", body = Problem)))]
pub(crate) async fn receive(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
    ApiJson(req): ApiJson<ReceiptInput>,
) -> ApiResult<(StatusCode, Json<GoodsReceipt>)> {
    let ctx = principal.tenant(Action::StockWrite)?;
    let lines = req.lines.iter().map(|l| ReceiptLine { item_id: l.item_id, quantity: l.quantity }).collect();
    let req = ReceiveGoods { lines, note: req.note };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let receipt = receipts::receive(&mut uow, id, req).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// The goods received against a purchase order, oldest first.
#[utoipa::path(get, path = "/purchase-orders/{purchase_order_id}/receipts", tag = "purchasing", security(("bearer" = [])),
    params(("purchase_order_id" = PurchaseOrderId, Path, description = "The purchase order")),
    responses((status = 200, description = "Receipts", body = Vec<GoodsReceipt>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such purchase order in this tenant", body = Problem)))]
pub(crate) async fn list_receipts(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Json<Vec<GoodsReceipt>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(receipts::list(&mut tx, id).await?))
}
