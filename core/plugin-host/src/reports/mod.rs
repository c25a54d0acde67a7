//! The host's side of the `report-provider` extension point (docs/adr/028-reports.md): the
//! reports every enabled provider offers a caller's role, a render as a **run** (its progress,
//! then the file it produced, in the tenant's file store), and **schedules** that render a report
//! each day, week or month and e-mail its link to the roles they name.
//!
//! A render runs in a task of this process, so a quick one answers the request that asked for it
//! (`Started::Done`); a slow one goes on after the request answered (`Started::Running`) and the
//! caller follows its run. A run left `running` by a stopped process is marked failed by the
//! minutely schedules job ([`Reports::abandon`]).

mod period;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ils_host_api::services::FileStore;
use ils_host_api::{
    Caller, Progress, ProgressSink, ReportFormat, ReportInfo, ReportOutput, Scope, TenantId as HostTenant,
};
use ils_kernel::error::{Error, Result};
use ils_registry::ExtensionPoint;
use ils_storage::Db;
use ils_storage::ids::{TenantId, UserId};
use ils_storage::types::Timestamp;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

pub use period::Every;

use crate::runtime::{Plugins, Target, plugin_error};

/// How often a running render's progress is written down.
const PROGRESS_EVERY: Duration = Duration::from_millis(400);

/// The wall-clock budget of one render, whatever the plan's per-call budget (5–10 s): a report
/// over a busy lab's year reads and draws for longer than that (`cargo bench -p ils-core --bench
/// reports`). A render runs in the background with its progress, the caller waiting at most
/// `wait`, so the longer budget holds one of the tenant's plugin places, never a request; a run
/// still going long after it is failed by the `report_schedules` job.
pub const RENDER_BUDGET: Duration = Duration::from_secs(300);

/// Who asks: the caller the plugin sees, and the user recorded on the run.
#[derive(Clone, Debug)]
pub struct Requester {
    /// As the plugin sees them: user id and roles.
    pub caller: Caller,
    /// The user, for the run's record (none for an API key).
    pub user: Option<UserId>,
}

/// A report a caller may render.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportEntry {
    /// The plugin that renders it.
    pub plugin_id: String,
    /// The plugin's name.
    pub plugin_name: String,
    /// The report's id within the plugin.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What it shows.
    pub description: String,
    /// The formats it renders in: `csv`, `html`, `pdf`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub formats: Vec<ReportFormat>,
    /// The JSON Schema of its parameters, when it takes any.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub params_schema: Option<Value>,
    /// Whether a company admin may schedule it.
    pub schedulable: bool,
}

/// A render of a report.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Run {
    /// The run's id.
    pub id: Uuid,
    /// The plugin.
    pub plugin_id: String,
    /// The report.
    pub report_id: String,
    /// `csv`, `html` or `pdf`.
    pub format: String,
    /// The parameters it was rendered with.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub params: Value,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// Steps done, as the plugin last reported.
    pub done: i64,
    /// Steps in all (0 until the plugin says).
    pub total: i64,
    /// What the plugin said it was doing.
    pub note: String,
    /// The file it produced, once done: download it at `/api/v1/files/{file_id}`.
    pub file_id: Option<Uuid>,
    /// Why it failed.
    pub error: Option<String>,
    /// The schedule that started it, if one did.
    pub schedule_id: Option<Uuid>,
    /// When it started.
    pub created_at: Timestamp,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
}

