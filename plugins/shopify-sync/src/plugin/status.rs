//! What the plugin reports: counters, bounded lists of recent errors, pushes and skipped lines,
//! and the reports of the last full sync and reconciliation, each under its own `status/` key so
//! concurrent invocations do not overwrite each other's (lists and counters change by
//! compare-and-set).

use ils_plugin_sdk::host::{context, inventory, kv};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::GlueError;
use super::settings::Settings;
use super::{run, state};
use crate::sync::matching::MatchReport;

const COUNTERS: &str = "status/counters";
const ERRORS: &str = "status/errors";
const PUSHES: &str = "status/pushes";
const SKIPPED: &str = "status/skipped";
const SYNC: &str = "status/sync";
const RECONCILE: &str = "status/reconcile";
const MATCHING: &str = "status/matching";

/// Entries kept in each recent list.
pub const RECENT: usize = 25;
/// SKUs named in each list of a report (the count is always whole).
pub const NAMED: usize = 50;

/// Counters shown by `GET /status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Deliveries verified and queued.
    pub webhooks_handled: u64,
    /// Deliveries answered as duplicates.
    pub webhooks_duplicate: u64,
    /// Deliveries refused (signature, shop or headers).
    pub webhooks_refused: u64,
    /// Stock movements recorded in ILS.
    pub movements_applied: u64,
    /// Stock movements ILS already had (same key).
    pub movements_already_applied: u64,
    /// Quantities set in Shopify.
    pub quantities_pushed: u64,
}

fn read<T: DeserializeOwned + Default>(key: &str) -> Result<(Option<Vec<u8>>, T), GlueError> {
    let raw = kv::get(key)?;
    let value = raw.as_deref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
    Ok((raw, value))
}

/// Changes the value under `key` by compare-and-set, retrying a few times on a race.
fn update<T: DeserializeOwned + Serialize + Default>(
    key: &str,
    change: impl Fn(&mut T),
) -> Result<(), GlueError> {
    for _ in 0..8 {
        let (raw, mut value) = read::<T>(key)?;
        change(&mut value);
        let bytes = serde_json::to_vec(&value).map_err(|e| GlueError::Invalid(e.to_string()))?;
        if kv::compare_and_set(key, raw.as_deref(), Some(&bytes))? {
            return Ok(());
        }
    }
    Err(GlueError::Conflict("the plugin's status"))
}

/// Adds to the counters.
pub fn count(change: impl Fn(&mut Counters)) -> Result<(), GlueError> {
    update(COUNTERS, change)
}

fn push_recent<T: Serialize>(key: &str, entries: Vec<T>) -> Result<(), GlueError> {
    if entries.is_empty() {
        return Ok(());
    }
    let entries: Vec<Value> = entries.into_iter().filter_map(|e| serde_json::to_value(e).ok()).collect();
    update::<Vec<Value>>(key, |list| {
        for entry in entries.iter().rev() {
            list.insert(0, entry.clone());
        }
        list.truncate(RECENT);
    })
}

/// Records an error for the tenant to see (newest first, bounded). Never fails the caller: a
/// status that cannot be written must not hide the error it reports.
pub fn error(message: &str) {
    let entry = json!({ "at_ms": context::now_ms(), "message": message });
    let _ = push_recent(ERRORS, vec![entry]);
}

/// One quantity the plugin set, or tried to set, in Shopify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    /// When (Unix ms).
    pub at_ms: i64,
    /// What caused it: `full_sync`, `reconcile`, `stock.changed`, `inventory_levels/update`.
    pub trigger: String,
    /// The SKU.
    pub sku: String,
    /// The Shopify location.
    pub shopify_location_id: String,
    /// The ILS location.
    pub ils_location_id: String,
    /// Shopify's `available` before.
    pub from: i64,
    /// ILS's quantity, set in Shopify.
    pub to: i64,
    /// `set`, or why not.
    pub outcome: String,
}

/// Records pushes (newest first, bounded).
pub fn pushes(entries: Vec<Push>) -> Result<(), GlueError> {
    push_recent(PUSHES, entries)
}

/// An order line that moved no stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedLine {
    /// When (Unix ms).
    pub at_ms: i64,
    /// The Shopify order.
    pub order_id: String,
    /// The order line.
    pub line_id: String,
    /// Why.
    pub reason: String,
}

