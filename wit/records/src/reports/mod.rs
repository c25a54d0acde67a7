//! Reads for reporting (`ils:platform/reports`, 0.2.0): the tenant's orders, quality failures,
//! stock and purchase orders by period, paged, and an aggregate query over named datasets so a
//! plugin counts 100,000 orders without pulling them across the boundary.
//!
//! Every read is confined to the invocation's tenant and written to its audit log by the host.
//! Periods are half-open ranges of UTC dates; times are milliseconds since the Unix epoch.

use serde::{Deserialize, Serialize};

mod civil;
pub mod engine;

/// A half-open period of UTC dates, `[start, end)`, each `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    /// The first day in the period.
    pub start: String,
    /// The first day after it.
    pub end: String,
}

impl Period {
    /// `[start, end)`.
    pub fn new(start: impl Into<String>, end: impl Into<String>) -> Self {
        Self { start: start.into(), end: end.into() }
    }

    /// `[start, end)` in milliseconds since the Unix epoch (UTC midnights), if both are dates.
    pub fn bounds_ms(&self) -> Option<(i64, i64)> {
        let ms = |d: &str| civil::parse_date(d).map(|days| days * civil::DAY_MS);
        Some((ms(&self.start)?, ms(&self.end)?))
    }
}

/// Which page of a paged read: `cursor` from the previous page (none for the first), at most
/// `limit` rows (the host caps it at [`MAX_PAGE`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageRequest {
    /// The previous page's `next_cursor`; opaque.
    pub cursor: Option<String>,
    /// Rows wanted.
    pub limit: u32,
}

/// The most rows one paged read returns.
pub const MAX_PAGE: u32 = 500;

/// One page of rows and the cursor of the next, none after the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The rows, in a stable order (time, then id).
    pub rows: Vec<T>,
    /// Pass it back for the next page.
    pub next_cursor: Option<String>,
}

/// An amount of money in minor units (pence, cents) of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units.
    pub minor: i64,
    /// `GBP`, `EUR`…
    pub currency: String,
}

/// One step of an order's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStep {
    /// When it happened.
    pub at_ms: i64,
    /// The status before (none for the first step).
    pub from_status: Option<String>,
    /// The status after, as ILS spells it (`in_production`, `shipped`…).
    pub to_status: String,
    /// The production station after the step, when the lab tracks one.
    pub station: Option<String>,
    /// The quality issue recorded with the step (a failed check), if any.
    pub quality_issue: Option<String>,
}

/// An order as reports see it: what it was, what it cost and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRow {
    /// The order's id.
    pub id: String,
    /// Its number (`LAB-000123`).
    pub number: String,
    /// `new`, `remake`, `return` or `non_adapt`, as ILS spells an order's reason (the WIT's
    /// documentation of 0.2.0 says `warranty` where ILS has `return`).
    pub reason: String,
    /// The order it remakes, for a remake.
    pub original_order_id: Option<String>,
    /// `in_house` or `external`.
    pub routing: String,
    /// The other company: the lab for a practice's order, the practice for a lab's.
    pub counterpart: Option<String>,
    /// `single_vision`, `bifocal`, `varifocal`…
    pub lens_type: String,
    /// Lens material.
    pub material: String,
    /// Coatings, as ILS names them.
    pub coatings: Vec<String>,
    /// `urgent`, `high`, `normal` or `low`.
    pub priority: String,
    /// Current status.
    pub status: String,
    /// When it was placed.
    pub created_at_ms: i64,
    /// The due date, `YYYY-MM-DD`.
    pub due_on: String,
    /// When it first reached `shipped`, if it did.
    pub shipped_at_ms: Option<i64>,
    /// When it reached `completed`, if it did.
    pub completed_at_ms: Option<i64>,
    /// Its price.
    pub price: Money,
    /// Every step, oldest first.
    pub timeline: Vec<OrderStep>,
}

