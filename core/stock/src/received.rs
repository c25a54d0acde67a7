//! The purchase orders a supplier receives on ILS: when a directory supplier is linked to its own
//! tenant, the orders its customers send arrive here, in that tenant, instead of by e-mail
//! (docs/adr/042-supplier-inbox.md).
//!
//! Each delivery is one [`ReceivedOrder`]: the supplier's own copy of what the order said when it
//! was sent — the buyer's name and letterhead, the lines, the totals, and the PDF in the
//! supplier's files — so later changes on the buyer's side never alter what was received. A
//! delivery arrives once however often its job is tried ([`receive`] is keyed by the delivery).
//! The supplier acknowledges an order when it has taken it on.
//!
//! ```text
//! new ──▶ acknowledged
//! ```

use serde::{Deserialize, Serialize};

use ils_kernel::audit::Event;
use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{FileId, PurchaseOrderDeliveryId, PurchaseOrderId, ReceivedOrderId, TenantId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query, text_enum};

use crate::events::PurchaseOrderReceived;

text_enum! {
    /// Where a received order is for the supplier.
    pub enum ReceivedStatus {
        /// Arrived; nobody has taken it on yet.
        New = "new",
        /// The supplier has taken it on (the buyer sees when).
        Acknowledged = "acknowledged",
    }
}

/// Who sent the order: the buying tenant, as its letterhead said when it sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Buyer {
    /// The buyer's name.
    pub name: String,
    /// Its postal address, one line per line.
    pub address: String,
    /// Its telephone number.
    pub phone: Option<String>,
    /// The address for questions about its orders.
    pub email: Option<String>,
}

/// One line as the buyer ordered it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderedLine {
    /// The buyer's SKU for the item.
    pub sku: String,
    /// The item's name.
    pub name: String,
    /// Units ordered.
    pub quantity: i64,
    /// Price per unit, minor units of the order's currency.
    pub unit_price_minor: i64,
    /// `quantity × unit_price_minor`.
    pub total_minor: i64,
}

/// A purchase order in a supplier's inbox.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceivedOrder {
    /// The inbox entry's id (UUIDv7).
    pub id: ReceivedOrderId,
    /// Who sent it.
    pub buyer: Buyer,
    /// The buyer's number for the order (`PO-000123`), to quote back.
    pub number: String,
    /// The buyer's account number with the supplier.
    pub account_number: Option<String>,
    /// Where the goods go: the buyer's stock location.
    pub deliver_to: String,
    /// ISO 4217 currency of the prices.
    pub currency: String,
    /// The order's value, minor units of `currency`.
    pub total_minor: i64,
    /// The buyer's notes to the supplier.
    pub notes: String,
    /// What was ordered.
    pub lines: Vec<OrderedLine>,
    /// The order as a PDF in the supplier's files (`GET /api/v1/files/{id}`).
    pub file_id: Option<FileId>,
    /// The buyer sent this order before (it sent it again: the supplier said it was lost, or
    /// the buyer was unsure it arrived).
    pub sent_again: bool,
    /// Taken on or not.
    pub status: ReceivedStatus,
    /// When it arrived (UTC).
    pub received_at: Timestamp,
    /// When the supplier acknowledged it.
    pub acknowledged_at: Option<Timestamp>,
    /// Who acknowledged it (none for an API key).
    pub acknowledged_by: Option<UserId>,
}

/// A delivery arriving in a supplier's inbox, as the buyer's side reads it.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// The buying tenant.
    pub buyer_tenant_id: TenantId,
    /// Its letterhead.
    pub buyer: Buyer,
    /// The delivery bringing it (the key that makes arrival happen once).
    pub delivery_id: PurchaseOrderDeliveryId,
    /// The buyer's order.
    pub purchase_order_id: PurchaseOrderId,
    /// Its number.
    pub number: String,
    /// The buyer's account number with the supplier.
    pub account_number: Option<String>,
    /// The buyer's stock location's name.
    pub deliver_to: String,
    /// Currency.
    pub currency: String,
    /// Total, minor units.
    pub total_minor: i64,
    /// Notes.
    pub notes: String,
    /// The lines.
    pub lines: Vec<OrderedLine>,
    /// The PDF, already in the supplier's files.
    pub file_id: Option<FileId>,
}

