//! Versions for tenants: staged roll-outs, automatic and manual rollback, and a platform
//! admin's move of every tenant off a version (docs/adr/024-plugin-rollouts.md).
//!
//! A tenant follows a semver range (`track` on its enablement, `^1.2`) or stays pinned. A
//! platform admin rolls an approved version out in stages: first the tenants named when it
//! starts, then a percentage of the rest by a stable hash ([`bucket`]), then all (100%). A stage
//! moves the tenants it reaches whose range contains the version, who run an older one, whose
//! consent covers every capability it asks for, whose plan offers it and whose configuration
//! fits its schema; the others are held, and said why.
//!
//! While a roll-out is active, [`watch`] (and every stage change, first) compares the new
//! version's failures and breaker trips since the start with the previous version's
//! ([`verdict`]) and rolls back a version doing worse by more than the margin: every tenant it
//! moved goes back to the version it came from, and the reason is recorded. A platform admin
//! can roll back by hand too. Every move is audited in the tenant's log and emitted to it as
//! `plugin.version_moved`.

mod judge;
mod store;

use std::collections::BTreeSet;
use std::time::Duration;

use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::error::{Error, Result};
use ils_kernel::permissions::Action;
use ils_outbox::{DomainEvent, emit_system};
use ils_plugin_host::Plugins;
use ils_plugin_host::metering::{Health, store::version_health};
use ils_plugin_host::store::EnablementRow;
use ils_registry::Manifest;
use ils_storage::ids::TenantId;
use ils_storage::types::Timestamp;
use ils_storage::{Db, SystemTx};
use semver::{Version, VersionReq};
use serde::Serialize;

pub use judge::{Observed, bucket, verdict, wilson_lower};
use store::{MoveRow, RolloutRow};

use crate::{Actor, parsed, previous_approved, require_platform_admin, version_row};

/// The margin a new version may do worse than the previous one by, unless the roll-out names
/// another: two percentage points of failure rate, or 0.02 breaker trips per tenant.
pub const DEFAULT_MARGIN: f64 = 0.02;

/// Calls the new version must have run before its failure rate is judged, by default.
pub const DEFAULT_MIN_CALLS: u64 = 20;

/// Starting a roll-out.
#[derive(Clone, Debug, Default)]
pub struct StartRollout {
    /// The tenants of the first stage.
    pub tenants: Vec<TenantId>,
    /// How much worse than the previous version it may do (a fraction, 0–1).
    pub margin: Option<f64>,
    /// Calls it must have run before its failure rate is judged.
    pub min_calls: Option<u64>,
}

/// A tenant a roll-out moved.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RolloutMove {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The version it came from (and goes back to on a rollback).
    pub from: String,
    /// When it was moved.
    pub moved_at: Timestamp,
    /// When a rollback moved it back.
    pub returned_at: Option<Timestamp>,
}

impl From<MoveRow> for RolloutMove {
    fn from(r: MoveRow) -> Self {
        Self {
            tenant_id: r.tenant_id,
            from: r.from_version,
            moved_at: r.moved_at,
            returned_at: r.returned_at,
        }
    }
}

/// A tenant a stage reaches but cannot move, and why.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Held {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The version it runs.
    pub version: String,
    /// `consent_required`, `plan_required` or `invalid_config`.
    pub code: &'static str,
    /// In words.
    pub detail: String,
}

/// One version's calls since a roll-out started.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionHealth {
    /// The version.
    pub version: String,
    /// Tenants running it now.
    pub tenants: u64,
    /// Its invocations since the start.
    pub invocations: u64,
    /// Those that failed by the plugin's fault (a trap, a limit, its own error).
    pub failures: u64,
    /// Times a tenant's breaker opened on it since the start.
    pub breaker_trips: u64,
}

impl VersionHealth {
    fn of(version: &str, observed: &Observed) -> Self {
        Self {
            version: version.to_owned(),
            tenants: observed.tenants,
            invocations: observed.since_start.invocations,
            failures: observed.since_start.failures,
            breaker_trips: observed.since_start.breaker_trips,
        }
    }
}