/// Records skipped lines (newest first, bounded).
pub fn skipped(entries: Vec<SkippedLine>) -> Result<(), GlueError> {
    push_recent(SKIPPED, entries)
}

/// A list in a report: the whole count, and the first [`NAMED`] entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    /// How many.
    pub count: usize,
    /// The first of them.
    pub first: Vec<String>,
}

impl Listed {
    /// From every entry.
    pub fn of(all: impl IntoIterator<Item = String>) -> Self {
        let mut listed = Self::default();
        for entry in all {
            listed.add(entry);
        }
        listed
    }

    /// Adds one entry.
    pub fn add(&mut self, entry: String) {
        self.count += 1;
        if self.first.len() < NAMED {
            self.first.push(entry);
        }
    }
}

/// The last full sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// When it started (Unix ms).
    pub at_ms: i64,
    /// When it ended (Unix ms).
    pub finished_at_ms: Option<i64>,
    /// Whether it ran to the end.
    pub completed: bool,
    /// Why it stopped early.
    pub stopped: Option<String>,
    /// Variants in the export.
    pub shopify_variants: usize,
    /// Items in ILS's catalogue.
    pub ils_items: usize,
    /// SKUs matched.
    pub matched: usize,
    /// SKUs only Shopify has.
    pub missing_in_ils: Listed,
    /// SKUs only ILS has.
    pub missing_in_shopify: Listed,
    /// SKUs held by several Shopify variants (never guessed).
    pub duplicated_in_shopify: Listed,
    /// SKUs held by several ILS items (never guessed).
    pub duplicated_in_ils: Listed,
    /// Shopify variants without a SKU.
    pub empty_sku_in_shopify: usize,
    /// ILS items without a SKU.
    pub empty_sku_in_ils: usize,
    /// Quantities set in Shopify to ILS's.
    pub pushed: usize,
    /// Levels already equal.
    pub already_equal: usize,
    /// Matched items not stocked in Shopify at a mapped location where ILS holds some.
    pub not_stocked_in_shopify: Listed,
    /// Matched items Shopify does not track.
    pub untracked_in_shopify: Listed,
    /// Items whose push failed, with why.
    pub failed: Listed,
}

/// One drift a reconciliation found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftLine {
    /// The SKU.
    pub sku: String,
    /// The Shopify location.
    pub shopify_location_id: String,
    /// The ILS location.
    pub ils_location_id: String,
    /// ILS's quantity.
    pub ils_quantity: i64,
    /// Shopify's `available` when read.
    pub shopify_quantity: i64,
    /// Whether Shopify now holds ILS's quantity.
    pub fixed: bool,
}

/// The last reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileReport {
    /// When it started (Unix ms).
    pub at_ms: i64,
    /// When it ended (Unix ms).
    pub finished_at_ms: Option<i64>,
    /// Whether it ran to the end.
    pub completed: bool,
    /// Why it stopped early.
    pub stopped: Option<String>,
    /// Matched items checked.
    pub checked: usize,
    /// Drifts found (the first 200), each with whether it was fixed.
    pub drift: Vec<DriftLine>,
    /// How many drifts in all.
    pub drift_count: usize,
    /// Matched items not stocked in Shopify at a mapped location where ILS holds some.
    pub not_stocked_in_shopify: Listed,
    /// Matched items Shopify does not track.
    pub untracked_in_shopify: Listed,
    /// Shopify locations holding matched items that are not mapped.
    pub unmapped_locations: Vec<String>,
    /// Items whose fix failed, with why.
    pub failed: Listed,
}

/// What the live match table leaves unmatched, as of its last matching — a full sync, a product
/// webhook or a reconciliation. SKUs on several variants or items are reported here, never
/// guessed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matching {
    /// When (Unix ms).
    pub at_ms: i64,
    /// What matched it: `full sync`, `products/update`, `products/delete`, `reconciliation`.
    pub cause: String,
    /// SKUs matched.
    pub matched: usize,
    /// SKUs only Shopify has.
    pub missing_in_ils: Listed,
    /// SKUs only ILS has.
    pub missing_in_shopify: Listed,
    /// SKUs held by several Shopify variants.
    pub duplicated_in_shopify: Listed,
    /// SKUs held by several ILS items.
    pub duplicated_in_ils: Listed,
}

