//! Identifier newtypes. Every id is a UUIDv7, so ids sort by creation time and serve as cursors.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
            sqlx::Type,
        )]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

/// A tenant: one company (practice, lab, supplier or both). The same type the plugin boundary
/// carries (`ils_records::TenantId`), so a tenant id reaches a plugin and comes back without being
/// turned into text and parsed again.
pub use ils_records::TenantId;
id_type!(
    /// A person who can sign in; may belong to several tenants.
    UserId
);
id_type!(
    /// A sign-in session.
    SessionId
);
id_type!(
    /// A tenant's API key for integrations.
    ApiKeyId
);
id_type!(
    /// An invitation to join a tenant, sent to an e-mail address.
    InvitationId
);
id_type!(
    /// One row of the audit log.
    AuditId
);
id_type!(
    /// A domain event.
    EventId
);
id_type!(
    /// A tenant's webhook endpoint.
    WebhookEndpointId
);
id_type!(
    /// One attempt to deliver an event to a webhook endpoint.
    WebhookDeliveryId
);
id_type!(
    /// A patient of a practice.
    PatientId
);
id_type!(
    /// A recorded prescription.
    PrescriptionId
);
id_type!(
    /// An eye examination.
    ExaminationId
);
id_type!(
    /// One recorded change of a patient's consent (marketing, recall channel).
    ConsentId
);
id_type!(
    /// One purge of the audit log past its retention.
    AuditPurgeId
);
id_type!(
    /// A lab order (a spectacle job).
    OrderId
);
id_type!(
    /// One row of a lab order's timeline.
    TimelineEntryId
);
id_type!(
    /// A supplier in the global supplier directory (shared by every tenant).
    SupplierId
);
id_type!(
    /// An item of a tenant's stock catalogue.
    ItemId
);
id_type!(
    /// A place where a tenant keeps stock.
    LocationId
);
id_type!(
    /// The stock of one item at one location.
    StockLevelId
);
id_type!(
    /// One entry of the stock ledger.
    StockMovementId
);
id_type!(
    /// A stock adjustment (found, damaged, lost, corrected…).
    StockAdjustmentId
);
id_type!(
    /// A transfer of stock between two locations.
    StockTransferId
);
id_type!(
    /// A purchase order to a supplier.
    PurchaseOrderId
);
id_type!(
    /// A delivery received against a purchase order.
    GoodsReceiptId
);
id_type!(
    /// A file attached to a patient's record or an order (a referral letter, a photo, a signed form).
    AttachmentId
);
id_type!(
    /// One sending of a purchase order to its supplier (by e-mail, or to its inbox on ILS).
    PurchaseOrderDeliveryId
);
id_type!(
    /// A purchase order in a supplier's inbox, as that supplier received it.
    ReceivedOrderId
);
id_type!(
    /// A stock count (stocktake) of one location.
    StockCountId
);
id_type!(
    /// A clinician of a practice's diary (an optometrist, a dispensing optician …).
    ClinicianId
);
id_type!(
    /// A room or other bookable resource of a practice.
    RoomId
);
id_type!(
    /// A kind of appointment a practice offers (a sight test, a contact lens check).
    AppointmentTypeId
);
id_type!(
    /// An appointment in a practice's diary.
    AppointmentId
);
id_type!(
    /// A recall notice sent (or due to be posted) to a patient.
    RecallNoticeId
);
id_type!(
    /// A reminder sent to a patient (an appointment tomorrow, glasses ready).
    ReminderId
);
id_type!(
    /// A sale at a practice's till.
    SaleId
);
id_type!(
    /// A payment towards a sale (a deposit, a balance, an NHS voucher).
    PaymentId
);
id_type!(
    /// A credit note: a refund of lines of a completed sale.
    CreditNoteId
);
id_type!(
    /// A plugin publisher (an account that owns plugin ids).
    PublisherId
);
id_type!(
    /// A publisher's publishing token.
    PublisherTokenId
);
id_type!(
    /// A file in a tenant's file store (`ils-files`).
    FileId
);