/// A roll-out, as platform admins see it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rollout {
    /// The plugin.
    pub plugin_id: String,
    /// The version rolled out.
    pub version: String,
    /// The approved version before it, whose health it is held against.
    pub previous: Option<String>,
    /// `active`, `completed` (it reached 100%) or `rolled_back`.
    pub status: String,
    /// The stage: 0 while only the named tenants have it, up to 100 for all.
    pub percent: u8,
    /// The tenants of the first stage.
    pub named: Vec<TenantId>,
    /// How much worse than the previous version it may do (a fraction).
    pub margin: f64,
    /// Calls it must have run before its failure rate is judged.
    pub min_calls: u64,
    /// When it started.
    pub started_at: Timestamp,
    /// Its last change.
    pub updated_at: Timestamp,
    /// When it completed or was rolled back.
    pub ended_at: Option<Timestamp>,
    /// Why it was rolled back.
    pub reason: Option<String>,
    /// The tenants it moved.
    pub moved: Vec<RolloutMove>,
    /// The tenants its stage reaches that it could not move.
    pub held: Vec<Held>,
    /// The version's calls since the start.
    pub health: VersionHealth,
    /// The previous version's, over the same time.
    pub previous_health: Option<VersionHealth>,
}

/// What moving the tenants off a version did.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Moved {
    /// The tenants moved.
    pub moved: Vec<TenantId>,
    /// The tenants left where they are, and why.
    pub held: Vec<Held>,
}

/// A tenant's plugin was moved to another version by the platform: a roll-out, its rollback, or
/// a platform admin moving tenants off a version.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginVersionMoved {
    /// The plugin.
    pub plugin_id: String,
    /// The version it ran.
    pub from: String,
    /// The version it runs now.
    pub to: String,
    /// `rollout`, `rollback` or `platform_admin`.
    pub by: String,
    /// Why, for a rollback or an admin's move.
    pub reason: Option<String>,
}
impl DomainEvent for PluginVersionMoved {
    const TYPE: &'static str = "plugin.version_moved";
    const READ: Action = Action::PluginsManage;
}

fn margin_bp(margin: f64) -> Result<i32> {
    if !(0.0..=1.0).contains(&margin) {
        return Err(Error::invalid_field("margin", "must be a fraction from 0 to 1 (0.02 is two points)"));
    }
    #[allow(clippy::cast_possible_truncation)] // 0–10000
    Ok((margin * 10_000.0).round() as i32)
}

fn named_of(row: &RolloutRow) -> Vec<TenantId> {
    serde_json::from_str(&row.named).unwrap_or_default()
}

fn health_of(invocations: i64, failures: i64, trips: i64) -> Health {
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Health { invocations: n(invocations), failures: n(failures), breaker_trips: n(trips) }
}

fn since(now: Health, base: Health) -> Health {
    Health {
        invocations: now.invocations.saturating_sub(base.invocations),
        failures: now.failures.saturating_sub(base.failures),
        breaker_trips: now.breaker_trips.saturating_sub(base.breaker_trips),
    }
}

/// The two versions' calls since the roll-out started.
async fn observe(tx: &mut SystemTx, row: &RolloutRow) -> Result<(Observed, Option<Observed>)> {
    let plugin = row.plugin_id.as_str();
    let now = version_health(tx.conn(), plugin, &row.version).await?;
    let tenants = u64::try_from(store::tenants_on(tx, plugin, &row.version).await?).unwrap_or(0);
    let base = health_of(row.base_invocations, row.base_failures, row.base_trips);
    let new = Observed { since_start: since(now, base), lifetime: now, tenants };
    let previous = match &row.previous {
        Some(previous) => {
            let now = version_health(tx.conn(), plugin, previous).await?;
            let tenants = u64::try_from(store::tenants_on(tx, plugin, previous).await?).unwrap_or(0);
            let base = health_of(row.previous_invocations, row.previous_failures, row.previous_trips);
            Some(Observed { since_start: since(now, base), lifetime: now, tenants })
        }
        None => None,
    };
    Ok((new, previous))
}

