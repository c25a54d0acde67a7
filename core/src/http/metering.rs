//! Plugin metering over HTTP: a tenant's admins read what each of their plugins cost per day and
//! export, platform admins read one plugin's figures across tenants (docs/adr/023). Both flush
//! this node's totals first, so a call made just before is counted.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_plugin_host::catalogue;
use ils_plugin_host::metering::{self, DayRange, PlatformMetering, PluginMetering};
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tenant_metering)).routes(routes!(platform_metering))
}

/// The days to read.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// The first day, `YYYY-MM-DD` (UTC); by default the first of this month.
    pub from: Option<String>,
    /// The last day, included; by default today. At most 366 days from `from`.
    pub to: Option<String>,
}

impl DaysQuery {
    fn range(&self) -> ils_kernel::error::Result<DayRange> {
        DayRange::parse(self.from.as_deref(), self.to.as_deref())
    }
}

/// What a plugin cost the tenant, per day and export (company admins): invocations and failures,
/// wall and CPU time, peak memory, outbound requests and bytes, events published, and what it
/// kept in kv. Never enabled, or another tenant's: 404.
#[utoipa::path(get, path = "/tenant/plugins/{plugin}/metering", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), DaysQuery),
    responses((status = 200, description = "Figures per day and export", body = PluginMetering),
              (status = 403, description = "Not a company admin", body = Problem),
              (status = 404, description = "Never enabled", body = Problem),
              (status = 422, description = "A day is not a date, the range is backwards or too long", body = Problem)))]
pub(crate) async fn tenant_metering(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plugin): ApiPath<String>,
    ApiQuery(query): ApiQuery<DaysQuery>,
) -> ApiResult<Json<PluginMetering>> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    let plugin = catalogue::plugin_id(&plugin)?;
    let range = query.range()?;
    state.plugins.metering().flush().await?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    super::plugins::enabled_row(&mut tx, plugin.as_str()).await?;
    let figures = metering::tenant_metering(&mut tx, plugin.as_str(), range).await?;
    tx.commit().await?;
    Ok(Json(figures))
}

/// What a plugin cost each tenant, per day and export (platform admins). A plugin no tenant ran
/// in the range has no tenants.
#[utoipa::path(get, path = "/platform/plugins/{plugin}/metering", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), DaysQuery),
    responses((status = 200, description = "Figures per tenant, day and export", body = PlatformMetering),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "Not a plugin id", body = Problem),
              (status = 422, description = "A day is not a date, the range is backwards or too long", body = Problem)))]
pub(crate) async fn platform_metering(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plugin): ApiPath<String>,
    ApiQuery(query): ApiQuery<DaysQuery>,
) -> ApiResult<Json<PlatformMetering>> {
    principal.platform_admin()?;
    let plugin = catalogue::plugin_id(&plugin)?;
    let range = query.range()?;
    state.plugins.metering().flush().await?;
    let mut tx = state.db.system_read().await?;
    let figures = metering::platform_metering(tx.conn(), plugin.as_str(), range).await?;
    tx.commit().await?;
    Ok(Json(figures))
}
