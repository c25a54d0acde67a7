//! The native test mode: a mock host, so `cargo test` runs plugin logic without wasm.
//!
//! Every host call made by a plugin compiled for the machine you test on (not `wasm32`) goes to
//! the mock host of the current thread. Install one at the start of a test, seed it, call your
//! plugin's trait methods, then inspect what it stored, published and sent.
//!
//! ```
//! use ils_plugin_sdk::testing::MockHost;
//! use ils_plugin_sdk::host::kv;
//!
//! let mock = MockHost::install();
//! kv::set("greeting", b"hello").unwrap();
//! assert_eq!(mock.kv("greeting").as_deref(), Some(&b"hello"[..]));
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use ils_records::reports::{
    DispensingRow, MovementRow, OrderRow, Page, PageRequest, Period, PurchaseOrderRow, QualityRow, Query,
    ResultSet, StockRow,
};
use ils_records::{Email, FileInfo, Tenant};

use crate::host::clinical::{Examination, Prescription};
use crate::host::orders::{Order, OrderStatus};
use crate::{HostError, Request, Response};

type HttpHandler = Rc<dyn Fn(&OutboundRequest) -> Result<Response, HostError>>;
type AggregateHandler = Rc<dyn Fn(&Query) -> Result<ResultSet, HostError>>;

/// An outbound request the plugin sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    /// `GET`, `POST`…
    pub method: String,
    /// The full URL, scheme and host included.
    pub url: String,
    /// Header names and values, in the order the plugin set them.
    pub headers: Vec<(String, String)>,
    /// The request body, as sent.
    pub body: Vec<u8>,
    /// The time the plugin gave the whole exchange ([`crate::http::send_with_timeout`]); none
    /// when only the invocation's deadline bounds it. A handler plays a server that took longer
    /// by answering `Err(HostError::Http(…))`, as the host does.
    pub timeout: Option<std::time::Duration>,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) tenant: String,
    pub(crate) plugin: String,
    pub(crate) config: String,
    pub(crate) secrets: BTreeMap<String, String>,
    pub(crate) kv: BTreeMap<String, Vec<u8>>,
    pub(crate) published: Vec<(String, String)>,
    pub(crate) logs: Vec<String>,
    pub(crate) denied: BTreeSet<String>,
    pub(crate) sent: Vec<OutboundRequest>,
    pub(crate) http: Option<HttpHandler>,
    pub(crate) patients: BTreeMap<String, crate::host::clinical::Patient>,
    pub(crate) caller: Option<crate::host::context::Caller>,
    pub(crate) prescriptions: BTreeMap<String, Prescription>,
    pub(crate) orders: BTreeMap<String, Order>,
    /// For an order on hold, the status it resumes to.
    pub(crate) held_from: BTreeMap<String, OrderStatus>,
    pub(crate) transitions: Vec<(String, OrderStatus, String)>,
    pub(crate) notes: Vec<(String, String)>,
    pub(crate) stock: Vec<crate::host::inventory::StockLevel>,
    pub(crate) locations: Vec<crate::host::inventory::StockLocation>,
    pub(crate) items: Vec<crate::host::inventory::CatalogueItem>,
    pub(crate) movements: BTreeMap<String, crate::host::inventory::MovementOutcome>,
    pub(crate) tenant_name: String,
    pub(crate) now_ms: i64,
    pub(crate) examinations: BTreeMap<String, Examination>,
    pub(crate) aggregate: Option<AggregateHandler>,
    pub(crate) report_orders: Vec<OrderRow>,
    pub(crate) report_stock: Vec<StockRow>,
    pub(crate) report_quality: Vec<QualityRow>,
    pub(crate) report_dispensing: Vec<DispensingRow>,
    pub(crate) report_movements: Vec<MovementRow>,
    pub(crate) report_purchases: Vec<PurchaseOrderRow>,
    pub(crate) files: Vec<(FileInfo, Vec<u8>)>,
    pub(crate) emails: Vec<(Vec<String>, Email)>,
    pub(crate) progress: Vec<(u32, u32, String)>,
}

