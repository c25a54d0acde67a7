//! Purchase orders reach their suppliers (docs/adr/038-purchase-orders-to-suppliers.md): sending
//! an order e-mails the supplier's orders address once, with the order as a PDF a reader can read,
//! kept in the tenant's files; refusals are retried and then shown as failed; a supplier without
//! an address, or an installation without e-mail, says so; another tenant sees none of it.
//! The killed-process case is in `processes.rs`.

use serde_json::{Value, json};

use crate::fakes::{Mail, SmtpSink};
use crate::files::{Auth, download};
use crate::harness::{TestApp, db_test};
use crate::pdf::read_pdf;
use crate::stock::location;

/// A supplier with `email` in the directory and an account for the caller's tenant.
async fn supplier_with(app: &TestApp, token: &str, name: &str, email: Option<&str>) -> String {
    let created = app.post("/api/v1/suppliers", Some(token), json!({ "name": name, "email": email })).await;
    let id = created.ok(201)["id"].as_str().unwrap().to_owned();
    let account = json!({ "supplier_id": id, "account_number": "NG-4471", "payment_terms_days": 30 });
    app.post("/api/v1/supplier-accounts", Some(token), account).await.ok(201);
    id
}

/// Two lens items of the tenant: 4 pairs at £12.50 and 2 at £18.40 make a draft's lines.
async fn lenses(app: &TestApp, token: &str) -> Vec<Value> {
    let mut lines = Vec::new();
    for (sku, name, quantity, price) in [
        ("SV-150-AR", "Single vision 1.50 AR", 4, 1250),
        ("PRG-167-BLUE", "Progressive 1.67 blue cut", 2, 1840),
    ] {
        let body = json!({ "sku": sku, "name": name, "unit": "pair", "reorder_point": 0 });
        let item =
            app.post("/api/v1/items", Some(token), body).await.ok(201)["id"].as_str().unwrap().to_owned();
        lines.push(json!({ "item_id": item, "quantity": quantity, "unit_price_minor": price }));
    }
    lines
}

/// A draft to `supplier` of `lines`, delivered to `location`.
async fn draft(app: &TestApp, token: &str, supplier: &str, location: &str, lines: &[Value]) -> Value {
    let body = json!({ "supplier_id": supplier, "location_id": location, "currency": "GBP",
                       "notes": "Deliver before Friday", "lines": lines });
    app.post("/api/v1/purchase-orders", Some(token), body).await.ok(201).clone()
}

/// The order once its latest delivery is no longer queued.
async fn settled(app: &TestApp, token: &str, id: &str) -> Value {
    TestApp::eventually(30, || async {
        let order = app.get(&format!("/api/v1/purchase-orders/{id}"), token).await.ok(200).clone();
        (order["delivery"]["status"] != "queued").then_some(order)
    })
    .await
}

/// The order once the PDF of its latest delivery is kept (for printing); checks it downloads.
async fn printable(app: &TestApp, token: &str, id: &str) -> Value {
    let order = TestApp::eventually(30, || async {
        let order = app.get(&format!("/api/v1/purchase-orders/{id}"), token).await.ok(200).clone();
        order["delivery"]["file_id"].is_string().then_some(order)
    })
    .await;
    let file = order["delivery"]["file_id"].as_str().unwrap();
    let (status, _, body) = download(app, file, Auth::Bearer(token)).await;
    assert_eq!(status.as_u16(), 200);
    assert!(body.starts_with(b"%PDF-"), "a PDF to print");
    order
}

fn mails_to(sink: &SmtpSink, to: &str) -> Vec<Mail> {
    sink.mails().into_iter().filter(|m| m.to.iter().any(|t| t.contains(to))).collect()
}

