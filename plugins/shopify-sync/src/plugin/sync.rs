//! Putting ILS's quantities into Shopify: the full sync (bulk export → match → push), the
//! reconciliation (read levels → drift → fix), and the push after one ILS stock change.
//!
//! Every push is the same loop, [`converge`]: read the item's levels, let the core's
//! [`drift`] say what differs, set those with `changeFromQuantity` = the value read (the core's
//! [`Drift::fix`]); if Shopify answers `CHANGE_FROM_QUANTITY_STALE` (a sale raced the push),
//! read again and retry, at most [`STALE_RETRIES`] times. ILS is the source of truth; a sale
//! made in Shopify meanwhile is never overwritten, it comes to ILS as an order.

use std::collections::BTreeMap;
use std::time::Duration;

use ils_plugin_sdk::Event;
use ils_plugin_sdk::host::{context, inventory};
use serde::Deserialize;

use super::admin::{self, Admin, AdminError};
use super::clock;
use super::error::GlueError;
use super::settings::Settings;
use super::state::{self, Table};
use super::status::{self, DriftLine, Listed, Push, ReconcileReport, SyncReport};
use crate::graphql::bulk;
use crate::graphql::response::{BulkStartOutcome, BulkStatus, Level, SetQuantitiesOutcome};
use crate::ids::{IlsItemId, IlsLocationId};
use crate::sync::drift::{Drift, drift};
use crate::sync::locations::LocationMap;
use crate::sync::matching::{IlsItem, MatchReport, SkuMatch, match_by_sku};

/// Re-reads after `CHANGE_FROM_QUANTITY_STALE` before giving up on an item.
pub const STALE_RETRIES: u32 = 3;
/// Bulk polls before giving up.
pub const BULK_POLLS: u32 = 30;
/// Wait between bulk polls.
pub const BULK_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// ILS quantities by item and location.
type IlsQuantities = BTreeMap<(IlsItemId, IlsLocationId), i64>;

/// What [`converge`] did for one item.
#[derive(Debug, Default)]
pub struct Converged {
    /// What differed when first read.
    pub drift: Vec<Drift>,
    /// Whether Shopify now holds ILS's quantities (nothing differed, or the set was applied).
    pub converged: bool,
    /// Quantities set.
    pub set: Vec<Drift>,
    /// Not stocked in Shopify at a mapped location where ILS holds some.
    pub not_stocked: Vec<String>,
    /// Not tracked by Shopify.
    pub untracked: Vec<String>,
    /// Shopify locations holding the item that are not mapped.
    pub unmapped: Vec<String>,
    /// Why it could not be set.
    pub failed: Option<String>,
}

/// Makes Shopify hold ILS's quantities of `m` at the locations of `locations`.
pub fn converge(
    admin: &mut Admin,
    m: &SkuMatch,
    locations: &LocationMap,
    ils: &IlsQuantities,
    run: &str,
    levels: Option<Vec<Level>>,
) -> Result<Converged, AdminError> {
    let levels = match levels {
        Some(levels) => levels,
        None => admin.levels(m.inventory_item)?,
    };
    let mut report = drift(std::slice::from_ref(m), locations, ils, &levels);
    let mut out = Converged {
        drift: report.drifts.clone(),
        not_stocked: report
            .not_stocked_in_shopify
            .iter()
            .map(|(sku, l, q)| format!("{sku} at {l} (ILS {q})"))
            .collect(),
        untracked: report.untracked_in_shopify.iter().map(|(sku, l)| format!("{sku} at {l}")).collect(),
        unmapped: report.unmapped_locations.iter().map(ToString::to_string).collect(),
        ..Converged::default()
    };
    for attempt in 0..=STALE_RETRIES {
        if report.drifts.is_empty() {
            out.converged = true;
            return Ok(out);
        }
        let fixes: Vec<_> = report.drifts.iter().map(Drift::fix).collect();
        match admin.set_quantities(run, &fixes)? {
            SetQuantitiesOutcome::Applied { .. } => {
                out.set = report.drifts;
                out.converged = true;
                return Ok(out);
            }
            outcome if outcome.is_stale() && attempt < STALE_RETRIES => {
                report = drift(std::slice::from_ref(m), locations, ils, &admin.levels(m.inventory_item)?);
            }
            outcome if outcome.is_stale() => break,
            SetQuantitiesOutcome::Rejected(errors) => {
                let why: Vec<_> = errors.iter().map(|e| e.message.clone()).collect();
                out.failed = Some(format!("{}: Shopify refused the quantity: {}", m.sku, why.join("; ")));
                return Ok(out);
            }
        }
    }
    out.failed =
        Some(format!("{}: Shopify's quantity kept changing (stale after {STALE_RETRIES} re-reads)", m.sku));
    Ok(out)
}

