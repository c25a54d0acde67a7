//! Invitations (docs/adr/036-account-recovery.md): an admin invites an address with a role, the
//! e-mailed link works once — for a new account or an existing one — and revoked, replaced and
//! expired links do not; another tenant's invitations are out of reach.

use serde_json::json;

use crate::fakes::{Mail, SmtpSink};
use crate::harness::{Backend, PASSWORD, TestApp, db_test};

async fn app_with_mail(backend: Backend) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start(false).await;
    (TestApp::with_mail(backend, &sink).await, sink)
}

async fn invitation_mails(sink: &SmtpSink, to: &str, n: usize) -> Vec<Mail> {
    TestApp::eventually(15, || async {
        let mails: Vec<Mail> = sink
            .mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.contains(to)) && m.text().contains("/invitation?token="))
            .collect();
        (mails.len() >= n).then_some(mails)
    })
    .await
}

fn token_in(mail: &Mail) -> String {
    let text = mail.text();
    let marker = "https://ils.example.com/invitation?token=";
    let at = text.find(marker).unwrap_or_else(|| panic!("a link: {text}"));
    text[at + marker.len()..].split_whitespace().next().expect("token").to_owned()
}

db_test!(
    async fn an_invited_address_joins_once_with_the_role_it_was_invited_as(backend) {
        let (app, sink) = app_with_mail(backend).await;
        let tenant = app.tenant("acme").await;
        let invited = app.post("/api/v1/invitations", Some(&tenant.admin.token), json!({ "email": "Nina@Acme.example", "role": "ecp" })).await;
        let invited = invited.ok(201).clone();
        assert_eq!((invited["email"].as_str(), invited["status"].as_str()), (Some("nina@acme.example"), Some("pending")));

        let mail = invitation_mails(&sink, "nina@acme.example", 1).await.remove(0);
        assert!(mail.data.contains("Subject: You are invited to join Tenant acme on ILS"), "{}", mail.data);
        let token = token_in(&mail);
        let offer = app.post("/api/v1/auth/invitations/look-up", None, json!({ "token": token })).await;
        let offer = offer.ok(200);
        assert_eq!((offer["tenant_name"].as_str(), offer["role"].as_str(), offer["has_account"].as_bool()), (Some("Tenant acme"), Some("ecp"), Some(false)));

        // A weak password is refused and leaves the link working.
        let weak = app.post("/api/v1/auth/invitations/accept", None, json!({ "token": token, "name": "Nina", "password": "short" })).await;
        weak.problem(422, "invalid_input");
        assert_eq!(weak.body["errors"][0]["field"], "password");
        let joined = app.post("/api/v1/auth/invitations/accept", None, json!({ "token": token, "name": "Nina", "password": PASSWORD })).await;
        assert_eq!(joined.ok(201)["role"], "ecp");

        let nina = app.login("nina@acme.example", PASSWORD, Some("acme")).await;
        assert_eq!(app.get("/api/v1/me", &nina.token).await.ok(200)["memberships"][0]["role"], "ecp");
        app.get("/api/v1/patients", &nina.token).await.ok(200);

        // Once only.
        let again = app.post("/api/v1/auth/invitations/accept", None, json!({ "token": token, "name": "Mallory", "password": PASSWORD })).await;
        again.problem(422, "invalid_input");
        assert_eq!(again.body["errors"][0]["field"], "token");

        let list = app.get("/api/v1/invitations", &tenant.admin.token).await;
        assert_eq!(list.ok(200)[0]["status"], "accepted");
        let audit = app.get("/api/v1/audit?limit=200", &tenant.admin.token).await;
        let audit = audit.ok(200).to_string();
        assert!(audit.contains("user.invited") && audit.contains("user.joined"), "{audit}");
        assert!(!audit.contains(&token), "the token is never recorded");
    }
);

db_test!(
    async fn an_address_with_an_account_joins_with_its_own_password(backend) {
        let (app, sink) = app_with_mail(backend).await;
        let acme = app.tenant("acme").await;
        let other = app.tenant("other").await;
        let existing = app.post("/api/v1/invitations", Some(&acme.admin.token), json!({ "email": other.admin.email, "role": "lab_tech" })).await;
        let new = app.post("/api/v1/invitations", Some(&acme.admin.token), json!({ "email": "fresh@else.example", "role": "lab_tech" })).await;
        // The inviting admin learns nothing of whether the address has an account elsewhere.
        let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!((existing.status, keys(&existing.body)), (new.status, keys(&new.body)));
        assert_eq!((existing.body["status"].as_str(), existing.status), (Some("pending"), 201));
        let token = token_in(&invitation_mails(&sink, &other.admin.email, 1).await[0]);
        let offer = app.post("/api/v1/auth/invitations/look-up", None, json!({ "token": token })).await;
        assert_eq!(offer.ok(200)["has_account"], true);

        let wrong = app.post("/api/v1/auth/invitations/accept", None, json!({ "token": token, "password": "not the right password" })).await;
        wrong.problem(422, "invalid_input");
        assert_eq!(wrong.body["errors"][0]["field"], "password");
        app.post("/api/v1/auth/invitations/accept", None, json!({ "token": token, "password": PASSWORD })).await.ok(201);

        let both = app.login(&other.admin.email, PASSWORD, Some("acme")).await;
        let me = app.get("/api/v1/me", &both.token).await;
        assert_eq!(me.ok(200)["memberships"].as_array().unwrap().len(), 2);
        // Still the other tenant's admin, with the old password.
        app.login(&other.admin.email, PASSWORD, Some("other")).await;
    }
);

