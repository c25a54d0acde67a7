//! One `plugin.shopify_sync.sync_step` event does one bounded slice of the run in progress
//! ([`super::run`]) and, unless the run is finished, publishes the next step.
//!
//! | phase | one step |
//! |---|---|
//! | `export` | `bulkOperationRunQuery` (1 request, more only if THROTTLED) |
//! | `poll` | sleep [`BULK_POLL_INTERVAL`], poll `node(id:)` once |
//! | `match` | sync: download the JSONL (1 request), match, store the table; reconcile: re-match the stored variants |
//! | `push` | the next [`ITEMS_PER_STEP`] matched items in SKU order: read levels, set what differs (2 requests each) |
//!
//! Every slice stays inside one invocation: at most [`admin::STEP_REQUESTS`] requests (the host
//! allows 16) and [`admin::STEP_WAIT`] of waiting for Shopify's bucket; past either the client
//! answers `NextStep` and the slice ends where it is. Delivery is at least once, so a step whose
//! run or number is not the current one does nothing, and the run moves on by compare-and-set;
//! pushes carry the run's idempotency key and compare-and-swap, so a slice done twice sets
//! nothing twice. The statuses' pushes and counters are written by the delivery that wins.

use ils_plugin_sdk::Event;
use ils_plugin_sdk::host::{context, events, inventory};

use super::admin::{self, Admin, AdminError};
use super::clock;
use super::error::GlueError;
use super::run::{self, Phase, Run, RunKind, RunReport, STEP_KIND, Step};
use super::settings::Settings;
use super::state::{self, Table};
use super::status::{self, DriftLine, Listed, Matching, SyncReport};
use super::sync::{self, Converged};
use crate::graphql::bulk;
use crate::graphql::response::{BulkStartOutcome, BulkStatus};
use crate::ids::{IlsItemId, Sku};
use crate::sync::matching::{IlsItem, MatchReport, SkuMatch, match_by_sku};

/// Matched items pushed or checked per step: 2 requests each, 12 in all, under the host's 16.
pub const ITEMS_PER_STEP: usize = 6;
/// Bulk polls before giving up (one per step, about a second apart: some ten minutes).
pub const BULK_POLLS: u32 = 600;
/// The wait before each bulk poll, so polling steps do not spin.
pub const BULK_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Starts a run of `kind` (`POST /sync`, `POST /reconcile`, the nightly job).
pub fn begin(kind: RunKind, id: run::RunId) -> Result<run::Started, GlueError> {
    let now = context::now_ms();
    if kind == RunKind::Reconcile && state::load_table()?.is_none() {
        // The run in progress, if any, is the better answer: it is the sync that makes the table.
        if let Some(running) = run::running(now)? {
            return Ok(run::Started::Busy(running));
        }
        return Err(GlueError::Invalid("no match table yet: run a full sync first".into()));
    }
    run::start(kind, id, now)
}

/// How a slice left the run.
enum Flow {
    /// More to do: publish the next step.
    Continue,
    /// Done.
    Finished,
}

/// An item's push, recorded in the status once the slice is claimed.
struct Done {
    m: SkuMatch,
    converged: Converged,
}

/// `plugin.shopify_sync.sync_step`.
pub fn handle(event: &Event) -> Result<(), GlueError> {
    let step: Step = event.payload_as().map_err(|e| GlueError::Invalid(format!("sync_step payload: {e}")))?;
    let Some(run::Stored { raw, run: Some(current) }) = run::current()? else { return Ok(()) };
    if current.id != step.run || step.step < current.step {
        return Ok(()); // done already, or a replaced run's
    }
    if step.step > current.step {
        // Published by a step whose record is not stored yet: come back.
        return Err(GlueError::Conflict("the run in progress"));
    }
    let now = context::now_ms();
    let mut next = current.clone();
    let mut done = Vec::new();
    let flow = Settings::load().and_then(|settings| slice(&settings, &mut next, &mut done));
    match flow {
        Ok(Flow::Continue) => {
            next.step += 1;
            next.progressed_at_ms = now;
            // Published before the claim: if the claim is lost, the winner published the same.
            events::publish(STEP_KIND, &next.next_step())?;
            if !run::replace(&raw, Some(&next))? {
                return Ok(());
            }
        }
        // Shopify or ILS briefly unavailable: nothing is kept, the host delivers this step again.
        Err(e) if later(&e) => return Err(e),
        finished => {
            if !run::replace(&raw, None)? {
                return Ok(());
            }
            let why = finished.err().map(|e| e.to_string());
            if why.is_none() && next.kind == RunKind::Sync {
                state::clear_uninstalled()?;
            }
            record(&next, &done)?;
            return next.finish(now, why);
        }
    }
    record(&next, &done)
}

