//! Plans as data, for platform admins (ADR 025): list, create, read, edit and delete plans
//! under `/platform/plans`, and include or exclude a plugin.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::error::{Error, Result};
use ils_plugin_host::catalogue;
use ils_plugin_host::plans::{self, Figures, InclusionChange, NewPlan, Plan, PlanPatch, PlanSlug};
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(get_plan, update_plan, delete_plan))
        .routes(routes!(include_plugin, exclude_plugin))
}

/// A plan's handle from a path; one that cannot exist is `not_found`, like an unknown one.
fn slug(text: &str) -> Result<PlanSlug> {
    PlanSlug::parse(text).map_err(|_| Error::NotFound("plan"))
}

/// A new plan. Figures are whole numbers: milliseconds, bytes, counts.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanInput {
    /// Its handle (2–63 of `a-z0-9-`); never changes.
    pub(crate) slug: String,
    /// Display name.
    pub(crate) name: String,
    /// Its place among plans, 0–1,000,000, unique (higher is more).
    pub(crate) rank: i64,
    /// What it costs, as shown to people; empty or absent for none.
    pub(crate) price_label: Option<String>,
    /// One plugin call's wall-clock budget, 1–60,000 ms.
    pub(crate) timeout_ms: i64,
    /// One plugin call's linear memory, 1 MiB–256 MiB, in bytes.
    pub(crate) memory_bytes: i64,
    /// Bytes one (tenant, plugin) may keep in kv.
    pub(crate) kv_bytes: i64,
    /// Keys one (tenant, plugin) may keep in kv.
    pub(crate) kv_keys: i64,
    /// Events one (tenant, plugin) may publish a minute.
    pub(crate) events_per_minute: i64,
    /// Invocations of one (tenant, plugin) a calendar month.
    pub(crate) invocations_per_month: i64,
}

impl PlanInput {
    fn parse(self) -> Result<NewPlan> {
        Ok(NewPlan {
            slug: PlanSlug::parse_field("slug", &self.slug)?,
            name: plans::name(&self.name)?,
            rank: plans::rank(self.rank)?,
            price_label: plans::price_label(self.price_label.as_deref().unwrap_or(""))?,
            figures: Figures {
                timeout_ms: plans::timeout_ms(self.timeout_ms)?,
                memory_bytes: plans::memory_bytes(self.memory_bytes)?,
                kv_bytes: plans::quota("kv_bytes", self.kv_bytes)?,
                kv_keys: plans::quota("kv_keys", self.kv_keys)?,
                events_per_minute: plans::quota("events_per_minute", self.events_per_minute)?,
                invocations_per_month: plans::quota("invocations_per_month", self.invocations_per_month)?,
            },
        })
    }
}

/// Changes to a plan; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanPatchInput {
    /// New display name.
    pub(crate) name: Option<String>,
    /// New rank (unique).
    pub(crate) rank: Option<i64>,
    /// New price label; an empty one clears it.
    pub(crate) price_label: Option<String>,
    /// New call timeout, in milliseconds.
    pub(crate) timeout_ms: Option<i64>,
    /// New call memory, in bytes.
    pub(crate) memory_bytes: Option<i64>,
    /// New kv bytes quota.
    pub(crate) kv_bytes: Option<i64>,
    /// New kv keys quota.
    pub(crate) kv_keys: Option<i64>,
    /// New events-a-minute quota.
    pub(crate) events_per_minute: Option<i64>,
    /// New invocations-a-month quota.
    pub(crate) invocations_per_month: Option<i64>,
}

impl PlanPatchInput {
    fn parse(self) -> Result<PlanPatch> {
        Ok(PlanPatch {
            name: self.name.as_deref().map(plans::name).transpose()?,
            rank: self.rank.map(plans::rank).transpose()?,
            price_label: self.price_label.as_deref().map(plans::price_label).transpose()?,
            timeout_ms: self.timeout_ms.map(plans::timeout_ms).transpose()?,
            memory_bytes: self.memory_bytes.map(plans::memory_bytes).transpose()?,
            kv_bytes: self.kv_bytes.map(|v| plans::quota("kv_bytes", v)).transpose()?,
            kv_keys: self.kv_keys.map(|v| plans::quota("kv_keys", v)).transpose()?,
            events_per_minute: self
                .events_per_minute
                .map(|v| plans::quota("events_per_minute", v))
                .transpose()?,
            invocations_per_month: self
                .invocations_per_month
                .map(|v| plans::quota("invocations_per_month", v))
                .transpose()?,
        })
    }
}

