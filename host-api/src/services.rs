//! What the embedder (ILS core) provides: one trait per capability, with no database types.
//! Every method receives the invocation's [`Scope`]; implementations must confine reads and
//! writes to `scope.tenant` (and, for kv, `scope.plugin`). In-memory implementations for tests
//! are in [`crate::memory`].

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::ids::Scope;

/// Why a service call failed. The host turns these into guest-visible errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// No such record for this tenant.
    #[error("not found")]
    NotFound,
    /// The request was refused (bad input, invalid state transition).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The service is unavailable; retry later.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// Result of a service call.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// The tenant's configuration of a plugin, already validated against the manifest's schema.
#[async_trait]
pub trait ConfigSource: Send + Sync {
    /// The configuration (`{}` when the tenant set nothing).
    async fn config(&self, scope: &Scope) -> ServiceResult<Value>;
}

/// Secrets a tenant admin set for a plugin (encrypted at rest by the embedder).
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// One secret, or `None`.
    async fn secret(&self, scope: &Scope, name: &str) -> ServiceResult<Option<String>>;
}

/// Key-value storage scoped to (tenant, plugin).
#[async_trait]
pub trait KvStore: Send + Sync {
    /// The value under `key`.
    async fn get(&self, scope: &Scope, key: &str) -> ServiceResult<Option<Vec<u8>>>;
    /// Stores a value.
    async fn set(&self, scope: &Scope, key: &str, value: Vec<u8>) -> ServiceResult<()>;
    /// Removes a key (missing keys are fine).
    async fn delete(&self, scope: &Scope, key: &str) -> ServiceResult<()>;
    /// Keys with `prefix`, sorted, at most `limit`.
    async fn list_keys(&self, scope: &Scope, prefix: &str, limit: usize) -> ServiceResult<Vec<String>>;
}

/// An event a plugin publishes; the embedder stores it with the invocation's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedEvent {
    /// `plugin.<plugin-id>.<kind>`.
    pub kind: String,
    /// JSON payload.
    pub payload: Value,
}

/// Where published events go (core: the transactional outbox).
#[async_trait]
pub trait EventSink: Send + Sync {
    /// Publishes one event for `scope.tenant`.
    async fn publish(&self, scope: &Scope, event: PublishedEvent) -> ServiceResult<()>;
}

/// Lifecycle status of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed, not started.
    Pending,
    /// Being made.
    InProduction,
    /// Being checked.
    QualityCheck,
    /// Sent.
    Shipped,
    /// Closed.
    Completed,
    /// Paused.
    OnHold,
    /// Cancelled.
    Cancelled,
}

/// An order as plugins see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Id.
    pub id: String,
    /// Human reference.
    pub reference: String,
    /// Status.
    pub status: OrderStatus,
    /// Ordering practice (tenant id).
    pub practice_id: String,
    /// Lab (tenant id).
    pub lab_id: String,
    /// Placed at, ms since the epoch.
    pub created_at_ms: i64,
    /// Due date, `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// Details as JSON.
    pub details: Value,
}

/// Orders of a tenant.
#[async_trait]
pub trait OrdersService: Send + Sync {
    /// One order.
    async fn get(&self, scope: &Scope, id: &str) -> ServiceResult<Order>;
    /// Newest first, at most `limit`.
    async fn list(
        &self,
        scope: &Scope,
        status: Option<OrderStatus>,
        limit: usize,
    ) -> ServiceResult<Vec<Order>>;
    /// Adds a timeline note attributed to the plugin.
    async fn annotate(&self, scope: &Scope, id: &str, note: &str) -> ServiceResult<()>;
    /// Moves an order, if its lifecycle allows it.
    async fn transition(
        &self,
        scope: &Scope,
        id: &str,
        to: OrderStatus,
        reason: &str,
    ) -> ServiceResult<Order>;
}

/// A patient as plugins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    /// Id.
    pub id: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// NHS number.
    pub nhs_number: Option<String>,
}

/// One eye of a prescription, powers in hundredths of a dioptre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EyeRx {
    /// Sphere.
    pub sphere: i32,
    /// Cylinder (minus form).
    pub cylinder: Option<i32>,
    /// Axis, degrees.
    pub axis: Option<u16>,
    /// Reading addition.
    pub add: Option<i32>,
}

/// A prescription as plugins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prescription {
    /// Id.
    pub id: String,
    /// Patient id.
    pub patient_id: String,
    /// `YYYY-MM-DD`.
    pub issued_on: String,
    /// `YYYY-MM-DD`.
    pub expires_on: Option<String>,
    /// Right eye.
    pub right: EyeRx,
    /// Left eye.
    pub left: EyeRx,
}

/// Read access to clinical records. **Implementations must audit every successful read**
/// (the reader is `scope.plugin`, on behalf of `scope.caller` when there is one).
#[async_trait]
pub trait ClinicalReader: Send + Sync {
    /// One patient.
    async fn patient(&self, scope: &Scope, id: &str) -> ServiceResult<Patient>;
    /// One prescription.
    async fn prescription(&self, scope: &Scope, id: &str) -> ServiceResult<Prescription>;
}

/// Stock of one item at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLevel {
    /// Item id.
    pub item_id: String,
    /// SKU.
    pub sku: String,
    /// Location id.
    pub location_id: String,
    /// Units on hand.
    pub on_hand: i64,
}

/// Read access to stock.
#[async_trait]
pub trait InventoryReader: Send + Sync {
    /// Stock of the item with `sku` at every location.
    async fn stock_by_sku(&self, scope: &Scope, sku: &str) -> ServiceResult<Vec<StockLevel>>;
}

/// Everything the embedder provides, as shared trait objects.
#[derive(Clone)]
pub struct HostServices {
    /// Tenant configuration.
    pub config: Arc<dyn ConfigSource>,
    /// Tenant secrets.
    pub secrets: Arc<dyn SecretStore>,
    /// Key-value storage.
    pub kv: Arc<dyn KvStore>,
    /// Event publishing.
    pub events: Arc<dyn EventSink>,
    /// Orders.
    pub orders: Arc<dyn OrdersService>,
    /// Clinical records (audited).
    pub clinical: Arc<dyn ClinicalReader>,
    /// Stock.
    pub inventory: Arc<dyn InventoryReader>,
}

impl std::fmt::Debug for HostServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostServices").finish_non_exhaustive()
    }
}
