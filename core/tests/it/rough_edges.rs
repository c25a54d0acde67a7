//! Rough edges a new user found (issue 15): each test failed on the behaviour before its fix.

use serde_json::json;

use crate::harness::{TestApp, db_test};

db_test!(
    async fn a_refusal_says_in_words_what_the_role_may_not_do(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let dan = app.member(&tenant, "dan", "dispenser").await;
        let lee = app.member(&tenant, "lee", "lab_tech").await;

        let refused = app.get("/api/v1/audit", &dan.token).await;
        refused.problem(403, "forbidden");
        assert_eq!(
            refused.body["detail"],
            "As a dispenser you may not read the audit log; ask a company admin if you need to."
        );
        let refused = app.get("/api/v1/patients", &lee.token).await;
        let detail = refused.body["detail"].as_str().unwrap();
        assert_eq!(detail, "As a lab technician you may not read patients' records; ask a company admin if you need to.");
        assert!(!detail.contains("lab_tech") && !detail.contains("patients:read"), "{detail}");

        // An API key's refusal names the scope it lacks: that is what its owner configures.
        let key = app.post("/api/v1/api-keys", Some(&tenant.admin.token), json!({ "name": "k", "scopes": ["users:read"] })).await;
        let key = key.ok(201)["secret"].as_str().unwrap().to_owned();
        let refused = app.get("/api/v1/audit", &key).await;
        assert_eq!(refused.body["detail"], "This API key may not read the audit log: it needs the audit:read scope.");
    }
);

db_test!(
    async fn an_unknown_query_parameter_is_refused_not_ignored(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = tenant.admin.token.as_str();
        let before = app.get("/api/v1/audit?limit=200", token).await.ok(200)["items"].as_array().unwrap().len();

        // `?q=smith` used to list every patient, audited as an unfiltered search.
        let refused = app.get("/api/v1/patients?q=smith", token).await;
        refused.problem(422, "invalid_input");
        assert_eq!(refused.body["errors"][0]["field"], "q");
        let message = refused.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("name") && message.contains("nhs_number"), "lists what it takes: {message}");
        let after = app.get("/api/v1/audit?limit=200", token).await.ok(200)["items"].as_array().unwrap().len();
        assert_eq!(after, before, "a refused search reads and audits nothing");

        // The documented ones still work, and a misspelt paging parameter is caught too.
        app.get("/api/v1/patients?name=smith&limit=5", token).await.ok(200);
        let refused = app.get("/api/v1/users?page_size=5", token).await;
        assert_eq!(refused.body["errors"][0]["field"], "page_size", "{}", refused.body);
    }
);

db_test!(
    async fn a_plugin_nobody_installed_is_not_installed_rather_than_not_enabled(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let missing = app.get("/api/v1/plugins/no-such-plugin/anything", &tenant.admin.token).await;
        missing.problem(404, "plugin_not_installed");
        assert_eq!(missing.body["detail"], "No plugin called no-such-plugin is installed on this server.");
    }
);

db_test!(
    async fn a_body_of_the_wrong_shape_names_its_field_in_words(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = tenant.admin.token.as_str();
        let field = |resp: &crate::harness::Resp| {
            resp.problem(422, "invalid_body");
            let error = &resp.body["errors"][0];
            (error["field"].as_str().unwrap().to_owned(), error["message"].as_str().unwrap().to_owned())
        };

        let missing = app.post("/api/v1/api-keys", Some(token), json!({ "scopes": [] })).await;
        assert_eq!(field(&missing), ("name".to_owned(), "is required".to_owned()));
        let wrong_type = app.post("/api/v1/api-keys", Some(token), json!({ "name": 5, "scopes": [] })).await;
        assert_eq!(field(&wrong_type), ("name".to_owned(), "must be text (a JSON string)".to_owned()));
        let in_a_list = app.post("/api/v1/api-keys", Some(token), json!({ "name": "k", "scopes": ["users:read", "root"] })).await;
        let (path, message) = field(&in_a_list);
        assert_eq!(path, "scopes[1]");
        assert!(message.contains("users:read") && message.contains("(not \"root\")"), "{message}");
        let unknown = app.post("/api/v1/auth/login", None, json!({ "email": "a@b.example", "password": "x", "colour": "red" })).await;
        let (path, message) = field(&unknown);
        assert_eq!(path, "colour");
        assert!(message.starts_with("is not a field here (it takes: email, password"), "{message}");
        let not_an_object = app.post("/api/v1/api-keys", Some(token), json!("key")).await;
        assert_eq!(field(&not_an_object), ("body".to_owned(), "must be an object".to_owned()));
        for resp in [&missing, &wrong_type, &unknown] {
            let detail = resp.body["detail"].as_str().unwrap();
            assert!(!detail.contains("line ") && !detail.contains("column "), "no parser wording: {detail}");
        }
    }
);

