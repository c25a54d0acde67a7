//! The job queue for platform admins: jobs by state (the dead ones first), one job with its
//! arguments and errors, and running a job again.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::Csrf;
use super::page::given;
use super::page::{Chrome, FieldErrors, PageResult, render, render_with};
use super::session::Viewer;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::jobs::{JobQuery, JobView, get_job, list_jobs, retry_job};
use crate::state::AppState;
use ils_kernel::error::Error;

/// The queue's states, in the order the filter offers them; `discarded` is a dead job.
const STATES: [(&str, &str); 8] = [
    ("discarded", "dead (discarded)"),
    ("retryable", "failed, will retry"),
    ("available", "waiting to run"),
    ("scheduled", "scheduled"),
    ("running", "running"),
    ("pending", "pending"),
    ("completed", "completed"),
    ("cancelled", "cancelled"),
];

#[derive(Debug, Default, Deserialize)]
pub(crate) struct JobFilter {
    #[serde(default)]
    state: String,
    #[serde(default)]
    kind: String,
}

#[derive(Template)]
#[template(path = "console/jobs.html")]
struct Jobs {
    chrome: Chrome,
    filter: JobFilter,
    jobs: Vec<JobView>,
    errors: FieldErrors,
}

impl Jobs {
    fn states(&self) -> &'static [(&'static str, &'static str)] {
        &STATES
    }

    fn state(&self) -> &str {
        if self.filter.state.is_empty() { "discarded" } else { &self.filter.state }
    }

    fn last_error<'j>(&self, job: &'j JobView) -> &'j str {
        job.errors.last().map_or("", String::as_str)
    }
}

/// `GET /admin/jobs?state=&kind=`: dead jobs unless another state is asked for.
pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<JobFilter>,
) -> PageResult {
    let query = JobQuery { state: given(&filter.state), kind: given(&filter.kind), limit: Some(100) };
    let chrome = viewer.chrome.at("/admin/jobs");
    match list_jobs(State(state), viewer.principal, ApiQuery(query)).await {
        Ok(jobs) => Ok(render(&Jobs { chrome, filter, jobs: jobs.0, errors: FieldErrors::default() })),
        Err(error) if matches!(error.0, Error::Invalid { .. }) => {
            let errors = FieldErrors::from_error(&error.0);
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &Jobs { chrome, filter, jobs: Vec::new(), errors },
            ))
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "console/job.html")]
struct Job {
    chrome: Chrome,
    job: JobView,
}

impl Job {
    fn args(&self) -> String {
        serde_json::to_string_pretty(&self.job.args).unwrap_or_default()
    }

    /// A job that is not queued or running can be run again.
    fn retryable(&self) -> bool {
        !matches!(self.job.state.as_str(), "available" | "running" | "scheduled" | "pending")
    }
}

/// `GET /admin/jobs/{id}`.
pub(crate) async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let job = get_job(State(state), viewer.principal, ApiPath(id)).await?.0;
    Ok(render(&Job { chrome: viewer.chrome.at("/admin/jobs"), job }))
}

/// `POST /admin/jobs/{id}/retry`: the job runs again now with a fresh attempt.
pub(crate) async fn retry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    _: Csrf,
) -> PageResult {
    let _job = retry_job(State(state), viewer.principal, ApiPath(id)).await?;
    Ok(Redirect::to(&format!("/admin/jobs/{id}")).into_response())
}
