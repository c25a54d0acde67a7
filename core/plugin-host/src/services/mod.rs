//! The host's services to plugins, backed by the database: every call opens a transaction for
//! the invocation's tenant (row-level security on PostgreSQL, tenant-keyed queries on both), so
//! a plugin reaches only the data of the tenant it runs for. Reads of patient data are audited.

mod files;
mod reports;
mod tenants;

use std::sync::Arc;

use async_trait::async_trait;
use ils_host_api::Scope;
use ils_host_api::metrics::MetricsSink;
use ils_host_api::services::{
    CatalogueItem, ClinicalReader, ConfigSource, EventSink, Examination, Eye, FrameSize, HostServices,
    InventoryService, ItemPage, KvStore, MovementKind, MovementOutcome, Order, OrderStatus, OrdersService,
    Patient, Prescription, PublishedEvent, Rim, SecretStore, ServiceError, ServiceResult, StockLevel,
    StockLocation, StockMovement,
};
use serde_json::Value;

use crate::quota::{self, Refusal};
use crate::store;
use ils_clinical::prescriptions::StoredEyes;
use ils_kernel::TenantCtx;
use ils_kernel::audit::{self, ActorKind, AuditCtx, Event};
use ils_kernel::error::Error;
use ils_kernel::permissions::Role;
use ils_kernel::secrets::Sealer;
use ils_orders::Routing;
use ils_orders::status::OrderStatus as CoreStatus;
use ils_outbox::UnitOfWork;
use ils_storage::ids::{ExaminationId, OrderId, PatientId, PrescriptionId, TenantId, UserId};
use ils_storage::{Db, TenantTx, query};

/// The services plugins call that this crate does not build itself, from the composition root
/// (`ils-core`): the tenants' file store, shared with the API that serves the files, and e-mail,
/// whose jobs and worker are the binary's (docs/adr/027).
#[derive(Clone)]
pub struct CoreServices {
    /// The tenants' file store (`files`).
    pub files: ils_files::Files,
    /// E-mail to a tenant's staff through the mail queue (`notify`).
    pub notify: Arc<dyn ils_host_api::services::Notifier>,
}

impl std::fmt::Debug for CoreServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreServices").field("files", &self.files).finish_non_exhaustive()
    }
}

/// Every service, over `db`, and those the composition root provides (`core`).
pub(crate) fn host_services(
    db: Db,
    sealer: Sealer,
    metrics: Arc<dyn MetricsSink>,
    core: CoreServices,
) -> HostServices {
    let services = Arc::new(DbServices { db, sealer, metrics });
    HostServices {
        config: services.clone(),
        secrets: services.clone(),
        kv: services.clone(),
        events: services.clone(),
        orders: services.clone(),
        clinical: services.clone(),
        inventory: services.clone(),
        tenants: services.clone(),
        reports: services,
        files: Arc::new(files::PluginFiles::new(core.files)),
        notify: core.notify,
    }
}

struct DbServices {
    db: Db,
    sealer: Sealer,
    /// Where quota refusals are counted (Prometheus).
    metrics: Arc<dyn MetricsSink>,
}

fn unavailable(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Unavailable(e.to_string())
}

/// Domain errors as the plugin sees them (also for the services the composition root provides).
pub fn service_error(e: Error) -> ServiceError {
    match e {
        Error::NotFound(_) => ServiceError::NotFound,
        Error::Invalid { message, .. }
        | Error::Conflict { message, .. }
        | Error::Forbidden { message, .. }
        | Error::BadRequest { message, .. } => ServiceError::Invalid(message),
        other => unavailable(other),
    }
}

/// A write refused for a quota: logged, and final for the plugin (`invalid`, not `unavailable`,
/// which plugins retry). The refusal was counted in the usage row by the same transaction.
fn refused(metrics: &dyn MetricsSink, scope: &Scope, refusal: &Refusal) -> ServiceError {
    tracing::warn!(tenant = %scope.tenant, plugin = %scope.plugin, %refusal, "plugin write refused for a quota");
    metrics.quota_refused(&scope.plugin, refusal.quota());
    ServiceError::Invalid(refusal.to_string())
}

fn id<T: std::str::FromStr>(text: &str) -> ServiceResult<T> {
    text.parse().map_err(|_| ServiceError::NotFound)
}

