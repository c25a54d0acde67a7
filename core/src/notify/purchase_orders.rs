//! Purchase orders e-mailed to their suppliers: the `send_purchase_order` job, queued in the
//! transaction that sends the order (`POST /purchase-orders/{id}/send` or `…/send-again`), renders
//! the order as a PDF once, keeps it in the tenant's files (for printing too, when it is not
//! e-mailed), and hands the message with the PDF attached to the SMTP server
//! (docs/adr/038-purchase-orders-to-suppliers.md) — or, for a supplier on ILS, puts it in that
//! supplier's inbox (docs/adr/042-supplier-inbox.md).
//!
//! Exactly once, as far as SMTP allows: the job exists only if the send committed; a delivery no
//! longer `queued` is never sent again; an attempt cut off before the server's `250` after the
//! message's end (a killed process) leaves the server nothing to deliver, and the job is rescued
//! and tried again. What remains is the gap between the server's `250` and our commit of
//! `delivered` (RFC 1047): the `Message-ID` is the delivery's, so a repeat is recognisable.

use axum::body::Bytes;
use lettre::AsyncTransport as _;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use riverqueue::{BoxError, Job, JobArgs, JobCancelError, WorkOutcome};
use serde::{Deserialize, Serialize};

use ils_kernel::audit::AuditCtx;
use ils_kernel::context::TenantCtx;
use ils_kernel::error::Result;
use ils_outbox::UnitOfWork;
use ils_stock::purchase_orders::deliveries::{self, NO_EMAIL_HERE};
use ils_stock::purchase_orders::{Delivery, DeliveryStatus};
use ils_stock::received;
use ils_storage::ids::{PurchaseOrderDeliveryId, TenantId};

use crate::documents::purchase_order::PurchaseOrderPaper;
use crate::state::AppState;

/// Send one purchase order delivery to the supplier.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "send_purchase_order")]
pub struct SendPurchaseOrder {
    /// Whose order it is.
    pub tenant_id: TenantId,
    /// The delivery to work.
    pub delivery_id: PurchaseOrderDeliveryId,
}

/// Queues the delivery's job in the caller's transaction: it renders the PDF, and e-mails it
/// when the delivery is `queued`.
pub async fn queue(tx: &mut ils_storage::TenantTx, delivery: &Delivery, attempts: u16) -> Result<()> {
    let job = SendPurchaseOrder { tenant_id: tx.tenant_id(), delivery_id: delivery.id };
    let (conn, jobs) = tx.with_jobs();
    super::queue_with_attempts(conn, jobs, job, attempts).await
}

/// Works one `send_purchase_order` job.
pub async fn work(
    state: &AppState,
    job: Job<SendPurchaseOrder>,
) -> std::result::Result<WorkOutcome, BoxError> {
    let SendPurchaseOrder { tenant_id, delivery_id } = job.args;
    let ctx = TenantCtx::system(tenant_id);
    let mut tx = state.db.tenant_read(tenant_id).await?;
    let delivery = deliveries::get(&mut tx, delivery_id).await?;
    tx.commit().await?;
    if let Some(supplier) = delivery.to_tenant_id.filter(|_| delivery.status == DeliveryStatus::Queued) {
        to_inbox(state, tenant_id, supplier, &delivery).await?;
        return Ok(WorkOutcome::Complete);
    }
    // Not to be e-mailed, or already settled: the PDF is all there is to make, once.
    let Some(to) = delivery.to_address.clone().filter(|_| delivery.status == DeliveryStatus::Queued) else {
        if delivery.file_id.is_none() {
            document(state, tenant_id, &delivery).await?;
        }
        return Ok(WorkOutcome::Complete);
    };
    let (paper, pdf) = document(state, tenant_id, &delivery).await?;
    let Some(mailer) = state.mailer.as_ref() else {
        // E-mail was switched off between the send and now.
        let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
        deliveries::not_emailed(&mut uow, delivery_id, NO_EMAIL_HERE).await?;
        uow.commit().await?;
        return Ok(WorkOutcome::Complete);
    };
    let last = job.row.attempt >= job.row.max_attempts;
    let sent = send(mailer, &to, &paper, &delivery, pdf).await;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    match sent {
        Ok(()) => {
            deliveries::delivered(&mut uow, delivery_id).await?;
            uow.commit().await?;
            Ok(WorkOutcome::Complete)
        }
        Err(Refusal { permanent, message }) => {
            deliveries::attempt_failed(&mut uow, delivery_id, &message, last || permanent).await?;
            uow.commit().await?;
            tracing::warn!(%delivery_id, permanent, error = %message, "a purchase order was not delivered");
            if permanent { Err(JobCancelError::new(message).into()) } else { Err(message.into()) }
        }
    }
}

