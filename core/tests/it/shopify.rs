//! Shopify sync through the real host (issue 14, docs/adr/030): the `shopify-sync` component,
//! enabled for a practice, against a fake Shopify on loopback that speaks the Admin API's
//! GraphQL (cost, throttling, bulk JSONL, compare-and-swap quantities) over HTTPS with its own
//! certificate — the host connects the shop's name to it and trusts that certificate, and checks
//! everything else as it would for the real shop. Webhooks arrive on the host's public hook path
//! with Shopify's headers. After every scenario the stock in ILS and in the shop agree.

use std::time::{Duration, Instant};

use ils_fake_shopify::{BucketSettings, FakeConfig, FakeShopify, NewVariant, Restock};
use serde_json::{Value, json};

use crate::guests::install;
use crate::harness::{Backend, Tenant, TestApp, db_test};
use crate::stock::{adjust, item, level, location};

const SHOPIFY: &str = include_str!("../../../plugins/shopify-sync/ils-plugin.toml");
const CONSENT: [&str; 6] =
    ["kv", "secrets", "http-outbound", "inventory-read", "inventory-write", "events-publish"];
const FRAME: &str = "RB-2140-50";
const LENSES: &str = "CL-DAILY-30";

/// A practice selling online: ILS and a fake shop, each with a shop front stocking two SKUs.
struct Practice {
    app: TestApp,
    fake: FakeShopify,
    lab: Tenant,
    store: String,
    front: ils_fake_shopify::ids::LocationId,
    items: Vec<(&'static str, String)>,
}

impl Practice {
    async fn open(backend: Backend, bucket: BucketSettings) -> Self {
        let fake =
            FakeShopify::start(FakeConfig { bucket, ..FakeConfig::default() }).await.expect("fake shop");
        let (addr, cert) = (fake.addr(), fake.cert_der().to_vec());
        let domain = fake.domain().to_string();
        let app = TestApp::spawn_with(backend, move |config| {
            let o = &mut config.plugins.outbound_overrides;
            o.connect_to.insert((domain, 443), addr);
            o.extra_roots.push(cert);
        })
        .await;
        install(&app, "ils_shopify_sync", SHOPIFY, "free").await;
        let lab = app.tenant("northgate").await;
        let token = lab.admin.token.clone();
        let store = location(&app, &token, "Shop front").await;
        let front = fake.add_location("Shop front");
        let mut items = Vec::new();
        for (sku, ils, shop) in [(FRAME, 10, 7), (LENSES, 30, 30)] {
            let id = item(&app, &token, sku, 2).await;
            adjust(&app, &token, &id, &store, ils).await.ok(201);
            fake.add_product(&format!("Product {sku}"), &[NewVariant::sku(sku)]);
            fake.set_available(sku, front, shop).expect("stock the shop");
            items.push((sku, id));
        }
        // Sold in the shop only: reported, never guessed.
        fake.add_product("Gift card", &[NewVariant::sku("GIFT-25")]);
        let config = json!({
            "shop_domain": fake.domain(),
            "locations": [{ "shopify_location_id": front.to_string(), "ils_location_id": store }],
            "default_location_id": store,
        });
        let body = json!({ "version": "0.1.0", "consent": CONSENT, "config": config });
        app.put("/api/v1/tenant/plugins/shopify-sync", &token, body).await.ok(200);
        for (name, value) in
            [("access_token", fake.access_token()), ("webhook_secret", fake.webhook_secret())]
        {
            let path = format!("/api/v1/tenant/plugins/shopify-sync/secrets/{name}");
            app.put(&path, &token, json!({ "value": value })).await.ok(204);
        }
        Practice { app, fake, lab, store, front, items }
    }

    fn token(&self) -> &str {
        &self.lab.admin.token
    }

    fn hook(&self) -> String {
        format!("{}/api/v1/hooks/{}/shopify-sync/webhooks", self.app.base, self.lab.slug)
    }

    async fn status(&self) -> Value {
        self.app.get("/api/v1/plugins/shopify-sync/status", self.token()).await.ok(200).clone()
    }

