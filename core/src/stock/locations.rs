//! Stock locations: the places a tenant keeps stock (a shop floor, a store room, the lab).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{self, Event};
use crate::auth::Principal;
use crate::auth::permissions::Action;
use crate::db::TenantTx;
use crate::db::query;
use crate::db::types::Timestamp;
use crate::error::{Error, Result};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::LocationId;
use crate::state::AppState;

/// A place where stock is kept.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Location {
    /// Id.
    pub id: LocationId,
    /// Name, unique within the tenant.
    pub name: String,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, name, created_at, updated_at";

fn on_duplicate(error: Error) -> Error {
    error.on_duplicate_of("name", "location_name_taken", "Another location of this tenant has that name.")
}

/// One location of the tenant.
pub async fn get(tx: &mut TenantTx, id: LocationId) -> Result<Location> {
    let tenant = tx.tenant_id();
    let sql = format!("SELECT {COLUMNS} FROM stock_locations WHERE tenant_id = $1 AND id = $2");
    let row: Option<Location> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    row.ok_or(Error::NotFound("location"))
}

async fn insert(tx: &mut TenantTx, name: &str) -> Result<Location> {
    let tenant = tx.tenant_id();
    let sql = format!(
        "INSERT INTO stock_locations (tenant_id, id, name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING {COLUMNS}"
    );
    let row: Location =
        query!(tx, query_as, fetch_one, sql, tenant, LocationId::new(), name, Timestamp::now())
            .map_err(|e| on_duplicate(e.into()))?;
    Ok(row)
}

async fn rename(tx: &mut TenantTx, id: LocationId, name: &str) -> Result<Location> {
    let tenant = tx.tenant_id();
    let sql = format!(
        "UPDATE stock_locations SET name = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2
         RETURNING {COLUMNS}"
    );
    let row: Option<Location> = query!(tx, query_as, fetch_optional, sql, tenant, id, name, Timestamp::now())
        .map_err(|e| on_duplicate(e.into()))?;
    row.ok_or(Error::NotFound("location"))
}

async fn list(tx: &mut TenantTx, page: &PageRequest) -> Result<Page<Location>> {
    let tenant = tx.tenant_id();
    let after: Option<LocationId> = page.after()?;
    let sql = format!(
        "SELECT {COLUMNS} FROM stock_locations WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2)
         ORDER BY id LIMIT $3"
    );
    let rows: Vec<Location> = query!(tx, query_as, fetch_all, sql, tenant, after, page.fetch_limit())?;
    Ok(page.finish(rows, |l| l.id.as_uuid()))
}

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
async fn create_location(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<LocationInput>,
) -> ApiResult<(StatusCode, Json<Location>)> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let name = crate::input::required_text("name", &req.name, 100)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let location = insert(&mut tx, &name).await?;
    let event = Event::new("location.created", "location", location.id)
        .changes(serde_json::json!({ "name": location.name }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(location)))
}

/// The tenant's stock locations.
#[utoipa::path(get, path = "/locations", tag = "stock", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "Locations, oldest first", body = Page<Location>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
async fn list_locations(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Location>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&query)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(list(&mut tx, &page).await?))
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
    Ok(Json(get(&mut tx, id).await?))
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
    let name = crate::input::required_text("name", &req.name, 100)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let before = get(&mut tx, id).await?;
    let after = rename(&mut tx, id, &name).await?;
    let event = Event::new("location.updated", "location", id)
        .changes(serde_json::json!({ "name": { "from": before.name, "to": after.name } }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(Json(after))
}
