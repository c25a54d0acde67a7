//! Stock: the catalogue and locations, adjustments and transfers with their ledger, `stock.low`,
//! concurrent writers, stock counts, the database constraints behind the invariants, tenant
//! isolation and roles.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use ils_core::auth::permissions::{Action, Role};

use crate::harness::{Backend, Resp, TestApp, db_test};

pub async fn location(app: &TestApp, token: &str, name: &str) -> String {
    let resp = app.post("/api/v1/locations", Some(token), json!({ "name": name })).await;
    resp.ok(201)["id"].as_str().unwrap().to_owned()
}

pub async fn item(app: &TestApp, token: &str, sku: &str, reorder_point: i64) -> String {
    let body =
        json!({ "sku": sku, "name": format!("Item {sku}"), "unit": "each", "reorder_point": reorder_point });
    app.post("/api/v1/items", Some(token), body).await.ok(201)["id"].as_str().unwrap().to_owned()
}

pub async fn adjust(app: &TestApp, token: &str, item: &str, location: &str, quantity: i64) -> Resp {
    let reason = if quantity > 0 { "found" } else { "damaged" };
    let body = json!({ "item_id": item, "location_id": location, "quantity": quantity, "reason": reason });
    app.post("/api/v1/stock/adjustments", Some(token), body).await
}

/// The stock of an item at a location (0 when there is no level yet).
pub async fn level(app: &TestApp, token: &str, item: &str, location: &str) -> i64 {
    let resp = app.get(&format!("/api/v1/stock/levels?item_id={item}&location_id={location}"), token).await;
    resp.ok(200)["items"].as_array().unwrap().first().map_or(0, |l| l["quantity"].as_i64().unwrap())
}

pub async fn events(app: &TestApp, token: &str, kind: &str) -> Vec<Value> {
    let resp = app.get(&format!("/api/v1/events?type={kind}&limit=200"), token).await;
    resp.ok(200)["items"].as_array().unwrap().iter().map(|e| e["data"].clone()).collect()
}

