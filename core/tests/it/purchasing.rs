//! Purchasing: the global supplier directory and tenants' accounts, purchase orders through their
//! lifecycle (every invalid transition a 409), partial goods receipts that update stock and
//! status together, concurrent receipts, tenant isolation and roles.

use reqwest::Method;
use serde_json::{Value, json};

use ils_core::auth::permissions::{Action, Role};

use crate::harness::{TestApp, db_test};
use crate::stock::{events, item, level, location};

/// A new directory supplier with an account for the caller's tenant.
pub async fn supplier(app: &TestApp, token: &str, name: &str) -> String {
    let created = app.post("/api/v1/suppliers", Some(token), json!({ "name": name })).await;
    let id = created.ok(201)["id"].as_str().unwrap().to_owned();
    let account = json!({ "supplier_id": id, "account_number": "ACC-1", "payment_terms_days": 30 });
    app.post("/api/v1/supplier-accounts", Some(token), account).await.ok(201);
    id
}

fn order_body(supplier: &str, location: &str, lines: &[(&str, i64)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(item, q)| json!({ "item_id": item, "quantity": q, "unit_price_minor": 250 }))
        .collect();
    json!({ "supplier_id": supplier, "location_id": location, "currency": "GBP", "lines": lines })
}

/// A draft purchase order to a new supplier.
pub async fn draft_order(app: &TestApp, token: &str, location: &str, lines: &[(&str, i64)]) -> String {
    let supplier = supplier(app, token, &format!("Supplier {}", uuid::Uuid::new_v4())).await;
    let created =
        app.post("/api/v1/purchase-orders", Some(token), order_body(&supplier, location, lines)).await;
    created.ok(201)["id"].as_str().unwrap().to_owned()
}

/// A sent purchase order to a new supplier.
pub async fn sent_order(app: &TestApp, token: &str, location: &str, lines: &[(&str, i64)]) -> String {
    let id = draft_order(app, token, location, lines).await;
    app.post(&format!("/api/v1/purchase-orders/{id}/send"), Some(token), json!({})).await.ok(200);
    id
}

async fn open_account(
    app: &TestApp,
    token: &str,
    supplier: &str,
    number: &str,
    days: i64,
) -> crate::harness::Resp {
    let body = json!({ "supplier_id": supplier, "account_number": number, "payment_terms_days": days });
    app.post("/api/v1/supplier-accounts", Some(token), body).await
}

fn receipt(lines: &[(&str, i64)]) -> Value {
    let lines: Vec<Value> = lines.iter().map(|(item, q)| json!({ "item_id": item, "quantity": q })).collect();
    json!({ "lines": lines, "note": "DN-1" })
}

