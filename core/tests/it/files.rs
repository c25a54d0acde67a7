//! Tenant files and staff e-mail for plugins (issue 13, docs/adr/027): a plugin stores a file
//! through the host's service, the tenant's members download it over HTTP and nobody else can;
//! a plugin lists and removes only its own; e-mail by role reaches exactly the tenant's active
//! members with that role, through SMTP, with links to the files.

use axum::body::Bytes;
use ils_core::plugins::CoreServices;
use ils_host_api::Scope;
use ils_host_api::services::{Email, PageRequest, ServiceError};
use ils_registry::PluginId;
use serde_json::{Value, json};

use crate::fakes::SmtpSink;
use crate::harness::{PASSWORD, Tenant, TestApp, db_test};

fn scope(tenant: &Tenant, plugin: &str) -> Scope {
    Scope {
        tenant: tenant.id.parse().unwrap(),
        plugin: PluginId::new(plugin).unwrap(),
        version: semver::Version::new(1, 2, 0),
        caller: None,
    }
}

fn services(app: &TestApp) -> &ils_host_api::services::HostServices {
    app.state.plugins.services()
}

/// Stores a file as `plugin` of `tenant` would; its id.
async fn put(
    app: &TestApp,
    tenant: &Tenant,
    plugin: &str,
    name: &str,
    content_type: &str,
    body: &'static [u8],
) -> String {
    let stored =
        services(app).files.put(&scope(tenant, plugin), name, content_type, Bytes::from_static(body)).await;
    stored.unwrap().id
}

/// A download: the raw answer, with the bytes.
pub async fn download(
    app: &TestApp,
    id: &str,
    auth: Auth<'_>,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Bytes) {
    let mut request = app.client.get(format!("{}/api/v1/files/{id}", app.base));
    request = match auth {
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::Cookie(token) => request.header("cookie", format!("theme=dark; ils_session={token}")),
        Auth::None => request,
    };
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap())
}

#[derive(Clone, Copy)]
pub enum Auth<'a> {
    Bearer(&'a str),
    Cookie(&'a str),
    None,
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

async fn problem(app: &TestApp, id: &str, auth: Auth<'_>, status: u16, code: &str) {
    let mut request = app.client.get(format!("{}/api/v1/files/{id}", app.base));
    if let Auth::Bearer(token) = auth {
        request = request.bearer_auth(token);
    }
    TestApp::read(request.send().await.unwrap()).await.problem(status, code);
}

async fn audit(app: &TestApp, tenant: &Tenant, action: &str) -> Vec<Value> {
    let entries = app.get(&format!("/api/v1/audit?action={action}&limit=200"), &tenant.admin.token).await;
    entries.ok(200)["items"].as_array().unwrap().clone()
}

db_test!(
    async fn a_plugins_file_downloads_for_every_member_of_its_tenant_and_no_one_else(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let supplier = app.member(&a, "sam", "supplier").await;
        let body: &[u8] = b"day,jobs\n2026-03-02,41\n";
        let id = put(&app, &a, "reports", "turnaround.csv", "text/csv; charset=utf-8", body).await;

        for token in [&a.admin.token, &supplier.token] {
            let (status, headers, bytes) = download(&app, &id, Auth::Bearer(token)).await;
            assert_eq!(status, 200);
            assert_eq!(bytes, body, "the bytes the plugin stored");
            assert_eq!(header(&headers, "content-type"), "text/csv; charset=utf-8");
            assert_eq!(header(&headers, "content-length"), body.len().to_string());
            assert_eq!(header(&headers, "content-disposition"), "attachment; filename=\"turnaround.csv\"; filename*=UTF-8''turnaround.csv");
            assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        }
        // A link in an e-mail opens in a browser: the console's session cookie is enough.
        let (status, _, bytes) = download(&app, &id, Auth::Cookie(&supplier.token)).await;
        assert_eq!((status.as_u16(), &bytes[..]), (200, body));

        // Another tenant's member, an unknown id, nobody: the same 404 as for no file at all, and 401.
        problem(&app, &id, Auth::Bearer(&b.admin.token), 404, "not_found").await;
        let (status, _, _) = download(&app, &id, Auth::Cookie(&b.admin.token)).await;
        assert_eq!(status, 404);
        problem(&app, "01900000-0000-7000-8000-000000000000", Auth::Bearer(&a.admin.token), 404, "not_found").await;
        problem(&app, &id, Auth::None, 401, "unauthenticated").await;
        let (status, _, _) = download(&app, &id, Auth::Cookie("ils_s_forged")).await;
        assert_eq!(status, 401);

        // API keys need the files:read scope.
        let key = |scopes: Value| app.post("/api/v1/api-keys", Some(&a.admin.token), json!({ "name": "k", "scopes": scopes }));
        let reader = key(json!(["files:read"])).await.ok(201)["secret"].as_str().unwrap().to_owned();
        let other = key(json!(["orders:read"])).await.ok(201)["secret"].as_str().unwrap().to_owned();
        assert_eq!(download(&app, &id, Auth::Bearer(&reader)).await.0, 200);
        problem(&app, &id, Auth::Bearer(&other), 403, "forbidden").await;

        let stored = audit(&app, &a, "file.stored").await;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0]["entity_id"], id);
        assert_eq!(stored[0]["request_id"], "plugin:reports@1.2.0");
        assert_eq!(stored[0]["changes"]["plugin_id"], "reports");
        assert_eq!(stored[0]["changes"]["size"], body.len());
        assert!(audit(&app, &b, "file.stored").await.is_empty());
    }
);

