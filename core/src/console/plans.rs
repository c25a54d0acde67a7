//! Plans for platform admins (ADR 025): the list with a form for a new plan, and each plan's page
//! to edit its figures, include or exclude plugins, or delete it. Every change goes through the
//! API's handlers.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::{Csrf, CsrfForm};
use super::page::{Chrome, ConsoleError, FieldErrors, PageResult, refused, render};
use super::session::Viewer;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::plans::{
    PlanInput, PlanPatchInput, create_plan, delete_plan, exclude_plugin, get_plan, include_plugin,
    list_plans, update_plan,
};
use crate::http::problem::ApiError;
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_plugin_host::PlatformEntry;
use ils_plugin_host::plans::{InclusionChange, Plan};

/// The figures of a plan as typed: text, so a wrong one is shown again at its field.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PlanForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    rank: String,
    #[serde(default)]
    price_label: String,
    #[serde(default)]
    timeout_ms: String,
    #[serde(default)]
    memory_bytes: String,
    #[serde(default)]
    kv_bytes: String,
    #[serde(default)]
    kv_keys: String,
    #[serde(default)]
    events_per_minute: String,
    #[serde(default)]
    invocations_per_month: String,
}

/// The number fields of the form, with their labels.
const FIGURES: [(&str, &str); 7] = [
    ("rank", "Rank (unique; higher is more)"),
    ("timeout_ms", "Call timeout (ms)"),
    ("memory_bytes", "Call memory (bytes)"),
    ("kv_bytes", "kv bytes per plugin"),
    ("kv_keys", "kv keys per plugin"),
    ("events_per_minute", "Events a minute per plugin"),
    ("invocations_per_month", "Calls a month per plugin"),
];

impl PlanForm {
    fn of(plan: &Plan) -> Self {
        Self {
            slug: plan.slug.to_string(),
            name: plan.name.clone(),
            rank: plan.rank.to_string(),
            price_label: plan.price_label.clone().unwrap_or_default(),
            timeout_ms: plan.figures.timeout_ms.to_string(),
            memory_bytes: plan.figures.memory_bytes.to_string(),
            kv_bytes: plan.figures.kv_bytes.to_string(),
            kv_keys: plan.figures.kv_keys.to_string(),
            events_per_minute: plan.figures.events_per_minute.to_string(),
            invocations_per_month: plan.figures.invocations_per_month.to_string(),
        }
    }

    /// The typed value of the number field `name`.
    pub(crate) fn figure(&self, name: &str) -> &str {
        match name {
            "rank" => &self.rank,
            "timeout_ms" => &self.timeout_ms,
            "memory_bytes" => &self.memory_bytes,
            "kv_bytes" => &self.kv_bytes,
            "kv_keys" => &self.kv_keys,
            "events_per_minute" => &self.events_per_minute,
            _ => &self.invocations_per_month,
        }
    }

    fn numbers(&self) -> Result<[i64; 7], Error> {
        let mut out = [0; 7];
        for (slot, (field, _)) in out.iter_mut().zip(FIGURES) {
            *slot = self
                .figure(field)
                .trim()
                .replace([',', '_'], "")
                .parse()
                .map_err(|_| Error::invalid_field(field, "must be a whole number"))?;
        }
        Ok(out)
    }

    fn input(&self) -> Result<PlanInput, Error> {
        let [rank, timeout_ms, memory_bytes, kv_bytes, kv_keys, events_per_minute, invocations_per_month] =
            self.numbers()?;
        Ok(PlanInput {
            slug: self.slug.trim().to_owned(),
            name: self.name.clone(),
            rank,
            price_label: Some(self.price_label.clone()),
            timeout_ms,
            memory_bytes,
            kv_bytes,
            kv_keys,
            events_per_minute,
            invocations_per_month,
        })
    }

    fn patch(&self) -> Result<PlanPatchInput, Error> {
        let [rank, timeout_ms, memory_bytes, kv_bytes, kv_keys, events_per_minute, invocations_per_month] =
            self.numbers()?;
        Ok(PlanPatchInput {
            name: Some(self.name.clone()),
            rank: Some(rank),
            price_label: Some(self.price_label.clone()),
            timeout_ms: Some(timeout_ms),
            memory_bytes: Some(memory_bytes),
            kv_bytes: Some(kv_bytes),
            kv_keys: Some(kv_keys),
            events_per_minute: Some(events_per_minute),
            invocations_per_month: Some(invocations_per_month),
        })
    }
}

#[derive(Template)]
#[template(path = "console/plans.html")]
struct PlansPage {
    chrome: Chrome,
    plans: Vec<Plan>,
    form: PlanForm,
    errors: FieldErrors,
}