db_test!(
    async fn the_supplier_directory_is_shared_and_accounts_belong_to_each_tenant(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let body = json!({ "name": "Essilor  UK", "email": "Orders@Essilor.example", "website": "https://essilor.example" });
        let created = app.post("/api/v1/suppliers", Some(&a.admin.token), body).await.ok(201).clone();
        assert_eq!(created["email"], "orders@essilor.example");
        let id = created["id"].as_str().unwrap();
        // The same company, however it is spelled, is one directory entry.
        app.post("/api/v1/suppliers", Some(&b.admin.token), json!({ "name": "essilor uk" })).await.problem(409, "supplier_exists");
        app.post("/api/v1/suppliers", Some(&b.admin.token), json!({ "name": "" })).await.problem(422, "invalid_input");
        let found = app.get("/api/v1/suppliers?name=ESSI", &b.admin.token).await;
        assert_eq!(found.ok(200)["items"][0]["id"], id);
        assert!(app.get("/api/v1/suppliers?name=zeiss", &b.admin.token).await.ok(200)["items"].as_array().unwrap().is_empty());

        // Each tenant opens its own account, with its own number and terms.
        open_account(&app, &a.admin.token, id, "A-100", 30).await.ok(201);
        open_account(&app, &a.admin.token, id, "A-100", 30).await.problem(409, "supplier_account_exists");
        open_account(&app, &b.admin.token, id, "B-7", 366).await.problem(422, "invalid_input");
        let b_account = open_account(&app, &b.admin.token, id, "B-7", 60).await;
        assert_eq!(b_account.ok(201)["supplier"]["name"], "Essilor  UK");
        let unknown = json!({ "supplier_id": uuid::Uuid::now_v7(), "payment_terms_days": 0 });
        app.post("/api/v1/supplier-accounts", Some(&a.admin.token), unknown).await.problem(404, "not_found");

        let path = format!("/api/v1/supplier-accounts/{id}");
        let update = json!({ "account_number": "A-200", "payment_terms_days": 45, "notes": "Order by 3pm" });
        let updated = app.call(Method::PUT, &path, Some(&a.admin.token), Some(update)).await;
        assert_eq!((updated.ok(200)["account_number"].as_str(), updated.body["payment_terms_days"].as_i64()), (Some("A-200"), Some(45)));
        assert_eq!(app.get(&path, &b.admin.token).await.ok(200)["account_number"], "B-7", "B's account is its own");
        let a_accounts = app.get("/api/v1/supplier-accounts", &a.admin.token).await;
        let a_accounts = a_accounts.ok(200)["items"].as_array().unwrap().clone();
        assert_eq!(a_accounts.len(), 1);
        assert_eq!(a_accounts[0]["account_number"], "A-200");
        let audit = app.get("/api/v1/audit?action=supplier_account.updated", &a.admin.token).await;
        assert_eq!(audit.ok(200)["items"][0]["changes"]["payment_terms_days"], json!({ "from": 30, "to": 45 }));
    }
);

