//! Purchase orders in the database: headers, lines, numbering and the guarded status updates.

use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_storage::ids::{ItemId, LocationId, PurchaseOrderDeliveryId, PurchaseOrderId, SupplierId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query};

use super::{Delivery, PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus};
use crate::row_lock;

/// A checked order: header and lines (one line per item).
#[derive(Clone, Debug)]
pub(crate) struct NewOrder {
    pub(crate) supplier_id: SupplierId,
    pub(crate) location_id: LocationId,
    pub(crate) currency: String,
    pub(crate) notes: String,
    pub(crate) lines: Vec<NewLine>,
}

/// A checked line.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NewLine {
    pub(crate) item_id: ItemId,
    pub(crate) quantity: i64,
    pub(crate) unit_price_minor: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: PurchaseOrderId,
    number: String,
    supplier_id: SupplierId,
    location_id: LocationId,
    status: PurchaseOrderStatus,
    currency: String,
    notes: String,
    created_by: Option<UserId>,
    created_at: Timestamp,
    updated_at: Timestamp,
    sent_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, number, supplier_id, location_id, status, currency, notes, created_by, created_at, updated_at, sent_at, closed_at";

async fn lines(tx: &mut TenantTx, id: PurchaseOrderId) -> Result<Vec<PurchaseOrderLine>> {
    let tenant = tx.tenant_id();
    let rows: Vec<PurchaseOrderLine> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT l.line_no, l.item_id, i.sku, l.quantity, l.received_quantity, l.unit_price_minor,
                l.quantity * l.unit_price_minor AS total_minor
         FROM purchase_order_lines l JOIN items i ON i.tenant_id = l.tenant_id AND i.id = l.item_id
         WHERE l.tenant_id = $1 AND l.purchase_order_id = $2 ORDER BY l.line_no",
        tenant,
        id
    )?;
    Ok(rows)
}

async fn with_lines(tx: &mut TenantTx, r: Row) -> Result<PurchaseOrder> {
    let lines = lines(tx, r.id).await?;
    let delivery = latest_delivery(tx, r.id).await?;
    Ok(PurchaseOrder {
        id: r.id,
        number: r.number,
        supplier_id: r.supplier_id,
        location_id: r.location_id,
        status: r.status,
        currency: r.currency,
        notes: r.notes,
        total_minor: lines.iter().map(|l| l.total_minor).sum(),
        lines,
        created_by: r.created_by,
        created_at: r.created_at,
        updated_at: r.updated_at,
        sent_at: r.sent_at,
        closed_at: r.closed_at,
        delivery,
    })
}

/// One purchase order of the tenant, with its lines.
pub async fn get(tx: &mut TenantTx, id: PurchaseOrderId) -> Result<PurchaseOrder> {
    fetch(tx, id, false).await
}

/// One purchase order, locked until the transaction ends: status changes and receipts on the
/// same order run one after the other.
pub(crate) async fn get_locked(tx: &mut TenantTx, id: PurchaseOrderId) -> Result<PurchaseOrder> {
    fetch(tx, id, true).await
}

async fn fetch(tx: &mut TenantTx, id: PurchaseOrderId, lock: bool) -> Result<PurchaseOrder> {
    let tenant = tx.tenant_id();
    let lock = if lock { row_lock(tx) } else { "" };
    let sql = format!("SELECT {COLUMNS} FROM purchase_orders WHERE tenant_id = $1 AND id = $2{lock}");
    let row: Option<Row> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    with_lines(tx, row.ok_or(Error::NotFound("purchase order"))?).await
}

/// The next order number, `PO-000001` style.
pub(crate) async fn next_number(tx: &mut TenantTx) -> Result<String> {
    Ok(format!("PO-{:06}", tx.next_in("purchase_orders").await?))
}

