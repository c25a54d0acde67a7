//! Reorder points and order quantities for continuous review: order `order_quantity` whenever
//! the stock position (on hand + on order − backordered) falls to the reorder point.
//!
//! - Lead time ([`lead_time`]): days from a purchase order's sending to its first goods receipt;
//!   mean and sample standard deviation over the received orders. With fewer than 3 orders the
//!   deviation is taken as at least 25 % of the mean, since two orders say little about spread.
//! - Demand over the lead time L (in periods, from days), with per-period demand mean d and
//!   spread σ_d (a forecast and its error spread) and lead-time spread σ_L:
//!   mean d·L, spread σ = √(L·σ_d² + d²·σ_L²).
//! - Stock is reviewed every R days (the plugin's schedule; default daily), and demand comes in
//!   lumps, so the stock position is found below the reorder point by an undershoot whose mean
//!   is (σ_R² + μ_R²)/(2·μ_R), μ_R and σ_R² the mean and variance of demand between reviews
//!   (Silver, Pyke & Peterson on undershoots). It is added to the reorder point; for lumpy demand
//!   it is large, for steady demand about half a review period's demand. Its variance,
//!   μ_R²/3 + σ_R² − (mean undershoot)² (from the normal's third moment), is added to σ².
//! - The model of lead-time demand (mean μ, spread σ, undershoot included): normal when its
//!   coefficient of variation σ/μ is below [`GAMMA_FROM_CV`] (0.2), gamma matched to μ and σ
//!   otherwise ([`Distribution`]). Lumpy or volatile demand over a short lead time is skewed
//!   to the right, and the normal, symmetric, understates how far it reaches: a simulated lumpy
//!   item got 96.8 % of a 98 % fill rate from it. The gamma is never negative and has skewness
//!   2σ/μ; below a CV of 0.2 (skewness 0.4) the two give reorder points a unit or so apart, and
//!   the normal's z and k are the figures a buyer knows. A caller may fix the model.
//! - Safety stock for a cycle service level (the chance of no stock-out in a cycle) α:
//!   z·σ with Φ(z) = α (normal), or the gamma's α-quantile less μ. For a fill rate β (the share
//!   of demand served from the shelf): the stock r whose expected shortage per cycle
//!   E[(X − r)⁺] is (1 − β)·Q — for the normal r = μ + k·σ with G(k) = (1 − β)·Q/σ, G the
//!   standard normal loss function; for the gamma by its own loss function,
//!   aθ(1 − P(a + 1, r/θ)) − r(1 − P(a, r/θ)), solved by bisection. Never below zero.
//! - Reorder point: mean lead-time demand + safety stock, rounded up to a whole unit.
//! - Order quantity: the economic order quantity √(2·D·S/H) when ordering and holding costs are
//!   given, otherwise a cover of 4 periods of demand; rounded up to the pack size.

pub mod gamma;
mod normal;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::RecoError;
use crate::explain::Explanation;
pub use gamma::Gamma;
pub use normal::{cdf, loss, quantile};

/// Below this many received orders, the lead-time spread is at least [`THIN_HISTORY_SD_SHARE`] of the mean.
pub const MIN_ORDERS_FOR_SPREAD: usize = 3;
/// The least lead-time spread, as a share of the mean, on a thin history.
pub const THIN_HISTORY_SD_SHARE: f64 = 0.25;
/// Periods of demand one order covers when no costs are given.
pub const DEFAULT_COVER_PERIODS: f64 = 4.0;
/// From this coefficient of variation of lead-time demand, the gamma model replaces the normal.
pub const GAMMA_FROM_CV: f64 = 0.2;

/// How demand over the lead time is modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Distribution {
    /// Normal with the lead-time demand's mean and spread.
    Normal,
    /// Gamma with the same mean and spread: never negative, skewed to the right.
    Gamma,
}

/// One purchase order of the item, as the stock domain records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrder {
    /// The day the order went to the supplier.
    pub sent: Date,
    /// The day of its first goods receipt; none while nothing has arrived.
    #[serde(default)]
    pub first_receipt: Option<Date>,
}

/// A supplier's lead time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadTime {
    /// Mean days from sending to first receipt.
    pub mean_days: f64,
    /// Standard deviation of those days.
    pub sd_days: f64,
    /// Received orders it was measured on.
    pub orders: usize,
    /// The figures.
    pub explanation: Explanation,
}