db_test!(
    async fn a_nasty_name_comes_back_exactly_and_html_cannot_run_script_in_our_origin(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let name = "Zürich \"Q1\"; filename=evil.exe 100% ✓.html";
        let id = put(&app, &a, "reports", name, "text/html; charset=utf-8", b"<script>alert(1)</script>").await;
        let (status, headers, _) = download(&app, &id, Auth::Bearer(&a.admin.token)).await;
        assert_eq!(status, 200);
        assert_eq!(
            header(&headers, "content-disposition"),
            "attachment; filename=\"Z_rich _Q1_; filename=evil.exe 100_ _.html\"; \
             filename*=UTF-8''Z%C3%BCrich%20%22Q1%22%3B%20filename%3Devil.exe%20100%25%20%E2%9C%93.html"
        );
        assert!(header(&headers, "content-security-policy").starts_with("sandbox;"), "{headers:?}");
        assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");

        // Names that are paths, or that reorder themselves on screen, are refused before anything is stored.
        let files = &services(&app).files;
        for bad in ["../../etc/passwd", "invoice\u{202E}fdp.exe"] {
            let refused = files.put(&scope(&a, "reports"), bad, "text/plain", Bytes::from_static(b"x")).await;
            assert!(matches!(refused, Err(ServiceError::Invalid(_))), "{bad:?}: {refused:?}");
        }
        let listed = app.get("/api/v1/files", &a.admin.token).await;
        assert_eq!(listed.ok(200)["items"].as_array().unwrap().len(), 1);
    }
);

fn ids(page: &[ils_host_api::services::FileInfo]) -> Vec<String> {
    page.iter().map(|f| f.id.clone()).collect()
}

