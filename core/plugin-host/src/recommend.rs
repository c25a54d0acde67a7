//! Recommendations (the `recommender` extension point, docs/adr/030): the kinds the tenant's
//! enabled recommenders give the caller's role, and one kind gathered from every one of them;
//! [`Recommenders::enabled`] reads the enablements once for a page that asks for several kinds.
//! The numbers come from the plugins, computed from the tenant's own data; the host only
//! gathers, orders and labels them. A proposed action is carried out by the host only when a
//! person accepts it (`POST /recommendations/accept`), as that person: a draft purchase order someone then approves.

use std::sync::Arc;

use ils_host_api::{Caller, InvokeError, Recommendation};
use ils_kernel::Result;
use ils_kernel::error::Error;
pub use ils_records::{DraftPurchaseOrder, ProposedAction, PurchaseLine};
use ils_registry::ExtensionPoint;
use ils_storage::Db;
use ils_storage::ids::TenantId;
use serde::Serialize;
use serde_json::Value;

use crate::reports::may_run;
use crate::runtime::{CallError, Plugins, plugin_error};

/// The largest input a recommendation request takes (the plugin's own input limit is the same).
pub const MAX_INPUT_BYTES: usize = 64 << 10;

/// A kind of recommendation the caller may ask for.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindEntry {
    /// The kind (`lens`, `reorder`, `anomalies`).
    pub kind: String,
    /// Its title.
    pub title: String,
    /// The plugins that give it.
    pub plugins: Vec<String>,
}

/// One recommendation, with the plugin it came from.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggested {
    /// The plugin that made it.
    pub plugin_id: String,
    /// Its name.
    pub plugin_name: String,
    /// The recommendation: subject, title, score, explanation, figures, and a proposed action.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub recommendation: Recommendation,
}

/// A recommender that did not answer.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unanswered {
    /// The plugin.
    pub plugin_id: String,
    /// What went wrong, in words.
    pub detail: String,
}

/// Every enabled recommender's answer for one kind, best first.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gathered {
    /// The kind asked for.
    pub kind: String,
    /// The recommendations, highest score first.
    pub recommendations: Vec<Suggested>,
    /// Recommenders that failed; the others' answers stand.
    pub unanswered: Vec<Unanswered>,
}

/// The recommenders of a process.
#[derive(Clone)]
pub struct Recommenders {
    plugins: Arc<Plugins>,
    db: Db,
}

impl std::fmt::Debug for Recommenders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recommenders").finish_non_exhaustive()
    }
}

impl Recommenders {
    /// Recommenders over `plugins`.
    pub fn new(plugins: Arc<Plugins>, db: Db) -> Self {
        Self { plugins, db }
    }

    /// The enabled recommenders of `tenant` as `who` sees them, from one read of the tenant's
    /// enablements: a page that lists the kinds and gathers two or three of them reads once.
    pub async fn enabled(&self, tenant: TenantId, who: &Caller) -> Result<Enabled> {
        let mut tx = self.db.tenant_read(tenant).await?;
        let rows = crate::store::enablements(&mut tx).await?;
        tx.commit().await?;
        let mut targets = Vec::new();
        for row in rows.into_iter().filter(|r| r.enabled) {
            if let Some(target) = self.plugins.target(tenant, &row.plugin_id).await?
                && target.manifest().provides.contains(&ExtensionPoint::Recommender)
            {
                targets.push(target);
            }
        }
        Ok(Enabled { plugins: Arc::clone(&self.plugins), tenant, who: who.clone(), targets })
    }

    /// The kinds `who` may ask for, from every enabled recommender.
    pub async fn kinds(&self, tenant: TenantId, who: &Caller) -> Result<Vec<KindEntry>> {
        Ok(self.enabled(tenant, who).await?.kinds())
    }

    /// Recommendations of `kind` for `input` from every enabled recommender that gives it to
    /// `who`'s roles: [`Enabled::gather`] on a fresh read of the enablements.
    pub async fn gather(&self, tenant: TenantId, who: &Caller, kind: &str, input: Value) -> Result<Gathered> {
        let input = checked(input)?;
        self.enabled(tenant, who).await?.ask(kind, input).await
    }
}

/// The input as the plugins get it: a JSON object, at most [`MAX_INPUT_BYTES`].
fn checked(input: Value) -> Result<String> {
    if !input.is_object() {
        return Err(Error::invalid_field("input", "must be a JSON object"));
    }
    let input = input.to_string();
    if input.len() > MAX_INPUT_BYTES {
        return Err(Error::invalid_field("input", format!("must be at most {MAX_INPUT_BYTES} bytes")));
    }
    Ok(input)
}

/// A tenant's enabled recommenders for one caller, read once ([`Recommenders::enabled`]); asked
/// for any number of kinds without reading the enablements again. Held for one request: a
/// plugin enabled or disabled meanwhile is seen by the next one.
#[derive(Clone)]
pub struct Enabled {
    plugins: Arc<Plugins>,
    tenant: TenantId,
    who: Caller,
    targets: Vec<crate::runtime::Target>,
}

