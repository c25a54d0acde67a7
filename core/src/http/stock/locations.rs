//! Stock locations over HTTP.

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
use ils_stock::locations::{self, Location, LocationDetails};
use ils_storage::ids::LocationId;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_location, list_locations))
        .routes(routes!(get_location, update_location))
}

/// A location as sent by a client.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// Name (1–100 characters), unique within the tenant.
    pub name: String,
}

/// Add a stock location.
#[utoipa::path(post, path = "/locations", tag = "stock", security(("bearer" = [])), request_body = LocationInput,
    responses((status = 201, description = "Added", body = Location),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 409, description = "Name already used", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn create_location(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<LocationInput>,
) -> ApiResult<(StatusCode, Json<Location>)> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let location = locations::create(&mut uow, LocationDetails { name: req.name }).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(location)))
}

/// The tenant's stock locations.
#[utoipa::path(get, path = "/locations", tag = "stock", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "Locations, oldest first", body = Page<Location>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
pub(crate) async fn list_locations(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Location>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&query)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(locations::list(&mut tx, &page).await?))
}

/// One stock location.
#[utoipa::path(get, path = "/locations/{location_id}", tag = "stock", security(("bearer" = [])),
    params(("location_id" = LocationId, Path, description = "The location")),
    responses((status = 200, description = "The location", body = Location),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such location in this tenant", body = Problem)))]
async fn get_location(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<LocationId>,
) -> ApiResult<Json<Location>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(locations::get(&mut tx, id).await?))
}

/// Rename a stock location.
#[utoipa::path(put, path = "/locations/{location_id}", tag = "stock", security(("bearer" = [])),
    params(("location_id" = LocationId, Path, description = "The location")), request_body = LocationInput,
    responses((status = 200, description = "Renamed", body = Location),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such location in this tenant", body = Problem),
              (status = 409, description = "Name already used", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn update_location(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<LocationId>,
    ApiJson(req): ApiJson<LocationInput>,
) -> ApiResult<Json<Location>> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let location = locations::rename(&mut uow, id, LocationDetails { name: req.name }).await?;
    uow.commit().await?;
    Ok(Json(location))
}