/// Which received orders to list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only those with this status.
    pub status: Option<ReceivedStatus>,
}

/// Where an acknowledgement is to be shown on the buyer's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sender {
    /// The buying tenant.
    pub tenant_id: TenantId,
    /// The delivery to mark acknowledged there.
    pub delivery_id: PurchaseOrderDeliveryId,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: ReceivedOrderId,
    buyer_tenant_id: TenantId,
    buyer_name: String,
    buyer_address: String,
    buyer_phone: Option<String>,
    buyer_email: Option<String>,
    delivery_id: PurchaseOrderDeliveryId,
    number: String,
    account_number: Option<String>,
    deliver_to: String,
    currency: String,
    total_minor: i64,
    notes: String,
    lines: sqlx::types::Json<Vec<OrderedLine>>,
    file_id: Option<FileId>,
    sent_again: bool,
    status: ReceivedStatus,
    received_at: Timestamp,
    acknowledged_at: Option<Timestamp>,
    acknowledged_by: Option<UserId>,
}

impl Row {
    fn sender(&self) -> Sender {
        Sender { tenant_id: self.buyer_tenant_id, delivery_id: self.delivery_id }
    }
}

impl From<Row> for ReceivedOrder {
    fn from(r: Row) -> Self {
        ReceivedOrder {
            id: r.id,
            buyer: Buyer {
                name: r.buyer_name,
                address: r.buyer_address,
                phone: r.buyer_phone,
                email: r.buyer_email,
            },
            number: r.number,
            account_number: r.account_number,
            deliver_to: r.deliver_to,
            currency: r.currency,
            total_minor: r.total_minor,
            notes: r.notes,
            lines: r.lines.0,
            file_id: r.file_id,
            sent_again: r.sent_again,
            status: r.status,
            received_at: r.received_at,
            acknowledged_at: r.acknowledged_at,
            acknowledged_by: r.acknowledged_by,
        }
    }
}

const COLUMNS: &str = "id, buyer_tenant_id, buyer_name, buyer_address, buyer_phone, buyer_email, delivery_id,
    number, account_number, deliver_to, currency, total_minor, notes, lines, file_id, sent_again, status,
    received_at, acknowledged_at, acknowledged_by";

async fn row(tx: &mut TenantTx, id: ReceivedOrderId) -> Result<Row> {
    find(tx, "id", id.as_uuid()).await?.ok_or(Error::NotFound("received purchase order"))
}

/// The entry whose `column` (`id` or `delivery_id`, both unique in a tenant) is `key`.
async fn find(tx: &mut TenantTx, column: &'static str, key: sqlx::types::Uuid) -> Result<Option<Row>> {
    let tenant = tx.tenant_id();
    let sql =
        format!("SELECT {COLUMNS} FROM received_purchase_orders WHERE tenant_id = $1 AND {column} = $2");
    Ok(query!(tx, query_as, fetch_optional, sql, tenant, key)?)
}

/// One order in the tenant's inbox.
pub async fn get(tx: &mut TenantTx, id: ReceivedOrderId) -> Result<ReceivedOrder> {
    Ok(row(tx, id).await?.into())
}

/// The inbox entry a delivery made, if it has arrived.
pub async fn by_delivery(
    tx: &mut TenantTx,
    delivery: PurchaseOrderDeliveryId,
) -> Result<Option<ReceivedOrder>> {
    Ok(find(tx, "delivery_id", delivery.as_uuid()).await?.map(Into::into))
}

/// The tenant's inbox, newest first.
pub async fn list(tx: &mut TenantTx, filter: &Filter, page: &PageRequest) -> Result<Page<ReceivedOrder>> {
    let tenant = tx.tenant_id();
    let before: Option<ReceivedOrderId> = page.after()?;
    let sql = format!(
        "SELECT {COLUMNS} FROM received_purchase_orders WHERE tenant_id = $1 AND ($2 IS NULL OR id < $2)
           AND ($3 IS NULL OR status = $3)
         ORDER BY id DESC LIMIT $4"
    );
    let rows: Vec<Row> =
        query!(tx, query_as, fetch_all, sql, tenant, before, filter.status, page.fetch_limit())?;
    let orders: Vec<ReceivedOrder> = rows.into_iter().map(Into::into).collect();
    Ok(page.finish(orders, |o| o.id.as_uuid()))
}

