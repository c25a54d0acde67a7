//! The plugin registry over real HTTP, on both backends: a publisher registers a key and
//! publishes signed packages (once with the real `ils plugin publish`), a platform admin reviews
//! them with their capability diff, tenants see only approved versions, and a yanked version
//! is offered to no one new while the tenants on it are told. Every refusal has its problem code.

use std::process::Command;

use base64::Engine as _;
use ils_registry::signing::PrivateKey;
use ils_registry::{Descriptor, Manifest};
use serde_json::{Value, json};

use crate::guests::{ORDER_NOTES, component};
use crate::harness::{Actor, Resp, Tenant, TestApp, db_test};

/// order-notes' manifest at `version`, asking for `capabilities` (it imports kv and
/// outgoing HTTP, so those two must stay).
fn manifest(version: &str, capabilities: &[&str]) -> String {
    let caps = capabilities.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ");
    ORDER_NOTES
        .replace("version = \"0.1.0\"", &format!("version = \"{version}\""))
        .replace("capabilities = [\"kv\", \"http-outbound\"]", &format!("capabilities = [{caps}]"))
}

const BASE_CAPS: [&str; 2] = ["kv", "http-outbound"];

fn order_notes() -> Vec<u8> {
    std::fs::read(component("order_notes")).expect("order-notes component")
}

/// A publisher with a registered key, created by `dev` (any signed-in user).
pub(crate) struct Publishing {
    pub(crate) key: PrivateKey,
    pub(crate) dev: Actor,
}

pub(crate) async fn publisher(app: &TestApp, dev: &Actor, slug: &str) -> Publishing {
    app.post(
        "/api/v1/registry/publishers",
        Some(&dev.token),
        json!({ "slug": slug, "name": format!("Publisher {slug}") }),
    )
    .await
    .ok(201);
    let key = PrivateKey::generate();
    let added = app
        .post(
            &format!("/api/v1/registry/publishers/{slug}/keys"),
            Some(&dev.token),
            json!({ "name": "laptop", "public_key": key.public().to_base64() }),
        )
        .await;
    assert_eq!(added.ok(201)["key_id"], key.public().key_id());
    Publishing { key, dev: dev.clone() }
}

/// The upload body of a package signed with `key`.
pub(crate) fn signed(key: &PrivateKey, manifest_text: &str, component: &[u8]) -> Value {
    let parsed = Manifest::from_toml(manifest_text).expect("manifest");
    let digest = Descriptor::of_package(&parsed, manifest_text, component).digest();
    json!({
        "manifest": manifest_text,
        "component": base64::engine::general_purpose::STANDARD.encode(component),
        "key_id": key.public().key_id(),
        "signature": key.sign(&digest),
    })
}

pub(crate) async fn publish(app: &TestApp, token: &str, body: Value) -> Resp {
    app.post("/api/v1/registry/packages", Some(token), body).await
}

async fn enable(app: &TestApp, tenant: &Tenant, version: &str, consent: &[&str]) -> Resp {
    let body = json!({ "version": version, "consent": consent });
    app.put("/api/v1/tenant/plugins/order-notes", &tenant.admin.token, body).await
}

fn versions_offered(catalogue: &Value) -> Vec<String> {
    catalogue
        .as_array()
        .expect("catalogue")
        .iter()
        .filter(|p| p["id"] == "order-notes")
        .flat_map(|p| p["versions"].as_array().cloned().unwrap_or_default())
        .map(|v| v["version"].as_str().expect("version").to_owned())
        .collect()
}

/// `ils plugin publish` against the test server: signs with the key file and uploads.
fn cli_publish(app: &TestApp, token: &str, key: &PrivateKey, manifest_text: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("ils-plugin.toml"), manifest_text).expect("manifest");
    std::fs::copy(component("order_notes"), dir.path().join("plugin.wasm")).expect("component");
    let key_file = dir.path().join("key.pem");
    std::fs::write(&key_file, key.to_pem().expect("pem")).expect("key");
    Command::new(env!("CARGO_BIN_EXE_ils"))
        .args(["plugin", "publish"])
        .arg(dir.path())
        .args(["--registry", &app.base, "--token", token, "--key"])
        .arg(&key_file)
        .env_remove("ILS_REGISTRY_URL")
        .output()
        .expect("run ils plugin publish")
}

