//! Events: written with their change or not at all, readable per permission, streamed live;
//! and the e-mails they cause.

use std::time::Duration;

use serde_json::json;

use crate::fakes::SmtpSink;
use crate::harness::{PASSWORD, TestApp, db_test};

/// Opens the live event stream as `token`, resuming after `last_event_id` if given.
async fn open_stream(app: &TestApp, token: &str, last_event_id: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("{}/api/v1/events/stream", app.base)).bearer_auth(token);
    if let Some(last) = last_event_id {
        request = request.header("last-event-id", last);
    }
    request.send().await.unwrap()
}

db_test!(
    async fn a_rolled_back_change_leaves_no_event_and_no_job(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let tenant_id: ils_core::ids::TenantId = tenant.id.parse().unwrap();
        let before = app.db.jobs().jobs().list(riverqueue::JobListParams::default().limit(1000)).await.unwrap().jobs.len();
        let event = ils_core::events::catalog::UserRemoved { user_id: ils_core::ids::UserId::new() };
        let mut tx = app.db.tenant(tenant_id).await.unwrap();
        ils_core::events::emit(&mut tx, &event).await.unwrap();
        drop(tx); // rolled back
        let after = app.db.jobs().jobs().list(riverqueue::JobListParams::default().limit(1000)).await.unwrap().jobs.len();
        assert_eq!(before, after, "no job from a rolled-back transaction");
        let events = app.get("/api/v1/events?type=user.removed", &tenant.admin.token).await;
        assert!(events.ok(200)["items"].as_array().unwrap().is_empty());

        // The same change committed: the event and its dispatch job exist.
        let mut tx = app.db.tenant(tenant_id).await.unwrap();
        let id = ils_core::events::emit(&mut tx, &event).await.unwrap();
        tx.commit().await.unwrap();
        let events = app.get("/api/v1/events?type=user.removed", &tenant.admin.token).await;
        assert_eq!(events.ok(200)["items"][0]["id"], id.to_string());
    }
);

