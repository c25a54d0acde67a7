//! The order store: the SQL for lab orders and their timelines (insert, read, list, the production
//! queue, and guarded status/station changes). Services call it through their unit of work.

use super::status::OrderStatus;
use super::{
    Coating, Counterpart, Frame, Lens, LensType, Material, Measurements, Money, Order, OrderReason, OrderRx,
    Priority, Routing, Station, TimelineEntry,
};
use ils_clinical::prescriptions::StoredEyes;
use ils_clinical::rx::CylinderForm;
use ils_kernel::audit::{ActorKind, AuditCtx};
use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_storage::ids::{ItemId, OrderId, PatientId, PrescriptionId, TenantId, TimelineEntryId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, on_conn, query};

/// A checked new order, ready to store.
#[derive(Clone, Debug)]
pub struct NewOrder {
    /// The patient (none on a lab's copy).
    pub patient_id: Option<PatientId>,
    /// The prescription (none on a lab's copy).
    pub prescription_id: Option<PrescriptionId>,
    /// The practice's patient reference, on a lab's copy.
    pub patient_ref: Option<String>,
    /// Where it is made.
    pub routing: Routing,
    /// The other tenant's copy.
    pub counterpart: Option<Counterpart>,
    /// Why the job is made: new, remake, return or non-adapt.
    pub reason: OrderReason,
    /// The original, for remakes, returns and non-adapts.
    pub original_order_id: Option<OrderId>,
    /// The prescription values copied from the prescription.
    pub rx: StoredEyes,
    /// The lens design (DCS `LTYP`).
    pub lens_type: LensType,
    /// The lens material; `lens_index` is one it is made in.
    pub material: Material,
    /// Index in thousandths.
    pub lens_index: u16,
    /// Coatings and treatments, each at most once.
    pub coatings: Vec<Coating>,
    /// The tint as the lab writes it (up to 60 characters); none when untinted.
    pub tint: Option<String>,
    /// Frame description.
    pub frame: String,
    /// Boxing A, B, DBL in hundredths of a mm.
    pub boxing: (Option<u32>, Option<u32>, Option<u32>),
    /// The frame's traced shapes (checked).
    pub shapes: Vec<crate::shapes::Shape>,
    /// The frame from the tenant's stock (none on a lab's copy: the item is the practice's).
    pub frame_item_id: Option<ItemId>,
    /// Monocular PDs in tenths of a mm.
    pub pd: (u16, u16),
    /// Fitting heights in tenths of a mm.
    pub heights: (Option<u16>, Option<u16>),
    /// Due date.
    pub due_on: jiff::civil::Date,
    /// How urgent: the production queue takes jobs by priority, then due date.
    pub priority: Priority,
    /// The price of the job: not negative, with an ISO 4217 currency.
    pub price: Money,
    /// Notes for the lab (up to 2,000 characters); empty when none.
    pub notes: String,
    /// Who placed it.
    pub created_by: Option<UserId>,
}

const COLUMNS: &str = "id, number, patient_id, prescription_id, patient_ref, routing, counterpart_tenant_id,
    counterpart_order_id, counterpart_name, counterpart_number, reason, original_order_id, rx, lens_type,
    material, lens_index, coatings, tint, frame, frame_a_hundredths, frame_b_hundredths, frame_dbl_hundredths, frame_item_id, pd_right,
    pd_left, height_right, height_left, due_on, priority, price_minor, currency, status, held_from, station,
    quality_issue, notes, created_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: OrderId,
    number: String,
    patient_id: Option<PatientId>,
    prescription_id: Option<PrescriptionId>,
    patient_ref: Option<String>,
    routing: Routing,
    counterpart_tenant_id: Option<TenantId>,
    counterpart_order_id: Option<OrderId>,
    counterpart_name: Option<String>,
    counterpart_number: Option<String>,
    reason: OrderReason,
    original_order_id: Option<OrderId>,
    rx: String,
    lens_type: LensType,
    material: Material,
    lens_index: i32,
    coatings: String,
    tint: Option<String>,
    frame: String,
    frame_a_hundredths: Option<i32>,
    frame_b_hundredths: Option<i32>,
    frame_dbl_hundredths: Option<i32>,
    frame_item_id: Option<ItemId>,
    pd_right: i32,
    pd_left: i32,
    height_right: Option<i32>,
    height_left: Option<i32>,
    due_on: String,
    priority: Priority,
    price_minor: i64,
    currency: String,
    status: OrderStatus,
    held_from: Option<OrderStatus>,
    station: Option<Station>,
    quality_issue: Option<String>,
    notes: String,
    created_by: Option<UserId>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))
}