/// Why a tenant on `row` cannot run `manifest`, if it cannot.
async fn blocker(
    tx: &mut SystemTx,
    manifest: &Manifest,
    row: &EnablementRow,
) -> Result<Option<(&'static str, String)>> {
    let consented: BTreeSet<&str> = row.capabilities.split_whitespace().collect();
    let missing: Vec<&str> =
        manifest.capabilities.iter().map(|c| c.as_str()).filter(|c| !consented.contains(c)).collect();
    if !missing.is_empty() {
        return Ok(Some((
            "consent_required",
            format!(
                "{} asks for {}, which the tenant has not consented to",
                manifest.version,
                missing.join(", ")
            ),
        )));
    }
    let plan = store::plan_of(tx, row.tenant_id).await?.ok_or(Error::NotFound("tenant"))?;
    if !ils_plugin_host::plans::includes(tx.conn(), &plan, &row.plugin_id).await? {
        return Ok(Some((
            "plan_required",
            format!("the tenant's {plan} plan does not include {}", row.plugin_id),
        )));
    }
    let config: serde_json::Value =
        serde_json::from_str(&row.config).unwrap_or_else(|_| serde_json::json!({}));
    if let Err(e) = manifest.validate_config(&config) {
        return Ok(Some((
            "invalid_config",
            format!("the tenant's configuration does not fit {}: {e}", manifest.version),
        )));
    }
    Ok(None)
}

/// Moves one tenant and tells it: audited in its log, emitted as `plugin.version_moved`. False
/// when it no longer runs `from`.
async fn move_tenant(
    tx: &mut SystemTx,
    audit_ctx: &AuditCtx,
    moved: &PluginVersionMoved,
    tenant: TenantId,
) -> Result<bool> {
    let plugin = moved.plugin_id.as_str();
    if !ils_plugin_host::store::move_version(tx.conn(), tenant, plugin, &moved.from, &moved.to).await? {
        return Ok(false);
    }
    let event = Event::new("plugin.version_moved", "plugin", plugin).changes(serde_json::json!({
        "version": { "from": moved.from, "to": moved.to }, "by": moved.by, "reason": moved.reason,
    }));
    audit::record_system(tx, Some(tenant), audit_ctx, event).await?;
    emit_system(tx, tenant, moved).await?;
    Ok(true)
}

/// The approved, live version `version` of `plugin` with its manifest: what may be moved to.
async fn live_version(
    tx: &mut SystemTx,
    plugin: &str,
    version: &str,
) -> Result<(crate::store::VersionRow, Manifest, Vec<crate::store::VersionRow>)> {
    let (row, all) = version_row(tx, plugin, version).await?;
    if row.status != "approved" {
        return Err(Error::conflict(
            "version_not_approved",
            format!("{plugin} {version} is {}: only approved versions reach tenants.", row.status),
        ));
    }
    if row.yanked_at.is_some() {
        return Err(Error::conflict(
            "version_yanked",
            format!("{plugin} {version} was yanked; it reaches no one."),
        ));
    }
    let manifest =
        parsed(&row).ok_or_else(|| Error::Internal(format!("{plugin} {version}: manifest unreadable")))?;
    Ok((row, manifest, all))
}

/// The enabled tenants of `plugin` a stage of `row` reaches: in the range they follow, on an
/// older version, named or in a bucket below the percentage.
fn reached<'a>(rows: &'a [EnablementRow], row: &RolloutRow, version: &Version) -> Vec<&'a EnablementRow> {
    let named = named_of(row);
    let percent = u8::try_from(row.percent).unwrap_or(0);
    rows.iter()
        .filter(|e| e.enabled && e.plugin_id == row.plugin_id && e.version != row.version)
        .filter(|e| {
            let follows = e
                .track
                .as_deref()
                .and_then(|t| VersionReq::parse(t).ok())
                .is_some_and(|t| t.matches(version));
            let older = Version::parse(&e.version).is_ok_and(|v| &v < version);
            follows && older
        })
        .filter(|e| named.contains(&e.tenant_id) || bucket(&row.plugin_id, e.tenant_id) < percent)
        .collect()
}