fn push_entries(trigger: &str, m: &SkuMatch, c: &Converged) -> Vec<Push> {
    let now = context::now_ms();
    let outcome = if c.converged { "set".to_owned() } else { c.failed.clone().unwrap_or_default() };
    let shown = if c.converged { &c.set } else { &c.drift };
    shown
        .iter()
        .map(|d| Push {
            at_ms: now,
            trigger: trigger.to_owned(),
            sku: m.sku.to_string(),
            shopify_location_id: d.location.to_string(),
            ils_location_id: d.ils_location.0.clone(),
            from: d.shopify_available,
            to: d.ils_quantity,
            outcome: outcome.clone(),
        })
        .collect()
}

/// Records one item's push in the status (an error is reported by whoever runs the run).
fn record(trigger: &str, m: &SkuMatch, result: &Result<Converged, AdminError>) -> Result<(), GlueError> {
    if let Ok(c) = result {
        status::pushes(push_entries(trigger, m, c))?;
        let set = c.set.len() as u64;
        if set > 0 {
            status::count(|n| n.quantities_pushed += set)?;
        }
        if let Some(why) = &c.failed {
            status::error(why);
        }
    }
    Ok(())
}

fn admin_for(settings: &Settings, salt: &str) -> Result<Admin, GlueError> {
    let seed = salt.bytes().fold(context::now_ms() as u64, |h, b| h.rotate_left(5) ^ u64::from(b));
    Ok(Admin::new(&settings.shop, settings.access_token()?, seed))
}

fn quantities(items: &[inventory::CatalogueItem]) -> IlsQuantities {
    items
        .iter()
        .flat_map(|i| i.levels.iter())
        .map(|l| ((IlsItemId(l.item_id.clone()), IlsLocationId(l.location_id.clone())), l.on_hand))
        .collect()
}

fn ils_side(items: &[inventory::CatalogueItem]) -> Vec<IlsItem> {
    items.iter().map(|i| IlsItem { id: IlsItemId(i.id.clone()), sku: Some(i.sku.clone()) }).collect()
}

fn fill_match(report: &mut SyncReport, matched: &MatchReport) {
    report.matched = matched.matched.len();
    report.missing_in_ils = Listed::of(matched.missing_in_ils.iter().map(|(s, _)| s.to_string()));
    report.missing_in_shopify = Listed::of(matched.missing_in_shopify.iter().map(|(s, _)| s.to_string()));
    report.duplicated_in_shopify =
        Listed::of(matched.duplicated_in_shopify.iter().map(|(s, _)| s.to_string()));
    report.duplicated_in_ils = Listed::of(matched.duplicated_in_ils.iter().map(|(s, _)| s.to_string()));
    report.empty_sku_in_shopify = matched.empty_sku_in_shopify.len();
    report.empty_sku_in_ils = matched.empty_sku_in_ils.len();
}