/// Measures lead time from purchase-order history; orders not yet received are left out.
pub fn lead_time(orders: &[PurchaseOrder]) -> Result<LeadTime, RecoError> {
    let mut days = Vec::with_capacity(orders.len());
    for (i, order) in orders.iter().enumerate() {
        let Some(received) = order.first_receipt else { continue };
        let span = order
            .sent
            .until(received)
            .map_err(|e| RecoError::invalid(&format!("orders[{i}]"), e.to_string()))?;
        let d = span.get_days();
        if d < 0 {
            return Err(RecoError::invalid(&format!("orders[{i}]"), "received before it was sent"));
        }
        days.push(f64::from(d));
    }
    if days.is_empty() {
        return Err(RecoError::NotEnoughHistory { what: "a lead time".into(), needed: 1, got: 0 });
    }
    let n = days.len() as f64;
    let mean_days = days.iter().sum::<f64>() / n;
    let sample_sd = if days.len() > 1 {
        (days.iter().map(|d| (d - mean_days).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let mut explanation = Explanation::default();
    let skipped = orders.len() - days.len();
    explanation.push(format!(
        "Lead time over {} received orders{}: mean {mean_days:.1} days, standard deviation {sample_sd:.1} days.",
        days.len(),
        if skipped > 0 { format!(" ({skipped} not yet received left out)") } else { String::new() }
    ));
    let sd_days = if days.len() < MIN_ORDERS_FOR_SPREAD {
        let floor = THIN_HISTORY_SD_SHARE * mean_days;
        explanation.push(format!(
            "Fewer than {MIN_ORDERS_FOR_SPREAD} orders: spread taken as at least {:.0} % of the mean, {floor:.1} days.",
            THIN_HISTORY_SD_SHARE * 100.0
        ));
        sample_sd.max(floor)
    } else {
        sample_sd
    };
    Ok(LeadTime { mean_days, sd_days, orders: days.len(), explanation })
}

/// What the reorder point must achieve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "target", rename_all = "kebab-case")]
pub enum ServiceTarget {
    /// The chance that a replenishment cycle ends without a stock-out, such as 0.95.
    CycleServiceLevel(f64),
    /// The share of demand served straight from stock, such as 0.98.
    FillRate(f64),
}

/// How much to order at a time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum OrderQuantityRule {
    /// Enough for this many periods of mean demand.
    Cover {
        /// Periods covered.
        periods: f64,
    },
    /// The economic order quantity.
    Eoq {
        /// Cost of placing one order.
        order_cost: f64,
        /// Cost of holding one unit for one period.
        holding_cost_per_period: f64,
    },
}

impl Default for OrderQuantityRule {
    fn default() -> Self {
        OrderQuantityRule::Cover { periods: DEFAULT_COVER_PERIODS }
    }
}

/// One item's demand and supply, as the glue gathers them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReorderQuery {
    /// Mean demand per period (the forecast).
    pub demand_per_period: f64,
    /// Spread of a period's demand around the forecast (the forecast's error spread).
    pub demand_sd_per_period: f64,
    /// Days in a period (7 for weekly demand).
    pub period_days: f64,
    /// Mean lead time in days.
    pub lead_time_days: f64,
    /// Standard deviation of the lead time in days.
    pub lead_time_sd_days: f64,
    /// The service to reach.
    pub target: ServiceTarget,
    /// How much to order at a time.
    #[serde(default)]
    pub order_quantity: OrderQuantityRule,
    /// Units per pack; orders are whole packs.
    #[serde(default = "one")]
    pub pack_size: u32,
    /// Days between stock reviews (default 1: a daily job).
    #[serde(default = "one_day")]
    pub review_days: f64,
    /// The model of lead-time demand; none lets the rule choose by its coefficient of variation.
    #[serde(default)]
    pub distribution: Option<Distribution>,
}

fn one() -> u32 {
    1
}

fn one_day() -> f64 {
    1.0
}

/// The suggestion for one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReorderSuggestion {
    /// Mean demand over the lead time.
    pub lead_time_demand: f64,
    /// The mean undershoot of the reorder point between reviews.
    pub undershoot: f64,
    /// Its standard deviation.
    pub lead_time_demand_sd: f64,
    /// The model of lead-time demand used.
    pub distribution: Distribution,
    /// The safety stock in standard deviations (z or k for the normal).
    pub safety_factor: f64,
    /// Stock held against demand above the mean.
    pub safety_stock: f64,
    /// Order when the stock position falls to this.
    pub reorder_point: f64,
    /// Units to order.
    pub order_quantity: f64,
    /// The fill rate the model expects at this reorder point and quantity.
    pub expected_fill_rate: f64,
    /// The figures.
    pub explanation: Explanation,
}

