//! The plugin glue driven natively: `MockHost` is ILS, the fake Shopify's `router()` answers the
//! plugin's outbound calls in process, and the fake's manual clock is the plugin's clock, so
//! throttle waits and bulk polls take no real time and every run is the same. Each invocation's
//! time (`context::now_ms`) follows that clock, as the host's would follow real time.

mod manifest;
mod orders;
mod page;
mod privacy;
mod sync;
mod webhooks;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use axum::body::Body;
use ils_fake_shopify::ids::LocationId;
use ils_fake_shopify::webhook::Delivery;
use ils_fake_shopify::{BucketSettings, FakeConfig, FakeShopify, ManualClock, NewVariant};
use ils_plugin_sdk::host::inventory::{CatalogueItem, StockLevel, StockLocation};
use ils_plugin_sdk::testing::{MockHost, OutboundRequest};
use ils_plugin_sdk::{Error, Event, HostError, Plugin, Request, Response};
use ils_shopify_sync::plugin::{QUEUE_EVENT, STEP_EVENT, STOCK_CHANGED, ShopifySync, clock};
use serde_json::{Value, json};
use tower::ServiceExt as _;

pub const FRONT: &str = "loc-front";
/// The mock host's time when the fake's clock is at zero.
const BASE_MS: i64 = 1_768_469_400_000;
/// Deliveries `work` makes before it calls a chain endless.
const MAX_DELIVERIES: usize = 5_000;
pub const DOMAIN: &str = "lenses.myshopify.com";

/// The fake's clock as the plugin's: sleeping moves it.
struct FakeClock(ManualClock);

impl clock::Clock for FakeClock {
    fn now(&self) -> Duration {
        self.0.now()
    }
    fn sleep(&self, duration: Duration) {
        self.0.advance(duration);
    }
}

/// Called before each outbound request reaches the fake (to race a sale against a push, say).
pub type Interceptor = Rc<dyn Fn(&OutboundRequest, &FakeShopify)>;

pub struct Shop {
    pub fake: Rc<FakeShopify>,
    pub mock: MockHost,
    pub front: LocationId,
    pub intercept: Rc<Cell<Option<Interceptor>>>,
    pub clock: ManualClock,
    consumed: Cell<usize>,
    /// The most outbound requests one delivery of an event made.
    pub most_sent_per_invocation: Cell<usize>,
    /// The longest one delivery of an event took on the clock (its sleeps).
    pub longest_invocation: Cell<Duration>,
    _rt: Rc<tokio::runtime::Runtime>,
}

/// A tenant with one ILS location mapped to the fake's one Shopify location.
pub fn shop() -> Shop {
    shop_with(BucketSettings::default())
}

pub fn shop_with(bucket: BucketSettings) -> Shop {
    let rt = Rc::new(tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap());
    let clock = ManualClock::new();
    let config = FakeConfig { clock: clock.clone().into(), bucket, ..FakeConfig::default() };
    let fake = Rc::new(rt.block_on(FakeShopify::start(config)).unwrap());
    let front = fake.add_location("Shop front");

    let mock = MockHost::install();
    mock.set_config(json!({
        "shop_domain": DOMAIN,
        "locations": [{ "shopify_location_id": front.0.to_string(), "ils_location_id": FRONT }],
        "default_location_id": FRONT,
    }));
    mock.set_secret("access_token", fake.access_token()).set_secret("webhook_secret", fake.webhook_secret());
    mock.add_location(StockLocation { id: FRONT.into(), name: "Front shop".into() });
    clock::install(FakeClock(clock.clone()));

    let intercept: Rc<Cell<Option<Interceptor>>> = Rc::new(Cell::new(None));
    let (router, runtime, fake_for_http, hook) = (fake.router(), rt.clone(), fake.clone(), intercept.clone());
    mock.on_http(move |request| {
        let rest = request
            .url
            .strip_prefix(&format!("https://{DOMAIN}"))
            .ok_or_else(|| HostError::Http(format!("host not allowed in this test: {}", request.url)))?;
        if let Some(f) = hook.take() {
            f(request, &fake_for_http);
            hook.set(Some(f));
        }
        let mut builder = axum::http::Request::builder().method(request.method.as_str()).uri(rest);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let http = builder.body(Body::from(request.body.clone())).unwrap();
        let answer = runtime.block_on(router.clone().oneshot(http)).unwrap();
        let status = answer.status().as_u16();
        let body = runtime.block_on(axum::body::to_bytes(answer.into_body(), usize::MAX)).unwrap();
        Ok(Response { status, headers: Vec::new(), body: body.to_vec() })
    });
    Shop {
        fake,
        mock,
        front,
        intercept,
        clock,
        consumed: Cell::new(0),
        most_sent_per_invocation: Cell::new(0),
        longest_invocation: Cell::new(Duration::ZERO),
        _rt: rt,
    }
}

