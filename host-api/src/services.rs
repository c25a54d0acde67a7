//! What the embedder (ILS core) provides: one trait per capability, with no database types.
//! Every method receives the invocation's [`Scope`]; implementations must confine reads and
//! writes to `scope.tenant` (and, for kv, `scope.plugin`). Test fakes of every trait are in
//! [`crate::fakes`].
//!
//! The records the services exchange are `ils-records`' (re-exported here), the same types the
//! plugin SDK gives plugins.

use std::sync::Arc;

use async_trait::async_trait;
pub use ils_records::reports::{
    DispensingRow, Money, MovementRow, OrderRow, Page, PageRequest, Period, PurchaseOrderRow, QualityRow,
    Query, ResultSet, StockRow,
};
pub use ils_records::{
    CatalogueItem, Email, Examination, Eye, FileInfo, FrameSize, ItemPage, MovementKind, MovementOutcome,
    Order, OrderStatus, Patient, Prescription, PublishedEvent, ROLES, Rim, StockLevel, StockLocation,
    StockMovement, Tenant,
};
use serde_json::Value;

use crate::scope::Scope;

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
    /// Keys with `prefix` after `start_after` (exclusive), sorted, at most `limit`.
    async fn list_keys(
        &self,
        scope: &Scope,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> ServiceResult<Vec<String>>;
    /// Stores `new` (`None` deletes) only if the current value is `expected` (`None`: absent),
    /// atomically; `false`, changing nothing, when it is not.
    async fn compare_and_set(
        &self,
        scope: &Scope,
        key: &str,
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> ServiceResult<bool>;
}

/// Where published events go (core: the transactional outbox).
#[async_trait]
pub trait EventSink: Send + Sync {
    /// Publishes one event for `scope.tenant`.
    async fn publish(&self, scope: &Scope, event: PublishedEvent) -> ServiceResult<()>;
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

/// Read access to clinical records. **Implementations must audit every successful read**
/// (the reader is `scope.plugin`, on behalf of `scope.caller` when there is one).
#[async_trait]
pub trait ClinicalReader: Send + Sync {
    /// One patient.
    async fn patient(&self, scope: &Scope, id: &str) -> ServiceResult<Patient>;
    /// One prescription.
    async fn prescription(&self, scope: &Scope, id: &str) -> ServiceResult<Prescription>;
    /// One examination, with the date of the patient's previous finalised one.
    async fn examination(&self, scope: &Scope, id: &str) -> ServiceResult<Examination>;
}

/// The tenant an invocation runs for.
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// `scope.tenant`'s name and kind.
    async fn tenant(&self, scope: &Scope) -> ServiceResult<Tenant>;
}

/// Reads for reporting. **Implementations must confine every read to `scope.tenant` and write
/// each call to the tenant's audit log** (plugin, what was read, the period, rows returned).
/// Queries are checked against [`ils_records::reports::DATASETS`]; a plugin never sends SQL.
#[async_trait]
pub trait ReportsReader: Send + Sync {
    /// Orders created in `period`, with their timeline and price, oldest first.
    async fn orders(
        &self,
        scope: &Scope,
        period: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<OrderRow>>;
    /// Quality failures recorded in `period`, and the remakes raised for them.
    async fn quality(
        &self,
        scope: &Scope,
        period: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<QualityRow>>;
    /// The tenant's own orders created in `period` (not a lab's copies of practices' orders),
    /// oldest first, with their prescriptions and the stocked frame each named. Audited as a
    /// clinical read.
    async fn dispensing(
        &self,
        scope: &Scope,
        period: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<DispensingRow>>;
    /// Stock levels now, valued at each item's last received unit price.
    async fn stock_levels(&self, scope: &Scope, page: &PageRequest) -> ServiceResult<Page<StockRow>>;
    /// Stock movements in `period`.
    async fn stock_movements(
        &self,
        scope: &Scope,
        period: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<MovementRow>>;
    /// Purchase orders raised in `period`, with their lines and receipts.
    async fn purchase_orders(
        &self,
        scope: &Scope,
        period: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<PurchaseOrderRow>>;
    /// An aggregate over one dataset (`Invalid` for an unknown dataset, field or bucket).
    async fn aggregate(&self, scope: &Scope, query: &Query) -> ServiceResult<ResultSet>;
}

/// The tenant's file store, as plugins write to it. Implementations keep the bytes behind one
/// storage trait (a local directory by default) and the file's row with its tenant and plugin.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Stores a file for `scope.tenant`, written by `scope.plugin`.
    async fn put(
        &self,
        scope: &Scope,
        name: &str,
        content_type: &str,
        body: bytes::Bytes,
    ) -> ServiceResult<FileInfo>;
    /// Files `scope.plugin` wrote for the tenant, newest first.
    async fn list(&self, scope: &Scope, page: &PageRequest) -> ServiceResult<Page<FileInfo>>;
    /// Removes a file `scope.plugin` wrote (`NotFound` for any other).
    async fn delete(&self, scope: &Scope, id: &str) -> ServiceResult<()>;
}

/// E-mail to the tenant's staff through the embedder's mail queue.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Queues `email` to every active member of `scope.tenant` holding one of `roles`, audits it
    /// (roles and count, no addresses) and returns how many recipients were queued.
    async fn email_roles(&self, scope: &Scope, roles: &[String], email: &Email) -> ServiceResult<u32>;
}

/// Stock: read, and moved once per idempotency key.
#[async_trait]
pub trait InventoryService: Send + Sync {
    /// Stock of the item with `sku` (in any case: SKUs are unique without regard to it) at
    /// every location.
    async fn stock_by_sku(&self, scope: &Scope, sku: &str) -> ServiceResult<Vec<StockLevel>>;
    /// The tenant's stock locations.
    async fn locations(&self, scope: &Scope) -> ServiceResult<Vec<StockLocation>>;
    /// One page of the catalogue in id order, after `after`, at most `limit` items (already
    /// clamped to [`MAX_ITEM_PAGE`](ils_records::inventory::MAX_ITEM_PAGE)).
    async fn items(&self, scope: &Scope, after: Option<&str>, limit: u32) -> ServiceResult<ItemPage>;
    /// Records `movements` for `scope.plugin` in one transaction, each once by key.
    async fn record_movements(
        &self,
        scope: &Scope,
        movements: &[StockMovement],
    ) -> ServiceResult<Vec<MovementOutcome>>;
}

/// Everything the embedder provides, as shared trait objects.
#[derive(Clone)]
pub struct HostServices {
    /// The tenant's configuration of each plugin (`config`).
    pub config: Arc<dyn ConfigSource>,
    /// The tenant's secrets for each plugin (`secrets`).
    pub secrets: Arc<dyn SecretStore>,
    /// Key-value storage per tenant and plugin (`kv`).
    pub kv: Arc<dyn KvStore>,
    /// Where published events go (`events`).
    pub events: Arc<dyn EventSink>,
    /// The tenant's orders: read, annotate, transition (`orders`).
    pub orders: Arc<dyn OrdersService>,
    /// Patients and prescriptions, every read audited (`clinical`).
    pub clinical: Arc<dyn ClinicalReader>,
    /// Stock levels (`inventory`).
    pub inventory: Arc<dyn InventoryService>,
    /// The tenant's name and kind (`context.current-tenant`).
    pub tenants: Arc<dyn TenantDirectory>,
    /// Reads for reporting (`reports`).
    pub reports: Arc<dyn ReportsReader>,
    /// The tenant's file store (`files`).
    pub files: Arc<dyn FileStore>,
    /// E-mail to the tenant's staff (`notify`).
    pub notify: Arc<dyn Notifier>,
}

impl std::fmt::Debug for HostServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostServices").finish_non_exhaustive()
    }
}
