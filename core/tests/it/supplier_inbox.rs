//! Suppliers on ILS (docs/adr/042-supplier-inbox.md): once a platform admin links a directory
//! supplier to the supplier's own tenant, a purchase order sent to it arrives in that tenant's
//! inbox — once, with its lines and PDF, and not by e-mail — the supplier acknowledges it and the
//! buyer sees that; nobody else sees any of it.

use serde_json::{Value, json};

use ils_tenancy::tenants::TenantKind;

use crate::fakes::SmtpSink;
use crate::files::{Auth, download};
use crate::harness::{Backend, Tenant, TestApp, db_test};
use crate::pdf::read_pdf;
use crate::stock::location;

/// The buyer's supplier "Lensco Ltd" (orders e-mail `orders@lensco.example`) with an account.
async fn lensco(app: &TestApp, buyer: &Tenant) -> String {
    let token = &buyer.admin.token;
    let body = json!({ "name": "Lensco Ltd", "email": "orders@lensco.example" });
    let id =
        app.post("/api/v1/suppliers", Some(token), body).await.ok(201)["id"].as_str().unwrap().to_owned();
    let account = json!({ "supplier_id": id, "account_number": "NG-4471", "payment_terms_days": 30 });
    app.post("/api/v1/supplier-accounts", Some(token), account).await.ok(201);
    id
}

/// A sent order of two lens lines (4 × £12.50 and 2 × £18.40) to `supplier`; answers its id and
/// number.
async fn send_order(app: &TestApp, buyer: &Tenant, supplier: &str) -> (String, String) {
    let token = &buyer.admin.token;
    let shop = location(app, token, "Leeds shop").await;
    let mut lines = Vec::new();
    for (sku, name, quantity, price) in [
        ("SV-150-AR", "Single vision 1.50 AR", 4, 1250),
        ("PRG-167-BLUE", "Progressive 1.67 blue cut", 2, 1840),
    ] {
        let item = json!({ "sku": sku, "name": name, "unit": "pair", "reorder_point": 0 });
        let item =
            app.post("/api/v1/items", Some(token), item).await.ok(201)["id"].as_str().unwrap().to_owned();
        lines.push(json!({ "item_id": item, "quantity": quantity, "unit_price_minor": price }));
    }
    let body = json!({ "supplier_id": supplier, "location_id": shop, "currency": "GBP",
                       "notes": "Deliver before Friday", "lines": lines });
    let order = app.post("/api/v1/purchase-orders", Some(token), body).await.ok(201).clone();
    let id = order["id"].as_str().unwrap().to_owned();
    let sent = app.post(&format!("/api/v1/purchase-orders/{id}/send"), Some(token), json!({})).await;
    assert_eq!(sent.ok(200)["status"], "sent");
    (id, order["number"].as_str().unwrap().to_owned())
}

/// The order once its latest delivery is no longer queued.
async fn settled(app: &TestApp, token: &str, id: &str) -> Value {
    TestApp::eventually(30, || async {
        let order = app.get(&format!("/api/v1/purchase-orders/{id}"), token).await.ok(200).clone();
        (order["delivery"]["status"] != "queued").then_some(order)
    })
    .await
}

/// How many e-mails went to Lensco's orders address.
fn mails_to_lensco(sink: &SmtpSink) -> usize {
    sink.mails().iter().filter(|m| m.to.iter().any(|t| t.contains("orders@lensco.example"))).count()
}

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().expect("items").clone()
}