/// A failed quality check, and the remake that followed when there was one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityRow {
    /// The order that failed.
    pub order_id: String,
    /// Its number.
    pub number: String,
    /// When the failure was recorded.
    pub at_ms: i64,
    /// The issue, as recorded (`coating_defect`, `wrong_power`…).
    pub issue: String,
    /// The station it was found at, if known.
    pub station: Option<String>,
    /// The order's lens type.
    pub lens_type: String,
    /// The remake order raised for it, if any.
    pub remake_order_id: Option<String>,
}

/// What one of the tenant's own orders dispensed: its prescription and the stocked frame chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispensingRow {
    /// The order's id.
    pub order_id: String,
    /// When it was placed.
    pub created_at_ms: i64,
    /// The frame item from the tenant's stock, when the order named one.
    pub frame_item_id: Option<String>,
    /// `single_vision`, `bifocal`, `varifocal`…
    pub lens_type: String,
    /// The right eye's prescription.
    pub right: crate::clinical::Eye,
    /// The left eye's prescription.
    pub left: crate::clinical::Eye,
}

/// The stock of one item at one location now, valued at its last received unit price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRow {
    /// The item's id.
    pub item_id: String,
    /// Its SKU.
    pub sku: String,
    /// Its name.
    pub name: String,
    /// The location's id.
    pub location_id: String,
    /// The location's name.
    pub location_name: String,
    /// Units on hand.
    pub on_hand: i64,
    /// The item's reorder point.
    pub reorder_point: i64,
    /// The unit price of its last goods receipt, none if it was never received.
    pub unit_value: Option<Money>,
}

/// One change of a stock level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovementRow {
    /// When.
    pub at_ms: i64,
    /// The item's id.
    pub item_id: String,
    /// Its SKU.
    pub sku: String,
    /// The location's id.
    pub location_id: String,
    /// `adjustment`, `transfer_out`, `transfer_in`, `receipt`, `count`, `sale` or `return`.
    pub kind: String,
    /// The change in units.
    pub delta: i64,
    /// Units on hand after it.
    pub quantity_after: i64,
    /// `delta` at the item's unit value, when it has one.
    pub value: Option<Money>,
}

/// One line of a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseLine {
    /// The item's id.
    pub item_id: String,
    /// Its SKU.
    pub sku: String,
    /// Units ordered.
    pub quantity: i64,
    /// Units received so far.
    pub received: i64,
    /// The unit price agreed, in the order's currency's minor units.
    pub unit_price_minor: i64,
}

/// One goods receipt against a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The receipt's id.
    pub id: String,
    /// When the goods arrived.
    pub received_at_ms: i64,
    /// Units received, by item id.
    pub lines: Vec<(String, i64)>,
}

/// A purchase order with its lines and receipts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrderRow {
    /// The order's id.
    pub id: String,
    /// Its number.
    pub number: String,
    /// The supplier's id.
    pub supplier_id: String,
    /// The supplier's name.
    pub supplier_name: String,
    /// The location the goods are delivered to and stocked at.
    pub location_id: String,
    /// `draft`, `sent`, `partially_received`, `received` or `cancelled`.
    pub status: String,
    /// Its currency.
    pub currency: String,
    /// When it was raised.
    pub created_at_ms: i64,
    /// When it was sent, if it was.
    pub sent_at_ms: Option<i64>,
    /// When it was closed (received in full or cancelled).
    pub closed_at_ms: Option<i64>,
    /// Its lines.
    pub lines: Vec<PurchaseLine>,
    /// Its receipts, oldest first.
    pub receipts: Vec<Receipt>,
}

/// A value in an aggregate query's filter or result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// No value.
    Null,
    /// Text.
    Text(String),
    /// A whole number (counts, minor units, quantities).
    Int(i64),
    /// A real number (averages, percentiles, durations in days).
    Float(f64),
    /// A time, milliseconds since the Unix epoch.
    Time(i64),
}

