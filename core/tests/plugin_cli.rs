//! `ils plugin new|build|test` as a plugin author runs them: a generated crate passes its own
//! unit tests, builds into a package the registry accepts, and passes its host scenario in the
//! real plugin host; a broken expectation, an undeclared capability, a bad name and an occupied
//! directory are each reported with the right exit status. A crate made in an empty directory
//! outside the checkout, with the SDK `ils` carries, goes the whole way to a tenant calling it.
//!
//! Needs cargo and the `wasm32-wasip2` target (`scripts/test` installs it). The generated crates
//! build in `<target>/plugin-cli-tests`, so reruns are warm. Most tests depend on the checkout's
//! `plugin-sdk` (`--sdk`), built once for all of them; the standalone one builds its own copy.

#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ils_host_api::PluginHost;
use ils_registry::Registry;

/// The workspace's target directory (where cargo put the `ils` binary under test).
fn target_dir() -> PathBuf {
    let ils = Path::new(env!("CARGO_BIN_EXE_ils"));
    ils.parent().and_then(Path::parent).expect("ils is in <target>/<profile>/").to_path_buf()
}

/// The target directory the generated crates build in, shared between runs.
fn plugin_target_dir() -> PathBuf {
    target_dir().join("plugin-cli-tests")
}

/// The checkout's plugin SDK: the tests that exercise the CLI, not the SDK's packing, use it, so
/// every crate they generate shares one build of it.
fn checkout_sdk() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../plugin-sdk")
}

/// The checkout this test runs in, canonical.
fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `ils ARGS` in `dir`.
fn ils(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ils"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", plugin_target_dir())
        .env("ILS_LOG", "warn")
        .output()
        .expect("run ils")
}

fn text(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn require_toolchain() {
    let cargo = cargo().arg("--version").output();
    assert!(
        cargo.is_ok_and(|o| o.status.success()),
        "these tests need cargo on PATH (or CARGO set) to build the generated plugin"
    );
    // `ils plugin build` adds the target with rustup when it is missing; without rustup it must
    // already be there.
    let rustup = Command::new("rustup").args(["target", "list", "--installed"]).output();
    if let Ok(out) = rustup {
        let installed = String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == "wasm32-wasip2");
        if !installed {
            eprintln!("wasm32-wasip2 is not installed; `ils plugin build` will add it with rustup");
        }
    }
}