db_test!(
    async fn readers_see_only_event_types_their_role_may_read(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let dan = app.member(&tenant, "dan", "dispenser").await;
        app.post("/api/v1/api-keys", Some(&tenant.admin.token), json!({ "name": "k", "scopes": ["users:read"] })).await.ok(201);
        let types = |resp: &serde_json::Value| -> Vec<String> {
            resp["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
        };
        let admin_sees = types(app.get("/api/v1/events?limit=200", &tenant.admin.token).await.ok(200));
        assert!(admin_sees.contains(&"api_key.created".to_owned()), "{admin_sees:?}");
        let dan_sees = types(app.get("/api/v1/events?limit=200", &dan.token).await.ok(200));
        assert!(dan_sees.contains(&"user.approved".to_owned()), "{dan_sees:?}");
        assert!(!dan_sees.contains(&"api_key.created".to_owned()), "a dispenser may not read API key events");
        app.get("/api/v1/events?type=no.such", &dan.token).await.problem(422, "invalid_input");
    }
);

db_test!(
    async fn the_live_stream_carries_new_events_of_the_callers_tenant(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let other = app.tenant("other").await;
        let mut response = open_stream(&app, &tenant.admin.token, None).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        // Another tenant's change first, then ours.
        app.post("/api/v1/auth/register", None, json!({ "tenant": "other", "email": "x@other.example", "name": "X", "password": PASSWORD })).await.ok(202);
        app.post("/api/v1/auth/register", None, json!({ "tenant": "acme", "email": "dan@acme.example", "name": "Dan", "password": PASSWORD })).await.ok(202);
        let mut text = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while !text.contains("dan@acme.example") {
            let chunk = tokio::time::timeout_at(deadline, response.chunk()).await.expect("an event within 15 s").unwrap().unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(text.contains("event: user.registered"), "{text}");
        assert!(text.contains(&format!("\"tenant_id\":\"{}\"", tenant.id)));
        assert!(!text.contains(&other.id), "another tenant's event leaked: {text}");
        assert!(!text.contains("x@other.example"));

        // Resuming with Last-Event-ID replays what came after it.
        let id_line = text.lines().find(|l| l.starts_with("id: ")).unwrap();
        let last = id_line.trim_start_matches("id: ");
        app.post("/api/v1/auth/register", None, json!({ "tenant": "acme", "email": "eve@acme.example", "name": "Eve", "password": PASSWORD })).await.ok(202);
        let mut resumed = open_stream(&app, &tenant.admin.token, Some(last)).await;
        let mut text = String::new();
        while !text.contains("eve@acme.example") {
            let chunk = tokio::time::timeout_at(deadline + Duration::from_secs(10), resumed.chunk()).await.expect("resumed").unwrap().unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(!text.contains("dan@acme.example"), "resumes after the last seen event");
        app.call(reqwest::Method::GET, "/api/v1/events/stream", None, None).await.problem(401, "unauthenticated");
    }
);

db_test!(
    async fn registration_and_approval_send_emails_through_smtp(backend) {
        let sink = SmtpSink::start(false).await;
        let url = sink.url.clone();
        let app = TestApp::spawn_with(backend, move |c| {
            c.email.smtp_url = Some(url);
            c.email.from = "ILS <noreply@ils.test>".into();
        })
        .await;
        let tenant = app.tenant("acme").await;
        let dan = app.member(&tenant, "dan", "ecp").await;
        let mails = TestApp::eventually(15, || async {
            let mails = sink.mails();
            (mails.len() >= 2).then_some(mails)
        })
        .await;
        let to_admin = mails.iter().find(|m| m.to.iter().any(|t| t.contains("admin@acme.example"))).expect("admin told");
        assert!(to_admin.data.contains("dan asks to join Tenant acme"), "{}", to_admin.data);
        assert!(to_admin.from.contains("noreply@ils.test"));
        let to_dan = mails.iter().find(|m| m.to.iter().any(|t| t.contains(&dan.email))).expect("dan told");
        assert!(to_dan.data.contains("You can now sign in to Tenant acme"), "{}", to_dan.data);
    }
);

db_test!(
    async fn a_failing_smtp_server_leads_to_retries_then_a_dead_job(backend) {
        let sink = SmtpSink::start(true).await;
        let url = sink.url.clone();
        let app = TestApp::spawn_with(backend, move |c| c.email.smtp_url = Some(url)).await;
        let (root, _) = app.platform_admin().await;
        app.tenant("acme").await;
        app.post("/api/v1/auth/register", None, json!({ "tenant": "acme", "email": "dan@acme.example", "name": "Dan", "password": PASSWORD })).await.ok(202);
        let dead = TestApp::eventually(20, || async {
            let jobs = app.get("/api/v1/platform/jobs?state=discarded&kind=send_email", &root.token).await;
            jobs.ok(200).as_array().unwrap().first().cloned()
        })
        .await;
        assert_eq!(dead["attempt"], 3);
        assert!(dead["errors"][0].as_str().unwrap().contains("451"), "{dead}");
        assert_eq!(dead["args"]["to"], "admin@acme.example");
        assert_eq!(sink.attempts(), 3, "one SMTP attempt per job attempt");
        assert!(sink.mails().is_empty());
    }
);

db_test!(
    async fn host_maintenance_runs_on_its_cron_schedule(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.auth.session_ttl = Duration::from_secs(1);
            c.jobs.maintenance_schedule = "@every 1s".into();
            c.jobs.session_retention = Duration::ZERO;
        })
        .await;
        let tenant = app.tenant("acme").await;
        app.login(&tenant.admin.email, PASSWORD, None).await;
        let url = app.inspect_url();
        let count = || async {
            use sqlx::Connection as _;
            const SQL: &str = "SELECT count(*) FROM sessions";
            if url.starts_with("sqlite:") {
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query_scalar::<_, i64>(SQL).fetch_one(&mut conn).await.unwrap()
            } else {
                let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                sqlx::query_scalar::<_, i64>(SQL).fetch_one(&mut conn).await.unwrap()
            }
        };
        assert_eq!(count().await, 2);
        // Both sessions end after a second; the next scheduled run deletes them.
        TestApp::eventually(20, || async { (count().await == 0).then_some(()) }).await;
        let runs = app
            .db
            .jobs()
            .jobs()
            .list(riverqueue::JobListParams::default().kinds(["purge_sessions"]).states([riverqueue::JobState::Completed]))
            .await
            .unwrap();
        assert!(!runs.jobs.is_empty(), "the periodic job ran");
    }
);

db_test!(
    async fn a_stream_ends_when_its_session_is_revoked(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let session = app.login(&tenant.admin.email, PASSWORD, None).await;
        let mut stream = open_stream(&app, &session.token, None).await;
        assert_eq!(stream.status(), 200);
        app.post("/api/v1/auth/logout", Some(&session.token), json!({})).await.ok(204);
        // The stream re-checks its credential every 5 s and then closes; keep-alives may come first.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while let Ok(Some(_keep_alive)) =
            tokio::time::timeout_at(deadline, stream.chunk()).await.expect("the stream must end")
        {}
        // Another session's stream is unaffected by that sign-out.
        let other = open_stream(&app, &tenant.admin.token, None).await;
        assert_eq!(other.status(), 200);
    }
);

db_test!(
    async fn open_event_streams_are_capped_per_caller_and_a_closed_one_frees_its_place(backend) {
        let app = TestApp::spawn_with(backend, |c| c.events.streams_per_caller = 2).await;
        let tenant = app.tenant("acme").await;
        let first = open_stream(&app, &tenant.admin.token, None).await;
        let second = open_stream(&app, &tenant.admin.token, None).await;
        assert_eq!((first.status().as_u16(), second.status().as_u16()), (200, 200));
        // A third, even from another session of the same user, is refused.
        let again = app.login(&tenant.admin.email, PASSWORD, None).await;
        for token in [&tenant.admin.token, &again.token] {
            let refused = TestApp::read(open_stream(&app, token, None).await).await;
            refused.problem(429, "too_many_streams");
            assert!(refused.headers.contains_key("retry-after"));
        }
        // Another caller (an API key) has places of its own.
        let key = app.post("/api/v1/api-keys", Some(&tenant.admin.token), json!({ "name": "erp", "scopes": ["tenant:read"] })).await;
        let key = key.ok(201)["secret"].as_str().unwrap().to_owned();
        let keyed = open_stream(&app, &key, None).await;
        assert_eq!(keyed.status(), 200);
        // Closing a stream frees its place.
        drop(first);
        let reopened = TestApp::eventually(30, || async {
            let resp = open_stream(&app, &again.token, None).await;
            (resp.status() == 200).then_some(resp)
        })
        .await;
        drop((second, reopened, keyed));
    }
);