impl Value {
    /// The value as a number, when it is one (`Int`, `Float` or `Time`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Int(i) | Self::Time(i) => Some(*i as f64),
            Self::Float(f) => Some(*f),
            Self::Null | Self::Text(_) => None,
        }
    }

    /// The value as text, when it is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// A comparison in a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal to the one value.
    Eq,
    /// Not equal to it.
    Ne,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Equal to any of the values.
    InList,
    /// Has no value.
    IsNull,
    /// Has a value.
    NotNull,
}

/// One condition of a query: `field op values`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// A field of the dataset.
    pub field: String,
    /// The comparison.
    pub op: Op,
    /// One value for comparisons, any number for `InList`, none for the null tests.
    pub values: Vec<Value>,
}

/// What a query computes per group. Null values are left out of every measure but `Count`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Rows in the group.
    Count,
    /// Distinct values of the field.
    CountDistinct(String),
    /// Sum of the field.
    Sum(String),
    /// Mean of the field.
    Avg(String),
    /// Smallest value.
    Min(String),
    /// Largest value.
    Max(String),
    /// The `fraction` (0.0 to 1.0) percentile of the field, interpolated linearly between the
    /// closest ranks (PostgreSQL's `percentile_cont`; 0.5 is the median).
    Percentile(String, f64),
}

/// An aggregate query over one named dataset of the tenant (see [`DATASETS`]).
///
/// `group_by` names fields; a time field may be bucketed as `field:day`, `field:week` (ISO week,
/// `2026-W09`), `field:month` (`2026-03`) or `field:year`. The result has one column per group
/// field, then one per measure, and one row per group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// The dataset's name.
    pub dataset: String,
    /// Rows whose period field falls in it.
    pub period: Period,
    /// Every filter must hold.
    pub filters: Vec<Filter>,
    /// Fields (or time buckets) to group by; none for one row over everything.
    pub group_by: Vec<String>,
    /// What to compute.
    pub measures: Vec<Measure>,
    /// Result columns to sort by, and whether descending; by the groups when empty.
    pub order_by: Vec<(String, bool)>,
    /// At most this many result rows (the host caps it at [`MAX_GROUPS`]).
    pub limit: u32,
}

/// The most rows an aggregate query returns.
pub const MAX_GROUPS: u32 = 10_000;

/// An aggregate query's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultSet {
    /// Column names: group fields as written in the query, then measures as `count`,
    /// `sum(price_minor)`, `percentile(turnaround_days,0.9)`…
    pub columns: Vec<String>,
    /// One row per group.
    pub rows: Vec<Vec<Value>>,
    /// Whether more groups than `limit` matched.
    pub truncated: bool,
}

/// The type of a dataset's field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// Text.
    Text,
    /// Whole numbers.
    Int,
    /// Real numbers.
    Float,
    /// Times (may be bucketed in `group_by`).
    Time,
}

/// A dataset an aggregate query can read: its fields and the time field its period applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dataset {
    /// Its name in a query.
    pub name: &'static str,
    /// The field a query's period selects on; none when the dataset is "now" (stock levels).
    pub period_field: Option<&'static str>,
    /// Its fields.
    pub fields: &'static [(&'static str, FieldKind)],
}

impl Dataset {
    /// The dataset called `name`.
    pub fn named(name: &str) -> Option<&'static Dataset> {
        DATASETS.iter().find(|d| d.name == name)
    }

    /// The kind of field `name`, if the dataset has it.
    pub fn field(&self, name: &str) -> Option<FieldKind> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }
}

use FieldKind::{Float, Int, Text, Time};