fn mm(tenths: i32) -> f64 {
    f64::from(tenths) / 10.0
}

fn mm_from_hundredths(hundredths: i32) -> f64 {
    f64::from(hundredths) / 100.0
}

impl Row {
    fn into_order(self, today: jiff::civil::Date) -> Result<Order> {
        let corrupt = |what: &str| Error::Internal(format!("stored order {} has an invalid {what}", self.id));
        let rx: StoredEyes = serde_json::from_str(&self.rx).map_err(|_| corrupt("prescription"))?;
        let (right, left) = rx.views(CylinderForm::Minus)?;
        let coatings: Vec<Coating> =
            serde_json::from_str(&self.coatings).map_err(|_| corrupt("coating list"))?;
        let due_on: jiff::civil::Date = self.due_on.parse().map_err(|_| corrupt("due date"))?;
        Ok(Order {
            id: self.id,
            number: self.number,
            patient_id: self.patient_id,
            prescription_id: self.prescription_id,
            patient_ref: self.patient_ref,
            routing: self.routing,
            counterpart: match (self.counterpart_tenant_id, self.counterpart_order_id) {
                (Some(tenant_id), Some(order_id)) => Some(Counterpart {
                    tenant_id,
                    order_id,
                    name: self.counterpart_name.unwrap_or_default(),
                    number: self.counterpart_number.unwrap_or_default(),
                }),
                _ => None,
            },
            reason: self.reason,
            original_order_id: self.original_order_id,
            rx: OrderRx { right, left },
            lens: Lens {
                lens_type: self.lens_type,
                material: self.material,
                index: f64::from(self.lens_index) / 1000.0,
                coatings,
                tint: self.tint,
            },
            frame: Frame {
                description: self.frame,
                a_mm: self.frame_a_hundredths.map(mm_from_hundredths),
                b_mm: self.frame_b_hundredths.map(mm_from_hundredths),
                dbl_mm: self.frame_dbl_hundredths.map(mm_from_hundredths),
                item_id: self.frame_item_id,
                shapes: Vec::new(),
            },
            measurements: Measurements {
                pd_right_mm: mm(self.pd_right),
                pd_left_mm: mm(self.pd_left),
                height_right_mm: self.height_right.map(mm),
                height_left_mm: self.height_left.map(mm),
            },
            due_on,
            priority: self.priority,
            price: Money { amount_minor: self.price_minor, currency: self.currency },
            overdue: Order::is_overdue(self.status, due_on, today),
            status: self.status,
            held_from: self.held_from,
            station: self.station,
            quality_issue: self.quality_issue,
            notes: self.notes,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn orders(rows: Vec<Row>) -> Result<Vec<Order>> {
    let today = ils_clinical::today();
    rows.into_iter().map(|r| r.into_order(today)).collect()
}

/// The next job number, `J000001` style.
pub async fn next_number(tx: &mut TenantTx) -> Result<String> {
    Ok(format!("J{:06}", tx.next_unique_in("lab_orders").await?))
}

/// Stores a new order `id` as `pending` with the first row of its timeline; the order as stored.
pub async fn insert(
    tx: &mut TenantTx,
    id: OrderId,
    number: &str,
    new: &NewOrder,
    actor: &AuditCtx,
) -> Result<Order> {
    const SQL: &str = "INSERT INTO lab_orders (tenant_id, id, number, patient_id, prescription_id, reason,
            original_order_id, rx, lens_type, material, lens_index, coatings, tint, frame, frame_a_hundredths,
            frame_b_hundredths, frame_dbl_hundredths, pd_right, pd_left, height_right, height_left, due_on, priority, price_minor, currency,
            status, notes, created_by, created_at, updated_at, patient_ref, routing, counterpart_tenant_id,
            counterpart_order_id, counterpart_name, counterpart_number, frame_item_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
            $21, $22, $23, $24, $25, $26, $27, $28, $29, $29, $30, $31, $32, $33, $34, $35, $36)";
    let sql = format!("{SQL} RETURNING {COLUMNS}");
    let tenant = tx.tenant_id();
    let counterpart = new.counterpart.as_ref();
    let now = Timestamp::now();
    let (a, b, dbl) = new.boxing;
    let row: Row = query!(
        tx,
        query_as,
        fetch_one,
        sql,
        tenant,
        id,
        number,
        new.patient_id,
        new.prescription_id,
        new.reason,
        new.original_order_id,
        to_json(&new.rx)?,
        new.lens_type,
        new.material,
        i32::from(new.lens_index),
        to_json(&new.coatings)?,
        &new.tint,
        &new.frame,
        a.map(|v| v as i32),
        b.map(|v| v as i32),
        dbl.map(|v| v as i32),
        i32::from(new.pd.0),
        i32::from(new.pd.1),
        new.heights.0.map(i32::from),
        new.heights.1.map(i32::from),
        new.due_on.to_string(),
        new.priority,
        new.price.amount_minor,
        &new.price.currency,
        OrderStatus::Pending,
        &new.notes,
        new.created_by,
        now,
        &new.patient_ref,
        new.routing,
        counterpart.map(|c| c.tenant_id),
        counterpart.map(|c| c.order_id),
        counterpart.map(|c| c.name.as_str()),
        counterpart.map(|c| c.number.as_str()),
        new.frame_item_id
    )
    .map_err(|e| {
        Error::from(e).on_duplicate_of("number", "number_taken", "Another order has that job number.")
    })?;
    let created = Change { from: None, to: OrderStatus::Pending, from_station: None, to_station: None };
    append_timeline(tx, id, &created, None, None, actor).await?;
    let mut order = row.into_order(ils_clinical::today())?;
    order.frame.shapes = crate::shapes::add(tx, id, &new.shapes, None).await?;
    Ok(order)
}

/// One order of the tenant.
pub async fn get(tx: &mut TenantTx, id: OrderId) -> Result<Order> {
    let sql = format!("SELECT {COLUMNS} FROM lab_orders WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    let mut order = row.ok_or(Error::NotFound("order"))?.into_order(ils_clinical::today())?;
    order.frame.shapes = crate::shapes::of_order(tx, id).await?;
    Ok(order)
}

/// The id of the tenant's order numbered `number` (`J000123`), if there is one: how a device names
/// a job.
pub async fn id_by_number(tx: &mut TenantTx, number: &str) -> Result<Option<OrderId>> {
    let tenant = tx.tenant_id();
    let id: Option<(OrderId,)> = on_conn!(tx.conn(), c => sqlx::query_as(
        "SELECT id FROM lab_orders WHERE tenant_id = $1 AND number = $2")
        .bind(tenant)
        .bind(number)
        .fetch_optional(&mut **c)
        .await)?;
    Ok(id.map(|(id,)| id))
}

/// Which orders to list; every given filter must match.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// In this status.
    pub status: Option<OrderStatus>,
    /// At this station.
    pub station: Option<Station>,
    /// For this patient.
    pub patient_id: Option<PatientId>,
}

/// The tenant's orders, oldest first, a page at a time.
pub async fn list(tx: &mut TenantTx, filter: &Filter, page: &PageRequest) -> Result<Page<Order>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM lab_orders
         WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) AND ($3 IS NULL OR status = $3)
           AND ($4 IS NULL OR station = $4) AND ($5 IS NULL OR patient_id = $5)
         ORDER BY id LIMIT $6"
    );
    let tenant = tx.tenant_id();
    let after: Option<OrderId> = page.after()?;
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(after)
        .bind(filter.status)
        .bind(filter.station)
        .bind(filter.patient_id)
        .bind(page.fetch_limit())
        .fetch_all(&mut **c)
        .await)?;
    Ok(page.finish(orders(rows)?, |o| o.id.as_uuid()))
}

