//! Test fakes of every service trait, in memory: for the host's tests, `ils plugin test` and
//! local runs. Everything is keyed by tenant (and plugin, for kv, config and secrets), the same
//! way core's storage is, and clinical reads are audited, so a test can check isolation and
//! auditing as it would against core.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use ils_registry::PluginId;
use serde_json::Value;

use ils_records::TenantId;

use crate::scope::Scope;
use crate::services::*;

/// A read of a clinical record, as the fakes' audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The tenant whose record was read.
    pub tenant: TenantId,
    /// The reading plugin.
    pub plugin: PluginId,
    /// `patient`, `prescription` or `examination`.
    pub entity: &'static str,
    /// The record's id.
    pub id: String,
}

#[derive(Default)]
struct Data {
    config: HashMap<(TenantId, PluginId), Value>,
    secrets: HashMap<(TenantId, PluginId, String), String>,
    kv: HashMap<(TenantId, PluginId), BTreeMap<String, Vec<u8>>>,
    published: Vec<(TenantId, PluginId, PublishedEvent)>,
    orders: HashMap<(TenantId, String), Order>,
    notes: Vec<(TenantId, String, String)>,
    patients: HashMap<(TenantId, String), Patient>,
    prescriptions: HashMap<(TenantId, String), Prescription>,
    stock: Vec<(TenantId, StockLevel)>,
    movements: HashMap<(TenantId, String), MovementOutcome>,
    examinations: HashMap<(TenantId, String), Examination>,
    tenants: HashMap<TenantId, Tenant>,
    report_orders: Vec<(TenantId, OrderRow)>,
    files: Vec<(TenantId, PluginId, FileInfo, bytes::Bytes)>,
    emails: Vec<(TenantId, PluginId, Vec<String>, Email)>,
    audit: Vec<AuditEntry>,
}

/// Every service, faked in memory. Cheap to clone (the clones share their data).
#[derive(Clone, Default)]
pub struct FakeServices(Arc<Mutex<Data>>);

impl std::fmt::Debug for FakeServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeServices").finish_non_exhaustive()
    }
}

impl FakeServices {
    /// Empty services: no tenant has configuration, data or records.
    pub fn new() -> Self {
        Self::default()
    }

