//! Stock levels and the stock ledger over HTTP (read only: stock changes through movements,
//! receipts and counts).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::ApiQuery;
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_stock::levels::{self, LevelFilter, Movement, MovementFilter, StockLevel};
use ils_storage::ids::{ItemId, LocationId};
use ils_tenancy::auth::Principal;

/// Which levels to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LevelQuery {
    /// Only this item.
    pub item_id: Option<ItemId>,
    /// Only this location.
    pub location_id: Option<LocationId>,
    /// Only levels at or below the item's reorder point.
    #[serde(default)]
    pub low: bool,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Which movements to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementQuery {
    /// Only this item.
    pub item_id: Option<ItemId>,
    /// Only this location.
    pub location_id: Option<LocationId>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_levels)).routes(routes!(list_movements))
}

/// Stock levels, by item and location.
#[utoipa::path(get, path = "/stock/levels", tag = "stock", security(("bearer" = [])), params(LevelQuery),
    responses((status = 200, description = "Stock levels", body = Page<StockLevel>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
pub(crate) async fn list_levels(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<LevelQuery>,
) -> ApiResult<Json<Page<StockLevel>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: q.cursor, limit: q.limit })?;
    let filter = LevelFilter { item_id: q.item_id, location_id: q.location_id, low: q.low };
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(levels::list(&mut tx, &filter, &page).await?))
}

/// The stock ledger: every change, oldest first.
#[utoipa::path(get, path = "/stock/movements", tag = "stock", security(("bearer" = [])), params(MovementQuery),
    responses((status = 200, description = "Movements", body = Page<Movement>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
async fn list_movements(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<MovementQuery>,
) -> ApiResult<Json<Page<Movement>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: q.cursor, limit: q.limit })?;
    let filter = MovementFilter { item_id: q.item_id, location_id: q.location_id };
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(levels::movements(&mut tx, &filter, &page).await?))
}