async fn count_item(app: &TestApp, token: &str, count: &str, item: &str, quantity: i64) -> Resp {
    let path = format!("/api/v1/stock-counts/{count}/items/{item}");
    app.call(Method::PUT, &path, Some(token), Some(json!({ "counted_quantity": quantity }))).await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

db_test!(
    async fn the_catalogue_has_unique_skus_and_barcodes_and_pages_by_cursor(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let token = &t.admin.token;
        let body = json!({ "sku": "FR-001", "barcode": "5012345678900", "name": "Frame", "unit": "each", "reorder_point": 2 });
        let frame = app.post("/api/v1/items", Some(token), body.clone()).await.ok(201).clone();
        assert_eq!(frame["reorder_point"], 2);
        let mut same_sku = body.clone();
        same_sku["barcode"] = json!("5012345678917");
        app.post("/api/v1/items", Some(token), same_sku).await.problem(409, "sku_taken");
        let mut same_barcode = body.clone();
        same_barcode["sku"] = json!("FR-002");
        app.post("/api/v1/items", Some(token), same_barcode).await.problem(409, "barcode_taken");
        for (field, value) in [("sku", json!("FR 3")), ("reorder_point", json!(-1)), ("name", json!(" "))] {
            let mut bad = body.clone();
            bad["sku"] = json!("FR-009");
            bad["barcode"] = Value::Null;
            bad[field] = value;
            let resp = app.post("/api/v1/items", Some(token), bad).await;
            resp.problem(422, "invalid_input");
            assert_eq!(resp.body["errors"][0]["field"], field);
        }
        let mut unknown_unit = body.clone();
        unknown_unit["unit"] = json!("crate");
        app.post("/api/v1/items", Some(token), unknown_unit).await.problem(422, "invalid_body");

        let by_barcode = app.get("/api/v1/items?barcode=5012345678900", token).await;
        assert_eq!(ids(by_barcode.ok(200)), vec![frame["id"].as_str().unwrap()]);
        let id = frame["id"].as_str().unwrap();
        let mut changed = body.clone();
        changed["name"] = json!("Frame, tortoiseshell");
        changed["reorder_point"] = json!(5);
        let updated = app.call(Method::PUT, &format!("/api/v1/items/{id}"), Some(token), Some(changed)).await;
        assert_eq!(updated.ok(200)["reorder_point"], 5);
        let audit = app.get(&format!("/api/v1/audit?entity_id={id}&action=item.updated"), token).await;
        assert_eq!(audit.ok(200)["items"][0]["changes"]["reorder_point"], json!({ "from": 2, "to": 5 }));

        let second = item(&app, token, "LB-1", 0).await;
        let third = item(&app, token, "LB-2", 0).await;
        let first_page = app.get("/api/v1/items?limit=2", token).await.ok(200).clone();
        assert_eq!(ids(&first_page), vec![id.to_owned(), second]);
        let cursor = first_page["next_cursor"].as_str().unwrap();
        let next = app.get(&format!("/api/v1/items?limit=2&cursor={cursor}"), token).await;
        assert_eq!(ids(next.ok(200)), vec![third]);
        assert!(next.body["next_cursor"].is_null());

        let shop = location(&app, token, "Shop").await;
        app.post("/api/v1/locations", Some(token), json!({ "name": "Shop" })).await.problem(409, "location_name_taken");
        let renamed =
            app.call(Method::PUT, &format!("/api/v1/locations/{shop}"), Some(token), Some(json!({ "name": "Front" }))).await;
        assert_eq!(renamed.ok(200)["name"], "Front");
        assert_eq!(app.get("/api/v1/locations", token).await.ok(200)["items"][0]["name"], "Front");
    }
);

db_test!(
    async fn a_frame_records_its_marked_size_and_rim_checked_like_an_orders(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let token = &t.admin.token;
        let body = json!({ "sku": "RB-5154-51", "name": "Clubmaster 51", "unit": "each", "reorder_point": 1,
            "frame": { "a_mm": 51, "dbl_mm": 21, "rim": "semi_rimless" } });
        let frame = app.post("/api/v1/items", Some(token), body.clone()).await.ok(201).clone();
        assert_eq!(frame["frame"], json!({ "a_mm": 51.0, "dbl_mm": 21.0, "rim": "semi_rimless" }));
        let id = frame["id"].as_str().unwrap();
        assert_eq!(app.get(&format!("/api/v1/items/{id}"), token).await.ok(200)["frame"], frame["frame"]);
        // Not a frame: no size.
        let cloth = app.get(&format!("/api/v1/items/{}", item(&app, token, "CLOTH", 0).await), token).await;
        assert!(cloth.ok(200)["frame"].is_null());

        for (field, frame) in [
            ("frame.a_mm", json!({ "a_mm": 90, "dbl_mm": 18 })),
            ("frame.a_mm", json!({ "a_mm": 51.3, "dbl_mm": 18 })),
            ("frame.dbl_mm", json!({ "a_mm": 51, "dbl_mm": 5 })),
        ] {
            let mut bad = body.clone();
            bad["sku"] = json!("RB-BAD");
            bad["frame"] = frame;
            let resp = app.post("/api/v1/items", Some(token), bad).await;
            resp.problem(422, "invalid_input");
            assert_eq!(resp.body["errors"][0]["field"], field, "{}", resp.body);
        }
        let mut unknown_rim = body.clone();
        unknown_rim["sku"] = json!("RB-BAD");
        unknown_rim["frame"]["rim"] = json!("wire");
        let refused = app.post("/api/v1/items", Some(token), unknown_rim).await;
        refused.problem(422, "invalid_body");
        // The field's path, and the values it takes (issue 15).
        assert_eq!(refused.body["errors"][0]["field"], "frame.rim", "{}", refused.body);
        let message = refused.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with("must be one of: full,") && message.ends_with("(not \"wire\")"), "{message}");
        let mut wide = body.clone();
        wide["sku"] = json!("RB-BAD");
        wide["frame"]["a_mm"] = json!("wide");
        let refused = app.post("/api/v1/items", Some(token), wide).await;
        refused.problem(422, "invalid_body");
        assert_eq!(
            (refused.body["errors"][0]["field"].as_str(), refused.body["errors"][0]["message"].as_str()),
            (Some("frame.a_mm"), Some("must be a number"))
        );

        // A resize is audited with the sizes before and after; dropping the size makes it no frame.
        let mut resized = body.clone();
        resized["frame"] = json!({ "a_mm": 53, "dbl_mm": 21 });
        let updated = app.call(Method::PUT, &format!("/api/v1/items/{id}"), Some(token), Some(resized)).await;
        assert_eq!(updated.ok(200)["frame"], json!({ "a_mm": 53.0, "dbl_mm": 21.0, "rim": null }));
        let audit = app.get(&format!("/api/v1/audit?entity_id={id}&action=item.updated"), token).await;
        let change = &audit.ok(200)["items"][0]["changes"]["frame"];
        assert_eq!(change["from"]["a_mm"], 51.0);
        assert_eq!(change["to"]["a_mm"], 53.0);
        let mut plain = body.clone();
        plain.as_object_mut().unwrap().remove("frame");
        let updated = app.call(Method::PUT, &format!("/api/v1/items/{id}"), Some(token), Some(plain)).await;
        assert!(updated.ok(200)["frame"].is_null());
    }
);

