//! # ILS outbox
//!
//! Domain events and the transactional outbox. A change records its events inside the
//! transaction that makes the change: the event row and its place in the relay's work list commit
//! together with the change and its audit row, or not at all. The [`relay`] then hands the
//! committed events, in batches, to whatever consumers the composition root registered — this
//! crate knows none of them — and they queue their own jobs ([`queue`]).
//!
//! Each domain declares its own events: a serialisable payload that implements [`DomainEvent`].
//! A service records its change through a [`UnitOfWork`], which writes the audit row and the events
//! in the transaction and commits them with it.
//!
//! ```
//! use ils_kernel::permissions::Action;
//! use ils_outbox::DomainEvent;
//!
//! #[derive(serde::Serialize)]
//! struct LensCleaned {
//!     lens: String,
//! }
//! impl DomainEvent for LensCleaned {
//!     const TYPE: &'static str = "lens.cleaned";
//!     const READ: Action = Action::OrdersRead;
//! }
//! assert_eq!(LensCleaned::VERSION, 1);
//! ```

mod consume;
pub mod queue;
pub mod relay;
mod store;
mod unit;

use serde::Serialize;

pub use consume::{Consumer, Consumers};
use ils_kernel::permissions::Action;
use ils_kernel::{Error, Result};
use ils_storage::ids::{EventId, TenantId};
use ils_storage::types::Timestamp;
use ils_storage::{Conn, SystemTx, TenantTx};
pub use store::{get, list_after};
pub use unit::UnitOfWork;

/// A domain event: a fact about a tenant's data, recorded with the change that caused it.
pub trait DomainEvent: Serialize {
    /// `entity.verb`, e.g. `user.approved`.
    const TYPE: &'static str;
    /// Payload version; consumers dispatch on `(type, version)`.
    const VERSION: u16 = 1;
    /// What a reader must be allowed to do to see this event (live stream, event list).
    const READ: Action;
}

/// An event as consumers receive it (webhook body, stream message, list item).
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Envelope {
    /// Unique id; also the webhook `webhook-id` and the idempotency key.
    pub id: EventId,
    /// `entity.verb`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Payload version.
    pub version: u16,
    /// The tenant it happened in.
    pub tenant_id: TenantId,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The payload; its schema depends on `type` and `version`.
    pub data: serde_json::Value,
}

/// Records `event` in the transaction's tenant, for the relay to hand to the consumers once the
/// transaction commits.
pub async fn emit<E: DomainEvent>(tx: &mut TenantTx, event: &E) -> Result<EventId> {
    let envelope = envelope(tx.tenant_id(), event)?;
    record(tx.conn(), envelope).await
}

/// [`emit`] from platform-scope work (registration, tenant administration) for `tenant`.
pub async fn emit_system<E: DomainEvent>(tx: &mut SystemTx, tenant: TenantId, event: &E) -> Result<EventId> {
    let envelope = envelope(tenant, event)?;
    record(tx.conn(), envelope).await
}

/// Records an event whose type is only known at run time (a plugin's `plugin.<id>.<kind>`).
pub async fn emit_raw(
    tx: &mut TenantTx,
    type_: String,
    version: u16,
    data: serde_json::Value,
) -> Result<EventId> {
    let envelope = new_envelope(tx.tenant_id(), type_, version, data);
    record(tx.conn(), envelope).await
}

/// The outbox write: the event row and its pending row, in the caller's transaction.
async fn record(conn: &mut Conn, envelope: Envelope) -> Result<EventId> {
    store::insert(conn, &envelope).await?;
    Ok(envelope.id)
}

fn envelope<E: DomainEvent>(tenant: TenantId, event: &E) -> Result<Envelope> {
    let data = serde_json::to_value(event).map_err(|e| Error::Internal(format!("event payload: {e}")))?;
    Ok(new_envelope(tenant, E::TYPE.to_owned(), E::VERSION, data))
}

/// A new event, happening now.
fn new_envelope(tenant: TenantId, type_: String, version: u16, data: serde_json::Value) -> Envelope {
    Envelope { id: EventId::new(), type_, version, tenant_id: tenant, timestamp: Timestamp::now(), data }
}
