//! The console's Plans screens over real HTTP (ADR 025): a platform admin lists plans, creates
//! one (a figure that is not a number shown again at its field), edits it, excludes and includes
//! a plugin a tenant runs, moves the tenant to a plan without it and back — each page saying what
//! changed — and is refused deleting a plan in use. A tenant's admin cannot open them.

use serde_json::json;

use crate::console_client::{get, submit};
use crate::guests::{ORDER_NOTES, install};
use crate::harness::{TestApp, db_test};

const GOLD: [(&str, &str); 10] = [
    ("slug", "gold"),
    ("name", "Gold"),
    ("price_label", "£99 / month"),
    ("rank", "25"),
    ("timeout_ms", "20000"),
    ("memory_bytes", "67108864"),
    ("kv_bytes", "1,048,576"),
    ("kv_keys", "1000"),
    ("events_per_minute", "60"),
    ("invocations_per_month", "5000"),
];

db_test!(
    async fn a_platform_admin_edits_plans_in_the_console_and_sees_what_a_plan_change_did(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let root = root.token;
        install(&app, "order_notes", ORDER_NOTES, "free").await;
        let tenant = app.tenant("acme").await;
        let body = json!({ "version": "0.1.0", "consent": ["kv", "http-outbound"] });
        app.put("/api/v1/tenant/plugins/order-notes", &tenant.admin.token, body).await.ok(200);
        assert_eq!(get(&app, "/admin/plans", &tenant.admin.token).await.status, 403, "not for a tenant's admin");

        let list = get(&app, "/admin/plans", &root).await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert!(list.body.contains(r#"id="calls-pro">100000<"#), "{}", list.body);

        let mut wrong = GOLD.to_vec();
        wrong[3] = ("rank", "high");
        let refused = submit(&app, "/admin/plans", &root, &wrong).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains(r#"id="rank-error">must be a whole number"#), "{}", refused.body);
        assert!(refused.body.contains(r#"value="£99 / month""#) || refused.body.contains("£99"), "what was typed stays");
        let created = submit(&app, "/admin/plans", &root, &GOLD).await;
        assert_eq!((created.status, created.location.as_deref()), (303, Some("/admin/plans/gold")), "{}", created.body);
        let api = app.get("/api/v1/platform/plans/gold", &root).await;
        assert_eq!((api.ok(200)["kv_bytes"].clone(), api.body["price_label"].clone()), (json!(1_048_576), json!("£99 / month")));

        let mut edit = GOLD[1..].to_vec();
        edit[8] = ("invocations_per_month", "7");
        let saved = submit(&app, "/admin/plans/gold", &root, &edit).await;
        assert!(saved.body.contains(r#"id="plan-saved""#), "{}", saved.body);
        assert_eq!(app.get("/api/v1/platform/plans/gold", &root).await.ok(200)["invocations_per_month"], 7);

        let excluded = submit(&app, "/admin/plans/pro/plugins/order-notes/exclude", &root, &[]).await;
        assert!(excluded.body.contains("disabled for 1 tenant(s)"), "{}", excluded.body);
        let shown = app.get("/api/v1/tenant/plugins/order-notes", &tenant.admin.token).await;
        assert_eq!(shown.ok(200)["enablement"]["disabled_by_plan"], true);
        let included = submit(&app, "/admin/plans/pro/plugins/order-notes/include", &root, &[]).await;
        assert!(included.body.contains("enabled again, as it was, for 1 tenant(s)"), "{}", included.body);

        let moved = submit(&app, &format!("/admin/tenants/{}/plan", tenant.id), &root, &[("plan", "gold")]).await;
        assert!(moved.body.contains(r#"<p id="plugins-disabled">"#) && moved.body.contains("order-notes"), "{}", moved.body);
        let told = get(&app, "/plugins/order-notes", &tenant.admin.token).await;
        assert!(told.body.contains(r#"id="disabled-by-plan""#), "the practice's page says why: {}", told.body);
        let back = submit(&app, &format!("/admin/tenants/{}/plan", tenant.id), &root, &[("plan", "pro")]).await;
        assert!(back.body.contains(r#"<p id="plugins-reenabled">"#), "{}", back.body);
        assert_eq!(app.get("/api/v1/tenant/plugins/order-notes", &tenant.admin.token).await.ok(200)["enablement"]["enabled"], true);

        let in_use = submit(&app, "/admin/plans/pro/delete", &root, &[]).await;
        assert_eq!(in_use.status, 409, "{}", in_use.body);
        assert!(in_use.body.contains("tenant(s) are on the pro plan"), "{}", in_use.body);
        let deleted = submit(&app, "/admin/plans/gold/delete", &root, &[]).await;
        assert_eq!((deleted.status, deleted.location.as_deref()), (303, Some("/admin/plans")));
        assert_eq!(get(&app, "/admin/plans/gold", &root).await.status, 404);
    }
);