db_test!(
    async fn publish_review_enable_and_yank(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _totp) = app.platform_admin().await;
        let devshop = app.tenant("devshop").await;
        let practice = app.tenant("practice").await;
        let late = app.tenant("late").await;
        let acme = publisher(&app, &devshop.admin, "acme-plugins").await;

        // 1.0.0, signed and uploaded by the real CLI, waits for review.
        let out = cli_publish(&app, &acme.dev.token, &acme.key, &manifest("1.0.0", &BASE_CAPS));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "ils plugin publish failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("published order-notes 1.0.0"), "{stdout}");
        assert!(stdout.contains("pending"), "{stdout}");

        // Not offered yet: not in the catalogue, and enabling it names why.
        let catalogue = app.get("/api/v1/tenant/plugins", &practice.admin.token).await;
        assert!(versions_offered(catalogue.ok(200)).is_empty());
        enable(&app, &practice, "1.0.0", &BASE_CAPS).await.problem(409, "version_not_approved");

        // The reviewer sees what the component really imports, its size, platform and diff.
        let queue = app.get("/api/v1/registry/reviews", &root.token).await;
        let queue = queue.ok(200).as_array().expect("queue").clone();
        assert_eq!(queue.len(), 1);
        let item = &queue[0];
        assert_eq!((item["plugin_id"].as_str(), item["version"].as_str()), (Some("order-notes"), Some("1.0.0")));
        assert_eq!(item["status"], "pending");
        assert_eq!(item["publisher"], "acme-plugins");
        assert_eq!(item["key_id"], acme.key.public().key_id());
        assert_eq!(item["platform"], "^0.3");
        assert_eq!(item["size"].as_u64(), Some(order_notes().len() as u64));
        let imports: Vec<&str> = item["imports"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(imports.iter().any(|i| i.starts_with("ils:platform/kv@")), "{imports:?}");
        assert!(imports.iter().any(|i| i.starts_with("wasi:http/outgoing-handler@")), "{imports:?}");
        assert_eq!(item["diff"]["previous"], Value::Null);
        assert_eq!(item["diff"]["capabilities"]["added"], json!(["http-outbound", "kv"]));

        // A tenant admin cannot review.
        app.post("/api/v1/registry/plugins/order-notes/versions/1.0.0/approve", Some(&devshop.admin.token), json!({}))
            .await
            .problem(403, "platform_admin_required");
        let approved = app
            .post("/api/v1/registry/plugins/order-notes/versions/1.0.0/approve", Some(&root.token), json!({ "min_plan": "pro" }))
            .await;
        assert_eq!(approved.ok(200)["status"], "approved");
        let catalogue = app.get("/api/v1/tenant/plugins", &practice.admin.token).await;
        assert_eq!(versions_offered(catalogue.ok(200)), vec!["1.0.0"]);
        assert_eq!(enable(&app, &practice, "1.0.0", &BASE_CAPS).await.ok(200)["version"], "1.0.0");

        // 1.1.0 adds one capability: the review shows exactly that.
        let mut caps = BASE_CAPS.to_vec();
        caps.push("orders-read");
        let published = publish(&app, &acme.dev.token, signed(&acme.key, &manifest("1.1.0", &caps), &order_notes())).await;
        let diff = published.ok(201)["diff"].clone();
        assert_eq!(diff["previous"], "1.0.0");
        assert_eq!(diff["capabilities"], json!({ "added": ["orders-read"], "removed": [] }));
        for unchanged in ["outbound_hosts", "events", "provides", "schedules", "pages"] {
            assert_eq!(diff[unchanged], json!({ "added": [], "removed": [] }), "{unchanged}");
        }
        assert_eq!(diff["widened_limits"], json!([]));
        assert_eq!(diff["config_schema"]["changed"], false);
        app.post("/api/v1/registry/plugins/order-notes/versions/1.1.0/approve", Some(&root.token), json!({}))
            .await
            .ok(200);
        // The tenant stays on 1.0.0 until its admin consents to the new capability.
        let mine = app.get("/api/v1/tenant/plugins/order-notes", &practice.admin.token).await;
        assert_eq!(mine.ok(200)["enablement"]["version"], "1.0.0");
        assert_eq!(mine.ok(200)["versions"][0]["min_plan"], "pro", "the plan carries over");
        enable(&app, &practice, "1.1.0", &BASE_CAPS).await.problem(422, "consent_required");
        let mine = app.get("/api/v1/tenant/plugins/order-notes", &practice.admin.token).await;
        assert_eq!(mine.ok(200)["enablement"]["version"], "1.0.0");

        // The publisher yanks 1.0.0: the tenant on it is told and keeps it; no one new gets it.
        app.post(
            "/api/v1/registry/plugins/order-notes/versions/1.0.0/yank",
            Some(&acme.dev.token),
            json!({ "reason": "loses notes on restart" }),
        )
        .await
        .ok(200);
        let mine = app.get("/api/v1/tenant/plugins/order-notes", &practice.admin.token).await;
        let mine = mine.ok(200);
        assert_eq!(mine["enablement"]["version"], "1.0.0");
        assert_eq!(mine["enablement"]["enabled"], true);
        assert_eq!(mine["enablement"]["yanked"], "loses notes on restart");
        let events = app.get("/api/v1/events?limit=100", &practice.admin.token).await;
        let told = events.ok(200)["items"].as_array().unwrap().iter().any(|e| {
            e["type"] == "plugin.version_yanked" && e["data"]["version"] == "1.0.0"
        });
        assert!(told, "the tenant on 1.0.0 gets plugin.version_yanked");
        let others = app.get("/api/v1/events?limit=100", &late.admin.token).await;
        assert!(!others.ok(200)["items"].as_array().unwrap().iter().any(|e| e["type"] == "plugin.version_yanked"));
        let catalogue = app.get("/api/v1/tenant/plugins", &late.admin.token).await;
        assert_eq!(versions_offered(catalogue.ok(200)), vec!["1.1.0"]);
        enable(&app, &late, "1.0.0", &BASE_CAPS).await.problem(409, "version_yanked");
        assert_eq!(enable(&app, &practice, "1.1.0", &caps).await.ok(200)["version"], "1.1.0");
        assert_eq!(enable(&app, &late, "1.1.0", &caps).await.ok(200)["version"], "1.1.0");
    }
);