db_test!(
    async fn adjustments_and_transfers_move_stock_through_the_ledger_and_never_below_zero(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let tech = app.member(&t, "tess", "lab_tech").await;
        let (admin, token) = (&t.admin.token, tech.token.as_str());
        let shop = location(&app, admin, "Shop").await;
        let store = location(&app, admin, "Store room").await;
        let blank = item(&app, admin, "BLANK-65", 0).await;

        let opening = adjust(&app, token, &blank, &store, 10).await;
        assert_eq!(opening.ok(201)["quantity_after"], 10);
        adjust(&app, token, &blank, &store, -3).await.ok(201);
        let zero = adjust(&app, token, &blank, &store, 0).await;
        zero.problem(422, "invalid_input");
        assert_eq!(zero.body["errors"][0]["field"], "quantity");
        let over = adjust(&app, token, &blank, &store, -8).await;
        over.problem(409, "insufficient_stock");
        assert!(over.body["detail"].as_str().unwrap().contains("Only 7 of BLANK-65"), "{}", over.body);
        adjust(&app, token, &blank, &shop, -1).await.problem(409, "insufficient_stock");
        let no_reason = json!({ "item_id": blank, "location_id": store, "quantity": 1 });
        app.post("/api/v1/stock/adjustments", Some(token), no_reason).await.problem(422, "invalid_body");

        let transfer = |from: &str, to: &str, quantity: i64| {
            json!({ "item_id": blank, "from_location_id": from, "to_location_id": to, "quantity": quantity })
        };
        let same = app.post("/api/v1/stock/transfers", Some(token), transfer(&store, &store, 1)).await;
        same.problem(422, "invalid_input");
        assert_eq!(same.body["errors"][0]["field"], "to_location_id");
        app.post("/api/v1/stock/transfers", Some(token), transfer(&store, &shop, 0)).await.problem(422, "invalid_input");
        app.post("/api/v1/stock/transfers", Some(token), transfer(&store, &shop, 8)).await.problem(409, "insufficient_stock");
        let moved = app.post("/api/v1/stock/transfers", Some(token), transfer(&store, &shop, 4)).await;
        let moved = moved.ok(201);
        assert_eq!((moved["from_quantity_after"].as_i64(), moved["to_quantity_after"].as_i64()), (Some(3), Some(4)));
        assert_eq!(level(&app, token, &blank, &store).await, 3);
        assert_eq!(level(&app, token, &blank, &shop).await, 4);

        // The ledger has every change and nothing from the refused ones.
        let ledger = app.get(&format!("/api/v1/stock/movements?item_id={blank}"), token).await;
        let mut ledger: Vec<(i64, i64, String)> = ledger.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["delta"].as_i64().unwrap(), m["quantity_after"].as_i64().unwrap(), m["kind"].as_str().unwrap().to_owned()))
            .collect();
        // The two legs of a transfer are written in lock order, not in a fixed one.
        ledger[2..].sort();
        let kinds = |k: &str| k.to_owned();
        assert_eq!(
            ledger,
            vec![(10, 10, kinds("adjustment")), (-3, 7, kinds("adjustment")), (-4, 3, kinds("transfer_out")), (4, 4, kinds("transfer_in"))]
        );
        let audit = app.get("/api/v1/audit?action=stock.transferred", admin).await;
        assert_eq!(audit.ok(200)["items"][0]["actor_id"], tech.user_id);
        let low = app.get("/api/v1/stock/levels?low=true", token).await;
        assert!(low.ok(200)["items"].as_array().unwrap().is_empty(), "reorder point 0: nothing low while stocked");
    }
);

