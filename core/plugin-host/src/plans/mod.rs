//! Plans as data (docs/adr/025-plans-as-data.md): a platform admin creates, edits and deletes
//! them; each has a rank, a price label, the limits of one plugin call, the quotas of one
//! (tenant, plugin), and the plugins it includes. A tenant may enable a plugin only when its plan
//! includes it; when a plan change (of the tenant, or of the plan's plugins) leaves an enabled
//! plugin out, the plugin is disabled — configuration, secrets and kv kept — and remembered as
//! disabled by the plan, so a change that includes it again enables it again, with the same
//! version and consent. Each such switch is audited and told to the tenant
//! ([`PluginDisabledByPlan`], [`PluginReenabledByPlan`]).

mod store;

use store::Switch;

use std::time::Duration;

use ils_host_api::Limits;
use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::error::{Error, Result};
use ils_kernel::permissions::Action;
use ils_outbox::{DomainEvent, emit_system};
use ils_storage::ids::TenantId;
use ils_storage::types::Timestamp;
use ils_storage::{Conn, Db, SystemTx, TenantTx};
use ils_tenancy::tenants::{self, Tenant, UpdateTenant};
use serde::Serialize;

pub use ils_tenancy::tenants::PlanSlug;

/// The longest call a plan may allow: the job runner gives up on a job after 60 s by default,
/// so a longer plugin call would outlive the delivery that made it.
pub const MAX_TIMEOUT_MS: i64 = 60_000;
/// The most linear memory a plan may allow one call: the engine's pool ceiling
/// (`EngineConfig::max_memory_bytes`).
pub const MAX_MEMORY_BYTES: i64 = 256 << 20;
/// The least: a component needs some memory to start at all.
pub const MIN_MEMORY_BYTES: i64 = 1 << 20;

/// A plan as platform admins see it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    /// Its handle, which tenants' `plan` names; never changes.
    pub slug: PlanSlug,
    /// Its display name.
    pub name: String,
    /// Its place among plans (unique; higher is more). Approving a plugin version from a plan
    /// includes the plugin in every plan ranked at or above it; a new tenant with no plan
    /// named starts on the lowest.
    pub rank: i32,
    /// What it costs, as shown to people (`£49 / month`); none when not set.
    pub price_label: Option<String>,
    /// Its limits and quotas.
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub figures: Figures,
    /// How many tenants are on it.
    pub tenants: i64,
    /// The plugins it includes, by id: the ones its tenants may enable.
    #[sqlx(skip)]
    pub plugins: Vec<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// The figures of a plan: the limits of one plugin call and the quotas of one (tenant, plugin).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    /// Wall-clock budget of one plugin call, in milliseconds (a manifest may ask for less).
    pub timeout_ms: i64,
    /// Linear memory one plugin call may use, in bytes (a manifest may ask for less).
    pub memory_bytes: i64,
    /// Bytes one (tenant, plugin) may keep in kv.
    pub kv_bytes: i64,
    /// Keys one (tenant, plugin) may keep in kv.
    pub kv_keys: i64,
    /// Events one (tenant, plugin) may publish in a calendar minute.
    pub events_per_minute: i64,
    /// Invocations of one (tenant, plugin) in a calendar month; past it calls answer 429
    /// `quota_exceeded` until the month resets.
    pub invocations_per_month: i64,
}

/// What a tenant's plan allows each plugin call and each of its plugins, read with the call's
/// target in one query ([`crate::quota::Quotas::of_plan`] reads its quotas).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanTerms {
    /// The plan.
    pub plan: PlanSlug,
    /// Its figures.
    #[sqlx(flatten)]
    pub figures: Figures,
}

impl PlanTerms {
    /// The limits of one call: the plan's timeout and memory, the host's defaults for the rest.
    pub fn limits(&self) -> Limits {
        Limits {
            timeout: Duration::from_millis(u64::try_from(self.figures.timeout_ms).unwrap_or(1)),
            memory_bytes: usize::try_from(self.figures.memory_bytes).unwrap_or(usize::MAX),
            ..Limits::default()
        }
    }
}