db_test!(
    async fn goods_receipts_add_stock_and_move_the_order_atomically(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let tech = app.member(&t, "tess", "lab_tech").await;
        let admin = t.admin.token.as_str();
        let store = location(&app, admin, "Store").await;
        let blank = item(&app, admin, "BLANK", 0).await;
        let frame = item(&app, admin, "FRAME", 0).await;
        let supplier = supplier(&app, admin, "Lens Co").await;

        let created = app.post("/api/v1/purchase-orders", Some(admin), order_body(&supplier, &store, &[(&blank, 10), (&frame, 4)])).await;
        let created = created.ok(201).clone();
        assert_eq!((created["number"].as_str(), created["status"].as_str()), (Some("PO-000001"), Some("draft")));
        assert_eq!(created["total_minor"], 14 * 250);
        let id = created["id"].as_str().unwrap().to_owned();
        // Drafts are editable.
        let edited = app
            .call(Method::PUT, &format!("/api/v1/purchase-orders/{id}"), Some(admin), Some(order_body(&supplier, &store, &[(&blank, 10), (&frame, 5)])))
            .await;
        assert_eq!(edited.ok(200)["lines"][1]["quantity"], 5);
        let sent = app.post(&format!("/api/v1/purchase-orders/{id}/send"), Some(admin), json!({})).await;
        assert!(sent.ok(200)["sent_at"].is_string());

        // A lab technician receives part of it: stock and status move together.
        let first = app.post(&format!("/api/v1/purchase-orders/{id}/receipts"), Some(&tech.token), receipt(&[(&blank, 6), (&frame, 5)])).await;
        assert_eq!(first.ok(201)["purchase_order_status"], "partially_received");
        assert_eq!(level(&app, admin, &blank, &store).await, 6);
        assert_eq!(level(&app, admin, &frame, &store).await, 5);
        let over = app.post(&format!("/api/v1/purchase-orders/{id}/receipts"), Some(&tech.token), receipt(&[(&blank, 5)])).await;
        over.problem(409, "over_receipt");
        assert!(over.body["detail"].as_str().unwrap().contains("Only 4 of BLANK"), "{}", over.body);
        let partly = app.post(&format!("/api/v1/purchase-orders/{id}/receipts"), Some(&tech.token), receipt(&[(&blank, 1)])).await;
        assert_eq!(partly.ok(201)["purchase_order_status"], "partially_received");
        let rest = app.post(&format!("/api/v1/purchase-orders/{id}/receipts"), Some(&tech.token), receipt(&[(&blank, 3)])).await;
        assert_eq!(rest.ok(201)["purchase_order_status"], "received");
        assert_eq!(level(&app, admin, &blank, &store).await, 10);
        let order = app.get(&format!("/api/v1/purchase-orders/{id}"), admin).await;
        let order = order.ok(200);
        assert!(order["closed_at"].is_string());
        let received: Vec<i64> = order["lines"].as_array().unwrap().iter().map(|l| l["received_quantity"].as_i64().unwrap()).collect();
        assert_eq!(received, vec![10, 5]);
        let receipts = app.get(&format!("/api/v1/purchase-orders/{id}/receipts"), admin).await;
        let receipts = receipts.ok(200).as_array().unwrap().clone();
        assert_eq!(receipts.len(), 3);
        assert_eq!(receipts[0]["lines"].as_array().unwrap().len(), 2);
        assert_eq!(receipts[0]["received_by"], tech.user_id);

        // Events: each receipt, and each status change (draft → sent → partially_received → received).
        let goods = events(&app, admin, "goods.received").await;
        assert_eq!(goods.len(), 3);
        assert_eq!(goods[0]["supplier_id"], supplier);
        assert_eq!(goods[0]["location_id"], store);
        assert_eq!(goods[2]["lines"], json!([{ "item_id": blank, "quantity": 3 }]));
        let moves: Vec<(String, String)> = events(&app, admin, "purchase_order.status_changed")
            .await
            .iter()
            .map(|e| (e["from"].as_str().unwrap().to_owned(), e["to"].as_str().unwrap().to_owned()))
            .collect();
        let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(moves, vec![pair("draft", "sent"), pair("sent", "partially_received"), pair("partially_received", "received")]);
        let audit = app.get("/api/v1/audit?action=goods.received", admin).await;
        assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 3);
        let ledger = app.get(&format!("/api/v1/stock/movements?item_id={blank}"), admin).await;
        assert!(ledger.ok(200)["items"].as_array().unwrap().iter().all(|m| m["kind"] == "receipt"));

        // Closing short: a partially received order may be cancelled, keeping what arrived.
        let short = sent_order(&app, admin, &store, &[(&frame, 4)]).await;
        app.post(&format!("/api/v1/purchase-orders/{short}/receipts"), Some(&tech.token), receipt(&[(&frame, 1)])).await.ok(201);
        let cancelled = app.post(&format!("/api/v1/purchase-orders/{short}/cancel"), Some(admin), json!({})).await;
        assert_eq!(cancelled.ok(200)["status"], "cancelled");
        assert_eq!(level(&app, admin, &frame, &store).await, 6);
        let listed = app.get("/api/v1/purchase-orders?status=cancelled", admin).await;
        assert_eq!(listed.ok(200)["items"].as_array().unwrap().len(), 1);
        assert_eq!(listed.body["items"][0]["number"], "PO-000002");
    }
);

