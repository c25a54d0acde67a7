//! Reviewing the registry, for platform admins: the queue of published versions waiting for
//! review — each with what its component really imports, its size, platform range, signing key,
//! manifest and its capability diff against the previous approved version — approving one (from
//! a lowest plan, with an optional note) or rejecting it (with the reason its publisher reads),
//! and the publishers, with their auto-approve switch (ADR 022).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::CsrfForm;
use super::page::{Chrome, ConsoleError, FieldErrors, PageResult, given, refused, render};
use super::session::Viewer;
use crate::http::problem::ApiError;
use crate::http::registry::RegistryCaller;
use crate::state::AppState;
use ils_plugin_host::plans::{Plan, PlanSlug};
use ils_publishing::{Decision, Publisher, Review};
use ils_registry::diff::{Change, ManifestDiff};

/// One line of a capability diff: what kind of thing, and the items added and removed.
pub(crate) struct DiffLine {
    pub what: &'static str,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

fn line(what: &'static str, change: &Change) -> Option<DiffLine> {
    (!change.is_empty()).then(|| DiffLine {
        what,
        added: change.added.clone(),
        removed: change.removed.clone(),
    })
}

fn limit(value: Option<u64>) -> String {
    value.map_or_else(|| "the plan's".to_owned(), |v| v.to_string())
}

/// The lines of a diff that changed, in the order a reviewer weighs them.
pub(crate) fn diff_lines(diff: &ManifestDiff) -> Vec<DiffLine> {
    let mut lines: Vec<DiffLine> = [
        line("Capabilities", &diff.capabilities),
        line("Outbound hosts", &diff.outbound_hosts),
        line("Events", &diff.events),
        line("Extension points", &diff.provides),
        line("Schedules", &diff.schedules),
        line("Console pages", &diff.pages),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !diff.widened_limits.is_empty() {
        lines.push(DiffLine {
            what: "Limits raised",
            added: diff
                .widened_limits
                .iter()
                .map(|l| format!("{}: {} → {}", l.limit, limit(l.from), limit(l.to)))
                .collect(),
            removed: Vec::new(),
        });
    }
    let schema = &diff.config_schema;
    lines.extend(line("Configuration properties", &schema.properties));
    lines.extend(line("Required configuration", &schema.required));
    if schema.changed && schema.properties.is_empty() && schema.required.is_empty() {
        lines.push(DiffLine {
            what: "Configuration schema",
            added: vec!["changed (same properties: types, limits or descriptions)".to_owned()],
            removed: Vec::new(),
        });
    }
    if let Some(platform) = &diff.platform {
        lines.extend(line("ils:platform", platform));
    }
    lines
}

/// A refused decision: on which version, and what was typed into its form.
#[derive(Debug, Default)]
struct Refused {
    plugin: String,
    version: String,
    reason: String,
    note: String,
}

#[derive(Template)]
#[template(path = "console/review.html")]
struct ReviewPage {
    chrome: Chrome,
    queue: Vec<Review>,
    publishers: Vec<Publisher>,
    plugins: Vec<String>,
    refused: Refused,
    errors: FieldErrors,
    plans: Vec<Plan>,
}

impl ReviewPage {
    fn lines(&self, review: &Review) -> Vec<DiffLine> {
        diff_lines(&review.diff)
    }

    /// Whether `review`'s diff adds nothing to the previous approved version.
    fn adds_nothing(&self, review: &Review) -> bool {
        review.diff.adds_nothing()
    }

    fn size(&self, review: &Review) -> String {
        review
            .size
            .and_then(|s| u64::try_from(s).ok())
            .map_or_else(|| "unknown".to_owned(), super::page::bytes)
    }

    /// A version's ids in the page: valid HTML ids, unique per version.
    fn key(&self, review: &Review) -> String {
        format!("{}-{}", review.version.plugin_id, review.version.version.replace(['.', '+'], "-"))
    }

    /// The errors of a refused decision on `review`, if it was that one.
    fn errors_of(&self, review: &Review) -> Option<&FieldErrors> {
        (self.refused.plugin == review.version.plugin_id && self.refused.version == review.version.version)
            .then_some(&self.errors)
    }

    fn reason_error(&self, review: &Review) -> Option<&str> {
        self.errors_of(review).and_then(|e| e.get("reason"))
    }

    fn typed<'a>(&'a self, review: &Review, field: &str) -> &'a str {
        match (self.errors_of(review), field) {
            (Some(_), "reason") => &self.refused.reason,
            (Some(_), "note") => &self.refused.note,
            _ => "",
        }
    }
}

