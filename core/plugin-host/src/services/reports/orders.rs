//! Orders and quality failures for reports: the `orders` and `quality` listings, paged and as
//! datasets. An order's `shipped_at` and `completed_at` are its timeline's first steps into
//! those statuses; a quality failure is a timeline step that recorded an issue.

use std::collections::HashMap;

use ils_host_api::services::{DispensingRow, OrderRow, Page, QualityRow};
use ils_kernel::error::Error;
use ils_records::reports::{Money, OrderStep, Value, engine};
use ils_storage::TenantTx;
use ils_storage::ids::{ItemId, OrderId, TimelineEntryId};
use ils_storage::types::Timestamp;

use super::{Cursor, Listing, fetch, ms, page_of, text, time};

/// The orders of a listing: created in the period, after the cursor, oldest first.
macro_rules! orders_listed {
    () => {
        "FROM lab_orders o
        WHERE o.tenant_id = $1 AND o.created_at >= $2 AND o.created_at < $3
            AND ($4 IS NULL OR (o.created_at, o.id) > ($4, $5))"
    };
}

pub(super) const ORDERS: &str = concat!(
    "SELECT o.id, o.number, o.reason, o.original_order_id, o.routing, o.counterpart_name, o.lens_type,
        o.material, o.coatings, o.priority, o.status, o.station, o.due_on, o.price_minor, o.currency,
        o.created_at,
        (SELECT min(t.at) FROM lab_order_timeline t
            WHERE t.tenant_id = o.tenant_id AND t.order_id = o.id AND t.to_status = 'shipped') AS shipped_at,
        (SELECT min(t.at) FROM lab_order_timeline t
            WHERE t.tenant_id = o.tenant_id AND t.order_id = o.id AND t.to_status = 'completed') AS completed_at ",
    orders_listed!(),
    " ORDER BY o.created_at, o.id LIMIT $6"
);