/// Splits `candidates` into the tenants that can run `manifest` and those held, with why.
async fn sort_out<'a>(
    tx: &mut SystemTx,
    manifest: &Manifest,
    candidates: impl IntoIterator<Item = &'a EnablementRow>,
) -> Result<(Vec<&'a EnablementRow>, Vec<Held>)> {
    let (mut ready, mut held) = (Vec::new(), Vec::new());
    for e in candidates {
        match blocker(tx, manifest, e).await? {
            Some((code, detail)) => {
                held.push(Held { tenant_id: e.tenant_id, version: e.version.clone(), code, detail });
            }
            None => ready.push(e),
        }
    }
    Ok((ready, held))
}

/// Moves the tenants the current stage reaches; returns those it could not move.
async fn run_stage(
    tx: &mut SystemTx,
    audit_ctx: &AuditCtx,
    row: &RolloutRow,
    manifest: &Manifest,
) -> Result<Vec<Held>> {
    let everyone = ils_plugin_host::store::enabled_everywhere(tx.conn()).await?;
    let (ready, held) = sort_out(tx, manifest, reached(&everyone, row, &manifest.version)).await?;
    for e in ready {
        let moved = PluginVersionMoved {
            plugin_id: row.plugin_id.clone(),
            from: e.version.clone(),
            to: row.version.clone(),
            by: "rollout".into(),
            reason: None,
        };
        if move_tenant(tx, audit_ctx, &moved, e.tenant_id).await? {
            store::record_move(tx, &row.plugin_id, &row.version, e.tenant_id, &e.version).await?;
        }
    }
    Ok(held)
}

async fn view(tx: &mut SystemTx, row: &RolloutRow, held: Vec<Held>) -> Result<Rollout> {
    let (new, previous) = observe(tx, row).await?;
    let moves = store::moves(tx, &row.plugin_id, &row.version).await?;
    Ok(Rollout {
        plugin_id: row.plugin_id.clone(),
        version: row.version.clone(),
        previous: row.previous.clone(),
        status: row.status.clone(),
        percent: u8::try_from(row.percent).unwrap_or(0),
        named: named_of(row),
        margin: f64::from(row.margin_bp) / 10_000.0,
        min_calls: u64::try_from(row.min_calls).unwrap_or(0),
        started_at: row.started_at,
        updated_at: row.updated_at,
        ended_at: row.ended_at,
        reason: row.reason.clone(),
        moved: moves.into_iter().map(RolloutMove::from).collect(),
        held,
        health: VersionHealth::of(&row.version, &new),
        previous_health: row.previous.as_deref().zip(previous.as_ref()).map(|(v, o)| VersionHealth::of(v, o)),
    })
}

/// The tenants the stage reaches but cannot move, as of now.
async fn held_now(tx: &mut SystemTx, row: &RolloutRow) -> Result<Vec<Held>> {
    if row.status != "active" {
        return Ok(Vec::new());
    }
    let (_, manifest, _) = live_version(tx, &row.plugin_id, &row.version).await?;
    let everyone = ils_plugin_host::store::enabled_everywhere(tx.conn()).await?;
    Ok(sort_out(tx, &manifest, reached(&everyone, row, &manifest.version)).await?.1)
}

async fn rollout_row(tx: &mut SystemTx, plugin: &str, version: &str) -> Result<RolloutRow> {
    store::rollout(tx, plugin, version).await?.ok_or(Error::NotFound("rollout"))
}