db_test!(
    async fn purchase_orders_are_checked_before_they_are_raised(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let other = app.tenant("other").await;
        let admin = t.admin.token.as_str();
        let store = location(&app, admin, "Store").await;
        let blank = item(&app, admin, "BLANK", 0).await;
        let supplier = supplier(&app, admin, "Lens Co").await;
        let cases: Vec<(Value, &str)> = vec![
            (order_body(&supplier, &store, &[]), "lines"),
            (order_body(&supplier, &store, &[(&blank, 0)]), "lines[0].quantity"),
            (order_body(&supplier, &store, &[(&blank, 1), (&blank, 2)]), "lines[1].item_id"),
            ({ let mut b = order_body(&supplier, &store, &[(&blank, 1)]); b["currency"] = json!("pounds"); b }, "currency"),
            ({ let mut b = order_body(&supplier, &store, &[(&blank, 1)]); b["lines"][0]["unit_price_minor"] = json!(-1); b }, "lines[0].unit_price_minor"),
            // Three letters are not enough: the code must be one ISO 4217 lists.
            ({ let mut b = order_body(&supplier, &store, &[(&blank, 1)]); b["currency"] = json!("XYZ"); b }, "currency"),
            ({ let mut b = order_body(&supplier, &store, &[(&blank, 1)]); b["lines"][0]["unit_price_minor"] = json!(i64::MAX); b }, "lines[0].unit_price_minor"),
            // Ids are written in their canonical form.
            ({ let mut b = order_body(&supplier, &store, &[(&blank, 1)]); b["location_id"] = json!(store.replace('-', "")); b }, "location_id"),
            ({ let mut b = order_body(&supplier, &store, &[(&blank, 1)]); b["lines"][0]["item_id"] = json!(format!("{{{blank}}}")); b }, "lines[0].item_id"),
            // Control characters in free text, named by field.
            ({ let mut b = order_body(&supplier, &store, &[(&blank, 1)]); b["notes"] = json!("deliver\u{0}to the back"); b }, "notes"),
        ];
        for (body, field) in cases {
            let resp = app.post("/api/v1/purchase-orders", Some(admin), body).await;
            resp.problem(422, "invalid_input");
            assert_eq!(resp.body["errors"][0]["field"], field);
        }
        // A supplier in the directory without an account, and another tenant's item: not found.
        let unlinked = app.post("/api/v1/suppliers", Some(&other.admin.token), json!({ "name": "Far Away" })).await;
        let unlinked = unlinked.ok(201)["id"].as_str().unwrap().to_owned();
        app.post("/api/v1/purchase-orders", Some(admin), order_body(&unlinked, &store, &[(&blank, 1)])).await.problem(404, "not_found");
        let foreign = item(&app, &other.admin.token, "THEIRS", 0).await;
        app.post("/api/v1/purchase-orders", Some(admin), order_body(&supplier, &store, &[(&foreign, 1)])).await.problem(404, "not_found");
        // Receipts must name items of the order, once each.
        let order = sent_order(&app, admin, &store, &[(&blank, 2)]).await;
        let other_item = item(&app, admin, "OTHER", 0).await;
        let url = format!("/api/v1/purchase-orders/{order}/receipts");
        let not_on_order = app.post(&url, Some(admin), receipt(&[(&other_item, 1)])).await;
        not_on_order.problem(422, "invalid_input");
        assert_eq!(not_on_order.body["errors"][0]["field"], "lines[0].item_id");
        app.post(&url, Some(admin), receipt(&[(&blank, 1), (&blank, 1)])).await.problem(422, "invalid_input");
        app.post(&url, Some(admin), receipt(&[(&blank, 0)])).await.problem(422, "invalid_input");
        app.post(&url, Some(admin), receipt(&[])).await.problem(422, "invalid_input");
        assert_eq!(level(&app, admin, &blank, &store).await, 0, "nothing received by refused receipts");
    }
);