impl From<store::RunRow> for Run {
    fn from(r: store::RunRow) -> Self {
        Self {
            id: r.id,
            plugin_id: r.plugin_id,
            report_id: r.report_id,
            format: r.format,
            params: serde_json::from_str(&r.params).unwrap_or(Value::Null),
            status: r.status,
            done: r.done,
            total: r.total,
            note: r.note,
            file_id: r.file_id,
            error: r.error,
            schedule_id: r.schedule_id,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

/// What asking for a render gave.
#[derive(Debug)]
pub enum Started {
    /// It ended (done or failed) while the request waited.
    Ended(Run),
    /// Still rendering: follow the run.
    Running(Run),
}

/// A schedule, as the API shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Schedule {
    /// The schedule's id.
    pub id: Uuid,
    /// The plugin.
    pub plugin_id: String,
    /// The report.
    pub report_id: String,
    /// `csv`, `html` or `pdf`.
    pub format: String,
    /// Fixed parameters; the period is filled in at each run.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub params: Value,
    /// `day`, `week` or `month`.
    pub every: String,
    /// Who is e-mailed the link.
    pub roles: Vec<String>,
    /// When it runs next.
    pub next_run_at: Timestamp,
    /// Its latest run.
    pub last_run_id: Option<Uuid>,
}

impl From<store::ScheduleRow> for Schedule {
    fn from(s: store::ScheduleRow) -> Self {
        Self {
            id: s.id,
            plugin_id: s.plugin_id,
            report_id: s.report_id,
            format: s.format,
            params: serde_json::from_str(&s.params).unwrap_or(Value::Null),
            every: s.every,
            roles: s.roles.split_whitespace().map(str::to_owned).collect(),
            next_run_at: s.next_run_at,
            last_run_id: s.last_run_id,
        }
    }
}

/// A schedule to make.
#[derive(Clone, Debug)]
pub struct NewSchedule {
    /// The plugin.
    pub plugin: String,
    /// The report.
    pub report: String,
    /// The format.
    pub format: ReportFormat,
    /// Parameters other than the period.
    pub params: Value,
    /// How often.
    pub every: Every,
    /// Who gets the link (ILS role names).
    pub roles: Vec<String>,
}

/// What each plugin version offers, by (plugin, version).
type Offered = HashMap<(String, String), Arc<Vec<ReportInfo>>>;

/// Reports of the plugins tenants enabled. Cheap to clone.
#[derive(Clone)]
pub struct Reports {
    plugins: Arc<Plugins>,
    db: Db,
    /// What each plugin version offers (`list-reports` is the same for every tenant).
    offered: Arc<Mutex<Offered>>,
}

impl std::fmt::Debug for Reports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reports").finish_non_exhaustive()
    }
}

/// Whether a caller with `roles` may see what is open to `allowed` (empty: every role): a
/// report, a kind of recommendation.
pub(crate) fn may_run(allowed: &[String], caller: &Caller) -> bool {
    allowed.is_empty() || caller.roles.iter().any(|r| allowed.contains(r))
}

fn format_name(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Csv => "csv",
        ReportFormat::Html => "html",
        ReportFormat::Pdf => "pdf",
    }
}

/// A file name a user can save: the plugin's, unless it carries a path or control characters.
fn file_name(suggested: &str, report: &str, format: ReportFormat) -> String {
    let clean = !suggested.is_empty()
        && suggested.chars().count() <= 200
        && !suggested.chars().any(|c| c.is_control() || matches!(c, '/' | '\\'))
        && suggested != "."
        && suggested != "..";
    if clean { suggested.to_string() } else { format!("{report}.{}", format_name(format)) }
}

/// Checks `params` against the report's schema (an object when it has none).
fn check_params(info: &ReportInfo, params: &Value) -> Result<()> {
    let Some(schema) = &info.params_schema else {
        return if params.is_object() {
            Ok(())
        } else {
            Err(Error::invalid_field("params", "must be an object"))
        };
    };
    let schema: Value = serde_json::from_str(schema)
        .map_err(|e| Error::Internal(format!("{}: its parameter schema is not JSON: {e}", info.id)))?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| Error::Internal(format!("{}: its parameter schema is not valid: {e}", info.id)))?;
    let errors: Vec<String> = validator
        .iter_errors(params)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() { e.to_string() } else { format!("{at}: {e}") }
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(Error::invalid_field("params", errors.join("; "))) }
}

impl Reports {
    /// Reports over `plugins`, with runs and schedules in `db`.
    pub fn new(plugins: Arc<Plugins>, db: Db) -> Self {
        Self { plugins, db, offered: Arc::default() }
    }