impl Matching {
    /// The summary of the core's match report.
    pub fn of(report: &MatchReport, cause: &str, at_ms: i64) -> Self {
        Self {
            at_ms,
            cause: cause.to_owned(),
            matched: report.matched.len(),
            missing_in_ils: Listed::of(report.missing_in_ils.iter().map(|(s, _)| s.to_string())),
            missing_in_shopify: Listed::of(report.missing_in_shopify.iter().map(|(s, _)| s.to_string())),
            duplicated_in_shopify: Listed::of(
                report.duplicated_in_shopify.iter().map(|(s, _)| s.to_string()),
            ),
            duplicated_in_ils: Listed::of(report.duplicated_in_ils.iter().map(|(s, _)| s.to_string())),
        }
    }
}

/// Stores what the live match table leaves unmatched.
pub fn save_matching(matching: &Matching) -> Result<(), GlueError> {
    let bytes = serde_json::to_vec(matching).map_err(|e| GlueError::Invalid(e.to_string()))?;
    Ok(kv::set(MATCHING, &bytes)?)
}

/// Drift lines kept in a report.
pub const DRIFT_LINES: usize = 200;

/// Stores the last full sync's report.
pub fn save_sync(report: &SyncReport) -> Result<(), GlueError> {
    let bytes = serde_json::to_vec(report).map_err(|e| GlueError::Invalid(e.to_string()))?;
    Ok(kv::set(SYNC, &bytes)?)
}

/// Stores the last reconciliation's report.
pub fn save_reconcile(report: &ReconcileReport) -> Result<(), GlueError> {
    let bytes = serde_json::to_vec(report).map_err(|e| GlueError::Invalid(e.to_string()))?;
    Ok(kv::set(RECONCILE, &bytes)?)
}

fn stored(key: &str) -> Result<Value, GlueError> {
    Ok(kv::get(key)?.and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null))
}

/// The `GET /status` document.
pub fn document() -> Result<Value, GlueError> {
    let settings = Settings::load();
    let uninstalled = state::uninstalled()?;
    let (_, counters) = read::<Counters>(COUNTERS)?;
    let reconcile: Option<ReconcileReport> =
        kv::get(RECONCILE)?.and_then(|b| serde_json::from_slice(&b).ok());
    let table = state::load_table()?;
    let names = inventory::locations().unwrap_or_default();
    let locations: Vec<Value> = match &settings {
        Ok(s) => s
            .locations
            .pairs()
            .map(|(shopify, ils)| {
                let drift = reconcile.as_ref().map(|r| {
                    let lines = r.drift.iter().filter(|d| d.ils_location_id == ils.0);
                    let fixed = lines.clone().filter(|d| d.fixed).count();
                    json!({ "found": lines.count(), "fixed": fixed })
                });
                json!({
                    "shopify_location_id": shopify.to_string(),
                    "ils_location_id": ils.0,
                    "ils_location_name": names.iter().find(|l| l.id == ils.0).map(|l| l.name.clone()),
                    "matched_items_synced": table.as_ref().map_or(0, |t| t.matches.len()),
                    "drift_at_last_reconciliation": drift,
                })
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    Ok(json!({
        "shop": settings.as_ref().ok().map(|s| s.shop.to_string()),
        "configuration_error": settings.as_ref().err().map(ToString::to_string),
        "installed": uninstalled.is_none(),
        "uninstalled_at_ms": uninstalled,
        "match_table": table.as_ref().map(|t| json!({
            "at_ms": t.at_ms, "variants": t.variants.len(), "matched": t.matches.len(),
        })),
        "matching": stored(MATCHING)?,
        "running": run::current()?.and_then(|s| s.run).map(|run| run.summary()),
        "last_full_sync": stored(SYNC)?,
        "last_reconciliation": reconcile,
        "webhooks": {
            "handled": counters.webhooks_handled,
            "duplicates": counters.webhooks_duplicate,
            "refused": counters.webhooks_refused,
        },
        "movements": {
            "applied": counters.movements_applied,
            "already_applied": counters.movements_already_applied,
        },
        "quantities_pushed": counters.quantities_pushed,
        "recent_errors": stored(ERRORS)?,
        "recent_pushes": stored(PUSHES)?,
        "recent_skipped_lines": stored(SKIPPED)?,
        "locations": locations,
    }))
}
