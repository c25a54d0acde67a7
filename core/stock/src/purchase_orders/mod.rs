//! Purchase orders to suppliers and the goods received against them.
//!
//! `draft → sent → partially_received → received`, or `cancelled` before everything arrived.
//! Only drafts are edited; `sent` is what the supplier has; receipts move an order to
//! `partially_received` or `received` by what they bring, atomically with the stock they add.
//! Cancelling a partially received order closes it short: what arrived stays in stock.

pub mod deliveries;
mod lifecycle;
pub mod receipts;
mod store;

use serde::Serialize;

use ils_storage::ids::{
    FileId, ItemId, LocationId, PurchaseOrderDeliveryId, PurchaseOrderId, SupplierId, TenantId, UserId,
};
use ils_storage::text_enum;
use ils_storage::types::Timestamp;

pub use deliveries::{Mailing, send, send_again};
pub use lifecycle::{DraftLine, DraftOrder, MAX_LINES, MAX_UNIT_PRICE_MINOR, cancel, raise, revise};
pub use receipts::{GoodsReceipt, ReceiptLine, ReceiveGoods, receive};
pub use store::{Filter, get, last_terms, list};

text_enum! {
    /// Where a purchase order is in its lifecycle.
    pub enum PurchaseOrderStatus {
        /// Being prepared; the only editable status.
        Draft = "draft",
        /// Sent to the supplier; nothing received yet.
        Sent = "sent",
        /// Some goods received, some outstanding.
        PartiallyReceived = "partially_received",
        /// Everything ordered has arrived; final.
        Received = "received",
        /// Cancelled (or, after a partial receipt, closed short); final.
        Cancelled = "cancelled",
    }
}

impl PurchaseOrderStatus {
    /// Whether an order may go from this status to `to`. Receipts make the moves to
    /// `partially_received` and `received`; people make the others.
    pub fn can_move_to(self, to: PurchaseOrderStatus) -> bool {
        use PurchaseOrderStatus::*;
        matches!(
            (self, to),
            (Draft, Sent)
                | (Draft, Cancelled)
                | (Sent, PartiallyReceived)
                | (Sent, Received)
                | (Sent, Cancelled)
                | (PartiallyReceived, Received)
                | (PartiallyReceived, Cancelled)
        )
    }

    /// Whether the order's supplier, location, currency and lines may still change.
    pub fn is_editable(self) -> bool {
        self == PurchaseOrderStatus::Draft
    }

    /// Whether goods may be received against the order.
    pub fn accepts_receipts(self) -> bool {
        matches!(self, PurchaseOrderStatus::Sent | PurchaseOrderStatus::PartiallyReceived)
    }

    /// Whether the lifecycle is over.
    pub fn is_final(self) -> bool {
        matches!(self, PurchaseOrderStatus::Received | PurchaseOrderStatus::Cancelled)
    }
}

text_enum! {
    /// What became of one sending of a purchase order.
    pub enum DeliveryStatus {
        /// Waiting to be sent, or being retried after a refusal (`error` says why).
        Queued = "queued",
        /// The supplier's mail server accepted it.
        Delivered = "delivered",
        /// Every attempt was refused; `error` has the last reason.
        Failed = "failed",
        /// Not e-mailed, and `error` says why (the supplier has no orders address, or this
        /// installation sends no e-mail): the PDF is for printing or sending by hand.
        NotEmailed = "not_emailed",
    }
}

text_enum! {
    /// How a delivery reaches the supplier.
    pub enum DeliveryChannel {
        /// By e-mail to the supplier's orders address, with the PDF attached (or not at all,
        /// when it is `not_emailed`).
        Email = "email",
        /// Into the supplier's inbox on this ILS: the supplier is a tenant here, linked to its
        /// directory entry by the platform.
        Ils = "ils",
    }
}

