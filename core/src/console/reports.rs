//! Reports in the console (ADR 028): the reports of the tenant's plugins for the viewer's role,
//! each with a form to render it (format and period), the recent runs with their progress and
//! files, a run's page that follows it while it renders, and — for company admins — schedules.
//! Everything goes through the API's handlers and `Reports`.

use std::time::Duration;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use ils_host_api::ReportFormat;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::form::{Csrf, CsrfForm};
use super::page::{Chrome, ConsoleError, FieldErrors, PageResult, refused, render, when};
use super::session::Viewer;
use crate::http::extract::ApiPath;
use crate::http::problem::ApiError;
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_plugin_host::reports::{Every, NewSchedule, ReportEntry, Requester, Run, Schedule, Started};

/// How long the console waits for a report before showing its run.
const WAIT: Duration = Duration::from_secs(10);

#[derive(Template)]
#[template(path = "console/reports.html")]
struct ReportsPage {
    chrome: Chrome,
    reports: Vec<ReportEntry>,
    runs: Vec<Run>,
    schedules: Option<Vec<Schedule>>,
    errors: FieldErrors,
    roles: &'static [&'static str],
}

impl ReportsPage {
    /// A report's element id.
    fn key(&self, r: &ReportEntry) -> String {
        format!("{}-{}", r.plugin_id, r.id)
    }

    fn format_name(&self, f: &ReportFormat) -> &'static str {
        match f {
            ReportFormat::Csv => "csv",
            ReportFormat::Html => "html",
            ReportFormat::Pdf => "pdf",
        }
    }

    /// Whether the report takes a period (its schema has one).
    fn has_period(&self, r: &ReportEntry) -> bool {
        r.params_schema.as_ref().is_some_and(|s| s["properties"]["period"].is_object())
    }

    fn title_of(&self, plugin: &str, report: &str) -> String {
        self.reports
            .iter()
            .find(|r| r.plugin_id == plugin && r.id == report)
            .map_or_else(|| format!("{plugin} / {report}"), |r| r.title.clone())
    }

    fn started(&self, run: &Run) -> String {
        when(&run.created_at)
    }
}

fn requester(viewer: &Viewer, ctx: &ils_kernel::TenantCtx) -> Requester {
    Requester { caller: crate::http::plugins::caller(&viewer.principal, ctx), user: ctx.user_id }
}

async fn page(state: &AppState, viewer: &Viewer) -> Result<ReportsPage, ConsoleError> {
    let ctx = viewer.tenant(Action::PluginsUse)?;
    let reports = state.reports.list(ctx.tenant_id, &requester(viewer, &ctx)).await?;
    let runs = state.reports.runs(ctx.tenant_id, 20).await?;
    let schedules = if viewer.principal.tenant(Action::PluginsManage).is_ok() {
        Some(state.reports.schedules(ctx.tenant_id).await?)
    } else {
        None
    };
    Ok(ReportsPage {
        chrome: viewer.chrome.at("/reports"),
        reports,
        runs,
        schedules,
        errors: FieldErrors::default(),
        roles: &ils_host_api::services::ROLES,
    })
}

/// `GET /reports`.
pub(crate) async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&page(&state, &viewer).await?))
}

async fn shown_again(state: &AppState, viewer: &Viewer, error: Error) -> PageResult {
    let again = page(state, viewer).await?;
    refused(ApiError(error), |errors| ReportsPage { errors, ..again })
}

/// The render form.
#[derive(Debug, Deserialize)]
pub(crate) struct RenderForm {
    format: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
}

fn format_of(text: &str) -> Result<ReportFormat, Error> {
    serde_json::from_value(json!(text)).map_err(|_| Error::invalid_field("format", "csv, html or pdf"))
}

/// The parameters a form gives: the period when both days are filled in.
fn params(start: &str, end: &str) -> Value {
    if start.trim().is_empty() && end.trim().is_empty() {
        return json!({});
    }
    json!({ "period": { "start": start.trim(), "end": end.trim() } })
}

/// `POST /reports/{plugin}/{report}`: renders; the file when it ends in time, else its run.
pub(crate) async fn render_report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plugin, report)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<RenderForm>,
) -> PageResult {
    let ctx = viewer.tenant(Action::PluginsUse)?;
    let format = match format_of(&form.format) {
        Ok(format) => format,
        Err(e) => return shown_again(&state, &viewer, e).await,
    };
    let who = requester(&viewer, &ctx);
    let started = state
        .reports
        .render(ctx.tenant_id, &who, (&plugin, &report), format, params(&form.start, &form.end), WAIT)
        .await;
    match started {
        Ok(Started::Ended(run)) | Ok(Started::Running(run)) => {
            Ok(Redirect::to(&format!("/reports/runs/{}", run.id)).into_response())
        }
        Err(e) => shown_again(&state, &viewer, e).await,
    }
}

#[derive(Template)]
#[template(path = "console/report_run.html")]
struct RunPage {
    chrome: Chrome,
    run: Run,
    title: String,
}

impl RunPage {
    fn percent(&self) -> i64 {
        if self.run.total > 0 { self.run.done * 100 / self.run.total } else { 0 }
    }

    fn started(&self) -> String {
        when(&self.run.created_at)
    }
}

/// `GET /reports/runs/{id}`: the run, refreshing itself while it renders.
pub(crate) async fn run(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<Uuid>,
) -> PageResult {
    let ctx = viewer.tenant(Action::PluginsUse)?;
    let run = state.reports.run(ctx.tenant_id, id).await?;
    let reports = state.reports.list(ctx.tenant_id, &requester(&viewer, &ctx)).await.unwrap_or_default();
    let title = reports
        .iter()
        .find(|r| r.plugin_id == run.plugin_id && r.id == run.report_id)
        .map_or_else(|| run.report_id.clone(), |r| r.title.clone());
    Ok(render(&RunPage { chrome: viewer.chrome.at("/reports"), run, title }))
}

/// The schedule form.
#[derive(Debug, Deserialize)]
pub(crate) struct ScheduleForm {
    report: String,
    format: String,
    every: String,
    #[serde(default)]
    roles: Vec<String>,
}

/// `POST /reports/schedules` (company admins).
pub(crate) async fn schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<ScheduleForm>,
) -> PageResult {
    let ctx = viewer.tenant(Action::PluginsManage)?;
    let made = async {
        let (plugin, report) =
            form.report.split_once('/').ok_or_else(|| Error::invalid_field("report", "choose a report"))?;
        let every =
            Every::parse(&form.every).ok_or_else(|| Error::invalid_field("every", "day, week or month"))?;
        let new = NewSchedule {
            plugin: plugin.to_owned(),
            report: report.to_owned(),
            format: format_of(&form.format)?,
            params: json!({}),
            every,
            roles: form.roles.clone(),
        };
        state.reports.schedule(ctx.tenant_id, &requester(&viewer, &ctx), new).await
    }
    .await;
    match made {
        Ok(_) => Ok(Redirect::to("/reports#schedules").into_response()),
        Err(e) => shown_again(&state, &viewer, e).await,
    }
}

/// `POST /reports/schedules/{id}/delete` (company admins).
pub(crate) async fn unschedule(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<Uuid>,
    _: Csrf,
) -> PageResult {
    let ctx = viewer.tenant(Action::PluginsManage)?;
    state.reports.unschedule(ctx.tenant_id, id).await?;
    Ok(Redirect::to("/reports#schedules").into_response())
}
