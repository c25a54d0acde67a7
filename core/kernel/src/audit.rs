//! The append-only audit log: every mutation and every authentication event, written in the
//! same transaction as the change it records.

pub mod redact;
mod store;

use serde::Serialize;
use uuid::Uuid;

use crate::error::Result;
use ils_storage::ids::{AuditId, TenantId};
use ils_storage::text_enum;
use ils_storage::types::Timestamp;
use ils_storage::{SystemTx, TenantTx};

pub use store::{
    AuditFilter, PlatformScope, about, count_since, delete_older_than, list, list_platform, older_than,
};

text_enum! {
    /// Who acted.
    pub enum ActorKind {
        /// A signed-in user.
        User = "user",
        /// An integration using an API key.
        ApiKey = "api_key",
        /// The platform itself (bootstrap, maintenance).
        System = "system",
        /// Nobody authenticated (a failed login, a registration).
        Anonymous = "anonymous",
    }
}

/// Who acted and where the request came from; recorded with every audit row.
#[derive(Clone, Debug)]
pub struct AuditCtx {
    /// The kind of actor.
    pub actor_kind: ActorKind,
    /// The user or API key id.
    pub actor_id: Option<Uuid>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// The client address.
    pub ip: Option<String>,
}

impl AuditCtx {
    /// The platform acting on its own (CLI bootstrap, start-up).
    pub fn system() -> Self {
        Self { actor_kind: ActorKind::System, actor_id: None, request_id: None, ip: None }
    }

    /// The same request, attributed to another actor (e.g. the user who just signed in).
    pub fn as_actor(&self, kind: ActorKind, id: Uuid) -> Self {
        Self { actor_kind: kind, actor_id: Some(id), ..self.clone() }
    }
}

/// One recorded event.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    /// What happened, `entity.verb` (`user.approved`, `auth.login_failed`).
    pub action: &'a str,
    /// The kind of thing it happened to.
    pub entity_type: &'a str,
    /// Which one.
    pub entity_id: Option<String>,
    /// The change: new values, or before/after pairs. Never secrets.
    pub changes: serde_json::Value,
}

impl<'a> Event<'a> {
    /// An event about `entity_type` `entity_id`.
    pub fn new(action: &'a str, entity_type: &'a str, entity_id: impl ToString) -> Self {
        Self { action, entity_type, entity_id: Some(entity_id.to_string()), changes: serde_json::json!({}) }
    }

    /// Attaches the change.
    pub fn changes(mut self, changes: serde_json::Value) -> Self {
        self.changes = changes;
        self
    }
}

/// An audit row as the API shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Row id (time-ordered).
    pub id: AuditId,
    /// The tenant it concerns; none for platform events.
    pub tenant_id: Option<TenantId>,
    /// When the event was recorded (UTC).
    pub at: Timestamp,
    /// Who: kind.
    pub actor_kind: ActorKind,
    /// Who: user or API key id.
    pub actor_id: Option<Uuid>,
    /// What happened.
    pub action: String,
    /// To what kind of thing.
    pub entity_type: String,
    /// To which one.
    pub entity_id: Option<String>,
    /// The change: new values, or before/after pairs; `{}` when none. Never secrets.
    pub changes: serde_json::Value,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// The client address.
    pub ip: Option<String>,
}

/// Records an event for the transaction's tenant.
pub async fn record(tx: &mut TenantTx, ctx: &AuditCtx, event: Event<'_>) -> Result<()> {
    let tenant = tx.tenant_id();
    store::insert(tx.conn(), Some(tenant), ctx, event).await
}

/// Records a platform-level event, for a tenant or none.
pub async fn record_system(
    tx: &mut SystemTx,
    tenant: Option<TenantId>,
    ctx: &AuditCtx,
    event: Event<'_>,
) -> Result<()> {
    store::insert(tx.conn(), tenant, ctx, event).await
}