/// One sending of a purchase order to its supplier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// The delivery's id (UUIDv7); the e-mail's `Message-ID` is made from it.
    pub id: PurchaseOrderDeliveryId,
    /// The order sent.
    pub purchase_order_id: PurchaseOrderId,
    /// How it goes: by e-mail, or into the supplier's inbox on ILS.
    pub channel: DeliveryChannel,
    /// The supplier's orders address it goes to; none when it was not e-mailed.
    pub to_address: Option<String>,
    /// The supplier's tenant, for a delivery to its inbox on ILS.
    #[serde(skip)]
    pub to_tenant_id: Option<TenantId>,
    /// What became of it.
    pub status: DeliveryStatus,
    /// Why it is being retried, failed, or was not e-mailed.
    pub error: Option<String>,
    /// The order as a PDF in the tenant's files (`GET /api/v1/files/{id}`), once rendered.
    pub file_id: Option<FileId>,
    /// Attempts made to hand it to the mail server.
    pub attempts: i32,
    /// Who sent the order (none for an API key).
    pub requested_by: Option<UserId>,
    /// When it was queued (UTC).
    pub created_at: Timestamp,
    /// When the supplier's mail server accepted it, or it arrived in the supplier's inbox.
    pub delivered_at: Option<Timestamp>,
    /// When the supplier acknowledged it in its inbox on ILS (e-mail says nothing of the kind).
    pub acknowledged_at: Option<Timestamp>,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A purchase order with its lines.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurchaseOrder {
    /// The purchase order's id (UUIDv7, so ids sort by creation time); people quote `number`.
    pub id: PurchaseOrderId,
    /// The tenant's number for it (`PO-000123`).
    pub number: String,
    /// The supplier (the tenant has an account with it).
    pub supplier_id: SupplierId,
    /// Where the goods are to be delivered and stocked.
    pub location_id: LocationId,
    /// Where the order is in its lifecycle; only a draft may be edited, and receipts move it on from `sent`.
    pub status: PurchaseOrderStatus,
    /// ISO 4217 currency of the prices.
    pub currency: String,
    /// Notes to the supplier.
    pub notes: String,
    /// The lines in `line_no` order, one per item.
    pub lines: Vec<PurchaseOrderLine>,
    /// The order's value in minor units of `currency` (sum of the lines).
    pub total_minor: i64,
    /// Who raised it.
    pub created_by: Option<UserId>,
    /// When the order was raised as a draft (UTC); never changes.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// Sent to the supplier.
    pub sent_at: Option<Timestamp>,
    /// Fully received or cancelled.
    pub closed_at: Option<Timestamp>,
    /// Its latest sending to the supplier (`GET …/deliveries` has every one); none for a draft.
    pub delivery: Option<Delivery>,
}

/// One line of a purchase order.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurchaseOrderLine {
    /// Position on the order, from 1.
    pub line_no: i32,
    /// The item ordered; `sku` repeats its SKU.
    pub item_id: ItemId,
    /// The item's SKU.
    pub sku: String,
    /// Units ordered (positive).
    pub quantity: i64,
    /// Units received so far (never more than ordered).
    pub received_quantity: i64,
    /// Price per unit, minor units of the order's currency.
    pub unit_price_minor: i64,
    /// `quantity × unit_price_minor`.
    pub total_minor: i64,
}

#[cfg(test)]
mod tests {
    use super::PurchaseOrderStatus::{self, *};

    #[test]
    fn transitions_are_exactly_the_documented_ones() {
        let allowed = [
            (Draft, Sent),
            (Draft, Cancelled),
            (Sent, PartiallyReceived),
            (Sent, Received),
            (Sent, Cancelled),
            (PartiallyReceived, Received),
            (PartiallyReceived, Cancelled),
        ];
        for from in PurchaseOrderStatus::ALL {
            for to in PurchaseOrderStatus::ALL {
                assert_eq!(from.can_move_to(*to), allowed.contains(&(*from, *to)), "{from} -> {to}");
            }
            let out = PurchaseOrderStatus::ALL.iter().any(|to| from.can_move_to(*to));
            assert_eq!(out, !from.is_final(), "{from}: final statuses have no way out");
        }
        assert!(Draft.is_editable() && !Sent.is_editable() && !PartiallyReceived.is_editable());
        assert!(Sent.accepts_receipts() && PartiallyReceived.accepts_receipts());
        assert!(!Draft.accepts_receipts() && !Received.accepts_receipts() && !Cancelled.accepts_receipts());
    }
}