/// The timelines of the orders a listing reads.
const TIMELINES: &str = concat!(
    "SELECT t.order_id, t.at, t.from_status, t.to_status, t.to_station, t.quality_issue
    FROM lab_order_timeline t
    WHERE t.tenant_id = $1 AND t.order_id IN (SELECT o.id ",
    orders_listed!(),
    " ORDER BY o.created_at, o.id LIMIT $6)
    ORDER BY t.order_id, t.id"
);

#[derive(sqlx::FromRow)]
pub(super) struct OrderSql {
    id: OrderId,
    number: String,
    reason: String,
    original_order_id: Option<OrderId>,
    routing: String,
    counterpart_name: Option<String>,
    lens_type: String,
    material: String,
    /// JSON: a list of coating names.
    coatings: String,
    priority: String,
    status: String,
    station: Option<String>,
    due_on: String,
    price_minor: i64,
    currency: String,
    created_at: Timestamp,
    shipped_at: Option<Timestamp>,
    completed_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct StepSql {
    order_id: OrderId,
    at: Timestamp,
    from_status: Option<String>,
    to_status: String,
    to_station: Option<String>,
    quality_issue: Option<String>,
}

/// Reports tell an order made in house from one made elsewhere (the lab's copy of a practice's
/// order, or the practice's of its lab's); the counterpart says who.
fn routing(stored: &str) -> &'static str {
    if stored == "in_house" { "in_house" } else { "external" }
}

impl OrderSql {
    fn place(&self) -> Cursor {
        Cursor { at: Some(self.created_at), id: self.id.as_uuid() }
    }

    fn into_row(self, timeline: Vec<OrderStep>) -> Result<OrderRow, Error> {
        let coatings = serde_json::from_str(&self.coatings)
            .map_err(|_| Error::Internal(format!("stored order {} has an invalid coating list", self.id)))?;
        Ok(OrderRow {
            id: self.id.to_string(),
            number: self.number,
            reason: self.reason,
            original_order_id: self.original_order_id.map(|o| o.to_string()),
            routing: routing(&self.routing).to_owned(),
            counterpart: self.counterpart_name,
            lens_type: self.lens_type,
            material: self.material,
            coatings,
            priority: self.priority,
            status: self.status,
            created_at_ms: ms(self.created_at),
            due_on: self.due_on,
            shipped_at_ms: self.shipped_at.map(ms),
            completed_at_ms: self.completed_at.map(ms),
            price: Money { minor: self.price_minor, currency: self.currency },
            timeline,
        })
    }

    /// The `orders` dataset's row, in its fields' order.
    pub(super) fn into_fields(self) -> Vec<Value> {
        let (created, shipped, completed) =
            (ms(self.created_at), self.shipped_at.map(ms), self.completed_at.map(ms));
        vec![
            Value::Text(self.number),
            Value::Text(self.reason),
            Value::Text(routing(&self.routing).to_owned()),
            text(self.counterpart_name),
            Value::Text(self.lens_type),
            Value::Text(self.material),
            Value::Text(self.priority),
            Value::Text(self.status),
            text(self.station),
            Value::Text(self.currency),
            Value::Int(self.price_minor),
            Value::Time(created),
            time(self.shipped_at),
            time(self.completed_at),
            engine::turnaround_days(created, shipped, completed).map_or(Value::Null, Value::Float),
        ]
    }
}

/// One page of orders with their timelines.
pub(super) async fn page(tx: &mut TenantTx, l: &Listing) -> Result<Page<OrderRow>, Error> {
    let orders: Vec<OrderSql> = fetch(tx, ORDERS, l).await?;
    let mut timelines: HashMap<OrderId, Vec<OrderStep>> = HashMap::new();
    for s in fetch::<StepSql>(tx, TIMELINES, l).await? {
        timelines.entry(s.order_id).or_default().push(OrderStep {
            at_ms: ms(s.at),
            from_status: s.from_status,
            to_status: s.to_status,
            station: s.to_station,
            quality_issue: s.quality_issue,
        });
    }
    let page = page_of(orders, l, OrderSql::place, |o| {
        let timeline = timelines.remove(&o.id).unwrap_or_default();
        o.into_row(timeline)
    });
    let rows = page.rows.into_iter().collect::<Result<_, _>>()?;
    Ok(Page { rows, next_cursor: page.next_cursor })
}

/// Failed quality checks recorded in the period, oldest first, each with the first remake
/// raised for its order. The station is where the job was when it failed.
pub(super) const QUALITY: &str = "SELECT t.id, t.order_id, o.number, t.at, t.quality_issue AS issue,
        t.from_station AS station, o.lens_type,
        (SELECT r.id FROM lab_orders r WHERE r.tenant_id = t.tenant_id AND r.original_order_id = t.order_id
            ORDER BY r.id LIMIT 1) AS remake_order_id
    FROM lab_order_timeline t
    JOIN lab_orders o ON o.tenant_id = t.tenant_id AND o.id = t.order_id
    WHERE t.tenant_id = $1 AND t.quality_issue IS NOT NULL AND t.at >= $2 AND t.at < $3
        AND ($4 IS NULL OR (t.at, t.id) > ($4, $5))
    ORDER BY t.at, t.id LIMIT $6";

#[derive(sqlx::FromRow)]
pub(super) struct QualitySql {
    id: TimelineEntryId,
    order_id: OrderId,
    number: String,
    at: Timestamp,
    issue: String,
    station: Option<String>,
    lens_type: String,
    remake_order_id: Option<OrderId>,
}

impl QualitySql {
    fn place(&self) -> Cursor {
        Cursor { at: Some(self.at), id: self.id.as_uuid() }
    }

    fn into_row(self) -> QualityRow {
        QualityRow {
            order_id: self.order_id.to_string(),
            number: self.number,
            at_ms: ms(self.at),
            issue: self.issue,
            station: self.station,
            lens_type: self.lens_type,
            remake_order_id: self.remake_order_id.map(|r| r.to_string()),
        }
    }

    /// The `quality` dataset's row, in its fields' order.
    pub(super) fn into_fields(self) -> Vec<Value> {
        vec![
            Value::Text(self.number),
            Value::Text(self.issue),
            text(self.station),
            Value::Text(self.lens_type),
            Value::Time(ms(self.at)),
            Value::Int(i64::from(self.remake_order_id.is_some())),
        ]
    }
}

/// One page of quality failures.
pub(super) async fn quality_page(tx: &mut TenantTx, l: &Listing) -> Result<Page<QualityRow>, Error> {
    let rows: Vec<QualitySql> = fetch(tx, QUALITY, l).await?;
    Ok(page_of(rows, l, QualitySql::place, QualitySql::into_row))
}

/// The tenant's own orders (not a lab's copies of practices' orders: those carry no patient and
/// no frame of the lab's stock) placed in the period, oldest first, with their prescriptions.
const DISPENSING: &str = concat!(
    "SELECT o.id, o.created_at, o.frame_item_id, o.lens_type, o.rx ",
    orders_listed!(),
    " AND o.routing <> 'from_practice' ORDER BY o.created_at, o.id LIMIT $6"
);

#[derive(sqlx::FromRow)]
struct DispensingSql {
    id: OrderId,
    created_at: Timestamp,
    frame_item_id: Option<ItemId>,
    lens_type: String,
    /// JSON: the prescription as stored with the order.
    rx: String,
}

impl DispensingSql {
    fn place(&self) -> Cursor {
        Cursor { at: Some(self.created_at), id: self.id.as_uuid() }
    }

    fn into_row(self) -> Result<DispensingRow, Error> {
        let stored: ils_clinical::prescriptions::StoredEyes =
            serde_json::from_str(&self.rx).map_err(|e| {
                Error::Internal(format!("stored order {} has an invalid prescription: {e}", self.id))
            })?;
        let (right, left) = stored.rx()?;
        Ok(DispensingRow {
            order_id: self.id.to_string(),
            created_at_ms: ms(self.created_at),
            frame_item_id: self.frame_item_id.map(|i| i.to_string()),
            lens_type: self.lens_type,
            right: super::super::eye_to_host(&right),
            left: super::super::eye_to_host(&left),
        })
    }
}

/// One page of dispensing rows.
pub(super) async fn dispensing_page(tx: &mut TenantTx, l: &Listing) -> Result<Page<DispensingRow>, Error> {
    let rows: Vec<DispensingSql> = fetch(tx, DISPENSING, l).await?;
    let page = page_of(rows, l, DispensingSql::place, DispensingSql::into_row);
    let rows = page.rows.into_iter().collect::<Result<_, _>>()?;
    Ok(Page { rows, next_cursor: page.next_cursor })
}
