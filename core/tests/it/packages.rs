//! Where plugin packages live (ADR 020): in the database by default, read back by digest and
//! checked against it at load; in a directory when configured; and copied in from the registry
//! directory of an installation from before the database kept them.

use std::path::Path;
use std::sync::Arc;

use ils_core::plugins::packages::{DatabaseStore, PackageFiles, PackageStore as _};
use ils_core::plugins::{PackageStorage, Plugins, PluginsConfig};
use ils_registry::Digest;
use serde_json::json;

use crate::guests::{PROBE, component, enable_probe, install};
use crate::harness::{TestApp, db_test};

fn probe_files() -> PackageFiles {
    PackageFiles { manifest_text: PROBE.to_owned(), component: std::fs::read(component("probe")).unwrap() }
}

fn digest(hex: &str) -> Digest {
    Digest::try_from(format!("sha256:{hex}")).unwrap()
}

/// A second plugin runtime over the app's database (another node, or the same node restarted):
/// nothing loaded yet.
fn another_runtime(app: &TestApp, config: PluginsConfig, dir: &Path) -> Plugins {
    let sealer = ils_core::config::load_sealer(None, dir).unwrap();
    Plugins::new(
        app.db.clone(),
        sealer,
        Arc::new(ils_host_api::metrics::NoMetrics),
        config,
        app.state.plugin_services(),
    )
}

db_test!(
    async fn a_package_is_kept_in_the_database_and_read_back_by_its_digest(backend) {
        let app = TestApp::spawn(backend).await;
        let added = install(&app, "probe", PROBE, "free").await;
        let stored = app.state.plugins.packages().await.unwrap().get(&digest(&added.digest)).await.unwrap();
        assert_eq!(stored, Some(probe_files()), "the bytes installed are the bytes read");
        assert_eq!(DatabaseStore::new(app.db.clone()).get(&digest(&"0".repeat(64))).await.unwrap(), None);
        // Nothing was written to a package directory.
        assert!(!app.state.plugins.config().dir.exists());

        // The plugin runs from there.
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;
        app.get("/api/v1/plugins/probe/config", &a.admin.token).await.ok(200);
    }
);

db_test!(
    async fn a_package_whose_stored_bytes_were_changed_is_refused_at_load(backend) {
        let app = TestApp::spawn(backend).await;
        let added = install(&app, "probe", PROBE, "free").await;
        let tamper = match app.db_path() {
            Some(_) => "UPDATE plugin_packages SET component = x'0061736d0d000100'",
            None => "UPDATE plugin_packages SET component = '\\x0061736d0d000100'::bytea",
        };
        assert_eq!(app.owner_execute(tamper).await.unwrap(), 1);

        let refused = app.state.plugins.load("probe", "1.0.0", &added.digest).await.unwrap_err();
        let ils_core::Error::Plugin { code: "plugin_unloadable", message: why, .. } = &refused else {
            panic!("{refused:?}")
        };
        assert!(why.contains("digest") && why.contains("does not match"), "{why}");
        assert!(why.contains(&added.digest), "names the catalogue's digest: {why}");
        // So enabling it is refused, and nothing is enabled.
        let a = app.tenant("alpha").await;
        let body = json!({ "version": "1.0.0", "consent": crate::guests::PROBE_CONSENT });
        app.put("/api/v1/tenant/plugins/probe", &a.admin.token, body).await.problem(503, "plugin_unloadable");
        app.get("/api/v1/plugins/probe/config", &a.admin.token).await.problem(404, "plugin_not_enabled");
    }
);

db_test!(
    async fn a_version_is_stored_once_and_other_content_under_it_is_version_exists(backend) {
        let app = TestApp::spawn(backend).await;
        let plugins = &app.state.plugins;
        let probe = probe_files();
        let first = plugins.check_and_store(PROBE, &probe.component).await.unwrap();
        assert_eq!(first.size, (PROBE.len() + probe.component.len()) as u64);
        assert_eq!(first.manifest.id.as_str(), "probe");
        let again = plugins.check_and_store(PROBE, &probe.component).await.expect("the same bytes again");
        assert_eq!(again.record.digest, first.record.digest);

        let other = std::fs::read(component("order_notes")).unwrap();
        let refused = plugins.check_and_store(PROBE, &other).await.unwrap_err();
        assert!(matches!(refused, ils_core::Error::Conflict { code: "version_exists", .. }), "{refused:?}");

        // The store refuses it too, when two nodes race past the check.
        let files = PackageFiles { manifest_text: PROBE.to_owned(), component: other };
        let record = files.record(&first.manifest.id, &first.manifest.version);
        let store = DatabaseStore::new(app.db.clone());
        let refused = store.put(&record, &files).await.unwrap_err();
        assert!(matches!(refused, ils_core::Error::Conflict { code: "version_exists", .. }), "{refused:?}");
        store.put(&first.record, &probe).await.expect("the stored package again");
        assert_eq!(store.get(&first.record.digest).await.unwrap(), Some(probe));
        assert_eq!(store.get(&record.digest).await.unwrap(), None);

        // What the host refuses is not stored.
        let narrow = PROBE.replace("version = \"1.0.0\"", "version = \"1.0.1\"").replace(
            r#"capabilities = ["kv", "secrets", "events-publish", "clinical-read", "http-outbound", "orders-read", "orders-annotate", "inventory-read", "reports-read", "files-write", "notify-email"]"#,
            r#"capabilities = ["kv"]"#,
        );
        let narrow = narrow.replace("[outbound]\nhosts = [\"https://api.example.com\"]\n", "");
        let refused = plugins.check_and_store(&narrow, &files_of("probe")).await.unwrap_err();
        assert!(matches!(refused, ils_core::Error::Invalid { code: "invalid_package", .. }), "{refused:?}");
        let mut next = first.manifest.version.clone();
        next.patch = 1;
        assert_eq!(store.digest_of(&first.manifest.id, &next).await.unwrap(), None);
    }
);