/// A new plan.
#[derive(Clone, Debug)]
pub struct NewPlan {
    /// Its handle.
    pub slug: PlanSlug,
    /// Display name, checked with [`name`].
    pub name: String,
    /// Checked with [`rank`].
    pub rank: i32,
    /// Checked with [`price_label`].
    pub price_label: Option<String>,
    /// Checked with [`timeout_ms`], [`memory_bytes`] and [`quota`].
    pub figures: Figures,
}

/// Changes to a plan; `None` leaves a field as it is (a `price_label` of `Some(None)` clears it).
#[derive(Clone, Debug, Default)]
pub struct PlanPatch {
    /// New name.
    pub name: Option<String>,
    /// New rank.
    pub rank: Option<i32>,
    /// New price label, or none.
    pub price_label: Option<Option<String>>,
    /// New call timeout.
    pub timeout_ms: Option<i64>,
    /// New call memory.
    pub memory_bytes: Option<i64>,
    /// New kv bytes quota.
    pub kv_bytes: Option<i64>,
    /// New kv keys quota.
    pub kv_keys: Option<i64>,
    /// New events-a-minute quota.
    pub events_per_minute: Option<i64>,
    /// New invocations-a-month quota.
    pub invocations_per_month: Option<i64>,
}

/// Checks a plan's display name.
pub fn name(value: &str) -> Result<String> {
    ils_kernel::input::name("name", value)
}

/// Checks a rank: 0 to 1,000,000.
pub fn rank(value: i64) -> Result<i32> {
    i32::try_from(value)
        .ok()
        .filter(|r| (0..=1_000_000).contains(r))
        .ok_or_else(|| Error::invalid_field("rank", "must be between 0 and 1000000"))
}

/// Checks a price label: trimmed, up to 100 characters; empty means none.
pub fn price_label(value: &str) -> Result<Option<String>> {
    let value = value.trim();
    match value.chars().count() {
        0 => Ok(None),
        1..=100 => Ok(Some(value.to_owned())),
        _ => Err(Error::invalid_field("price_label", "must be at most 100 characters")),
    }
}

/// Checks a call timeout: 1 ms to [`MAX_TIMEOUT_MS`].
pub fn timeout_ms(value: i64) -> Result<i64> {
    within("timeout_ms", value, 1, MAX_TIMEOUT_MS)
}

/// Checks a call's memory: [`MIN_MEMORY_BYTES`] to [`MAX_MEMORY_BYTES`].
pub fn memory_bytes(value: i64) -> Result<i64> {
    within("memory_bytes", value, MIN_MEMORY_BYTES, MAX_MEMORY_BYTES)
}

/// Checks a quota (`field` names it): zero or more.
pub fn quota(field: &str, value: i64) -> Result<i64> {
    within(field, value, 0, i64::MAX)
}

fn within(field: &str, value: i64, min: i64, max: i64) -> Result<i64> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Error::invalid_field(field, format!("must be between {min} and {max}")))
    }
}

/// A plan change's effect on one tenant's plugins, by plugin id.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanEffects {
    /// Plugins the new plan does not include, disabled (configuration, secrets and data kept).
    pub plugins_disabled: Vec<String>,
    /// Plugins an earlier plan had disabled that this one includes, enabled again (same
    /// version, consent and configuration).
    pub plugins_reenabled: Vec<String>,
}

/// Including or excluding a plugin: what changed, and for which tenants.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InclusionChange {
    /// The plan.
    pub plan: PlanSlug,
    /// The plugin.
    pub plugin_id: String,
    /// Whether the plan includes it now.
    pub included: bool,
    /// The tenants on the plan whose plugin was disabled (excluding it).
    pub tenants_disabled: Vec<TenantId>,
    /// The tenants on the plan whose plugin, disabled by a plan, was enabled again (including it).
    pub tenants_reenabled: Vec<TenantId>,
}