/// One page of `rows` after the cursor (an index, in the mock).
pub(crate) fn page_of<T: Clone>(rows: Vec<T>, page: &PageRequest) -> Page<T> {
    let start: usize = page.cursor.as_deref().and_then(|c| c.parse().ok()).unwrap_or(0);
    let limit = page.limit.clamp(1, ils_records::reports::MAX_PAGE) as usize;
    let end = (start + limit).min(rows.len());
    Page {
        rows: rows.get(start..end).unwrap_or_default().to_vec(),
        next_cursor: (end < rows.len()).then(|| end.to_string()),
    }
}

/// Whether `at_ms` falls in `period` (dates compared as UTC days).
pub(crate) fn in_period(at_ms: i64, period: &Period) -> bool {
    let day = jiff::Timestamp::from_millisecond(at_ms)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string());
    day.is_ok_and(|d| period.start <= d && d < period.end)
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

pub(crate) fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        f(s.get_or_insert_with(State::fresh))
    })
}

impl State {
    fn fresh() -> Self {
        Self {
            tenant: "test-tenant".into(),
            plugin: "test-plugin".into(),
            config: "{}".into(),
            tenant_name: "Test Practice".into(),
            // 2026-01-15T09:30:00Z: a fixed clock, so date-dependent answers are reproducible.
            now_ms: 1_768_469_400_000,
            ..Self::default()
        }
    }

    pub(crate) fn tenant_record(&self) -> Tenant {
        // The mock's tenant id is any text; a record carries a UUID, derived stably from it.
        let hash = self
            .tenant
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u128, |h, b| (h ^ u128::from(b)).wrapping_mul(0x0100_0000_01b3));
        let id = uuid::Uuid::from_u128(hash);
        Tenant { id: id.into(), name: self.tenant_name.clone(), kind: "ecp".into() }
    }

    /// The catalogue's items after `after`, each with its levels from the mock's stock.
    pub(crate) fn item_page(&self, after: Option<&str>, limit: u32) -> crate::host::inventory::ItemPage {
        let mut items: Vec<_> =
            self.items.iter().filter(|i| after.is_none_or(|a| i.id.as_str() > a)).cloned().collect();
        items.sort_by(|a, b| a.id.cmp(&b.id));
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        for item in &mut items {
            item.levels = self.stock.iter().filter(|l| l.item_id == item.id).cloned().collect();
        }
        let next_after = if more { items.last().map(|i| i.id.clone()) } else { None };
        crate::host::inventory::ItemPage { items, next_after }
    }

    /// Applies each key once to the mock's stock, all or none, as the host does.
    pub(crate) fn record_movements(
        &mut self,
        movements: &[crate::host::inventory::StockMovement],
    ) -> Result<Vec<crate::host::inventory::MovementOutcome>, HostError> {
        use crate::host::inventory::{MovementOutcome, StockLevel};
        let (mut stock, mut seen) = (self.stock.clone(), self.movements.clone());
        let mut outcomes = Vec::new();
        for m in movements {
            if let Some(first) = seen.get(&m.key) {
                outcomes.push(MovementOutcome { applied: false, ..first.clone() });
                continue;
            }
            let sku = self
                .items
                .iter()
                .find(|i| i.id == m.item_id)
                .map(|i| i.sku.clone())
                .ok_or(HostError::NotFound)?;
            if !self.locations.iter().any(|l| l.id == m.location_id) {
                return Err(HostError::NotFound);
            }
            let at = stock.iter().position(|l| l.item_id == m.item_id && l.location_id == m.location_id);
            let index = at.unwrap_or_else(|| {
                stock.push(StockLevel {
                    item_id: m.item_id.clone(),
                    sku,
                    location_id: m.location_id.clone(),
                    on_hand: 0,
                });
                stock.len() - 1
            });
            let after = stock[index].on_hand + m.delta;
            if m.delta == 0 || after < 0 {
                return Err(HostError::Invalid(format!("{}: stock would go below zero", m.key)));
            }
            stock[index].on_hand = after;
            let outcome = MovementOutcome { key: m.key.clone(), applied: true, on_hand_after: after };
            seen.insert(m.key.clone(), outcome.clone());
            outcomes.push(outcome);
        }
        (self.stock, self.movements) = (stock, seen);
        Ok(outcomes)
    }

    pub(crate) fn check(&self, capability: &str) -> Result<(), HostError> {
        if self.denied.contains(capability) {
            Err(HostError::Denied(format!("capability {capability} is not granted (mock)")))
        } else {
            Ok(())
        }
    }
}