db_test!(
    async fn a_purchase_order_to_a_supplier_on_ils_arrives_in_its_inbox_once_and_not_by_email(backend) {
        let sink = SmtpSink::start(false).await;
        let app = TestApp::with_mail(backend, &sink).await;
        let buyer = app.tenant_of_kind("northgate", TenantKind::Ecp).await;
        let supplier = app.tenant_of_kind("lensco", TenantKind::Supplier).await;
        let lab = app.tenant("elsewhere").await;
        let root = app.platform_admin().await.0.token;
        let entry = lensco(&app, &buyer).await;

        // Only platform admins see the directory and link an entry, and only to a supplier's
        // tenant that no other entry has.
        let link = format!("/api/v1/platform/suppliers/{entry}/tenant");
        let to_lensco = json!({ "tenant_id": supplier.id });
        app.put(&link, &buyer.admin.token, to_lensco.clone()).await.problem(403, "platform_admin_required");
        app.put(&link, &supplier.admin.token, to_lensco.clone()).await.problem(403, "platform_admin_required");
        app.get("/api/v1/platform/suppliers", &buyer.admin.token).await.problem(403, "platform_admin_required");
        app.put(&link, &root, json!({ "tenant_id": lab.id })).await.problem(422, "tenant_not_a_supplier");
        let nobody = "0191f2a4-0000-7000-8000-000000000000";
        app.put(&link, &root, json!({ "tenant_id": nobody })).await.problem(422, "invalid_input");
        let unknown = format!("/api/v1/platform/suppliers/{nobody}/tenant");
        app.put(&unknown, &root, to_lensco.clone()).await.problem(404, "not_found");
        let linked = app.put(&link, &root, to_lensco.clone()).await.ok(200).clone();
        assert_eq!(linked["tenant"]["slug"], "lensco");
        assert_eq!((linked["on_ils"].as_bool(), linked["accounts"].as_i64()), (Some(true), Some(1)));
        let other = app.post("/api/v1/suppliers", Some(&buyer.admin.token), json!({ "name": "Lensco Two" })).await;
        let other = other.ok(201)["id"].as_str().unwrap().to_owned();
        app.put(&format!("/api/v1/platform/suppliers/{other}/tenant"), &root, to_lensco.clone())
            .await
            .problem(409, "supplier_tenant_taken");
        let listed = app.get("/api/v1/platform/suppliers?name=lensco", &root).await.ok(200).clone();
        let slugs: Vec<Value> = items(&listed).iter().map(|e| e["tenant"]["slug"].clone()).collect();
        assert_eq!(slugs, [json!("lensco"), Value::Null]);
        let audit = app.get(&format!("/api/v1/platform/audit?action=supplier.linked&entity_id={entry}"), &root).await;
        assert_eq!(items(audit.ok(200)).len(), 1, "linking is in the platform audit");

        // The buyer sees that the supplier is on ILS, and its order goes there.
        let seen = app.get(&format!("/api/v1/suppliers/{entry}"), &buyer.admin.token).await;
        assert_eq!(seen.ok(200)["on_ils"], true);
        let (order_id, number) = send_order(&app, &buyer, &entry).await;
        let order = settled(&app, &buyer.admin.token, &order_id).await;
        let delivery = order["delivery"].clone();
        assert_eq!(
            (delivery["status"].as_str(), delivery["channel"].as_str(), &delivery["to_address"]),
            (Some("delivered"), Some("ils"), &Value::Null),
            "{delivery}"
        );
        assert!(delivery["acknowledged_at"].is_null());
        assert!(delivery.get("to_tenant_id").is_none(), "the supplier's tenant id is not the buyer's business");
        assert_eq!(mails_to_lensco(&sink), 0, "nothing was e-mailed");

        // The supplier's inbox has it, as the buyer's letterhead and lines said.
        let token = &supplier.admin.token;
        let inbox = items(app.get("/api/v1/received-purchase-orders", token).await.ok(200));
        assert_eq!(inbox.len(), 1, "{inbox:?}");
        let received = &inbox[0];
        assert_eq!(received["number"], number.as_str());
        assert_eq!(received["buyer"]["name"], "Tenant northgate");
        assert_eq!(received["account_number"], "NG-4471");
        assert_eq!(received["deliver_to"], "Leeds shop");
        assert_eq!(received["notes"], "Deliver before Friday");
        assert_eq!((received["total_minor"].as_i64(), received["currency"].as_str()), (Some(8680), Some("GBP")));
        assert_eq!((received["status"].as_str(), received["sent_again"].as_bool()), (Some("new"), Some(false)));
        let skus: Vec<&str> = received["lines"].as_array().unwrap().iter().map(|l| l["sku"].as_str().unwrap()).collect();
        assert_eq!(skus, ["SV-150-AR", "PRG-167-BLUE"]);
        assert_eq!(received["lines"][0]["quantity"], 4);
        let received_id = received["id"].as_str().unwrap().to_owned();

        // Its PDF is the supplier's own file; the buyer's copy stays the buyer's.
        let file = received["file_id"].as_str().expect("the PDF came too");
        let (status, _, pdf) = download(&app, file, Auth::Bearer(token)).await;
        assert_eq!(status.as_u16(), 200);
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(text) = read_pdf(&pdf, "received-purchase-order") {
            for expected in [number.as_str(), "Tenant northgate", "Lensco Ltd", "NG-4471", "SV-150-AR", "86.80"] {
                assert!(text.contains(expected), "the PDF lacks {expected:?}:\n{text}");
            }
        }
        assert_eq!(download(&app, file, Auth::Bearer(&buyer.admin.token)).await.0.as_u16(), 404);
        let buyers_file = delivery["file_id"].as_str().unwrap();
        assert_eq!(download(&app, buyers_file, Auth::Bearer(token)).await.0.as_u16(), 404);

        // Nobody else reads or acknowledges it: not the buyer, not a third tenant.
        let one = format!("/api/v1/received-purchase-orders/{received_id}");
        let ack = format!("{one}/acknowledge");
        for outsider in [&buyer.admin.token, &lab.admin.token] {
            app.get(&one, outsider).await.problem(404, "not_found");
            app.post(&ack, Some(outsider), json!({})).await.problem(404, "not_found");
            assert!(items(app.get("/api/v1/received-purchase-orders", outsider).await.ok(200)).is_empty());
        }
        // Practice staff have no inbox; the supplier's staff have.
        let dispenser = app.member(&buyer, "dana", "dispenser").await;
        app.get("/api/v1/received-purchase-orders", &dispenser.token).await.problem(403, "forbidden");
        let clerk = app.member(&supplier, "sam", "supplier").await;
        assert_eq!(app.get(&one, &clerk.token).await.ok(200)["number"], number.as_str());

        // The supplier's audit log and events have its arrival.
        let audit = app.get("/api/v1/audit?action=purchase_order.received", token).await;
        assert_eq!(items(audit.ok(200)).len(), 1);
        let events = app.get("/api/v1/events?type=purchase_order.received", token).await;
        let events = items(events.ok(200));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["data"]["number"], number.as_str());
        let buyer_events = app.get("/api/v1/events?type=purchase_order.received", &buyer.admin.token).await;
        assert!(items(buyer_events.ok(200)).is_empty(), "the buyer has no such event");

        // Acknowledged by the supplier's clerk: the buyer's delivery shows when.
        let acknowledged = app.post(&ack, Some(&clerk.token), json!({})).await.ok(200).clone();
        assert_eq!(acknowledged["status"], "acknowledged");
        assert!(acknowledged["acknowledged_at"].is_string());
        let again = app.post(&ack, Some(token), json!({})).await.ok(200).clone();
        assert_eq!(again["acknowledged_at"], acknowledged["acknowledged_at"], "the first acknowledgement counts");
        let order = app.get(&format!("/api/v1/purchase-orders/{order_id}"), &buyer.admin.token).await.ok(200).clone();
        assert!(order["delivery"]["acknowledged_at"].is_string(), "{order}");
        let path = format!("/api/v1/audit?entity_id={order_id}&action=purchase_order.acknowledged_by_supplier");
        assert_eq!(items(app.get(&path, &buyer.admin.token).await.ok(200)).len(), 1);
        let new_only = app.get("/api/v1/received-purchase-orders?status=new", token).await;
        assert!(items(new_only.ok(200)).is_empty());

        // Sent again: a second arrival, marked as such.
        let path = format!("/api/v1/purchase-orders/{order_id}/send-again");
        app.post(&path, Some(&buyer.admin.token), json!({})).await.ok(200);
        settled(&app, &buyer.admin.token, &order_id).await;
        let inbox = items(app.get("/api/v1/received-purchase-orders", token).await.ok(200));
        assert_eq!(inbox.len(), 2);
        assert_eq!((inbox[0]["sent_again"].as_bool(), inbox[0]["status"].as_str()), (Some(true), Some("new")));

        // Unlinked, the supplier's orders are e-mailed again.
        let unlinked = app.delete(&link, &root).await.ok(200).clone();
        assert!(unlinked["tenant"].is_null());
        let (next, _) = send_order_again_from_scratch(&app, &buyer, &entry).await;
        let order = settled(&app, &buyer.admin.token, &next).await;
        assert_eq!(order["delivery"]["channel"], "email");
        assert_eq!(order["delivery"]["status"], "delivered");
        assert_eq!(mails_to_lensco(&sink), 1);
        assert_eq!(items(app.get("/api/v1/received-purchase-orders", token).await.ok(200)).len(), 2);
    }
);

