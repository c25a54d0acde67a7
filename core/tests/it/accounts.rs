//! Accounts people can recover (docs/adr/036-account-recovery.md): a password reset by e-mail
//! that works once and tells nobody whether an address has an account, and what a company admin
//! does about a colleague's account — suspend and reactivate, see failed sign-ins, unlock.

use serde_json::json;

use crate::fakes::{Mail, SmtpSink};
use crate::harness::{Backend, PASSWORD, TestApp, db_test};

const NEW_PASSWORD: &str = "a brand new long passphrase";

async fn app_with_mail(backend: Backend) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start(false).await;
    (TestApp::with_mail(backend, &sink).await, sink)
}

/// The reset mails the sink has, to anyone.
fn reset_mails(sink: &SmtpSink) -> Vec<Mail> {
    sink.mails().into_iter().filter(|m| m.data.contains("Subject: Choose a new ILS password")).collect()
}

/// The reset mails to `to` the sink has, once there are `n` of them.
async fn mails_to(sink: &SmtpSink, to: &str, n: usize) -> Vec<Mail> {
    TestApp::eventually(15, || async {
        let mails: Vec<Mail> =
            reset_mails(sink).into_iter().filter(|m| m.to.iter().any(|t| t.contains(to))).collect();
        (mails.len() >= n).then_some(mails)
    })
    .await
}

/// The token of the reset link in `mail`.
fn token_in(mail: &Mail) -> String {
    let text = mail.text();
    let at = text
        .find("https://ils.example.com/reset-password?token=")
        .unwrap_or_else(|| panic!("a link: {text}"));
    let rest = &text[at + "https://ils.example.com/reset-password?token=".len()..];
    rest.split_whitespace().next().expect("token").to_owned()
}

db_test!(
    async fn a_reset_link_sets_a_new_password_once_and_signs_out_everywhere(backend) {
        let (app, sink) = app_with_mail(backend).await;
        let tenant = app.tenant("acme").await;
        let dan = app.member(&tenant, "dan", "dispenser").await;

        // The same answer for an address with an account and for one without.
        let known = app.post("/api/v1/auth/password-reset", None, json!({ "email": dan.email })).await;
        let unknown = app.post("/api/v1/auth/password-reset", None, json!({ "email": "nobody@acme.example" })).await;
        assert_eq!(known.status, 202);
        assert_eq!((unknown.status, &unknown.body), (known.status, &known.body), "nothing tells the two apart");

        let mail = mails_to(&sink, &dan.email, 1).await.remove(0);
        let token = token_in(&mail);
        assert!(token.starts_with("ils_r_"), "{token}");
        // Only dan's mail went out: nothing to the unknown address.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let sent = reset_mails(&sink);
        assert_eq!(sent.len(), 1, "{:?}", sent.iter().map(|m| &m.to).collect::<Vec<_>>());

        // A weak password is refused and the link still works after it.
        let weak = app.post("/api/v1/auth/password-reset/confirm", None, json!({ "token": token, "password": "short" })).await;
        weak.problem(422, "invalid_input");
        assert_eq!(weak.body["errors"][0]["field"], "password");
        app.post("/api/v1/auth/password-reset/confirm", None, json!({ "token": token, "password": NEW_PASSWORD }))
            .await
            .ok(204);

        // Every session ended; the old password is refused and the new one works.
        app.get("/api/v1/me", &dan.token).await.problem(401, "invalid_token");
        app.post("/api/v1/auth/login", None, json!({ "email": dan.email, "password": PASSWORD }))
            .await
            .problem(401, "invalid_credentials");
        app.login(&dan.email, NEW_PASSWORD, Some("acme")).await;

        // The link works once.
        let again = app
            .post("/api/v1/auth/password-reset/confirm", None, json!({ "token": token, "password": "yet another long passphrase" }))
            .await;
        again.problem(422, "invalid_input");
        assert_eq!(again.body["errors"][0]["field"], "token");
        let made_up = app
            .post("/api/v1/auth/password-reset/confirm", None, json!({ "token": "ils_r_madeup", "password": NEW_PASSWORD }))
            .await;
        assert_eq!(made_up.body["errors"][0]["field"], "token");

        // The platform audit has the request and the reset, without the token.
        let mut tx = app.db.system_read().await.unwrap();
        let page = ils_kernel::page::PageRequest::parse(&ils_kernel::page::PageQuery { cursor: None, limit: Some(200) }).unwrap();
        let filter = ils_kernel::audit::AuditFilter { entity_id: Some(dan.user_id.clone()), ..Default::default() };
        let audit = ils_kernel::audit::list_platform(&mut tx, ils_kernel::audit::PlatformScope::PlatformOnly, &filter, &page)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"auth.password_reset_requested") && actions.contains(&"auth.password_reset"), "{actions:?}");
        assert!(!serde_json::to_string(&audit.items).unwrap().contains(&token), "the token is never recorded");
    }
);

