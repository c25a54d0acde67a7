//! Reports in the console (ADR 028): the reports of the tenant's plugins for the viewer's role,
//! each with a form to render it (format and period), the recent runs with their progress and
//! files, a run's page that follows it while it renders, and — for company admins — schedules.
//! Everything goes through the API's handlers and `Reports`.

use std::time::Duration;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use ils_host_api::ReportFormat;
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::form::{Csrf, CsrfForm};
use super::page::{Chrome, ConsoleError, FieldErrors, PageResult, refused, render, when};
use super::session::Viewer;
use crate::http::extract::ApiPath;
use crate::http::problem::ApiError;
use crate::state::AppState;
use ils_kernel::error::{Error, FieldError};
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
    /// The refused form, shown again as it was sent.
    sent: Sent,
    roles: &'static [&'static str],
}

/// Which form a refusal came from, with what it held.
#[derive(Debug)]
enum Sent {
    Nothing,
    /// The render form of the report with this element id.
    Render(String, RenderForm),
    Schedule(ScheduleForm),
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

    fn next_run(&self, s: &Schedule) -> String {
        when(&s.next_run_at)
    }

    fn period(&self, run: &Run) -> String {
        period_of(&run.params)
    }

    /// What report `r`'s render form held when it was refused.
    fn sent(&self, r: &ReportEntry) -> Option<&RenderForm> {
        match &self.sent {
            Sent::Render(key, form) if *key == self.key(r) => Some(form),
            _ => None,
        }
    }

    /// The period's fields of report `r`'s form: name, label, and the day it was sent with.
    fn period_fields(&self, r: &ReportEntry) -> [(&'static str, &'static str, &str); 2] {
        let sent = self.sent(r);
        [
            ("start", "From (first day)", sent.map_or("", |f| f.start.as_str())),
            ("end", "To (the day after the last)", sent.map_or("", |f| f.end.as_str())),
        ]
    }

    fn format_sent(&self, r: &ReportEntry, f: &ReportFormat) -> bool {
        self.sent(r).is_some_and(|s| s.format == self.format_name(f))
    }

    /// The message for `field` of report `r`'s render form.
    fn render_error(&self, r: &ReportEntry, field: &str) -> Option<&str> {
        self.sent(r).and(self.errors.get(field))
    }

    fn schedule_sent(&self) -> Option<&ScheduleForm> {
        match &self.sent {
            Sent::Schedule(form) => Some(form),
            _ => None,
        }
    }

    /// Whether the refused schedule form had chosen `value` for `field`.
    fn chosen(&self, field: &str, value: &str) -> bool {
        self.schedule_sent().is_some_and(|f| match field {
            "report" => f.report == value,
            "format" => f.format == value,
            "every" => f.every == value,
            _ => f.roles.iter().any(|r| r == value),
        })
    }

    /// The message for `field` of the schedule form.
    fn schedule_error(&self, field: &str) -> Option<&str> {
        self.schedule_sent().and(self.errors.get(field))
    }
}

/// The period in a run's parameters as people read it, its last day included:
/// `1 Jan 2026 – 31 Mar 2026`; empty when it has none.
fn period_of(params: &Value) -> String {
    let day = |key: &str| params["period"][key].as_str().and_then(|d| d.parse::<Date>().ok());
    let (Some(start), Some(last)) = (day("start"), day("end").and_then(|d| d.yesterday().ok())) else {
        return String::new();
    };
    let show = |d: Date| d.strftime("%-d %b %Y").to_string();
    if start >= last { show(start) } else { format!("{} – {}", show(start), show(last)) }
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
        sent: Sent::Nothing,
        roles: &ils_host_api::services::ROLES,
    })
}

/// `GET /reports`.
pub(crate) async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&page(&state, &viewer).await?))
}

/// The page again, with the refused form as it was sent and what was wrong with it.
async fn shown_again(state: &AppState, viewer: &Viewer, sent: Sent, error: Error) -> PageResult {
    let again = page(state, viewer).await?;
    refused(ApiError(error), |errors| ReportsPage { errors, sent, ..again })
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

/// The parameters a form gives: none when both days are blank, else a period of real days that
/// runs forwards. A report checks its period again; this catches what a user mistypes before a
/// failed run is recorded for it.
fn params(start: &str, end: &str) -> Result<Value, Error> {
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() && end.is_empty() {
        return Ok(json!({}));
    }
    let day = |field: &str, text: &str| {
        text.parse::<Date>().map_err(|_| {
            period_error(field, "The period needs both of its days.", "choose a day (YYYY-MM-DD)")
        })
    };
    let (first, after) = (day("start", start)?, day("end", end)?);
    if after <= first {
        return Err(period_error(
            "end",
            "The period ends before it starts.",
            "must be after the first day (it is the day after the last)",
        ));
    }
    Ok(json!({ "period": { "start": first.to_string(), "end": after.to_string() } }))
}

/// A period refused at `field`, summed up in words rather than by the field's name.
fn period_error(field: &str, summary: &str, message: &str) -> Error {
    let fields = vec![FieldError { field: field.to_owned(), message: message.to_owned() }];
    Error::Invalid { code: "invalid_input", message: summary.to_owned(), fields }
}

/// `POST /reports/{plugin}/{report}`: renders; the file when it ends in time, else its run.
pub(crate) async fn render_report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plugin, report)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<RenderForm>,
) -> PageResult {
    let ctx = viewer.tenant(Action::PluginsUse)?;
    let who = requester(&viewer, &ctx);
    let started = match (format_of(&form.format), params(&form.start, &form.end)) {
        (Ok(format), Ok(params)) => {
            state.reports.render(ctx.tenant_id, &who, (&plugin, &report), format, params, WAIT).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match started {
        Ok(Started::Ended(run)) | Ok(Started::Running(run)) => {
            Ok(Redirect::to(&format!("/reports/runs/{}", run.id)).into_response())
        }
        Err(e) => shown_again(&state, &viewer, Sent::Render(format!("{plugin}-{report}"), form), e).await,
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

    fn period(&self) -> String {
        period_of(&self.run.params)
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
        Err(e) => shown_again(&state, &viewer, Sent::Schedule(form), e).await,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forms_period_is_two_real_days_that_run_forwards_or_none() {
        assert_eq!(params(" ", "").ok(), Some(json!({})));
        assert_eq!(
            params("2026-01-01", "2026-04-01").ok(),
            Some(json!({ "period": { "start": "2026-01-01", "end": "2026-04-01" } }))
        );
        let field = |e: Error| FieldErrors::from_error(&e).get("end").map(str::to_owned);
        assert!(params("2026-04-01", "2026-01-01").is_err_and(|e| field(e).is_some()));
        assert!(params("2026-04-01", "2026-04-01").is_err());
        assert!(params("2026-01-01", "").is_err_and(|e| field(e).is_some()));
        assert!(params("2026-02-30", "2026-04-01").is_err());
    }

    #[test]
    fn a_runs_period_reads_with_its_last_day() {
        let of = |start: &str, end: &str| period_of(&json!({ "period": { "start": start, "end": end } }));
        assert_eq!(of("2026-01-01", "2026-04-01"), "1 Jan 2026 – 31 Mar 2026");
        assert_eq!(of("2026-03-02", "2026-03-03"), "2 Mar 2026");
        assert_eq!(period_of(&json!({})), "");
    }
}