db_test!(
    async fn a_plugin_pages_through_its_own_files_newest_first_and_removes_only_its_own(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let mut mine = Vec::new();
        for n in 0..3 {
            mine.push(put(&app, &a, "reports", &format!("week-{n}.csv"), "text/csv", b"x").await);
        }
        let theirs = put(&app, &a, "exports", "stock.csv", "text/csv", b"y").await;
        put(&app, &b, "reports", "beta.csv", "text/csv", b"z").await;
        let files = &services(&app).files;
        let reports = scope(&a, "reports");

        let first = files.list(&reports, &PageRequest { cursor: None, limit: 2 }).await.unwrap();
        assert_eq!(ids(&first.rows), [mine[2].clone(), mine[1].clone()], "newest first");
        assert_eq!(first.rows[0].name, "week-2.csv");
        let rest = files.list(&reports, &PageRequest { cursor: first.next_cursor.clone(), limit: 2 }).await.unwrap();
        assert_eq!(ids(&rest.rows), [mine[0].clone()]);
        assert_eq!(rest.next_cursor, None);
        let bad_cursor = files.list(&reports, &PageRequest { cursor: Some("nope".into()), limit: 2 }).await;
        assert!(matches!(bad_cursor, Err(ServiceError::Invalid(_))), "{bad_cursor:?}");

        // Another plugin's file, another tenant's view, an id that is not one: not found.
        assert_eq!(files.delete(&reports, &theirs).await, Err(ServiceError::NotFound));
        assert_eq!(files.delete(&scope(&b, "reports"), &mine[0]).await, Err(ServiceError::NotFound));
        assert_eq!(files.delete(&reports, "not-an-id").await, Err(ServiceError::NotFound));
        assert_eq!(download(&app, &theirs, Auth::Bearer(&a.admin.token)).await.0, 200, "still there");

        files.delete(&reports, &mine[1]).await.unwrap();
        assert_eq!(download(&app, &mine[1], Auth::Bearer(&a.admin.token)).await.0, 404);
        assert_eq!(files.delete(&reports, &mine[1]).await, Err(ServiceError::NotFound), "once");
        let blob = app.state.config.files.clone();
        let ils_core::config::FileStorage::Dir(root) = blob;
        assert!(!root.join(&a.id).join(&mine[1]).exists(), "the bytes went with the row");
        assert!(root.join(&a.id).join(&mine[0]).exists());
        let deleted = audit(&app, &a, "file.deleted").await;
        assert_eq!(deleted.len(), 1);
        assert_eq!((&deleted[0]["entity_id"], &deleted[0]["changes"]["name"]), (&json!(mine[1]), &json!("week-1.csv")));

        // Over the API, a company admin lists every plugin's files; other roles may not.
        let page = app.get("/api/v1/files?limit=2", &a.admin.token).await;
        let page = page.ok(200).clone();
        let listed: Vec<&str> = page["items"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
        assert_eq!(listed, [theirs.as_str(), mine[2].as_str()]);
        assert_eq!(page["items"][0]["plugin_id"], "exports");
        assert_eq!(page["items"][0]["size"], 1);
        assert_eq!(page["items"][0]["content_type"], "text/csv");
        let cursor = page["next_cursor"].as_str().unwrap();
        let next = app.get(&format!("/api/v1/files?limit=2&cursor={cursor}"), &a.admin.token).await;
        let next = next.ok(200).clone();
        assert_eq!(next["items"].as_array().unwrap().len(), 1);
        assert_eq!(next["items"][0]["id"], mine[0]);
        assert_eq!(next["next_cursor"], Value::Null);
        let tech = app.member(&a, "lee", "lab_tech").await;
        app.get("/api/v1/files", &tech.token).await.problem(403, "forbidden");
        let beta = app.get("/api/v1/files", &b.admin.token).await;
        assert_eq!(beta.ok(200)["items"].as_array().unwrap().len(), 1, "only beta's own");
    }
);

fn email(links: Vec<String>) -> Email {
    Email {
        subject: "Weekly turnaround".into(),
        text: "This week's turnaround report is ready.".into(),
        html: Some("<html><body><p>This week's <b>turnaround</b> report is ready.</p></body></html>".into()),
        file_links: links,
    }
}

fn roles(names: &[&str]) -> Vec<String> {
    names.iter().map(|r| r.to_string()).collect()
}

db_test!(
    async fn e_mail_by_role_reaches_each_active_member_with_the_role_and_links_the_files(backend) {
        let sink = SmtpSink::start(false).await;
        let url = sink.url.clone();
        let app = TestApp::spawn_with(backend, move |c| {
            c.email.smtp_url = Some(url);
            c.public_url = "https://ils.example.com/".parse().unwrap();
        })
        .await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let lee = app.member(&a, "lee", "lab_tech").await;
        let kim = app.member(&a, "kim", "lab_tech").await;
        let max = app.member(&a, "max", "lab_tech").await;
        app.delete(&format!("/api/v1/users/{}", max.user_id), &a.admin.token).await.ok(204);
        app.post("/api/v1/auth/register", None, json!({ "tenant": "alpha", "email": "pat@alpha.example", "name": "Pat", "password": PASSWORD }))
            .await
            .ok(202);
        app.member(&a, "eve", "ecp").await;
        app.member(&b, "bob", "lab_tech").await;
        let report = put(&app, &a, "reports", "turnaround.html", "text/html", b"<p>41 jobs</p>").await;

        let notify = &services(&app).notify;
        let sent = notify.email_roles(&scope(&a, "reports"), &roles(&["lab_tech"]), &email(vec![report.clone()])).await;
        assert_eq!(sent, Ok(2), "lee and kim; not max (removed), pat (pending), eve (ecp) or bob (beta)");

        let mails = TestApp::eventually(20, || async {
            let mails: Vec<_> = sink.mails().into_iter().filter(|m| m.data.contains("Weekly turnaround")).collect();
            (mails.len() >= 2).then_some(mails)
        })
        .await;
        let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
        to.sort();
        assert_eq!(to, [format!("<{}>", kim.email), format!("<{}>", lee.email)], "one message each");
        let link = format!("https://ils.example.com/api/v1/files/{report}");
        for mail in &mails {
            let data = mail.data.replace("=\n", "");
            assert!(data.contains("multipart/alternative"), "{data}");
            assert!(data.contains("text/html"), "{data}");
            assert!(data.matches(&link).count() >= 2, "the link in the text and in the HTML: {data}");
            assert!(data.contains("by its reports plugin"), "{data}");
        }

        let notices = audit(&app, &a, "plugin.notify").await;
        assert_eq!(notices.len(), 1);
        let changes = &notices[0]["changes"];
        assert_eq!((&changes["roles"], &changes["recipients"]), (&json!(["lab_tech"]), &json!(2)));
        assert!(!notices[0].to_string().contains("alpha.example"), "no addresses in the audit log: {}", notices[0]);

        // Links to files the tenant does not have are refused, and nothing is queued.
        let beta_file = put(&app, &b, "reports", "beta.csv", "text/csv", b"z").await;
        for link in [beta_file, "01900000-0000-7000-8000-000000000000".into(), "nope".into()] {
            let refused = notify.email_roles(&scope(&a, "reports"), &roles(&["lab_tech"]), &email(vec![link.clone()])).await;
            assert!(matches!(refused, Err(ServiceError::Invalid(_))), "{link}: {refused:?}");
        }
        let to_beta = notify.email_roles(&scope(&b, "reports"), &roles(&["company_admin", "lab_tech"]), &email(vec![])).await;
        assert_eq!(to_beta, Ok(2), "beta's admin and bob");
        assert_eq!(audit(&app, &a, "plugin.notify").await.len(), 1);
    }
);

db_test!(
    async fn without_a_mail_server_e_mail_is_refused_not_queued(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let refused = services(&app).notify.email_roles(&scope(&a, "reports"), &roles(&["company_admin"]), &email(vec![])).await;
        assert!(matches!(&refused, Err(ServiceError::Unavailable(why)) if why.contains("no mail server")), "{refused:?}");
        assert!(audit(&app, &a, "plugin.notify").await.is_empty());
        // The same services reach a second runtime over the same state.
        let CoreServices { notify, .. } = app.state.plugin_services();
        assert!(notify.email_roles(&scope(&a, "reports"), &roles(&["ecp"]), &email(vec![])).await.is_err());
    }
);