db_test!(
    async fn every_invalid_purchase_order_transition_answers_409(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let admin = t.admin.token.as_str();
        let store = location(&app, admin, "Store").await;
        let blank = item(&app, admin, "BLANK", 0).await;
        let lines = [(blank.as_str(), 4)];
        // One order in each status.
        let draft = draft_order(&app, admin, &store, &lines).await;
        let sent = sent_order(&app, admin, &store, &lines).await;
        let partial = sent_order(&app, admin, &store, &lines).await;
        app.post(&format!("/api/v1/purchase-orders/{partial}/receipts"), Some(admin), receipt(&[(&blank, 1)])).await.ok(201);
        let received = sent_order(&app, admin, &store, &lines).await;
        app.post(&format!("/api/v1/purchase-orders/{received}/receipts"), Some(admin), receipt(&[(&blank, 4)])).await.ok(201);
        let cancelled = draft_order(&app, admin, &store, &lines).await;
        app.post(&format!("/api/v1/purchase-orders/{cancelled}/cancel"), Some(admin), json!({})).await.ok(200);
        let orders = [
            ("draft", &draft),
            ("sent", &sent),
            ("partially_received", &partial),
            ("received", &received),
            ("cancelled", &cancelled),
        ];
        for (status, id) in &orders {
            let order = app.get(&format!("/api/v1/purchase-orders/{id}"), admin).await;
            assert_eq!(order.ok(200)["status"], *status);
        }
        let supplier = app.get(&format!("/api/v1/purchase-orders/{draft}"), admin).await.ok(200)["supplier_id"].as_str().unwrap().to_owned();

        // Every request that would be a transition the machine does not allow, from every status.
        let invalid: &[(&str, &str, &str)] = &[
            ("sent", "send", "invalid_transition"),
            ("partially_received", "send", "invalid_transition"),
            ("received", "send", "invalid_transition"),
            ("cancelled", "send", "invalid_transition"),
            ("received", "cancel", "invalid_transition"),
            ("cancelled", "cancel", "invalid_transition"),
            ("draft", "receive", "purchase_order_not_receivable"),
            ("received", "receive", "purchase_order_not_receivable"),
            ("cancelled", "receive", "purchase_order_not_receivable"),
            ("sent", "edit", "purchase_order_not_editable"),
            ("partially_received", "edit", "purchase_order_not_editable"),
            ("received", "edit", "purchase_order_not_editable"),
            ("cancelled", "edit", "purchase_order_not_editable"),
        ];
        for (status, action, code) in invalid {
            let id = orders.iter().find(|(s, _)| s == status).unwrap().1;
            let resp = match *action {
                "send" | "cancel" => app.post(&format!("/api/v1/purchase-orders/{id}/{action}"), Some(admin), json!({})).await,
                "receive" => app.post(&format!("/api/v1/purchase-orders/{id}/receipts"), Some(admin), receipt(&[(&blank, 1)])).await,
                _ => {
                    let body = order_body(&supplier, &store, &[(&blank, 9)]);
                    app.call(Method::PUT, &format!("/api/v1/purchase-orders/{id}"), Some(admin), Some(body)).await
                }
            };
            resp.problem(409, code);
        }
        // Nothing moved: each order is still where it was, with the stock of the two receipts.
        for (status, id) in &orders {
            let order = app.get(&format!("/api/v1/purchase-orders/{id}"), admin).await;
            assert_eq!(order.ok(200)["status"], *status, "{id}");
            assert_eq!(order.body["lines"][0]["quantity"], 4);
        }
        assert_eq!(level(&app, admin, &blank, &store).await, 5);
        // And the valid ones from the open statuses still work.
        app.post(&format!("/api/v1/purchase-orders/{sent}/cancel"), Some(admin), json!({})).await.ok(200);
        app.post(&format!("/api/v1/purchase-orders/{draft}/send"), Some(admin), json!({})).await.ok(200);
    }
);

db_test!(
    async fn concurrent_receipts_never_receive_more_than_was_ordered(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let token = t.admin.token.clone();
        let store = location(&app, &token, "Store").await;
        let blank = item(&app, &token, "BLANK", 0).await;
        let lens = item(&app, &token, "LENS", 0).await;
        let order = sent_order(&app, &token, &store, &[(&blank, 10), (&lens, 6)]).await;

        // 12 clients at once, each receiving 2 blanks and 1 lens: only 5 deliveries fit.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let client = crate::harness::http(std::time::Duration::from_secs(60));
            let url = format!("{}/api/v1/purchase-orders/{order}/receipts", app.base);
            let (token, body) = (token.clone(), receipt(&[(&blank, 2), (&lens, 1)]));
            tasks.spawn(async move {
                TestApp::read(client.post(url).bearer_auth(token).json(&body).send().await.unwrap()).await
            });
        }
        let (mut accepted, mut refused) = (0, 0);
        while let Some(done) = tasks.join_next().await {
            let resp = done.unwrap();
            if resp.status == 201 {
                accepted += 1;
            } else {
                resp.problem(409, "over_receipt");
                refused += 1;
            }
        }
        assert_eq!((accepted, refused), (5, 7));
        assert_eq!(level(&app, &token, &blank, &store).await, 10);
        assert_eq!(level(&app, &token, &lens, &store).await, 5);
        let order = app.get(&format!("/api/v1/purchase-orders/{order}"), &token).await;
        let order = order.ok(200);
        assert_eq!(order["status"], "partially_received", "one lens is still outstanding");
        assert_eq!(order["lines"][0]["received_quantity"], 10);
        assert_eq!(events(&app, &token, "goods.received").await.len(), 5);
        let moves = events(&app, &token, "purchase_order.status_changed").await;
        assert_eq!(moves.len(), 2, "sent, then partially_received once: {moves:?}");
    }
);

