//! Domain events and the transactional outbox.
//!
//! A change emits its events inside the transaction that makes the change: the event row and
//! the job that dispatches it commit together with the change and its audit row, or not at all.
//! The job queue then delivers each event at least once — to webhooks, e-mail and (later)
//! plugins — and the live stream reads the event rows.

pub mod catalog;
pub mod routes;
mod store;

use serde::Serialize;

use crate::db::types::Timestamp;
use crate::db::{SystemTx, TenantTx};
use crate::error::Result;
use crate::ids::{EventId, TenantId};
pub use catalog::DomainEvent;
pub use store::{get, list_after};

/// An event as consumers receive it (webhook body, stream message, list item).
#[derive(Clone, Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
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

/// Records `event` in the transaction's tenant and queues its dispatch, atomically with the
/// rest of the transaction.
pub async fn emit<E: DomainEvent>(tx: &mut TenantTx, event: &E) -> Result<EventId> {
    let envelope = envelope(tx.tenant_id(), event)?;
    let (conn, jobs) = tx.with_jobs();
    record(conn, jobs, envelope).await
}

/// [`emit`] from platform-scope work (registration, tenant administration) for `tenant`.
pub async fn emit_system<E: DomainEvent>(tx: &mut SystemTx, tenant: TenantId, event: &E) -> Result<EventId> {
    let envelope = envelope(tenant, event)?;
    let (conn, jobs) = tx.with_jobs();
    record(conn, jobs, envelope).await
}

/// Records an event whose type is only known at run time (a plugin's `plugin.<id>.<kind>`).
pub(crate) async fn emit_raw(
    tx: &mut TenantTx,
    type_: String,
    version: u16,
    data: serde_json::Value,
) -> Result<EventId> {
    let envelope = new_envelope(tx.tenant_id(), type_, version, data);
    let (conn, jobs) = tx.with_jobs();
    record(conn, jobs, envelope).await
}

/// The outbox write: the event row and its dispatch job, in the caller's transaction.
async fn record(
    conn: &mut crate::db::Conn,
    jobs: &riverqueue::Client,
    envelope: Envelope,
) -> Result<EventId> {
    store::insert(conn, &envelope).await?;
    crate::jobs::enqueue_dispatch(conn, jobs, &envelope).await?;
    Ok(envelope.id)
}

fn envelope<E: DomainEvent>(tenant: TenantId, event: &E) -> Result<Envelope> {
    let data =
        serde_json::to_value(event).map_err(|e| crate::Error::Internal(format!("event payload: {e}")))?;
    Ok(new_envelope(tenant, E::TYPE.to_owned(), E::VERSION, data))
}

/// A new event, happening now.
fn new_envelope(tenant: TenantId, type_: String, version: u16, data: serde_json::Value) -> Envelope {
    Envelope { id: EventId::new(), type_, version, tenant_id: tenant, timestamp: Timestamp::now(), data }
}
