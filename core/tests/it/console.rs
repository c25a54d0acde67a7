//! The web console over real HTTP: sessions in a cookie, CSRF on every change, a strict CSP,
//! escaping, and other tenants' pages answering the 404 page. The browser walks the console in
//! `core/tests/browser`; these tests cover what a browser test would only see indirectly.

use ils_tenancy::tenants::TenantKind;
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::harness::{TestApp, db_test};

/// A browser-like client that does not follow redirects, so a test sees where it is sent.
fn browser() -> reqwest::Client {
    ils_core::install_tls_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

struct Page {
    status: u16,
    location: Option<String>,
    content_type: String,
    csp: String,
    body: String,
}

async fn get(app: &TestApp, path: &str, session: Option<&str>) -> Page {
    let mut request = browser().get(format!("{}{path}", app.base));
    if let Some(token) = session {
        request = request.header(COOKIE, format!("ils_session={token}"));
    }
    read(request.send().await.expect("request")).await
}

async fn post(app: &TestApp, path: &str, session: &str, form: &[(&str, &str)], origin: Option<&str>) -> Page {
    let request =
        browser().post(format!("{}{path}", app.base)).header(COOKIE, format!("ils_session={session}"));
    let mut request = with_form(request, form);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    read(request.send().await.expect("request")).await
}

async fn read(response: reqwest::Response) -> Page {
    let header =
        |name| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (content_type, csp) = (header(CONTENT_TYPE), header(CONTENT_SECURITY_POLICY));
    let location = response.headers().get(LOCATION).map(|v| v.to_str().expect("location").to_owned());
    let status = response.status().as_u16();
    Page { status, location, content_type, csp, body: response.text().await.expect("body") }
}

/// A request carrying `form` as a browser sends it.
fn with_form(request: reqwest::RequestBuilder, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
    request
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_html_form::to_string(form).expect("form"))
}

/// The CSRF token a page's forms carry, as a browser would submit it.
fn csrf(page: &Page) -> String {
    let marker = r#"name="_csrf" value=""#;
    let start = page.body.find(marker).expect("a form with a CSRF token") + marker.len();
    page.body[start..].split('"').next().expect("token").to_owned()
}

async fn patients_named(app: &TestApp, token: &str, name: &str) -> usize {
    let found = app.get(&format!("/api/v1/patients?name={name}"), token).await;
    found.ok(200)["items"].as_array().expect("items").len()
}

db_test!(
    async fn pages_need_a_session_and_carry_a_strict_csp(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;

        let anonymous = get(&app, "/patients?q=Sm", None).await;
        assert_eq!(anonymous.status, 303);
        assert_eq!(anonymous.location.as_deref(), Some("/sign-in?next=%2Fpatients%3Fq%3DSm"));

        let page = get(&app, "/patients", Some(&practice.admin.token)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.content_type.starts_with("text/html"), "{}", page.content_type);
        assert!(page.csp.contains("script-src 'self'") && page.csp.contains("frame-ancestors 'none'"), "{}", page.csp);
        assert!(!page.csp.contains("unsafe-inline") && !page.csp.contains("unsafe-eval"), "{}", page.csp);
        assert!(!page.body.contains("<script>") && !page.body.contains(" on"), "inline script or handler in the page");

        let revoked = app.post("/api/v1/auth/logout", Some(&practice.admin.token), json!({})).await;
        assert_eq!(revoked.status, 204);
        assert_eq!(get(&app, "/patients", Some(&practice.admin.token)).await.status, 303);
    }
);