/// A handle on the current thread's mock host.
#[derive(Debug)]
pub struct MockHost(());

impl MockHost {
    /// Replaces the current thread's mock host with an empty one: tenant `test-tenant`,
    /// config `{}`, every capability granted, outbound HTTP answering 404.
    pub fn install() -> Self {
        STATE.with(|s| *s.borrow_mut() = Some(State::fresh()));
        Self(())
    }

    /// Sets the tenant id plugins see.
    pub fn set_tenant(&self, tenant: &str) -> &Self {
        with(|s| s.tenant = tenant.into());
        self
    }

    /// Sets the tenant configuration (JSON).
    pub fn set_config(&self, config: serde_json::Value) -> &Self {
        with(|s| s.config = config.to_string());
        self
    }

    /// Sets a secret.
    pub fn set_secret(&self, name: &str, value: &str) -> &Self {
        with(|s| s.secrets.insert(name.into(), value.into()));
        self
    }

    /// Makes calls to a capability (`kv`, `secrets`, `events-publish`, `http-outbound`, …) fail
    /// as denied, as they would without the tenant's consent.
    pub fn deny(&self, capability: &str) -> &Self {
        with(|s| s.denied.insert(capability.into()));
        self
    }

    /// Adds a patient the plugin may read (`host::clinical::patient`).
    pub fn add_patient(&self, patient: crate::host::clinical::Patient) -> &Self {
        with(|s| s.patients.insert(patient.id.clone(), patient));
        self
    }

    /// Adds a prescription the plugin may read (`host::clinical::prescription`).
    pub fn add_prescription(&self, prescription: Prescription) -> &Self {
        with(|s| s.prescriptions.insert(prescription.id.clone(), prescription));
        self
    }

    /// Adds an order with its status (`pending`, `in_production` or `in-production`, …) and
    /// nothing else ([`Order::new`]); an order already there keeps its other fields. Use
    /// [`MockHost::add_full_order`] to seed its reference, tenants and details.
    ///
    /// # Panics
    ///
    /// When `status` is not an order status: a mistake in the test itself.
    pub fn add_order(&self, id: &str, status: &str) -> &Self {
        let status: OrderStatus = status.parse().unwrap_or_else(|e| panic!("MockHost::add_order: {e}"));
        with(|s| s.orders.entry(id.into()).or_insert_with(|| Order::new(id, status)).status = status);
        self
    }

    /// Adds (or replaces) an order with every field, for `host::orders::get`, `list` and
    /// `transition`.
    pub fn add_full_order(&self, order: Order) -> &Self {
        with(|s| s.orders.insert(order.id.clone(), order));
        self
    }

    /// An order as it now is (after the plugin's transitions).
    pub fn order(&self, id: &str) -> Option<Order> {
        with(|s| s.orders.get(id).cloned())
    }

    /// Transitions the plugin made: (order id, new status, reason).
    pub fn order_transitions(&self) -> Vec<(String, OrderStatus, String)> {
        with(|s| s.transitions.clone())
    }

    /// Notes the plugin added to orders: (order id, note).
    pub fn order_notes(&self) -> Vec<(String, String)> {
        with(|s| s.notes.clone())
    }

    /// Adds a stock level.
    pub fn add_stock(&self, level: crate::host::inventory::StockLevel) -> &Self {
        with(|s| s.stock.push(level));
        self
    }

    /// Adds a stock location (`host::inventory::locations`).
    pub fn add_location(&self, location: crate::host::inventory::StockLocation) -> &Self {
        with(|s| s.locations.push(location));
        self
    }

    /// Adds an item to the catalogue (`host::inventory::items`); its levels come from
    /// [`MockHost::add_stock`] and recorded movements.
    pub fn add_item(&self, item: crate::host::inventory::CatalogueItem) -> &Self {
        with(|s| s.items.push(item));
        self
    }

    /// The stock levels now, after any recorded movements.
    pub fn stock(&self) -> Vec<crate::host::inventory::StockLevel> {
        with(|s| s.stock.clone())
    }

    /// Sets the tenant's name (`host::context::tenant`).
    pub fn set_tenant_name(&self, name: &str) -> &Self {
        with(|s| s.tenant_name = name.into());
        self
    }