db_test!(
    async fn stock_low_is_emitted_when_a_change_crosses_the_reorder_point(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let token = &t.admin.token;
        let shop = location(&app, token, "Shop").await;
        let back = location(&app, token, "Back").await;
        let frame = item(&app, token, "FR-1", 5).await;
        // 10 → 6 (above), → 5 (crosses: event), → 4 (still low: none), → 14 (restocked), → 4 (crosses again).
        for quantity in [10, -4, -1, -1, 10, -10] {
            adjust(&app, token, &frame, &shop, quantity).await.ok(201);
        }
        let low = events(&app, token, "stock.low").await;
        assert_eq!(low.len(), 2, "{low:?}");
        assert_eq!(low[0], json!({ "item_id": frame, "sku": "FR-1", "location_id": shop, "quantity": 5, "reorder_point": 5 }));
        assert_eq!(low[1]["quantity"], 4);
        // A transfer that empties the back room below the reorder point there emits too.
        adjust(&app, token, &frame, &back, 7).await.ok(201);
        let body = json!({ "item_id": frame, "from_location_id": back, "to_location_id": shop, "quantity": 3 });
        app.post("/api/v1/stock/transfers", Some(token), body).await.ok(201);
        let low = events(&app, token, "stock.low").await;
        assert_eq!(low.len(), 3);
        assert_eq!((low[2]["location_id"].as_str(), low[2]["quantity"].as_i64()), (Some(back.as_str()), Some(4)));
        let listed = app.get("/api/v1/stock/levels?low=true", token).await;
        assert_eq!(listed.ok(200)["items"].as_array().unwrap().len(), 1, "only the back room is low now (shop: 7)");
        assert_eq!(listed.body["items"][0]["location_id"], back.as_str());
    }
);

db_test!(
    async fn concurrent_clients_never_drive_stock_negative_nor_lose_an_update(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let token = t.admin.token.clone();
        let shop = location(&app, &token, "Shop").await;
        let store = location(&app, &token, "Store").await;
        let lens = item(&app, &token, "CL-30", 0).await;
        adjust(&app, &token, &lens, &shop, 20).await.ok(201);
        adjust(&app, &token, &lens, &store, 5).await.ok(201);

        // 60 clients at once, each with its own connection: 30 take 1 from the shop, 10 put 1
        // back, 10 move 2 from the shop to the store and 10 move 1 from the store to the shop.
        // More is asked of the shop than it ever has, so some requests must be refused.
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..60 {
            let client = crate::harness::http(std::time::Duration::from_secs(60));
            let (base, token, shop, store, lens) = (app.base.clone(), token.clone(), shop.clone(), store.clone(), lens.clone());
            tasks.spawn(async move {
                let (path, body, shop_delta, store_delta) = match n % 6 {
                    0..=2 => ("adjustments", json!({ "item_id": lens, "location_id": shop, "quantity": -1, "reason": "used" }), -1, 0),
                    3 => ("adjustments", json!({ "item_id": lens, "location_id": shop, "quantity": 1, "reason": "found" }), 1, 0),
                    4 => ("transfers", json!({ "item_id": lens, "from_location_id": shop, "to_location_id": store, "quantity": 2 }), -2, 2),
                    _ => ("transfers", json!({ "item_id": lens, "from_location_id": store, "to_location_id": shop, "quantity": 1 }), 1, -1),
                };
                let resp = client.post(format!("{base}/api/v1/stock/{path}")).bearer_auth(&token).json(&body).send().await.unwrap();
                (TestApp::read(resp).await, shop_delta, store_delta)
            });
        }
        let (mut shop_expected, mut store_expected, mut refused, mut accepted) = (20, 5, 0, 0);
        while let Some(done) = tasks.join_next().await {
            let (resp, shop_delta, store_delta) = done.unwrap();
            if resp.status == 201 {
                accepted += 1;
                shop_expected += shop_delta;
                store_expected += store_delta;
            } else {
                resp.problem(409, "insufficient_stock");
                refused += 1;
            }
        }
        assert_eq!(accepted + refused, 60);
        assert!(refused > 0, "the shop was over-drawn on purpose: 60 requests asked for 50 more than it had");
        assert_eq!(level(&app, &token, &lens, &shop).await, shop_expected, "every acknowledged change counted once");
        assert_eq!(level(&app, &token, &lens, &store).await, store_expected);
        assert!(shop_expected >= 0 && store_expected >= 0);
        // The ledger agrees: its last quantity per location is the level, and it sums up.
        let ledger = app.get(&format!("/api/v1/stock/movements?item_id={lens}&limit=200"), &token).await;
        let mut sums: BTreeMap<String, i64> = BTreeMap::new();
        for m in ledger.ok(200)["items"].as_array().unwrap() {
            *sums.entry(m["location_id"].as_str().unwrap().to_owned()).or_default() += m["delta"].as_i64().unwrap();
        }
        assert_eq!(sums[&shop], shop_expected);
        assert_eq!(sums[&store], store_expected);
    }
);