/// Suggests a reorder point and an order quantity.
pub fn reorder_point(query: &ReorderQuery) -> Result<ReorderSuggestion, RecoError> {
    check(query)?;
    let mut explanation = Explanation::default();
    let d = query.demand_per_period;
    let lead = query.lead_time_days / query.period_days;
    let lead_sd = query.lead_time_sd_days / query.period_days;
    let lead_demand = d * lead;
    let sd = (lead * query.demand_sd_per_period.powi(2) + d * d * lead_sd * lead_sd).sqrt();
    explanation.push(format!(
        "Lead time {:.1} ± {:.1} days = {lead:.2} ± {lead_sd:.2} periods of {} days; demand {d:.2} ± {:.2} a period.",
        query.lead_time_days, query.lead_time_sd_days, query.period_days, query.demand_sd_per_period
    ));
    explanation.push(format!(
        "Lead-time demand {lead_demand:.1}, spread √({lead:.2} × {:.2}² + {d:.2}² × {lead_sd:.2}²) = {sd:.2}.",
        query.demand_sd_per_period
    ));
    let review = query.review_days / query.period_days;
    let (review_mean, review_var) = (d * review, query.demand_sd_per_period.powi(2) * review);
    let undershoot =
        if review_mean > 0.0 { (review_var + review_mean.powi(2)) / (2.0 * review_mean) } else { 0.0 };
    let undershoot_var = (review_mean.powi(2) / 3.0 + review_var - undershoot.powi(2)).max(0.0);
    let sd = (sd * sd + undershoot_var).sqrt();
    explanation.push(format!(
        "Reviewed every {} days: demand between reviews {review_mean:.2}, variance {review_var:.2}; \
         mean undershoot ({review_var:.2} + {review_mean:.2}²)/(2 × {review_mean:.2}) = {undershoot:.2}, \
         variance {undershoot_var:.2}; spread with it {sd:.2}.",
        query.review_days
    ));
    let mean = lead_demand + undershoot;

    let raw_q = match query.order_quantity {
        OrderQuantityRule::Cover { periods } => {
            let q = d * periods;
            explanation.push(format!("Order quantity: {periods} periods × {d:.2} = {q:.1}."));
            q
        }
        OrderQuantityRule::Eoq { order_cost, holding_cost_per_period } => {
            let q = (2.0 * d * order_cost / holding_cost_per_period).sqrt();
            explanation.push(format!(
                "Order quantity: EOQ √(2 × {d:.2} × {order_cost:.2} / {holding_cost_per_period:.4}) = {q:.1}."
            ));
            q
        }
    };
    let pack = f64::from(query.pack_size);
    let order_quantity = ((raw_q / pack).ceil() * pack).max(pack);
    if order_quantity != raw_q {
        explanation.push(format!("Rounded up to whole packs of {}: {order_quantity}.", query.pack_size));
    }

    let cv = if mean > 0.0 { sd / mean } else { 0.0 };
    let distribution = match query.distribution {
        Some(d) => {
            explanation.push(format!("{d:?} model of lead-time demand, as asked."));
            d
        }
        None if cv >= GAMMA_FROM_CV => {
            explanation.push(format!(
                "Lead-time demand {mean:.1} ± {sd:.2}: CV {cv:.2} ≥ {GAMMA_FROM_CV}, so a gamma model \
                 (skewness 2 × CV = {:.2}; a normal would understate the right tail).",
                2.0 * cv
            ));
            Distribution::Gamma
        }
        None => {
            explanation.push(format!(
                "Lead-time demand {mean:.1} ± {sd:.2}: CV {cv:.2} < {GAMMA_FROM_CV}, so a normal model."
            ));
            Distribution::Normal
        }
    };
    let gamma =
        (distribution == Distribution::Gamma && mean > 0.0 && sd > 0.0).then(|| Gamma::matched(mean, sd));
    let (distribution, stock) = match gamma {
        Some(g) => (Distribution::Gamma, gamma_stock(g, query.target, order_quantity, &mut explanation)),
        None => {
            (Distribution::Normal, normal_stock(mean, sd, query.target, order_quantity, &mut explanation))
        }
    };
    let safety_stock = (stock - mean).max(0.0);
    let safety_factor = if sd > 0.0 { (stock - mean) / sd } else { 0.0 };
    let reorder_point = (mean + safety_stock).ceil();
    explanation.push(format!(
        "Safety stock {safety_stock:.1}{}; reorder point ⌈{lead_demand:.1} + {undershoot:.2} + {safety_stock:.1}⌉ = {reorder_point}.",
        if stock < mean { " (never below zero)" } else { "" }
    ));
    let expected_shortage = match gamma {
        Some(g) => g.loss(reorder_point),
        None if sd > 0.0 => sd * loss((reorder_point - mean) / sd),
        None => 0.0,
    };
    let expected_fill_rate = 1.0 - expected_shortage / order_quantity;
    Ok(ReorderSuggestion {
        lead_time_demand: lead_demand,
        undershoot,
        lead_time_demand_sd: sd,
        distribution,
        safety_factor,
        safety_stock,
        reorder_point,
        order_quantity,
        expected_fill_rate,
        explanation,
    })
}