    /// These services as [`HostServices`].
    pub fn services(&self) -> HostServices {
        HostServices {
            config: Arc::new(self.clone()),
            secrets: Arc::new(self.clone()),
            kv: Arc::new(self.clone()),
            events: Arc::new(self.clone()),
            orders: Arc::new(self.clone()),
            clinical: Arc::new(self.clone()),
            inventory: Arc::new(self.clone()),
            tenants: Arc::new(self.clone()),
            reports: Arc::new(self.clone()),
            files: Arc::new(self.clone()),
            notify: Arc::new(self.clone()),
        }
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock only happens in a failing test; keep serving.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets a tenant's configuration of a plugin.
    pub fn set_config(&self, tenant: &TenantId, plugin: &PluginId, config: Value) {
        self.data().config.insert((*tenant, plugin.clone()), config);
    }

    /// Sets a tenant's secret for a plugin.
    pub fn set_secret(&self, tenant: &TenantId, plugin: &PluginId, name: &str, value: &str) {
        self.data().secrets.insert((*tenant, plugin.clone(), name.into()), value.into());
    }

    /// A kv value, as the plugin stored it for the tenant.
    pub fn kv_value(&self, tenant: &TenantId, plugin: &PluginId, key: &str) -> Option<Vec<u8>> {
        self.data().kv.get(&(*tenant, plugin.clone())).and_then(|m| m.get(key).cloned())
    }

    /// Events the plugin published for the tenant.
    pub fn published(&self, tenant: &TenantId) -> Vec<PublishedEvent> {
        self.data().published.iter().filter(|(t, _, _)| t == tenant).map(|(_, _, e)| e.clone()).collect()
    }

    /// Adds an order to the tenant.
    pub fn add_order(&self, tenant: &TenantId, order: Order) {
        self.data().orders.insert((*tenant, order.id.clone()), order);
    }

    /// Notes added to orders of the tenant: (order id, note).
    pub fn order_notes(&self, tenant: &TenantId) -> Vec<(String, String)> {
        self.data()
            .notes
            .iter()
            .filter(|(t, _, _)| t == tenant)
            .map(|(_, o, n)| (o.clone(), n.clone()))
            .collect()
    }

    /// Adds a patient to the tenant.
    pub fn add_patient(&self, tenant: &TenantId, patient: Patient) {
        self.data().patients.insert((*tenant, patient.id.clone()), patient);
    }

    /// Adds a prescription to the tenant.
    pub fn add_prescription(&self, tenant: &TenantId, rx: Prescription) {
        self.data().prescriptions.insert((*tenant, rx.id.clone()), rx);
    }

    /// Adds a stock level to the tenant.
    pub fn add_stock(&self, tenant: &TenantId, level: StockLevel) {
        self.data().stock.push((*tenant, level));
    }

    /// Adds an examination to the tenant.
    pub fn add_examination(&self, tenant: &TenantId, exam: Examination) {
        self.data().examinations.insert((*tenant, exam.id.clone()), exam);
    }

    /// Names a tenant (unnamed tenants are `Practice <id>` of kind `ecp`).
    pub fn set_tenant(&self, tenant: Tenant) {
        self.data().tenants.insert(tenant.id, tenant);
    }

    /// Adds an order to what the tenant's reports read.
    pub fn add_report_order(&self, tenant: &TenantId, order: OrderRow) {
        self.data().report_orders.push((*tenant, order));
    }

    /// Files plugins stored for the tenant, with their bytes.
    pub fn files(&self, tenant: &TenantId) -> Vec<(FileInfo, bytes::Bytes)> {
        self.data()
            .files
            .iter()
            .filter(|(t, ..)| t == tenant)
            .map(|(_, _, f, b)| (f.clone(), b.clone()))
            .collect()
    }

    /// E-mails plugins queued for the tenant: the roles and the message.
    pub fn emails(&self, tenant: &TenantId) -> Vec<(Vec<String>, Email)> {
        self.data()
            .emails
            .iter()
            .filter(|(t, ..)| t == tenant)
            .map(|(_, _, r, e)| (r.clone(), e.clone()))
            .collect()
    }

    /// Clinical reads of the tenant's records.
    pub fn audit_log(&self, tenant: &TenantId) -> Vec<AuditEntry> {
        self.data().audit.iter().filter(|e| &e.tenant == tenant).cloned().collect()
    }
}

fn key(scope: &Scope) -> (TenantId, PluginId) {
    (scope.tenant, scope.plugin.clone())
}

#[async_trait]
impl ConfigSource for FakeServices {
    async fn config(&self, scope: &Scope) -> ServiceResult<Value> {
        Ok(self.data().config.get(&key(scope)).cloned().unwrap_or_else(|| Value::Object(Default::default())))
    }
}

#[async_trait]
impl SecretStore for FakeServices {
    async fn secret(&self, scope: &Scope, name: &str) -> ServiceResult<Option<String>> {
        Ok(self.data().secrets.get(&(scope.tenant, scope.plugin.clone(), name.to_string())).cloned())
    }
}

#[async_trait]
impl KvStore for FakeServices {
    async fn get(&self, scope: &Scope, key_: &str) -> ServiceResult<Option<Vec<u8>>> {
        Ok(self.data().kv.get(&key(scope)).and_then(|m| m.get(key_).cloned()))
    }

    async fn set(&self, scope: &Scope, key_: &str, value: Vec<u8>) -> ServiceResult<()> {
        self.data().kv.entry(key(scope)).or_default().insert(key_.to_string(), value);
        Ok(())
    }

    async fn delete(&self, scope: &Scope, key_: &str) -> ServiceResult<()> {
        if let Some(m) = self.data().kv.get_mut(&key(scope)) {
            m.remove(key_);
        }
        Ok(())
    }

