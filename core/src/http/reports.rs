//! Reports over HTTP (docs/adr/028-reports.md): the reports the tenant's enabled providers offer
//! the caller's role, rendering one (the file when it is quick, a run to follow when it is not),
//! the tenant's runs, and schedules that e-mail a report's link to roles.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ils_host_api::ReportFormat;
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::TenantCtx;
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_plugin_host::catalogue;
use ils_plugin_host::reports::{Every, NewSchedule, ReportEntry, Requester, Run, Schedule, Started};
use ils_tenancy::auth::Principal;

/// The longest a render request waits for its report.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// How long it waits unless told.
const DEFAULT_WAIT: Duration = Duration::from_secs(10);

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports))
        .routes(routes!(render_report))
        .routes(routes!(list_runs))
        .routes(routes!(get_run))
        .routes(routes!(list_schedules, create_schedule))
        .routes(routes!(delete_schedule))
}

fn requester(principal: &Principal, ctx: &TenantCtx) -> Requester {
    Requester { caller: super::plugins::caller(principal, ctx), user: ctx.user_id }
}

/// The reports the caller may render: from every enabled plugin that provides reports, those
/// for the caller's role.
#[utoipa::path(get, path = "/reports", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "Reports for the caller's role", body = [ReportEntry]),
              (status = 401, description = "Not signed in", body = Problem)))]
pub(crate) async fn list_reports(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<ReportEntry>>> {
    let ctx = principal.tenant(Action::PluginsUse)?;
    Ok(Json(state.reports.list(ctx.tenant_id, &requester(&principal, &ctx)).await?))
}

/// What to render.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderRequest {
    /// `csv`, `html` or `pdf` (one the report lists).
    #[schema(value_type = String)]
    pub format: ReportFormat,
    /// The report's parameters, valid against its schema; `{}` when it takes none.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub params: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// How long to wait.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// Seconds to wait for the report before answering with its run (0 to 30; default 10).
    pub wait: Option<u32>,
}

/// Renders a report. Done within the wait: `303 See Other` to the file (the run in the body).
/// Still rendering: `202 Accepted` with the run, to follow at its `Location`. Failed: `502`.
#[utoipa::path(post, path = "/reports/{plugin}/{report}/render", tag = "reports", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "The plugin that renders it"),
           ("report" = String, Path, description = "The report's id"), WaitQuery),
    request_body = RenderRequest,
    responses((status = 303, description = "Done: the file is at Location", body = Run),
              (status = 202, description = "Still rendering: follow the run at Location", body = Run),
              (status = 403, description = "The report is not for the caller's role", body = Problem),
              (status = 404, description = "No such enabled plugin or report", body = Problem),
              (status = 422, description = "A format it does not render, or parameters its schema refuses", body = Problem),
              (status = 502, description = "The plugin failed to render it", body = Problem)))]
pub(crate) async fn render_report(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((plugin, report)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<WaitQuery>,
    ApiJson(body): ApiJson<RenderRequest>,
) -> ApiResult<Response> {
    let ctx = principal.tenant(Action::PluginsUse)?;
    let plugin = catalogue::plugin_id(&plugin)?;
    let wait = query.wait.map_or(DEFAULT_WAIT, |s| Duration::from_secs(s.into())).min(MAX_WAIT);
    let who = requester(&principal, &ctx);
    let started = state
        .reports
        .render(ctx.tenant_id, &who, (plugin.as_str(), &report), body.format, body.params, wait)
        .await?;
    Ok(match started {
        Started::Ended(run) => ended(run)?,
        Started::Running(run) => {
            let location = format!("/api/v1/reports/runs/{}", run.id);
            (StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(run)).into_response()
        }
    })
}

/// A run that ended: a redirect to its file, or the plugin's failure.
fn ended(run: Run) -> ApiResult<Response> {
    match run.file_id {
        Some(file) => {
            let location = format!("/api/v1/files/{file}");
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)], Json(run)).into_response())
        }
        None => Err(Error::Plugin {
            failure: ils_kernel::error::PluginFailure::Failed,
            code: "report_failed",
            message: format!(
                "{} could not render {} (run {}): {}",
                run.plugin_id,
                run.report_id,
                run.id,
                run.error.as_deref().unwrap_or("no reason given")
            ),
            retry_after: None,
        }
        .into()),
    }
}