impl Shop {
    /// A product with one variant in Shopify, `shopify` available at the front; and, when
    /// `ils` is given, an ILS item with the same SKU holding that many at the front.
    pub fn item(&self, sku: &str, shopify: i64, ils: Option<i64>) {
        self.fake.add_product(sku, &[NewVariant::sku(sku)]);
        self.fake.set_available(sku, self.front, shopify).unwrap();
        if let Some(on_hand) = ils {
            self.ils_item(sku, on_hand);
        }
    }

    /// An ILS item (id `item-{sku}`) holding `on_hand` at the front.
    pub fn ils_item(&self, sku: &str, on_hand: i64) {
        let id = format!("item-{sku}");
        self.mock.add_item(CatalogueItem {
            id: id.clone(),
            sku: sku.into(),
            name: sku.into(),
            reorder_point: 0,
            levels: Vec::new(),
            frame: None,
        });
        self.mock.add_stock(StockLevel { item_id: id, sku: sku.into(), location_id: FRONT.into(), on_hand });
    }

    pub fn ils(&self, sku: &str) -> i64 {
        self.mock.stock().iter().find(|l| l.sku == sku && l.location_id == FRONT).map_or(0, |l| l.on_hand)
    }

    pub fn shopify(&self, sku: &str) -> Option<i64> {
        self.fake.available(sku, self.front).unwrap()
    }

    /// ILS and Shopify hold the same quantity of each SKU at the mapped location.
    pub fn assert_agree(&self, skus: &[&str]) {
        for sku in skus {
            assert_eq!(Some(self.ils(sku)), self.shopify(sku), "{sku}: ILS vs Shopify");
        }
    }

    /// The next invocation's time: the fake's clock, as the host reads real time.
    pub fn tick(&self) {
        self.mock.set_now_ms(BASE_MS + i64::try_from(self.clock.now().as_millis()).unwrap());
    }

    pub fn route(&self, method: &str, path: &str) -> (u16, Value) {
        self.tick();
        self.mock.set_caller("admin-1", &["company_admin"]);
        let request = Request { method: method.into(), path: path.into(), ..Request::default() };
        let answer = ShopifySync::handle_http(request);
        (answer.status, serde_json::from_slice(&answer.body).unwrap_or(Value::Null))
    }

    /// `POST /sync` (202), then its steps delivered until the run ends: the last full sync.
    pub fn sync(&self) -> Value {
        self.run("/sync", "last_full_sync")
    }

    /// `POST /reconcile` (202), then its steps: the last reconciliation.
    pub fn reconcile(&self) -> Value {
        self.run("/reconcile", "last_reconciliation")
    }

    fn run(&self, path: &str, report: &str) -> Value {
        let (status, answer) = self.route("POST", path);
        assert_eq!(status, 202, "{answer}");
        all_ok(self.work());
        let status = self.status();
        assert_eq!(status["running"], Value::Null, "the run ended");
        status[report].clone()
    }

    pub fn status(&self) -> Value {
        let (status, document) = self.route("GET", "/status");
        assert_eq!(status, 200, "{document}");
        document
    }

    /// Sends a delivery to the public hook as the host does: no caller, headers lower-cased.
    pub fn deliver(&self, delivery: &Delivery) -> (u16, Value) {
        let headers = delivery.headers().into_iter().map(|(n, v)| (n.to_ascii_lowercase(), v)).collect();
        let request =
            Request { method: "POST".into(), path: "/webhooks".into(), headers, body: delivery.body.clone() };
        let answer = ShopifySync::handle_http(request);
        (answer.status, serde_json::from_slice(&answer.body).unwrap_or(Value::Null))
    }