/// The tenant's newest orders (optionally in one status), at most `limit`.
pub async fn newest(tx: &mut TenantTx, status: Option<OrderStatus>, limit: i64) -> Result<Vec<Order>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM lab_orders WHERE tenant_id = $1 AND ($2 IS NULL OR status = $2)
         ORDER BY id DESC LIMIT $3"
    );
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(status)
        .bind(limit)
        .fetch_all(&mut **c)
        .await)?;
    orders(rows)
}

/// The tenant's open orders (not completed or cancelled) due on or before `date`, soonest first,
/// at most `limit`: what a practice or lab must chase today.
pub async fn due_by(tx: &mut TenantTx, date: jiff::civil::Date, limit: i64) -> Result<Vec<Order>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM lab_orders
         WHERE tenant_id = $1 AND status NOT IN ('completed', 'cancelled') AND due_on <= $2
         ORDER BY due_on, id LIMIT $3"
    );
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(date.to_string())
        .bind(limit)
        .fetch_all(&mut **c)
        .await)?;
    orders(rows)
}

/// The production queue: open orders (not shipped, completed or cancelled) by priority, then
/// due date, then age; a page continues after the order named by the cursor.
pub async fn queue(tx: &mut TenantTx, filter: &Filter, page: &PageRequest) -> Result<Page<Order>> {
    let tenant = tx.tenant_id();
    let after: Option<OrderId> = page.after()?;
    // The cursor is an order id; the page continues after its place in the queue order.
    let position: Option<(i32, String, OrderId)> = match after {
        None => None,
        Some(id) => {
            let row: Option<(i32, String)> = on_conn!(tx.conn(), c => sqlx::query_as(
                    "SELECT priority_rank, due_on FROM lab_orders WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(id)
                .fetch_optional(&mut **c)
                .await)?;
            let (rank, due) = row.ok_or_else(|| Error::invalid_field("cursor", "names no order"))?;
            Some((rank, due, id))
        }
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM lab_orders
         WHERE tenant_id = $1 AND status IN ('pending', 'in_production', 'quality_check', 'on_hold')
           AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR station = $3)
           AND ($4 IS NULL OR (priority_rank, due_on, id) > ($4, $5, $6))
         ORDER BY priority_rank, due_on, id LIMIT $7"
    );
    let (rank, due, id) = position.map_or((None, None, None), |(r, d, i)| (Some(r), Some(d), Some(i)));
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(filter.status)
        .bind(filter.station)
        .bind(rank)
        .bind(&due)
        .bind(id)
        .bind(page.fetch_limit())
        .fetch_all(&mut **c)
        .await)?;
    Ok(page.finish(orders(rows)?, |o| o.id.as_uuid()))
}