/// The tenant's latest report runs, newest first.
#[utoipa::path(get, path = "/reports/runs", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "Runs, newest first (at most 100)", body = [Run]),
              (status = 401, description = "Not signed in", body = Problem)))]
pub(crate) async fn list_runs(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<Run>>> {
    let ctx = principal.tenant(Action::PluginsUse)?;
    Ok(Json(state.reports.runs(ctx.tenant_id, 100).await?))
}

/// One run: its progress while it renders, then its file or why it failed.
#[utoipa::path(get, path = "/reports/runs/{id}", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The run")),
    responses((status = 200, description = "The run", body = Run),
              (status = 404, description = "No such run for this tenant", body = Problem)))]
pub(crate) async fn get_run(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Run>> {
    let ctx = principal.tenant(Action::PluginsUse)?;
    Ok(Json(state.reports.run(ctx.tenant_id, id).await?))
}

/// The tenant's report schedules (company admins).
#[utoipa::path(get, path = "/reports/schedules", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "Schedules", body = [Schedule]),
              (status = 403, description = "Not a company admin", body = Problem)))]
pub(crate) async fn list_schedules(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<Schedule>>> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    Ok(Json(state.reports.schedules(ctx.tenant_id).await?))
}

/// A schedule to make.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// The plugin.
    pub plugin: String,
    /// The report.
    pub report: String,
    /// `csv`, `html` or `pdf`.
    #[schema(value_type = String)]
    pub format: ReportFormat,
    /// Parameters other than the period, which each run sets to the whole day, week or month
    /// before it.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub params: Value,
    /// `day` (each morning), `week` (Mondays) or `month` (the 1st), at 06:00 UTC.
    pub every: String,
    /// Roles e-mailed a link to each run's file (ILS role names, such as `company_admin`).
    pub roles: Vec<String>,
}

/// Schedules a report (company admins): each run renders the period before it and e-mails the
/// link to the roles.
#[utoipa::path(post, path = "/reports/schedules", tag = "reports", security(("bearer" = [])),
    request_body = ScheduleRequest,
    responses((status = 201, description = "Scheduled", body = Schedule),
              (status = 403, description = "Not a company admin", body = Problem),
              (status = 404, description = "No such enabled plugin or report", body = Problem),
              (status = 422, description = "Not schedulable, an unknown role or frequency, or parameters its schema refuses", body = Problem)))]
pub(crate) async fn create_schedule(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<ScheduleRequest>,
) -> ApiResult<(StatusCode, Json<Schedule>)> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    let plugin = catalogue::plugin_id(&body.plugin)?;
    let every =
        Every::parse(&body.every).ok_or_else(|| Error::invalid_field("every", "day, week or month"))?;
    let new = NewSchedule {
        plugin: plugin.to_string(),
        report: body.report,
        format: body.format,
        params: body.params,
        every,
        roles: body.roles,
    };
    let schedule = state.reports.schedule(ctx.tenant_id, &requester(&principal, &ctx), new).await?;
    Ok((StatusCode::CREATED, Json(schedule)))
}

/// Removes a schedule (company admins).
#[utoipa::path(delete, path = "/reports/schedules/{id}", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The schedule")),
    responses((status = 204, description = "Removed"),
              (status = 403, description = "Not a company admin", body = Problem),
              (status = 404, description = "No such schedule for this tenant", body = Problem)))]
pub(crate) async fn delete_schedule(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    state.reports.unschedule(ctx.tenant_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
