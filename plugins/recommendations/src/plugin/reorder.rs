//! `reorder`: for each item and location with demand, a forecast of weekly demand from the
//! tenant's stock ledger, the supplier's lead time from its purchase orders, and the reorder point
//! and quantity that reach the fill-rate target. An item whose stock position (on hand plus open
//! purchase orders, drafts included) is at or below its suggested reorder point gets a proposed
//! draft purchase order to its last supplier; one whose catalogue reorder point differs from the
//! suggestion gets the suggestion, without an action.
//!
//! Demand is what left stock for customers or use: sales, and adjustments that took stock away
//! (used, damaged, lost); customer returns give demand back. Transfers, receipts and counts are
//! not demand.

use std::collections::{BTreeMap, HashMap};

use ils_plugin_sdk::host::reports::{MovementRow, Period, PurchaseOrderRow};
use ils_plugin_sdk::host::{inventory, reports};
use ils_plugin_sdk::{DraftPurchaseOrder, Error, ProposedAction, PurchaseLine, Recommendation};
use serde::Deserialize;

use super::{DAY_MS, date_of, day_text, figure, history_end, input, words};
use crate::forecast::{DemandHistory, forecast};
use crate::reorder::{
    DEFAULT_COVER_PERIODS, OrderQuantityRule, PurchaseOrder, ReorderQuery, ServiceTarget, lead_time,
    reorder_point,
};

/// The fill rate aimed for unless the input names one.
pub const DEFAULT_FILL_RATE: f64 = 0.98;
/// Weeks of history read unless the input names a number.
pub const DEFAULT_WEEKS: u32 = 52;
/// Days of purchase orders read for lead times and open orders.
pub const PURCHASE_HISTORY_DAYS: i64 = 730;
/// The most ledger or order rows one request reads.
const MAX_ROWS: usize = 500_000;
const WEEK_MS: i64 = 7 * DAY_MS;

/// What the caller may narrow or set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Only this location.
    #[serde(default)]
    pub location_id: Option<String>,
    /// Only this item.
    #[serde(default)]
    pub item_id: Option<String>,
    /// The share of demand to serve from stock, 0.5–0.999 (default 0.98).
    #[serde(default)]
    pub fill_rate: Option<f64>,
    /// Weeks of demand one order covers (default 4).
    #[serde(default)]
    pub cover_weeks: Option<f64>,
    /// Weeks of history to read, 8–156 (default 52).
    #[serde(default)]
    pub weeks: Option<u32>,
}

/// Weekly demand per (item, location), oldest week first, over `weeks` weeks ending at `end_ms`.
pub fn weekly_demand(rows: &[MovementRow], end_ms: i64, weeks: usize) -> HashMap<(String, String), Vec<f64>> {
    let start_ms = end_ms - weeks as i64 * WEEK_MS;
    let mut out: HashMap<(String, String), Vec<f64>> = HashMap::new();
    for m in rows {
        let taken = match m.kind.as_str() {
            "sale" | "adjustment" if m.delta < 0 => -m.delta,
            "return" if m.delta > 0 => -m.delta,
            _ => continue,
        };
        if m.at_ms < start_ms || m.at_ms >= end_ms {
            continue;
        }
        let week = ((m.at_ms - start_ms) / WEEK_MS) as usize;
        let series =
            out.entry((m.item_id.clone(), m.location_id.clone())).or_insert_with(|| vec![0.0; weeks]);
        series[week] += taken as f64;
    }
    for series in out.values_mut() {
        series.iter_mut().for_each(|q| *q = q.max(0.0));
    }
    out
}

/// What purchasing says about an item: its last supplier, that supplier's orders of it (sent
/// and first receipt), and units on open orders per location.
#[derive(Debug, Default)]
pub struct Supply {
    /// (created, supplier id) of the newest order of the item.
    pub last_supplier: Option<(i64, String)>,
    /// Orders of the item, per supplier.
    pub orders: HashMap<String, Vec<PurchaseOrder>>,
    /// Units ordered and not yet received, per location (drafts, sent, partly received).
    pub on_order: HashMap<String, i64>,
}

/// Supply per item id.
pub fn supply(orders: &[PurchaseOrderRow]) -> Result<HashMap<String, Supply>, Error> {
    let mut out: HashMap<String, Supply> = HashMap::new();
    for o in orders.iter().filter(|o| o.status != "cancelled") {
        for line in &o.lines {
            let s = out.entry(line.item_id.clone()).or_default();
            if s.last_supplier.as_ref().is_none_or(|(at, _)| o.created_at_ms >= *at) {
                s.last_supplier = Some((o.created_at_ms, o.supplier_id.clone()));
            }
            if matches!(o.status.as_str(), "draft" | "sent" | "partially_received") {
                *s.on_order.entry(o.location_id.clone()).or_default() +=
                    (line.quantity - line.received).max(0);
            }
            let Some(sent) = o.sent_at_ms else { continue };
            let first_receipt = o
                .receipts
                .iter()
                .filter(|r| r.lines.iter().any(|(item, q)| *item == line.item_id && *q > 0))
                .map(|r| r.received_at_ms)
                .min();
            let order = PurchaseOrder {
                sent: date_of(sent)?,
                first_receipt: first_receipt.map(date_of).transpose()?,
            };
            s.orders.entry(o.supplier_id.clone()).or_default().push(order);
        }
    }
    Ok(out)
}

