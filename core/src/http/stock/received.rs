//! A supplier's inbox over HTTP: the purchase orders its customers on ILS send it, and
//! acknowledging one (docs/adr/042-supplier-inbox.md).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::context::TenantCtx;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_stock::purchase_orders::deliveries;
use ils_stock::received::{self, Filter, ReceivedOrder, ReceivedStatus};
use ils_storage::ids::ReceivedOrderId;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_received))
        .routes(routes!(get_received))
        .routes(routes!(acknowledge_received))
}

/// Which received orders to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceivedQuery {
    /// Only orders with this status (`new`: not yet taken on).
    pub status: Option<ReceivedStatus>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The purchase orders the tenant's customers sent it (the tenant is a supplier on ILS), newest
/// first.
#[utoipa::path(get, path = "/received-purchase-orders", tag = "purchasing", security(("bearer" = [])), params(ReceivedQuery),
    responses((status = 200, description = "Received orders", body = Page<ReceivedOrder>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid status, cursor or limit", body = Problem)))]
pub(crate) async fn list_received(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ReceivedQuery>,
) -> ApiResult<Json<Page<ReceivedOrder>>> {
    let ctx = principal.tenant(Action::ReceivedOrdersManage)?;
    let page = PageRequest::parse(&PageQuery { cursor: q.cursor, limit: q.limit })?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(received::list(&mut tx, &Filter { status: q.status }, &page).await?))
}

/// One received purchase order: who sent it, its lines, and its PDF.
#[utoipa::path(get, path = "/received-purchase-orders/{received_id}", tag = "purchasing", security(("bearer" = [])),
    params(("received_id" = ReceivedOrderId, Path, description = "The received order")),
    responses((status = 200, description = "The received order", body = ReceivedOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such received order in this tenant", body = Problem)))]
pub(crate) async fn get_received(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ReceivedOrderId>,
) -> ApiResult<Json<ReceivedOrder>> {
    let ctx = principal.tenant(Action::ReceivedOrdersManage)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(received::get(&mut tx, id).await?))
}

/// Acknowledge a received order: the supplier has taken it on, and the customer sees when on its
/// purchase order. Acknowledging it again changes nothing.
#[utoipa::path(post, path = "/received-purchase-orders/{received_id}/acknowledge", tag = "purchasing", security(("bearer" = [])),
    params(("received_id" = ReceivedOrderId, Path, description = "The received order")),
    responses((status = 200, description = "Acknowledged", body = ReceivedOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such received order in this tenant", body = Problem)))]
pub(crate) async fn acknowledge_received(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ReceivedOrderId>,
) -> ApiResult<Json<ReceivedOrder>> {
    let ctx = principal.tenant(Action::ReceivedOrdersManage)?;
    Ok(Json(acknowledge(&state, &ctx, id).await?))
}

/// Acknowledges in the supplier's tenant, then shows it on the customer's delivery. The second
/// step is the customer's record of a fact already true: if it fails, the supplier's
/// acknowledgement stands and the customer's delivery shows none.
pub(crate) async fn acknowledge(
    state: &AppState,
    ctx: &TenantCtx,
    id: ReceivedOrderId,
) -> ils_kernel::Result<ReceivedOrder> {
    let mut uow = UnitOfWork::begin(&state.db, ctx).await?;
    let (order, sender) = received::acknowledge(&mut uow, id).await?;
    uow.commit().await?;
    if let Some(sender) = sender {
        let buyer = TenantCtx::system(sender.tenant_id);
        let shown = async {
            let mut uow = UnitOfWork::begin(&state.db, &buyer).await?;
            deliveries::acknowledged(&mut uow, sender.delivery_id).await?;
            uow.commit().await
        };
        if let Err(error) = shown.await {
            tracing::warn!(%error, received = %id, "the customer's delivery does not show the acknowledgement");
        }
    }
    Ok(order)
}