impl PlansPage {
    fn figures(&self) -> &'static [(&'static str, &'static str)] {
        &FIGURES
    }
}

async fn plans_page(state: &AppState, viewer: &Viewer) -> Result<PlansPage, ConsoleError> {
    let plans = list_plans(State(state.clone()), viewer.principal.clone()).await?.0;
    Ok(PlansPage {
        chrome: viewer.chrome.at("/admin/plans"),
        plans,
        form: PlanForm::default(),
        errors: FieldErrors::default(),
    })
}

/// `GET /admin/plans`.
pub(crate) async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&plans_page(&state, &viewer).await?))
}

/// `POST /admin/plans`: creates a plan and opens it.
pub(crate) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> PageResult {
    let made = match form.input() {
        Ok(input) => create_plan(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await,
        Err(error) => Err(ApiError(error)),
    };
    match made {
        Ok((_, plan)) => Ok(Redirect::to(&format!("/admin/plans/{}", plan.0.slug)).into_response()),
        Err(error) => {
            let page = plans_page(&state, &viewer).await?;
            refused(error, |errors| PlansPage { errors, form, ..page })
        }
    }
}

#[derive(Template)]
#[template(path = "console/plan.html")]
struct PlanPage {
    chrome: Chrome,
    plan: Plan,
    form: PlanForm,
    errors: FieldErrors,
    /// Every plugin in the catalogue, to include or exclude.
    catalogue: Vec<PlatformEntry>,
    /// What the last include or exclude did.
    changed: Option<InclusionChange>,
    saved: bool,
}

impl PlanPage {
    fn figures(&self) -> &'static [(&'static str, &'static str)] {
        &FIGURES
    }

    fn includes(&self, plugin: &str) -> bool {
        self.plan.plugins.iter().any(|p| p == plugin)
    }
}

async fn plan_page(state: &AppState, viewer: &Viewer, slug: &str) -> Result<PlanPage, ConsoleError> {
    let plan = get_plan(State(state.clone()), viewer.principal.clone(), ApiPath(slug.to_owned())).await?.0;
    let catalogue =
        crate::http::plugins::platform_catalogue(State(state.clone()), viewer.principal.clone()).await?.0;
    Ok(PlanPage {
        chrome: viewer.chrome.at("/admin/plans"),
        form: PlanForm::of(&plan),
        plan,
        errors: FieldErrors::default(),
        catalogue,
        changed: None,
        saved: false,
    })
}

/// `GET /admin/plans/{plan}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    Ok(render(&plan_page(&state, &viewer, &slug).await?))
}

/// `POST /admin/plans/{plan}`: saves the plan's name, rank, price label, limits and quotas.
pub(crate) async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> PageResult {
    let saved = match form.patch() {
        Ok(patch) => {
            update_plan(State(state.clone()), viewer.principal.clone(), ApiPath(slug.clone()), ApiJson(patch))
                .await
        }
        Err(error) => Err(ApiError(error)),
    };
    let page = plan_page(&state, &viewer, &slug).await?;
    match saved {
        Ok(_) => Ok(render(&PlanPage { saved: true, ..page })),
        Err(error) => refused(error, |errors| PlanPage { errors, form: PlanForm { slug, ..form }, ..page }),
    }
}

/// `POST /admin/plans/{plan}/plugins/{plugin}/include` or `…/exclude`: shows the plan with
/// what the change did to its tenants.
pub(crate) async fn inclusion(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plan, plugin, change)): Path<(String, String, String)>,
    _: Csrf,
) -> PageResult {
    let (principal, at) = (viewer.principal.clone(), ApiPath((plan.clone(), plugin)));
    let changed = match change.as_str() {
        "include" => include_plugin(State(state.clone()), principal, at).await?.0,
        "exclude" => exclude_plugin(State(state.clone()), principal, at).await?.0,
        _ => return Err(Error::NotFound("page").into()),
    };
    let page = plan_page(&state, &viewer, &plan).await?;
    Ok(render(&PlanPage { changed: Some(changed), ..page }))
}

/// `POST /admin/plans/{plan}/delete`: refused, on the plan's page, while it is in use.
pub(crate) async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    _: Csrf,
) -> PageResult {
    match delete_plan(State(state.clone()), viewer.principal.clone(), ApiPath(slug.clone())).await {
        Ok(_) => Ok(Redirect::to("/admin/plans").into_response()),
        Err(error) => {
            let page = plan_page(&state, &viewer, &slug).await?;
            refused(error, |errors| PlanPage { errors, ..page })
        }
    }
}
