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

/// A problem body without its request id, to compare two answers.
fn answer(resp: &crate::harness::Resp) -> (u16, serde_json::Value) {
    let mut body = resp.body.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("request_id");
    }
    (resp.status, body)
}

db_test!(
    async fn registration_does_not_tell_whether_an_accounts_password_is_right(backend) {
        let app = TestApp::spawn(backend).await;
        let acme = app.tenant("acme").await;
        let beta = app.tenant("beta").await;
        let join = |password: &str| json!({ "tenant": "beta", "email": acme.admin.email, "name": "A", "password": password });
        let wrong = app.post("/api/v1/auth/register", None, join("a wrong but strong passphrase")).await;
        let right = app.post("/api/v1/auth/register", None, join(PASSWORD)).await;
        assert_eq!(answer(&wrong), answer(&right), "the same answer whether the password is right or not");
        assert_eq!(right.status, 202);
        // Only the right password joined.
        let users = app.get("/api/v1/users?status=pending", &beta.admin.token).await;
        assert_eq!(users.ok(200)["items"].as_array().unwrap().len(), 1);
        let audit = app.get("/api/v1/audit?action=membership.requested", &beta.admin.token).await;
        assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 1);
    }
);

db_test!(
    async fn wrong_passwords_at_registration_count_towards_the_lock_and_the_lock_holds_there(backend) {
        let app = TestApp::spawn(backend).await;
        let acme = app.tenant("acme").await;
        app.tenant("beta").await;
        let join = |password: &str| json!({ "tenant": "beta", "email": acme.admin.email, "name": "A", "password": password });
        for _ in 0..5 {
            app.post("/api/v1/auth/register", None, join("a wrong but strong passphrase")).await.ok(202);
        }
        // Locked: sign-in and registration alike, even with the right password.
        let login = json!({ "email": acme.admin.email, "password": PASSWORD });
        app.post("/api/v1/auth/login", None, login).await.problem(429, "account_locked");
        let wrong = app.post("/api/v1/auth/register", None, join("a wrong but strong passphrase")).await;
        let right = app.post("/api/v1/auth/register", None, join(PASSWORD)).await;
        right.problem(429, "account_locked");
        assert_eq!(answer(&wrong), answer(&right));
    }
);

db_test!(
    async fn the_lockout_answers_unknown_addresses_as_it_answers_known_ones(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let known = json!({ "email": tenant.admin.email, "password": "not the password at all" });
        let unknown = json!({ "email": "nobody@acme.example", "password": "not the password at all" });
        for attempt in 0..6 {
            let a = app.post("/api/v1/auth/login", None, known.clone()).await;
            let b = app.post("/api/v1/auth/login", None, unknown.clone()).await;
            let expected = if attempt < 5 { (401, "invalid_credentials") } else { (429, "account_locked") };
            a.problem(expected.0, expected.1);
            b.problem(expected.0, expected.1);
            assert_eq!(answer(&a), answer(&b), "attempt {attempt}");
            assert_eq!(a.headers.contains_key("retry-after"), b.headers.contains_key("retry-after"));
        }
        // Registering the locked unknown address is refused the same way.
        let register = json!({ "tenant": "acme", "email": "nobody@acme.example", "name": "N", "password": PASSWORD });
        app.post("/api/v1/auth/register", None, register).await.problem(429, "account_locked");
    }
);

db_test!(
    async fn wrong_current_passwords_count_towards_the_lock_and_are_rate_limited(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = Some(tenant.admin.token.as_str());
        let change = |current: &str| json!({ "current_password": current, "new_password": "a fresh passphrase 42" });
        for _ in 0..5 {
            app.post("/api/v1/me/password", token, change("not the password at all")).await.problem(403, "wrong_password");
        }
        app.post("/api/v1/me/password", token, change(PASSWORD)).await.problem(429, "account_locked");
        app.post("/api/v1/auth/login", None, json!({ "email": tenant.admin.email, "password": PASSWORD }))
            .await
            .problem(429, "account_locked");
        app.get("/api/v1/me", &tenant.admin.token).await.ok(200);

        let limited = TestApp::spawn_with(backend, |c| c.auth.attempts_per_minute = 2).await;
        let other = limited.tenant("acme").await;
        let token = Some(other.admin.token.as_str());
        // The sign-in above took one of the two attempts this minute.
        limited.post("/api/v1/me/password", token, change("not the password at all")).await.problem(403, "wrong_password");
        limited.post("/api/v1/me/password", token, change(PASSWORD)).await.problem(429, "rate_limited");
    }
);

db_test!(
    async fn common_and_guessable_passwords_are_refused_wherever_a_password_is_set(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let tenant = app.tenant("acme").await;
        let own = json!({ "tenant": "acme", "email": "dan.smith@acme.example", "name": "Dan Smith", "password": "dan.smith@acme.example" });
        app.post("/api/v1/auth/register", None, own).await.problem(422, "invalid_input");
        for weak in ["password1234", "qwertyuiop123", "Passw0rd1234!"] {
            let register = json!({ "tenant": "acme", "email": "dan@acme.example", "name": "Dan", "password": weak });
            let resp = app.post("/api/v1/auth/register", None, register).await;
            resp.problem(422, "invalid_input");
            assert_eq!(resp.body["errors"][0]["field"], "password");
            assert!(resp.body["detail"].as_str().unwrap().contains("too common or too easy to guess"), "{}", resp.body);
            let change = json!({ "current_password": PASSWORD, "new_password": weak });
            let resp = app.post("/api/v1/me/password", Some(&tenant.admin.token), change).await;
            resp.problem(422, "invalid_input");
            assert_eq!(resp.body["errors"][0]["field"], "new_password");
        }
        let new_tenant = json!({ "slug": "beta", "name": "Beta", "kind": "lab",
            "admin": { "email": "bea@beta.example", "name": "Bea", "password": "iloveyou1234" } });
        let resp = app.post("/api/v1/tenants", Some(&root.token), new_tenant).await;
        resp.problem(422, "invalid_input");
        assert_eq!(resp.body["errors"][0]["field"], "admin.password");
        // The old password still works: nothing was changed.
        app.login(&tenant.admin.email, PASSWORD, None).await;
    }
);
