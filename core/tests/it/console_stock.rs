//! The console's stock pages over real HTTP: items and locations added by an admin, stock adjusted
//! and transferred by a dispenser, counts, suppliers, purchase orders received into stock; each
//! wrong value shown at its input with nothing stored; roles and other tenants refused as the API
//! refuses them.

use ils_tenancy::tenants::TenantKind;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use serde_json::Value;

use crate::harness::{TestApp, db_test};
use crate::stock::{adjust, item, level, location};

/// A browser-like client that does not follow redirects, so a test sees where it is sent.
fn browser() -> reqwest::Client {
    ils_core::install_tls_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Page {
    /// The CSRF token the page's forms carry.
    fn csrf(&self) -> String {
        let marker = r#"name="_csrf" value=""#;
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        self.body[start..].split('"').next().expect("token").to_owned()
    }

    /// Whether the input `id` is marked invalid with `message` shown for it.
    #[track_caller]
    fn assert_invalid(&self, id: &str, message: &str) {
        assert!(
            self.body.contains(&format!(r#"id="{id}-error">{message}"#)),
            "no error {message:?} at {id}: {}",
            self.body
        );
        let input = self.body.find(&format!(r#"id="{id}" name="#)).expect("the input");
        assert!(
            self.body[input..].split('>').next().unwrap().contains(r#"aria-invalid="true""#),
            "{id} not marked"
        );
    }
}

async fn get(app: &TestApp, path: &str, token: &str) -> Page {
    let request = browser().get(format!("{}{path}", app.base)).header(COOKIE, format!("ils_session={token}"));
    read(request.send().await.expect("request")).await
}

/// Submits a form of `from` (its CSRF token added) to `path`.
async fn submit(app: &TestApp, from: &str, path: &str, token: &str, form: &[(&str, &str)]) -> Page {
    let csrf = get(app, from, token).await.csrf();
    let mut fields = vec![("_csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    let request = browser()
        .post(format!("{}{path}", app.base))
        .header(COOKIE, format!("ils_session={token}"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_html_form::to_string(&fields).expect("form"));
    read(request.send().await.expect("request")).await
}

async fn read(response: reqwest::Response) -> Page {
    let location = response.headers().get(LOCATION).map(|v| v.to_str().expect("location").to_owned());
    let status = response.status().as_u16();
    Page { status, location, body: response.text().await.expect("body") }
}

#[track_caller]
fn redirected(page: &Page) -> &str {
    assert_eq!(page.status, 303, "{}", page.body);
    page.location.as_deref().expect("location")
}

async fn item_id(app: &TestApp, token: &str, sku: &str) -> String {
    let found = app.get(&format!("/api/v1/items?sku={sku}"), token).await;
    found.ok(200)["items"][0]["id"].as_str().expect("item").to_owned()
}

async fn location_id(app: &TestApp, token: &str, name: &str) -> String {
    let found = app.get("/api/v1/locations?limit=200", token).await;
    let all = found.ok(200)["items"].as_array().expect("items").clone();
    all.iter().find(|l| l["name"] == name).and_then(|l| l["id"].as_str()).expect("location").to_owned()
}

db_test!(
    async fn an_admin_sets_up_stock_and_a_dispenser_adjusts_and_transfers_it(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let admin = practice.admin.token.clone();
        let dan = app.member(&practice, "dan", "dispenser").await.token;

        let added = submit(&app, "/stock/items", "/stock/items", &admin, &[
            ("sku", "FR-001"), ("name", "Ray-Ban RB5154"), ("unit", "each"), ("reorder_point", "2"), ("barcode", ""),
        ]).await;
        assert_eq!(redirected(&added), "/stock/items");
        assert!(get(&app, "/stock/items", &admin).await.body.contains("Ray-Ban RB5154"));
        for name in ["Front shop", "Store room"] {
            let added = submit(&app, "/stock/locations", "/stock/locations", &admin, &[("name", name)]).await;
            assert_eq!(redirected(&added), "/stock/locations");
        }
        let (frame, shop, store) = (
            item_id(&app, &admin, "FR-001").await,
            location_id(&app, &admin, "Front shop").await,
            location_id(&app, &admin, "Store room").await,
        );

        // A dispenser moves stock but does not keep the catalogue.
        let items = get(&app, "/stock/items", &dan).await;
        assert_eq!(items.status, 200);
        assert!(!items.body.contains("Add an item"), "the form is offered to a dispenser");
        let refused = submit(&app, "/stock/items", "/stock/items", &dan, &[
            ("sku", "FR-002"), ("name", "Other"), ("unit", "each"), ("reorder_point", "0"),
        ]).await;
        assert_eq!(refused.status, 403, "{}", refused.body);

        let adjusted = submit(&app, "/stock/adjustments", "/stock/adjustments", &dan, &[
            ("item_id", &frame), ("location_id", &shop), ("quantity", "+12"), ("reason", "found"), ("note", ""),
        ]).await;
        assert_eq!(redirected(&adjusted), format!("/stock?item={frame}"));
        let moved = submit(&app, "/stock/transfers", "/stock/transfers", &dan, &[
            ("item_id", &frame), ("from_location_id", &shop), ("to_location_id", &store), ("quantity", "5"),
        ]).await;
        assert_eq!(redirected(&moved), format!("/stock?item={frame}"));
        assert_eq!(level(&app, &admin, &frame, &shop).await, 7);
        assert_eq!(level(&app, &admin, &frame, &store).await, 5);

        let levels = get(&app, &format!("/stock?item={frame}"), &dan).await;
        assert_eq!(levels.status, 200);
        for row in ["<td>7</td>", "<td>5</td>", "Front shop", "Store room", "FR-001 · Ray-Ban RB5154"] {
            assert!(levels.body.contains(row), "{row} missing: {}", levels.body);
        }
        assert!(!levels.body.contains("tag bad"), "nothing is low yet");
    }
);

db_test!(
    async fn a_wrong_quantity_is_shown_at_its_input_and_changes_nothing(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let token = practice.admin.token.clone();
        let (frame, shop, store) = (
            item(&app, &token, "FR-001", 0).await,
            location(&app, &token, "Front shop").await,
            location(&app, &token, "Store room").await,
        );
        adjust(&app, &token, &frame, &shop, 3).await.ok(201);

        let form = "/stock/adjustments";
        let base = [("item_id", frame.as_str()), ("location_id", shop.as_str()), ("reason", "damaged")];
        for (typed, status, message) in [
            ("0", 422, "must not be zero, and at most 1000000 either way"),
            ("twelve", 422, "must be a whole number, e.g. 12 or -3"),
            ("-4", 409, "Only 3 of FR-001 in stock at that location; 4 needed."),
        ] {
            let mut fields = base.to_vec();
            fields.push(("quantity", typed));
            let page = submit(&app, form, form, &token, &fields).await;
            assert_eq!(page.status, status, "{typed}: {}", page.body);
            page.assert_invalid("quantity", message);
            assert!(page.body.contains(&format!(r#"value="{typed}""#)), "what was typed is kept");
            assert!(page.body.contains(&format!(r#"<option value="{frame}" selected>"#)), "the item is kept");
        }

        let same = submit(&app, "/stock/transfers", "/stock/transfers", &token, &[
            ("item_id", &frame), ("from_location_id", &shop), ("to_location_id", &shop), ("quantity", "1"),
        ]).await;
        assert_eq!(same.status, 422, "{}", same.body);
        same.assert_invalid("to_location_id", "must differ from from_location_id");
        let no_item = submit(&app, "/stock/transfers", "/stock/transfers", &token, &[
            ("item_id", ""), ("from_location_id", &shop), ("to_location_id", &store), ("quantity", "1"),
        ]).await;
        no_item.assert_invalid("item_id", "choose one of the options");

        assert_eq!(level(&app, &token, &frame, &shop).await, 3);
        assert_eq!(level(&app, &token, &frame, &store).await, 0);
    }
);

db_test!(
    async fn a_purchase_order_is_raised_sent_and_received_and_the_stock_rises(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let token = practice.admin.token.clone();
        let (frame, case, shop) = (
            item(&app, &token, "FR-001", 0).await,
            item(&app, &token, "CASE-1", 0).await,
            location(&app, &token, "Front shop").await,
        );

        let added = submit(&app, "/stock/suppliers", "/stock/suppliers", &token, &[
            ("name", "Lens Direct"), ("email", "orders@lensdirect.example"), ("account_number", "LD-9"),
            ("payment_terms_days", "30"),
        ]).await;
        assert_eq!(redirected(&added), "/stock/suppliers");
        let suppliers = get(&app, "/stock/suppliers", &token).await;
        assert!(suppliers.body.contains("Lens Direct") && suppliers.body.contains("LD-9"), "{}", suppliers.body);
        let accounts = app.get("/api/v1/supplier-accounts", &token).await;
        let supplier = accounts.ok(200)["items"][0]["supplier"]["id"].as_str().expect("supplier").to_owned();

        // A line's mistake is shown at that line (the blank first line does not count).
        let new = "/stock/purchase-orders/new";
        let order_form = |second_quantity: &str| -> Vec<(&'static str, String)> {
            vec![
                ("supplier_id", supplier.clone()), ("location_id", shop.clone()), ("currency", "GBP".into()),
                ("item", String::new()), ("quantity", String::new()), ("price", String::new()),
                ("item", frame.clone()), ("quantity", "10".into()), ("price", "2.50".into()),
                ("item", case.clone()), ("quantity", second_quantity.into()), ("price", "0.80".into()),
            ]
        };
        let wrong = order_form("0");
        let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = submit(&app, new, "/stock/purchase-orders", &token, &wrong).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_invalid("line-2-quantity", "must be between 1 and 1000000");
        assert!(app.get("/api/v1/purchase-orders", &token).await.ok(200)["items"].as_array().unwrap().is_empty());

        let right = order_form("4");
        let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let raised = submit(&app, new, "/stock/purchase-orders", &token, &right).await;
        let page = redirected(&raised).to_owned();
        let draft = get(&app, &page, &token).await;
        assert!(draft.body.contains(r#"id="po-status">draft<"#) && draft.body.contains("£28.20"), "{}", draft.body);
        assert!(!draft.body.contains("Receive goods"), "a draft is not received");

        assert_eq!(redirected(&submit(&app, &page, &format!("{page}/send"), &token, &[]).await), page);
        let sent = get(&app, &page, &token).await;
        assert!(sent.body.contains(r#"id="po-status">sent<"#));
        let again = submit(&app, &page, &format!("{page}/send"), &token, &[]).await;
        assert_eq!(again.status, 409, "{}", again.body);
        assert!(again.body.contains("it cannot become sent"));

        // Part of the frames, then the rest; too many is refused at nothing's expense.
        let (frame_input, case_input) = (format!("receive-{frame}"), format!("receive-{case}"));
        let over = submit(&app, &page, &format!("{page}/receipts"), &token, &[
            (&frame_input, "11"), (&case_input, "0"),
        ]).await;
        assert_eq!(over.status, 409, "{}", over.body);
        assert!(over.body.contains("Only 10 of FR-001 are outstanding"));
        let part = submit(&app, &page, &format!("{page}/receipts"), &token, &[
            (&frame_input, "6"), (&case_input, "4"), ("note", "DN-1"),
        ]).await;
        assert_eq!(redirected(&part), page);
        assert!(get(&app, &page, &token).await.body.contains(r#"id="po-status">partially_received<"#));
        let rest = submit(&app, &page, &format!("{page}/receipts"), &token, &[(&frame_input, "4")]).await;
        assert_eq!(redirected(&rest), page);
        let received = get(&app, &page, &token).await;
        assert!(received.body.contains(r#"id="po-status">received<"#), "{}", received.body);
        assert!(received.body.contains("(DN-1)"));
        assert_eq!(level(&app, &token, &frame, &shop).await, 10);
        assert_eq!(level(&app, &token, &case, &shop).await, 4);

        let list = get(&app, "/stock/purchase-orders?status=received", &token).await;
        assert!(list.body.contains("PO-") && list.body.contains("Lens Direct"), "{}", list.body);
    }
);

db_test!(
    async fn a_stock_count_sets_stock_to_what_was_counted(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let token = practice.admin.token.clone();
        let dan = app.member(&practice, "dan", "dispenser").await.token;
        let (frame, case, shop) = (
            item(&app, &token, "FR-001", 0).await,
            item(&app, &token, "CASE-1", 0).await,
            location(&app, &token, "Front shop").await,
        );
        adjust(&app, &token, &frame, &shop, 9).await.ok(201);

        let started = submit(&app, "/stock/counts", "/stock/counts", &dan, &[("location_id", &shop)]).await;
        let page = redirected(&started).to_owned();
        let twice = submit(&app, "/stock/counts", "/stock/counts", &dan, &[("location_id", &shop)]).await;
        assert_eq!(twice.status, 409);
        twice.assert_invalid("location_id", "A count of this location is open already: finish it first.");

        let (frame_input, lines) = (format!("counted-{frame}"), format!("{page}/lines"));
        let negative = submit(&app, &page, &lines, &dan, &[(&frame_input, "-1")]).await;
        assert_eq!(negative.status, 422, "{}", negative.body);
        negative.assert_invalid(&frame_input, "must be between 0 and 1000000");
        let recorded =
            submit(&app, &page, &lines, &dan, &[(&frame_input, "8"), ("extra_item", &case), ("extra_counted", "2")])
                .await;
        assert_eq!(redirected(&recorded), page);
        assert!(get(&app, &page, &dan).await.body.contains(&format!(r#"name="{frame_input}" type="text" inputmode="numeric" size="6" value="8""#)));

        assert_eq!(redirected(&submit(&app, &page, &format!("{page}/finalise"), &dan, &[]).await), page);
        let finalised = get(&app, &page, &dan).await;
        assert!(finalised.body.contains(r#"id="count-status">finalised<"#), "{}", finalised.body);
        assert_eq!(level(&app, &token, &frame, &shop).await, 8);
        assert_eq!(level(&app, &token, &case, &shop).await, 2);
    }
);

db_test!(
    async fn low_stock_is_marked_and_the_start_page_links_to_it(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let token = practice.admin.token.clone();
        let (low, plenty, shop) = (
            item(&app, &token, "CL-DAILY", 5).await,
            item(&app, &token, "FR-001", 1).await,
            location(&app, &token, "Front shop").await,
        );
        adjust(&app, &token, &low, &shop, 3).await.ok(201);
        adjust(&app, &token, &plenty, &shop, 3).await.ok(201);

        let only_low = get(&app, "/stock?low=true", &token).await;
        assert!(only_low.body.contains("CL-DAILY") && !only_low.body.contains(&format!("/stock?item={plenty}")));
        assert!(only_low.body.contains(r#"<strong class="tag bad">low</strong>"#));
        let home = get(&app, "/", &token).await;
        assert!(home.body.contains(r#"href="/stock?low=true""#), "{}", home.body);
        assert!(home.body.contains(&format!(r#"href="/stock?item={low}""#)));
        assert!(home.body.contains(r#"href="/stock">Stock</a>"#), "the navigation has Stock");
    }
);

db_test!(
    async fn roles_without_stock_see_no_stock_and_other_tenants_stock_is_not_found(backend) {
        let app = TestApp::spawn(backend).await;
        let mine = app.tenant_of_kind("mine", TenantKind::Ecp).await;
        let theirs = app.tenant_of_kind("theirs", TenantKind::Ecp).await;
        let supplier_staff = app.member(&mine, "sam", "supplier").await.token;
        let home = get(&app, "/", &supplier_staff).await;
        assert!(!home.body.contains(r#"href="/stock">"#), "{}", home.body);
        assert_eq!(get(&app, "/stock", &supplier_staff).await.status, 403);

        let token = theirs.admin.token.clone();
        let (frame, shop) = (item(&app, &token, "FR-001", 0).await, location(&app, &token, "Their shop").await);
        adjust(&app, &token, &frame, &shop, 5).await.ok(201);
        let order = crate::purchasing::sent_order(&app, &token, &shop, &[(&frame, 2)]).await;
        let count = app.post("/api/v1/stock-counts", Some(&token), serde_json::json!({ "location_id": shop })).await;
        let count = count.ok(201)["id"].as_str().expect("count").to_owned();

        let me = mine.admin.token.clone();
        for path in [format!("/stock/purchase-orders/{order}"), format!("/stock/counts/{count}")] {
            let page = get(&app, &path, &me).await;
            assert_eq!(page.status, 404, "{path}: {}", page.body);
        }
        let levels = get(&app, &format!("/stock?item={frame}"), &me).await;
        assert!(!levels.body.contains("Their shop") && !levels.body.contains("<td>5</td>"));
        let taken = submit(&app, "/stock/adjustments", "/stock/adjustments", &me, &[
            ("item_id", &frame), ("location_id", &shop), ("quantity", "-5"), ("reason", "lost"),
        ]).await;
        assert_eq!(taken.status, 404, "{}", taken.body);
        let received = submit(&app, "/stock", &format!("/stock/purchase-orders/{order}/receipts"), &me, &[
            (&format!("receive-{frame}"), "2"),
        ]).await;
        assert_eq!(received.status, 404, "{}", received.body);
        let counted = format!("counted-{frame}");
        for (path, form) in [
            (format!("/stock/purchase-orders/{order}/cancel"), vec![]),
            (format!("/stock/counts/{count}/lines"), vec![(counted.as_str(), "0")]),
            (format!("/stock/counts/{count}/finalise"), vec![]),
            (format!("/stock/counts/{count}/cancel"), vec![]),
            ("/stock/counts".to_owned(), vec![("location_id", shop.as_str())]),
        ] {
            let page = submit(&app, "/stock", &path, &me, &form).await;
            assert_eq!(page.status, 404, "{path}: {}", page.body);
        }
        assert_eq!(level(&app, &token, &frame, &shop).await, 5);
        let status: Value = app.get(&format!("/api/v1/purchase-orders/{order}"), &token).await.ok(200).clone();
        assert_eq!(status["status"], "sent");
        let theirs = app.get(&format!("/api/v1/stock-counts/{count}"), &token).await.ok(200).clone();
        assert_eq!(theirs["status"], "open");
        assert!(theirs["lines"][0]["counted_quantity"].is_null(), "{theirs}");
    }
);

db_test!(
    async fn a_supplier_is_added_once_and_an_account_opened_from_the_directory(backend) {
        let app = TestApp::spawn(backend).await;
        let first = app.tenant_of_kind("first", TenantKind::Ecp).await;
        let second = app.tenant_of_kind("second", TenantKind::Ecp).await;
        let page = "/stock/suppliers";

        // Terms out of range: the supplier joins the directory, its account waits in the
        // directory form with the terms at their input.
        let refused = submit(&app, page, page, &first.admin.token, &[
            ("name", "Lens Direct"), ("account_number", "LD-1"), ("payment_terms_days", "400"),
        ]).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_invalid("directory_payment_terms_days", "must be between 0 and 365");
        assert!(refused.body.contains("Lens Direct was added to the supplier directory"));
        let supplier = app.get("/api/v1/suppliers?name=Lens", &first.admin.token).await;
        let supplier = supplier.ok(200)["items"][0]["id"].as_str().expect("supplier").to_owned();
        assert!(refused.body.contains(&format!(r#"<option value="{supplier}" selected>"#)), "{}", refused.body);

        // Another tenant cannot add it again, and opens its account from the directory.
        let again = submit(&app, page, page, &second.admin.token, &[
            ("name", "lens  direct"), ("payment_terms_days", "30"),
        ]).await;
        assert_eq!(again.status, 409, "{}", again.body);
        again.assert_invalid("name", "The directory already has a supplier of that name: open an account with it instead.");
        for (who, number) in [(&second.admin.token, "S-2"), (&first.admin.token, "LD-1")] {
            let opened = submit(&app, page, "/stock/suppliers/accounts", who, &[
                ("directory_supplier_id", &supplier), ("directory_account_number", number),
                ("directory_payment_terms_days", "30"),
            ]).await;
            assert_eq!(redirected(&opened), page);
            let accounts = get(&app, page, who).await;
            assert!(accounts.body.contains(number) && accounts.body.contains("30 days"), "{}", accounts.body);
        }
        let twice = submit(&app, page, "/stock/suppliers/accounts", &first.admin.token, &[
            ("directory_supplier_id", &supplier), ("directory_payment_terms_days", "30"),
        ]).await;
        assert_eq!(twice.status, 409, "{}", twice.body);
        assert!(twice.body.contains("This tenant already has an account with that supplier."), "{}", twice.body);
    }
);