/// Who a plugin acts as in the audit log: the signed-in caller, else the platform; the plugin
/// is named in the request id (`plugin:ID@VERSION`).
pub fn actor(scope: &Scope) -> AuditCtx {
    let request_id = Some(format!("plugin:{}@{}", scope.plugin, scope.version));
    match scope.caller.as_ref().and_then(|c| c.user_id.parse::<uuid::Uuid>().ok()) {
        Some(user) => AuditCtx { actor_kind: ActorKind::User, actor_id: Some(user), request_id, ip: None },
        None => AuditCtx { request_id, ..AuditCtx::system() },
    }
}

impl DbServices {
    async fn tx(&self, scope: &Scope) -> ServiceResult<TenantTx> {
        self.db.tenant(scope.tenant).await.map_err(unavailable)
    }

    /// A transaction that only reads: on SQLite it takes no write lock, so a long read does not
    /// hold up the tenant's writers.
    async fn read_tx(&self, scope: &Scope) -> ServiceResult<TenantTx> {
        self.db.tenant_read(scope.tenant).await.map_err(unavailable)
    }

    async fn finish<T>(&self, tx: TenantTx, result: Result<T, Error>) -> ServiceResult<T> {
        let value = result.map_err(service_error)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(value)
    }
}

#[async_trait]
impl ConfigSource for DbServices {
    async fn config(&self, scope: &Scope) -> ServiceResult<Value> {
        let mut tx = self.tx(scope).await?;
        let row = store::enablement(&mut tx, scope.plugin.as_str()).await;
        let row = self.finish(tx, row).await?;
        match row {
            Some(row) => serde_json::from_str(&row.config).map_err(unavailable),
            None => Ok(serde_json::json!({})),
        }
    }
}

#[async_trait]
impl SecretStore for DbServices {
    async fn secret(&self, scope: &Scope, name: &str) -> ServiceResult<Option<String>> {
        let mut tx = self.tx(scope).await?;
        let sealed = store::sealed_secret(&mut tx, scope.plugin.as_str(), name).await;
        let Some(sealed) = self.finish(tx, sealed).await? else { return Ok(None) };
        let plain = self.sealer.open(&sealed).map_err(|_| unavailable("a secret could not be unsealed"))?;
        String::from_utf8(plain).map(Some).map_err(unavailable)
    }
}

#[async_trait]
impl KvStore for DbServices {
    async fn get(&self, scope: &Scope, key: &str) -> ServiceResult<Option<Vec<u8>>> {
        let mut tx = self.tx(scope).await?;
        let value = store::kv_get(&mut tx, scope.plugin.as_str(), key).await;
        self.finish(tx, value).await
    }

    async fn set(&self, scope: &Scope, key: &str, value: Vec<u8>) -> ServiceResult<()> {
        check_key(key)?;
        let mut tx = self.tx(scope).await?;
        let done = quota::kv_set(&mut tx, scope.plugin.as_str(), key, &value).await;
        self.finish(tx, done).await?.map_err(|refusal| refused(self.metrics.as_ref(), scope, &refusal))
    }

    async fn delete(&self, scope: &Scope, key: &str) -> ServiceResult<()> {
        let mut tx = self.tx(scope).await?;
        let done = quota::kv_delete(&mut tx, scope.plugin.as_str(), key).await;
        self.finish(tx, done).await
    }