impl std::fmt::Debug for Enabled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plugins: Vec<&str> = self.targets.iter().map(|t| t.row.plugin_id.as_str()).collect();
        f.debug_struct("Enabled")
            .field("tenant", &self.tenant)
            .field("plugins", &plugins)
            .finish_non_exhaustive()
    }
}

impl Enabled {
    /// The kinds the caller may ask for, from every enabled recommender.
    pub fn kinds(&self) -> Vec<KindEntry> {
        let mut kinds: Vec<KindEntry> = Vec::new();
        for target in &self.targets {
            let manifest = target.manifest();
            for k in manifest.recommendations.iter().filter(|k| may_run(&k.roles, &self.who)) {
                match kinds.iter_mut().find(|e| e.kind == k.kind) {
                    Some(entry) => entry.plugins.push(manifest.id.to_string()),
                    None => kinds.push(KindEntry {
                        kind: k.kind.clone(),
                        title: k.title.clone(),
                        plugins: vec![manifest.id.to_string()],
                    }),
                }
            }
        }
        kinds
    }

    /// Whether some enabled recommender gives `kind` to the caller's roles (what a page asks
    /// before it offers the kind at all).
    pub fn gives(&self, kind: &str) -> bool {
        self.targets.iter().any(|t| {
            t.manifest().recommendations.iter().any(|k| k.kind == kind && may_run(&k.roles, &self.who))
        })
    }

    /// Recommendations of `kind` for `input` from every enabled recommender that gives it to the
    /// caller's roles. 404 when none gives the kind; 403 when some do, but not to this role. A
    /// recommender that fails is listed as unanswered; when all fail, the first failure is the
    /// answer (422 for a plugin's refusal of the input, its plugin error otherwise).
    pub async fn gather(&self, kind: &str, input: Value) -> Result<Gathered> {
        self.ask(kind, checked(input)?).await
    }

    async fn ask(&self, kind: &str, input: String) -> Result<Gathered> {
        let (tenant, who) = (self.tenant, &self.who);
        let mut giving = Vec::new();
        let mut refused = false;
        for target in &self.targets {
            let Some(declared) = target.manifest().recommendations.iter().find(|k| k.kind == kind) else {
                continue;
            };
            if may_run(&declared.roles, who) {
                giving.push(target);
            } else {
                refused = true;
            }
        }
        if giving.is_empty() {
            return Err(if refused {
                Error::forbidden(
                    "recommendation_not_allowed",
                    format!("Recommendations of kind {kind:?} are not given to your role."),
                )
            } else {
                Error::NotFound("recommender for that kind")
            });
        }
        let (mut recommendations, mut unanswered) = (Vec::new(), Vec::new());
        let mut first_failure = None;
        let asked = giving.len();
        for target in giving {
            let plugin_id = target.row.plugin_id.clone();
            let (k, i) = (kind.to_string(), input.clone());
            let answer = self
                .plugins
                .call(target, Some(who.clone()), |host, version, ctx| async move {
                    host.recommend(&version, ctx, &k, &i).await
                })
                .await;
            match answer {
                Ok(list) => recommendations.extend(list.into_iter().map(|r| Suggested {
                    plugin_id: plugin_id.clone(),
                    plugin_name: target.manifest().name.clone(),
                    recommendation: clamp(r),
                })),
                Err(e) => {
                    let error = match e {
                        // The plugin's own refusal, not to be retried: the input is what to change.
                        CallError::Failed(InvokeError::Plugin { message, retryable: false }) => {
                            Error::invalid_field("input", message)
                        }
                        other => plugin_error(&plugin_id, other),
                    };
                    let detail = error.to_string();
                    tracing::warn!(%tenant, plugin = %plugin_id, %detail, "a recommender did not answer");
                    unanswered.push(Unanswered { plugin_id, detail });
                    first_failure.get_or_insert(error);
                }
            }
        }
        // When every recommender asked failed, the caller gets the failure, not an empty list.
        if unanswered.len() == asked
            && let Some(error) = first_failure
        {
            return Err(error);
        }
        recommendations.sort_by(|a, b| b.recommendation.score.total_cmp(&a.recommendation.score));
        Ok(Gathered { kind: kind.to_string(), recommendations, unanswered })
    }
}

/// A score outside 0–1 (or not a number) is clamped: the order shown never trusts a plugin's
/// arithmetic beyond its range.
fn clamp(mut r: Recommendation) -> Recommendation {
    r.score = if r.score.is_nan() { 0.0 } else { r.score.clamp(0.0, 1.0) };
    r
}

/// The draft purchase order an accepted [`ProposedAction`] asks for.
pub fn draft_of(action: &ProposedAction) -> &DraftPurchaseOrder {
    match action {
        ProposedAction::DraftPurchaseOrder(draft) => draft,
    }
}