db_test!(
    async fn a_sent_order_reaches_the_supplier_once_with_a_pdf_of_its_lines(backend) {
        let sink = SmtpSink::start(false).await;
        let app = TestApp::with_mail(backend, &sink).await;
        let tenant = app.tenant("northgate").await;
        let token = &tenant.admin.token;
        let letterhead = json!({ "address": "12 High Street\nLeeds\nLS1 4AB", "phone": "0113 496 0000",
                                 "contact_email": "Orders@Northgate.example" });
        let settings = app.put("/api/v1/tenant/settings", token, letterhead).await.ok(200).clone();
        assert_eq!(settings["contact_email"], "orders@northgate.example");
        assert_eq!(settings["rx_steps"], "quarter", "a setting left out keeps its value");
        let supplier = supplier_with(&app, token, "Lensmakers Ltd", Some("orders@lensmakers.example")).await;
        let shop = location(&app, token, "Leeds shop").await;
        let lines = lenses(&app, token).await;
        let order = draft(&app, token, &supplier, &shop, &lines).await;
        let (id, number) = (order["id"].as_str().unwrap(), order["number"].as_str().unwrap());
        assert!(order["delivery"].is_null(), "a draft went nowhere");

        let sent = app.post(&format!("/api/v1/purchase-orders/{id}/send"), Some(token), json!({})).await;
        let sent = sent.ok(200);
        assert_eq!(sent["status"], "sent");
        assert_eq!(sent["delivery"]["status"], "queued");
        assert_eq!(sent["delivery"]["to_address"], "orders@lensmakers.example");

        let order = settled(&app, token, id).await;
        let delivery = &order["delivery"];
        assert_eq!(delivery["status"], "delivered", "{delivery}");
        assert_eq!(delivery["attempts"], 1);
        let mails = mails_to(&sink, "orders@lensmakers.example");
        assert_eq!(mails.len(), 1, "one e-mail");
        let mail = &mails[0];
        assert_eq!(mail.header("Subject"), format!("Purchase order {number} from Tenant northgate"));
        assert!(mail.header("Message-ID").contains(delivery["id"].as_str().unwrap()), "a recognisable id");
        let text = mail.text();
        assert!(text.contains("Our account number: NG-4471") && text.contains("Please deliver to Leeds shop"), "{text}");
        let attachments = mail.attachments();
        assert_eq!(attachments.len(), 1);
        let (name, kind, pdf) = &attachments[0];
        assert_eq!((name.as_str(), kind.as_str()), (format!("{number}.pdf").as_str(), "application/pdf"));

        // The PDF says what was ordered, from whom, for where, under the practice's letterhead.
        if let Some(text) = read_pdf(pdf, "purchase-order") {
            for expected in [
                number, "Tenant northgate", "12 High Street", "LS1 4AB", "0113 496 0000", "orders@northgate.example",
                "Lensmakers Ltd", "NG-4471", "Leeds shop", "Deliver before Friday",
                "SV-150-AR", "Single vision 1.50 AR", "12.50", "50.00",
                "PRG-167-BLUE", "Progressive 1.67 blue cut", "18.40", "36.80", "86.80", "Page 1 of 1",
            ] {
                assert!(text.contains(expected), "the PDF lacks {expected:?}:\n{text}");
            }
        }

        // The same bytes are in the tenant's files, for it alone.
        let file = delivery["file_id"].as_str().expect("the PDF is kept");
        let (status, headers, body) = download(&app, file, Auth::Bearer(token)).await;
        assert_eq!((status.as_u16(), headers["content-type"].to_str().unwrap()), (200, "application/pdf"));
        assert_eq!(&body[..], &pdf[..], "the attachment is the kept file");
        let other = app.tenant("elsewhere").await;
        assert_eq!(download(&app, file, Auth::Bearer(&other.admin.token)).await.0.as_u16(), 404);
        app.get(&format!("/api/v1/purchase-orders/{id}/deliveries"), &other.admin.token).await.problem(404, "not_found");
        app.post(&format!("/api/v1/purchase-orders/{id}/send-again"), Some(&other.admin.token), json!({}))
            .await
            .problem(404, "not_found");

        // The audit log says it went, and to whom.
        let audit = app.get(&format!("/api/v1/audit?entity_id={id}&action=purchase_order.emailed"), token).await;
        let entry = &audit.ok(200)["items"][0];
        assert_eq!(entry["changes"]["to"], "orders@lensmakers.example");

        // Sending again (the supplier lost it) is a second delivery and a second e-mail; a draft
        // or a cancelled order cannot go again.
        let again = app.post(&format!("/api/v1/purchase-orders/{id}/send-again"), Some(token), json!({})).await;
        assert_eq!(again.ok(200)["delivery"]["status"], "queued");
        settled(&app, token, id).await;
        let deliveries = app.get(&format!("/api/v1/purchase-orders/{id}/deliveries"), token).await.ok(200).clone();
        let statuses: Vec<&str> = deliveries.as_array().unwrap().iter().map(|d| d["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["delivered", "delivered"]);
        assert_eq!(mails_to(&sink, "orders@lensmakers.example").len(), 2);
        let other_draft = draft(&app, token, &supplier, &shop, &lines).await;
        let other_id = other_draft["id"].as_str().unwrap();
        app.post(&format!("/api/v1/purchase-orders/{other_id}/send-again"), Some(token), json!({}))
            .await
            .problem(409, "purchase_order_not_sent");
        app.post(&format!("/api/v1/purchase-orders/{id}/cancel"), Some(token), json!({})).await.ok(200);
        app.post(&format!("/api/v1/purchase-orders/{id}/send-again"), Some(token), json!({}))
            .await
            .problem(409, "purchase_order_not_sent");
        assert_eq!(mails_to(&sink, "orders@lensmakers.example").len(), 2, "nothing else went");
    }
);

db_test!(
    async fn a_refused_order_is_retried_then_failed_and_can_be_sent_again(backend) {
        let sink = SmtpSink::start(true).await;
        let app = TestApp::with_mail(backend, &sink).await;
        let tenant = app.tenant("northgate").await;
        let token = &tenant.admin.token;
        let supplier = supplier_with(&app, token, "Frames R Us", Some("orders@frames.example")).await;
        let shop = location(&app, token, "Shop").await;
        let id = draft(&app, token, &supplier, &shop, &lenses(&app, token).await).await["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/purchase-orders/{id}/send"), Some(token), json!({})).await.ok(200);

        let order = settled(&app, token, &id).await;
        let delivery = &order["delivery"];
        assert_eq!(delivery["status"], "failed", "{delivery}");
        assert_eq!(delivery["attempts"], 3, "every attempt the settings allow");
        assert!(delivery["error"].as_str().unwrap().contains("mail server"), "{delivery}");
        assert_eq!(sink.attempts(), 3);
        assert!(sink.mails().is_empty());
        let audit = app.get(&format!("/api/v1/audit?entity_id={id}&action=purchase_order.email_failed"), token).await;
        assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 1);
        // The order stays sent: the supplier may still be phoned, and receipts still work.
        assert_eq!(order["status"], "sent");
    }
);