/// Another order to `supplier`, of a new item (the first order's items exist already).
async fn send_order_again_from_scratch(app: &TestApp, buyer: &Tenant, supplier: &str) -> (String, String) {
    let token = &buyer.admin.token;
    let shop =
        app.get("/api/v1/locations", token).await.ok(200)["items"][0]["id"].as_str().unwrap().to_owned();
    let item = json!({ "sku": "CASE-01", "name": "Spectacle case", "unit": "each", "reorder_point": 0 });
    let item = app.post("/api/v1/items", Some(token), item).await.ok(201)["id"].as_str().unwrap().to_owned();
    let body = json!({ "supplier_id": supplier, "location_id": shop, "currency": "GBP",
                       "lines": [{ "item_id": item, "quantity": 10, "unit_price_minor": 150 }] });
    let order = app.post("/api/v1/purchase-orders", Some(token), body).await.ok(201).clone();
    let id = order["id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/purchase-orders/{id}/send"), Some(token), json!({})).await.ok(200);
    (id, order["number"].as_str().unwrap().to_owned())
}

db_test!(
    async fn a_delivery_cut_off_after_it_arrived_is_not_received_twice(backend) {
        // The job puts the order in the inbox, then marks the delivery delivered, in two
        // transactions. A process killed between the two leaves the delivery queued and its job
        // to be rescued: run again, it must find the order already in the inbox.
        let app = TestApp::spawn(backend).await;
        let buyer = app.tenant_of_kind("northgate", TenantKind::Ecp).await;
        let supplier = app.tenant_of_kind("lensco", TenantKind::Supplier).await;
        let root = app.platform_admin().await.0.token;
        let entry = lensco(&app, &buyer).await;
        let to_lensco = json!({ "tenant_id": supplier.id });
        app.put(&format!("/api/v1/platform/suppliers/{entry}/tenant"), &root, to_lensco).await.ok(200);
        let (order_id, _) = send_order(&app, &buyer, &entry).await;
        let order = settled(&app, &buyer.admin.token, &order_id).await;
        assert_eq!(order["delivery"]["status"], "delivered", "{order}");
        assert!(app.state.mailer.is_none(), "an installation without e-mail still delivers to ILS inboxes");

        // As if the process had died after the inbox committed: the delivery is queued again.
        let delivery = order["delivery"]["id"].as_str().unwrap();
        let sql = format!(
            "UPDATE purchase_order_deliveries SET status = 'queued', delivered_at = NULL WHERE id = {}",
            match backend {
                Backend::Postgres => format!("'{delivery}'"),
                Backend::Sqlite => format!("X'{}'", delivery.replace('-', "")),
            }
        );
        assert_eq!(app.owner_execute(Box::leak(sql.into_boxed_str())).await.unwrap(), 1);
        let jobs = app.get("/api/v1/platform/jobs?kind=send_purchase_order&state=completed", &root).await;
        let job = jobs.ok(200)[0]["id"].as_i64().expect("the completed job");
        app.post(&format!("/api/v1/platform/jobs/{job}/retry"), Some(&root), json!({})).await.ok(200);

        let order = settled(&app, &buyer.admin.token, &order_id).await;
        assert_eq!(order["delivery"]["status"], "delivered");
        let inbox = items(app.get("/api/v1/received-purchase-orders", &supplier.admin.token).await.ok(200));
        assert_eq!(inbox.len(), 1, "received once: {inbox:?}");
        let files = app.get("/api/v1/files", &supplier.admin.token).await.ok(200).clone();
        assert_eq!(items(&files).len(), 1, "one PDF in the supplier's files: {files}");
    }
);