    /// A new signed delivery of `body` on `topic`, delivered.
    pub fn send(&self, topic: &str, body: &[u8]) -> (u16, Value) {
        self.deliver(&self.fake.delivery(topic, body))
    }

    /// Works the queue as the host would, until nothing new is published: each `webhook_received`
    /// and `sync_step` comes back as the plugin's own event, and each ILS stock level a delivery
    /// changed as `stock.changed`.
    pub fn work(&self) -> Vec<Result<(), Error>> {
        let mut results = Vec::new();
        let mut deliveries = 0;
        loop {
            let published = self.mock.published();
            let start = self.consumed.get();
            if start >= published.len() {
                return results;
            }
            self.consumed.set(published.len());
            for (n, (kind, payload)) in published.into_iter().enumerate().skip(start) {
                let kind = match kind.as_str() {
                    "webhook_received" => QUEUE_EVENT,
                    "sync_step" => STEP_EVENT,
                    _ => continue,
                };
                deliveries += 1;
                assert!(deliveries <= MAX_DELIVERIES, "the chain of events does not end");
                let before = self.mock.stock();
                results.push(self.deliver_event(&format!("ev-{n}"), kind, payload));
                results.extend(self.stock_changed_since(&before));
            }
        }
    }

    /// Delivers one of the plugin's own events, and notes how many requests it sent.
    pub fn deliver_event(&self, id: &str, kind: &str, payload: String) -> Result<(), Error> {
        self.tick();
        let (sent, started) = (self.mock.sent().len(), self.clock.now());
        let event = Event { id: id.into(), kind: kind.into(), occurred_at_ms: 0, payload };
        let result = ShopifySync::handle_event(event);
        let most = self.most_sent_per_invocation.get().max(self.mock.sent().len() - sent);
        self.most_sent_per_invocation.set(most);
        self.longest_invocation.set(self.longest_invocation.get().max(self.clock.now() - started));
        result
    }

    /// Delivers the oldest event not yet delivered, if any: its kind and payload, and the result.
    pub fn work_one(&self) -> Option<(String, String, Result<(), Error>)> {
        let published = self.mock.published();
        for (n, (kind, payload)) in published.into_iter().enumerate().skip(self.consumed.get()) {
            self.consumed.set(n + 1);
            let kind = match kind.as_str() {
                "webhook_received" => QUEUE_EVENT,
                "sync_step" => STEP_EVENT,
                _ => continue,
            };
            let result = self.deliver_event(&format!("ev-{n}"), kind, payload.clone());
            return Some((kind.to_owned(), payload, result));
        }
        None
    }

    /// Requests Shopify answered for an operation (`IlsSetQuantities`, `IlsBulkRun`…).
    pub fn requests_for(&self, operation: &str) -> usize {
        self.fake.requests().iter().filter(|r| r.operation.as_deref() == Some(operation)).count()
    }

    /// `stock.changed` for every level that differs from `before`, as ILS emits it.
    pub fn stock_changed_since(&self, before: &[StockLevel]) -> Vec<Result<(), Error>> {
        let mut results = Vec::new();
        for (n, level) in self.mock.stock().into_iter().enumerate() {
            let old = before
                .iter()
                .find(|l| l.item_id == level.item_id && l.location_id == level.location_id)
                .map_or(0, |l| l.on_hand);
            if old == level.on_hand {
                continue;
            }
            let payload = json!({
                "item_id": level.item_id, "sku": level.sku, "location_id": level.location_id,
                "delta": level.on_hand - old, "quantity": level.on_hand, "kind": "adjustment",
            });
            let event = Event {
                id: format!("stock-{n}-{}", level.on_hand),
                kind: STOCK_CHANGED.into(),
                occurred_at_ms: 0,
                payload: payload.to_string(),
            };
            results.push(ShopifySync::handle_event(event));
        }
        results
    }

    /// Events of `kind` the plugin published.
    pub fn published(&self, kind: &str) -> Vec<Value> {
        self.mock
            .published()
            .into_iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, p)| serde_json::from_str(&p).unwrap())
            .collect()
    }
}

pub fn all_ok(results: Vec<Result<(), Error>>) {
    for r in results {
        r.unwrap();
    }
}