db_test!(
    async fn another_tenants_purchasing_answers_404_and_lists_show_only_ones_own(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let bt = &b.admin.token;
        let b_store = location(&app, bt, "Store").await;
        let b_item = item(&app, bt, "SECRET", 0).await;
        let b_order = sent_order(&app, bt, &b_store, &[(&b_item, 5)]).await;
        let b_draft = draft_order(&app, bt, &b_store, &[(&b_item, 5)]).await;
        let b_supplier = app.get(&format!("/api/v1/purchase-orders/{b_order}"), bt).await.ok(200)["supplier_id"].as_str().unwrap().to_owned();

        let at = &a.admin.token;
        let a_store = location(&app, at, "Store").await;
        let a_item = item(&app, at, "MINE", 0).await;
        let a_order = sent_order(&app, at, &a_store, &[(&a_item, 5)]).await;
        let a_supplier = app.get(&format!("/api/v1/purchase-orders/{a_order}"), at).await.ok(200)["supplier_id"].as_str().unwrap().to_owned();
        let probes: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, format!("/api/v1/supplier-accounts/{b_supplier}"), None),
            (Method::PUT, format!("/api/v1/supplier-accounts/{b_supplier}"), Some(json!({ "payment_terms_days": 0 }))),
            (Method::GET, format!("/api/v1/purchase-orders/{b_order}"), None),
            (Method::PUT, format!("/api/v1/purchase-orders/{b_draft}"), Some(order_body(&a_supplier, &a_store, &[(&a_item, 1)]))),
            (Method::POST, format!("/api/v1/purchase-orders/{b_draft}/send"), Some(json!({}))),
            (Method::POST, format!("/api/v1/purchase-orders/{b_order}/cancel"), Some(json!({}))),
            (Method::POST, format!("/api/v1/purchase-orders/{b_order}/receipts"), Some(receipt(&[(&b_item, 1)]))),
            (Method::GET, format!("/api/v1/purchase-orders/{b_order}/receipts"), None),
            // B's supplier account, location or item inside A's own order.
            (Method::POST, "/api/v1/purchase-orders".into(), Some(order_body(&b_supplier, &a_store, &[(&a_item, 1)]))),
            (Method::POST, "/api/v1/purchase-orders".into(), Some(order_body(&a_supplier, &b_store, &[(&a_item, 1)]))),
            (Method::POST, "/api/v1/purchase-orders".into(), Some(order_body(&a_supplier, &a_store, &[(&b_item, 1)]))),
        ];
        for (method, path, body) in probes {
            app.call(method.clone(), &path, Some(at), body).await.problem(404, "not_found");
        }
        // The directory entry itself is shared by design; the account behind it is not.
        assert_eq!(app.get(&format!("/api/v1/suppliers/{b_supplier}"), at).await.ok(200)["id"], b_supplier.as_str());
        for path in ["/api/v1/purchase-orders", "/api/v1/supplier-accounts"] {
            let page = app.get(path, at).await;
            let text = page.ok(200).to_string();
            assert!(!text.contains(&b_order) && !text.contains(&b_supplier) && !text.contains(&b_item), "{path}: {text}");
            assert_eq!(page.body["items"].as_array().unwrap().len(), 1, "{path} lists A's own");
        }
        let filtered = app.get(&format!("/api/v1/purchase-orders?supplier_id={b_supplier}"), at).await;
        assert!(filtered.ok(200)["items"].as_array().unwrap().is_empty());
        let b_view = app.get(&format!("/api/v1/purchase-orders/{b_draft}"), bt).await;
        assert_eq!(b_view.ok(200)["status"], "draft");
        assert_eq!(app.get(&format!("/api/v1/purchase-orders/{b_order}"), bt).await.ok(200)["status"], "sent");
        assert_eq!(level(&app, bt, &b_item, &b_store).await, 0);
    }
);

