//! Sign-in, sessions, lockout, rate limiting, password change and TOTP.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::harness::{PASSWORD, TestApp, db_test};

db_test!(
    async fn login_issues_a_new_revocable_token_each_time(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let again = app.login(&tenant.admin.email, PASSWORD, None).await;
        assert_ne!(again.token, tenant.admin.token, "a new token at each login");
        assert!(again.token.starts_with("ils_s_") && again.token.len() >= 6 + 43, "256-bit token");
        let me = app.get("/api/v1/me", &again.token).await;
        let me = me.ok(200);
        assert_eq!(me["tenant_id"], tenant.id, "the only tenant is selected");
        assert_eq!(me["role"], "company_admin");

        let sessions = app.get("/api/v1/me/sessions", &again.token).await;
        assert_eq!(sessions.ok(200).as_array().unwrap().len(), 2);

        app.post("/api/v1/auth/logout", Some(&again.token), json!({})).await.ok(204);
        app.get("/api/v1/me", &again.token).await.problem(401, "invalid_token");
        app.get("/api/v1/me", &tenant.admin.token).await.ok(200);
        app.get("/api/v1/me", "ils_s_not-a-real-token").await.problem(401, "invalid_token");
        app.get("/api/v1/me", "garbage").await.problem(401, "invalid_token");
        app.call(Method::GET, "/api/v1/me", None, None).await.problem(401, "unauthenticated");
    }
);

db_test!(
    async fn wrong_credentials_are_refused_the_same_way(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let wrong_password = json!({ "email": tenant.admin.email, "password": "not the password" });
        let unknown_user = json!({ "email": "nobody@acme.example", "password": PASSWORD });
        let a = app.post("/api/v1/auth/login", None, wrong_password).await;
        let b = app.post("/api/v1/auth/login", None, unknown_user).await;
        a.problem(401, "invalid_credentials");
        b.problem(401, "invalid_credentials");
        assert_eq!(a.body["detail"], b.body["detail"], "no hint whether the account exists");
    }
);

db_test!(
    async fn repeated_failures_lock_the_account_even_for_the_right_password(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let wrong = json!({ "email": tenant.admin.email, "password": "not the password" });
        for _ in 0..5 {
            app.post("/api/v1/auth/login", None, wrong.clone()).await.problem(401, "invalid_credentials");
        }
        let right = json!({ "email": tenant.admin.email, "password": PASSWORD });
        let locked = app.post("/api/v1/auth/login", None, right).await;
        locked.problem(429, "account_locked");
        let retry: u64 = locked.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry > 800 && retry <= 900, "locked for about 15 minutes, said {retry}s");
        // The existing session keeps working; the lock is about signing in.
        let audit = app.get("/api/v1/audit?action=auth.account_locked", &tenant.admin.token).await;
        assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 0, "platform-level events stay out of the tenant log");
    }
);

db_test!(
    async fn sign_in_attempts_are_rate_limited_per_address(backend) {
        let app = TestApp::spawn_with(backend, |c| c.auth.attempts_per_minute = 3).await;
        let body = json!({ "email": "someone@example.com", "password": "whatever password" });
        for _ in 0..3 {
            app.post("/api/v1/auth/login", None, body.clone()).await.problem(401, "invalid_credentials");
        }
        let limited = app.post("/api/v1/auth/login", None, body).await;
        limited.problem(429, "rate_limited");
        assert!(limited.headers.contains_key("retry-after"));
    }
);

db_test!(
    async fn sign_in_fails_closed_without_the_database(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        app.db.close().await;
        let body = json!({ "email": tenant.admin.email, "password": PASSWORD });
        app.post("/api/v1/auth/login", None, body).await.problem(503, "unavailable");
        app.get("/api/v1/users", &tenant.admin.token).await.problem(503, "unavailable");
    }
);

db_test!(
    async fn sessions_expire(backend) {
        let app = TestApp::spawn_with(backend, |c| c.auth.session_ttl = Duration::from_secs(1)).await;
        let tenant = app.tenant("acme").await;
        app.get("/api/v1/me", &tenant.admin.token).await.ok(200);
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        app.get("/api/v1/me", &tenant.admin.token).await.problem(401, "invalid_token");
    }
);

db_test!(
    async fn password_change_revokes_the_other_sessions(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let other = app.login(&tenant.admin.email, PASSWORD, None).await;
        let change = |current: &str, new: &str| json!({ "current_password": current, "new_password": new });
        app.post("/api/v1/me/password", Some(&tenant.admin.token), change("wrong one!!!!", "a new password 42"))
            .await
            .problem(403, "wrong_password");
        app.post("/api/v1/me/password", Some(&tenant.admin.token), change(PASSWORD, "short"))
            .await
            .problem(422, "invalid_input");
        app.post("/api/v1/me/password", Some(&tenant.admin.token), change(PASSWORD, "a new password 42"))
            .await
            .ok(204);
        app.get("/api/v1/me", &other.token).await.problem(401, "invalid_token");
        app.get("/api/v1/me", &tenant.admin.token).await.ok(200);
        app.post("/api/v1/auth/login", None, json!({ "email": tenant.admin.email, "password": PASSWORD }))
            .await
            .problem(401, "invalid_credentials");
        app.login(&tenant.admin.email, "a new password 42", None).await;
    }
);