db_test!(
    async fn every_refusal_has_its_problem(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _totp) = app.platform_admin().await;
        let a = app.tenant("dev-a").await;
        let b = app.tenant("dev-b").await;
        let acme = publisher(&app, &a.admin, "acme").await;
        let rival = publisher(&app, &b.admin, "rival").await;
        let bytes = order_notes();
        let v100 = manifest("1.0.0", &BASE_CAPS);

        // Signed by another publisher's key, by a key over other bytes, or tampered after signing.
        publish(&app, &acme.dev.token, signed(&rival.key, &v100, &bytes)).await.problem(422, "unknown_key");
        let mut wrong = signed(&acme.key, &v100, &bytes);
        wrong["signature"] = signed(&acme.key, &manifest("9.9.9", &BASE_CAPS), &bytes)["signature"].clone();
        publish(&app, &acme.dev.token, wrong).await.problem(422, "bad_signature");
        let mut tampered = signed(&acme.key, &v100, &bytes);
        let mut changed = bytes.clone();
        *changed.last_mut().unwrap() ^= 1;
        tampered["component"] = json!(base64::engine::general_purpose::STANDARD.encode(&changed));
        publish(&app, &acme.dev.token, tampered).await.problem(422, "bad_signature");
        let mut unknown = signed(&acme.key, &v100, &bytes);
        unknown["key_id"] = json!("0123456789abcdef");
        publish(&app, &acme.dev.token, unknown).await.problem(422, "unknown_key");

        // A publishing token publishes (and does nothing else); the version claims the id.
        let token = app
            .post("/api/v1/registry/publishers/acme/tokens", Some(&acme.dev.token), json!({ "name": "ci" }))
            .await;
        let token = token.ok(201)["secret"].as_str().expect("secret").to_owned();
        assert!(token.starts_with("ils_p_"));
        let first = publish(&app, &token, signed(&acme.key, &v100, &bytes)).await;
        assert_eq!(first.ok(201)["status"], "pending");
        app.post("/api/v1/registry/publishers/acme/keys", Some(&token), json!({ "name": "x", "public_key": rival.key.public().to_base64() }))
            .await
            .problem(403, "token_not_allowed");
        // The same bytes again answer with the version as it stands; other bytes are refused.
        let again = publish(&app, &token, signed(&acme.key, &v100, &bytes)).await;
        assert_eq!(again.ok(201)["status"], "pending");
        let other = manifest("1.0.0", &["kv", "http-outbound", "secrets"]);
        publish(&app, &token, signed(&acme.key, &other, &bytes)).await.problem(409, "version_exists");
        // Someone else's id.
        publish(&app, &rival.dev.token, signed(&rival.key, &manifest("2.0.0", &BASE_CAPS), &bytes))
            .await
            .problem(403, "foreign_plugin_id");
        // Unreviewed: not offered.
        enable(&app, &a, "1.0.0", &BASE_CAPS).await.problem(409, "version_not_approved");
        // Rejected, with a reason the publisher sees.
        app.post("/api/v1/registry/plugins/order-notes/versions/1.0.0/reject", Some(&root.token), json!({ "reason": " " }))
            .await
            .problem(422, "invalid_input");
        app.post(
            "/api/v1/registry/plugins/order-notes/versions/1.0.0/reject",
            Some(&root.token),
            json!({ "reason": "describe what the webhook sends" }),
        )
        .await
        .ok(200);
        let mine = app.get("/api/v1/registry/publishers/acme", &acme.dev.token).await;
        let version = &mine.ok(200)["versions"][0];
        assert_eq!((version["status"].as_str(), version["review_reason"].as_str()), (Some("rejected"), Some("describe what the webhook sends")));
        enable(&app, &a, "1.0.0", &BASE_CAPS).await.problem(409, "version_not_approved");
        app.post("/api/v1/registry/plugins/order-notes/versions/1.0.0/approve", Some(&root.token), json!({}))
            .await
            .problem(409, "not_pending");

        // A platform change needs a version above every earlier one.
        let v110 = manifest("1.1.0", &BASE_CAPS);
        publish(&app, &token, signed(&acme.key, &v110, &bytes)).await.ok(201);
        app.post("/api/v1/registry/plugins/order-notes/versions/1.1.0/approve", Some(&root.token), json!({ "min_plan": "premium" }))
            .await
            .ok(200);
        let lower = manifest("1.0.5", &BASE_CAPS).replace("platform = \"^0.3\"", "platform = \"~0.3.0\"");
        publish(&app, &token, signed(&acme.key, &lower, &bytes)).await.problem(409, "version_not_greater");
        // A plan without the plugin.
        enable(&app, &a, "1.1.0", &BASE_CAPS).await.problem(403, "plan_required");

        // A revoked key signs nothing more.
        app.delete(&format!("/api/v1/registry/publishers/acme/keys/{}", acme.key.public().key_id()), &acme.dev.token)
            .await
            .ok(204);
        publish(&app, &token, signed(&acme.key, &manifest("1.2.0", &BASE_CAPS), &bytes)).await.problem(403, "key_revoked");
        // A revoked token authenticates nothing.
        let tokens = app.get("/api/v1/registry/publishers/acme", &acme.dev.token).await;
        let token_id = tokens.ok(200)["tokens"][0]["id"].as_str().expect("token id").to_owned();
        app.delete(&format!("/api/v1/registry/publishers/acme/tokens/{token_id}"), &acme.dev.token).await.ok(204);
        publish(&app, &token, signed(&rival.key, &manifest("1.3.0", &BASE_CAPS), &bytes)).await.problem(401, "invalid_token");

        // One publisher's members see nothing of another's.
        app.get("/api/v1/registry/publishers/acme", &rival.dev.token).await.problem(404, "not_found");
        app.get("/api/v1/registry/plugins/order-notes/versions/1.1.0", &rival.dev.token).await.problem(404, "not_found");
        app.post(
            "/api/v1/registry/plugins/order-notes/versions/1.1.0/yank",
            Some(&rival.dev.token),
            json!({ "reason": "sabotage" }),
        )
        .await
        .problem(404, "not_found");
        let theirs = app.get("/api/v1/registry/publishers", &rival.dev.token).await;
        let slugs: Vec<&str> = theirs.ok(200).as_array().unwrap().iter().filter_map(|p| p["slug"].as_str()).collect();
        assert_eq!(slugs, vec!["rival"]);
    }
);

