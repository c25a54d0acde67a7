//! Purchase orders going to their suppliers: each sending is a [`Delivery`] — to the supplier's
//! orders address, with the order as a PDF — queued in the transaction that sends the order and
//! worked by the host's `send_purchase_order` job, which records here what became of it
//! (docs/adr/038-purchase-orders-to-suppliers.md).
//!
//! ```text
//! queued ──▶ delivered
//!    └─────▶ failed        (every attempt refused; "send again" queues a new delivery)
//! not_emailed              (no address, or no e-mail on this installation: print the PDF)
//! ```
//!
//! A supplier that is itself a tenant on this ILS, linked to its directory entry by the platform,
//! receives its orders in its inbox instead ([`crate::received`]), and can acknowledge them
//! there ([`acknowledged`]).

use ils_kernel::audit::Event;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{FileId, PurchaseOrderDeliveryId, PurchaseOrderId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute};

use super::lifecycle::{changed, check_move};
use super::{Delivery, DeliveryChannel, DeliveryStatus, PurchaseOrder, PurchaseOrderStatus, store};
use crate::suppliers;

pub use super::store::{deliveries as list, delivery as get};

/// Whether this installation can e-mail, as the caller knows it (the host's SMTP settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mailing {
    /// An SMTP server is configured: deliveries to an address are queued.
    Available,
    /// No SMTP server: deliveries are recorded as not e-mailed.
    Unavailable,
}

/// Why a delivery is not e-mailed when the installation sends no e-mail.
pub const NO_EMAIL_HERE: &str =
    "This ILS installation has no e-mail server configured: print the PDF or send it yourself.";
/// Why a delivery is not e-mailed when the supplier has no address.
pub const NO_SUPPLIER_ADDRESS: &str =
    "The supplier has no orders e-mail address in the directory: print the PDF or send it yourself.";

/// Sends a draft: the order becomes `sent` (checked, audited and announced as [`super::cancel`]
/// does) and a delivery to the supplier's orders address is recorded — `queued` for the caller to
/// queue its job in this transaction, or `not_emailed` with the reason.
pub async fn send(
    uow: &mut UnitOfWork,
    id: PurchaseOrderId,
    mailing: Mailing,
) -> Result<(PurchaseOrder, Delivery)> {
    let order = store::get_locked(uow.tx(), id).await?;
    check_move(&order, PurchaseOrderStatus::Sent)?;
    store::set_status(uow.tx(), id, order.status, PurchaseOrderStatus::Sent).await?;
    changed(uow, &order, PurchaseOrderStatus::Sent).await?;
    let delivery = record(uow, &order, mailing).await?;
    Ok((store::get(uow.tx(), id).await?, delivery))
}

/// Sends an order that was sent before once more (the supplier lost it, or the last delivery
/// failed): a new delivery, as [`send`] records one. Only an order the supplier is working on —
/// `sent` or `partially_received` — can go again (`purchase_order_not_sent` otherwise).
pub async fn send_again(
    uow: &mut UnitOfWork,
    id: PurchaseOrderId,
    mailing: Mailing,
) -> Result<(PurchaseOrder, Delivery)> {
    let order = store::get_locked(uow.tx(), id).await?;
    if !order.status.accepts_receipts() {
        return Err(Error::conflict(
            "purchase_order_not_sent",
            format!(
                "Purchase order {} is {}: only an order that was sent and is still open can be sent again.",
                order.number, order.status
            ),
        ));
    }
    let delivery = record(uow, &order, mailing).await?;
    Ok((store::get(uow.tx(), id).await?, delivery))
}

/// Records a delivery of `order`: to the supplier's inbox when the supplier is on ILS (whether or
/// not this installation e-mails), else to its orders address.
async fn record(uow: &mut UnitOfWork, order: &PurchaseOrder, mailing: Mailing) -> Result<Delivery> {
    let requested_by = uow.ctx().user_id;
    let supplier = suppliers::account(uow.tx(), order.supplier_id).await?.supplier;
    let inbox = suppliers::inbox_of(uow.tx(), order.supplier_id).await?;
    let (to_address, status, error) = match (inbox, mailing, supplier.email) {
        (Some(_), _, _) => (None, DeliveryStatus::Queued, None),
        (None, Mailing::Unavailable, address) => (address, DeliveryStatus::NotEmailed, Some(NO_EMAIL_HERE)),
        (None, Mailing::Available, None) => (None, DeliveryStatus::NotEmailed, Some(NO_SUPPLIER_ADDRESS)),
        (None, Mailing::Available, Some(address)) => (Some(address), DeliveryStatus::Queued, None),
    };
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let id = PurchaseOrderDeliveryId::new();
    let now = Timestamp::now();
    execute!(
        tx.conn(),
        "INSERT INTO purchase_order_deliveries (tenant_id, id, purchase_order_id, to_address, to_tenant_id, status,
            error, attempts, requested_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $9)",
        tenant,
        id,
        order.id,
        to_address.as_deref(),
        inbox,
        status,
        error,
        requested_by,
        now
    )?;
    let to = match inbox {
        Some(_) => serde_json::json!(format!("{}'s inbox on ILS", supplier.name)),
        None => serde_json::json!(to_address),
    };
    let event = Event::new("purchase_order.delivery_queued", "purchase_order", order.id)
        .changes(serde_json::json!({ "delivery_id": id, "to": to, "status": status, "reason": error }));
    uow.audit(event).await?;
    store::delivery(uow.tx(), id).await
}