/// Every plan, lowest rank first, with its plugins and how many tenants are on it.
#[utoipa::path(get, path = "/platform/plans", tag = "plans", security(("bearer" = [])),
    responses((status = 200, description = "The plans", body = [Plan]),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem)))]
pub(crate) async fn list_plans(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<Plan>>> {
    principal.platform_admin()?;
    Ok(Json(plans::list(&state.db).await?))
}

/// Create a plan (it includes no plugin until one is included or approved from it).
#[utoipa::path(post, path = "/platform/plans", tag = "plans", security(("bearer" = [])), request_body = PlanInput,
    responses((status = 201, description = "Created", body = Plan),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 409, description = "The slug or the rank is taken", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn create_plan(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<PlanInput>,
) -> ApiResult<(StatusCode, Json<Plan>)> {
    principal.platform_admin()?;
    let new = req.parse()?;
    let plan = plans::create(&state.db, &principal.audit(), &new).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// One plan.
#[utoipa::path(get, path = "/platform/plans/{plan}", tag = "plans", security(("bearer" = [])),
    params(("plan" = String, Path, description = "The plan's slug")),
    responses((status = 200, description = "The plan", body = Plan),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such plan", body = Problem)))]
pub(crate) async fn get_plan(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plan): ApiPath<String>,
) -> ApiResult<Json<Plan>> {
    principal.platform_admin()?;
    Ok(Json(plans::get(&state.db, &slug(&plan)?).await?))
}

/// Edit a plan's name, rank, price label, limits or quotas: its tenants' next plugin calls run
/// with the new figures.
#[utoipa::path(patch, path = "/platform/plans/{plan}", tag = "plans", security(("bearer" = [])),
    params(("plan" = String, Path, description = "The plan's slug")), request_body = PlanPatchInput,
    responses((status = 200, description = "Updated", body = Plan),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such plan", body = Problem),
              (status = 409, description = "The rank is taken", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn update_plan(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plan): ApiPath<String>,
    ApiJson(req): ApiJson<PlanPatchInput>,
) -> ApiResult<Json<Plan>> {
    principal.platform_admin()?;
    let plan = slug(&plan)?;
    let patch = req.parse()?;
    Ok(Json(plans::update(&state.db, &principal.audit(), &plan, &patch).await?))
}

/// Delete a plan: refused while tenants are on it or plugin versions were approved from it.
#[utoipa::path(delete, path = "/platform/plans/{plan}", tag = "plans", security(("bearer" = [])),
    params(("plan" = String, Path, description = "The plan's slug")),
    responses((status = 204, description = "Deleted"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such plan", body = Problem),
              (status = 409, description = "In use (plan_in_use)", body = Problem)))]
pub(crate) async fn delete_plan(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plan): ApiPath<String>,
) -> ApiResult<StatusCode> {
    principal.platform_admin()?;
    plans::delete(&state.db, &principal.audit(), &slug(&plan)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Include a plugin in a plan: its tenants may enable it, and those whose earlier plan disabled
/// it have it enabled again (same version and consent).
#[utoipa::path(put, path = "/platform/plans/{plan}/plugins/{plugin}", tag = "plans", security(("bearer" = [])),
    params(("plan" = String, Path, description = "The plan's slug"), ("plugin" = String, Path, description = "Plugin id")),
    responses((status = 200, description = "Included", body = InclusionChange),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such plan, or no approved plugin of that id", body = Problem)))]
pub(crate) async fn include_plugin(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((plan, plugin)): ApiPath<(String, String)>,
) -> ApiResult<Json<InclusionChange>> {
    principal.platform_admin()?;
    let (plan, plugin) = (slug(&plan)?, catalogue::plugin_id(&plugin)?);
    Ok(Json(plans::include(&state.db, &principal.audit(), &plan, plugin.as_str()).await?))
}

/// Exclude a plugin from a plan: the plan's tenants may no longer enable it, and those that have
/// it enabled have it disabled (configuration, secrets and data kept).
#[utoipa::path(delete, path = "/platform/plans/{plan}/plugins/{plugin}", tag = "plans", security(("bearer" = [])),
    params(("plan" = String, Path, description = "The plan's slug"), ("plugin" = String, Path, description = "Plugin id")),
    responses((status = 200, description = "Excluded", body = InclusionChange),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such plan, or the plan does not include the plugin", body = Problem)))]
pub(crate) async fn exclude_plugin(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((plan, plugin)): ApiPath<(String, String)>,
) -> ApiResult<Json<InclusionChange>> {
    principal.platform_admin()?;
    let (plan, plugin) = (slug(&plan)?, catalogue::plugin_id(&plugin)?);
    Ok(Json(plans::exclude(&state.db, &principal.audit(), &plan, plugin.as_str()).await?))
}