db_test!(
    async fn an_expired_link_does_not_work_and_links_are_limited_per_hour(backend) {
        let (app, sink) = app_with_mail(backend).await;
        let tenant = app.tenant("acme").await;
        let admin = tenant.admin.email.clone();
        for _ in 0..4 {
            app.post("/api/v1/auth/password-reset", None, json!({ "email": admin })).await.ok(202);
        }
        let mails = mails_to(&sink, &admin, 3).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(mails_to(&sink, &admin, 3).await.len(), 3, "three links an hour, then none");

        app.owner_execute("UPDATE password_resets SET expires_at = created_at").await.unwrap();
        let expired = app
            .post("/api/v1/auth/password-reset/confirm", None, json!({ "token": token_in(&mails[0]), "password": NEW_PASSWORD }))
            .await;
        expired.problem(422, "invalid_input");
        assert_eq!(expired.body["errors"][0]["field"], "token");
        app.login(&admin, PASSWORD, Some("acme")).await;
    }
);

db_test!(
    async fn a_reset_lifts_the_lock_that_wrong_guesses_put_on_an_address(backend) {
        let (app, sink) = app_with_mail(backend).await;
        let tenant = app.tenant("acme").await;
        let dan = app.member(&tenant, "dan", "dispenser").await;
        for _ in 0..5 {
            app.post("/api/v1/auth/login", None, json!({ "email": dan.email, "password": "a wrong guess here" })).await;
        }
        app.post("/api/v1/auth/login", None, json!({ "email": dan.email, "password": PASSWORD }))
            .await
            .problem(429, "account_locked");
        app.post("/api/v1/auth/password-reset", None, json!({ "email": dan.email })).await.ok(202);
        let token = token_in(&mails_to(&sink, &dan.email, 1).await[0]);
        app.post("/api/v1/auth/password-reset/confirm", None, json!({ "token": token, "password": NEW_PASSWORD }))
            .await
            .ok(204);
        app.login(&dan.email, NEW_PASSWORD, Some("acme")).await;
    }
);

db_test!(
    async fn without_a_mail_server_a_reset_says_it_cannot_be_sent(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        for email in [tenant.admin.email.as_str(), "nobody@acme.example"] {
            let answer = app.post("/api/v1/auth/password-reset", None, json!({ "email": email })).await;
            answer.problem(503, "email_not_configured");
            assert!(answer.body["detail"].as_str().unwrap().contains("cannot send e-mail"), "{:?}", answer.body);
        }
    }
);