    /// Sets the invocation's time (`host::context::now_ms`); the mock starts at
    /// 2026-01-15T09:30:00Z.
    pub fn set_now_ms(&self, now_ms: i64) -> &Self {
        with(|s| s.now_ms = now_ms);
        self
    }

    /// Adds an examination (`host::clinical::examination`).
    pub fn add_examination(&self, exam: Examination) -> &Self {
        with(|s| s.examinations.insert(exam.id.clone(), exam));
        self
    }

    /// Answers `host::reports::aggregate` with `handler`.
    pub fn on_aggregate(&self, handler: impl Fn(&Query) -> Result<ResultSet, HostError> + 'static) -> &Self {
        with(|s| s.aggregate = Some(Rc::new(handler)));
        self
    }

    /// Adds an order to what `host::reports::orders` reads.
    pub fn add_report_order(&self, order: OrderRow) -> &Self {
        with(|s| s.report_orders.push(order));
        self
    }

    /// Adds a stock row to what `host::reports::stock_levels` reads.
    pub fn add_report_stock(&self, row: StockRow) -> &Self {
        with(|s| s.report_stock.push(row));
        self
    }

    /// Adds a failed quality check to what `host::reports::quality` reads.
    pub fn add_report_quality(&self, row: QualityRow) -> &Self {
        with(|s| s.report_quality.push(row));
        self
    }

    /// Adds an order's prescription and frame to what `host::reports::dispensing` reads.
    pub fn add_report_dispensing(&self, row: DispensingRow) -> &Self {
        with(|s| s.report_dispensing.push(row));
        self
    }

    /// Adds a ledger row to what `host::reports::stock_movements` reads.
    pub fn add_report_movement(&self, row: MovementRow) -> &Self {
        with(|s| s.report_movements.push(row));
        self
    }

    /// Adds a purchase order to what `host::reports::purchase_orders` reads.
    pub fn add_report_purchase(&self, row: PurchaseOrderRow) -> &Self {
        with(|s| s.report_purchases.push(row));
        self
    }

    /// A stored file and its bytes.
    pub fn file(&self, id: &str) -> Option<(FileInfo, Vec<u8>)> {
        with(|s| s.files.iter().find(|(f, _)| f.id == id).cloned())
    }

    /// E-mails queued: the roles and the message.
    pub fn emails(&self) -> Vec<(Vec<String>, Email)> {
        with(|s| s.emails.clone())
    }

    /// Progress reports: (done, total, note).
    pub fn progress(&self) -> Vec<(u32, u32, String)> {
        with(|s| s.progress.clone())
    }

    /// Sets the signed-in user routes see (`host::context::caller`).
    pub fn set_caller(&self, user_id: &str, roles: &[&str]) -> &Self {
        let roles = roles.iter().map(|r| r.to_string()).collect();
        with(|s| s.caller = Some(crate::host::context::Caller { user_id: user_id.into(), roles }));
        self
    }

    /// Answers outbound HTTP requests with `handler`.
    pub fn on_http(
        &self,
        handler: impl Fn(&OutboundRequest) -> Result<Response, HostError> + 'static,
    ) -> &Self {
        with(|s| s.http = Some(Rc::new(handler)));
        self
    }

    /// A kv value.
    pub fn kv(&self, key: &str) -> Option<Vec<u8>> {
        with(|s| s.kv.get(key).cloned())
    }

    /// Events published so far: (kind, JSON payload).
    pub fn published(&self) -> Vec<(String, String)> {
        with(|s| s.published.clone())
    }

    /// Outbound requests sent so far.
    pub fn sent(&self) -> Vec<OutboundRequest> {
        with(|s| s.sent.clone())
    }

    /// Log lines so far (`LEVEL message`).
    pub fn logs(&self) -> Vec<String> {
        with(|s| s.logs.clone())
    }

    /// A request to the plugin's routes, for tests: `MockHost::get("/summary")`.
    pub fn get(path: &str) -> Request {
        Request { method: "GET".into(), path: path.into(), ..Request::default() }
    }
}