db_test!(
    async fn an_order_that_cannot_be_emailed_says_why(backend) {
        // A supplier without an orders address, on an installation that e-mails.
        let sink = SmtpSink::start(false).await;
        let app = TestApp::with_mail(backend, &sink).await;
        let tenant = app.tenant("northgate").await;
        let token = &tenant.admin.token;
        let supplier = supplier_with(&app, token, "Phone Only Optical", None).await;
        let shop = location(&app, token, "Shop").await;
        let id = draft(&app, token, &supplier, &shop, &lenses(&app, token).await).await["id"].as_str().unwrap().to_owned();
        let sent = app.post(&format!("/api/v1/purchase-orders/{id}/send"), Some(token), json!({})).await;
        let delivery = &sent.ok(200)["delivery"];
        assert_eq!(delivery["status"], "not_emailed");
        assert!(delivery["error"].as_str().unwrap().contains("no orders e-mail address"), "{delivery}");
        let order = printable(&app, token, &id).await;
        assert_eq!(order["delivery"]["status"], "not_emailed");

        // An installation without e-mail.
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("northgate").await;
        let token = &tenant.admin.token;
        let supplier = supplier_with(&app, token, "Lensmakers Ltd", Some("orders@lensmakers.example")).await;
        let shop = location(&app, token, "Shop").await;
        let id = draft(&app, token, &supplier, &shop, &lenses(&app, token).await).await["id"].as_str().unwrap().to_owned();
        let sent = app.post(&format!("/api/v1/purchase-orders/{id}/send"), Some(token), json!({})).await;
        let delivery = &sent.ok(200)["delivery"];
        assert_eq!(delivery["status"], "not_emailed");
        assert!(delivery["error"].as_str().unwrap().contains("no e-mail server"), "{delivery}");
        printable(&app, token, &id).await;
        assert!(sink.mails().is_empty(), "nothing was e-mailed");
    }
);

db_test!(
    async fn the_letterhead_is_checked(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("northgate").await;
        let token = &tenant.admin.token;
        let seven = json!({ "address": "1\n2\n3\n4\n5\n6\n7" });
        app.put("/api/v1/tenant/settings", token, seven).await.problem(422, "invalid_input");
        let bad = json!({ "contact_email": "not an address" });
        app.put("/api/v1/tenant/settings", token, bad).await.problem(422, "invalid_input");
        let set = json!({ "address": "  12 High Street \n\n Leeds  ", "phone": "0113 496 0000" });
        let settings = app.put("/api/v1/tenant/settings", token, set).await.ok(200).clone();
        assert_eq!(settings["address"], "12 High Street\nLeeds", "lines trimmed, blank ones dropped");
        // Old clients send the power steps alone: the letterhead stays.
        let steps = app.put("/api/v1/tenant/settings", token, json!({ "rx_steps": "eighth" })).await.ok(200).clone();
        assert_eq!((steps["address"].as_str(), steps["phone"].as_str()), (Some("12 High Street\nLeeds"), Some("0113 496 0000")));
        // `null` clears a field.
        let cleared = app.put("/api/v1/tenant/settings", token, json!({ "phone": null })).await.ok(200).clone();
        assert!(cleared["phone"].is_null());
        let dispenser = app.member(&tenant, "dan", "dispenser").await;
        app.put("/api/v1/tenant/settings", &dispenser.token, json!({ "phone": "1" })).await.problem(403, "forbidden");
    }
);
