//! The job queue for platform admins: list jobs by state (dead ones above all), inspect one,
//! retry it.

use axum::Json;
use axum::extract::State;
use riverqueue::{JobListParams, JobRow, JobState};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_kernel::error::{Error, Result};
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_jobs)).routes(routes!(get_job)).routes(routes!(retry_job))
}

/// A job as platform admins see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobView {
    /// The job's id in the queue: a number, not a UUID (`/platform/jobs/{job_id}`).
    pub id: i64,
    /// Kind (`deliver_webhook`, `send_email`, …).
    pub kind: String,
    /// State: `available`, `running`, `retryable`, `scheduled`, `completed`, `discarded` (dead),
    /// `cancelled`, `pending`.
    pub state: String,
    /// Attempts made.
    pub attempt: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The job's arguments.
    pub args: serde_json::Value,
    /// The error of each failed attempt, oldest first.
    pub errors: Vec<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it will run or ran (RFC 3339).
    pub scheduled_at: String,
    /// When it finished for good, if it did (RFC 3339).
    pub finalized_at: Option<String>,
}

fn state_name(state: JobState) -> String {
    format!("{state:?}").to_lowercase()
}

impl From<JobRow> for JobView {
    fn from(row: JobRow) -> Self {
        JobView {
            id: row.id,
            kind: row.kind.clone(),
            state: state_name(row.state),
            attempt: i64::from(row.attempt),
            max_attempts: i64::from(row.max_attempts),
            args: serde_json::from_str(row.encoded_args.get()).unwrap_or(serde_json::Value::Null),
            errors: row.errors.iter().map(|e| e.error.clone()).collect(),
            created_at: row.created_at.to_string(),
            scheduled_at: row.scheduled_at.to_string(),
            finalized_at: row.finalized_at.map(|t| t.to_string()),
        }
    }
}

/// Filters for the job list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// State to list (default `discarded`: the dead jobs).
    pub state: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// At most this many (1–500, default 100).
    pub limit: Option<i32>,
}

fn parse_state(text: &str) -> Result<JobState> {
    const ALL: [JobState; 8] = [
        JobState::Available,
        JobState::Cancelled,
        JobState::Completed,
        JobState::Discarded,
        JobState::Pending,
        JobState::Retryable,
        JobState::Running,
        JobState::Scheduled,
    ];
    ALL.into_iter()
        .find(|s| state_name(*s) == text)
        .ok_or_else(|| Error::invalid_field("state", format!("{text:?} is not a job state")))
}

fn queue(e: riverqueue::Error) -> Error {
    Error::Db(ils_storage::DbError::Jobs(e.to_string()))
}

/// Jobs in one state, newest first; by default the dead (discarded) ones.
#[utoipa::path(get, path = "/platform/jobs", tag = "jobs", security(("bearer" = [])), params(JobQuery),
    responses((status = 200, description = "Jobs", body = Vec<JobView>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 422, description = "Unknown state", body = Problem)))]
pub(crate) async fn list_jobs(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<JobQuery>,
) -> ApiResult<Json<Vec<JobView>>> {
    principal.platform_admin()?;
    let job_state = parse_state(query.state.as_deref().unwrap_or("discarded"))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Error::invalid_field("limit", "must be between 1 and 500").into());
    }
    let mut params = JobListParams::default().states([job_state]).limit(limit.unsigned_abs());
    if let Some(kind) = query.kind {
        params = params.kinds([kind]);
    }
    let jobs = state.db.jobs().jobs().list(params).await.map_err(queue)?;
    Ok(Json(jobs.jobs.into_iter().map(JobView::from).collect()))
}

/// One job with its errors.
#[utoipa::path(get, path = "/platform/jobs/{job_id}", tag = "jobs", security(("bearer" = [])),
    params(("job_id" = i64, Path, description = "The job")),
    responses((status = 200, description = "The job", body = JobView),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such job", body = Problem)))]
pub(crate) async fn get_job(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<JobView>> {
    principal.platform_admin()?;
    let job = state.db.jobs().jobs().get(id).await.map_err(|e| not_found_or(e, "job"))?;
    Ok(Json(job.into()))
}

/// Run a job again now (a dead one comes back with a fresh attempt).
#[utoipa::path(post, path = "/platform/jobs/{job_id}/retry", tag = "jobs", security(("bearer" = [])),
    params(("job_id" = i64, Path, description = "The job")),
    responses((status = 200, description = "Queued again", body = JobView),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such job", body = Problem)))]
pub(crate) async fn retry_job(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<JobView>> {
    let admin = principal.platform_admin()?;
    let job = state.db.jobs().jobs().retry(id).await.map_err(|e| not_found_or(e, "job"))?;
    let mut tx = state.db.system().await?;
    let event = ils_kernel::audit::Event::new("job.retried", "job", id)
        .changes(serde_json::json!({ "kind": job.kind, "by": admin }));
    ils_kernel::audit::record_system(&mut tx, None, &principal.audit(), event).await?;
    tx.commit().await?;
    Ok(Json(job.into()))
}

fn not_found_or(error: riverqueue::Error, what: &'static str) -> Error {
    match error {
        riverqueue::Error::NotFound(_) => Error::NotFound(what),
        other => queue(other),
    }
}