/// Puts a delivery into the inbox of the unit's tenant (the supplier), with
/// `purchase_order.received` in its audit log and as its event. A delivery that arrived already
/// is left as it was: answers the entry and whether this call made it.
pub async fn receive(uow: &mut UnitOfWork, incoming: Incoming) -> Result<(ReceivedOrder, bool)> {
    if let Some(existing) = by_delivery(uow.tx(), incoming.delivery_id).await? {
        return Ok((existing, false));
    }
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let sent_again: bool = query!(
        tx,
        query_scalar,
        fetch_one,
        "SELECT EXISTS (SELECT 1 FROM received_purchase_orders
           WHERE tenant_id = $1 AND buyer_tenant_id = $2 AND purchase_order_id = $3)",
        tenant,
        incoming.buyer_tenant_id,
        incoming.purchase_order_id
    )?;
    let id = ReceivedOrderId::new();
    let lines = sqlx::types::Json(&incoming.lines);
    execute!(
        tx.conn(),
        "INSERT INTO received_purchase_orders (tenant_id, id, buyer_tenant_id, buyer_name, buyer_address,
            buyer_phone, buyer_email, delivery_id, purchase_order_id, number, account_number, deliver_to,
            currency, total_minor, notes, lines, file_id, sent_again, status, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'new', $19)",
        tenant,
        id,
        incoming.buyer_tenant_id,
        &incoming.buyer.name,
        &incoming.buyer.address,
        incoming.buyer.phone.as_deref(),
        incoming.buyer.email.as_deref(),
        incoming.delivery_id,
        incoming.purchase_order_id,
        &incoming.number,
        incoming.account_number.as_deref(),
        &incoming.deliver_to,
        &incoming.currency,
        incoming.total_minor,
        &incoming.notes,
        lines,
        incoming.file_id,
        sent_again,
        Timestamp::now()
    )?;
    let event =
        Event::new("purchase_order.received", "received_purchase_order", id).changes(serde_json::json!({
            "from": incoming.buyer.name, "number": incoming.number, "total_minor": incoming.total_minor,
            "currency": incoming.currency, "sent_again": sent_again,
        }));
    uow.audit(event).await?;
    let received = get(uow.tx(), id).await?;
    uow.emit(&PurchaseOrderReceived {
        received_purchase_order_id: id,
        number: received.number.clone(),
        buyer: received.buyer.name.clone(),
        total_minor: received.total_minor,
        currency: received.currency.clone(),
        sent_again,
    })
    .await?;
    Ok((received, true))
}

/// Marks an order as taken on, audited. Acknowledging one already acknowledged changes nothing.
/// Answers the entry and, when this call acknowledged it, where the buyer is to see it.
pub async fn acknowledge(
    uow: &mut UnitOfWork,
    id: ReceivedOrderId,
) -> Result<(ReceivedOrder, Option<Sender>)> {
    let found = row(uow.tx(), id).await?;
    if found.status == ReceivedStatus::Acknowledged {
        return Ok((found.into(), None));
    }
    let sender = found.sender();
    let by = uow.ctx().user_id;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let updated = execute!(
        tx.conn(),
        "UPDATE received_purchase_orders SET status = 'acknowledged', acknowledged_at = $3, acknowledged_by = $4
         WHERE tenant_id = $1 AND id = $2 AND status = 'new'",
        tenant,
        id,
        Timestamp::now(),
        by
    )?;
    if updated == 0 {
        // Another request acknowledged it between our read and this write.
        return Ok((get(uow.tx(), id).await?, None));
    }
    let event = Event::new("purchase_order.acknowledged", "received_purchase_order", id)
        .changes(serde_json::json!({ "from": found.buyer_name, "number": found.number }));
    uow.audit(event).await?;
    Ok((get(uow.tx(), id).await?, Some(sender)))
}
