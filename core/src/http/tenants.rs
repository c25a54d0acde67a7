//! Tenant administration (platform admins) and a tenant's view of itself.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_storage::ids::TenantId;
use ils_tenancy::auth::Principal;
use ils_tenancy::auth::password::Password;
use ils_tenancy::tenants::{
    FirstAdmin, NewTenant, PlanSlug, Slug, Tenant, TenantKind, TenantPatch, TenantStatus, UpdateTenant,
    parse_name,
};
use ils_tenancy::users::Email;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant, list_tenants))
        .routes(routes!(get_tenant, update_tenant))
        .routes(routes!(own_tenant))
        .routes(routes!(get_settings, put_settings))
}

/// The first admin of a new tenant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdminRequest {
    /// E-mail address; an existing account becomes admin and keeps its password.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Password for a new account (at least 12 characters).
    pub password: Option<String>,
}

/// A new tenant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenantRequest {
    /// Display name.
    pub name: String,
    /// Unique handle (2–63 of `a-z0-9-`).
    pub slug: String,
    /// Kind of company.
    pub kind: TenantKind,
    /// Its plan (`GET /platform/plans`); by default the lowest-ranked one.
    pub plan: Option<PlanSlug>,
    /// Its first company admin.
    pub admin: NewAdminRequest,
}

/// Create a tenant with its first company admin.
#[utoipa::path(post, path = "/tenants", tag = "tenants", security(("bearer" = [])), request_body = NewTenantRequest,
    responses((status = 201, description = "Created", body = Tenant),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 409, description = "Slug taken", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn create_tenant(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<NewTenantRequest>,
) -> ApiResult<(StatusCode, Json<Tenant>)> {
    principal.platform_admin()?;
    let new = NewTenant {
        slug: Slug::parse(&req.slug)?,
        name: parse_name("name", &req.name)?,
        kind: req.kind,
        plan: req.plan,
    };
    let (email, name) =
        (Email::parse("admin.email", &req.admin.email)?, parse_name("admin.name", &req.admin.name)?);
    let account = [email.as_str(), name.as_str()];
    let password = req
        .admin
        .password
        .as_deref()
        .map(|p| Password::parse_for("admin.password", p, &account))
        .transpose()?;
    let admin = FirstAdmin { email, name, password };
    let tenant = ils_tenancy::tenants::create_with_admin(&state.db, &principal.audit(), &new, &admin).await?;
    Ok((StatusCode::CREATED, Json(tenant)))
}

/// Every tenant on the platform.
#[utoipa::path(get, path = "/tenants", tag = "tenants", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "Tenants", body = Page<Tenant>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem)))]
pub(crate) async fn list_tenants(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Tenant>>> {
    principal.platform_admin()?;
    let page = PageRequest::parse(&query)?;
    let mut tx = state.db.system_read().await?;
    let tenants = ils_tenancy::tenants::list(&mut tx, &page).await?;
    tx.commit().await?;
    Ok(Json(tenants))
}

/// One tenant.
#[utoipa::path(get, path = "/tenants/{tenant_id}", tag = "tenants", security(("bearer" = [])),
    params(("tenant_id" = TenantId, Path, description = "The tenant")),
    responses((status = 200, description = "The tenant", body = Tenant),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such tenant", body = Problem)))]
async fn get_tenant(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(tenant_id): ApiPath<TenantId>,
) -> ApiResult<Json<Tenant>> {
    principal.platform_admin()?;
    let mut tx = state.db.system_read().await?;
    let tenant = ils_tenancy::tenants::get(&mut tx, tenant_id).await?.ok_or(Error::NotFound("tenant"))?;
    tx.commit().await?;
    Ok(Json(tenant))
}

/// Changes to a tenant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatchRequest {
    /// New name.
    pub name: Option<String>,
    /// New status (`suspended` stops its users from acting).
    pub status: Option<TenantStatus>,
    /// New plan: plugins it does not include are disabled (data kept), plugins an earlier plan
    /// disabled that it includes are enabled again.
    pub plan: Option<PlanSlug>,
}

/// A tenant after a platform admin's change, with what a plan change did to its plugins.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UpdatedTenant {
    /// The tenant as it is now.
    #[serde(flatten)]
    pub tenant: Tenant,
    /// What the plan change did to its plugins (both lists empty when the plan did not change).
    #[serde(flatten)]
    pub effects: ils_plugin_host::plans::PlanEffects,
}

/// Rename, suspend, reactivate or change the plan of a tenant.
#[utoipa::path(patch, path = "/tenants/{tenant_id}", tag = "tenants", security(("bearer" = [])),
    params(("tenant_id" = TenantId, Path, description = "The tenant")), request_body = TenantPatchRequest,
    responses((status = 200, description = "Updated, with the plugins a plan change disabled or enabled again", body = UpdatedTenant),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such tenant", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn update_tenant(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(tenant_id): ApiPath<TenantId>,
    ApiJson(req): ApiJson<TenantPatchRequest>,
) -> ApiResult<Json<UpdatedTenant>> {
    principal.platform_admin()?;
    let patch = TenantPatch {
        name: req.name.as_deref().map(|n| parse_name("name", n)).transpose()?,
        status: req.status,
        plan: req.plan,
    };
    let cmd = UpdateTenant { tenant_id, patch };
    let (tenant, effects) = ils_plugin_host::plans::update_tenant(&state.db, &principal.audit(), cmd).await?;
    Ok(Json(UpdatedTenant { tenant, effects }))
}

/// The caller's current tenant.
#[utoipa::path(get, path = "/tenant", tag = "tenants", security(("bearer" = [])),
    responses((status = 200, description = "The current tenant", body = Tenant),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "No tenant selected, or suspended", body = Problem)))]