/// Why the roll-out should be rolled back now, if it should.
async fn judge(db: &Db, plugin: &str, version: &str) -> Result<Option<String>> {
    let mut tx = db.system().await?;
    let row = rollout_row(&mut tx, plugin, version).await?;
    let (new, previous) = observe(&mut tx, &row).await?;
    tx.commit().await?;
    if row.status != "active" {
        return Ok(None);
    }
    let margin = f64::from(row.margin_bp) / 10_000.0;
    let min_calls = u64::try_from(row.min_calls).unwrap_or(u64::MAX);
    Ok(verdict(&new, &previous.unwrap_or_default(), margin, min_calls))
}

fn not_active(row: &RolloutRow) -> Error {
    Error::conflict(
        "rollout_not_active",
        format!("The roll-out of {} {} is {}.", row.plugin_id, row.version, row.status.replace('_', " ")),
    )
}

async fn roll_back(
    db: &Db,
    plugins: &Plugins,
    audit_ctx: &AuditCtx,
    plugin: &str,
    version: &str,
    reason: &str,
    automatic: bool,
) -> Result<Rollout> {
    let mut tx = db.system().await?;
    let row = rollout_row(&mut tx, plugin, version).await?;
    if !store::rolled_back(&mut tx, plugin, version, reason).await? {
        return Err(not_active(&row));
    }
    let mut returned = 0;
    for m in store::moves(&mut tx, plugin, version).await?.into_iter().filter(|m| m.returned_at.is_none()) {
        let moved = PluginVersionMoved {
            plugin_id: plugin.to_owned(),
            from: version.to_owned(),
            to: m.from_version.clone(),
            by: "rollback".into(),
            reason: Some(reason.to_owned()),
        };
        if move_tenant(&mut tx, audit_ctx, &moved, m.tenant_id).await? {
            store::record_return(&mut tx, plugin, version, m.tenant_id).await?;
            returned += 1;
        }
    }
    let event = Event::new("plugin_rollout.rolled_back", "plugin", plugin).changes(serde_json::json!({
        "version": version, "reason": reason, "automatic": automatic, "tenants_moved_back": returned,
    }));
    audit::record_system(&mut tx, None, audit_ctx, event).await?;
    let row = rollout_row(&mut tx, plugin, version).await?;
    let out = view(&mut tx, &row, Vec::new()).await?;
    tx.commit().await?;
    if let Err(error) = plugins.sweep().await {
        tracing::warn!(%error, "sweeping unused plugin versions failed");
    }
    Ok(out)
}

/// Judges every active roll-out every `every` and rolls back those doing worse than their
/// previous version, for as long as it runs (spawn it). Any node may run it: a rollback ends a
/// roll-out once, whichever node sees it first.
pub async fn watch(db: Db, plugins: std::sync::Arc<Plugins>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = watch_once(&db, &plugins).await {
            tracing::warn!(%error, "plugin roll-outs not judged");
        }
    }
}

/// One round of [`watch`]; returns the roll-outs it rolled back.
pub async fn watch_once(db: &Db, plugins: &Plugins) -> Result<Vec<(String, String)>> {
    plugins.metering().flush().await?;
    let mut tx = db.system().await?;
    let active = store::active(&mut tx).await?;
    tx.commit().await?;
    let mut rolled_back = Vec::new();
    for row in active {
        let Some(reason) = judge(db, &row.plugin_id, &row.version).await? else { continue };
        tracing::warn!(plugin = row.plugin_id, version = row.version, reason, "plugin roll-out rolled back");
        match roll_back(db, plugins, &AuditCtx::system(), &row.plugin_id, &row.version, &reason, true).await {
            Ok(_) => rolled_back.push((row.plugin_id, row.version)),
            // Another node (or an admin) ended it first.
            Err(Error::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(rolled_back)
}

/// A tenant that runs the plugin, as a platform admin choosing a first stage sees it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantOn {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Its handle.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// The version it runs.
    pub version: String,
    /// The range it follows; `None`: pinned.
    pub track: Option<String>,
}

/// One version of a plugin with its roll-out, if it had one.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionRollout {
    /// The version.
    pub version: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Why it was yanked, if it was.
    pub yanked: Option<String>,
    /// Tenants running it.
    pub tenants: u64,
    /// Its latest roll-out.
    pub rollout: Option<Rollout>,
}

/// A plugin's versions, roll-outs and tenants (platform admins).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginRollouts {
    /// The plugin.
    pub plugin_id: String,
    /// Its versions, newest first.
    pub versions: Vec<VersionRollout>,
    /// The tenants that run it.
    pub tenants: Vec<TenantOn>,
}