db_test!(
    async fn stock_counts_apply_counted_figures_and_detect_movement_during_the_count(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let tech = app.member(&t, "tess", "lab_tech").await;
        let (admin, token) = (t.admin.token.as_str(), tech.token.as_str());
        let shop = location(&app, admin, "Shop").await;
        let a = item(&app, admin, "A", 3).await;
        let b = item(&app, admin, "B", 0).await;
        let c = item(&app, admin, "C", 0).await;
        adjust(&app, token, &a, &shop, 10).await.ok(201);
        adjust(&app, token, &b, &shop, 4).await.ok(201);

        // A count without movement: counted figures become the stock; uncounted B stays.
        let count = app.post("/api/v1/stock-counts", Some(token), json!({ "location_id": shop })).await.ok(201).clone();
        let id = count["id"].as_str().unwrap().to_owned();
        assert_eq!(count["status"], "open");
        let expected: Vec<i64> = count["lines"].as_array().unwrap().iter().map(|l| l["expected_quantity"].as_i64().unwrap()).collect();
        assert_eq!(expected.iter().sum::<i64>(), 14);
        app.post("/api/v1/stock-counts", Some(token), json!({ "location_id": shop })).await.problem(409, "stock_count_open");
        count_item(&app, token, &id, &a, 9).await.ok(200);
        count_item(&app, token, &id, &a, 2).await.ok(200); // a recount replaces the figure
        count_item(&app, token, &id, &c, 1).await.ok(200); // an item not on record is counted too
        count_item(&app, token, &id, &a, -1).await.problem(422, "invalid_input");
        let done = app.post(&format!("/api/v1/stock-counts/{id}/finalise"), Some(token), json!({})).await;
        let done = done.ok(200);
        assert_eq!((done["status"].as_str(), done["overridden"].as_bool()), (Some("finalised"), Some(false)));
        assert_eq!(level(&app, token, &a, &shop).await, 2);
        assert_eq!(level(&app, token, &b, &shop).await, 4);
        assert_eq!(level(&app, token, &c, &shop).await, 1);
        assert_eq!(events(&app, admin, "stock.low").await.len(), 1, "A went from 10 to 2, below its reorder point 3");
        count_item(&app, token, &id, &a, 5).await.problem(409, "stock_count_closed");
        app.post(&format!("/api/v1/stock-counts/{id}/finalise"), Some(token), json!({})).await.problem(409, "stock_count_closed");
        app.post(&format!("/api/v1/stock-counts/{id}/cancel"), Some(token), json!({})).await.problem(409, "stock_count_closed");

        // Stock moves while a second count is open: finalising is refused until an admin overrides.
        let second = app.post("/api/v1/stock-counts", Some(token), json!({ "location_id": shop })).await;
        let second = second.ok(201)["id"].as_str().unwrap().to_owned();
        count_item(&app, token, &second, &b, 4).await.ok(200);
        count_item(&app, token, &second, &c, 1).await.ok(200);
        adjust(&app, token, &b, &shop, -1).await.ok(201);
        let refused = app.post(&format!("/api/v1/stock-counts/{second}/finalise"), Some(token), json!({})).await;
        refused.problem(409, "stock_moved_during_count");
        assert!(refused.body["detail"].as_str().unwrap().contains('B'), "{}", refused.body);
        assert_eq!(level(&app, token, &b, &shop).await, 3, "nothing applied");
        let finalise = json!({ "override": true });
        app.post(&format!("/api/v1/stock-counts/{second}/finalise"), Some(token), finalise.clone()).await.problem(403, "forbidden");
        let overridden = app.post(&format!("/api/v1/stock-counts/{second}/finalise"), Some(admin), finalise).await;
        let overridden = overridden.ok(200);
        assert_eq!(overridden["overridden"], true);
        let moved: Vec<(String, bool)> = overridden["lines"].as_array().unwrap().iter()
            .map(|l| (l["sku"].as_str().unwrap().to_owned(), l["moved"].as_bool().unwrap()))
            .filter(|(_, moved)| *moved)
            .collect();
        assert_eq!(moved, vec![("B".to_owned(), true)]);
        assert_eq!(level(&app, token, &b, &shop).await, 4, "the counted figure wins on override");
        let finalised = events(&app, admin, "stock_count.finalised").await;
        assert_eq!(finalised.len(), 2);
        assert_eq!((finalised[1]["overridden"].as_bool(), finalised[1]["items_changed"].as_i64()), (Some(true), Some(1)));

        // A third count is cancelled without touching stock; lists filter by status.
        let third = app.post("/api/v1/stock-counts", Some(token), json!({ "location_id": shop })).await;
        let third = third.ok(201)["id"].as_str().unwrap().to_owned();
        app.call(Method::PUT, &format!("/api/v1/stock-counts/{third}/items/{a}"), Some(token), Some(json!({ "counted_quantity": 0 })))
            .await
            .ok(200);
        let cancelled = app.post(&format!("/api/v1/stock-counts/{third}/cancel"), Some(token), json!({})).await;
        assert_eq!(cancelled.ok(200)["status"], "cancelled");
        assert_eq!(level(&app, token, &a, &shop).await, 2);
        let list = app.get("/api/v1/stock-counts?status=finalised", token).await;
        assert_eq!(ids(list.ok(200)), vec![id, second]);
    }
);

