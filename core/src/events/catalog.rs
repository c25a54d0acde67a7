//! Every domain event ILS emits: its type, version, payload schema, and who may read it.
//! Payload schemas are part of the OpenAPI document (`components.schemas`) and of
//! `docs/events.md`. A payload change that is not additive bumps the version.

use ils_kernel::permissions::Action;

pub use ils_clinical::events::{ExaminationFinalised, PatientCreated, PatientUpdated, PrescriptionCreated};
pub use ils_orders::events::{OrderCreated, OrderStationChanged, OrderStatusChanged};
pub use ils_outbox::DomainEvent;
pub use ils_stock::events::{
    GoodsReceived, PurchaseOrderStatusChanged, ReceivedLine, StockCountFinalised, StockLow,
};
pub use ils_tenancy::events::{
    ApiKeyCreated, ApiKeyRevoked, TenantUpdated, UserApproved, UserRegistered, UserRejected, UserRemoved,
    UserRoleChanged,
};

pub use ils_webhooks::WebhookTest;

/// Every event type, with the permission needed to read it. Endpoints and streams may only
/// subscribe to these.
pub const ALL: &[(&str, Action)] = &[
    (UserRegistered::TYPE, UserRegistered::READ),
    (UserApproved::TYPE, UserApproved::READ),
    (UserRejected::TYPE, UserRejected::READ),
    (UserRoleChanged::TYPE, UserRoleChanged::READ),
    (UserRemoved::TYPE, UserRemoved::READ),
    (TenantUpdated::TYPE, TenantUpdated::READ),
    (ApiKeyCreated::TYPE, ApiKeyCreated::READ),
    (ApiKeyRevoked::TYPE, ApiKeyRevoked::READ),
    (WebhookTest::TYPE, WebhookTest::READ),
    (PatientCreated::TYPE, PatientCreated::READ),
    (PatientUpdated::TYPE, PatientUpdated::READ),
    (PrescriptionCreated::TYPE, PrescriptionCreated::READ),
    (ExaminationFinalised::TYPE, ExaminationFinalised::READ),
    (OrderCreated::TYPE, OrderCreated::READ),
    (OrderStatusChanged::TYPE, OrderStatusChanged::READ),
    (OrderStationChanged::TYPE, OrderStationChanged::READ),
    (StockLow::TYPE, StockLow::READ),
    (GoodsReceived::TYPE, GoodsReceived::READ),
    (PurchaseOrderStatusChanged::TYPE, PurchaseOrderStatusChanged::READ),
    (StockCountFinalised::TYPE, StockCountFinalised::READ),
];

/// The permission needed to read events of `event_type`, if it is a known type.
pub fn read_action(event_type: &str) -> Option<Action> {
    ALL.iter().find(|(t, _)| *t == event_type).map(|(_, a)| *a)
}

#[cfg(test)]
mod tests {
    use ils_outbox::DomainEvent as _;

    /// `ALL` is spelled out (a `const` cannot concatenate the domains' lists), so this holds it
    /// to them: each domain's events, in its order, and nothing that no domain declares.
    #[test]
    fn the_catalogue_is_every_domains_events_in_order_and_nothing_else() {
        let domains: [&[(&str, ils_kernel::permissions::Action)]; 5] = [
            ils_tenancy::events::EVENTS,
            &[(super::WebhookTest::TYPE, super::WebhookTest::READ)],
            ils_clinical::events::EVENTS,
            ils_orders::events::EVENTS,
            ils_stock::events::EVENTS,
        ];
        assert_eq!(super::ALL, domains.concat());
    }

    #[test]
    fn every_event_type_is_documented() {
        let doc = include_str!("../../../docs/events.md");
        for (event_type, read) in super::ALL {
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