/// The stock (before rounding) that meets the target under a normal model.
fn normal_stock(mean: f64, sd: f64, target: ServiceTarget, q: f64, explanation: &mut Explanation) -> f64 {
    if sd <= 0.0 {
        explanation.push("No spread: no safety stock.");
        return mean;
    }
    let factor = match target {
        ServiceTarget::CycleServiceLevel(alpha) => {
            let z = quantile(alpha);
            explanation.push(format!("Cycle service level {:.1} %: z = {z:.3}.", alpha * 100.0));
            z
        }
        ServiceTarget::FillRate(beta) => {
            let target = (1.0 - beta) * q / sd;
            let k = normal::loss_inverse(target);
            explanation.push(format!(
                "Fill rate {:.1} %: G(k) = (1 − {beta}) × {q} / {sd:.2} = {target:.4}, k = {k:.3}.",
                beta * 100.0
            ));
            k
        }
    };
    mean + factor * sd
}

/// The stock (before rounding) that meets the target under a gamma model.
fn gamma_stock(g: Gamma, target: ServiceTarget, q: f64, explanation: &mut Explanation) -> f64 {
    let shape = format!("gamma shape {:.3}, scale {:.3}", g.shape, g.scale);
    match target {
        ServiceTarget::CycleServiceLevel(alpha) => {
            let r = g.quantile(alpha);
            explanation.push(format!(
                "Cycle service level {:.1} %: the {shape} reaches F(r) = {alpha} at r = {r:.2}.",
                alpha * 100.0
            ));
            r
        }
        ServiceTarget::FillRate(beta) => {
            let shortage = (1.0 - beta) * q;
            let r = g.loss_inverse(shortage);
            explanation.push(format!(
                "Fill rate {:.1} %: expected shortage per order E[(X − r)⁺] = (1 − {beta}) × {q} = {shortage:.3} \
                 under the {shape} at r = {r:.2}.",
                beta * 100.0
            ));
            r
        }
    }
}

fn check(q: &ReorderQuery) -> Result<(), RecoError> {
    let non_negative = |field: &str, v: f64| {
        if v.is_finite() && v >= 0.0 {
            Ok(())
        } else {
            Err(RecoError::invalid(field, "must be a number, zero or more"))
        }
    };
    non_negative("demand_per_period", q.demand_per_period)?;
    non_negative("demand_sd_per_period", q.demand_sd_per_period)?;
    non_negative("lead_time_days", q.lead_time_days)?;
    non_negative("lead_time_sd_days", q.lead_time_sd_days)?;
    non_negative("review_days", q.review_days)?;
    if !q.period_days.is_finite() || q.period_days <= 0.0 {
        return Err(RecoError::invalid("period_days", "must be more than zero"));
    }
    if q.pack_size == 0 {
        return Err(RecoError::invalid("pack_size", "must be at least 1"));
    }
    let (field, level) = match q.target {
        ServiceTarget::CycleServiceLevel(a) => ("target.cycle-service-level", a),
        ServiceTarget::FillRate(b) => ("target.fill-rate", b),
    };
    if !(0.5..1.0).contains(&level) {
        return Err(RecoError::invalid(field, format!("{level} is outside 0.5 to below 1")));
    }
    if let OrderQuantityRule::Eoq { order_cost, holding_cost_per_period } = q.order_quantity
        && [order_cost, holding_cost_per_period].iter().any(|c| c.is_nan() || *c <= 0.0)
    {
        return Err(RecoError::invalid("order_quantity", "EOQ needs positive ordering and holding costs"));
    }
    if let OrderQuantityRule::Cover { periods } = q.order_quantity
        && (periods.is_nan() || periods <= 0.0)
    {
        return Err(RecoError::invalid("order_quantity.periods", "must be more than zero"));
    }
    Ok(())
}