async fn insert_lines(tx: &mut TenantTx, id: PurchaseOrderId, lines: &[NewLine]) -> Result<()> {
    let tenant = tx.tenant_id();
    for (n, line) in lines.iter().enumerate() {
        let line_no = i32::try_from(n + 1).map_err(|_| Error::Internal("too many lines".into()))?;
        execute!(
            tx.conn(),
            "INSERT INTO purchase_order_lines (tenant_id, purchase_order_id, line_no, item_id, quantity,
                received_quantity, unit_price_minor)
             VALUES ($1, $2, $3, $4, $5, 0, $6)",
            tenant,
            id,
            line_no,
            line.item_id,
            line.quantity,
            line.unit_price_minor
        )?;
    }
    Ok(())
}

/// Records a draft order.
pub(crate) async fn insert(
    tx: &mut TenantTx,
    number: &str,
    order: &NewOrder,
    created_by: Option<UserId>,
) -> Result<PurchaseOrderId> {
    let tenant = tx.tenant_id();
    let id = PurchaseOrderId::new();
    execute!(
        tx.conn(),
        "INSERT INTO purchase_orders (tenant_id, id, number, supplier_id, location_id, status, currency, notes,
            created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        tenant,
        id,
        number,
        order.supplier_id,
        order.location_id,
        PurchaseOrderStatus::Draft,
        &order.currency,
        &order.notes,
        created_by,
        Timestamp::now()
    )?;
    insert_lines(tx, id, &order.lines).await?;
    Ok(id)
}

/// Replaces a draft's header and lines. The caller has locked the order and checked it is a
/// draft; the `status` condition makes sure of it.
pub(crate) async fn replace(tx: &mut TenantTx, id: PurchaseOrderId, order: &NewOrder) -> Result<()> {
    let tenant = tx.tenant_id();
    let updated = execute!(
        tx.conn(),
        "UPDATE purchase_orders SET supplier_id = $3, location_id = $4, currency = $5, notes = $6, updated_at = $7
         WHERE tenant_id = $1 AND id = $2 AND status = 'draft'",
        tenant,
        id,
        order.supplier_id,
        order.location_id,
        &order.currency,
        &order.notes,
        Timestamp::now()
    )?;
    if updated == 0 {
        return Err(Error::Internal("a draft purchase order changed under its lock".into()));
    }
    execute!(
        tx.conn(),
        "DELETE FROM purchase_order_lines WHERE tenant_id = $1 AND purchase_order_id = $2",
        tenant,
        id
    )?;
    insert_lines(tx, id, &order.lines).await
}

/// Moves an order from `from` to `to` (checked by the caller), stamping `sent_at` or `closed_at`.
pub(crate) async fn set_status(
    tx: &mut TenantTx,
    id: PurchaseOrderId,
    from: PurchaseOrderStatus,
    to: PurchaseOrderStatus,
) -> Result<()> {
    let tenant = tx.tenant_id();
    let updated = execute!(
        tx.conn(),
        "UPDATE purchase_orders SET status = $4, updated_at = $5,
            sent_at = CASE WHEN $4 = 'sent' THEN $5 ELSE sent_at END,
            closed_at = CASE WHEN $4 IN ('received', 'cancelled') THEN $5 ELSE closed_at END
         WHERE tenant_id = $1 AND id = $2 AND status = $3",
        tenant,
        id,
        from,
        to,
        Timestamp::now()
    )?;
    if updated == 0 {
        return Err(Error::Internal("a purchase order's status changed under its lock".into()));
    }
    Ok(())
}

/// Adds `quantity` to a line's received quantity, unless that would pass what was ordered.
/// Answers whether it did.
pub(crate) async fn receive_line(
    tx: &mut TenantTx,
    id: PurchaseOrderId,
    item: ItemId,
    quantity: i64,
) -> Result<bool> {
    let tenant = tx.tenant_id();
    let updated = execute!(
        tx.conn(),
        "UPDATE purchase_order_lines SET received_quantity = received_quantity + $4
         WHERE tenant_id = $1 AND purchase_order_id = $2 AND item_id = $3
           AND received_quantity + $4 <= quantity",
        tenant,
        id,
        item,
        quantity
    )?;
    Ok(updated == 1)
}