/// A status and station change of one order.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    /// Status before (none at creation).
    pub from: Option<OrderStatus>,
    /// Status after.
    pub to: OrderStatus,
    /// Station before.
    pub from_station: Option<Station>,
    /// Station after.
    pub to_station: Option<Station>,
}

/// Applies `change` if the order is still in `change.from` (a concurrent move makes this a
/// `moved_meanwhile` conflict), and records it in the timeline.
pub async fn apply(
    tx: &mut TenantTx,
    id: OrderId,
    change: &Change,
    held_from: Option<OrderStatus>,
    quality_issue: Option<&str>,
    note: Option<&str>,
    actor: &AuditCtx,
) -> Result<()> {
    let tenant = tx.tenant_id();
    let from = change.from.ok_or_else(|| Error::Internal("a change needs a from status".into()))?;
    let done = execute!(
        tx.conn(),
        "UPDATE lab_orders SET status = $3, held_from = $4, station = $5,
             quality_issue = COALESCE($6, quality_issue), updated_at = $7
         WHERE tenant_id = $1 AND id = $2 AND status = $8 AND station IS NOT DISTINCT FROM $9",
        tenant,
        id,
        change.to,
        held_from,
        change.to_station,
        quality_issue,
        Timestamp::now(),
        from,
        change.from_station
    )?;
    if done == 0 {
        return Err(Error::conflict(
            "moved_meanwhile",
            "Someone else moved this order meanwhile; reload it and try again.",
        ));
    }
    append_timeline(tx, id, change, quality_issue, note, actor).await
}