db_test!(
    async fn the_audit_log_is_newest_first_and_filters_by_who_and_when(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let admin = tenant.admin.token.as_str();
        let dan = app.member(&tenant, "dan", "dispenser").await;
        let body = json!({ "first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10" });
        app.post("/api/v1/patients", Some(&dan.token), body).await.ok(201);
        app.post("/api/v1/api-keys", Some(admin), json!({ "name": "last", "scopes": ["users:read"] })).await.ok(201);

        let items = |resp: &crate::harness::Resp| resp.ok(200)["items"].as_array().unwrap().clone();
        let all = items(&app.get("/api/v1/audit?limit=200", admin).await);
        assert_eq!(all[0]["action"], "api_key.created", "the newest first");
        let times: Vec<&str> = all.iter().map(|e| e["at"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

        let dans = items(&app.get(&format!("/api/v1/audit?actor_id={}", dan.user_id), admin).await);
        assert!(!dans.is_empty() && dans.iter().all(|e| e["actor_id"] == dan.user_id.as_str()), "{dans:?}");
        assert!(dans.iter().any(|e| e["action"] == "patient.created"));

        let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC).date();
        let day = |d: jiff::civil::Date| d.to_string();
        let on_today = items(&app.get(&format!("/api/v1/audit?from={}&to={}", day(today), day(today)), admin).await);
        assert_eq!(on_today.len(), all.len(), "today's entries, the whole day included");
        let tomorrow = day(today.tomorrow().unwrap());
        assert!(items(&app.get(&format!("/api/v1/audit?from={tomorrow}"), admin).await).is_empty());
        let yesterday = day(today.yesterday().unwrap());
        assert!(items(&app.get(&format!("/api/v1/audit?to={yesterday}"), admin).await).is_empty());
        let bad = app.get("/api/v1/audit?from=last%20week", admin).await;
        bad.problem(422, "invalid_input");
        assert_eq!(bad.body["errors"][0]["field"], "from");

        // Pages go back in time: the second page is older than the first.
        let first = app.get("/api/v1/audit?limit=2", admin).await;
        let cursor = first.ok(200)["next_cursor"].as_str().unwrap().to_owned();
        let second = items(&app.get(&format!("/api/v1/audit?limit=2&cursor={cursor}"), admin).await);
        assert_eq!(second[0]["id"], all[2]["id"]);
    }
);

/// `ils init` on a new data directory, as the README's first command does (`serve --init`).
#[cfg(unix)]
#[test]
fn a_new_installations_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ils"))
        .args(["init", "--data-dir"])
        .arg(&data)
        .env_remove("DATABASE_URL")
        .env_remove("ILS_DATABASE_URL")
        .env_remove("ILS_SECRET_KEY")
        .output()
        .expect("run ils migrate");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mode = |name: &str| std::fs::metadata(data.join(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(""), 0o700, "the data directory");
    assert_eq!(mode("ils.db"), 0o600, "the database");
    for entry in std::fs::read_dir(&data).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert_eq!(entry.metadata().unwrap().permissions().mode() & 0o077, 0, "{name} is private");
    }
}

/// `ils serve` as an operator runs it, its request log read from standard output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_log_line_names_the_tenant_the_user_and_the_problem() {
    use std::io::BufRead as _;
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let ils = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_ils"))
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .env_remove("DATABASE_URL")
            .env("ILS_ADMIN_PASSWORD", crate::harness::PASSWORD)
            .output()
            .expect("run ils");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };
    ils(&["init"]);
    ils(&[
        "tenant",
        "create",
        "--name",
        "Acme",
        "--slug",
        "acme",
        "--kind",
        "ecp",
        "--admin-email",
        "ann@acme.example",
        "--admin-name",
        "Ann",
    ]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_ils"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(&data)
        .env_remove("DATABASE_URL")
        .env("ILS_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start ils serve");
    let base = format!("http://127.0.0.1:{port}");
    let client = crate::harness::http(std::time::Duration::from_secs(30));
    TestApp::eventually(60, || async {
        client.get(format!("{base}/readyz")).send().await.ok().filter(|r| r.status() == 200)
    })
    .await;
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": "ann@acme.example", "password": crate::harness::PASSWORD }))
        .send()
        .await
        .unwrap();
    let login: serde_json::Value = login.json().await.unwrap();
    let token = login["token"].as_str().unwrap();
    let refused =
        client.get(format!("{base}/api/v1/patients?q=smith")).bearer_auth(token).send().await.unwrap();
    assert_eq!(refused.status(), 422);
    let _ = server.kill();
    let _ = server.wait();

    let mut lines: Vec<String> =
        std::io::BufReader::new(server.stdout.take().unwrap()).lines().map_while(Result::ok).collect();
    lines.extend(std::io::BufReader::new(server.stderr.take().unwrap()).lines().map_while(Result::ok));
    let line = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["message"] == "request" && l["path"] == "/api/v1/patients")
        .unwrap_or_else(|| panic!("a request line: {lines:?}"));
    assert_eq!(line["tenant_id"], login["tenant_id"], "{line}");
    assert_eq!(line["actor_id"], login["user"]["id"], "{line}");
    assert_eq!(line["problem"], "invalid_input", "{line}");
}