/// A tenant's plugin was disabled because its plan no longer includes it; its configuration,
/// secrets and data are kept, and it comes back when the plan includes it again.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginDisabledByPlan {
    /// The plugin.
    pub plugin_id: String,
    /// The version the tenant runs (and will run again).
    pub version: String,
    /// The tenant's plan.
    pub plan: PlanSlug,
}
impl DomainEvent for PluginDisabledByPlan {
    const TYPE: &'static str = "plugin.disabled_by_plan";
    const READ: Action = Action::PluginsManage;
}

/// A tenant's plugin a plan had disabled is enabled again: its plan includes it now.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginReenabledByPlan {
    /// The plugin.
    pub plugin_id: String,
    /// The version it runs, the one it ran before.
    pub version: String,
    /// The tenant's plan.
    pub plan: PlanSlug,
}
impl DomainEvent for PluginReenabledByPlan {
    const TYPE: &'static str = "plugin.reenabled_by_plan";
    const READ: Action = Action::PluginsManage;
}

/// The events plans emit to tenants, with the permission needed to read each.
pub const EVENTS: &[(&str, Action)] = &[
    (PluginDisabledByPlan::TYPE, PluginDisabledByPlan::READ),
    (PluginReenabledByPlan::TYPE, PluginReenabledByPlan::READ),
];

/// Every plan, lowest rank first.
pub async fn list(db: &Db) -> Result<Vec<Plan>> {
    let mut tx = db.system_read().await?;
    let plans = store::list(&mut tx).await?;
    tx.commit().await?;
    Ok(plans)
}

/// One plan; `not_found` when there is none of that slug.
pub async fn get(db: &Db, slug: &PlanSlug) -> Result<Plan> {
    let mut tx = db.system_read().await?;
    let plan = store::get(&mut tx, slug).await?.ok_or(Error::NotFound("plan"))?;
    tx.commit().await?;
    Ok(plan)
}

/// Creates a plan with no plugins; a taken slug is `plan_exists`, a taken rank `rank_taken`.
pub async fn create(db: &Db, actor: &AuditCtx, new: &NewPlan) -> Result<Plan> {
    let mut tx = db.system().await?;
    store::insert(&mut tx, new).await?;
    let plan = store::get(&mut tx, &new.slug).await?.ok_or(Error::NotFound("plan"))?;
    let event = Event::new("plan.created", "plan", &new.slug).changes(figures_json(&plan));
    audit::record_system(&mut tx, None, actor, event).await?;
    tx.commit().await?;
    Ok(plan)
}

fn figures_json(plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "name": plan.name, "rank": plan.rank, "price_label": plan.price_label, "figures": plan.figures,
    })
}