#[test]
fn a_new_plugin_tests_builds_and_passes_its_scenario_in_the_real_host() {
    require_toolchain();
    let work = tempfile::tempdir().unwrap();
    let created = ils(work.path(), &["plugin", "new", "demo-counter", "--sdk", checkout_sdk()]);
    assert!(created.status.success(), "{}", text(&created));
    let krate = work.path().join("demo-counter");
    for file in
        ["Cargo.toml", "ils-plugin.toml", "src/lib.rs", "tests/host/counts.toml", "README.md", ".gitignore"]
    {
        assert!(krate.join(file).is_file(), "{file} was not generated");
    }

    // The crate's own unit tests, against the SDK's mock host.
    let unit = cargo()
        .args(["test", "--quiet"])
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", plugin_target_dir())
        .output()
        .unwrap();
    assert!(unit.status.success(), "cargo test in the generated crate failed\n{}", text(&unit));

    // The package: what the registry installs.
    let built = ils(&krate, &["plugin", "build"]);
    assert!(built.status.success(), "{}", text(&built));
    let package = plugin_target_dir().join("ils-package").join("demo-counter");
    assert!(stdout(&built).contains(&format!("package: {}", package.display())), "{}", text(&built));
    let registry_dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(registry_dir.path(), &PluginHost::supported_platforms()).unwrap();
    let installed = registry.install_from_path(&package).unwrap();
    assert_eq!(installed.manifest.id.as_str(), "demo-counter");

    // The shipped scenario passes in the real host.
    let tested = ils(&krate, &["plugin", "test"]);
    assert!(tested.status.success(), "{}", text(&tested));
    let out = stdout(&tested);
    assert!(out.contains("step 4: the counts are served ... ok"), "{}", text(&tested));
    assert!(out.contains("test result: ok. 7 passed; 0 failed"), "{}", text(&tested));

    // A wrong expectation fails that step, by name, with exit status 1.
    let scenario = krate.join("tests/host/counts.toml");
    let original = std::fs::read_to_string(&scenario).unwrap();
    let broken = original
        .replace("expect_json = { created = 1, pending = 2 }", "expect_json = { created = 1, pending = 3 }");
    assert_ne!(broken, original, "the generated scenario changed; update this test");
    std::fs::write(&scenario, broken).unwrap();
    let failed = ils(&krate, &["plugin", "test"]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    let out = stdout(&failed);
    assert!(out.contains("step 4: the counts are served ... FAILED"), "{}", text(&failed));
    assert!(out.contains(r#"found JSON {"created":1,"pending":2}"#), "{}", text(&failed));
    assert!(
        out.contains("step 5: an event it does not subscribe to is not delivered ... skipped"),
        "{}",
        text(&failed)
    );
    assert!(
        stderr(&failed)
            .contains(r#"error: 1 step failed: tests/host/counts.toml step 4 "the counts are served""#),
        "{}",
        text(&failed)
    );

    // A failing step shows the plugin's own log lines (`host::log`), captured from the real host.
    let lib = krate.join("src/lib.rs");
    let code = std::fs::read_to_string(&lib).unwrap();
    let counted = "        kv::set(&key, count.to_string().as_bytes())?;\n";
    let logging = code.replace(
        counted,
        &format!(
            "{counted}        ils_plugin_sdk::host::log::info(&format!(\"{{key}} is now {{count}}\"));\n"
        ),
    );
    assert_ne!(logging, code, "the generated lib.rs changed; update this test");
    std::fs::write(&lib, logging).unwrap();
    let broken = original
        .replace("expect_kv = { \"count/pending\" = \"1\" }", "expect_kv = { \"count/pending\" = \"7\" }");
    assert_ne!(broken, original, "the generated scenario changed; update this test");
    std::fs::write(&scenario, broken).unwrap();
    let failed = ils(&krate, &["plugin", "test"]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    let out = stdout(&failed);
    assert!(out.contains("step 1: a new order is counted under its status ... FAILED"), "{}", text(&failed));
    assert!(out.contains(r#"kv "count/pending": expected "7", found "1""#), "{}", text(&failed));
    assert!(out.contains("plugin log:\n        INFO count/pending is now 1"), "{}", text(&failed));
    std::fs::write(&scenario, original).unwrap();
    std::fs::write(&lib, code).unwrap();

    // A host call the manifest does not declare is refused at build time, with exit status 2.
    let code = std::fs::read_to_string(&lib).unwrap();
    let sneaky = code.replace(
        "        let order: OrderEvent = event.payload_as()?;\n",
        "        let order: OrderEvent = event.payload_as()?;\n        let _ = ils_plugin_sdk::host::secrets::get(\"token\");\n",
    );
    assert_ne!(sneaky, code, "the generated lib.rs changed; update this test");
    std::fs::write(&lib, &sneaky).unwrap();
    let refused = ils(&krate, &["plugin", "build"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let err = stderr(&refused);
    assert!(err.contains("error: the plugin host refuses the component"), "{}", text(&refused));
    assert!(err.contains("needs capability secrets"), "{}", text(&refused));
    assert!(!package.join("plugin.wasm").exists(), "a refused build must leave no package behind");

    // Cargo names the component without a hash, so a second crate of the same name in the same
    // target dir overwrites it; building the first crate again must package its own component.
    std::fs::write(&lib, &code).unwrap();
    let again = ils(&krate, &["plugin", "build"]);
    assert!(again.status.success(), "{}", text(&again));
    let other =
        ils(work.path(), &["plugin", "new", "demo-counter", "--dir", "other", "--sdk", checkout_sdk()]);
    assert!(other.status.success(), "{}", text(&other));
    let other = work.path().join("other");
    std::fs::write(other.join("src/lib.rs"), &sneaky).unwrap();
    let refused = ils(&other, &["plugin", "build"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let own = ils(&krate, &["plugin", "build"]);
    assert!(own.status.success(), "the other crate's component was packaged\n{}", text(&own));
}

#[test]
fn new_refuses_a_bad_name_and_an_occupied_directory() {
    let work = tempfile::tempdir().unwrap();
    let bad = ils(work.path(), &["plugin", "new", "Demo_Counter"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(stderr(&bad).contains(r#"error: invalid plugin name "Demo_Counter""#), "{}", text(&bad));
    assert!(std::fs::read_dir(work.path()).unwrap().next().is_none(), "a refused name must create nothing");

    let occupied = work.path().join("demo-counter");
    std::fs::create_dir(&occupied).unwrap();
    std::fs::write(occupied.join("notes.txt"), "mine").unwrap();
    let refused = ils(work.path(), &["plugin", "new", "demo-counter"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(stderr(&refused).contains("already exists and is not empty"), "{}", text(&refused));
    let left: Vec<_> = std::fs::read_dir(&occupied).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["notes.txt"], "nothing may be written into an occupied directory");

    // An empty directory, named with --dir, is fine.
    let empty = work.path().join("elsewhere");
    std::fs::create_dir(&empty).unwrap();
    let created = ils(work.path(), &["plugin", "new", "demo-counter", "--dir", "elsewhere"]);
    assert!(created.status.success(), "{}", text(&created));
    assert!(empty.join("ils-plugin.toml").is_file());
    assert!(
        empty.join(".ils-sdk/ils-sdk.toml").is_file(),
        "without --sdk, the crate gets the SDK ils carries"
    );
    // Its README installs into the server's installation, not into ./ils-data of the crate.
    let readme = std::fs::read_to_string(empty.join("README.md")).unwrap();
    assert!(readme.contains("ils plugin install target/ils-package/demo-counter --data-dir "), "{readme}");
    assert!(readme.contains("`--data-dir` the server was started with"), "{readme}");
}

#[test]
fn sdk_rewrites_a_plugins_sdk_and_refuses_any_other_directory() {
    let work = tempfile::tempdir().unwrap();
    assert!(ils(work.path(), &["plugin", "new", "demo-counter"]).status.success());
    let krate = work.path().join("demo-counter");
    let sdk = krate.join(".ils-sdk");
    let lib = sdk.join("plugin-sdk/src/lib.rs");
    let original = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, "broken").unwrap();
    std::fs::write(sdk.join("plugin-sdk/src/stray.rs"), "").unwrap();

    let rewritten = ils(&krate, &["plugin", "sdk"]);
    assert!(rewritten.status.success(), "{}", text(&rewritten));
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        stdout(&rewritten).contains(&format!("rewrote ils-plugin-sdk {version} in .ils-sdk")),
        "{}",
        text(&rewritten)
    );
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), original);
    assert!(!sdk.join("plugin-sdk/src/stray.rs").exists());

    let out = work.path().join("vendor/ils");
    let written = ils(work.path(), &["plugin", "sdk", "--out", out.to_str().unwrap()]);
    assert!(written.status.success(), "{}", text(&written));
    assert!(out.join("plugin-sdk/Cargo.toml").is_file() && out.join("wit").is_dir());

    let refused = ils(&krate, &["plugin", "sdk", "--out", "src"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(stderr(&refused).contains("not an SDK `ils` wrote"), "{}", text(&refused));
    assert!(krate.join("src/lib.rs").is_file(), "a refused directory is left as it was");
}

#[test]
fn build_and_test_explain_what_is_missing() {
    let work = tempfile::tempdir().unwrap();
    let built = ils(work.path(), &["plugin", "build"]);
    assert_eq!(built.status.code(), Some(2), "{}", text(&built));
    assert!(stderr(&built).contains("ils-plugin.toml"), "{}", text(&built));

    let help = ils(work.path(), &["plugin", "test", "--help"]);
    assert!(stdout(&help).contains("Exit status: 0 success; 1 a scenario step failed"), "{}", text(&help));
}

/// Kills the server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every file under `dir` (the SDK's hidden directory included) whose text mentions `needle`.
fn files_mentioning(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_mentioning(&path, needle));
        } else if String::from_utf8_lossy(&std::fs::read(&path).unwrap()).contains(needle) {
            found.push(path);
        }
    }
    found
}

/// Done-when 6 of issue 18 and the README's newcomer path, every step with the real binary: in an
/// empty directory outside the checkout, scaffold a plugin with the SDK `ils` carries, prove the
/// crate reaches nothing of the checkout, run its unit tests, build and test it in the real host,
/// serve, publish it signed with `ils plugin keygen`'s key (`ils plugin publish`), have a platform
/// admin approve it, enable it for a tenant over HTTP, watch an order event
/// arrive through the queue, call the plugin's route as the tenant, and `ils plugin invoke` it.
///
/// Cold (an empty `plugin-cli-tests` target dir) the cargo steps compile the SDK's crates.io
/// dependencies natively and for wasm: 184 s on a 2-core machine; warm, only the SDK's own crates
/// and the plugin rebuild: 19 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_made_outside_the_checkout_builds_tests_and_runs_with_only_ils_and_cargo() {
    use serde_json::{Value, json};

    require_toolchain();
    let author = tempfile::tempdir().unwrap();
    let home = author.path().canonicalize().unwrap();
    let checkout = checkout();
    assert!(!home.starts_with(&checkout), "{} must lie outside the checkout", home.display());
    assert!(std::fs::read_dir(&home).unwrap().next().is_none());

    let created = ils(&home, &["plugin", "new", "hello-counts"]);
    assert!(created.status.success(), "{}", text(&created));
    let krate = home.join("hello-counts");
    let checkout_text = checkout.to_str().unwrap();
    assert_eq!(files_mentioning(&krate, checkout_text), Vec::<PathBuf>::new(), "files naming the checkout");

    // What cargo builds the crate from: no package of the checkout, the SDK from the crate itself.
    let metadata = cargo()
        .args(["metadata", "--format-version", "1"])
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", plugin_target_dir())
        .output()
        .unwrap();
    assert!(metadata.status.success(), "{}", text(&metadata));
    let metadata: Value = serde_json::from_slice(&metadata.stdout).unwrap();
    let manifests: Vec<PathBuf> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| PathBuf::from(package["manifest_path"].as_str().unwrap()))
        .collect();
    let inside: Vec<_> = manifests.iter().filter(|path| path.starts_with(&checkout)).collect();
    assert!(inside.is_empty(), "packages from the checkout {}: {inside:?}", checkout.display());
    let sdk = manifests.iter().find(|path| path.parent().is_some_and(|dir| dir.ends_with("plugin-sdk")));
    assert_eq!(sdk, Some(&krate.join(".ils-sdk/plugin-sdk/Cargo.toml")), "{manifests:?}");

    let unit = cargo()
        .args(["test", "--quiet"])
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", plugin_target_dir())
        .output()
        .unwrap();
    assert!(unit.status.success(), "cargo test in the generated crate failed\n{}", text(&unit));
    let built = ils(&krate, &["plugin", "build"]);
    assert!(built.status.success(), "{}", text(&built));
    let tested = ils(&krate, &["plugin", "test"]);
    assert!(tested.status.success(), "{}", text(&tested));
    assert!(stdout(&tested).contains("test result: ok. 7 passed; 0 failed"), "{}", text(&tested));
    let package = plugin_target_dir().join("ils-package").join("hello-counts");

    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("ils-data");
    let data_arg = data.to_str().unwrap();
    let wrong = ils(work.path(), &["plugin", "install", "no/such/dir", "--data-dir", data_arg]);
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong));

    let init = ils(work.path(), &["init", "--data-dir", data_arg]);
    assert!(init.status.success(), "{}", text(&init));
    let tenant = Command::new(env!("CARGO_BIN_EXE_ils"))
        .args(["tenant", "create", "--name", "Bright Eyes", "--slug", "bright-eyes", "--kind", "ecp"])
        .args(["--admin-email", "owner@bright-eyes.example", "--data-dir", data_arg])
        .env("ILS_ADMIN_PASSWORD", "correct horse battery staple")
        .env("ILS_LOG", "warn")
        .output()
        .unwrap();
    assert!(tenant.status.success(), "{}", text(&tenant));
    let root = Command::new(env!("CARGO_BIN_EXE_ils"))
        .args([
            "admin",
            "create",
            "--email",
            "root@platform.example",
            "--name",
            "Root",
            "--data-dir",
            data_arg,
        ])
        .env("ILS_ADMIN_PASSWORD", "correct horse battery staple")
        .env("ILS_LOG", "warn")
        .output()
        .unwrap();
    assert!(root.status.success(), "{}", text(&root));

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_ils"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir", data_arg])
            .env("ILS_LOG", "warn")
            .env("ILS_JOB_RETRY_BASE_MS", "100")
            .spawn()
            .unwrap(),
    );
    let origin = format!("http://127.0.0.1:{port}");
    let base = format!("{origin}/api/v1");
    ils_core::install_tls_provider();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        if client.get(format!("{origin}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "ils serve did not come up");
    let call = |method: reqwest::Method, path: &str, token: &str, body: Option<Value>| {
        let mut request = client.request(method, format!("{base}{path}")).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let sign_in = |email: &str, tenant: Option<&str>| {
        let mut body = json!({ "email": email, "password": "correct horse battery staple" });
        if let Some(tenant) = tenant {
            body["tenant"] = json!(tenant);
        }
        let request = client.post(format!("{base}/auth/login")).json(&body);
        async move {
            request.send().await.unwrap().json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
        }
    };
    let token = sign_in("owner@bright-eyes.example", Some("bright-eyes")).await;

    // Publish: the author makes a publisher and a key, and `ils plugin publish` signs and uploads.
    let (status, body) = call(
        reqwest::Method::POST,
        "/registry/publishers",
        &token,
        Some(json!({ "slug": "bright-dev", "name": "Bright Dev" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let key_file = home.join("publisher.pem");
    let keygen = ils(&home, &["plugin", "keygen", "--out", key_file.to_str().unwrap()]);
    assert!(keygen.status.success(), "{}", text(&keygen));
    let keygen_out = stdout(&keygen);
    let public_key = keygen_out
        .lines()
        .find_map(|l| l.strip_prefix("public key: "))
        .unwrap_or_else(|| panic!("keygen prints the public key: {keygen_out}"))
        .trim()
        .to_owned();
    let (status, body) = call(
        reqwest::Method::POST,
        "/registry/publishers/bright-dev/keys",
        &token,
        Some(json!({ "name": "laptop", "public_key": public_key })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let published = ils(
        &krate,
        &[
            "plugin",
            "publish",
            package.to_str().unwrap(),
            "--registry",
            &origin,
            "--token",
            &token,
            "--key",
            key_file.to_str().unwrap(),
        ],
    );
    assert!(published.status.success(), "{}", text(&published));
    assert!(stdout(&published).contains("published hello-counts 0.1.0"), "{}", text(&published));
    assert!(stdout(&published).contains("pending"), "{}", text(&published));
    let (status, body) = call(
        reqwest::Method::PUT,
        "/tenant/plugins/hello-counts",
        &token,
        Some(json!({ "version": "0.1.0", "consent": ["kv"] })),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("version_not_approved")), "{body}");

    // A platform admin (with TOTP, as platform admins must) approves it.
    let root = sign_in("root@platform.example", None).await;
    let (status, enrol) = call(reqwest::Method::POST, "/me/totp", &root, Some(json!({}))).await;
    assert_eq!(status, 200, "{enrol}");
    let totp = totp_rs::TOTP::from_url(enrol["otpauth_url"].as_str().unwrap()).unwrap();
    let code = totp.generate_current().unwrap();
    let (status, body) =
        call(reqwest::Method::POST, "/me/totp/confirm", &root, Some(json!({ "code": code }))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        reqwest::Method::POST,
        "/registry/plugins/hello-counts/versions/0.1.0/approve",
        &root,
        Some(json!({})),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("approved")), "{body}");

    let (status, body) = call(
        reqwest::Method::PUT,
        "/tenant/plugins/hello-counts",
        &token,
        Some(json!({ "version": "0.1.0", "consent": ["kv"] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(reqwest::Method::GET, "/plugins/hello-counts/counts", &token, None).await;
    assert_eq!((status, body), (200, json!({})));

    // An order's event reaches the plugin through the job queue.
    let (_, patient) = call(
        reqwest::Method::POST,
        "/patients",
        &token,
        Some(json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" })),
    )
    .await;
    let patient = patient["id"].as_str().unwrap().to_owned();
    let rx = json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
        "right": { "sphere": "+1.50" }, "left": { "sphere": "+1.25" }, "pd_right_mm": 32, "pd_left_mm": 31.5 });
    let (_, rx) =
        call(reqwest::Method::POST, &format!("/patients/{patient}/prescriptions"), &token, Some(rx)).await;
    let order = json!({ "patient_id": patient, "prescription_id": rx["id"],
        "lens": { "type": "single_vision", "material": "plastic", "index": 1.5, "coatings": [], "tint": null },
        "frame": { "description": "Round 48-20", "a_mm": 48, "b_mm": 42, "dbl_mm": 20 },
        "due_on": "2099-01-15", "priority": "normal", "price": { "amount_minor": 9900, "currency": "GBP" } });
    let (status, body) = call(reqwest::Method::POST, "/orders", &token, Some(order)).await;
    assert_eq!(status, 201, "{body}");
    let mut counts = Value::Null;
    for _ in 0..200 {
        counts = call(reqwest::Method::GET, "/plugins/hello-counts/counts", &token, None).await.1;
        if counts == json!({ "created": 1 }) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(counts, json!({ "created": 1 }));

    // The same plugin, called from the command line for the tenant, sees the same data.
    let invoked = ils(
        work.path(),
        &[
            "plugin",
            "invoke",
            "hello-counts",
            "--tenant",
            "bright-eyes",
            "--data-dir",
            data_arg,
            "http",
            "GET",
            "/counts",
        ],
    );
    assert!(invoked.status.success(), "{}", text(&invoked));
    assert_eq!(stdout(&invoked), "200\n{\"created\":1}\n");

    // An event from the command line runs on the tenant's real data: not without saying so, and
    // not at all without --yes when nobody is at a terminal to confirm (issue 15).
    let event = |yes: bool| {
        let mut args =
            vec!["plugin", "invoke", "hello-counts", "--tenant", "bright-eyes", "--data-dir", data_arg];
        args.extend(yes.then_some("--yes"));
        args.extend(["event", "order.created", "--payload", r#"{"order_id":"o-cli"}"#]);
        ils(work.path(), &args)
    };
    let refused = event(false);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(stderr(&refused).contains("bright-eyes's real data"), "{}", text(&refused));
    assert!(stderr(&refused).contains("pass --yes to go ahead"), "{}", text(&refused));
    let counts = call(reqwest::Method::GET, "/plugins/hello-counts/counts", &token, None).await.1;
    assert_eq!(counts, json!({ "created": 1 }), "nothing was delivered");
    let delivered = event(true);
    assert!(delivered.status.success(), "{}", text(&delivered));
    assert!(stderr(&delivered).contains("bright-eyes's real data"), "said so: {}", text(&delivered));
    let counts = call(reqwest::Method::GET, "/plugins/hello-counts/counts", &token, None).await.1;
    assert_eq!(counts, json!({ "created": 2 }), "the plugin wrote to the tenant's real data");

    let unknown = ils(
        work.path(),
        &[
            "plugin",
            "invoke",
            "nothing-here",
            "--tenant",
            "bright-eyes",
            "--data-dir",
            data_arg,
            "--yes",
            "job",
            "x",
        ],
    );
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    // A plugin nobody installed is "not installed", not "not enabled" (issue 15).
    assert!(stderr(&unknown).contains("No plugin called nothing-here is installed"), "{}", text(&unknown));
}

/// `ils COMMAND` in `dir`, without any data directory or database in the environment: what an
/// operator who forgot `--data-dir` runs.
fn ils_bare(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ils"))
        .args(args)
        .current_dir(dir)
        .env_remove("ILS_DATA_DIR")
        .env_remove("DATABASE_URL")
        .env_remove("ILS_SECRET_KEY")
        .env("ILS_ADMIN_PASSWORD", "correct horse battery staple")
        .env("ILS_LOG", "warn")
        .output()
        .expect("run ils")
}

#[test]
fn a_command_without_an_installation_refuses_and_creates_nothing_until_asked_to_initialise() {
    let work = tempfile::tempdir().unwrap();
    let package = work.path().join("package");
    std::fs::create_dir(&package).unwrap();
    let tenant = [
        "tenant",
        "create",
        "--name",
        "Acme",
        "--slug",
        "acme",
        "--kind",
        "ecp",
        "--admin-email",
        "a@acme.example",
    ];
    let commands: [&[&str]; 6] = [
        &["serve", "--listen", "127.0.0.1:0"],
        &["migrate"],
        &["admin", "create", "--email", "root@acme.example"],
        &tenant,
        &["plugin", "install", "package"],
        &["plugin", "invoke", "probe", "--tenant", "acme", "http", "GET", "/"],
    ];
    for args in commands {
        let out = ils_bare(work.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let said = stderr(&out);
        assert!(
            said.contains("no ILS installation in ./ils-data (the directory does not exist)"),
            "{args:?}: {said}"
        );
        assert!(said.contains("ils init --data-dir ./ils-data"), "{args:?}: {said}");
        assert!(!work.path().join("ils-data").exists(), "{args:?} created the data directory");
    }
    // A directory that exists but holds no database is no installation either.
    std::fs::create_dir(work.path().join("ils-data")).unwrap();
    let out = ils_bare(work.path(), &tenant);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("there is no database ./ils-data/ils.db"), "{}", text(&out));
    assert_eq!(std::fs::read_dir(work.path().join("ils-data")).unwrap().count(), 0, "nothing created");

    // Asked to, `init` makes one; then the same command works, and `init` again changes nothing.
    let init = ils_bare(work.path(), &["init"]);
    assert!(init.status.success(), "{}", text(&init));
    assert!(stderr(&init).contains("created a new installation in ./ils-data"), "{}", text(&init));
    assert!(
        work.path().join("ils-data/ils.db").is_file() && work.path().join("ils-data/secret.key").is_file()
    );
    let created = ils_bare(work.path(), &tenant);
    assert!(created.status.success(), "{}", text(&created));
    let again = ils_bare(work.path(), &["init"]);
    assert!(stderr(&again).contains("already holds an installation"), "{}", text(&again));
}

#[test]
fn serve_init_starts_a_new_installation_where_serve_alone_refuses() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let refused =
        ils_bare(work.path(), &["serve", "--listen", &listen, "--data-dir", data.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(!data.exists());
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_ils"))
            .args(["serve", "--init", "--listen", &listen, "--data-dir", data.to_str().unwrap()])
            .env_remove("DATABASE_URL")
            .env("ILS_LOG", "warn")
            .spawn()
            .unwrap(),
    );
    let ready = (0..300).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(&listen).is_ok()
    });
    assert!(ready, "ils serve --init did not come up");
    assert!(data.join("ils.db").is_file() && data.join("secret.key").is_file());
}