/// The fields a 422 names, in order.
fn fields_named(resp: &crate::harness::Resp) -> Vec<String> {
    resp.problem(422, "invalid_input");
    let errors = resp.body["errors"].as_array().expect("errors");
    errors.iter().map(|e| e["field"].as_str().expect("field").to_owned()).collect()
}

db_test!(
    async fn every_invalid_field_of_a_patient_is_named_in_one_answer_and_at_its_field_in_the_console(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = tenant.admin.token.as_str();
        let bad = json!({ "first_name": " ", "last_name": "Lovelace", "date_of_birth": "1990-13-45",
            "nhs_number": "943 476 5918", "email": "ada@" });
        let refused = app.post("/api/v1/patients", Some(token), bad).await;
        assert_eq!(fields_named(&refused), ["first_name", "date_of_birth", "nhs_number", "email"], "{}", refused.body);
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.starts_with("first_name: ") && detail.contains("; email: "), "{detail}");
        // Updating says the same.
        let ok = json!({ "first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10" });
        let id = app.post("/api/v1/patients", Some(token), ok).await.ok(201)["id"].as_str().unwrap().to_owned();
        let bad = json!({ "first_name": "Ada", "last_name": "", "date_of_birth": "tomorrow", "postcode": "SW1A 1AA TOO LONG" });
        let refused = app.call(reqwest::Method::PUT, &format!("/api/v1/patients/{id}"), Some(token), Some(bad)).await;
        assert_eq!(fields_named(&refused), ["last_name", "date_of_birth", "postcode"], "{}", refused.body);

        // The console's form shows each message at its own field.
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let cookie = format!("ils_session={token}");
        let page = client.get(format!("{}/patients/new", app.base)).header("cookie", &cookie).send().await.unwrap();
        let page = page.text().await.unwrap();
        let marker = r#"name="_csrf" value=""#;
        let start = page.find(marker).expect("a CSRF token") + marker.len();
        let csrf = page[start..].split('"').next().unwrap().to_owned();
        let form = [("_csrf", csrf.as_str()), ("first_name", ""), ("last_name", "Lovelace"),
            ("date_of_birth", "1990-13-45"), ("nhs_number", "123")];
        let shown = client
            .post(format!("{}/patients", app.base))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_html_form::to_string(form).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(shown.status(), 422);
        let shown = shown.text().await.unwrap();
        for field in ["first_name", "date_of_birth", "nhs_number"] {
            assert!(shown.contains(&format!(r#"id="{field}-error""#)), "{field}'s message at its field");
            assert!(shown.contains(&format!(r#"aria-describedby="{field}-error""#)), "{field} marked invalid");
        }
        assert!(!shown.contains(r#"id="last_name-error""#));
    }
);

db_test!(
    async fn a_purchase_order_with_two_bad_lines_names_both_and_its_other_mistakes(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = tenant.admin.token.as_str();
        let supplier = crate::purchasing::supplier(&app, token, "Essilor").await;
        let location = crate::stock::location(&app, token, "Shop").await;
        let (a, b) = (crate::stock::item(&app, token, "A-1", 0).await, crate::stock::item(&app, token, "B-1", 0).await);
        let body = json!({ "supplier_id": supplier, "location_id": location, "currency": "ABC",
            "lines": [{ "item_id": a, "quantity": 0, "unit_price_minor": 250 },
                      { "item_id": b, "quantity": 2, "unit_price_minor": -1 }] });
        let refused = app.post("/api/v1/purchase-orders", Some(token), body).await;
        assert_eq!(fields_named(&refused), ["currency", "lines[0].quantity", "lines[1].unit_price_minor"], "{}", refused.body);

        // Items and stock movements too.
        let item = json!({ "sku": "has space", "name": "", "unit": "each", "reorder_point": -1,
            "frame": { "a_mm": 99, "dbl_mm": 18 } });
        let refused = app.post("/api/v1/items", Some(token), item).await;
        assert_eq!(fields_named(&refused), ["sku", "name", "reorder_point", "frame.a_mm"], "{}", refused.body);
        let transfer = json!({ "item_id": a, "from_location_id": location, "to_location_id": location, "quantity": 0 });
        let refused = app.post("/api/v1/stock/transfers", Some(token), transfer).await;
        assert_eq!(fields_named(&refused), ["quantity", "to_location_id"], "{}", refused.body);
    }
);

db_test!(
    async fn skus_are_unique_without_regard_to_case_and_found_in_any_case(backend) {
        use crate::guests::{PROBE, enable_probe, install};
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = tenant.admin.token.as_str();
        let frame = crate::stock::item(&app, token, "FR-RB5154", 0).await;

        let body = json!({ "sku": "fr-rb5154", "name": "Clubmaster", "unit": "each", "reorder_point": 0 });
        let taken = app.post("/api/v1/items", Some(token), body).await;
        taken.problem(409, "sku_taken");
        let detail = taken.body["detail"].as_str().unwrap();
        assert!(detail.contains("FR-RB5154") && detail.contains("Item FR-RB5154") && detail.contains(&frame), "names the item: {detail}");
        // Renaming another item onto it is refused the same way; the item may change its own case.
        let other = crate::stock::item(&app, token, "FR-OTHER", 0).await;
        let rename = json!({ "sku": "Fr-Rb5154", "name": "Other", "unit": "each", "reorder_point": 0 });
        app.call(reqwest::Method::PUT, &format!("/api/v1/items/{other}"), Some(token), Some(rename)).await.problem(409, "sku_taken");
        let recase = json!({ "sku": "FR-rb5154", "name": "Item FR-RB5154", "unit": "each", "reorder_point": 0 });
        app.call(reqwest::Method::PUT, &format!("/api/v1/items/{frame}"), Some(token), Some(recase)).await.ok(200);
        let found = app.get("/api/v1/items?sku=fr-RB5154", token).await;
        let found = found.ok(200)["items"].as_array().unwrap().clone();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["id"], frame.as_str());

        // A plugin that looks stock up by SKU (as Shopify sync does, to move it) finds the item in
        // whatever case its SKU arrives.
        let shop = crate::stock::location(&app, token, "Shop").await;
        crate::stock::adjust(&app, token, &frame, &shop, 3).await.ok(201);
        install(&app, "probe", PROBE, "free").await;
        enable_probe(&app, &tenant).await;
        assert_eq!(app.get("/api/v1/plugins/probe/stock/fr-rb5154", token).await.ok(200), &json!(3));
    }
);

db_test!(
    async fn an_upgrade_meeting_skus_that_differ_only_in_case_stops_naming_them_and_changes_nothing(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = tenant.admin.token.as_str();
        crate::stock::item(&app, token, "FR-RB5154", 0).await;
        crate::stock::item(&app, token, "OTHER-1", 0).await;
        // The state before 0029: no folded index, and a tenant with SKUs differing only in case.
        app.owner_execute("DROP INDEX items_sku_folded").await.unwrap();
        if backend == crate::harness::Backend::Postgres {
            app.owner_execute("ALTER TABLE items ADD CONSTRAINT items_tenant_id_sku_key UNIQUE (tenant_id, sku)")
                .await
                .unwrap();
        }
        app.owner_execute("UPDATE items SET sku = 'fr-rb5154' WHERE sku = 'OTHER-1'").await.unwrap();
        app.owner_execute("DELETE FROM _sqlx_migrations WHERE version = 29").await.unwrap();

        let upgrade = ils_core::db::migrate(&ils_core::db::DbOptions::new(app.inspect_url())).await;
        let said = upgrade.expect_err("the upgrade stops").to_string();
        assert!(said.contains("differ only in case"), "{said}");
        if backend == crate::harness::Backend::Postgres {
            assert!(said.contains("FR-RB5154 (item ") && said.contains("fr-rb5154 (item "), "names the clash: {said}");
        }
        let items = app.get("/api/v1/items", token).await;
        let skus: Vec<&str> = items.ok(200)["items"].as_array().unwrap().iter().map(|i| i["sku"].as_str().unwrap()).collect();
        assert_eq!(skus, ["FR-RB5154", "fr-rb5154"], "nothing renamed or lost");
    }
);
