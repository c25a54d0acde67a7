//! The events orders emit. Their payloads are part of the OpenAPI document and of
//! `docs/events.md`; a change that is not additive bumps the version. [`EVENTS`] lists them for
//! the host's catalogue.

use serde::Serialize;

use super::status::OrderStatus;
use super::{OrderReason, Priority, Station};
use ils_kernel::permissions::Action;
use ils_outbox::DomainEvent;
use ils_storage::ids::{OrderId, PatientId, PrescriptionId};

/// A lab order was placed (a new job, or a remake, return or non-adapt of an earlier one).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderCreated {
    /// The order's id, in the tenant that receives the event (a lab's copy has its own id).
    pub order_id: OrderId,
    /// Its job number.
    pub number: String,
    /// Why it was placed.
    pub reason: OrderReason,
    /// The order it remakes, returns or replaces.
    pub original_order_id: Option<OrderId>,
    /// How urgent: the lab's production queue takes jobs by priority, then due date.
    pub priority: Priority,
    /// Due date (YYYY-MM-DD).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub due_on: jiff::civil::Date,
    /// The patient (absent on a lab's copy of a practice's order).
    pub patient_id: Option<PatientId>,
    /// The prescription it is made to (absent on a lab's copy).
    pub prescription_id: Option<PrescriptionId>,
}
impl DomainEvent for OrderCreated {
    const TYPE: &'static str = "order.created";
    const READ: Action = Action::OrdersRead;
}

/// A lab order moved in its lifecycle.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderStatusChanged {
    /// The order's id, in the tenant that receives the event.
    pub order_id: OrderId,
    /// Its job number.
    pub number: String,
    /// Status before.
    pub from: OrderStatus,
    /// Status after.
    pub to: OrderStatus,
    /// The quality issue found, when a check failed.
    pub quality_issue: Option<String>,
    /// The note given with the move.
    pub note: Option<String>,
}
impl DomainEvent for OrderStatusChanged {
    const TYPE: &'static str = "order.status_changed";
    const READ: Action = Action::OrdersRead;
}

/// A job moved between stations on the lab floor.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderStationChanged {
    /// The order's id, in the tenant that receives the event.
    pub order_id: OrderId,
    /// Its job number.
    pub number: String,
    /// Station before.
    pub from: Option<Station>,
    /// Station after.
    pub to: Station,
}
impl DomainEvent for OrderStationChanged {
    const TYPE: &'static str = "order.station_changed";
    const READ: Action = Action::OrdersRead;
}

/// Every event type this crate emits with the permission needed to read it, in the order the
/// host's catalogue lists them.
pub const EVENTS: &[(&str, Action)] = &[
    (OrderCreated::TYPE, OrderCreated::READ),
    (OrderStatusChanged::TYPE, OrderStatusChanged::READ),
    (OrderStationChanged::TYPE, OrderStationChanged::READ),
];