async fn review_page(state: &AppState, viewer: &Viewer) -> Result<ReviewPage, ConsoleError> {
    let caller = RegistryCaller::user(&viewer.principal)?;
    let queue = ils_publishing::review_queue(&state.db, &caller.actor).await?;
    let publishers = ils_publishing::publishers(&state.db, &caller.actor).await?;
    let plugins = caller.rollouts(state).plugin_ids().await?;
    let plans = crate::http::plans::list_plans(State(state.clone()), viewer.principal.clone()).await?.0;
    Ok(ReviewPage {
        chrome: viewer.chrome.at("/admin/registry"),
        queue,
        publishers,
        plugins,
        refused: Refused::default(),
        errors: FieldErrors::default(),
        plans,
    })
}

/// `GET /admin/registry`.
pub(crate) async fn queue(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&review_page(&state, &viewer).await?))
}

/// The approve form.
#[derive(Debug, Deserialize)]
pub(crate) struct ApproveForm {
    min_plan: PlanSlug,
    #[serde(default)]
    note: String,
}

/// The reject form.
#[derive(Debug, Deserialize)]
pub(crate) struct RejectForm {
    #[serde(default)]
    reason: String,
}

async fn decide(
    state: &AppState,
    viewer: &Viewer,
    (plugin, version): (String, String),
    decision: Decision,
    typed: (String, String),
) -> PageResult {
    let caller = RegistryCaller::user(&viewer.principal)?;
    match ils_publishing::decide(&state.db, &caller.audit, &caller.actor, &plugin, &version, decision).await {
        Ok(_) => Ok(Redirect::to("/admin/registry").into_response()),
        Err(error) => {
            let page = review_page(state, viewer).await?;
            let (reason, note) = typed;
            let refused_form = Refused { plugin, version, reason, note };
            refused(ApiError(error), |errors| ReviewPage { errors, refused: refused_form, ..page })
        }
    }
}

/// `POST /admin/registry/versions/{plugin}/{version}/approve`: tenants on the plan chosen (or
/// above) may enable it from now on.
pub(crate) async fn approve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(at): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ApproveForm>,
) -> PageResult {
    let decision = Decision::Approve { min_plan: Some(form.min_plan), note: given(&form.note) };
    decide(&state, &viewer, at, decision, (String::new(), form.note)).await
}

/// `POST /admin/registry/versions/{plugin}/{version}/reject`: the publisher reads the reason.
pub(crate) async fn reject(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(at): Path<(String, String)>,
    CsrfForm(form): CsrfForm<RejectForm>,
) -> PageResult {
    let decision = Decision::Reject { reason: form.reason.clone() };
    decide(&state, &viewer, at, decision, (form.reason, String::new())).await
}

/// The auto-approve switch.
#[derive(Debug, Deserialize)]
pub(crate) struct AutoApproveForm {
    auto_approve: bool,
}

/// `POST /admin/registry/publishers/{publisher}/auto-approve`: the publisher's versions that add
/// nothing skip review (or no longer do).
pub(crate) async fn auto_approve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<AutoApproveForm>,
) -> PageResult {
    let caller = RegistryCaller::user(&viewer.principal)?;
    ils_publishing::set_auto_approve(&state.db, &caller.audit, &caller.actor, &slug, form.auto_approve)
        .await?;
    Ok(Redirect::to("/admin/registry#publishers").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ils_registry::Manifest;

    fn manifest(version: &str, extra: &str) -> Manifest {
        Manifest::from_toml(&format!(
            "id = \"notes\"\nname = \"Notes\"\nversion = \"{version}\"\npublisher = \"P\"\nplatform = \"^0.2\"\n\
             provides = [\"event-handler\"]\nevents = [\"order.created\"]\n{extra}"
        ))
        .unwrap()
    }

    #[test]
    fn a_diff_lists_only_what_changed_with_added_and_removed_apart() {
        let old = manifest("1.0.0", "capabilities = [\"kv\"]\n[limits]\ntimeout_ms = 1000\n");
        let new = manifest("1.1.0", "capabilities = [\"orders-read\"]\n");
        let lines = diff_lines(&ManifestDiff::between(Some(&old), &new));
        let what: Vec<&str> = lines.iter().map(|l| l.what).collect();
        assert_eq!(what, ["Capabilities", "Limits raised"]);
        assert_eq!(lines[0].added, ["orders-read"]);
        assert_eq!(lines[0].removed, ["kv"]);
        assert_eq!(lines[1].added, ["timeout_ms: 1000 → the plan's"]);
        assert!(diff_lines(&ManifestDiff::between(Some(&old), &old)).is_empty());
    }
}