db_test!(
    async fn an_auto_approved_publisher_skips_review_only_for_versions_that_add_nothing(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _totp) = app.platform_admin().await;
        let dev = app.tenant("dev").await;
        let acme = publisher(&app, &dev.admin, "acme").await;
        let bytes = order_notes();
        publish(&app, &acme.dev.token, signed(&acme.key, &manifest("1.0.0", &BASE_CAPS), &bytes)).await.ok(201);
        app.patch("/api/v1/registry/publishers/acme", &acme.dev.token, json!({ "auto_approve": true }))
            .await
            .problem(403, "platform_admin_required");
        app.patch("/api/v1/registry/publishers/acme", &root.token, json!({ "auto_approve": true })).await.ok(200);
        // The first version never skips review.
        let queue = app.get("/api/v1/registry/reviews", &root.token).await;
        assert_eq!(queue.ok(200).as_array().unwrap().len(), 1);
        app.post("/api/v1/registry/plugins/order-notes/versions/1.0.0/approve", Some(&root.token), json!({}))
            .await
            .ok(200);
        let same = publish(&app, &acme.dev.token, signed(&acme.key, &manifest("1.0.1", &BASE_CAPS), &bytes)).await;
        assert_eq!(same.ok(201)["status"], "approved");
        let mut more = BASE_CAPS.to_vec();
        more.push("secrets");
        let wider = publish(&app, &acme.dev.token, signed(&acme.key, &manifest("1.1.0", &more), &bytes)).await;
        assert_eq!(wider.ok(201)["status"], "pending");
        let queue = app.get("/api/v1/registry/reviews", &root.token).await;
        let queue = queue.ok(200).as_array().unwrap().clone();
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0]["version"], "1.1.0");
    }
);