/// `host::orders::transition` against the mock: the lifecycle ILS enforces (an order on hold
/// resumes only where it was; sending one back from quality check needs the issue found), but
/// not who may make which move, which depends on the caller's role in ILS.
pub(crate) fn transition_order(id: &str, to: OrderStatus, reason: &str) -> Result<Order, HostError> {
    use OrderStatus::*;
    with(|s| {
        s.check("orders-transition")?;
        let from = s.orders.get(id).ok_or(HostError::NotFound)?.status;
        let held = s.held_from.get(id).copied();
        let allowed = match from {
            Pending => matches!(to, InProduction | OnHold | Cancelled),
            InProduction => matches!(to, QualityCheck | OnHold | Cancelled),
            QualityCheck => matches!(to, Shipped | InProduction | OnHold),
            Shipped => to == Completed,
            OnHold => to == Cancelled || held == Some(to),
            Completed | Cancelled => false,
        };
        if !allowed {
            return Err(HostError::Invalid(format!("an order cannot go from {from} to {to}")));
        }
        if from == QualityCheck && to == InProduction && reason.trim().is_empty() {
            return Err(HostError::Invalid(
                "sending an order back from quality check needs the quality issue found".into(),
            ));
        }
        if to == OnHold {
            s.held_from.insert(id.into(), from);
        } else {
            s.held_from.remove(id);
        }
        s.transitions.push((id.into(), to, reason.into()));
        let order = s.orders.get_mut(id).ok_or(HostError::NotFound)?;
        order.status = to;
        Ok(order.clone())
    })
}

pub(crate) fn send(request: OutboundRequest) -> Result<Response, HostError> {
    let handler = with(|s| {
        s.check("http-outbound")?;
        s.sent.push(request.clone());
        Ok::<_, HostError>(s.http.clone())
    })?;
    match handler {
        Some(h) => h(&request),
        None => Ok(Response::not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{clinical, context, events, kv, secrets};

    #[test]
    fn the_mock_host_answers_like_the_real_one() {
        let mock = MockHost::install();
        mock.set_secret("token", "s3cret").set_tenant("bright-eyes").set_caller("u-1", &["ecp"]);
        mock.add_patient(clinical::Patient {
            id: "p-1".into(),
            given_name: "Ann".into(),
            family_name: "Smith".into(),
            date_of_birth: "1980-02-03".into(),
            nhs_number: None,
        });
        assert_eq!(secrets::get("token").unwrap().as_deref(), Some("s3cret"));
        assert_eq!(secrets::get("other").unwrap(), None);
        assert_eq!(context::tenant_id(), "bright-eyes");
        assert_eq!(
            context::caller(),
            Some(context::Caller { user_id: "u-1".to_string(), roles: vec!["ecp".to_string()] })
        );
        assert_eq!(clinical::patient("p-1").unwrap().family_name, "Smith");
        assert_eq!(clinical::patient("p-2"), Err(HostError::NotFound));
        events::publish("done", &serde_json::json!({"n": 1})).unwrap();
        assert_eq!(mock.published(), vec![("done".to_string(), r#"{"n":1}"#.to_string())]);
        kv::set("a/1", b"x").unwrap();
        kv::set("b/1", b"y").unwrap();
        assert_eq!(kv::list_keys("a/", 10).unwrap(), vec!["a/1".to_string()]);

        mock.add_order("o-1", "in-production");
        assert_eq!(crate::host::orders::status("o-1").unwrap(), "in-production");
        crate::host::orders::annotate("o-1", "checked").unwrap();
        assert_eq!(crate::host::orders::annotate("o-2", "x"), Err(HostError::NotFound));
        assert_eq!(mock.order_notes(), vec![("o-1".to_string(), "checked".to_string())]);
    }

    #[test]
    fn denied_capabilities_fail_like_the_host_denies_them() {
        let mock = MockHost::install();
        mock.deny("kv").deny("http-outbound");
        assert!(matches!(kv::get("x"), Err(HostError::Denied(_))));
        assert!(matches!(crate::http::get("https://api.example.com/"), Err(HostError::Denied(_))));
        assert!(mock.sent().is_empty());
    }

    #[test]
    fn each_install_starts_clean() {
        MockHost::install();
        kv::set("k", b"v").unwrap();
        let mock = MockHost::install();
        assert_eq!(mock.kv("k"), None);
    }
}