/// Which purchase orders to list; every filter left out matches all.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only orders in this status.
    pub status: Option<PurchaseOrderStatus>,
    /// Only orders to this supplier.
    pub supplier_id: Option<SupplierId>,
}

/// The tenant's purchase orders matching `filter`, a page at a time, oldest first.
pub async fn list(tx: &mut TenantTx, filter: &Filter, page: &PageRequest) -> Result<Page<PurchaseOrder>> {
    let tenant = tx.tenant_id();
    let after: Option<PurchaseOrderId> = page.after()?;
    let sql = format!(
        "SELECT {COLUMNS} FROM purchase_orders WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2)
           AND ($3 IS NULL OR status = $3) AND ($4 IS NULL OR supplier_id = $4)
         ORDER BY id LIMIT $5"
    );
    let rows: Vec<Row> = query!(
        tx,
        query_as,
        fetch_all,
        sql,
        tenant,
        after,
        filter.status,
        filter.supplier_id,
        page.fetch_limit()
    )?;
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        orders.push(with_lines(tx, row).await?);
    }
    Ok(page.finish(orders, |o| o.id.as_uuid()))
}

/// What the tenant last paid `supplier` for `item`: the currency and unit price of the newest
/// purchase order line for it (any status but cancelled), if there is one.
pub async fn last_terms(
    tx: &mut TenantTx,
    supplier: SupplierId,
    item: ItemId,
) -> Result<Option<(String, i64)>> {
    let tenant = tx.tenant_id();
    let found: Option<(String, i64)> = query!(
        tx,
        query_as,
        fetch_optional,
        "SELECT o.currency, l.unit_price_minor FROM purchase_order_lines l
         JOIN purchase_orders o ON o.tenant_id = l.tenant_id AND o.id = l.purchase_order_id
         WHERE l.tenant_id = $1 AND o.supplier_id = $2 AND l.item_id = $3 AND o.status <> 'cancelled'
         ORDER BY o.id DESC LIMIT 1",
        tenant,
        supplier,
        item
    )?;
    Ok(found)
}

const DELIVERY_COLUMNS: &str = "id, purchase_order_id,
    CASE WHEN to_tenant_id IS NULL THEN 'email' ELSE 'ils' END AS channel, to_address, to_tenant_id, status,
    error, file_id, attempts, requested_by, created_at, delivered_at, acknowledged_at, updated_at";

/// One delivery of the tenant.
pub async fn delivery(tx: &mut TenantTx, id: PurchaseOrderDeliveryId) -> Result<Delivery> {
    let tenant = tx.tenant_id();
    let sql =
        format!("SELECT {DELIVERY_COLUMNS} FROM purchase_order_deliveries WHERE tenant_id = $1 AND id = $2");
    let row: Option<Delivery> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    row.ok_or(Error::NotFound("purchase order delivery"))
}

/// Every sending of one order, newest first.
pub async fn deliveries(tx: &mut TenantTx, order: PurchaseOrderId) -> Result<Vec<Delivery>> {
    get(tx, order).await?;
    let tenant = tx.tenant_id();
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM purchase_order_deliveries WHERE tenant_id = $1 AND purchase_order_id = $2
         ORDER BY id DESC"
    );
    Ok(query!(tx, query_as, fetch_all, sql, tenant, order)?)
}

/// The order's latest sending, if it was ever sent.
pub(crate) async fn latest_delivery(tx: &mut TenantTx, order: PurchaseOrderId) -> Result<Option<Delivery>> {
    let tenant = tx.tenant_id();
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM purchase_order_deliveries WHERE tenant_id = $1 AND purchase_order_id = $2
         ORDER BY id DESC LIMIT 1"
    );
    Ok(query!(tx, query_as, fetch_optional, sql, tenant, order)?)
}
