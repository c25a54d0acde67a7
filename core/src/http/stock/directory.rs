//! The supplier directory for platform admins: which suppliers are on ILS, and linking an entry
//! to the supplier's own tenant so that purchase orders to it arrive in that tenant's inbox
//! instead of by e-mail (docs/adr/042-supplier-inbox.md).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_stock::suppliers::{self, DirectoryEntry};
use ils_storage::ids::{SupplierId, TenantId};
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_directory))
        .routes(routes!(get_directory_entry))
        .routes(routes!(link_supplier_tenant, unlink_supplier_tenant))
}

/// Which directory entries to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Only suppliers whose name starts with this (ignoring case and spacing).
    pub name: Option<String>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The supplier directory, oldest first, with each supplier's tenant when it is on ILS and how
/// many tenants buy from it.
#[utoipa::path(get, path = "/platform/suppliers", tag = "purchasing", security(("bearer" = [])), params(DirectoryQuery),
    responses((status = 200, description = "The directory", body = Page<DirectoryEntry>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 422, description = "Invalid name, cursor or limit", body = Problem)))]
pub(crate) async fn list_directory(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<DirectoryQuery>,
) -> ApiResult<Json<Page<DirectoryEntry>>> {
    principal.platform_admin()?;
    let page = PageRequest::parse(&PageQuery { cursor: q.cursor, limit: q.limit })?;
    let mut tx = state.db.system_read().await?;
    Ok(Json(suppliers::directory(&mut tx, q.name.as_deref(), &page).await?))
}

/// One directory entry.
#[utoipa::path(get, path = "/platform/suppliers/{supplier_id}", tag = "purchasing", security(("bearer" = [])),
    params(("supplier_id" = SupplierId, Path, description = "The supplier")),
    responses((status = 200, description = "The entry", body = DirectoryEntry),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such supplier", body = Problem)))]
pub(crate) async fn get_directory_entry(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SupplierId>,
) -> ApiResult<Json<DirectoryEntry>> {
    principal.platform_admin()?;
    let mut tx = state.db.system_read().await?;
    Ok(Json(suppliers::directory_entry(&mut tx, id).await?))
}

/// The supplier's own tenant on ILS.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// A tenant of kind `supplier`, not linked to another entry.
    pub tenant_id: TenantId,
}

/// Link a directory entry to the supplier's tenant: from now on, purchase orders sent to this
/// supplier arrive in that tenant's inbox instead of by e-mail.
#[utoipa::path(put, path = "/platform/suppliers/{supplier_id}/tenant", tag = "purchasing", security(("bearer" = [])),
    params(("supplier_id" = SupplierId, Path, description = "The supplier")), request_body = LinkInput,
    responses((status = 200, description = "Linked", body = DirectoryEntry),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such supplier", body = Problem),
              (status = 409, description = "The tenant receives another entry's orders (`supplier_tenant_taken`)", body = Problem),
              (status = 422, description = "No such tenant, or not a supplier's (`tenant_not_a_supplier`)", body = Problem)))]
pub(crate) async fn link_supplier_tenant(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SupplierId>,
    ApiJson(input): ApiJson<LinkInput>,
) -> ApiResult<Json<DirectoryEntry>> {
    link(&state, &principal, id, Some(input.tenant_id)).await.map(Json)
}

/// Unlink a directory entry from its tenant: orders to the supplier are e-mailed again.
#[utoipa::path(delete, path = "/platform/suppliers/{supplier_id}/tenant", tag = "purchasing", security(("bearer" = [])),
    params(("supplier_id" = SupplierId, Path, description = "The supplier")),
    responses((status = 200, description = "Unlinked", body = DirectoryEntry),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such supplier", body = Problem)))]
pub(crate) async fn unlink_supplier_tenant(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SupplierId>,
) -> ApiResult<Json<DirectoryEntry>> {
    link(&state, &principal, id, None).await.map(Json)
}

/// Links or unlinks as a platform admin (shared with the console).
pub(crate) async fn link(
    state: &AppState,
    principal: &Principal,
    id: SupplierId,
    tenant: Option<TenantId>,
) -> ApiResult<DirectoryEntry> {
    principal.platform_admin()?;
    let mut tx = state.db.system().await?;
    let entry = suppliers::link(&mut tx, &principal.audit(), id, tenant).await?;
    tx.commit().await?;
    Ok(entry)
}