db_test!(
    async fn signing_in_sets_an_http_only_cookie_and_signing_out_ends_the_session(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let email = practice.admin.email.clone();

        let sign_in = [("email", email.as_str()), ("password", crate::harness::PASSWORD), ("next", "/patients")];
        let response = with_form(browser().post(format!("{}/sign-in", app.base)), &sign_in)
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(response.headers()[LOCATION], "/patients");
        let cookie = response.headers()[SET_COOKIE].to_str().expect("cookie").to_owned();
        assert!(cookie.starts_with("ils_session=ils_s_"), "{cookie}");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
        let token = cookie.trim_start_matches("ils_session=").split(';').next().expect("token").to_owned();

        let wrong_password = [("email", email.as_str()), ("password", "not the password at all")];
        let wrong = with_form(browser().post(format!("{}/sign-in", app.base)), &wrong_password)
            .send()
            .await
            .expect("wrong password");
        assert_eq!(wrong.status().as_u16(), 401);
        assert!(wrong.headers().get(SET_COOKIE).is_none());
        assert!(wrong.text().await.expect("page").contains("The e-mail address or password is wrong."));

        let home = get(&app, "/", Some(&token)).await;
        let out = post(&app, "/sign-out", &token, &[("_csrf", &csrf(&home))], None).await;
        assert_eq!(out.status, 303);
        app.get("/api/v1/me", &token).await.problem(401, "invalid_token");
    }
);

db_test!(
    async fn a_change_without_the_csrf_token_or_from_another_site_is_refused_and_stores_nothing(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let token = practice.admin.token.clone();
        let form_page = get(&app, "/patients/new", Some(&token)).await;
        let good = csrf(&form_page);
        let patient =
            [("first_name", "Ann"), ("last_name", "Csrf"), ("date_of_birth", "1980-02-29")];

        let without = post(&app, "/patients", &token, &patient, None).await;
        assert_eq!(without.status, 403, "{}", without.body);
        assert!(without.body.contains("Form expired"));

        let mut wrong = patient.to_vec();
        wrong.push(("_csrf", "0000"));
        assert_eq!(post(&app, "/patients", &token, &wrong, None).await.status, 403);

        let other = app.tenant_of_kind("other", TenantKind::Ecp).await;
        let mut theirs = patient.to_vec();
        let their_token = csrf(&get(&app, "/patients/new", Some(&other.admin.token)).await);
        theirs.push(("_csrf", &their_token));
        assert_eq!(post(&app, "/patients", &token, &theirs, None).await.status, 403, "another session's token");

        let mut right = patient.to_vec();
        right.push(("_csrf", &good));
        let cross_site = post(&app, "/patients", &token, &right, Some("https://evil.example")).await;
        assert_eq!(cross_site.status, 403);
        assert_eq!(patients_named(&app, &token, "Csrf").await, 0, "a refused form stored a patient");

        let same_site = post(&app, "/patients", &token, &right, None).await;
        assert_eq!(same_site.status, 303, "{}", same_site.body);
        assert!(same_site.location.expect("record").starts_with("/patients/"));
        assert_eq!(patients_named(&app, &token, "Csrf").await, 1);
    }
);

db_test!(
    async fn scripts_in_free_text_are_shown_as_text(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let token = practice.admin.token.clone();
        let script = "<script>alert('x')</script>";
        let created = app
            .post(
                "/api/v1/patients",
                Some(&token),
                json!({ "first_name": "Ann", "last_name": "Smith", "date_of_birth": "1980-02-29",
                        "address": script, "medical_notes": "<img src=x onerror=alert(1)>", "phone": "\"><b>01</b>" }),
            )
            .await;
        let id = created.ok(201)["id"].as_str().expect("id").to_owned();
        let record = get(&app, &format!("/patients/{id}"), Some(&token)).await;
        assert_eq!(record.status, 200);
        assert!(!record.body.contains(script) && !record.body.contains("<img src=x"), "unescaped text in the page");
        assert!(!record.body.contains("<b>01</b>"));
        assert!(record.body.contains("&lt;script&gt;") || record.body.contains("&#60;script&#62;"), "{}", record.body);

        // A refused form shows what was typed, escaped.
        let form = get(&app, "/patients/new", Some(&token)).await;
        let typed = [("_csrf", csrf(&form)), ("first_name", script.to_owned()), ("last_name", String::new())];
        let typed: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = post(&app, "/patients", &token, &typed, None).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(!refused.body.contains(script));
    }
);

