//! A plugin's versions for platform admins (ADR 024): the tenants on each, rolling an approved
//! version out (naming the tenants of the first stage), widening it to a share of the tenants,
//! rolling it back with a reason, and moving every tenant off a version (a yanked one).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::CsrfForm;
use super::page::{Chrome, ConsoleError, FieldErrors, PageResult, number, refused, render};
use super::session::Viewer;
use crate::http::problem::ApiError;
use crate::http::registry::RegistryCaller;
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_publishing::rollout::{PluginRollouts, StartRollout, VersionRollout};
use ils_storage::ids::TenantId;

#[derive(Template)]
#[template(path = "console/rollouts.html")]
struct RolloutsPage {
    chrome: Chrome,
    plugin: PluginRollouts,
    errors: FieldErrors,
}

impl RolloutsPage {
    /// A version's ids in the page: valid HTML ids.
    fn key(&self, version: &str) -> String {
        version.replace(['.', '+'], "-")
    }

    /// Whether `v` can be rolled out now: approved, live, and no roll-out of the plugin active.
    fn can_start(&self, v: &VersionRollout) -> bool {
        v.status == "approved"
            && v.yanked.is_none()
            && !self.plugin.versions.iter().any(|o| o.rollout.as_ref().is_some_and(|r| r.status == "active"))
    }

    /// The versions the tenants on `version` may be moved to: approved, live, another.
    fn targets(&self, version: &str) -> Vec<&str> {
        self.plugin
            .versions
            .iter()
            .filter(|v| v.status == "approved" && v.yanked.is_none() && v.version != version)
            .map(|v| v.version.as_str())
            .collect()
    }

    fn slug_of(&self, tenant: &TenantId) -> String {
        self.plugin
            .tenants
            .iter()
            .find(|t| t.tenant_id == *tenant)
            .map_or_else(|| tenant.to_string(), |t| t.slug.clone())
    }

    fn percent_of(&self, rate: &(u64, u64)) -> String {
        let &(failed, calls) = rate;
        if calls == 0 {
            return "no calls".to_owned();
        }
        #[allow(clippy::cast_precision_loss)] // call counts are far below 2^52
        let share = failed as f64 * 100.0 / calls as f64;
        format!("{failed} of {calls} failed ({share:.1}%)")
    }
}

async fn page(state: &AppState, viewer: &Viewer, plugin: &str) -> Result<RolloutsPage, ConsoleError> {
    let caller = RegistryCaller::user(&viewer.principal)?;
    let plugin = caller.rollouts(state).overview(plugin).await?;
    Ok(RolloutsPage { chrome: viewer.chrome.at("/admin/registry"), plugin, errors: FieldErrors::default() })
}

/// `GET /admin/registry/plugins/{plugin}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(plugin): Path<String>,
) -> PageResult {
    Ok(render(&page(&state, &viewer, &plugin).await?))
}

/// What a refused form shows: the page again with the problem.
async fn shown_again(state: &AppState, viewer: &Viewer, plugin: &str, error: Error) -> PageResult {
    let again = page(state, viewer, plugin).await?;
    refused(ApiError(error), |errors| RolloutsPage { errors, ..again })
}

fn back(plugin: &str, version: &str) -> PageResult {
    Ok(Redirect::to(&format!(
        "/admin/registry/plugins/{plugin}#version-{}",
        version.replace(['.', '+'], "-")
    ))
    .into_response())
}

/// The start form.
#[derive(Debug, Deserialize)]
pub(crate) struct StartForm {
    #[serde(default)]
    tenants: Vec<TenantId>,
    /// Percentage points.
    #[serde(default)]
    margin: String,
    #[serde(default)]
    min_calls: String,
}

/// `POST /admin/registry/plugins/{plugin}/versions/{version}/rollout`.
pub(crate) async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plugin, version)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<StartForm>,
) -> PageResult {
    let caller = RegistryCaller::user(&viewer.principal)?;
    let started = async {
        let margin = number::<f64>("margin", &form.margin)?.map(|points| points / 100.0);
        let min_calls = number("min_calls", &form.min_calls)?;
        let input = StartRollout { tenants: form.tenants, margin, min_calls };
        caller.rollouts(&state).start(&plugin, &version, input).await
    };
    match started.await {
        Ok(_) => back(&plugin, &version),
        Err(error) => shown_again(&state, &viewer, &plugin, error).await,
    }
}

/// The widen form.
#[derive(Debug, Deserialize)]
pub(crate) struct WidenForm {
    #[serde(default)]
    percent: String,
}

/// `POST /admin/registry/plugins/{plugin}/versions/{version}/rollout/widen`.
pub(crate) async fn widen(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plugin, version)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<WidenForm>,
) -> PageResult {
    let caller = RegistryCaller::user(&viewer.principal)?;
    let widened = async {
        let percent = number::<u8>("percent", &form.percent)?
            .ok_or_else(|| Error::invalid_field("percent", "say how many tenants in a hundred"))?;
        caller.rollouts(&state).advance(&plugin, &version, percent).await
    };
    match widened.await {
        Ok(_) => back(&plugin, &version),
        Err(error) => shown_again(&state, &viewer, &plugin, error).await,
    }
}

/// The rollback form, and the move form's reason.
#[derive(Debug, Deserialize)]
pub(crate) struct RollbackForm {
    #[serde(default)]
    reason: String,
}

/// `POST /admin/registry/plugins/{plugin}/versions/{version}/rollout/rollback`.
pub(crate) async fn rollback(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plugin, version)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<RollbackForm>,
) -> PageResult {
    let caller = RegistryCaller::user(&viewer.principal)?;
    match caller.rollouts(&state).rollback(&plugin, &version, &form.reason).await {
        Ok(_) => back(&plugin, &version),
        Err(error) => shown_again(&state, &viewer, &plugin, error).await,
    }
}

/// The move form.
#[derive(Debug, Deserialize)]
pub(crate) struct MoveForm {
    to: String,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/registry/plugins/{plugin}/versions/{version}/move`.
pub(crate) async fn move_tenants(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plugin, version)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<MoveForm>,
) -> PageResult {
    let caller = RegistryCaller::user(&viewer.principal)?;
    match caller.rollouts(&state).move_tenants(&plugin, &version, &form.to, &form.reason).await {
        Ok(_) => back(&plugin, &form.to),
        Err(error) => shown_again(&state, &viewer, &plugin, error).await,
    }
}