/// Runs the bulk products export and returns its JSONL.
fn export(admin: &mut Admin) -> Result<String, AdminError> {
    let id = match admin.bulk_start()? {
        BulkStartOutcome::Started { id } => id,
        BulkStartOutcome::Rejected(errors) => {
            let why: Vec<_> = errors.iter().map(|e| e.message.clone()).collect();
            return Err(AdminError::Bulk(format!("Shopify refused to start it: {}", why.join("; "))));
        }
    };
    for _ in 0..BULK_POLLS {
        clock::sleep(BULK_POLL_INTERVAL);
        let operation = admin.bulk_status(&id)?;
        match operation.status {
            BulkStatus::Completed => {
                // A completed export of an empty shop has no file.
                return match operation.url {
                    Some(url) => admin::download(&url),
                    None => Ok(String::new()),
                };
            }
            BulkStatus::Created | BulkStatus::Running => {}
            other => {
                let code = operation.error_code.unwrap_or_default();
                return Err(AdminError::Bulk(format!("it ended {other:?} {code}")));
            }
        }
    }
    Err(AdminError::Bulk(format!("not completed after {BULK_POLLS} polls")))
}

/// `POST /sync`: export, match, store the table, push ILS's quantities. The report is stored
/// whether or not it completes; what was pushed stays pushed.
pub fn full_sync(settings: &Settings) -> Result<SyncReport, GlueError> {
    let now = context::now_ms();
    let run = format!("sync-{now}");
    let mut report = SyncReport { at_ms: now, ..SyncReport::default() };
    let result = run_full_sync(settings, &run, &mut report);
    match &result {
        Ok(()) => {
            report.completed = true;
            state::clear_uninstalled()?;
        }
        Err(e) => {
            report.stopped = Some(e.to_string());
            status::error(&format!("full sync stopped: {e}"));
        }
    }
    status::save_sync(&report)?;
    result.map(|()| report)
}

fn run_full_sync(settings: &Settings, run: &str, report: &mut SyncReport) -> Result<(), GlueError> {
    let mut admin = admin_for(settings, run)?;
    let products = bulk::parse_products(&export(&mut admin)?).map_err(|e| AdminError::Bulk(e.to_string()))?;
    let variants = bulk::variants(&products);
    let items = inventory::all_items()?;
    let matched = match_by_sku(&variants, &ils_side(&items));
    report.shopify_variants = variants.len();
    report.ils_items = items.len();
    fill_match(report, &matched);
    state::save_table(&Table { variants, matches: matched.matched.clone(), at_ms: context::now_ms() })?;

    let ils = quantities(&items);
    for m in &matched.matched {
        let result = converge(&mut admin, m, &settings.locations, &ils, run, None);
        record("full_sync", m, &result)?;
        let c = result?;
        report.pushed += c.set.len();
        report.already_equal += usize::from(c.drift.is_empty());
        c.not_stocked.into_iter().for_each(|s| report.not_stocked_in_shopify.add(s));
        c.untracked.into_iter().for_each(|s| report.untracked_in_shopify.add(s));
        if let Some(why) = c.failed {
            report.failed.add(why);
        }
    }
    Ok(())
}

/// `POST /reconcile` and the nightly job: re-match the stored variants against ILS's catalogue,
/// read Shopify's levels of every matched item, report drift, and fix it.
pub fn reconcile(settings: &Settings, run: &str) -> Result<ReconcileReport, GlueError> {
    let mut report = ReconcileReport { at_ms: context::now_ms(), ..ReconcileReport::default() };
    let result = run_reconcile(settings, run, &mut report);
    match &result {
        Ok(()) => report.completed = true,
        Err(e) => {
            report.stopped = Some(e.to_string());
            status::error(&format!("reconciliation stopped: {e}"));
        }
    }
    status::save_reconcile(&report)?;
    result.map(|()| report)
}