db_test!(
    async fn another_tenants_pages_answer_the_404_page(backend) {
        let app = TestApp::spawn(backend).await;
        let mine = app.tenant_of_kind("mine", TenantKind::Ecp).await;
        let theirs = app.tenant_of_kind("theirs", TenantKind::Ecp).await;
        let created = app
            .post(
                "/api/v1/patients",
                Some(&theirs.admin.token),
                json!({ "first_name": "Private", "last_name": "Person", "date_of_birth": "1970-01-01" }),
            )
            .await;
        let id = created.ok(201)["id"].as_str().expect("id").to_owned();
        let exam = app
            .post(
                &format!("/api/v1/patients/{id}/examinations"),
                Some(&theirs.admin.token),
                json!({ "examined_on": "2026-11-01", "notes": "Private notes" }),
            )
            .await;
        let exam = exam.ok(201)["id"].as_str().expect("exam id").to_owned();

        for path in [
            format!("/examinations/{exam}"),
            format!("/patients/{id}/examinations/new"),
            format!("/patients/{id}"),
            format!("/patients/{id}/prescriptions/new"),
            format!("/orders/new?patient={id}"),
            "/orders/01900000-0000-7000-8000-000000000000".to_owned(),
        ] {
            let page = get(&app, &path, Some(&mine.admin.token)).await;
            assert_eq!(page.status, 404, "{path}: {}", page.body);
            assert!(page.content_type.starts_with("text/html"), "{path}");
            assert!(!page.body.contains("Private"), "{path} shows the other tenant's patient");
        }
        let form = get(&app, "/patients/new", Some(&mine.admin.token)).await;
        let rx = [("_csrf", csrf(&form)), ("right.sphere", "+1.00".into()), ("left.sphere", "+1.00".into()),
                  ("issued_on", "2026-01-01".into()), ("prescriber", "X".into())];
        let rx: Vec<(&str, &str)> = rx.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let written = post(&app, &format!("/patients/{id}/prescriptions"), &mine.admin.token, &rx, None).await;
        assert_eq!(written.status, 404, "{}", written.body);
        let theirs_rx = app.get(&format!("/api/v1/patients/{id}/prescriptions"), &theirs.admin.token).await;
        assert_eq!(theirs_rx.ok(200).as_array().expect("list").len(), 0);
        let finalised = post(&app, &format!("/examinations/{exam}/finalise"), &mine.admin.token, &rx[..1], None).await;
        assert_eq!(finalised.status, 404, "{}", finalised.body);
        let still = app.get(&format!("/api/v1/examinations/{exam}"), &theirs.admin.token).await;
        assert_eq!(still.ok(200)["finalised_at"], serde_json::Value::Null, "another tenant finalised the examination");
    }
);

db_test!(
    async fn platform_admins_see_the_whole_catalogue_with_how_many_tenants_run_each_plugin(backend) {
        use crate::guests::{NHS_GOS, install};
        let app = TestApp::spawn(backend).await;
        install(&app, "nhs_gos", NHS_GOS, "free").await;
        let practice = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let consent = json!({ "version": "0.1.0", "consent": ["kv", "clinical-read", "orders-read"] });
        app.put("/api/v1/tenant/plugins/nhs-gos", &practice.admin.token, consent).await.ok(200);
        let (root, _) = app.platform_admin().await;

        let listed = app.get("/api/v1/platform/plugins", &root.token).await;
        let entry = listed.ok(200).as_array().expect("list").iter().find(|p| p["id"] == "nhs-gos").expect("nhs-gos").clone();
        assert_eq!(entry["tenants_enabled"], 1, "{entry}");
        assert_eq!(entry["versions"][0]["pages"][0]["path"], "/pages/claims", "{entry}");
        app.get("/api/v1/platform/plugins", &practice.admin.token).await.problem(403, "platform_admin_required");

        let page = get(&app, "/admin/plugins", Some(&root.token)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(r#"id="tenants-nhs-gos">1<"#), "{}", page.body);
        assert_eq!(get(&app, "/admin/plugins", Some(&practice.admin.token)).await.status, 403);
    }
);
