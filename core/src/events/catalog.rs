//! Every domain event ILS emits: its type, version, payload schema, and who may read it.
//! Payload schemas are part of the OpenAPI document (`components.schemas`) and of
//! `docs/events.md`. A payload change that is not additive bumps the version.

use std::sync::LazyLock;

use ils_kernel::permissions::Action;

pub use ils_clinical::events::{ExaminationFinalised, PatientCreated, PatientUpdated, PrescriptionCreated};
pub use ils_diary::events::{
    AppointmentBooked, AppointmentCancelled, AppointmentStatusChanged, RecallDue, RecallSet, ReminderSent,
};
pub use ils_orders::events::{OrderCreated, OrderStationChanged, OrderStatusChanged};
pub use ils_outbox::DomainEvent;
pub use ils_publishing::PluginVersionYanked;
pub use ils_publishing::rollout::PluginVersionMoved;
pub use ils_stock::events::{
    GoodsReceived, PurchaseOrderReceived, PurchaseOrderStatusChanged, ReceivedLine, StockChanged,
    StockCountFinalised, StockLow,
};
pub use ils_tenancy::events::{
    ApiKeyCreated, ApiKeyRevoked, TenantUpdated, UserApproved, UserRegistered, UserRejected, UserRemoved,
    UserRoleChanged,
};
pub use ils_till::events::{CreditNoteIssued, PaymentTaken, SaleCompleted};

pub use ils_webhooks::WebhookTest;

/// Every event type, with the permission needed to read it: each domain's own list, in this
/// order. Endpoints and streams may only subscribe to these.
pub static ALL: LazyLock<Vec<(&'static str, Action)>> = LazyLock::new(|| {
    [
        ils_tenancy::events::EVENTS,
        ils_webhooks::EVENTS,
        ils_clinical::events::EVENTS,
        ils_orders::events::EVENTS,
        ils_stock::events::EVENTS,
        ils_diary::events::EVENTS,
        ils_till::events::EVENTS,
        ils_publishing::EVENTS,
        ils_plugin_host::plans::EVENTS,
    ]
    .concat()
});

/// The permission needed to read events of `event_type`, if it is a known type.
pub fn read_action(event_type: &str) -> Option<Action> {
    ALL.iter().find(|(t, _)| *t == event_type).map(|(_, a)| *a)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_event_type_is_documented() {
        let doc = include_str!("../../../docs/events.md");
        for (event_type, read) in super::ALL.iter() {
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `{event_type}` |")))
                .unwrap_or_else(|| panic!("{event_type} is missing from docs/events.md"));
            assert!(
                row.contains(&format!("`{read}`")),
                "docs/events.md gives the wrong permission for {event_type}"
            );
        }
    }
}