/// Platform admins' roll-out operations, for one caller.
#[derive(Clone, Copy, Debug)]
pub struct Rollouts<'a> {
    /// The database.
    pub db: &'a Db,
    /// This node's plugins (metering to flush, versions to load and sweep).
    pub plugins: &'a Plugins,
    /// What the audit log records of the caller.
    pub audit: &'a AuditCtx,
    /// The caller.
    pub actor: &'a Actor,
}

impl Rollouts<'_> {
    /// Starts rolling `version` out (platform admins): its first stage moves the named tenants.
    pub async fn start(&self, plugin: &str, version: &str, input: StartRollout) -> Result<Rollout> {
        let (db, plugins, audit_ctx, actor) = (self.db, self.plugins, self.audit, self.actor);
        require_platform_admin(actor)?;
        let user = actor.user()?;
        let margin = margin_bp(input.margin.unwrap_or(DEFAULT_MARGIN))?;
        let min_calls = input.min_calls.unwrap_or(DEFAULT_MIN_CALLS);
        if min_calls == 0 {
            return Err(Error::invalid_field("min_calls", "must be at least 1"));
        }
        // Every node's calls so far are the baseline; this node's unflushed ones too.
        plugins.metering().flush().await?;
        let digest = {
            let mut tx = db.system().await?;
            let (row, _, _) = live_version(&mut tx, plugin, version).await?;
            tx.commit().await?;
            row.digest
        };
        // This node must be able to run it before any tenant is moved to it.
        plugins.load(plugin, version, &digest).await?;
        let mut tx = db.system().await?;
        let (_, manifest, all) = live_version(&mut tx, plugin, version).await?;
        if let Some(active) = store::active_of(&mut tx, plugin).await? {
            return Err(Error::conflict(
                "rollout_active",
                format!(
                    "{plugin} {} is being rolled out; complete it or roll it back first.",
                    active.version
                ),
            ));
        }
        let named: Vec<TenantId> =
            input.tenants.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
        let known = store::existing_tenants(&mut tx, &named).await?;
        if let Some(unknown) = named.iter().find(|t| !known.contains(t)) {
            return Err(Error::invalid_field("tenants", format!("{unknown} is not a tenant")));
        }
        let previous = previous_approved(&all, &manifest.version).map(|(r, _)| r.version.clone());
        let base = version_health(tx.conn(), plugin, version).await?;
        let before = match &previous {
            Some(p) => version_health(tx.conn(), plugin, p).await?,
            None => Health::default(),
        };
        let i = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let rollout = RolloutRow {
            plugin_id: plugin.to_owned(),
            version: version.to_owned(),
            previous,
            status: "active".into(),
            percent: 0,
            named: serde_json::to_string(&named).map_err(|e| Error::Internal(e.to_string()))?,
            margin_bp: margin,
            min_calls: i(min_calls),
            base_invocations: i(base.invocations),
            base_failures: i(base.failures),
            base_trips: i(base.breaker_trips),
            previous_invocations: i(before.invocations),
            previous_failures: i(before.failures),
            previous_trips: i(before.breaker_trips),
            started_by: Some(user),
            started_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            ended_at: None,
            reason: None,
        };
        store::insert(&mut tx, &rollout).await?;
        let held = run_stage(&mut tx, audit_ctx, &rollout, &manifest).await?;
        let event = Event::new("plugin_rollout.started", "plugin", plugin).changes(serde_json::json!({
        "version": version, "previous": rollout.previous, "named": named, "margin": f64::from(margin) / 10_000.0,
        "min_calls": min_calls,
    }));
        audit::record_system(&mut tx, None, audit_ctx, event).await?;
        let rollout = rollout_row(&mut tx, plugin, version).await?;
        let out = view(&mut tx, &rollout, held).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A roll-out with its moves, held tenants and health (platform admins).
    pub async fn get(&self, plugin: &str, version: &str) -> Result<Rollout> {
        let (db, plugins, actor) = (self.db, self.plugins, self.actor);
        require_platform_admin(actor)?;
        plugins.metering().flush().await?;
        let mut tx = db.system().await?;
        let row = rollout_row(&mut tx, plugin, version).await?;
        let held = held_now(&mut tx, &row).await?;
        let out = view(&mut tx, &row, held).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Widens an active roll-out to `percent` of the tenants (platform admins); 100 completes it.
    /// It is judged first: a version doing worse than the previous one is rolled back instead
    /// (409 `rollout_rolled_back`, with the reason).
    pub async fn advance(&self, plugin: &str, version: &str, percent: u8) -> Result<Rollout> {
        let (db, plugins, audit_ctx, actor) = (self.db, self.plugins, self.audit, self.actor);
        require_platform_admin(actor)?;
        if percent > 100 {
            return Err(Error::invalid_field("percent", "must be from 0 to 100"));
        }
        plugins.metering().flush().await?;
        {
            let mut tx = db.system().await?;
            let row = rollout_row(&mut tx, plugin, version).await?;
            tx.commit().await?;
            if row.status != "active" {
                return Err(not_active(&row));
            }
            if i32::from(percent) < row.percent {
                return Err(Error::invalid_field(
                    "percent",
                    format!(
                        "the roll-out is at {}%; a stage only widens (roll back to narrow it)",
                        row.percent
                    ),
                ));
            }
        }
        if let Some(reason) = judge(db, plugin, version).await? {
            roll_back(db, plugins, audit_ctx, plugin, version, &reason, true).await?;
            return Err(Error::conflict(
                "rollout_rolled_back",
                format!("{plugin} {version} was rolled back instead: {reason}."),
            ));
        }
        let mut tx = db.system().await?;
        let (_, manifest, _) = live_version(&mut tx, plugin, version).await?;
        if !store::set_percent(&mut tx, plugin, version, i32::from(percent)).await? {
            let row = rollout_row(&mut tx, plugin, version).await?;
            return Err(not_active(&row));
        }
        let row = rollout_row(&mut tx, plugin, version).await?;
        let held = run_stage(&mut tx, audit_ctx, &row, &manifest).await?;
        let event = Event::new(
            if percent == 100 { "plugin_rollout.completed" } else { "plugin_rollout.advanced" },
            "plugin",
            plugin,
        )
        .changes(serde_json::json!({ "version": version, "percent": percent }));
        audit::record_system(&mut tx, None, audit_ctx, event).await?;
        let out = view(&mut tx, &row, held).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Rolls a roll-out back by hand (platform admins): every tenant it moved goes back to the
    /// version it came from.
    pub async fn rollback(&self, plugin: &str, version: &str, reason: &str) -> Result<Rollout> {
        let (db, plugins, audit_ctx, actor) = (self.db, self.plugins, self.audit, self.actor);
        require_platform_admin(actor)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid_field("reason", "say why, for the record"));
        }
        roll_back(db, plugins, audit_ctx, plugin, version, reason, false).await
    }

    /// Moves every tenant on `from` to `to` (platform admins), whatever range it follows: the way
    /// off a yanked or broken version. Tenants whose consent, plan or configuration does not allow
    /// `to` stay, and are listed.
    pub async fn move_tenants(&self, plugin: &str, from: &str, to: &str, reason: &str) -> Result<Moved> {
        let (db, plugins, audit_ctx, actor) = (self.db, self.plugins, self.audit, self.actor);
        require_platform_admin(actor)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid_field("reason", "say why, for the tenants moved"));
        }
        if from == to {
            return Err(Error::invalid_field("to", "is the version they run"));
        }
        let digest = {
            let mut tx = db.system().await?;
            version_row(&mut tx, plugin, from).await?;
            let (row, _, _) = live_version(&mut tx, plugin, to).await?;
            tx.commit().await?;
            row.digest
        };
        plugins.load(plugin, to, &digest).await?;
        let mut tx = db.system().await?;
        let (_, manifest, _) = live_version(&mut tx, plugin, to).await?;
        let everyone = ils_plugin_host::store::enabled_everywhere(tx.conn()).await?;
        let on_it: Vec<&EnablementRow> =
            everyone.iter().filter(|e| e.plugin_id == plugin && e.version == from).collect();
        let (ready, held) = sort_out(&mut tx, &manifest, on_it).await?;
        let mut out = Moved { moved: Vec::new(), held };
        for e in ready {
            let moved = PluginVersionMoved {
                plugin_id: plugin.to_owned(),
                from: from.to_owned(),
                to: to.to_owned(),
                by: "platform_admin".into(),
                reason: Some(reason.to_owned()),
            };
            if move_tenant(&mut tx, audit_ctx, &moved, e.tenant_id).await? {
                out.moved.push(e.tenant_id);
            }
        }
        let event = Event::new("plugin_version.tenants_moved", "plugin", plugin).changes(serde_json::json!({
            "from": from, "to": to, "reason": reason, "moved": out.moved.len(), "held": out.held.len(),
        }));
        audit::record_system(&mut tx, None, audit_ctx, event).await?;
        tx.commit().await?;
        if let Err(error) = plugins.sweep().await {
            tracing::warn!(%error, "sweeping unused plugin versions failed");
        }
        Ok(out)
    }

    /// Every version of `plugin` with its roll-out, and the tenants that run it (platform admins).
    pub async fn overview(&self, plugin: &str) -> Result<PluginRollouts> {
        let (db, plugins, actor) = (self.db, self.plugins, self.actor);
        require_platform_admin(actor)?;
        plugins.metering().flush().await?;
        let mut tx = db.system().await?;
        let rows = crate::store::versions(&mut tx, plugin).await?;
        if rows.is_empty() {
            return Err(Error::NotFound("plugin"));
        }
        let tenants: Vec<TenantOn> = store::tenants_of(&mut tx, plugin)
            .await?
            .into_iter()
            .map(|t| TenantOn {
                tenant_id: t.tenant_id,
                slug: t.slug,
                name: t.name,
                version: t.version,
                track: t.track,
            })
            .collect();
        let rollouts = store::rollouts_of(&mut tx, plugin).await?;
        let mut versions = Vec::with_capacity(rows.len());
        for row in &rows {
            let rollout = match rollouts.iter().find(|r| r.version == row.version) {
                Some(r) => {
                    let held = held_now(&mut tx, r).await?;
                    Some(view(&mut tx, r, held).await?)
                }
                None => None,
            };
            versions.push(VersionRollout {
                version: row.version.clone(),
                status: row.status.clone(),
                yanked: row.yank_reason.clone().filter(|_| row.yanked_at.is_some()),
                tenants: tenants.iter().filter(|t| t.version == row.version).count() as u64,
                rollout,
            });
        }
        tx.commit().await?;
        versions.sort_by(|a, b| {
            let v = |s: &str| Version::parse(s).ok();
            v(&b.version).cmp(&v(&a.version))
        });
        Ok(PluginRollouts { plugin_id: plugin.to_owned(), versions, tenants })
    }

    /// Every plugin id in the catalogue (platform admins), for the way to its versions.
    pub async fn plugin_ids(&self) -> Result<Vec<String>> {
        let (db, actor) = (self.db, self.actor);
        require_platform_admin(actor)?;
        let mut tx = db.system().await?;
        let ids = store::plugin_ids(&mut tx).await?;
        tx.commit().await?;
        Ok(ids)
    }
}