/// The recommendations for one request.
pub fn recommend(text: &str) -> Result<Vec<Recommendation>, Error> {
    let input: Input = input("reorder", text)?;
    let fill_rate = input.fill_rate.unwrap_or(DEFAULT_FILL_RATE);
    if !(0.5..=0.999).contains(&fill_rate) {
        return Err(Error::new("reorder: fill_rate must be between 0.5 and 0.999"));
    }
    let cover = input.cover_weeks.unwrap_or(DEFAULT_COVER_PERIODS);
    if !(0.5..=52.0).contains(&cover) {
        return Err(Error::new("reorder: cover_weeks must be between 0.5 and 52"));
    }
    let weeks = input.weeks.unwrap_or(DEFAULT_WEEKS).clamp(8, 156) as usize;

    let end_ms = history_end();
    let ledger = Period { start: day_text(end_ms - weeks as i64 * WEEK_MS)?, end: day_text(end_ms)? };
    let movements = reports::all_pages(MAX_ROWS, |page| reports::stock_movements(&ledger, page))?;
    let purchasing =
        Period { start: day_text(end_ms - PURCHASE_HISTORY_DAYS * DAY_MS)?, end: day_text(end_ms)? };
    let orders = reports::all_pages(MAX_ROWS, |page| reports::purchase_orders(&purchasing, page))?;

    let demand = weekly_demand(&movements, end_ms, weeks);
    let supply = supply(&orders)?;
    let names: BTreeMap<String, String> =
        inventory::locations()?.into_iter().map(|l| (l.id, l.name)).collect();
    let items = inventory::all_items()?;

    let mut out = Vec::new();
    for item in items.iter().filter(|i| input.item_id.as_ref().is_none_or(|id| *id == i.id)) {
        let mut keys: Vec<&(String, String)> = demand.keys().filter(|(i, _)| *i == item.id).collect();
        keys.sort();
        for key in keys {
            let location = &key.1;
            if input.location_id.as_ref().is_some_and(|l| l != location) {
                continue;
            }
            let on_hand = item.levels.iter().find(|l| l.location_id == *location).map_or(0, |l| l.on_hand);
            let place = names.get(location).cloned().unwrap_or_else(|| location.clone());
            if let Some(r) =
                one(item, location, &place, on_hand, &demand[key], supply.get(&item.id), fill_rate, cover)
            {
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// The recommendation for one item at one location, if there is one to make.
#[allow(clippy::too_many_arguments)]
fn one(
    item: &inventory::CatalogueItem,
    location: &str,
    place: &str,
    on_hand: i64,
    history: &[f64],
    supply: Option<&Supply>,
    fill_rate: f64,
    cover: f64,
) -> Option<Recommendation> {
    if history.iter().all(|q| *q == 0.0) {
        return None;
    }
    let supply = supply?;
    let (_, supplier) = supply.last_supplier.as_ref()?;
    let lead = lead_time(supply.orders.get(supplier)?).ok()?;
    let f = forecast(&DemandHistory { quantities: history.to_vec(), season_length: None }, 1).ok()?;
    let query = ReorderQuery {
        demand_per_period: f.per_period.first().copied().unwrap_or(0.0),
        demand_sd_per_period: f.error_sd,
        period_days: 7.0,
        lead_time_days: lead.mean_days,
        lead_time_sd_days: lead.sd_days,
        target: ServiceTarget::FillRate(fill_rate),
        order_quantity: OrderQuantityRule::Cover { periods: cover },
        pack_size: 1,
        review_days: 1.0,
        distribution: None,
    };
    let s = reorder_point(&query).ok()?;
    let point = s.reorder_point.ceil() as i64;
    let quantity = (s.order_quantity.ceil() as i64).max(1);
    let on_order = supply.on_order.get(location).copied().unwrap_or(0);
    let position = on_hand + on_order;
    let figures = vec![
        figure("forecast demand", f.per_period.first().copied().unwrap_or(0.0), "units/week"),
        figure("forecast error spread", f.error_sd, "units/week"),
        figure("lead time", lead.mean_days, "days"),
        figure("lead time spread", lead.sd_days, "days"),
        figure("safety stock", s.safety_stock, "units"),
        figure("suggested reorder point", point as f64, "units"),
        figure("order quantity", quantity as f64, "units"),
        figure("on hand", on_hand as f64, "units"),
        figure("on order", on_order as f64, "units"),
        figure("expected fill rate", s.expected_fill_rate * 100.0, "%"),
        figure("catalogue reorder point", item.reorder_point as f64, "units"),
    ];
    let workings = format!(
        "Forecast by {}: {} Lead time from {} orders: {} {}",
        f.method.name(),
        words(&f.explanation),
        lead.orders,
        words(&lead.explanation),
        words(&s.explanation)
    );
    let subject = format!("{}@{location}", item.id);
    if position <= point {
        let short = (point - position + 1) as f32 / (point.max(1) + 1) as f32;
        return Some(Recommendation {
            subject,
            title: format!("Order {quantity} × {} for {place}", item.sku),
            score: (0.6 + 0.4 * short.min(1.0)).min(1.0),
            explanation: format!(
                "{} at {place}: {on_hand} on hand and {on_order} on order is at or below the reorder point \
                 of {point} for a {:.0} % fill rate. {workings}",
                item.sku,
                fill_rate * 100.0
            ),
            figures,
            action: Some(ProposedAction::DraftPurchaseOrder(DraftPurchaseOrder {
                supplier_id: supplier.clone(),
                location_id: location.to_string(),
                lines: vec![PurchaseLine { item_id: item.id.clone(), quantity }],
            })),
        });
    }
    if item.reorder_point != point {
        return Some(Recommendation {
            subject,
            title: format!("Set {}'s reorder point to {point} (now {})", item.sku, item.reorder_point),
            score: 0.3,
            explanation: format!(
                "{} at {place}: {on_hand} on hand and {on_order} on order is above the suggested reorder \
                 point of {point} for a {:.0} % fill rate; nothing to order yet. {workings}",
                item.sku,
                fill_rate * 100.0
            ),
            figures,
            action: None,
        });
    }
    None
}
