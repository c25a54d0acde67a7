//! PostgreSQL only: row-level security is a second wall behind the tenant-scoped data layer.

use sqlx::Connection as _;

use crate::harness::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(ils_pg), ignore = "PostgreSQL not configured: set ILS_TEST_DATABASE_URL")]
async fn the_service_role_sees_no_rows_without_a_tenant_setting() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let a = app.tenant("alpha").await;
    let b = app.tenant("beta").await;
    // Rows in every tenant-owned table: a patient, a prescription, a webhook endpoint (with its
    // events and, once delivered, its deliveries).
    let token = Some(a.admin.token.as_str());
    let receiver = crate::fakes::Receiver::start().await;
    app.post("/api/v1/webhooks", token, serde_json::json!({ "url": receiver.url })).await.ok(201);
    let patient = serde_json::json!({ "first_name": "A", "last_name": "B", "date_of_birth": "1970-01-01" });
    let patient =
        app.post("/api/v1/patients", token, patient).await.ok(201)["id"].as_str().unwrap().to_owned();
    let eye = serde_json::json!({ "sphere": "-1.00" });
    let rx = serde_json::json!({ "kind": "spectacles", "right": eye, "left": eye, "issued_on": "2026-01-01", "prescriber": "O" });
    app.post(&format!("/api/v1/patients/{patient}/prescriptions"), token, rx).await.ok(201);
    let consent = serde_json::json!({ "kind": "marketing", "choice": "granted", "source": "phone", "wording": "Offers" });
    app.post(&format!("/api/v1/patients/{patient}/consents"), token, consent).await.ok(201);
    app.post(&format!("/api/v1/patients/{patient}/exports"), token, serde_json::json!({})).await.ok(201);
    TestApp::eventually(15, || async { (!receiver.received().is_empty()).then_some(()) }).await;
    let mut conn = sqlx::PgConnection::connect(app.service_url().unwrap()).await.unwrap();

    // The role the service runs as is neither superuser, nor owner, nor exempt from RLS.
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(!superuser && !bypass);
    let owned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(owned, 0);

    // No setting: nothing, from any tenant-owned table.
    for table in [
        "tenants",
        "users",
        "memberships",
        "api_keys",
        "audit_log",
        "sessions",
        "recovery_codes",
        "events",
        "webhook_endpoints",
        "webhook_deliveries",
        "patients",
        "prescriptions",
        "patient_consents",
        "patient_exports",
        "patient_tombstones",
        "audit_purges",
    ] {
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(count, 0, "{table} visible without a tenant setting");
    }

    // With tenant A set: A's rows only.
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('ils.tenant_id', $1, true)").bind(&a.id).execute(&mut *tx).await.unwrap();
    let tenants: Vec<String> =
        sqlx::query_scalar("SELECT slug FROM tenants").fetch_all(&mut *tx).await.unwrap();
    assert_eq!(tenants, vec!["alpha".to_owned()]);
    let audit_tenants: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT DISTINCT tenant_id FROM audit_log").fetch_all(&mut *tx).await.unwrap();
    assert_eq!(audit_tenants, vec![a.id.parse::<uuid::Uuid>().unwrap()]);
    let emails: Vec<String> =
        sqlx::query_scalar("SELECT email FROM users").fetch_all(&mut *tx).await.unwrap();
    assert_eq!(emails, vec![a.admin.email.clone()]);
    // Writing a row for another tenant is refused too.
    let forged = sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, role, status, created_at, updated_at)
         VALUES ($1, $2, 'ecp', 'active', now(), now())",
    )
    .bind(b.id.parse::<uuid::Uuid>().unwrap())
    .bind(a.admin.user_id.parse::<uuid::Uuid>().unwrap())
    .execute(&mut *tx)
    .await;
    assert!(forged.unwrap_err().to_string().contains("row-level security"));
    tx.rollback().await.unwrap();
}
