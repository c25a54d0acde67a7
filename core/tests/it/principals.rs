//! Cached principals (ADR 034): a bearer token's principal is kept between requests, and every
//! change to what it was read from — on this node, on another node, or by hand in the database —
//! is seen by the very next request (on another node, as soon as PostgreSQL's notification
//! arrives).

use std::time::Duration;

use serde_json::json;

use crate::harness::{Backend, PASSWORD, TestApp, db_test};

async fn me(app: &TestApp, base: &str, token: &str) -> u16 {
    let response =
        app.client.get(format!("{base}/api/v1/me")).bearer_auth(token).send().await.expect("GET /me");
    response.status().as_u16()
}

/// Polls `base`'s GET /me with `token` until it answers `status` (within 5 s).
async fn until(app: &TestApp, base: &str, token: &str, status: u16) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let got = me(app, base, token).await;
        if got == status {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{base} still answers {got}, not {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

db_test!(
    async fn changes_on_this_node_reach_the_next_request(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let nurse = app.member(&tenant, "nora", "dispenser").await;
        // Served twice, the second time from the cache.
        for _ in 0..2 {
            app.get("/api/v1/users", &tenant.admin.token).await.ok(200);
            app.get("/api/v1/patients", &nurse.token).await.ok(200);
        }
        // A role change is in force for the next request.
        let path = format!("/api/v1/users/{}", nurse.user_id);
        app.patch(&path, &tenant.admin.token, json!({ "role": "lab_tech" })).await.ok(200);
        app.get("/api/v1/patients", &nurse.token).await.problem(403, "forbidden");
        // So is an ended session, and a revoked key.
        let key = app.post("/api/v1/api-keys", Some(&tenant.admin.token), json!({ "name": "erp", "scopes": ["users:read"] })).await;
        let key = key.ok(201);
        let (secret, id) = (key["secret"].as_str().unwrap().to_owned(), key["id"].as_str().unwrap().to_owned());
        app.get("/api/v1/users", &secret).await.ok(200);
        app.delete(&format!("/api/v1/api-keys/{id}"), &tenant.admin.token).await.ok(204);
        app.get("/api/v1/users", &secret).await.problem(401, "invalid_token");
        app.post("/api/v1/auth/logout", Some(&nurse.token), json!({})).await.ok(204);
        app.get("/api/v1/me", &nurse.token).await.problem(401, "invalid_token");
        app.get("/api/v1/me", &tenant.admin.token).await.ok(200);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(ils_pg), ignore = "PostgreSQL not configured: set ILS_TEST_DATABASE_URL")]
async fn another_nodes_sign_out_and_suspension_reach_this_node() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let scratch = tempfile::tempdir().unwrap();
    let other = app.second_node(scratch.path()).await;
    let (root, _) = app.platform_admin().await;
    let tenant = app.tenant("acme").await;
    let again = app.login(&tenant.admin.email, PASSWORD, None).await;
    // Both nodes have both sessions cached.
    for _ in 0..2 {
        assert_eq!(me(&app, &other, &tenant.admin.token).await, 200);
        assert_eq!(me(&app, &other, &again.token).await, 200);
    }
    // Signed out on the first node: refused on the other.
    app.post("/api/v1/auth/logout", Some(&again.token), json!({})).await.ok(204);
    until(&app, &other, &again.token, 401).await;
    assert_eq!(me(&app, &other, &tenant.admin.token).await, 200, "the other session is untouched");

    // Suspended on the first node: the other refuses the tenant's work.
    let path = format!("/api/v1/tenants/{}", tenant.id);
    app.patch(&path, &root.token, json!({ "status": "suspended" })).await.ok(200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let users = app
            .client
            .get(format!("{other}/api/v1/users"))
            .bearer_auth(&tenant.admin.token)
            .send()
            .await
            .unwrap();
        if users.status() == 403 {
            let body: serde_json::Value = users.json().await.unwrap();
            assert_eq!(body["code"], "tenant_suspended");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the other node still serves a suspended tenant");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(ils_pg), ignore = "PostgreSQL not configured: set ILS_TEST_DATABASE_URL")]
async fn a_session_revoked_by_hand_in_the_database_is_refused() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let tenant = app.tenant("acme").await;
    for _ in 0..2 {
        app.get("/api/v1/me", &tenant.admin.token).await.ok(200);
    }
    // An operator ends every session with SQL: the triggers tell every node.
    app.owner_execute("UPDATE sessions SET revoked_at = now()").await.unwrap();
    until(&app, &app.base, &tenant.admin.token, 401).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(ils_pg), ignore = "PostgreSQL not configured: set ILS_TEST_DATABASE_URL")]
async fn a_session_refresh_does_not_drop_the_cache_but_a_revocation_does() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let tenant = app.tenant("acme").await;
    app.get("/api/v1/me", &tenant.admin.token).await.ok(200);
    let epoch = app.db.credentials().clone();
    // The first resolve started listening; the cache is on once the listener is connected.
    let before = TestApp::eventually(5, || async { epoch.current() }).await;
    // Refreshing when a session was last seen changes no credential: no notification.
    app.owner_execute("UPDATE sessions SET last_seen_at = now()").await.unwrap();
    app.get("/api/v1/me", &tenant.admin.token).await.ok(200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(epoch.current(), Some(before), "last_seen_at moved no epoch");
    app.owner_execute("UPDATE sessions SET revoked_at = now()").await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while epoch.current() == Some(before) {
        assert!(tokio::time::Instant::now() < deadline, "no notification for a revocation");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