    /// What the plugin version behind `target` offers (asked once per version).
    async fn offered(&self, target: &Target) -> Result<Arc<Vec<ReportInfo>>> {
        let key = (target.row.plugin_id.clone(), target.row.version.clone());
        if let Some(list) = self.offered.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(list.clone());
        }
        let list = self
            .plugins
            .call(target, None, |host, version, ctx| async move { host.list_reports(&version, ctx).await })
            .await
            .map_err(|e| plugin_error(&target.row.plugin_id, e))?;
        let list = Arc::new(list);
        self.offered.lock().unwrap_or_else(|e| e.into_inner()).insert(key, list.clone());
        Ok(list)
    }

    /// Every report the tenant's enabled providers offer `who`'s roles. A provider that fails
    /// to answer is left out (and logged), not an error for the others.
    pub async fn list(&self, tenant: TenantId, who: &Requester) -> Result<Vec<ReportEntry>> {
        let mut tx = self.db.tenant_read(tenant).await?;
        let enabled: Vec<_> =
            crate::store::enablements(&mut tx).await?.into_iter().filter(|r| r.enabled).collect();
        tx.commit().await?;
        let mut out = Vec::new();
        for row in enabled {
            let Some(target) = self.plugins.target(tenant, &row.plugin_id).await? else { continue };
            if !target.manifest().provides.contains(&ExtensionPoint::ReportProvider) {
                continue;
            }
            let offered = match self.offered(&target).await {
                Ok(offered) => offered,
                Err(error) => {
                    tracing::warn!(%tenant, plugin = %row.plugin_id, %error, "a report provider did not list its reports");
                    continue;
                }
            };
            for info in offered.iter().filter(|i| may_run(&i.roles, &who.caller)) {
                out.push(ReportEntry {
                    plugin_id: row.plugin_id.clone(),
                    plugin_name: target.manifest().name.clone(),
                    id: info.id.clone(),
                    title: info.title.clone(),
                    description: info.description.clone(),
                    formats: info.formats.clone(),
                    params_schema: info.params_schema.as_deref().and_then(|s| serde_json::from_str(s).ok()),
                    schedulable: info.schedulable,
                });
            }
        }
        Ok(out)
    }

    /// The enabled provider `plugin`'s report `report`, if `who` may run it.
    async fn report(
        &self,
        tenant: TenantId,
        who: &Caller,
        plugin: &str,
        report: &str,
    ) -> Result<(Target, ReportInfo)> {
        let target = self.plugins.enabled(tenant, plugin).await?;
        let info = self.offered(&target).await?.iter().find(|i| i.id == report).cloned();
        let info = info.ok_or(Error::NotFound("report"))?;
        if !may_run(&info.roles, who) {
            return Err(Error::forbidden(
                "report_not_allowed",
                format!("{} is for {}; your role cannot run it", info.title, info.roles.join(", ")),
            ));
        }
        Ok((target, info))
    }

    /// Renders a report, waiting up to `wait` for it to end.
    pub async fn render(
        &self,
        tenant: TenantId,
        who: &Requester,
        (plugin, report): (&str, &str),
        format: ReportFormat,
        params: Value,
        wait: Duration,
    ) -> Result<Started> {
        let (target, info) = self.report(tenant, &who.caller, plugin, report).await?;
        if !info.formats.contains(&format) {
            let offered: Vec<_> = info.formats.iter().map(|f| format_name(*f)).collect();
            return Err(Error::invalid_field(
                "format",
                format!("{} renders as {}", info.title, offered.join(", ")),
            ));
        }
        check_params(&info, &params)?;
        let id = Uuid::now_v7();
        let params = params.to_string();
        let mut tx = self.db.tenant(tenant).await?;
        let new = store::NewRun {
            id,
            plugin,
            report,
            format: format_name(format),
            params: &params,
            requested_by: who.user,
            schedule: None,
        };
        store::insert_run(&mut tx, &new).await?;
        tx.commit().await?;
        let (done, ended) = tokio::sync::oneshot::channel();
        let this = self.clone();
        let caller = who.caller.clone();
        let report = report.to_string();
        tokio::spawn(async move {
            let out = this.execute(&target, id, caller, &report, &params, format).await;
            let _ = done.send(out);
        });
        // Done or failed, the run says how it ended.
        match tokio::time::timeout(wait, ended).await {
            Ok(_) => Ok(Started::Ended(self.run(tenant, id).await?)),
            Err(_) => Ok(Started::Running(self.run(tenant, id).await?)),
        }
    }

    /// Renders and records the outcome: the file, or why there is none.
    async fn execute(
        &self,
        target: &Target,
        id: Uuid,
        caller: Caller,
        report: &str,
        params: &str,
        format: ReportFormat,
    ) -> Result<()> {
        let tenant = target.tenant;
        // `latest` is what the writer has yet to write (it takes it); `last` is the last report,
        // kept for the run's end: a write the writer had taken when it was stopped is lost.
        let latest: Arc<Mutex<Option<Progress>>> = Arc::default();
        let last: Arc<Mutex<Option<Progress>>> = Arc::default();
        let sink = {
            let (latest, last) = (latest.clone(), last.clone());
            ProgressSink::new(move |p| {
                *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(p.clone());
                *latest.lock().unwrap_or_else(|e| e.into_inner()) = Some(p);
            })
        };
        let writer = tokio::spawn({
            let (db, latest) = (self.db.clone(), latest.clone());
            async move {
                loop {
                    tokio::time::sleep(PROGRESS_EVERY).await;
                    let p = latest.lock().unwrap_or_else(|e| e.into_inner()).take();
                    if let Some(p) = p
                        && let Ok(mut tx) = db.tenant(tenant).await
                        && store::progress(&mut tx, id, p.done.into(), p.total.into(), &p.note).await.is_ok()
                    {
                        let _ = tx.commit().await;
                    }
                }
            }
        });
        let plugin = target.row.plugin_id.clone();
        let rendered = self
            .plugins
            .call(target, Some(caller.clone()), |host, version, ctx| async move {
                let mut ctx = ctx.with_progress(sink);
                ctx.limits.timeout = ctx.limits.timeout.max(RENDER_BUDGET);
                host.render_report(&version, ctx, report, params, format).await
            })
            .await
            .map_err(|e| plugin_error(&plugin, e));
        writer.abort();
        let outcome = match rendered {
            Ok(ReportOutput::Inline(r)) => {
                let scope = Scope {
                    tenant: HostTenant::from(tenant.as_uuid()),
                    plugin: target.manifest().id.clone(),
                    version: target.manifest().version.clone(),
                    caller: Some(caller),
                };
                let name = file_name(&r.file_name, report, format);
                let files: &dyn FileStore = self.plugins.services().files.as_ref();
                match files.put(&scope, &name, &r.content_type, r.body.into()).await {
                    Ok(file) => match file.id.parse::<Uuid>() {
                        Ok(file) => Ok(file),
                        Err(_) => Err(format!("the file store gave an id that is not a UUID: {}", file.id)),
                    },
                    Err(e) => Err(format!("the report could not be stored: {e}")),
                }
            }
            Ok(ReportOutput::Stored(file)) => match file.parse::<Uuid>() {
                Ok(file) => Ok(file),
                Err(_) => Err(format!("{plugin} returned {file:?}, which is not a file id")),
            },
            Err(e) => Err(e.to_string()),
        };
        let mut tx = self.db.tenant(tenant).await?;
        // The last report, whether or not the writer wrote it down.
        let last = last.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(p) = last {
            store::progress(&mut tx, id, p.done.into(), p.total.into(), &p.note).await?;
        }
        store::finish(&mut tx, id, outcome.as_ref().copied().map_err(String::as_str)).await?;
        tx.commit().await?;
        outcome.map(|_| ()).map_err(Error::Internal)
    }

    /// One run of the tenant.
    pub async fn run(&self, tenant: TenantId, id: Uuid) -> Result<Run> {
        let mut tx = self.db.tenant_read(tenant).await?;
        let row = store::run(&mut tx, id).await?;
        tx.commit().await?;
        row.map(Run::from).ok_or(Error::NotFound("report run"))
    }

    /// The tenant's latest runs, newest first.
    pub async fn runs(&self, tenant: TenantId, limit: u32) -> Result<Vec<Run>> {
        let mut tx = self.db.tenant_read(tenant).await?;
        let rows = store::recent_runs(&mut tx, i64::from(limit.clamp(1, 200))).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(Run::from).collect())
    }

    /// Marks runs started before `started_before` and still `running` as failed: their process
    /// stopped (renders end within their plan's time limit, a minute at most).
    pub async fn abandon(&self, started_before: Timestamp) -> Result<u64> {
        let mut tx = self.db.system().await?;
        let n = store::abandon_running(tx.conn(), started_before).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Schedules a report (company admins: the HTTP layer checks).
    pub async fn schedule(&self, tenant: TenantId, who: &Requester, new: NewSchedule) -> Result<Schedule> {
        let (_, info) = self.report(tenant, &who.caller, &new.plugin, &new.report).await?;
        if !info.schedulable {
            return Err(Error::invalid_field("report", format!("{} cannot be scheduled", info.title)));
        }
        if !info.formats.contains(&new.format) {
            return Err(Error::invalid_field("format", format!("{} does not render as that", info.title)));
        }
        if new.roles.is_empty() {
            return Err(Error::invalid_field("roles", "name at least one role to e-mail"));
        }
        if let Some(bad) = new.roles.iter().find(|r| !ils_host_api::services::ROLES.contains(&r.as_str())) {
            return Err(Error::invalid_field("roles", format!("no role {bad:?}")));
        }
        let now = Timestamp::now();
        check_params(&info, &new.every.fill(&new.params, now))?;
        let row = store::ScheduleRow {
            tenant_id: tenant,
            id: Uuid::now_v7(),
            plugin_id: new.plugin,
            report_id: new.report,
            format: format_name(new.format).into(),
            params: new.params.to_string(),
            every: new.every.as_str().into(),
            roles: new.roles.join(" "),
            next_run_at: new.every.next_after(now),
            last_run_id: None,
            created_by: who.user,
            created_at: now,
        };
        let mut tx = self.db.tenant(tenant).await?;
        store::insert_schedule(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// The tenant's schedules.
    pub async fn schedules(&self, tenant: TenantId) -> Result<Vec<Schedule>> {
        let mut tx = self.db.tenant_read(tenant).await?;
        let rows = store::schedules(&mut tx).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(Schedule::from).collect())
    }

    /// Removes a schedule of the tenant.
    pub async fn unschedule(&self, tenant: TenantId, id: Uuid) -> Result<()> {
        let mut tx = self.db.tenant(tenant).await?;
        let gone = store::delete_schedule(&mut tx, id).await?;
        tx.commit().await?;
        if gone { Ok(()) } else { Err(Error::NotFound("report schedule")) }
    }

    /// Runs every schedule due at `now` (each claimed by one node), e-mails each done run's
    /// link to the schedule's roles, and returns how many ran.
    pub async fn run_due(&self, now: Timestamp) -> Result<usize> {
        let mut tx = self.db.system_read().await?;
        let due = store::due(tx.conn(), now).await?;
        tx.commit().await?;
        let mut ran = 0;
        for schedule in due {
            match self.run_schedule(&schedule, now).await {
                Ok(true) => ran += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(tenant = %schedule.tenant_id, schedule = %schedule.id, %error, "a scheduled report failed");
                }
            }
        }
        Ok(ran)
    }

    async fn run_schedule(&self, s: &store::ScheduleRow, now: Timestamp) -> Result<bool> {
        let every =
            Every::parse(&s.every).ok_or_else(|| Error::Internal(format!("schedule every {:?}", s.every)))?;
        let tenant = s.tenant_id;
        let run = Uuid::now_v7();
        let params: Value =
            serde_json::from_str(&s.params).unwrap_or_else(|_| Value::Object(Default::default()));
        let params = every.fill(&params, now).to_string();
        let mut tx = self.db.tenant(tenant).await?;
        if !store::claim(&mut tx, s.id, s.next_run_at, every.next_after(now), run).await? {
            return Ok(false);
        }
        let new = store::NewRun {
            id: run,
            plugin: &s.plugin_id,
            report: &s.report_id,
            format: &s.format,
            params: &params,
            requested_by: None,
            schedule: Some(s.id),
        };
        store::insert_run(&mut tx, &new).await?;
        tx.commit().await?;
        let format = match s.format.as_str() {
            "csv" => ReportFormat::Csv,
            "html" => ReportFormat::Html,
            _ => ReportFormat::Pdf,
        };
        let target = self.plugins.enabled(tenant, &s.plugin_id).await?;
        let schedule_caller = Caller { user_id: format!("schedule:{}", s.id), roles: Vec::new() };
        let rendered =
            self.execute(&target, run, schedule_caller.clone(), &s.report_id, &params, format).await;
        let done = self.run(tenant, run).await?;
        let title = self
            .offered(&target)
            .await
            .ok()
            .and_then(|o| o.iter().find(|i| i.id == s.report_id).map(|i| i.title.clone()));
        let title = title.unwrap_or_else(|| s.report_id.clone());
        let email = match (&rendered, done.file_id) {
            (Ok(_), Some(file)) => ils_host_api::services::Email {
                subject: format!("{title} ({})", every.describe_period(&params)),
                text: format!("Your scheduled report \"{title}\" is ready. Sign in to ILS to download it."),
                html: None,
                file_links: vec![file.to_string()],
            },
            _ => ils_host_api::services::Email {
                subject: format!("{title}: the scheduled report failed"),
                text: format!(
                    "ILS could not render your scheduled report \"{title}\": {}",
                    done.error.as_deref().unwrap_or("unknown error")
                ),
                html: None,
                file_links: vec![],
            },
        };
        let scope = Scope {
            tenant: HostTenant::from(tenant.as_uuid()),
            plugin: target.manifest().id.clone(),
            version: target.manifest().version.clone(),
            caller: Some(schedule_caller),
        };
        let roles: Vec<String> = s.roles.split_whitespace().map(str::to_owned).collect();
        if let Err(error) = self.plugins.services().notify.email_roles(&scope, &roles, &email).await {
            tracing::warn!(%tenant, schedule = %s.id, %error, "the scheduled report's e-mail was not queued");
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(schema: Option<&str>) -> ReportInfo {
        ReportInfo {
            params_schema: schema.map(str::to_owned),
            ..ReportInfo::new("r", "R", "", vec![ReportFormat::Csv])
        }
    }

    #[test]
    fn parameters_are_checked_against_the_reports_schema() {
        let schema = r#"{"type":"object","required":["period"],"properties":{"period":{"type":"object",
            "required":["start","end"],"properties":{"start":{"type":"string","format":"date"}}}},
            "additionalProperties":false}"#;
        let ok = serde_json::json!({"period": {"start": "2026-01-01", "end": "2026-02-01"}});
        assert!(check_params(&info(Some(schema)), &ok).is_ok());
        let err = check_params(&info(Some(schema)), &serde_json::json!({"colour": "red"})).unwrap_err();
        assert!(err.to_string().contains("period"), "{err}");
        assert!(check_params(&info(None), &serde_json::json!({})).is_ok());
        assert!(check_params(&info(None), &serde_json::json!([1])).is_err());
    }

    #[test]
    fn roles_gate_reports_that_name_them() {
        let caller = |roles: &[&str]| Caller {
            user_id: "u".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        };
        assert!(may_run(&[], &caller(&[])));
        let admins = vec!["company_admin".to_string()];
        assert!(may_run(&admins, &caller(&["company_admin"])));
        assert!(!may_run(&admins, &caller(&["ecp"])));
        assert!(!may_run(&admins, &caller(&[])), "an API key without roles");
    }

    #[test]
    fn file_names_never_carry_paths() {
        assert_eq!(file_name("turnaround.pdf", "turnaround", ReportFormat::Pdf), "turnaround.pdf");
        assert_eq!(file_name("../../x", "turnaround", ReportFormat::Csv), "turnaround.csv");
        assert_eq!(file_name("", "stock", ReportFormat::Html), "stock.html");
    }
}
