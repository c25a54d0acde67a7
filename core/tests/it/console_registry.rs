//! The registry's console screens over real HTTP: a developer creates a publisher, registers a
//! key and creates a publishing token in the console; a platform admin reviews what was
//! published with its capability diff and decides there; the developer yanks a version and the
//! practice on it is told on its plugin page. The review is for platform admins only, and one
//! publisher's members can neither open nor change another's.

use base64::Engine as _;
use ils_registry::signing::PrivateKey;
use ils_registry::{Descriptor, Manifest};
use serde_json::{Value, json};

use crate::console_client::{get, post, shown_secret, submit, text_of};
use crate::guests::{ORDER_NOTES, component};
use crate::harness::{TestApp, db_test};

/// order-notes' manifest at `version`, asking for `capabilities`.
fn manifest(version: &str, capabilities: &[&str]) -> String {
    let caps = capabilities.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ");
    ORDER_NOTES
        .replace("version = \"0.1.0\"", &format!("version = \"{version}\""))
        .replace("capabilities = [\"kv\", \"http-outbound\"]", &format!("capabilities = [{caps}]"))
}

/// Uploads order-notes under `manifest_text`, signed with `key`, as `ils plugin publish` does.
async fn publish(app: &TestApp, token: &str, key: &PrivateKey, manifest_text: &str) -> Value {
    let bytes = std::fs::read(component("order_notes")).expect("order-notes component");
    let parsed = Manifest::from_toml(manifest_text).expect("manifest");
    let digest = Descriptor::of_package(&parsed, manifest_text, &bytes).digest();
    let body = json!({
        "manifest": manifest_text,
        "component": base64::engine::general_purpose::STANDARD.encode(&bytes),
        "key_id": key.public().key_id(),
        "signature": key.sign(&digest),
    });
    app.post("/api/v1/registry/packages", Some(token), body).await.ok(201).clone()
}