/// Keeps the rendered PDF with the delivery, so every attempt attaches the same bytes. Answers
/// the file that is kept: `file` if the delivery had none, else the one it already had.
pub async fn keep_file(tx: &mut TenantTx, id: PurchaseOrderDeliveryId, file: FileId) -> Result<FileId> {
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "UPDATE purchase_order_deliveries SET file_id = $3, updated_at = $4
         WHERE tenant_id = $1 AND id = $2 AND file_id IS NULL",
        tenant,
        id,
        file,
        Timestamp::now()
    )?;
    store::delivery(tx, id).await?.file_id.ok_or_else(|| Error::Internal("the delivery kept no file".into()))
}

/// Records that the supplier's mail server accepted the delivery, or that it is in the supplier's
/// inbox on ILS, with `purchase_order.emailed` or `purchase_order.delivered_to_inbox` in the
/// audit log. A delivery no longer queued is left as it is (answers `false`).
pub async fn delivered(uow: &mut UnitOfWork, id: PurchaseOrderDeliveryId) -> Result<bool> {
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let now = Timestamp::now();
    let updated = execute!(
        tx.conn(),
        "UPDATE purchase_order_deliveries SET status = 'delivered', error = NULL, attempts = attempts + 1,
            delivered_at = $3, updated_at = $3
         WHERE tenant_id = $1 AND id = $2 AND status = 'queued'",
        tenant,
        id,
        now
    )?;
    if updated == 0 {
        return Ok(false);
    }
    let delivery = store::delivery(uow.tx(), id).await?;
    let action = match delivery.channel {
        DeliveryChannel::Email => "purchase_order.emailed",
        DeliveryChannel::Ils => "purchase_order.delivered_to_inbox",
    };
    let event = Event::new(action, "purchase_order", delivery.purchase_order_id).changes(serde_json::json!({
        "delivery_id": id, "to": delivery.to_address, "file_id": delivery.file_id,
        "attempts": delivery.attempts,
    }));
    uow.audit(event).await?;
    Ok(true)
}

/// Records a refused attempt: still `queued` while attempts remain, `failed` after the last one
/// (with `purchase_order.email_failed` in the audit log).
pub async fn attempt_failed(
    uow: &mut UnitOfWork,
    id: PurchaseOrderDeliveryId,
    error: &str,
    last: bool,
) -> Result<()> {
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let status = if last { DeliveryStatus::Failed } else { DeliveryStatus::Queued };
    let error: String = error.chars().take(500).collect();
    let updated = execute!(
        tx.conn(),
        "UPDATE purchase_order_deliveries SET status = $3, error = $4, attempts = attempts + 1, updated_at = $5
         WHERE tenant_id = $1 AND id = $2 AND status = 'queued'",
        tenant,
        id,
        status,
        &error,
        Timestamp::now()
    )?;
    if updated > 0 && last {
        let delivery = store::delivery(uow.tx(), id).await?;
        let event = Event::new("purchase_order.email_failed", "purchase_order", delivery.purchase_order_id)
            .changes(serde_json::json!({ "delivery_id": id, "to": delivery.to_address, "error": error }));
        uow.audit(event).await?;
    }
    Ok(())
}

/// Records that a queued delivery will not be e-mailed after all (the installation's e-mail was
/// switched off before it went), with the reason.
pub async fn not_emailed(uow: &mut UnitOfWork, id: PurchaseOrderDeliveryId, reason: &str) -> Result<()> {
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "UPDATE purchase_order_deliveries SET status = 'not_emailed', error = $3, updated_at = $4
         WHERE tenant_id = $1 AND id = $2 AND status = 'queued'",
        tenant,
        id,
        reason,
        Timestamp::now()
    )?;
    Ok(())
}

/// Records, on the buyer's side, that the supplier acknowledged the delivery in its inbox on ILS,
/// with `purchase_order.acknowledged_by_supplier` in the buyer's audit log. The first
/// acknowledgement counts; answers whether this call recorded it.
pub async fn acknowledged(uow: &mut UnitOfWork, id: PurchaseOrderDeliveryId) -> Result<bool> {
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let now = Timestamp::now();
    let updated = execute!(
        tx.conn(),
        "UPDATE purchase_order_deliveries SET acknowledged_at = $3, updated_at = $3
         WHERE tenant_id = $1 AND id = $2 AND to_tenant_id IS NOT NULL AND acknowledged_at IS NULL",
        tenant,
        id,
        now
    )?;
    if updated == 0 {
        return Ok(false);
    }
    let delivery = store::delivery(uow.tx(), id).await?;
    let event =
        Event::new("purchase_order.acknowledged_by_supplier", "purchase_order", delivery.purchase_order_id)
            .changes(serde_json::json!({ "delivery_id": id }));
    uow.audit(event).await?;
    Ok(true)
}