async fn append_timeline(
    tx: &mut TenantTx,
    order: OrderId,
    change: &Change,
    quality_issue: Option<&str>,
    note: Option<&str>,
    actor: &AuditCtx,
) -> Result<()> {
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO lab_order_timeline (tenant_id, id, order_id, from_status, to_status, from_station,
             to_station, note, quality_issue, actor_kind, actor_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        tenant,
        TimelineEntryId::new(),
        order,
        change.from,
        change.to,
        change.from_station,
        change.to_station,
        note,
        quality_issue,
        actor.actor_kind,
        actor.actor_id,
        Timestamp::now()
    )?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct TimelineRow {
    id: TimelineEntryId,
    from_status: Option<OrderStatus>,
    to_status: OrderStatus,
    from_station: Option<Station>,
    to_station: Option<Station>,
    note: Option<String>,
    quality_issue: Option<String>,
    actor_kind: ActorKind,
    actor_id: Option<uuid::Uuid>,
    at: Timestamp,
}

/// An order's timeline, oldest first.
pub async fn timeline(tx: &mut TenantTx, order: OrderId) -> Result<Vec<TimelineEntry>> {
    let tenant = tx.tenant_id();
    let rows: Vec<TimelineRow> = on_conn!(tx.conn(), c => sqlx::query_as(
            "SELECT id, from_status, to_status, from_station, to_station, note, quality_issue, actor_kind,
                 actor_id, at
             FROM lab_order_timeline WHERE tenant_id = $1 AND order_id = $2 ORDER BY id")
        .bind(tenant)
        .bind(order)
        .fetch_all(&mut **c)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|r| TimelineEntry {
            id: r.id,
            from_status: r.from_status,
            to_status: r.to_status,
            from_station: r.from_station,
            to_station: r.to_station,
            note: r.note,
            quality_issue: r.quality_issue,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            at: r.at,
        })
        .collect())
}

/// Unlinks the practice's orders for `patient` from the patient and their prescription when the
/// patient is erased: the orders stay (business records, kept for accounting) without the link
/// and without their free-text notes, marked with the moment (`patient_erased_at`). How many.
pub async fn unlink_patient(tx: &mut TenantTx, patient: PatientId, at: Timestamp) -> Result<u64> {
    const SQL: &str = "UPDATE lab_orders
        SET patient_id = NULL, prescription_id = NULL, notes = '', patient_erased_at = $3, updated_at = $3
        WHERE tenant_id = $1 AND patient_id = $2";
    let tenant = tx.tenant_id();
    Ok(execute!(tx.conn(), SQL, tenant, patient, at)?)
}

/// Every order of the tenant for `patient`, oldest first (a patient's subject-access export).
pub async fn for_patient(tx: &mut TenantTx, patient: PatientId) -> Result<Vec<Order>> {
    let sql =
        format!("SELECT {COLUMNS} FROM lab_orders WHERE tenant_id = $1 AND patient_id = $2 ORDER BY id");
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(patient)
        .fetch_all(&mut **c)
        .await)?;
    orders(rows)
}