/// Every dataset, the same for the host (which validates queries against it) and plugins.
///
/// - `orders`: one row per order created in the period. `turnaround_days` is from creation to
///   the first `shipped` step (or `completed` when it was never shipped), in days; null while
///   open. `counterpart` is the lab (for a practice) or practice (for a lab); `station` is the
///   order's station now; `routing` is `in_house` or `external`.
/// - `quality`: one row per failed quality check in the period; `remade` is 1 when a remake
///   order was raised for that order.
/// - `stock_levels`: one row per item and location, now; `value_minor` is `on_hand` at the
///   last received unit price; `below_reorder` is 1 when `on_hand` is under the reorder point.
/// - `stock_movements`: one row per movement in the period.
/// - `purchase_lines`: one row per line of a purchase order raised in the period.
///   `lead_time_days` is from the order being sent to the first receipt of the line's item
///   (`first_receipt_at`); `fill_rate` is received over ordered units (0 to 1).
/// - `stock_movements` and `stock_levels`: `location` is the location's name.
///
/// [`engine::aggregate`] answers a [`Query`] over rows of these fields.
pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "orders",
        period_field: Some("created_at"),
        fields: &[
            ("number", Text),
            ("reason", Text),
            ("routing", Text),
            ("counterpart", Text),
            ("lens_type", Text),
            ("material", Text),
            ("priority", Text),
            ("status", Text),
            ("station", Text),
            ("currency", Text),
            ("price_minor", Int),
            ("created_at", Time),
            ("shipped_at", Time),
            ("completed_at", Time),
            ("turnaround_days", Float),
        ],
    },
    Dataset {
        name: "quality",
        period_field: Some("at"),
        fields: &[
            ("number", Text),
            ("issue", Text),
            ("station", Text),
            ("lens_type", Text),
            ("at", Time),
            ("remade", Int),
        ],
    },
    Dataset {
        name: "stock_levels",
        period_field: None,
        fields: &[
            ("sku", Text),
            ("name", Text),
            ("location", Text),
            ("on_hand", Int),
            ("reorder_point", Int),
            ("unit_value_minor", Int),
            ("value_minor", Int),
            ("currency", Text),
            ("below_reorder", Int),
        ],
    },
    Dataset {
        name: "stock_movements",
        period_field: Some("at"),
        fields: &[
            ("sku", Text),
            ("location", Text),
            ("kind", Text),
            ("delta", Int),
            ("value_minor", Int),
            ("at", Time),
        ],
    },
    Dataset {
        name: "purchase_lines",
        period_field: Some("created_at"),
        fields: &[
            ("supplier", Text),
            ("number", Text),
            ("status", Text),
            ("sku", Text),
            ("currency", Text),
            ("ordered", Int),
            ("received", Int),
            ("unit_price_minor", Int),
            ("created_at", Time),
            ("sent_at", Time),
            ("first_receipt_at", Time),
            ("lead_time_days", Float),
            ("fill_rate", Float),
        ],
    },
];

/// The column name a measure gets in a [`ResultSet`].
pub fn measure_column(measure: &Measure) -> String {
    match measure {
        Measure::Count => "count".into(),
        Measure::CountDistinct(f) => format!("count_distinct({f})"),
        Measure::Sum(f) => format!("sum({f})"),
        Measure::Avg(f) => format!("avg({f})"),
        Measure::Min(f) => format!("min({f})"),
        Measure::Max(f) => format!("max({f})"),
        Measure::Percentile(f, p) => format!("percentile({f},{p})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_period_field_is_a_time_field_of_its_dataset() {
        for d in DATASETS {
            if let Some(f) = d.period_field {
                assert_eq!(d.field(f), Some(Time), "{}.{f}", d.name);
            }
        }
        assert!(Dataset::named("orders").is_some());
        assert!(Dataset::named("patients").is_none());
    }

    #[test]
    fn measures_name_their_columns() {
        assert_eq!(
            measure_column(&Measure::Percentile("turnaround_days".into(), 0.9)),
            "percentile(turnaround_days,0.9)"
        );
        assert_eq!(measure_column(&Measure::Count), "count");
    }
}