    async fn list_keys(
        &self,
        scope: &Scope,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> ServiceResult<Vec<String>> {
        use std::ops::Bound;
        let data = self.data();
        let Some(m) = data.kv.get(&key(scope)) else { return Ok(Vec::new()) };
        let from = match start_after {
            Some(after) if after >= prefix => Bound::Excluded(after.to_string()),
            _ => Bound::Included(prefix.to_string()),
        };
        Ok(m.range((from, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, _)| k.clone())
            .collect())
    }

    async fn compare_and_set(
        &self,
        scope: &Scope,
        key_: &str,
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> ServiceResult<bool> {
        let mut data = self.data();
        let m = data.kv.entry(key(scope)).or_default();
        if m.get(key_).map(Vec::as_slice) != expected {
            return Ok(false);
        }
        match new {
            Some(v) => m.insert(key_.to_string(), v),
            None => m.remove(key_),
        };
        Ok(true)
    }
}

#[async_trait]
impl EventSink for FakeServices {
    async fn publish(&self, scope: &Scope, event: PublishedEvent) -> ServiceResult<()> {
        self.data().published.push((scope.tenant, scope.plugin.clone(), event));
        Ok(())
    }
}

#[async_trait]
impl OrdersService for FakeServices {
    async fn get(&self, scope: &Scope, id: &str) -> ServiceResult<Order> {
        self.data().orders.get(&(scope.tenant, id.to_string())).cloned().ok_or(ServiceError::NotFound)
    }

    async fn list(
        &self,
        scope: &Scope,
        status: Option<OrderStatus>,
        limit: usize,
    ) -> ServiceResult<Vec<Order>> {
        let data = self.data();
        let mut orders: Vec<Order> = data
            .orders
            .iter()
            .filter(|((t, _), o)| *t == scope.tenant && status.is_none_or(|s| s == o.status))
            .map(|(_, o)| o.clone())
            .collect();
        orders.sort_by_key(|o| std::cmp::Reverse(o.created_at_ms));
        orders.truncate(limit);
        Ok(orders)
    }

    async fn annotate(&self, scope: &Scope, id: &str, note: &str) -> ServiceResult<()> {
        let mut data = self.data();
        if !data.orders.contains_key(&(scope.tenant, id.to_string())) {
            return Err(ServiceError::NotFound);
        }
        data.notes.push((scope.tenant, id.to_string(), note.to_string()));
        Ok(())
    }

    async fn transition(
        &self,
        scope: &Scope,
        id: &str,
        to: OrderStatus,
        _reason: &str,
    ) -> ServiceResult<Order> {
        let mut data = self.data();
        let order = data.orders.get_mut(&(scope.tenant, id.to_string())).ok_or(ServiceError::NotFound)?;
        order.status = to;
        Ok(order.clone())
    }
}

#[async_trait]
impl ClinicalReader for FakeServices {
    async fn patient(&self, scope: &Scope, id: &str) -> ServiceResult<Patient> {
        let mut data = self.data();
        let p = data.patients.get(&(scope.tenant, id.to_string())).cloned().ok_or(ServiceError::NotFound)?;
        let (tenant, plugin) = key(scope);
        data.audit.push(AuditEntry { tenant, plugin, entity: "patient", id: id.to_string() });
        Ok(p)
    }

    async fn prescription(&self, scope: &Scope, id: &str) -> ServiceResult<Prescription> {
        let mut data = self.data();
        let rx =
            data.prescriptions.get(&(scope.tenant, id.to_string())).cloned().ok_or(ServiceError::NotFound)?;
        let (tenant, plugin) = key(scope);
        data.audit.push(AuditEntry { tenant, plugin, entity: "prescription", id: id.to_string() });
        Ok(rx)
    }

    async fn examination(&self, scope: &Scope, id: &str) -> ServiceResult<Examination> {
        let mut data = self.data();
        let exam =
            data.examinations.get(&(scope.tenant, id.to_string())).cloned().ok_or(ServiceError::NotFound)?;
        let (tenant, plugin) = key(scope);
        data.audit.push(AuditEntry { tenant, plugin, entity: "examination", id: id.to_string() });
        Ok(exam)
    }
}

#[async_trait]
impl TenantDirectory for FakeServices {
    async fn tenant(&self, scope: &Scope) -> ServiceResult<Tenant> {
        Ok(self.data().tenants.get(&scope.tenant).cloned().unwrap_or_else(|| Tenant {
            id: scope.tenant,
            name: format!("Practice {}", scope.tenant),
            kind: "ecp".into(),
        }))
    }
}

/// One page of `rows` after the cursor (an index, in the fakes).
fn page_of<T: Clone>(rows: Vec<T>, page: &PageRequest) -> ServiceResult<Page<T>> {
    let start: usize = match &page.cursor {
        Some(c) => c.parse().map_err(|_| ServiceError::Invalid("unknown cursor".into()))?,
        None => 0,
    };
    let limit = page.limit.clamp(1, ils_records::reports::MAX_PAGE) as usize;
    let end = (start + limit).min(rows.len());
    let next_cursor = (end < rows.len()).then(|| end.to_string());
    Ok(Page { rows: rows.get(start..end).unwrap_or_default().to_vec(), next_cursor })
}

fn in_period(at_ms: i64, period: &Period) -> bool {
    period.bounds_ms().is_some_and(|(start, end)| start <= at_ms && at_ms < end)
}

#[async_trait]
impl ReportsReader for FakeServices {
    async fn orders(
        &self,
        scope: &Scope,
        period: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<OrderRow>> {
        let rows = self
            .data()
            .report_orders
            .iter()
            .filter(|(t, o)| *t == scope.tenant && in_period(o.created_at_ms, period))
            .map(|(_, o)| o.clone())
            .collect();
        page_of(rows, page)
    }
    async fn quality(&self, _: &Scope, _: &Period, page: &PageRequest) -> ServiceResult<Page<QualityRow>> {
        page_of(Vec::new(), page)
    }
    async fn dispensing(
        &self,
        _: &Scope,
        _: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<DispensingRow>> {
        page_of(Vec::new(), page)
    }
    async fn stock_levels(&self, _: &Scope, page: &PageRequest) -> ServiceResult<Page<StockRow>> {
        page_of(Vec::new(), page)
    }
    async fn stock_movements(
        &self,
        _: &Scope,
        _: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<MovementRow>> {
        page_of(Vec::new(), page)
    }
    async fn purchase_orders(
        &self,
        _: &Scope,
        _: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<PurchaseOrderRow>> {
        page_of(Vec::new(), page)
    }
    async fn aggregate(&self, scope: &Scope, query: &Query) -> ServiceResult<ResultSet> {
        use ils_records::reports::{Dataset, engine};
        let Some(dataset) = Dataset::named(&query.dataset) else {
            return Err(ServiceError::Invalid(format!("no dataset {:?}", query.dataset)));
        };
        // The fakes hold orders only: the other datasets are empty.
        let rows: Vec<_> = match dataset.name {
            "orders" => self
                .data()
                .report_orders
                .iter()
                .filter(|(t, _)| *t == scope.tenant)
                .map(|(_, o)| engine::order_fields(o))
                .collect(),
            _ => Vec::new(),
        };
        engine::aggregate(dataset, rows, query).map_err(|e| ServiceError::Invalid(e.to_string()))
    }
}

#[async_trait]
impl FileStore for FakeServices {
    async fn put(
        &self,
        scope: &Scope,
        name: &str,
        content_type: &str,
        body: bytes::Bytes,
    ) -> ServiceResult<FileInfo> {
        let mut data = self.data();
        let info = FileInfo {
            id: format!("file-{}", data.files.len() + 1),
            name: name.into(),
            content_type: content_type.into(),
            size: body.len() as u64,
            created_at_ms: 0,
        };
        data.files.push((scope.tenant, scope.plugin.clone(), info.clone(), body));
        Ok(info)
    }
    async fn list(&self, scope: &Scope, page: &PageRequest) -> ServiceResult<Page<FileInfo>> {
        let rows = self
            .data()
            .files
            .iter()
            .rev()
            .filter(|(t, p, ..)| *t == scope.tenant && *p == scope.plugin)
            .map(|(_, _, f, _)| f.clone())
            .collect();
        page_of(rows, page)
    }
    async fn delete(&self, scope: &Scope, id: &str) -> ServiceResult<()> {
        let mut data = self.data();
        let before = data.files.len();
        data.files.retain(|(t, p, f, _)| !(*t == scope.tenant && *p == scope.plugin && f.id == id));
        if data.files.len() == before { Err(ServiceError::NotFound) } else { Ok(()) }
    }
}

#[async_trait]
impl Notifier for FakeServices {
    async fn email_roles(&self, scope: &Scope, roles: &[String], email: &Email) -> ServiceResult<u32> {
        self.data().emails.push((scope.tenant, scope.plugin.clone(), roles.to_vec(), email.clone()));
        Ok(1)
    }
}

#[async_trait]
impl InventoryService for FakeServices {
    async fn stock_by_sku(&self, scope: &Scope, sku: &str) -> ServiceResult<Vec<StockLevel>> {
        Ok(self
            .data()
            .stock
            .iter()
            .filter(|(t, s)| *t == scope.tenant && s.sku.to_lowercase() == sku.to_lowercase())
            .map(|(_, s)| s.clone())
            .collect())
    }

    /// The locations the tenant's stock levels name, each once (named after their id).
    async fn locations(&self, scope: &Scope) -> ServiceResult<Vec<StockLocation>> {
        let ids: BTreeSet<String> = self
            .data()
            .stock
            .iter()
            .filter(|(t, _)| *t == scope.tenant)
            .map(|(_, s)| s.location_id.clone())
            .collect();
        Ok(ids.into_iter().map(|id| StockLocation { name: id.clone(), id }).collect())
    }

    /// The items the tenant's stock levels name, with reorder point 0.
    async fn items(&self, scope: &Scope, after: Option<&str>, limit: u32) -> ServiceResult<ItemPage> {
        let mut items: BTreeMap<String, CatalogueItem> = BTreeMap::new();
        for (_, level) in self.data().stock.iter().filter(|(t, _)| *t == scope.tenant) {
            let item = items.entry(level.item_id.clone()).or_insert_with(|| CatalogueItem {
                id: level.item_id.clone(),
                sku: level.sku.clone(),
                name: level.sku.clone(),
                reorder_point: 0,
                levels: Vec::new(),
                frame: None,
            });
            item.levels.push(level.clone());
        }
        let rest: Vec<CatalogueItem> =
            items.into_values().filter(|i| after.is_none_or(|a| i.id.as_str() > a)).collect();
        let more = rest.len() > limit as usize;
        let items: Vec<CatalogueItem> = rest.into_iter().take(limit as usize).collect();
        let next_after = if more { items.last().map(|i| i.id.clone()) } else { None };
        Ok(ItemPage { items, next_after })
    }

    /// Applies each key once to the tenant's levels; all or none.
    async fn record_movements(
        &self,
        scope: &Scope,
        movements: &[StockMovement],
    ) -> ServiceResult<Vec<MovementOutcome>> {
        let mut data = self.data();
        let (mut stock, mut seen) = (data.stock.clone(), data.movements.clone());
        let mut outcomes = Vec::new();
        for m in movements {
            if let Some(first) = seen.get(&(scope.tenant, m.key.clone())) {
                outcomes.push(MovementOutcome { applied: false, ..first.clone() });
                continue;
            }
            let level = stock
                .iter_mut()
                .find(|(t, l)| *t == scope.tenant && l.item_id == m.item_id && l.location_id == m.location_id)
                .map(|(_, l)| l)
                .ok_or(ServiceError::NotFound)?;
            if m.delta == 0 || level.on_hand + m.delta < 0 {
                return Err(ServiceError::Invalid(format!("{}: stock would go below zero", m.key)));
            }
            level.on_hand += m.delta;
            let outcome = MovementOutcome { key: m.key.clone(), applied: true, on_hand_after: level.on_hand };
            seen.insert((scope.tenant, m.key.clone()), outcome.clone());
            outcomes.push(outcome);
        }
        (data.stock, data.movements) = (stock, seen);
        Ok(outcomes)
    }
}