fn files_of(name: &str) -> Vec<u8> {
    std::fs::read(component(name)).unwrap()
}

db_test!(
    async fn a_directory_can_keep_the_packages_instead(backend) {
        let packages = tempfile::tempdir().unwrap();
        let path = packages.path().to_path_buf();
        let app = TestApp::spawn_with(backend, |c| c.plugins.store = PackageStorage::Dir(path)).await;
        let added = install(&app, "probe", PROBE, "free").await;
        assert!(packages.path().join("packages/probe/1.0.0.json").is_file());
        assert_eq!(DatabaseStore::new(app.db.clone()).get(&digest(&added.digest)).await.unwrap(), None);
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;
        app.get("/api/v1/plugins/probe/config", &a.admin.token).await.ok(200);

        let refused = app.state.plugins.check_and_store(PROBE, &files_of("order_notes")).await.unwrap_err();
        assert!(matches!(refused, ils_core::Error::Conflict { code: "version_exists", .. }), "{refused:?}");

        // A changed component file is refused at load by another node.
        let record: serde_json::Value =
            serde_json::from_slice(&std::fs::read(packages.path().join("packages/probe/1.0.0.json")).unwrap()).unwrap();
        let blob = record["descriptor"]["component"].as_str().unwrap().trim_start_matches("sha256:").to_owned();
        std::fs::write(packages.path().join("blobs/sha256").join(blob), b"\0asm\x0d\0\x01\0changed").unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let node = another_runtime(&app, app.state.plugins.config().clone(), scratch.path());
        let refused = node.load("probe", "1.0.0", &added.digest).await.unwrap_err();
        let ils_core::Error::Plugin { code: "plugin_unloadable", message: why, .. } = &refused else {
            panic!("{refused:?}")
        };
        assert!(why.contains("does not match"), "{why}");
    }
);

db_test!(
    async fn packages_an_older_installation_kept_in_its_directory_are_copied_into_the_database(backend) {
        // Before migration 0012, packages lived in DATA_DIR/plugins: a node configured that way
        // plays the old installation.
        let old = tempfile::tempdir().unwrap();
        let dir = old.path().join("plugins");
        let legacy = dir.clone();
        let app = TestApp::spawn_with(backend, |c| {
            c.plugins.store = PackageStorage::Dir(legacy.clone());
            c.plugins.dir = legacy;
        })
        .await;
        let added = install(&app, "probe", PROBE, "free").await;
        let database = DatabaseStore::new(app.db.clone());
        assert_eq!(database.get(&digest(&added.digest)).await.unwrap(), None);

        // The upgraded node keeps its packages in the database and finds this one missing there.
        let config = PluginsConfig { store: PackageStorage::Database, dir, ..app.state.plugins.config().clone() };
        let upgraded = another_runtime(&app, config, old.path());
        let loaded = upgraded.load("probe", "1.0.0", &added.digest).await.expect("imported, then loaded");
        assert_eq!(loaded.manifest().id.as_str(), "probe");
        assert_eq!(database.get(&digest(&added.digest)).await.unwrap(), Some(probe_files()));

        // Without the directory, a package missing from the store says so.
        let config = PluginsConfig {
            store: PackageStorage::Database,
            dir: old.path().join("nowhere"),
            ..app.state.plugins.config().clone()
        };
        let elsewhere = another_runtime(&app, config, old.path());
        let refused = elsewhere.load("probe", "9.9.9", &"a".repeat(64)).await.unwrap_err();
        let ils_core::Error::Plugin { code: "plugin_unloadable", message: why, .. } = &refused else {
            panic!("{refused:?}")
        };
        assert!(why.contains("has no package"), "{why}");
    }
);