fn run_reconcile(settings: &Settings, run: &str, report: &mut ReconcileReport) -> Result<(), GlueError> {
    let table = state::load_table()?
        .ok_or_else(|| GlueError::Invalid("no match table yet: run a full sync first".into()))?;
    let items = inventory::all_items()?;
    let matched = match_by_sku(&table.variants, &ils_side(&items));
    if matched.matched != table.matches {
        state::save_table(&Table { matches: matched.matched.clone(), at_ms: context::now_ms(), ..table })?;
    }
    let ils = quantities(&items);
    let mut unmapped = std::collections::BTreeSet::new();
    let mut admin = admin_for(settings, run)?;
    for m in &matched.matched {
        report.checked += 1;
        let result = converge(&mut admin, m, &settings.locations, &ils, run, None);
        record("reconcile", m, &result)?;
        let c = result?;
        report.drift_count += c.drift.len();
        for d in &c.drift {
            if report.drift.len() < status::DRIFT_LINES {
                report.drift.push(DriftLine {
                    sku: d.sku.to_string(),
                    shopify_location_id: d.location.to_string(),
                    ils_location_id: d.ils_location.0.clone(),
                    ils_quantity: d.ils_quantity,
                    shopify_quantity: d.shopify_available,
                    fixed: c.converged,
                });
            }
        }
        c.not_stocked.into_iter().for_each(|s| report.not_stocked_in_shopify.add(s));
        c.untracked.into_iter().for_each(|s| report.untracked_in_shopify.add(s));
        unmapped.extend(c.unmapped);
        if let Some(why) = c.failed {
            report.failed.add(why);
        }
    }
    report.unmapped_locations = unmapped.into_iter().collect();
    Ok(())
}

/// ILS's quantity of one matched item at one location, read now (absent: 0).
fn ils_quantity(m: &SkuMatch, location: &IlsLocationId) -> Result<IlsQuantities, GlueError> {
    let on_hand = inventory::stock_by_sku(m.sku.as_str())?
        .into_iter()
        .find(|l| l.item_id == m.ils_item.0 && l.location_id == location.0)
        .map_or(0, |l| l.on_hand);
    Ok(BTreeMap::from([((m.ils_item.clone(), location.clone()), on_hand)]))
}

/// Pushes ILS's current quantity of `m` at one mapped location (`stock.changed`, or drift seen in
/// `inventory_levels/update`).
pub fn push_one(
    settings: &Settings,
    m: &SkuMatch,
    ils_location: &IlsLocationId,
    run: &str,
    trigger: &str,
) -> Result<(), GlueError> {
    let Some(shopify_location) = settings.locations.shopify(ils_location) else { return Ok(()) };
    let single = LocationMap::new([(shopify_location, ils_location.clone())])
        .map_err(|e| GlueError::Invalid(e.to_string()))?;
    let ils = ils_quantity(m, ils_location)?;
    let mut admin = admin_for(settings, run)?;
    let result = converge(&mut admin, m, &single, &ils, run, None);
    record(trigger, m, &result)?;
    result?;
    Ok(())
}

/// What `stock.changed` carries that the push needs.
#[derive(Deserialize)]
struct StockChanged {
    item_id: String,
    location_id: String,
}

/// `stock.changed`: if the item is matched and the location mapped, push ILS's quantity.
pub fn on_stock_changed(event: &Event) -> Result<(), GlueError> {
    if state::uninstalled()?.is_some() {
        return Ok(());
    }
    let changed: StockChanged =
        event.payload_as().map_err(|e| GlueError::Invalid(format!("stock.changed payload: {e}")))?;
    let settings = Settings::load()?;
    let location = IlsLocationId(changed.location_id);
    if settings.locations.shopify(&location).is_none() {
        return Ok(());
    }
    let Some(table) = state::load_table()? else { return Ok(()) };
    let Some(m) = table.by_item(&IlsItemId(changed.item_id)) else { return Ok(()) };
    push_one(&settings, m, &location, &format!("stock-{}", event.id), "stock.changed")
}