db_test!(
    async fn revoked_replaced_and_expired_links_do_not_work(backend) {
        let (app, sink) = app_with_mail(backend).await;
        let tenant = app.tenant("acme").await;
        let admin = tenant.admin.token.as_str();
        let accept = |token: String| json!({ "token": token, "name": "Nina", "password": PASSWORD });

        let first = app.post("/api/v1/invitations", Some(admin), json!({ "email": "nina@acme.example", "role": "ecp" })).await;
        let first_id = first.ok(201)["id"].as_str().unwrap().to_owned();
        let revoked = app.delete(&format!("/api/v1/invitations/{first_id}"), admin).await;
        assert_eq!(revoked.ok(200)["status"], "revoked");
        app.delete(&format!("/api/v1/invitations/{first_id}"), admin).await.problem(409, "not_pending");
        let first_token = token_in(&invitation_mails(&sink, "nina", 1).await[0]);
        let refused = app.post("/api/v1/auth/invitations/accept", None, accept(first_token.clone())).await;
        assert_eq!(refused.body["errors"][0]["field"], "token", "{:?}", refused.body);

        // Inviting again replaces the pending invitation.
        app.post("/api/v1/invitations", Some(admin), json!({ "email": "nina@acme.example", "role": "ecp" })).await.ok(201);
        app.post("/api/v1/invitations", Some(admin), json!({ "email": "nina@acme.example", "role": "dispenser" })).await.ok(201);
        // The mails may arrive in any order: the replaced one is the other "ecp" one.
        let mails = invitation_mails(&sink, "nina", 3).await;
        let tokens: Vec<(String, bool)> = mails.iter().map(|m| (token_in(m), m.text().contains("as dispenser"))).collect();
        let replaced_token = tokens.iter().find(|(t, current)| !current && *t != first_token).unwrap().0.clone();
        let current_token = tokens.iter().find(|(_, current)| *current).unwrap().0.clone();
        let replaced = app.post("/api/v1/auth/invitations/accept", None, accept(replaced_token)).await;
        assert_eq!(replaced.body["errors"][0]["field"], "token");
        let statuses: Vec<String> = app.get("/api/v1/invitations", admin).await.ok(200).as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap().to_owned()).collect();
        assert_eq!(statuses, ["pending", "revoked", "revoked"], "newest first");

        app.owner_execute("UPDATE invitations SET expires_at = created_at").await.unwrap();
        let expired = app.post("/api/v1/auth/invitations/accept", None, accept(current_token)).await;
        assert_eq!(expired.body["errors"][0]["field"], "token");
        assert_eq!(app.get("/api/v1/invitations", admin).await.ok(200)[0]["status"], "expired");
        app.post("/api/v1/auth/login", None, json!({ "email": "nina@acme.example", "password": PASSWORD }))
            .await
            .problem(401, "invalid_credentials");
    }
);

db_test!(
    async fn only_admins_invite_members_are_not_invited_and_tenants_stay_apart(backend) {
        let (app, sink) = app_with_mail(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let dan = app.member(&a, "dan", "dispenser").await;
        app.post("/api/v1/invitations", Some(&dan.token), json!({ "email": "x@alpha.example", "role": "ecp" }))
            .await
            .problem(403, "forbidden");
        app.post("/api/v1/invitations", Some(&a.admin.token), json!({ "email": dan.email, "role": "ecp" }))
            .await
            .problem(409, "already_member");
        let bad_role = app.post("/api/v1/invitations", Some(&a.admin.token), json!({ "email": "x@alpha.example", "role": "owner" })).await;
        assert_eq!(bad_role.status, 422, "{}", bad_role.body);

        // B's invitation: A neither sees nor revokes it.
        let b_invite = app.post("/api/v1/invitations", Some(&b.admin.token), json!({ "email": "zed@beta.example", "role": "ecp" })).await;
        let b_id = b_invite.ok(201)["id"].as_str().unwrap().to_owned();
        app.delete(&format!("/api/v1/invitations/{b_id}"), &a.admin.token).await.problem(404, "not_found");
        assert_eq!(app.get("/api/v1/invitations", &a.admin.token).await.ok(200), &json!([]));
        assert_eq!(app.get("/api/v1/invitations", &b.admin.token).await.ok(200)[0]["status"], "pending");
        invitation_mails(&sink, "zed@beta.example", 1).await;
    }
);

db_test!(
    async fn without_a_mail_server_nobody_is_invited(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        app.post("/api/v1/invitations", Some(&tenant.admin.token), json!({ "email": "nina@acme.example", "role": "ecp" }))
            .await
            .problem(503, "email_not_configured");
        assert_eq!(app.get("/api/v1/invitations", &tenant.admin.token).await.ok(200), &json!([]));
    }
);