async fn own_tenant(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Tenant>> {
    let ctx = principal.tenant(Action::TenantRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let tenant = ils_tenancy::tenants::get_own(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(tenant))
}

/// The current tenant's settings.
#[utoipa::path(get, path = "/tenant/settings", tag = "tenants", security(("bearer" = [])),
    responses((status = 200, description = "The settings", body = ils_tenancy::tenants::TenantSettings),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn get_settings(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<ils_tenancy::tenants::TenantSettings>> {
    let ctx = principal.tenant(Action::TenantRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let settings = ils_tenancy::tenants::settings(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(settings))
}

/// The body of `PUT /tenant/settings`, unknown settings refused. The document shows it as
/// `TenantSettings`, the same shape the service takes and returns; a setting left out keeps its
/// value (clients written before the letterhead existed send `rx_steps` alone).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsInput {
    pub(crate) rx_steps: Option<ils_tenancy::tenants::Steps>,
    pub(crate) address: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) contact_email: Option<Option<String>>,
}

/// A field given, even as `null` (which clears it): `Some(None)`; left out: `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Change the current tenant's settings (company admins).
#[utoipa::path(put, path = "/tenant/settings", tag = "tenants", security(("bearer" = [])),
    request_body = ils_tenancy::tenants::TenantSettings,
    responses((status = 200, description = "The new settings", body = ils_tenancy::tenants::TenantSettings),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed (company admins)", body = Problem),
              (status = 422, description = "Invalid settings", body = Problem)))]
pub(crate) async fn put_settings(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<SettingsInput>,
) -> ApiResult<Json<ils_tenancy::tenants::TenantSettings>> {
    let ctx = principal.tenant(Action::SettingsManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let old = ils_tenancy::tenants::settings(uow.tx()).await?;
    let new = ils_tenancy::tenants::TenantSettings {
        rx_steps: req.rx_steps.unwrap_or(old.rx_steps),
        address: req.address.unwrap_or(old.address),
        phone: req.phone.unwrap_or(old.phone),
        contact_email: req.contact_email.unwrap_or(old.contact_email),
    };
    let settings = ils_tenancy::tenants::change_settings(&mut uow, new).await?;
    uow.commit().await?;
    Ok(Json(settings))
}