db_test!(
    async fn database_constraints_back_the_stock_invariants(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let token = &t.admin.token;
        let shop = location(&app, token, "Shop").await;
        let store = location(&app, token, "Store").await;
        let frame = item(&app, token, "FR", 0).await;
        adjust(&app, token, &frame, &shop, 5).await.ok(201);
        let body = json!({ "item_id": frame, "from_location_id": shop, "to_location_id": store, "quantity": 1 });
        app.post("/api/v1/stock/transfers", Some(token), body).await.ok(201);
        crate::purchasing::sent_order(&app, token, &store, &[(&frame, 3)]).await;

        // Straight to the database, past the application: every invariant is a constraint too.
        let breaks = [
            "UPDATE stock_levels SET quantity = -1",
            "UPDATE stock_movements SET delta = 0",
            "UPDATE stock_adjustments SET quantity = 0",
            "UPDATE stock_transfers SET quantity = 0",
            "UPDATE stock_transfers SET to_location_id = from_location_id",
            "UPDATE purchase_order_lines SET quantity = 0",
            "UPDATE purchase_order_lines SET received_quantity = quantity + 1",
            "UPDATE purchase_order_lines SET received_quantity = -1",
            "UPDATE items SET reorder_point = -1",
            "UPDATE purchase_orders SET status = 'lost'",
        ];
        for sql in breaks {
            let error = app.owner_execute(sql).await.expect_err(sql).to_string();
            assert!(error.to_lowercase().contains("check"), "{sql}: {error}");
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(ils_pg), ignore = "PostgreSQL not configured: set ILS_TEST_DATABASE_URL")]
async fn stock_tables_are_behind_row_level_security_and_the_directory_is_shared() {
    use sqlx::Connection as _;
    let app = TestApp::spawn(Backend::Postgres).await;
    let a = app.tenant("alpha").await;
    let b = app.tenant("beta").await;
    let token = &a.admin.token;
    let shop = location(&app, token, "Shop").await;
    let frame = item(&app, token, "FR", 0).await;
    adjust(&app, token, &frame, &shop, 5).await.ok(201);
    let supplier = crate::purchasing::supplier(&app, token, "Lens Co").await;
    crate::purchasing::sent_order(&app, token, &shop, &[(&frame, 3)]).await;
    app.post("/api/v1/stock-counts", Some(token), json!({ "location_id": shop })).await.ok(201);

    let mut conn = sqlx::PgConnection::connect(app.service_url().unwrap()).await.unwrap();
    let tables = [
        "supplier_accounts",
        "items",
        "stock_locations",
        "stock_levels",
        "stock_movements",
        "stock_adjustments",
        "purchase_orders",
        "purchase_order_lines",
        "goods_receipts",
        "goods_receipt_lines",
        "stock_counts",
        "stock_count_lines",
    ];
    for tenant in [None, Some(&b.id)] {
        let mut tx = conn.begin().await.unwrap();
        if let Some(tenant) = tenant {
            sqlx::query("SELECT set_config('ils.tenant_id', $1, true)")
                .bind(tenant)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        for table in tables {
            let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            assert_eq!(count, 0, "{table} visible to {tenant:?}");
        }
        // The supplier directory is shared: every tenant reads it.
        let suppliers: i64 =
            sqlx::query_scalar("SELECT count(*) FROM suppliers").fetch_one(&mut *tx).await.unwrap();
        assert_eq!(suppliers, 2, "Lens Co and the order's supplier");
        tx.rollback().await.unwrap();
    }
    // As tenant B: no changing a directory entry (even one's own), no adding one in another's name.
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('ils.tenant_id', $1, true)").bind(&b.id).execute(&mut *tx).await.unwrap();
    let renamed = sqlx::query("UPDATE suppliers SET name = 'Hijacked'").execute(&mut *tx).await.unwrap();
    assert_eq!(renamed.rows_affected(), 0);
    let forged = sqlx::query(
        "INSERT INTO suppliers (id, name, name_key, created_by_tenant, created_at, updated_at)
         VALUES (gen_random_uuid(), 'X', 'x', $1, now(), now())",
    )
    .bind(a.id.parse::<uuid::Uuid>().unwrap())
    .execute(&mut *tx)
    .await;
    assert!(forged.unwrap_err().to_string().contains("row-level security"));
    tx.rollback().await.unwrap();
    let name = app.get(&format!("/api/v1/suppliers/{supplier}"), &b.admin.token).await;
    assert_eq!(name.ok(200)["name"], "Lens Co");
}

db_test!(
    async fn another_tenants_stock_answers_404_and_lists_show_only_ones_own(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let bt = &b.admin.token;
        let b_shop = location(&app, bt, "Shop").await;
        let b_store = location(&app, bt, "Store").await;
        let b_item = item(&app, bt, "SECRET", 0).await;
        adjust(&app, bt, &b_item, &b_shop, 5).await.ok(201);
        let b_count = app.post("/api/v1/stock-counts", Some(bt), json!({ "location_id": b_store })).await;
        let b_count = b_count.ok(201)["id"].as_str().unwrap().to_owned();

        let at = &a.admin.token;
        let a_shop = location(&app, at, "Shop").await;
        let a_store = location(&app, at, "Store").await;
        let a_item = item(&app, at, "MINE", 0).await;
        adjust(&app, at, &a_item, &a_shop, 5).await.ok(201);
        let item_body = json!({ "sku": "X", "name": "X", "unit": "each", "reorder_point": 0 });
        let probes: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, format!("/api/v1/items/{b_item}"), None),
            (Method::PUT, format!("/api/v1/items/{b_item}"), Some(item_body)),
            (Method::GET, format!("/api/v1/locations/{b_shop}"), None),
            (Method::PUT, format!("/api/v1/locations/{b_shop}"), Some(json!({ "name": "Mine now" }))),
            (Method::POST, "/api/v1/stock/adjustments".into(), Some(json!({ "item_id": b_item, "location_id": a_shop, "quantity": 1, "reason": "found" }))),
            (Method::POST, "/api/v1/stock/adjustments".into(), Some(json!({ "item_id": a_item, "location_id": b_shop, "quantity": 1, "reason": "found" }))),
            (Method::POST, "/api/v1/stock/transfers".into(), Some(json!({ "item_id": b_item, "from_location_id": b_shop, "to_location_id": b_store, "quantity": 1 }))),
            (Method::POST, "/api/v1/stock/transfers".into(), Some(json!({ "item_id": a_item, "from_location_id": a_shop, "to_location_id": b_store, "quantity": 1 }))),
            (Method::POST, "/api/v1/stock-counts".into(), Some(json!({ "location_id": b_shop }))),
            (Method::GET, format!("/api/v1/stock-counts/{b_count}"), None),
            (Method::PUT, format!("/api/v1/stock-counts/{b_count}/items/{b_item}"), Some(json!({ "counted_quantity": 0 }))),
            (Method::POST, format!("/api/v1/stock-counts/{b_count}/finalise"), Some(json!({ "override": true }))),
            (Method::POST, format!("/api/v1/stock-counts/{b_count}/cancel"), Some(json!({}))),
        ];
        for (method, path, body) in probes {
            app.call(method.clone(), &path, Some(at), body).await.problem(404, "not_found");
        }
        // A's own open count and B's item: the item is not found.
        let a_count = app.post("/api/v1/stock-counts", Some(at), json!({ "location_id": a_store })).await;
        let a_count = a_count.ok(201)["id"].as_str().unwrap().to_owned();
        app.call(Method::PUT, &format!("/api/v1/stock-counts/{a_count}/items/{b_item}"), Some(at), Some(json!({ "counted_quantity": 0 })))
            .await
            .problem(404, "not_found");

        // Lists and filters show A's rows only, even when asked for B's ids.
        for path in ["/api/v1/items", "/api/v1/locations", "/api/v1/stock/levels", "/api/v1/stock/movements", "/api/v1/stock-counts"] {
            let page = app.get(path, at).await;
            let text = page.ok(200).to_string();
            assert!(!text.contains(&b_item) && !text.contains(&b_shop) && !text.contains(&b_count), "{path}: {text}");
            assert!(!page.body["items"].as_array().unwrap().is_empty(), "{path} lists A's own rows");
        }
        for path in [format!("/api/v1/stock/levels?item_id={b_item}"), format!("/api/v1/stock/movements?location_id={b_shop}")] {
            assert!(app.get(&path, at).await.ok(200)["items"].as_array().unwrap().is_empty(), "{path}");
        }
        // B's stock and count are untouched.
        assert_eq!(level(&app, bt, &b_item, &b_shop).await, 5);
        assert_eq!(app.get(&format!("/api/v1/stock-counts/{b_count}"), bt).await.ok(200)["status"], "open");
        assert_eq!(app.get(&format!("/api/v1/locations/{b_shop}"), bt).await.ok(200)["name"], "Shop");
    }
);