/// Edits a plan; its tenants' next plugin calls run with the new figures.
pub async fn update(db: &Db, actor: &AuditCtx, slug: &PlanSlug, patch: &PlanPatch) -> Result<Plan> {
    let mut tx = db.system().await?;
    let before = store::get(&mut tx, slug).await?.ok_or(Error::NotFound("plan"))?;
    if !store::update(&mut tx, &before, patch).await? {
        return Err(Error::NotFound("plan"));
    }
    let after = store::get(&mut tx, slug).await?.ok_or(Error::NotFound("plan"))?;
    let event = Event::new("plan.updated", "plan", slug)
        .changes(serde_json::json!({ "from": figures_json(&before), "to": figures_json(&after) }));
    audit::record_system(&mut tx, None, actor, event).await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a plan; refused (`plan_in_use`) while a tenant is on it or a catalogue version was
/// approved from it (the review's record names the plan).
pub async fn delete(db: &Db, actor: &AuditCtx, slug: &PlanSlug) -> Result<()> {
    let mut tx = db.system().await?;
    let plan = store::get(&mut tx, slug).await?.ok_or(Error::NotFound("plan"))?;
    if plan.tenants > 0 {
        return Err(Error::conflict(
            "plan_in_use",
            format!("{} tenant(s) are on the {slug} plan; move them to another plan first.", plan.tenants),
        ));
    }
    let versions = store::versions_from(&mut tx, slug).await?;
    if versions > 0 {
        return Err(Error::conflict(
            "plan_in_use",
            format!(
                "{versions} plugin version(s) were approved from the {slug} plan, and their review records it."
            ),
        ));
    }
    store::delete(&mut tx, slug).await?;
    let event = Event::new("plan.deleted", "plan", slug).changes(figures_json(&plan));
    audit::record_system(&mut tx, None, actor, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks that `slug` names a plan (`field` is what an error names).
pub async fn require(tx: &mut SystemTx, field: &str, slug: &PlanSlug) -> Result<()> {
    match store::get(tx, slug).await? {
        Some(_) => Ok(()),
        None => Err(Error::invalid_field(field, format!("{slug:?} is not a plan"))),
    }
}

/// The lowest-ranked plan: where a first published version is recorded as offered from until
/// a platform admin approves it from a plan.
pub async fn lowest(tx: &mut SystemTx) -> Result<PlanSlug> {
    store::lowest(tx).await?.ok_or_else(|| Error::conflict("no_plans", "The platform has no plans."))
}

/// The plan of the transaction's tenant and what it allows.
pub async fn terms_of_tenant(tx: &mut TenantTx) -> Result<PlanTerms> {
    store::terms_of_tenant(tx).await
}

/// Whether `plan` includes `plugin`: whether a tenant on it may enable it.
pub async fn includes(conn: &mut Conn, plan: &PlanSlug, plugin: &str) -> Result<bool> {
    store::includes(conn, plan, plugin).await
}

/// The plugins `plan` includes.
pub async fn plugins_of(conn: &mut Conn, plan: &PlanSlug) -> Result<Vec<String>> {
    store::plugins_of(conn, plan).await
}

/// A platform admin's change to a tenant (name, status, plan) in one transaction; a new plan
/// disables the plugins it does not include and enables again those an earlier plan disabled
/// that it includes. Returns the tenant now and what its plugins went through.
pub async fn update_tenant(db: &Db, actor: &AuditCtx, cmd: UpdateTenant) -> Result<(Tenant, PlanEffects)> {
    let mut tx = db.system().await?;
    let (before, after) = tenants::update_tenant_in(&mut tx, actor, cmd).await?;
    let mut effects = PlanEffects::default();
    if before.plan != after.plan {
        let disabled =
            store::switch(&mut tx, Switch::DisableExcluded, &after.plan, Some(after.id), None).await?;
        let reenabled =
            store::switch(&mut tx, Switch::ReenableIncluded, &after.plan, Some(after.id), None).await?;
        tell(&mut tx, actor, &after.plan, &disabled, &reenabled).await?;
        effects.plugins_disabled = disabled.into_iter().map(|s| s.plugin_id).collect();
        effects.plugins_reenabled = reenabled.into_iter().map(|s| s.plugin_id).collect();
    }
    tx.commit().await?;
    Ok((after, effects))
}

/// Audits each switch for its tenant and tells the tenant.
async fn tell(
    tx: &mut SystemTx,
    actor: &AuditCtx,
    plan: &PlanSlug,
    disabled: &[store::Switched],
    reenabled: &[store::Switched],
) -> Result<()> {
    for s in disabled {
        let event = Event::new("plugin.disabled_by_plan", "plugin", &s.plugin_id)
            .changes(serde_json::json!({ "version": s.version, "plan": plan }));
        audit::record_system(tx, Some(s.tenant_id), actor, event).await?;
        let told = PluginDisabledByPlan {
            plugin_id: s.plugin_id.clone(),
            version: s.version.clone(),
            plan: plan.clone(),
        };
        emit_system(tx, s.tenant_id, &told).await?;
    }
    for s in reenabled {
        let event = Event::new("plugin.reenabled_by_plan", "plugin", &s.plugin_id)
            .changes(serde_json::json!({ "version": s.version, "plan": plan }));
        audit::record_system(tx, Some(s.tenant_id), actor, event).await?;
        let told = PluginReenabledByPlan {
            plugin_id: s.plugin_id.clone(),
            version: s.version.clone(),
            plan: plan.clone(),
        };
        emit_system(tx, s.tenant_id, &told).await?;
    }
    Ok(())
}

/// Includes `plugin` (an approved catalogue plugin) in `plan`, and enables it again for the
/// plan's tenants whose earlier plan had disabled it.
pub async fn include(db: &Db, actor: &AuditCtx, plan: &PlanSlug, plugin: &str) -> Result<InclusionChange> {
    let mut tx = db.system().await?;
    store::get(&mut tx, plan).await?.ok_or(Error::NotFound("plan"))?;
    if !store::in_catalogue(&mut tx, plugin).await? {
        return Err(Error::NotFound("plugin"));
    }
    let reenabled = include_in(&mut tx, actor, plan, plugin).await?;
    tx.commit().await?;
    Ok(InclusionChange {
        plan: plan.clone(),
        plugin_id: plugin.to_owned(),
        included: true,
        tenants_disabled: Vec::new(),
        tenants_reenabled: reenabled,
    })
}

async fn include_in(
    tx: &mut SystemTx,
    actor: &AuditCtx,
    plan: &PlanSlug,
    plugin: &str,
) -> Result<Vec<TenantId>> {
    if store::include(tx, plan, plugin).await? {
        let event = Event::new("plan.plugin_included", "plan", plan)
            .changes(serde_json::json!({ "plugin_id": plugin }));
        audit::record_system(tx, None, actor, event).await?;
    }
    let reenabled = store::switch(tx, Switch::ReenableIncluded, plan, None, Some(plugin)).await?;
    tell(tx, actor, plan, &[], &reenabled).await?;
    Ok(reenabled.into_iter().map(|s| s.tenant_id).collect())
}

/// Includes `plugin` in `from` and every plan ranked above it (approving a version from a plan,
/// or installing a package from one), in the caller's transaction.
pub async fn include_from(tx: &mut SystemTx, actor: &AuditCtx, from: &PlanSlug, plugin: &str) -> Result<()> {
    require(tx, "min_plan", from).await?;
    for plan in store::from_rank_of(tx, from).await? {
        include_in(tx, actor, &plan, plugin).await?;
    }
    Ok(())
}

/// Excludes `plugin` from `plan` (`not_found` when it was not included), disabling it for the
/// plan's tenants that have it enabled.
pub async fn exclude(db: &Db, actor: &AuditCtx, plan: &PlanSlug, plugin: &str) -> Result<InclusionChange> {
    let mut tx = db.system().await?;
    store::get(&mut tx, plan).await?.ok_or(Error::NotFound("plan"))?;
    if !store::exclude(&mut tx, plan, plugin).await? {
        return Err(Error::NotFound("plugin in this plan"));
    }
    let event =
        Event::new("plan.plugin_excluded", "plan", plan).changes(serde_json::json!({ "plugin_id": plugin }));
    audit::record_system(&mut tx, None, actor, event).await?;
    let disabled = store::switch(&mut tx, Switch::DisableExcluded, plan, None, Some(plugin)).await?;
    tell(&mut tx, actor, plan, &disabled, &[]).await?;
    tx.commit().await?;
    Ok(InclusionChange {
        plan: plan.clone(),
        plugin_id: plugin.to_owned(),
        included: false,
        tenants_disabled: disabled.into_iter().map(|s| s.tenant_id).collect(),
        tenants_reenabled: Vec::new(),
    })
}
