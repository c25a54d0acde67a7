//! Stock counts over HTTP.

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
use ils_stock::counts::{
    self, CountFilter, FinaliseCount, RecordCount, StartCount, StockCount, StockCountDetail, StockCountStatus,
};
use ils_storage::ids::{ItemId, LocationId, StockCountId};
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_count, list_counts))
        .routes(routes!(get_stock_count))
        .routes(routes!(record_count))
        .routes(routes!(finalise_count))
        .routes(routes!(cancel_count))
}

/// A count to open.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartCountInput {
    /// The location to count.
    pub location_id: LocationId,
}

/// Open a stock count of a location (one open count per location).
#[utoipa::path(post, path = "/stock-counts", tag = "stock", security(("bearer" = [])), request_body = StartCountInput,
    responses((status = 201, description = "Opened, with the stock on record", body = StockCountDetail),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such location in this tenant", body = Problem),
              (status = 409, description = "A count of this location is already open (`stock_count_open`)", body = Problem)))]
pub(crate) async fn start_count(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<StartCountInput>,
) -> ApiResult<(StatusCode, Json<StockCountDetail>)> {
    let ctx = principal.tenant(Action::StockWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let count = counts::start(&mut uow, StartCount { location_id: req.location_id }).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(count)))
}

/// Which counts to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountQuery {
    /// Only counts of this location.
    pub location_id: Option<LocationId>,
    /// Only counts in this status.
    pub status: Option<StockCountStatus>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The tenant's stock counts, oldest first.
#[utoipa::path(get, path = "/stock-counts", tag = "stock", security(("bearer" = [])), params(CountQuery),
    responses((status = 200, description = "Stock counts", body = Page<StockCount>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
pub(crate) async fn list_counts(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<CountQuery>,
) -> ApiResult<Json<Page<StockCount>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: q.cursor, limit: q.limit })?;
    let filter = CountFilter { location_id: q.location_id, status: q.status };
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(counts::list(&mut tx, &filter, &page).await?))
}

/// One stock count with its lines.
#[utoipa::path(get, path = "/stock-counts/{stock_count_id}", tag = "stock", security(("bearer" = [])),
    params(("stock_count_id" = StockCountId, Path, description = "The stock count")),
    responses((status = 200, description = "The count", body = StockCountDetail),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such stock count in this tenant", body = Problem)))]
pub(crate) async fn get_stock_count(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<StockCountId>,
) -> ApiResult<Json<StockCountDetail>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(counts::detail(&mut tx, id).await?))
}

/// What was counted of one item.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountInput {
    /// Units counted (0 or more); replaces an earlier figure for the item.
    pub counted_quantity: i64,
}

/// Record what was counted of an item.
#[utoipa::path(put, path = "/stock-counts/{stock_count_id}/items/{item_id}", tag = "stock", security(("bearer" = [])),
    params(("stock_count_id" = StockCountId, Path, description = "The stock count"),
           ("item_id" = ItemId, Path, description = "The item counted")),
    request_body = CountInput,
    responses((status = 200, description = "Recorded", body = StockCountDetail),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such stock count or item in this tenant", body = Problem),
              (status = 409, description = "The count is finalised or cancelled (`stock_count_closed`)", body = Problem),
              (status = 422, description = "Invalid quantity", body = Problem)))]
pub(crate) async fn record_count(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, item_id)): ApiPath<(StockCountId, ItemId)>,
    ApiJson(req): ApiJson<CountInput>,
) -> ApiResult<Json<StockCountDetail>> {
    let ctx = principal.tenant(Action::StockWrite)?;
    let req = RecordCount { item_id, counted_quantity: req.counted_quantity };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let count = counts::record(&mut uow, id, req).await?;
    uow.commit().await?;
    Ok(Json(count))
}

/// How to finalise.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinaliseInput {
    /// Finalise although stock moved during the count, the counted figures winning
    /// (company admins: `stock:override`).
    #[serde(default, rename = "override")]
    pub override_moves: bool,
}

/// Finalise a count: set each counted item's stock to what was counted.
#[utoipa::path(post, path = "/stock-counts/{stock_count_id}/finalise", tag = "stock", security(("bearer" = [])),
    params(("stock_count_id" = StockCountId, Path, description = "The stock count")), request_body = FinaliseInput,
    responses((status = 200, description = "Finalised; stock set to the counted quantities", body = StockCountDetail),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed (an override needs a company admin)", body = Problem),
              (status = 404, description = "No such stock count in this tenant", body = Problem),
              (status = 409, description = "Stock moved during the count (`stock_moved_during_count`), or the count is closed (`stock_count_closed`)", body = Problem)))]
pub(crate) async fn finalise_count(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<StockCountId>,
    ApiJson(req): ApiJson<FinaliseInput>,
) -> ApiResult<Json<StockCountDetail>> {
    let ctx = principal.tenant(Action::StockWrite)?;
    if req.override_moves {
        principal.tenant(Action::StockOverride)?;
    }
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let count = counts::finalise(&mut uow, id, FinaliseCount { override_moves: req.override_moves }).await?;
    uow.commit().await?;
    Ok(Json(count))
}

/// Cancel an open count; stock is not changed.
#[utoipa::path(post, path = "/stock-counts/{stock_count_id}/cancel", tag = "stock", security(("bearer" = [])),
    params(("stock_count_id" = StockCountId, Path, description = "The stock count")),
    responses((status = 200, description = "Cancelled", body = StockCountDetail),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such stock count in this tenant", body = Problem),
              (status = 409, description = "The count is finalised or cancelled (`stock_count_closed`)", body = Problem)))]
pub(crate) async fn cancel_count(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<StockCountId>,
) -> ApiResult<Json<StockCountDetail>> {
    let ctx = principal.tenant(Action::StockWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let count = counts::cancel(&mut uow, id).await?;
    uow.commit().await?;
    Ok(Json(count))
}