db_test!(
    async fn an_admin_suspends_and_reactivates_a_member(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let dan = app.member(&tenant, "dan", "dispenser").await;
        let eve = app.member(&tenant, "eve", "ecp").await;
        let path = |user: &str, what: &str| format!("/api/v1/users/{user}/{what}");

        // Only an admin may; the last admin cannot be suspended.
        app.post(&path(&dan.user_id, "suspend"), Some(&eve.token), json!({})).await.problem(403, "forbidden");
        app.post(&path(&tenant.admin.user_id, "suspend"), Some(&tenant.admin.token), json!({}))
            .await
            .problem(409, "last_admin");

        let suspended = app.post(&path(&dan.user_id, "suspend"), Some(&tenant.admin.token), json!({})).await;
        assert_eq!(suspended.ok(200)["status"], "suspended");
        // At once: dan's session no longer acts in the tenant, and signing in says why.
        app.get("/api/v1/patients", &dan.token).await.problem(403, "membership_not_active");
        app.post("/api/v1/auth/login", None, json!({ "email": dan.email, "password": PASSWORD }))
            .await
            .problem(403, "membership_suspended");
        app.post("/api/v1/auth/login", None, json!({ "email": dan.email, "password": PASSWORD, "tenant": "acme" }))
            .await
            .problem(403, "membership_suspended");
        app.post(&path(&dan.user_id, "suspend"), Some(&tenant.admin.token), json!({}))
            .await
            .problem(409, "not_active");
        let listed = app.get("/api/v1/users?status=suspended", &tenant.admin.token).await;
        assert_eq!(listed.ok(200)["items"][0]["user_id"], dan.user_id.as_str());

        let back = app.post(&path(&dan.user_id, "reactivate"), Some(&tenant.admin.token), json!({})).await;
        assert_eq!((back.ok(200)["status"].as_str(), back.ok(200)["role"].as_str()), (Some("active"), Some("dispenser")));
        app.get("/api/v1/patients", &dan.token).await.ok(200);
        app.post(&path(&dan.user_id, "reactivate"), Some(&tenant.admin.token), json!({}))
            .await
            .problem(409, "not_suspended");

        let audit = app.get("/api/v1/audit?limit=200", &tenant.admin.token).await;
        let actions: Vec<String> =
            audit.ok(200)["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
        assert!(actions.contains(&"user.suspended".to_owned()) && actions.contains(&"user.reactivated".to_owned()), "{actions:?}");
    }
);

db_test!(
    async fn an_admin_sees_a_members_failed_sign_ins_and_lifts_the_lock(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let dan = app.member(&tenant, "dan", "dispenser").await;
        let sign_ins = format!("/api/v1/users/{}/sign-ins", dan.user_id);
        let quiet = app.get(&sign_ins, &tenant.admin.token).await;
        assert_eq!((quiet.ok(200)["locked_until"].clone(), quiet.ok(200)["failures"].clone()), (json!(null), json!([])));

        for _ in 0..5 {
            app.post("/api/v1/auth/login", None, json!({ "email": dan.email, "password": "a wrong guess here" })).await;
        }
        app.post("/api/v1/auth/login", None, json!({ "email": dan.email, "password": PASSWORD }))
            .await
            .problem(429, "account_locked");

        let seen = app.get(&sign_ins, &tenant.admin.token).await;
        let seen = seen.ok(200);
        assert!(seen["locked_until"].is_string(), "{seen}");
        let failures = seen["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 6, "five wrong passwords and one refused while locked: {failures:?}");
        assert_eq!(failures[0]["reason"], "locked", "newest first");
        assert_eq!(failures[1]["reason"], "wrong_password");
        assert_eq!(failures[1]["locked_the_account"], true, "the fifth locked it");
        assert_eq!(failures.iter().filter(|f| f["locked_the_account"] == true).count(), 1);
        assert!(failures[1]["ip"].is_string());

        // Not for the member themself, nor for another tenant's admin (cross_tenant.rs).
        app.get(&sign_ins, &dan.token).await.problem(403, "forbidden");

        let unlocked = app.post(&format!("/api/v1/users/{}/unlock", dan.user_id), Some(&tenant.admin.token), json!({})).await;
        assert_eq!(unlocked.ok(200)["was_locked"], true);
        app.login(&dan.email, PASSWORD, Some("acme")).await;
        let after = app.get(&sign_ins, &tenant.admin.token).await;
        assert_eq!(after.ok(200)["locked_until"], json!(null));
        let again = app.post(&format!("/api/v1/users/{}/unlock", dan.user_id), Some(&tenant.admin.token), json!({})).await;
        assert_eq!(again.ok(200)["was_locked"], false);

        let audit = app.get("/api/v1/audit?action=user.unlocked", &tenant.admin.token).await;
        assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 2);
    }
);