db_test!(
    async fn every_role_gets_exactly_its_stock_permissions(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let admin = &t.admin.token;
        let shop = location(&app, admin, "Shop").await;
        let frame = item(&app, admin, "FR", 0).await;
        adjust(&app, admin, &frame, &shop, 1000).await.ok(201);
        for role in Role::ALL {
            let actor = if *role == Role::CompanyAdmin {
                t.admin.clone()
            } else {
                app.member(&t, &format!("as-{}", role.as_str().replace('_', "-")), role.as_str()).await
            };
            let n = Role::ALL.iter().position(|r| r == role).unwrap();
            let checks: Vec<(Action, Method, String, Option<Value>)> = vec![
                (Action::StockRead, Method::GET, "/api/v1/items".into(), None),
                (Action::StockRead, Method::GET, format!("/api/v1/items/{frame}"), None),
                (Action::StockRead, Method::GET, "/api/v1/locations".into(), None),
                (Action::StockRead, Method::GET, format!("/api/v1/locations/{shop}"), None),
                (Action::StockRead, Method::GET, "/api/v1/stock/levels".into(), None),
                (Action::StockRead, Method::GET, "/api/v1/stock/movements".into(), None),
                (Action::StockRead, Method::GET, "/api/v1/stock-counts".into(), None),
                (Action::StockWrite, Method::POST, "/api/v1/stock/adjustments".into(),
                    Some(json!({ "item_id": frame, "location_id": shop, "quantity": -1, "reason": "used" }))),
                (Action::PurchasingManage, Method::POST, "/api/v1/items".into(),
                    Some(json!({ "sku": format!("NEW-{n}"), "name": "N", "unit": "box", "reorder_point": 0 }))),
                (Action::PurchasingManage, Method::PUT, format!("/api/v1/items/{frame}"),
                    Some(json!({ "sku": "FR", "name": "Frame", "unit": "each", "reorder_point": 0 }))),
                (Action::PurchasingManage, Method::POST, "/api/v1/locations".into(), Some(json!({ "name": format!("Room {n}") }))),
                (Action::PurchasingManage, Method::PUT, format!("/api/v1/locations/{shop}"), Some(json!({ "name": "Shop" }))),
            ];
            for (action, method, path, body) in checks {
                let resp = app.call(method.clone(), &path, Some(&actor.token), body).await;
                if role.allows(action) {
                    assert!(resp.status < 300, "{role} should {action}: {method} {path} -> {} {}", resp.status, resp.body);
                } else {
                    resp.problem(403, "forbidden");
                }
            }
            // A count: opened, counted, finalised with stock:write; the override needs stock:override.
            let count = app.post("/api/v1/stock-counts", Some(&actor.token), json!({ "location_id": shop })).await;
            if !role.allows(Action::StockWrite) {
                count.problem(403, "forbidden");
                continue;
            }
            let id = count.ok(201)["id"].as_str().unwrap().to_owned();
            let put = app
                .call(Method::PUT, &format!("/api/v1/stock-counts/{id}/items/{frame}"), Some(&actor.token), Some(json!({ "counted_quantity": 900 })))
                .await;
            put.ok(200);
            adjust(&app, admin, &frame, &shop, 1).await.ok(201);
            let finalise = format!("/api/v1/stock-counts/{id}/finalise");
            app.post(&finalise, Some(&actor.token), json!({})).await.problem(409, "stock_moved_during_count");
            let overridden = app.post(&finalise, Some(&actor.token), json!({ "override": true })).await;
            if role.allows(Action::StockOverride) {
                overridden.ok(200);
            } else {
                overridden.problem(403, "forbidden");
                app.post(&format!("/api/v1/stock-counts/{id}/cancel"), Some(&actor.token), json!({})).await.ok(200);
            }
            adjust(&app, admin, &frame, &shop, 1000 - level(&app, admin, &frame, &shop).await).await;
        }
    }
);