    async fn list_keys(
        &self,
        scope: &Scope,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> ServiceResult<Vec<String>> {
        let mut tx = self.tx(scope).await?;
        let limit = i64::try_from(limit.min(10_000)).unwrap_or(10_000);
        let keys = store::kv_keys(&mut tx, scope.plugin.as_str(), prefix, start_after, limit).await;
        self.finish(tx, keys).await
    }

    async fn compare_and_set(
        &self,
        scope: &Scope,
        key: &str,
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> ServiceResult<bool> {
        check_key(key)?;
        let plugin = scope.plugin.as_str();
        let mut tx = self.tx(scope).await?;
        let swapped = async {
            // The usage row's lock orders every kv write of this (tenant, plugin), so the value
            // read next cannot change before this transaction ends (SQLite: the write lock).
            store::usage_lock(&mut tx, plugin).await?;
            if store::kv_get(&mut tx, plugin, key).await?.as_deref() != expected {
                return Ok(Ok(false));
            }
            match &new {
                Some(value) => Ok(quota::kv_set(&mut tx, plugin, key, value).await?.map(|()| true)),
                None => quota::kv_delete(&mut tx, plugin, key).await.map(|()| Ok(true)),
            }
        }
        .await;
        self.finish(tx, swapped).await?.map_err(|refusal| refused(self.metrics.as_ref(), scope, &refusal))
    }
}

/// A kv key is 1 to 512 bytes.
fn check_key(key: &str) -> ServiceResult<()> {
    if key.is_empty() || key.len() > 512 {
        return Err(ServiceError::Invalid("a key is 1 to 512 bytes".into()));
    }
    Ok(())
}

/// A plugin event's type in the outbox: `plugin.<id>.<kind>` with the id's `-` as `_` (event
/// types are `a-z 0-9 _ .`).
fn event_type(kind: &str) -> ServiceResult<String> {
    let normalised = kind.replace('-', "_");
    let ok = normalised.len() <= 100
        && normalised.starts_with("plugin.")
        && normalised.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if ok {
        Ok(normalised)
    } else {
        Err(ServiceError::Invalid(format!("{kind:?} is not a valid event kind")))
    }
}

#[async_trait]
impl EventSink for DbServices {
    async fn publish(&self, scope: &Scope, event: PublishedEvent) -> ServiceResult<()> {
        let type_ = event_type(&event.kind)?;
        let mut tx = self.tx(scope).await?;
        let done = match quota::count_event(&mut tx, scope.plugin.as_str()).await {
            Ok(Ok(())) => ils_outbox::emit_raw(&mut tx, type_, 1, event.payload).await.map(|_| Ok(())),
            other => other,
        };
        self.finish(tx, done).await?.map_err(|refusal| refused(self.metrics.as_ref(), scope, &refusal))
    }
}

fn status_to_host(s: CoreStatus) -> OrderStatus {
    match s {
        CoreStatus::Pending => OrderStatus::Pending,
        CoreStatus::InProduction => OrderStatus::InProduction,
        CoreStatus::QualityCheck => OrderStatus::QualityCheck,
        CoreStatus::Shipped => OrderStatus::Shipped,
        CoreStatus::Completed => OrderStatus::Completed,
        CoreStatus::OnHold => OrderStatus::OnHold,
        CoreStatus::Cancelled => OrderStatus::Cancelled,
    }
}

fn status_from_host(s: OrderStatus) -> CoreStatus {
    match s {
        OrderStatus::Pending => CoreStatus::Pending,
        OrderStatus::InProduction => CoreStatus::InProduction,
        OrderStatus::QualityCheck => CoreStatus::QualityCheck,
        OrderStatus::Shipped => CoreStatus::Shipped,
        OrderStatus::Completed => CoreStatus::Completed,
        OrderStatus::OnHold => CoreStatus::OnHold,
        OrderStatus::Cancelled => CoreStatus::Cancelled,
    }
}

fn order_to_host(tenant: TenantId, o: &ils_orders::Order) -> Order {
    let other = o.counterpart.as_ref().map(|c| c.tenant_id).unwrap_or(tenant);
    let (practice, lab) = match o.routing {
        Routing::InHouse => (tenant, tenant),
        Routing::ToLab => (tenant, other),
        Routing::FromPractice => (other, tenant),
    };
    Order {
        id: o.id.to_string(),
        reference: o.number.clone(),
        status: status_to_host(o.status),
        practice_id: practice.to_string(),
        lab_id: lab.to_string(),
        created_at_ms: o.created_at.as_jiff().as_millisecond(),
        due_date: Some(o.due_on.to_string()),
        details: serde_json::to_value(o).unwrap_or(Value::Null),
    }
}

/// The tenant context a plugin acts in: its caller's role when a user called, else the rights
/// of an API key issued by a company admin (the tenant admin consented to the capability).
fn plugin_ctx(tenant: TenantId, scope: &Scope) -> TenantCtx {
    let role = scope.caller.as_ref().and_then(|c| c.roles.iter().find_map(|r| r.parse::<Role>().ok()));
    let user_id = scope.caller.as_ref().and_then(|c| c.user_id.parse::<UserId>().ok());
    TenantCtx { tenant_id: tenant, user_id, audit: actor(scope), role }
}

#[async_trait]
impl OrdersService for DbServices {
    async fn get(&self, scope: &Scope, order: &str) -> ServiceResult<Order> {
        let tenant = scope.tenant;
        let mut tx = self.tx(scope).await?;
        let found = ils_orders::store::get(&mut tx, id::<OrderId>(order)?).await;
        Ok(order_to_host(tenant, &self.finish(tx, found).await?))
    }

    async fn list(
        &self,
        scope: &Scope,
        status: Option<OrderStatus>,
        limit: usize,
    ) -> ServiceResult<Vec<Order>> {
        let tenant = scope.tenant;
        let mut tx = self.tx(scope).await?;
        let limit = i64::try_from(limit.min(500)).unwrap_or(500);
        let found = ils_orders::store::newest(&mut tx, status.map(status_from_host), limit).await;
        Ok(self.finish(tx, found).await?.iter().map(|o| order_to_host(tenant, o)).collect())
    }

    async fn annotate(&self, scope: &Scope, order: &str, note: &str) -> ServiceResult<()> {
        let tenant = scope.tenant;
        let order = id::<OrderId>(order)?;
        let mut uow = UnitOfWork::over(self.tx(scope).await?, plugin_ctx(tenant, scope));
        let note = format!("[{}] {note}", scope.plugin);
        let done = ils_orders::annotate(&mut uow, order, &note).await;
        self.finish(uow.into_tx(), done).await
    }

    async fn transition(
        &self,
        scope: &Scope,
        order: &str,
        to: OrderStatus,
        reason: &str,
    ) -> ServiceResult<Order> {
        let tenant = scope.tenant;
        let order = id::<OrderId>(order)?;
        let mut uow = UnitOfWork::over(self.tx(scope).await?, plugin_ctx(tenant, scope));
        let req = ils_orders::Transition {
            to: status_from_host(to),
            note: Some(format!("[{}] {reason}", scope.plugin)),
            quality_issue: (to == OrderStatus::InProduction)
                .then(|| reason.to_owned())
                .filter(|r| !r.is_empty()),
            station: None,
        };
        let moved = ils_orders::transition(&mut uow, order, req).await;
        Ok(order_to_host(tenant, &self.finish(uow.into_tx(), moved).await?))
    }
}

/// An item as `list-items` reads it.
#[derive(sqlx::FromRow)]
struct ItemRow {
    id: ils_storage::ids::ItemId,
    sku: String,
    name: String,
    reorder_point: i64,
    frame_a: Option<i32>,
    frame_dbl: Option<i32>,
    frame_rim: Option<ils_stock::items::Rim>,
}

impl ItemRow {
    fn into_host(self, levels: Vec<StockLevel>) -> CatalogueItem {
        let tenths = |v: i32| u16::try_from(v).unwrap_or(u16::MAX);
        let frame = match (self.frame_a, self.frame_dbl) {
            (Some(a), Some(dbl)) => Some(FrameSize {
                eye_size: tenths(a),
                bridge: tenths(dbl),
                rim: self.frame_rim.map(|r| match r {
                    ils_stock::items::Rim::Full => Rim::Full,
                    ils_stock::items::Rim::SemiRimless => Rim::SemiRimless,
                    ils_stock::items::Rim::Rimless => Rim::Rimless,
                }),
            }),
            _ => None,
        };
        CatalogueItem {
            id: self.id.to_string(),
            sku: self.sku,
            name: self.name,
            reorder_point: self.reorder_point,
            levels,
            frame,
        }
    }
}

/// One eye as plugins see it: the exact powers (stored in minus-cylinder form), no prism.
pub(crate) fn eye_to_host(eye: &ils_clinical::rx::EyeRx) -> Eye {
    Eye {
        sphere: eye.sphere(),
        cylinder: eye.cylinder().map(|(c, _)| c),
        axis: eye.cylinder().map(|(_, a)| a.degrees()),
        add: eye.add(),
    }
}

#[async_trait]
impl ClinicalReader for DbServices {
    async fn patient(&self, scope: &Scope, patient: &str) -> ServiceResult<Patient> {
        let patient = id::<PatientId>(patient)?;
        let mut tx = self.tx(scope).await?;
        let read = async {
            let p = ils_clinical::patients::get_active(&mut tx, patient).await?;
            let event = Event::new("patient.read", "patient", p.id).changes(
                serde_json::json!({ "plugin": scope.plugin.as_str(), "version": scope.version.to_string() }),
            );
            audit::record(&mut tx, &actor(scope), event).await?;
            Ok(p)
        }
        .await;
        let p = self.finish(tx, read).await?;
        Ok(Patient {
            id: p.id.to_string(),
            given_name: p.first_name,
            family_name: p.last_name,
            date_of_birth: p.date_of_birth.to_string(),
            nhs_number: p.nhs_number.map(|n| n.to_string()),
        })
    }

    async fn prescription(&self, scope: &Scope, rx: &str) -> ServiceResult<Prescription> {
        let rx = id::<PrescriptionId>(rx)?;
        let mut tx = self.tx(scope).await?;
        let read = async {
            let p = ils_clinical::prescriptions::get(&mut tx, rx).await?;
            let event = Event::new("prescription.read", "prescription", p.id).changes(serde_json::json!({
                "patient_id": p.patient_id, "plugin": scope.plugin.as_str(), "version": scope.version.to_string()
            }));
            audit::record(&mut tx, &actor(scope), event).await?;
            Ok(p)
        }
        .await;
        let p = self.finish(tx, read).await?;
        Ok(Prescription {
            id: p.id.to_string(),
            patient_id: p.patient_id.to_string(),
            issued_on: p.issued_on.to_string(),
            expires_on: p.expires_on.map(|d| d.to_string()),
            right: eye_to_host(&p.right),
            left: eye_to_host(&p.left),
        })
    }

    async fn examination(&self, scope: &Scope, exam: &str) -> ServiceResult<Examination> {
        let exam = id::<ExaminationId>(exam)?;
        let mut tx = self.tx(scope).await?;
        let read = async {
            let e = store::examination(&mut tx, exam).await?.ok_or(Error::NotFound("examination"))?;
            let event = Event::new("examination.read", "examination", e.id).changes(serde_json::json!({
                "patient_id": e.patient_id, "plugin": scope.plugin.as_str(), "version": scope.version.to_string()
            }));
            audit::record(&mut tx, &actor(scope), event).await?;
            Ok(e)
        }
        .await;
        examination_to_host(self.finish(tx, read).await?)
    }
}

/// An examination row as plugins see it, its refraction checked again as it is read.
fn examination_to_host(e: store::ExaminationRow) -> ServiceResult<Examination> {
    let refraction = match e.refraction.as_deref() {
        Some(json) => {
            let stored: StoredEyes = serde_json::from_str(json).map_err(unavailable)?;
            Some(stored.rx().map_err(service_error)?)
        }
        None => None,
    };
    Ok(Examination {
        id: e.id.to_string(),
        patient_id: e.patient_id.to_string(),
        examined_on: e.examined_on,
        finalised_at_ms: e.finalised_at.map(|t| t.as_jiff().as_millisecond()),
        performed_by: e.examined_by.map(|u| u.to_string()),
        performer_name: e.performer_name,
        last_sight_test_on: e.last_sight_test_on,
        refraction_right: refraction.as_ref().map(|(right, _)| eye_to_host(right)),
        refraction_left: refraction.as_ref().map(|(_, left)| eye_to_host(left)),
        prescription_id: e.prescription_id.map(|p| p.to_string()),
    })
}

#[derive(sqlx::FromRow)]
struct LevelRow {
    item_id: ils_storage::ids::ItemId,
    sku: String,
    location_id: ils_storage::ids::LocationId,
    quantity: i64,
}

#[async_trait]
impl InventoryService for DbServices {
    // SKUs compare without regard to case, as they are unique (docs/adr/040-sku-case-and-installations.md).
    async fn stock_by_sku(&self, scope: &Scope, sku: &str) -> ServiceResult<Vec<StockLevel>> {
        const SQL: &str = "SELECT l.item_id, i.sku, l.location_id, l.quantity FROM stock_levels l
            JOIN items i ON i.tenant_id = l.tenant_id AND i.id = l.item_id
            WHERE l.tenant_id = $1 AND lower(i.sku) = lower($2) ORDER BY l.location_id";
        let tenant = scope.tenant;
        let mut tx = self.tx(scope).await?;
        let rows: Result<Vec<LevelRow>, Error> =
            query!(tx, query_as, fetch_all, SQL, tenant, sku).map_err(|e| Error::Db(e.into()));
        let rows = self.finish(tx, rows).await?;
        Ok(rows.into_iter().map(LevelRow::into_host).collect())
    }

    async fn locations(&self, scope: &Scope) -> ServiceResult<Vec<StockLocation>> {
        const SQL: &str = "SELECT id, name FROM stock_locations WHERE tenant_id = $1 ORDER BY name, id";
        let tenant = scope.tenant;
        let mut tx = self.read_tx(scope).await?;
        let rows: Result<Vec<(ils_storage::ids::LocationId, String)>, Error> =
            query!(tx, query_as, fetch_all, SQL, tenant).map_err(|e| Error::Db(e.into()));
        let rows = self.finish(tx, rows).await?;
        Ok(rows.into_iter().map(|(id, name)| StockLocation { id: id.to_string(), name }).collect())
    }

    async fn items(&self, scope: &Scope, after: Option<&str>, limit: u32) -> ServiceResult<ItemPage> {
        const ITEMS: &str = "SELECT id, sku, name, reorder_point, frame_a, frame_dbl, frame_rim FROM items
            WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3";
        // The page's items are every item from its first id to its last: one range read.
        const LEVELS: &str = "SELECT l.item_id, i.sku, l.location_id, l.quantity FROM stock_levels l
            JOIN items i ON i.tenant_id = l.tenant_id AND i.id = l.item_id
            WHERE l.tenant_id = $1 AND l.item_id >= $2 AND l.item_id <= $3 ORDER BY l.item_id, l.location_id";
        let after: Option<ils_storage::ids::ItemId> = match after {
            Some(a) => Some(id(a)?),
            None => None,
        };
        let tenant = scope.tenant;
        let fetch = i64::from(limit) + 1;
        let mut tx = self.read_tx(scope).await?;
        let read = async {
            let mut items: Vec<ItemRow> = query!(tx, query_as, fetch_all, ITEMS, tenant, after, fetch)?;
            let more = items.len() > limit as usize;
            items.truncate(limit as usize);
            let levels: Vec<LevelRow> = match (items.first(), items.last()) {
                (Some(first), Some(last)) => {
                    query!(tx, query_as, fetch_all, LEVELS, tenant, first.id, last.id)?
                }
                _ => Vec::new(),
            };
            Ok::<_, sqlx::Error>((items, levels, more))
        }
        .await
        .map_err(|e| Error::Db(e.into()));
        let (items, levels, more) = self.finish(tx, read).await?;
        let mut levels = levels.into_iter().peekable();
        let items: Vec<CatalogueItem> = items
            .into_iter()
            .map(|item| {
                let mut own = Vec::new();
                while let Some(level) = levels.next_if(|l| l.item_id == item.id) {
                    own.push(level.into_host());
                }
                item.into_host(own)
            })
            .collect();
        let next_after = if more { items.last().map(|i| i.id.clone()) } else { None };
        Ok(ItemPage { items, next_after })
    }

    async fn record_movements(
        &self,
        scope: &Scope,
        movements: &[StockMovement],
    ) -> ServiceResult<Vec<MovementOutcome>> {
        use ils_stock::plugin_movements::{self as pm, PluginMovement, PluginMovementKind};
        let planned = movements
            .iter()
            .map(|m| {
                Ok(PluginMovement {
                    key: m.key.clone(),
                    item_id: id(&m.item_id)?,
                    location_id: id(&m.location_id)?,
                    delta: m.delta,
                    kind: match m.kind {
                        MovementKind::Sale => PluginMovementKind::Sale,
                        MovementKind::Return => PluginMovementKind::Return,
                        MovementKind::Adjustment => PluginMovementKind::Adjustment,
                    },
                    note: m.note.clone(),
                })
            })
            .collect::<ServiceResult<Vec<_>>>()?;
        let mut uow = UnitOfWork::over(self.tx(scope).await?, plugin_ctx(scope.tenant, scope));
        let done = pm::record(&mut uow, scope.plugin.as_str(), &planned).await;
        let recorded = self.finish(uow.into_tx(), done).await?;
        Ok(recorded
            .into_iter()
            .map(|r| MovementOutcome { key: r.key, applied: r.applied, on_hand_after: r.quantity_after })
            .collect())
    }
}

impl LevelRow {
    fn into_host(self) -> StockLevel {
        StockLevel {
            item_id: self.item_id.to_string(),
            sku: self.sku,
            location_id: self.location_id.to_string(),
            on_hand: self.quantity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_event_types_fit_the_outbox() {
        assert_eq!(event_type("plugin.order-notes.noted").unwrap(), "plugin.order_notes.noted");
        assert!(event_type("plugin.x.Bad Kind").is_err());
        assert!(event_type("order.created").is_err());
    }
}