db_test!(
    async fn a_developer_publishes_from_the_console_and_a_platform_admin_reviews_there(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _totp) = app.platform_admin().await;
        let dev = app.tenant("devshop").await.admin.token;
        let practice = app.tenant("practice").await;

        // Without the form's CSRF token nothing is made.
        for (path, session) in [("/publishing", &dev), ("/admin/registry/publishers/acme-plugins/auto-approve", &root.token)] {
            let forged = post(&app, path, session, &[("name", "Acme Plugins"), ("slug", "acme-plugins"), ("auto_approve", "true")]).await;
            assert_eq!(forged.status, 403, "{path}: {}", forged.body);
            assert!(forged.body.contains("Form expired"));
        }
        app.get("/api/v1/registry/publishers/acme-plugins", &dev).await.problem(404, "not_found");

        // A publisher, with a key and a token for CI, made in the console.
        let created = submit(&app, "/publishing", &dev, &[("name", "Acme Plugins"), ("slug", "Acme Plugins")]).await;
        assert_eq!(created.status, 422, "{}", created.body);
        assert!(created.body.contains(r#"id="slug-error""#), "the slug's error is at its input");
        let created = submit(&app, "/publishing", &dev, &[("name", "Acme Plugins"), ("slug", "acme-plugins")]).await;
        assert_eq!(created.location.as_deref(), Some("/publishing/acme-plugins"), "{}", created.body);
        let list = get(&app, "/publishing", &dev).await;
        assert!(list.body.contains(r#"href="/publishing/acme-plugins""#), "{}", list.body);

        let key = PrivateKey::generate();
        let bad = submit(&app, "/publishing/acme-plugins/keys", &dev, &[("name", "laptop"), ("public_key", "not a key")]).await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains(r#"id="key-public-error""#) && !bad.body.contains(r#"id="token-name-error""#));
        let public = key.public().to_base64();
        let added = submit(&app, "/publishing/acme-plugins/keys", &dev, &[("name", "laptop"), ("public_key", &public)]).await;
        assert_eq!(added.location.as_deref(), Some("/publishing/acme-plugins"), "{}", added.body);
        let page = get(&app, "/publishing/acme-plugins", &dev).await;
        assert_eq!(text_of(&page, &format!("key-state-{}", key.public().key_id())), "live");

        let token_page = submit(&app, "/publishing/acme-plugins/tokens", &dev, &[("name", "ci"), ("expires_in_days", "")]).await;
        assert_eq!(token_page.status, 200, "{}", token_page.body);
        assert_eq!(token_page.cache_control, "no-store");
        let token = shown_secret(&token_page);
        assert!(token.starts_with("ils_p_"), "{token}");
        assert!(!get(&app, "/publishing/acme-plugins", &dev).await.body.contains(&token), "shown once");

        // Published with the token, it waits in the review queue: a first version.
        let v1 = publish(&app, &token, &key, &manifest("1.0.0", &["kv", "http-outbound"])).await;
        assert_eq!(v1["status"], "pending");
        let queue = get(&app, "/admin/registry", &root.token).await;
        assert_eq!(queue.status, 200, "{}", queue.body);
        assert_eq!(text_of(&queue, "review-order-notes-1-0-0"), "order-notes 1.0.0");
        assert!(queue.body.contains("<strong>First version</strong>"), "{}", queue.body);
        assert!(queue.body.contains("kv@"), "the imports the component really uses");
        assert!(queue.body.contains("KiB") || queue.body.contains("MiB"), "a readable size");
        assert!(queue.body.contains(&key.public().key_id()));

        // A rejection needs a reason; the approval takes a plan and a note.
        let refused = submit(&app, "/admin/registry/versions/order-notes/1.0.0/reject", &root.token, &[("reason", " ")]).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains(r#"id="reason-order-notes-1-0-0-error""#), "{}", refused.body);
        let approved = submit(
            &app,
            "/admin/registry/versions/order-notes/1.0.0/approve",
            &root.token,
            &[("min_plan", "pro"), ("note", "welcome")],
        )
        .await;
        assert_eq!(approved.location.as_deref(), Some("/admin/registry"), "{}", approved.body);
        assert!(get(&app, "/admin/registry", &root.token).await.body.contains("Nothing is waiting for review."));
        let mine = get(&app, "/publishing/acme-plugins", &dev).await;
        assert_eq!(text_of(&mine, "status-yank-order-notes-1-0-0"), "approved");
        assert!(mine.body.contains("welcome") && mine.body.contains("from the pro plan"));

        // 1.1.0 asks for one more capability: the diff marks just that.
        publish(&app, &token, &key, &manifest("1.1.0", &["kv", "http-outbound", "orders-read"])).await;
        let queue = get(&app, "/admin/registry", &root.token).await;
        assert!(queue.body.contains("Compared with the approved 1.0.0:"), "{}", queue.body);
        let diff = queue.body.split(r#"id="diff-order-notes-1-1-0""#).nth(1).expect("the diff").split("</div>").next().unwrap();
        assert_eq!(diff.matches(r#"class="tag added""#).count(), 1, "{diff}");
        assert!(diff.contains("<code>orders-read</code>") && !diff.contains("<code>kv</code>"), "{diff}");
        submit(&app, "/admin/registry/versions/order-notes/1.1.0/approve", &root.token, &[("min_plan", "pro"), ("note", "")]).await;

        // The practice runs 1.0.0; the developer yanks it, with a reason.
        let body = json!({ "version": "1.0.0", "consent": ["kv", "http-outbound"] });
        app.put("/api/v1/tenant/plugins/order-notes", &practice.admin.token, body).await.ok(200);
        let no_reason = submit(&app, "/publishing/acme-plugins/versions/order-notes/1.0.0/yank", &dev, &[("reason", "")]).await;
        assert_eq!(no_reason.status, 422, "{}", no_reason.body);
        assert!(no_reason.body.contains(r#"id="yank-order-notes-1-0-0-error""#), "{}", no_reason.body);
        let yanked = submit(
            &app,
            "/publishing/acme-plugins/versions/order-notes/1.0.0/yank",
            &dev,
            &[("reason", "loses notes on restart")],
        )
        .await;
        assert_eq!(yanked.location.as_deref(), Some("/publishing/acme-plugins"), "{}", yanked.body);
        let mine = get(&app, "/publishing/acme-plugins", &dev).await;
        assert_eq!(text_of(&mine, "status-yank-order-notes-1-0-0"), "yanked");

        let plugin = get(&app, "/plugins/order-notes", &practice.admin.token).await;
        assert_eq!(text_of(&plugin, "yanked-heading"), "Version 1.0.0 was withdrawn");
        assert_eq!(text_of(&plugin, "yank-reason"), "loses notes on restart");
        let choices = plugin.body.split(r#"<select id="version""#).nth(1).expect("a version to move to");
        let choices = choices.split("</select>").next().unwrap();
        assert!(choices.contains(r#"value="1.1.0""#) && !choices.contains(r#"value="1.0.0""#), "{choices}");
        let consent = [("consent", "kv"), ("consent", "http-outbound"), ("consent", "orders-read")];
        let mut form = vec![("version", "1.1.0")];
        form.extend(consent);
        let moved = submit(&app, "/plugins/order-notes/enable", &practice.admin.token, &form).await;
        assert_eq!(moved.status, 303, "{}", moved.body);
        let plugin = get(&app, "/plugins/order-notes", &practice.admin.token).await;
        assert!(plugin.body.contains("yes, version 1.1.0"), "{}", plugin.body);
        assert!(!plugin.body.contains(r#"id="yanked""#), "no notice once on a live version");

        // Auto-approve, switched on in the console, is what the API then says.
        let switched =
            submit(&app, "/admin/registry/publishers/acme-plugins/auto-approve", &root.token, &[("auto_approve", "true")]).await;
        assert_eq!(switched.status, 303, "{}", switched.body);
        assert_eq!(text_of(&get(&app, "/admin/registry", &root.token).await, "auto-acme-plugins"), "on");
        let detail = app.get("/api/v1/registry/publishers/acme-plugins", &dev).await;
        assert_eq!(detail.ok(200)["auto_approve"], true);
    }
);

db_test!(
    async fn the_review_is_for_platform_admins_and_a_publisher_page_for_its_members(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _totp) = app.platform_admin().await;
        let mine = app.tenant("mine").await.admin.token;
        let theirs = app.tenant("theirs").await.admin.token;
        for (token, slug) in [(&mine, "mine-pub"), (&theirs, "their-pub")] {
            let body = json!({ "slug": slug, "name": format!("Publisher {slug}") });
            app.post("/api/v1/registry/publishers", Some(token), body).await.ok(201);
        }
        // Theirs publishes a version that is approved, and has a token.
        let key = PrivateKey::generate();
        let body = json!({ "name": "laptop", "public_key": key.public().to_base64() });
        app.post("/api/v1/registry/publishers/their-pub/keys", Some(&theirs), body).await.ok(201);
        publish(&app, &theirs, &key, &manifest("1.0.0", &["kv", "http-outbound"])).await;
        let token = app.post("/api/v1/registry/publishers/their-pub/tokens", Some(&theirs), json!({ "name": "ci" })).await;
        let token_id = token.ok(201)["id"].as_str().expect("token id").to_owned();

        // A tenant admin is no platform admin: the review and its forms are refused.
        let page = get(&app, "/admin/registry", &mine).await;
        assert_eq!(page.status, 403, "{}", page.body);
        assert!(!page.body.contains("order-notes"));
        for (path, form) in [
            ("/admin/registry/versions/order-notes/1.0.0/approve", vec![("min_plan", "free"), ("note", "")]),
            ("/admin/registry/versions/order-notes/1.0.0/reject", vec![("reason", "no")]),
            ("/admin/registry/publishers/mine-pub/auto-approve", vec![("auto_approve", "true")]),
            ("/admin/registry/plugins/order-notes/versions/1.0.0/rollout", vec![("margin", "2"), ("min_calls", "20")]),
            ("/admin/registry/plugins/order-notes/versions/1.0.0/rollout/widen", vec![("percent", "100")]),
            ("/admin/registry/plugins/order-notes/versions/1.0.0/rollout/rollback", vec![("reason", "no")]),
            ("/admin/registry/plugins/order-notes/versions/1.0.0/move", vec![("to", "1.0.0"), ("reason", "no")]),
        ] {
            let answer = submit(&app, path, &mine, &form).await;
            assert_eq!(answer.status, 403, "{path}: {}", answer.body);
        }
        let versions = get(&app, "/admin/registry/plugins/order-notes", &mine).await;
        assert_eq!(versions.status, 403, "{}", versions.body);
        app.get("/api/v1/registry/plugins/order-notes/rollouts", &mine).await.problem(403, "platform_admin_required");
        let own = get(&app, "/publishing", &mine).await;
        assert!(own.body.contains(r#"href="/publishing""#), "Publishing is in everyone's navigation");
        assert!(!own.body.contains(r#"href="/admin/registry""#), "Review is not in a tenant admin's");
        assert!(get(&app, "/publishing", &root.token).await.body.contains(r#"href="/admin/registry""#));
        let queue = app.get("/api/v1/registry/reviews", &root.token).await;
        assert_eq!(queue.ok(200)[0]["status"], "pending", "still waiting");

        // Another publisher's page, and every form on it, answer the 404 page.
        let other = get(&app, "/publishing/their-pub", &mine).await;
        assert_eq!(other.status, 404, "{}", other.body);
        assert!(!other.body.contains("Publisher their-pub"));
        assert!(!get(&app, "/publishing", &mine).await.body.contains("their-pub"));
        let public = PrivateKey::generate().public().to_base64();
        let key_path = format!("/publishing/their-pub/keys/{}/revoke", key.public().key_id());
        let token_path = format!("/publishing/their-pub/tokens/{token_id}/revoke");
        for (path, form) in [
            ("/publishing/their-pub/keys", vec![("name", "mine"), ("public_key", public.as_str())]),
            (key_path.as_str(), vec![]),
            ("/publishing/their-pub/tokens", vec![("name", "mine"), ("expires_in_days", "")]),
            (token_path.as_str(), vec![]),
        ] {
            let answer = submit(&app, path, &mine, &form).await;
            assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        }
        // Nor can their version be yanked from one's own publisher page once approved.
        app.post("/api/v1/registry/plugins/order-notes/versions/1.0.0/approve", Some(&root.token), json!({}))
            .await
            .ok(200);
        for path in [
            "/publishing/their-pub/versions/order-notes/1.0.0/yank",
            "/publishing/mine-pub/versions/order-notes/1.0.0/yank",
        ] {
            let answer = submit(&app, path, &mine, &[("reason", "sabotage")]).await;
            assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        }

        // Theirs is untouched.
        let detail = app.get("/api/v1/registry/publishers/their-pub", &theirs).await;
        let detail = detail.ok(200);
        assert_eq!(detail["keys"].as_array().unwrap().len(), 1);
        assert!(detail["keys"][0]["revoked_at"].is_null());
        assert_eq!(detail["tokens"].as_array().unwrap().len(), 1);
        assert!(detail["tokens"][0]["revoked_at"].is_null());
        assert!(detail["versions"][0]["yanked_at"].is_null());
        assert_eq!(detail["versions"][0]["status"], "approved");
    }
);
