//! Putting ILS's quantities into Shopify: one matched item at a time, for the slices of a full
//! sync or reconciliation ([`super::steps`]) and for the push after one ILS stock change.
//!
//! Every push is the same loop, [`converge`]: read the item's levels, let the core's
//! [`drift`] say what differs, set those with `changeFromQuantity` = the value read (the core's
//! [`Drift::fix`]); if Shopify answers `CHANGE_FROM_QUANTITY_STALE` (a sale raced the push),
//! read again and retry, at most [`STALE_RETRIES`] times. ILS is the source of truth; a sale
//! made in Shopify meanwhile is never overwritten, it comes to ILS as an order.

use std::collections::BTreeMap;

use ils_plugin_sdk::Event;
use ils_plugin_sdk::host::{context, inventory};
use serde::Deserialize;

use super::admin::{Admin, AdminError, Pacing};
use super::error::GlueError;
use super::settings::Settings;
use super::state;
use super::status::{self, Push};
use crate::graphql::response::{Level, SetQuantitiesOutcome};
use crate::ids::{IlsItemId, IlsLocationId};
use crate::sync::drift::{Drift, drift};
use crate::sync::locations::LocationMap;
use crate::sync::matching::SkuMatch;

/// Re-reads after `CHANGE_FROM_QUANTITY_STALE` before giving up on an item.
pub const STALE_RETRIES: u32 = 3;

/// ILS quantities by item and location.
pub type IlsQuantities = BTreeMap<(IlsItemId, IlsLocationId), i64>;

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

/// Records one item's push in the status.
pub fn record(trigger: &str, m: &SkuMatch, c: &Converged) -> Result<(), GlueError> {
    status::pushes(push_entries(trigger, m, c))?;
    let set = c.set.len() as u64;
    if set > 0 {
        status::count(|n| n.quantities_pushed += set)?;
    }
    if let Some(why) = &c.failed {
        status::error(why);
    }
    Ok(())
}

/// A client for this invocation, carrying on from `pacing`; `salt` varies the retry jitter.
pub fn admin_for(settings: &Settings, salt: &str, pacing: &Pacing) -> Result<Admin, GlueError> {
    let seed = salt.bytes().fold(context::now_ms() as u64, |h, b| h.rotate_left(5) ^ u64::from(b));
    Ok(Admin::resume(&settings.shop, settings.access_token()?, seed, pacing))
}

/// ILS's quantities of one matched item at every location, read now.
pub fn ils_levels(m: &SkuMatch) -> Result<IlsQuantities, GlueError> {
    Ok(inventory::stock_by_sku(m.sku.as_str())?
        .into_iter()
        .filter(|l| l.item_id == m.ils_item.0)
        .map(|l| ((m.ils_item.clone(), IlsLocationId(l.location_id)), l.on_hand))
        .collect())
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
    let mut admin = admin_for(settings, run, &Pacing::default())?;
    let c = converge(&mut admin, m, &single, &ils, run, None)?;
    record(trigger, m, &c)
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