/// Whether a failed step should be delivered again rather than end the run.
fn later(e: &GlueError) -> bool {
    e.retryable() && !matches!(e, GlueError::Admin(AdminError::Throttled(_)))
}

fn record(run: &Run, done: &[Done]) -> Result<(), GlueError> {
    let trigger = match run.kind {
        RunKind::Sync => "full_sync",
        RunKind::Reconcile => "reconcile",
    };
    for d in done {
        sync::record(trigger, &d.m, &d.converged)?;
    }
    Ok(())
}

fn slice(settings: &Settings, run: &mut Run, done: &mut Vec<Done>) -> Result<Flow, GlueError> {
    let seed = format!("{}/{}", run.id, run.step);
    let mut admin = sync::admin_for(settings, &seed, &run.pacing)?;
    let flow = match run.phase {
        Phase::Export => export(&mut admin, run),
        Phase::Poll => poll(&mut admin, run),
        Phase::Match => match run.kind {
            RunKind::Sync => match_export(run),
            RunKind::Reconcile => rematch(run),
        },
        Phase::Push => push(&mut admin, settings, run, done),
    };
    run.pacing = admin.pacing();
    flow
}

/// `Ok(None)` when the client's share of this step is spent.
fn within<T>(result: Result<T, AdminError>) -> Result<Option<T>, GlueError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(AdminError::NextStep(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn export(admin: &mut Admin, run: &mut Run) -> Result<Flow, GlueError> {
    let Some(outcome) = within(admin.bulk_start())? else { return Ok(Flow::Continue) };
    match outcome {
        BulkStartOutcome::Started { id } => {
            run.bulk_operation = Some(id);
            run.enter(Phase::Poll)?;
            Ok(Flow::Continue)
        }
        BulkStartOutcome::Rejected(errors) => {
            let why: Vec<_> = errors.iter().map(|e| e.message.clone()).collect();
            Err(AdminError::Bulk(format!("Shopify refused to start it: {}", why.join("; "))).into())
        }
    }
}

fn poll(admin: &mut Admin, run: &mut Run) -> Result<Flow, GlueError> {
    let id =
        run.bulk_operation.clone().ok_or_else(|| GlueError::Invalid("no bulk operation to poll".into()))?;
    if run.polls >= BULK_POLLS {
        return Err(AdminError::Bulk(format!("not completed after {BULK_POLLS} polls")).into());
    }
    clock::sleep(BULK_POLL_INTERVAL);
    let Some(operation) = within(admin.bulk_status(&id))? else { return Ok(Flow::Continue) };
    run.polls += 1;
    match operation.status {
        BulkStatus::Completed => {
            // A completed export of an empty shop has no file.
            run.export_url = operation.url;
            run.enter(Phase::Match)?;
        }
        BulkStatus::Created | BulkStatus::Running => run.enter(Phase::Poll)?,
        other => {
            let code = operation.error_code.unwrap_or_default();
            return Err(AdminError::Bulk(format!("it ended {other:?} {code}")).into());
        }
    }
    Ok(Flow::Continue)
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

/// Sync: download the export, match it against ILS's catalogue, store the table.
fn match_export(run: &mut Run) -> Result<Flow, GlueError> {
    let jsonl = match &run.export_url {
        Some(url) => admin::download(url)?,
        None => String::new(),
    };
    let products = bulk::parse_products(&jsonl).map_err(|e| AdminError::Bulk(e.to_string()))?;
    let variants = bulk::variants(&products);
    let items = inventory::all_items()?;
    let matched = match_by_sku(&variants, &ils_side(&items));
    if let RunReport::Sync(report) = &mut run.report {
        report.shopify_variants = variants.len();
        report.ils_items = items.len();
        fill_match(report, &matched);
    }
    run.total = matched.matched.len();
    let now = context::now_ms();
    status::save_matching(&Matching::of(&matched, "full sync", now))?;
    state::save_table(&Table { variants, matches: matched.matched, at_ms: now })?;
    run.enter(Phase::Push)?;
    Ok(Flow::Continue)
}

/// Reconcile: re-match the stored variants against the catalogue (ILS items added since).
fn rematch(run: &mut Run) -> Result<Flow, GlueError> {
    let table = state::load_table()?
        .ok_or_else(|| GlueError::Invalid("no match table yet: run a full sync first".into()))?;
    let items = inventory::all_items()?;
    let matched = match_by_sku(&table.variants, &ils_side(&items));
    run.total = matched.matched.len();
    status::save_matching(&Matching::of(&matched, "reconciliation", context::now_ms()))?;
    if matched.matched != table.matches {
        state::save_table(&Table { matches: matched.matched, at_ms: context::now_ms(), ..table })?;
    }
    run.enter(Phase::Push)?;
    Ok(Flow::Continue)
}

/// The next matched items after the cursor: levels read, drift set, tallied in the report.
fn push(
    admin: &mut Admin,
    settings: &Settings,
    run: &mut Run,
    done: &mut Vec<Done>,
) -> Result<Flow, GlueError> {
    let table = state::load_table()?.unwrap_or_default();
    let cursor = Sku::parse(run.cursor.as_deref());
    let after = |m: &&SkuMatch| cursor.as_ref().is_none_or(|c| &m.sku > c);
    let todo: Vec<SkuMatch> = table.matches.iter().filter(after).take(ITEMS_PER_STEP + 1).cloned().collect();
    for (n, m) in todo.iter().enumerate() {
        if n == ITEMS_PER_STEP || admin.requests_left() < 2 {
            return Ok(Flow::Continue);
        }
        // Wait for room for the whole item, so a slice never reads and then cannot set.
        if within(admin.pace(admin::ITEM_COST))?.is_none() {
            return Ok(Flow::Continue);
        }
        let ils = sync::ils_levels(m)?;
        let result = sync::converge(admin, m, &settings.locations, &ils, &run.id.0, None);
        let Some(c) = within(result)? else { return Ok(Flow::Continue) };
        tally(&mut run.report, &c);
        run.cursor = Some(m.sku.as_str().to_owned());
        run.done += 1;
        run.enter(Phase::Push)?;
        done.push(Done { m: m.clone(), converged: c });
    }
    Ok(Flow::Finished)
}

fn tally(report: &mut RunReport, c: &Converged) {
    match report {
        RunReport::Sync(report) => {
            report.pushed += c.set.len();
            report.already_equal += usize::from(c.drift.is_empty());
            c.not_stocked.iter().for_each(|s| report.not_stocked_in_shopify.add(s.clone()));
            c.untracked.iter().for_each(|s| report.untracked_in_shopify.add(s.clone()));
            if let Some(why) = &c.failed {
                report.failed.add(why.clone());
            }
        }
        RunReport::Reconcile(report) => {
            report.checked += 1;
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
            c.not_stocked.iter().for_each(|s| report.not_stocked_in_shopify.add(s.clone()));
            c.untracked.iter().for_each(|s| report.untracked_in_shopify.add(s.clone()));
            for location in &c.unmapped {
                if !report.unmapped_locations.contains(location) {
                    report.unmapped_locations.push(location.clone());
                    report.unmapped_locations.sort();
                }
            }
            if let Some(why) = &c.failed {
                report.failed.add(why.clone());
            }
        }
    }
}