db_test!(
    async fn every_role_gets_exactly_its_purchasing_permissions(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let admin = &t.admin.token;
        let store = location(&app, admin, "Store").await;
        let blank = item(&app, admin, "BLANK", 0).await;
        let supplier = supplier(&app, admin, "Lens Co").await;
        let order = sent_order(&app, admin, &store, &[(&blank, 1000)]).await;
        for role in Role::ALL {
            let actor = if *role == Role::CompanyAdmin {
                t.admin.clone()
            } else {
                app.member(&t, &format!("as-{}", role.as_str().replace('_', "-")), role.as_str()).await
            };
            let n = Role::ALL.iter().position(|r| r == role).unwrap();
            let draft = draft_order(&app, admin, &store, &[(&blank, 1)]).await;
            let draft_supplier = app.get(&format!("/api/v1/purchase-orders/{draft}"), admin).await.ok(200)["supplier_id"].as_str().unwrap().to_owned();
            let other = draft_order(&app, admin, &store, &[(&blank, 1)]).await;
            let directory_only = app.post("/api/v1/suppliers", Some(admin), json!({ "name": format!("Directory {n}") })).await;
            let directory_only = directory_only.ok(201)["id"].as_str().unwrap().to_owned();
            let checks: Vec<(Action, Method, String, Option<Value>)> = vec![
                (Action::StockRead, Method::GET, "/api/v1/suppliers".into(), None),
                (Action::StockRead, Method::GET, format!("/api/v1/suppliers/{supplier}"), None),
                (Action::StockRead, Method::GET, "/api/v1/supplier-accounts".into(), None),
                (Action::StockRead, Method::GET, format!("/api/v1/supplier-accounts/{supplier}"), None),
                (Action::StockRead, Method::GET, "/api/v1/purchase-orders".into(), None),
                (Action::StockRead, Method::GET, format!("/api/v1/purchase-orders/{order}"), None),
                (Action::StockRead, Method::GET, format!("/api/v1/purchase-orders/{order}/receipts"), None),
                (Action::StockWrite, Method::POST, format!("/api/v1/purchase-orders/{order}/receipts"), Some(receipt(&[(&blank, 1)]))),
                (Action::PurchasingManage, Method::POST, "/api/v1/suppliers".into(), Some(json!({ "name": format!("New {n}") }))),
                (Action::PurchasingManage, Method::POST, "/api/v1/supplier-accounts".into(),
                    Some(json!({ "supplier_id": directory_only, "payment_terms_days": 30 }))),
                (Action::PurchasingManage, Method::PUT, format!("/api/v1/supplier-accounts/{supplier}"), Some(json!({ "payment_terms_days": 30 }))),
                (Action::PurchasingManage, Method::POST, "/api/v1/purchase-orders".into(), Some(order_body(&supplier, &store, &[(&blank, 1)]))),
                (Action::PurchasingManage, Method::PUT, format!("/api/v1/purchase-orders/{draft}"),
                    Some(order_body(&draft_supplier, &store, &[(&blank, 2)]))),
                (Action::PurchasingManage, Method::POST, format!("/api/v1/purchase-orders/{draft}/send"), Some(json!({}))),
                (Action::PurchasingManage, Method::POST, format!("/api/v1/purchase-orders/{other}/cancel"), Some(json!({}))),
            ];
            for (action, method, path, body) in checks {
                let resp = app.call(method.clone(), &path, Some(&actor.token), body).await;
                if role.allows(action) {
                    assert!(resp.status < 300, "{role} should {action}: {method} {path} -> {} {}", resp.status, resp.body);
                } else {
                    resp.problem(403, "forbidden");
                }
            }
        }
    }
);