/// Puts the delivery into the supplier's inbox on ILS, then marks it delivered on the buyer's
/// side. Once, however often this runs: an attempt cut off after the inbox has it finds it there
/// and only marks it delivered; a PDF copied into the supplier's files by an attempt that lost a
/// race is removed.
async fn to_inbox(
    state: &AppState,
    buyer: TenantId,
    supplier: TenantId,
    delivery: &Delivery,
) -> std::result::Result<(), BoxError> {
    let mut tx = state.db.tenant_read(supplier).await?;
    let arrived = received::by_delivery(&mut tx, delivery.id).await?;
    tx.commit().await?;
    if arrived.is_none() {
        let (paper, pdf) = document(state, buyer, delivery).await?;
        let copy = state.files.put(supplier, &AuditCtx::system(), paper.file(pdf)?).await?;
        let mut uow = UnitOfWork::begin(&state.db, &TenantCtx::system(supplier)).await?;
        let (_, made) =
            received::receive(&mut uow, paper.incoming(buyer, delivery.id, Some(copy.id))).await?;
        uow.commit().await?;
        if !made {
            let _ =
                state.files.delete(supplier, &AuditCtx::system(), copy.id, ils_files::Owner::Tenant).await;
        }
    } else if delivery.file_id.is_none() {
        document(state, buyer, delivery).await?;
    }
    let mut uow = UnitOfWork::begin(&state.db, &TenantCtx::system(buyer)).await?;
    deliveries::delivered(&mut uow, delivery.id).await?;
    uow.commit().await?;
    Ok(())
}

/// The order as paper and its PDF: rendered and kept in the tenant's files on the first attempt,
/// read back on the others, so every attempt attaches the same bytes.
async fn document(
    state: &AppState,
    tenant_id: TenantId,
    delivery: &Delivery,
) -> Result<(PurchaseOrderPaper, Bytes)> {
    let mut tx = state.db.tenant_read(tenant_id).await?;
    let paper = PurchaseOrderPaper::gather(&mut tx, delivery.purchase_order_id).await?;
    tx.commit().await?;
    if let Some(file) = delivery.file_id {
        return Ok((paper, state.files.read(tenant_id, file).await?.1));
    }
    let pdf = Bytes::from(paper.pdf()?);
    let stored = state.files.put(tenant_id, &AuditCtx::system(), paper.file(pdf.clone())?).await?;
    let mut tx = state.db.tenant(tenant_id).await?;
    let kept = deliveries::keep_file(&mut tx, delivery.id, stored.id).await?;
    tx.commit().await?;
    if kept != stored.id {
        // Another attempt kept its copy first (it can only be the same order): use that one.
        let _ = state.files.delete(tenant_id, &AuditCtx::system(), stored.id, ils_files::Owner::Tenant).await;
    }
    Ok((paper, pdf))
}

/// Why the mail server did not take a message.
struct Refusal {
    /// A 5xx answer: trying again will not help.
    permanent: bool,
    message: String,
}

async fn send(
    mailer: &super::Mailer,
    to: &str,
    paper: &PurchaseOrderPaper,
    delivery: &Delivery,
    pdf: Bytes,
) -> std::result::Result<(), Refusal> {
    let refuse = |message: String| Refusal { permanent: true, message };
    let to: Mailbox = to.parse().map_err(|e| refuse(format!("the supplier's address {to}: {e}")))?;
    let pdf_type = ContentType::parse("application/pdf").map_err(|e| refuse(e.to_string()))?;
    let message = mailer
        .message()
        .to(to)
        .subject(paper.subject())
        .message_id(Some(format!("<po-{}@{}>", delivery.id, mailer.host())))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(paper.covering_note()))
                .singlepart(Attachment::new(paper.file_name()).body(pdf.to_vec(), pdf_type)),
        )
        .map_err(|e| refuse(format!("the message: {e}")))?;
    mailer
        .transport()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| Refusal { permanent: e.is_permanent(), message: format!("the mail server: {e}") })
}