    /// Waits (at most a minute) until `done` holds of the status.
    async fn until(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let status = self.status().await;
            if done(&status) {
                return status;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "waited a minute for {what}: {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until ILS's stock of `sku` is `quantity`.
    async fn until_ils(&self, sku: &str, quantity: i64) {
        let id = &self.items.iter().find(|(s, _)| *s == sku).expect("a seeded SKU").1;
        let start = Instant::now();
        while level(&self.app, self.token(), id, &self.store).await != quantity {
            assert!(start.elapsed() < Duration::from_secs(60), "{sku} never reached {quantity} in ILS");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the shop's `available` of `sku` is ILS's.
    async fn until_agreed(&self, sku: &str) -> i64 {
        let id = &self.items.iter().find(|(s, _)| *s == sku).expect("a seeded SKU").1;
        let start = Instant::now();
        loop {
            let ils = level(&self.app, self.token(), id, &self.store).await;
            if self.fake.available(sku, self.front).expect("available") == Some(ils) {
                return ils;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{sku}: ILS {ils}, shop {:?}",
                self.fake.available(sku, self.front)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn full_sync(&self) -> Value {
        let started = self.app.post("/api/v1/plugins/shopify-sync/sync", Some(self.token()), json!({})).await;
        assert_eq!(started.ok(202)["run"]["kind"], "sync");
        self.until("the full sync", |s| {
            s["running"].is_null() && s["last_full_sync"]["finished_at_ms"].is_i64()
        })
        .await
    }
}

/// Sends a delivery and checks Shopify's 5 s was met.
async fn deliver(p: &Practice, delivery: ils_fake_shopify::webhook::Delivery) -> (u16, Value) {
    let sent = p.fake.send(&p.hook(), delivery).await.expect("deliver");
    assert!(sent.elapsed < Duration::from_secs(5), "answered in {:?}", sent.elapsed);
    (sent.status, serde_json::from_slice(&sent.answer).unwrap_or(Value::Null))
}

db_test!(
    async fn sales_refunds_replays_and_forgeries_leave_one_stock_in_ils_and_the_shop(backend) {
        let p = Practice::open(backend, BucketSettings::default()).await;
        let status = p.full_sync().await;
        let sync = &status["last_full_sync"];
        assert_eq!(sync["completed"], true, "{status}");
        assert_eq!(sync["matched"], 2, "{status}");
        assert!(sync.to_string().contains("GIFT-25"), "the shop's unmatched SKU is reported: {sync}");
        // ILS is the stock: the shop's 7 frames became ILS's 10.
        assert_eq!(p.until_agreed(FRAME).await, 10);
        assert_eq!(p.until_agreed(LENSES).await, 30);

        // A sale in the shop: answered at once, worked from the queue, sold once in ILS.
        let sale = p.fake.sell(FRAME, p.front, 2).expect("sell");
        let first = p.fake.delivery("orders/create", &sale.orders_create);
        assert_eq!(deliver(&p, first.clone()).await, (200, json!({ "queued": true })));
        p.until_ils(FRAME, 8).await;
        assert_eq!(p.until_agreed(FRAME).await, 8);

        // Replayed byte for byte (the same webhook id): a duplicate, nothing moves.
        assert_eq!(deliver(&p, first.clone()).await, (200, json!({ "duplicate": true })));
        // The same order again as orders/updated (another delivery): its sale is already applied.
        let again = p.fake.order_payload(sale.order).expect("order");
        assert_eq!(deliver(&p, p.fake.delivery("orders/updated", &again)).await.0, 200);
        p.until("the update to be worked", |s| s["movements"]["already_applied"].as_i64() >= Some(1)).await;
        assert_eq!(p.until_agreed(FRAME).await, 8, "sold once");

        // A forged delivery of an order the shop never took: refused, nothing moves.
        let mut forged: Value = serde_json::from_slice(&sale.orders_create).unwrap();
        forged["id"] = json!(5_550_000_001_u64);
        let forged = p.fake.delivery("orders/create", forged.to_string().as_bytes()).forged();
        assert_eq!(deliver(&p, forged).await.0, 401);
        let status = p.status().await;
        assert_eq!(status["webhooks"]["refused"], 1, "{status}");

        // A refund with a return to stock comes back once.
        let line = sale.line;
        let refunded = p.fake.refund(sale.order, line, 1, Restock::Return(p.front)).expect("refund");
        assert_eq!(deliver(&p, p.fake.delivery("refunds/create", &refunded.refunds_create)).await.0, 200);
        p.until_ils(FRAME, 9).await;
        assert_eq!(p.until_agreed(FRAME).await, 9);

        // A change made in ILS reaches the shop, compared and swapped.
        let frame = &p.items[0].1;
        adjust(&p.app, p.token(), frame, &p.store, -3).await.ok(201);
        assert_eq!(p.until_agreed(FRAME).await, 6);
        assert_eq!(p.until_agreed(LENSES).await, 30);

        // Another practice's hook path does not reach this shop's plugin.
        let other = p.app.tenant("elsewhere").await;
        let url = format!("{}/api/v1/hooks/{}/shopify-sync/webhooks", p.app.base, other.slug);
        let sent = p.fake.send(&url, first).await.expect("deliver");
        assert_eq!(sent.status, 404);
        let status = p.app.get("/api/v1/plugins/shopify-sync/status", &other.admin.token).await;
        status.problem(404, "plugin_not_enabled");
    }
);

db_test!(
    async fn a_throttled_sync_completes_at_the_restore_rate_and_a_revoked_token_stops_the_next(backend) {
        // A small bucket, emptied: the sync must wait for it rather than be refused.
        let bucket = BucketSettings { maximum_available: 100.0, restore_rate: 50.0, ..BucketSettings::default() };
        let p = Practice::open(backend, bucket).await;
        p.fake.drain_bucket();
        let status = p.full_sync().await;
        assert_eq!(status["last_full_sync"]["completed"], true, "{status}");
        assert_eq!(p.until_agreed(FRAME).await, 10);
        assert_eq!(p.until_agreed(LENSES).await, 30);
        // Never faster than the bucket refills: every answered request fit what was available.
        let log = p.fake.requests();
        assert!(log.iter().all(|r| r.available_after.is_none_or(|a| a >= -0.001)), "{log:?}");

        // The token is revoked after two more calls: the next sync stops and says why, and what
        // it had not pushed is left as it was on both sides.
        let frame = &p.items[0].1;
        adjust(&p.app, p.token(), frame, &p.store, -1).await.ok(201);
        assert_eq!(p.until_agreed(FRAME).await, 9);
        p.fake.revoke_token_after(2);
        let started = p.app.post("/api/v1/plugins/shopify-sync/sync", Some(p.token()), json!({})).await;
        started.ok(202);
        let status = p
            .until("the sync to stop", |s| {
                s["running"].is_null() && s["last_full_sync"]["completed"] == json!(false)
            })
            .await;
        assert!(status["recent_errors"].to_string().contains("access token rejected by Shopify"), "{status}");
        assert_eq!(level(&p.app, p.token(), frame, &p.store).await, 9, "ILS is untouched");
        assert_eq!(p.fake.available(FRAME, p.front).unwrap(), Some(9));
    }
);

/// The tenant's plugin events of `kind` (`plugin.shopify_sync.<kind>`), waiting up to a minute
/// for the first.
async fn published(p: &Practice, kind: &str) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let events = p.app.get("/api/v1/events?type=plugin.*&limit=200", p.token()).await;
        let found: Vec<Value> = events.ok(200)["items"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["type"] == format!("plugin.shopify_sync.{kind}"))
            .map(|e| e["data"].clone())
            .collect();
        if !found.is_empty() {
            return found;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no {kind} event in a minute");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One of the core's privacy fixtures, for the fake's shop.
fn privacy_body(fixture: &str, p: &Practice) -> Vec<u8> {
    fixture.replace("{shop}.myshopify.com", p.fake.domain()).into_bytes()
}

db_test!(
    async fn the_privacy_topics_do_what_shopify_requires_and_leave_an_audit_trail(backend) {
        let p = Practice::open(backend, BucketSettings::default()).await;
        p.full_sync().await;
        let sale = p.fake.sell(FRAME, p.front, 2).expect("sell");
        deliver(&p, p.fake.delivery("orders/create", &sale.orders_create)).await;
        p.until_ils(FRAME, 8).await;

        // A customer's data request: the shop owner is given what the plugin holds of their
        // orders — the stock movements, no personal data.
        let mut request: Value =
            serde_json::from_slice(&privacy_body(include_str!("../../../plugins/shopify-sync/tests/data/customers-data-request.json"), &p))
                .unwrap();
        request["orders_requested"] = json!([sale.order.to_string().parse::<u64>().unwrap()]);
        let sent = deliver(&p, p.fake.delivery("customers/data_request", request.to_string().as_bytes())).await;
        assert_eq!(sent, (200, json!({ "queued": true })));
        let reported = &published(&p, "privacy_data_request").await[0];
        assert_eq!(reported["personal_data_held"], false);
        let orders = reported["orders"].to_string();
        assert!(orders.contains(&sale.order.to_string()) && orders.contains("sale"), "{reported}");
        assert!(!reported.to_string().contains("john@example.com"), "no personal data is passed on");

        // A customer redaction: nothing personal is held, and the trail says so.
        let redact = privacy_body(include_str!("../../../plugins/shopify-sync/tests/data/customers-redact.json"), &p);
        deliver(&p, p.fake.delivery("customers/redact", &redact)).await;
        assert_eq!(published(&p, "privacy_customer_redact").await[0]["personal_data_held"], false);

        // Uninstalled, then the shop's redaction 48 hours later: the plugin's data is erased and
        // the sync stops; ILS's stock is the practice's and stays.
        let uninstalled = json!({ "id": 548380009, "name": "Lenses", "myshopify_domain": p.fake.domain() });
        deliver(&p, p.fake.delivery("app/uninstalled", uninstalled.to_string().as_bytes())).await;
        p.until("the uninstall", |s| s["uninstalled_at_ms"].is_i64()).await;
        let shop = privacy_body(include_str!("../../../plugins/shopify-sync/tests/data/shop-redact.json"), &p);
        deliver(&p, p.fake.delivery("shop/redact", &shop)).await;
        let erased = &published(&p, "privacy_shop_redact").await[0];
        assert!(erased["erased_kv_entries"].as_i64().unwrap() > 0, "{erased}");
        let status = p.until("the erasure", |s| s["last_full_sync"].is_null()).await;
        assert!(status["uninstalled_at_ms"].is_i64(), "{status}");
        assert_eq!(level(&p.app, p.token(), &p.items[0].1, &p.store).await, 8);
        assert_eq!(p.fake.available(FRAME, p.front).unwrap(), Some(8));
    }
);

/// Waits until the shop's `available` of `sku` at `location` is `quantity`.
async fn until_shop(p: &Practice, sku: &str, quantity: i64) {
    let start = Instant::now();
    while p.fake.available(sku, p.front).expect("available") != Some(quantity) {
        assert!(start.elapsed() < Duration::from_secs(60), "{sku} never reached {quantity} in the shop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts a reconciliation and waits for it to end: the status then.
async fn reconcile(p: &Practice) -> Value {
    let before = p.status().await["last_reconciliation"]["at_ms"].clone();
    let started = p.app.post("/api/v1/plugins/shopify-sync/reconcile", Some(p.token()), json!({})).await;
    assert_eq!(started.ok(202)["run"]["kind"], "reconcile");
    p.until("the reconciliation", |s| {
        s["running"].is_null()
            && s["last_reconciliation"]["finished_at_ms"].is_i64()
            && s["last_reconciliation"]["at_ms"] != before
    })
    .await
}

db_test!(
    async fn product_and_level_changes_in_the_shop_are_rematched_or_put_back_to_ils(backend) {
        let mut p = Practice::open(backend, BucketSettings::default()).await;
        p.full_sync().await;
        assert_eq!(p.until_agreed(FRAME).await, 10);

        // products/update: the merchant gives a new variant the SKU of an item ILS already has.
        // The match table takes it at once; its stock follows ILS at its next change.
        let sunglasses = item(&p.app, p.token(), "SUN-1", 1).await;
        adjust(&p.app, p.token(), &sunglasses, &p.store, 5).await.ok(201);
        p.items.push(("SUN-1", sunglasses.clone()));
        let added = p.fake.add_product("Sunglasses", &[NewVariant::sku("TEMP-SUN")]);
        p.fake.set_available("TEMP-SUN", p.front, 2).expect("stock it");
        p.fake.set_sku(added.variants[0].id, Some("SUN-1")).expect("rename");
        let update = p.fake.product_payload(added.id).expect("payload");
        assert_eq!(deliver(&p, p.fake.delivery("products/update", &update)).await, (200, json!({ "queued": true })));
        // The match table and the matching report are two records: wait for both.
        let status = p
            .until("the new match", |s| {
                s["match_table"]["matched"] == 3 && s["matching"]["cause"] == "products/update"
            })
            .await;
        assert_eq!(status["matching"]["cause"], "products/update", "{status}");
        assert_eq!(status["matching"]["duplicated_in_shopify"]["count"], 0, "{status}");
        adjust(&p.app, p.token(), &sunglasses, &p.store, 1).await.ok(201);
        assert_eq!(p.until_agreed("SUN-1").await, 6, "ILS's 6, pushed on its stock change");

        // products/update giving a second variant the lenses' SKU: reported, never guessed. The
        // lenses are matched to nothing while it lasts, so an ILS change is not pushed to either.
        let original = p.fake.inventory_item(LENSES).expect("the lenses' item");
        let twin = p.fake.add_product("Lenses, trial pack", &[NewVariant::sku("CL-TRIAL")]);
        p.fake.set_sku(twin.variants[0].id, Some(LENSES)).expect("rename");
        let update = p.fake.product_payload(twin.id).expect("payload");
        deliver(&p, p.fake.delivery("products/update", &update)).await;
        let status = p
            .until("the duplicate", |s| {
                s["match_table"]["matched"] == 2 && s["matching"]["duplicated_in_shopify"]["count"] == 1
            })
            .await;
        assert_eq!(status["matching"]["duplicated_in_shopify"], json!({ "count": 1, "first": [LENSES] }));
        let lenses = p.items[1].1.clone();
        adjust(&p.app, p.token(), &lenses, &p.store, -4).await.ok(201);
        p.until_ils(LENSES, 26).await;

        // The merchant gives the twin its own SKU: matched again. The shop's 30 lenses are set
        // to ILS's 26 only now — by the stock change if it is worked after the re-match, else by
        // the next reconciliation — never while the SKU was on two variants.
        p.fake.set_sku(twin.variants[0].id, Some("CL-TRIAL")).expect("rename");
        let update = p.fake.product_payload(twin.id).expect("payload");
        deliver(&p, p.fake.delivery("products/update", &update)).await;
        let rematched = p.until("the lenses matched again", |s| s["match_table"]["matched"] == 3).await;
        let rematched_at = rematched["match_table"]["at_ms"].as_i64().expect("when");
        let status = reconcile(&p).await;
        assert_eq!(p.fake.available(original, p.front).unwrap(), Some(26));
        let lens_pushes: Vec<&Value> =
            status["recent_pushes"].as_array().unwrap().iter().filter(|p| p["sku"] == LENSES).collect();
        assert_eq!(lens_pushes.len(), 1, "{status}");
        let push = lens_pushes[0];
        assert_eq!((push["from"].as_i64(), push["to"].as_i64()), (Some(30), Some(26)), "{status}");
        assert!(push["at_ms"].as_i64().unwrap() >= rematched_at, "pushed only once matched again: {status}");

        // inventory_levels/update: ILS is the stock. A level changed by hand at the mapped
        // location is put back to ILS's; one at a location not mapped to ILS is left alone.
        let warehouse = p.fake.add_location("Warehouse");
        p.fake.set_available(FRAME, warehouse, 50).expect("stock the warehouse");
        let unmapped = p.fake.inventory_level_payload(FRAME, warehouse).expect("payload");
        deliver(&p, p.fake.delivery("inventory_levels/update", &unmapped)).await;
        p.fake.set_available(FRAME, p.front, 3).expect("edit by hand");
        let mapped = p.fake.inventory_level_payload(FRAME, p.front).expect("payload");
        assert_eq!(deliver(&p, p.fake.delivery("inventory_levels/update", &mapped)).await.0, 200);
        until_shop(&p, FRAME, 10).await;
        let status = p.status().await;
        let push = &status["recent_pushes"][0];
        assert_eq!(
            (push["trigger"].as_str(), push["sku"].as_str(), push["from"].as_i64(), push["to"].as_i64()),
            (Some("inventory_levels/update"), Some(FRAME), Some(3), Some(10)),
            "{status}"
        );
        let warehouse_id = warehouse.to_string();
        assert!(
            status["recent_pushes"].as_array().unwrap().iter().all(|p| p["shopify_location_id"] != warehouse_id),
            "nothing pushed to an unmapped location: {status}"
        );
        assert_eq!(p.fake.available(FRAME, warehouse).unwrap(), Some(50));
        for sku in [FRAME, LENSES, "SUN-1"] {
            p.until_agreed(sku).await;
        }
        assert_eq!(level(&p.app, p.token(), &p.items[0].1, &p.store).await, 10, "ILS never moved");
    }
);

#[test]
fn ils_serve_refuses_a_bad_outbound_setting_naming_it() {
    let data = tempfile::tempdir().expect("a data directory");
    let serve = |env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ils"));
        command.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(data.path());
        for var in [
            "ILS_OUTBOUND_CONNECT_TO",
            "ILS_OUTBOUND_EXTRA_ROOTS",
            "ILS_PLUGINS_ALLOW_PRIVATE",
            "DATABASE_URL",
        ] {
            command.env_remove(var);
        }
        let out = command.envs(env.iter().copied()).output().expect("run ils serve");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, said) = serve(&[("ILS_OUTBOUND_CONNECT_TO", "lenses.myshopify.com:443")]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("ILS_OUTBOUND_CONNECT_TO: \"lenses.myshopify.com:443\": no '='"), "{said}");
    let (code, said) = serve(&[("ILS_OUTBOUND_EXTRA_ROOTS", "/nowhere/shop-cert.pem")]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("ILS_OUTBOUND_EXTRA_ROOTS: cannot read /nowhere/shop-cert.pem"), "{said}");
    // Loopback is refused to plugins unless private networks are allowed: a redirect there could
    // never be followed, so it is refused at start rather than at the first call.
    let (code, said) = serve(&[("ILS_OUTBOUND_CONNECT_TO", "lenses.myshopify.com:443=127.0.0.1:9443")]);
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("ILS_OUTBOUND_CONNECT_TO: lenses.myshopify.com:443 is sent to 127.0.0.1:9443"),
        "{said}"
    );
    assert!(said.contains("ILS_PLUGINS_ALLOW_PRIVATE"), "{said}");
}

/// A console request as a browser makes it: the session cookie (and `cookies`), no redirects
/// followed. The answer's status, `Location`, `Set-Cookie` values and body.
async fn console(
    p: &Practice,
    method: reqwest::Method,
    path: &str,
    session: &str,
    cookies: &str,
    form: &[(&str, &str)],
) -> (u16, Option<String>, Vec<String>, String) {
    use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
    let mut request = crate::console_client::browser()
        .request(method, format!("{}{path}", p.app.base))
        .header(COOKIE, format!("ils_session={session}{cookies}"));
    if !form.is_empty() {
        request = request
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_html_form::to_string(form).expect("form"));
    }
    let answer = request.send().await.expect("the console answers");
    let header =
        |name| answer.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok());
    let location = header(LOCATION).map(str::to_owned);
    let set: Vec<String> = answer
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    (answer.status().as_u16(), location, set, answer.text().await.expect("body"))
}

/// Presses one of the Shopify page's buttons as `session`: status, where it leads, the flash cookie.
async fn press(p: &Practice, session: &str, action: &str) -> (u16, Option<String>, Option<String>) {
    let token = crate::console_client::csrf(&p.app, session).await;
    let form = [("_csrf", token.as_str()), ("action", action)];
    let (status, location, set, _) =
        console(p, reqwest::Method::POST, "/apps/shopify-sync/page", session, "", &form).await;
    let flash = set
        .iter()
        .find(|c| c.starts_with("ils_flash="))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned());
    (status, location, flash)
}

/// The page as `session` sees it, with `cookies`: status, Set-Cookie values, body.
async fn shopify_page(p: &Practice, session: &str, cookies: &str) -> (u16, Vec<String>, String) {
    let (status, _, set, body) =
        console(p, reqwest::Method::GET, "/apps/shopify-sync/page", session, cookies, &[]).await;
    (status, set, body)
}

db_test!(
    async fn the_consoles_shopify_buttons_start_runs_for_admins_only_and_say_what_the_plugin_answered(backend) {
        let p = Practice::open(backend, BucketSettings::default()).await;
        let admin = p.token().to_owned();
        let dispenser = p.app.member(&p.lab, "dan", "dispenser").await.token;

        // The admin sees both buttons above the frame; the dispenser sees the page without them.
        let (status, _, html) = shopify_page(&p, &admin, "").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains(r#"name="action" value="/sync"><button type="submit">Sync now</button>"#), "{html}");
        assert!(html.contains(">Reconcile now</button>"), "{html}");
        assert!(html.contains(r#"src="/frames/shopify-sync/page""#), "{html}");
        let (status, _, html) = shopify_page(&p, &dispenser, "").await;
        assert_eq!(status, 200);
        assert!(!html.contains("Sync now") && !html.contains("Reconcile now"), "{html}");
        // The frame is the plugin's page, for either.
        let (status, _, _, frame) =
            console(&p, reqwest::Method::GET, "/frames/shopify-sync/page", &dispenser, "", &[]).await;
        assert_eq!(status, 200);
        assert!(frame.contains("No full sync yet."), "{frame}");

        // Pressed by the dispenser anyway: refused, and no run starts.
        let (status, _, flash) = press(&p, &dispenser, "/sync").await;
        assert_eq!((status, flash), (403, None));
        assert!(p.status().await["running"].is_null(), "nothing started");
        // Not a button of the page, or no CSRF token: refused too.
        assert_eq!(press(&p, &admin, "/status").await.0, 404);
        let unsigned = [("action", "/sync")];
        let (status, ..) = console(&p, reqwest::Method::POST, "/apps/shopify-sync/page", &admin, "", &unsigned).await;
        assert_eq!(status, 403);
        assert!(p.status().await["running"].is_null(), "nothing started");

        // The admin presses Sync now: the plugin's route is called as the admin, and the page
        // says once what it answered.
        let (status, location, flash) = press(&p, &admin, "/sync").await;
        assert_eq!((status, location.as_deref()), (303, Some("/apps/shopify-sync/page")));
        let flash = flash.expect("the outcome rides to the page");
        let (_, set, html) = shopify_page(&p, &admin, &format!("; {flash}")).await;
        assert!(html.contains(r#"id="action-outcome">Sync now: done (202 Accepted).</p>"#), "{html}");
        assert!(set.iter().any(|c| c.starts_with("ils_flash=;") && c.contains("Max-Age=0")), "{set:?}");
        let (_, _, html) = shopify_page(&p, &admin, "").await;
        assert!(!html.contains("action-outcome"), "shown once");
        // Another session cannot be shown it.
        let (_, _, html) = shopify_page(&p, &dispenser, &format!("; {flash}")).await;
        assert!(!html.contains("action-outcome"), "{html}");

        // Pressed again while the run goes on (it waits a second for Shopify's export at least):
        // the plugin's refusal, with its reason.
        let (_, _, busy) = press(&p, &admin, "/sync").await;
        let (_, _, html) = shopify_page(&p, &admin, &format!("; {}", busy.expect("an outcome"))).await;
        assert!(
            html.contains("Sync now: not done (409 Conflict): a run is in progress — one sync or reconciliation runs at a time"),
            "{html}"
        );
        let status = p.until("the sync", |s| s["running"].is_null() && s["last_full_sync"]["completed"] == true).await;
        assert_eq!(status["last_full_sync"]["matched"], 2);
        assert_eq!(p.until_agreed(FRAME).await, 10);

        // Another practice's admin: the plugin is not enabled there, so there is no such page.
        let other = p.app.tenant("elsewhere").await;
        let (status, ..) = press(&p, &other.admin.token, "/sync").await;
        assert_eq!(status, 404);
        assert_eq!(shopify_page(&p, &other.admin.token, "").await.0, 404);
    }
);
