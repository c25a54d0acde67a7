//! Reading the audit log, newest first: tenant admins their own tenant's, platform admins the
//! whole platform's; filtered by action, record, who and period.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::ApiQuery;
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_kernel::audit::{AuditEntry, AuditFilter, PlatformScope};
use ils_kernel::error::{Error, Result};
use ils_kernel::permissions::Action;
use ils_storage::ids::TenantId;
use ils_storage::types::Timestamp;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit)).routes(routes!(list_platform_audit))
}

/// Filters for the audit log.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this action, e.g. `user.approved`.
    pub action: Option<String>,
    /// Only this kind of entity, e.g. `user`.
    pub entity_type: Option<String>,
    /// Only this entity id.
    pub entity_id: Option<String>,
    /// Only what this user (or API key) did: their id.
    pub actor_id: Option<uuid::Uuid>,
    /// From this day (`YYYY-MM-DD`, UTC) or moment (RFC 3339), inclusive.
    pub from: Option<String>,
    /// Up to this day (`YYYY-MM-DD`, UTC: the whole day) or moment (RFC 3339, exclusive).
    pub to: Option<String>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The current tenant's audit log, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, description = "Audit entries", body = Page<AuditEntry>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn list_audit(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    let ctx = principal.tenant(Action::AuditRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: query.cursor, limit: query.limit })?;
    let filter = AuditFilter {
        action: query.action,
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        actor_id: query.actor_id,
        from: bound("from", query.from.as_deref(), false)?,
        to: bound("to", query.to.as_deref(), true)?,
    };
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let entries = ils_kernel::audit::list(&mut tx, &filter, &page).await?;
    tx.commit().await?;
    Ok(Json(entries))
}

/// Filters for the platform audit log.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlatformAuditQuery {
    /// Only this tenant's events.
    pub tenant_id: Option<TenantId>,
    /// Only events outside any tenant (sign-in failures for unknown addresses, lockouts,
    /// platform admins' own actions).
    #[serde(default)]
    pub platform_only: bool,
    /// Only this action, e.g. `auth.account_locked`.
    pub action: Option<String>,
    /// Only this kind of entity.
    pub entity_type: Option<String>,
    /// Only this entity id.
    pub entity_id: Option<String>,
    /// Only what this user (or API key) did: their id.
    pub actor_id: Option<uuid::Uuid>,
    /// From this day (`YYYY-MM-DD`, UTC) or moment (RFC 3339), inclusive.
    pub from: Option<String>,
    /// Up to this day (`YYYY-MM-DD`, UTC: the whole day) or moment (RFC 3339, exclusive).
    pub to: Option<String>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The whole platform's audit log, for platform admins, newest first.
#[utoipa::path(get, path = "/platform/audit", tag = "audit", security(("bearer" = [])), params(PlatformAuditQuery),
    responses((status = 200, description = "Audit entries", body = Page<AuditEntry>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem)))]
pub(crate) async fn list_platform_audit(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PlatformAuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    principal.platform_admin()?;
    let page = PageRequest::parse(&PageQuery { cursor: query.cursor, limit: query.limit })?;
    let scope = match (query.tenant_id, query.platform_only) {
        (Some(tenant), _) => PlatformScope::Tenant(tenant),
        (None, true) => PlatformScope::PlatformOnly,
        (None, false) => PlatformScope::All,
    };
    let filter = AuditFilter {
        action: query.action,
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        actor_id: query.actor_id,
        from: bound("from", query.from.as_deref(), false)?,
        to: bound("to", query.to.as_deref(), true)?,
    };
    let mut tx = state.db.system_read().await?;
    let entries = ils_kernel::audit::list_platform(&mut tx, scope, &filter, &page).await?;
    tx.commit().await?;
    Ok(Json(entries))
}

/// A period's end as given: a day (`YYYY-MM-DD`, UTC) — its start, or for the end of a period
/// the start of the next day, so the day is included — or a moment (RFC 3339).
fn bound(field: &str, text: Option<&str>, end: bool) -> Result<Option<Timestamp>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    if let Ok(day) = text.parse::<jiff::civil::Date>() {
        let day =
            if end { day.tomorrow().map_err(|_| Error::invalid_field(field, "is too late"))? } else { day };
        let at = day
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|_| Error::invalid_field(field, "is out of range"))?;
        return Ok(Some(Timestamp::from_jiff(at.timestamp())));
    }
    text.parse::<jiff::Timestamp>().map(|at| Some(Timestamp::from_jiff(at))).map_err(|_| {
        Error::invalid_field(
            field,
            "must be a day (YYYY-MM-DD) or a moment (RFC 3339, e.g. 2026-12-05T14:30:00Z)",
        )
    })
}