db_test!(
    async fn a_session_can_be_revoked_by_its_owner(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let other = app.login(&tenant.admin.email, PASSWORD, None).await;
        let sessions = app.get("/api/v1/me/sessions", &tenant.admin.token).await;
        let other_id = sessions.ok(200).as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.delete(&format!("/api/v1/me/sessions/{other_id}"), &tenant.admin.token).await.ok(204);
        app.get("/api/v1/me", &other.token).await.problem(401, "invalid_token");
        app.delete(&format!("/api/v1/me/sessions/{other_id}"), &tenant.admin.token).await.problem(404, "not_found");
    }
);

db_test!(
    async fn totp_enrolment_then_sign_in_needs_a_code_or_a_recovery_code(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = tenant.admin.token.clone();
        app.post("/api/v1/me/totp/confirm", Some(&token), json!({ "code": "123456" }))
            .await
            .problem(409, "no_totp_enrolment");
        let enrol = app.post("/api/v1/me/totp", Some(&token), json!({})).await;
        let url = enrol.ok(200)["otpauth_url"].as_str().unwrap().to_owned();
        assert!(url.starts_with("otpauth://totp/ILS:"), "{url}");
        let totp = totp_rs::TOTP::from_url(&url).unwrap();
        app.post("/api/v1/me/totp/confirm", Some(&token), json!({ "code": "000000" }))
            .await
            .problem(422, "invalid_input");
        let confirmed = app.post("/api/v1/me/totp/confirm", Some(&token), json!({ "code": totp.generate_current().unwrap() })).await;
        let codes: Vec<String> = confirmed.ok(200)["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(codes.len(), 10);
        app.post("/api/v1/me/totp", Some(&token), json!({})).await.problem(409, "totp_already_enabled");

        let email = &tenant.admin.email;
        app.post("/api/v1/auth/login", None, json!({ "email": email, "password": PASSWORD }))
            .await
            .problem(401, "totp_required");
        app.post("/api/v1/auth/login", None, json!({ "email": email, "password": PASSWORD, "totp_code": "999999" }))
            .await
            .problem(401, "invalid_totp");
        let code = TestApp::next_code(&totp);
        app.post("/api/v1/auth/login", None, json!({ "email": email, "password": PASSWORD, "totp_code": code }))
            .await
            .ok(200);
        app.post("/api/v1/auth/login", None, json!({ "email": email, "password": PASSWORD, "totp_code": code }))
            .await
            .problem(401, "invalid_totp");
        let recovery = json!({ "email": email, "password": PASSWORD, "recovery_code": codes[0].to_uppercase() });
        app.post("/api/v1/auth/login", None, recovery.clone()).await.ok(200);
        app.post("/api/v1/auth/login", None, recovery).await.problem(401, "invalid_totp");

        app.call(Method::DELETE, "/api/v1/me/totp", Some(&token), Some(json!({ "password": "wrong password!" })))
            .await
            .problem(403, "wrong_password");
        app.call(Method::DELETE, "/api/v1/me/totp", Some(&token), Some(json!({ "password": PASSWORD })))
            .await
            .ok(204);
        app.login(email, PASSWORD, None).await;
    }
);

db_test!(
    async fn platform_admins_must_enrol_totp_before_acting(backend) {
        let app = TestApp::spawn(backend).await;
        let email = ils_core::users::Email::parse("e", "ops@platform.example").unwrap();
        let password = ils_core::auth::password::Password::parse("p", PASSWORD).unwrap();
        ils_core::users::bootstrap_platform_admin(&app.db, &email, "Ops", &password).await.unwrap();
        let login = app.post("/api/v1/auth/login", None, json!({ "email": email.as_str(), "password": PASSWORD })).await;
        assert_eq!(login.ok(200)["totp_enrolment_required"], true);
        let token = login.body["token"].as_str().unwrap().to_owned();
        app.get("/api/v1/tenants", &token).await.problem(403, "totp_enrolment_required");
        let me = app.get("/api/v1/me", &token).await;
        assert_eq!(me.ok(200)["mfa_satisfied"], false);
        let url = app.post("/api/v1/me/totp", Some(&token), json!({})).await.ok(200)["otpauth_url"].as_str().unwrap().to_owned();
        let totp = totp_rs::TOTP::from_url(&url).unwrap();
        app.post("/api/v1/me/totp/confirm", Some(&token), json!({ "code": totp.generate_current().unwrap() })).await.ok(200);
        app.get("/api/v1/tenants", &token).await.ok(200);
        app.call(Method::DELETE, "/api/v1/me/totp", Some(&token), Some(json!({ "password": PASSWORD })))
            .await
            .problem(409, "totp_required");
        // Bootstrapping again is idempotent and keeps the password.
        ils_core::users::bootstrap_platform_admin(&app.db, &email, "Ops", &password).await.unwrap();
    }
);
