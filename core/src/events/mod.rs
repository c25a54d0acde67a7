//! Domain events: the outbox (`ils-outbox`), the catalogue of every event ILS emits, and the
//! routes that list and stream them.

pub mod catalog;

pub use ils_outbox::{
    Consumer, Consumers, DomainEvent, Envelope, UnitOfWork, emit, emit_raw, emit_system, get, list_after,
};
