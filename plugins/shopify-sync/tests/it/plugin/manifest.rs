use ils_registry::Manifest;
use ils_shopify_sync::plugin::{ADMIN_ROLE, QUEUE_EVENT, STEP_EVENT, STOCK_CHANGED, page};
use serde_json::json;

const MANIFEST: &str = include_str!("../../../ils-plugin.toml");

#[test]
fn the_manifest_passes_the_registrys_checks_and_subscribes_to_its_own_queue_and_steps() {
    let manifest = Manifest::from_toml(MANIFEST).unwrap();
    assert_eq!(manifest.id.to_string(), "shopify-sync");
    assert!(manifest.subscribes_to(QUEUE_EVENT) && manifest.subscribes_to(STOCK_CHANGED));
    assert!(manifest.subscribes_to(STEP_EVENT), "a run's steps come back only if named exactly");
    assert!(
        !manifest.subscribes_to("plugin.shopify_sync.privacy_shop_redact"),
        "its audit events are not work"
    );
    assert_eq!(manifest.schedules[0].name, "reconcile");
}

#[test]
fn the_console_page_is_for_all_staff_and_its_buttons_for_company_admins() {
    let manifest = Manifest::from_toml(MANIFEST).unwrap();
    let [page] = manifest.pages.as_slice() else { panic!("one page: {:?}", manifest.pages) };
    assert_eq!((page.title.as_str(), page.path.as_str()), ("Shopify", page::PATH));
    assert!(page.roles.is_empty(), "every member of staff sees the status");
    let actions: Vec<(&str, &str, &[String])> =
        page.actions.iter().map(|a| (a.label.as_str(), a.path.as_str(), a.roles.as_slice())).collect();
    let admins = [ADMIN_ROLE.to_owned()];
    assert_eq!(
        actions,
        vec![("Sync now", "/sync", &admins[..]), ("Reconcile now", "/reconcile", &admins[..])]
    );
}

#[test]
fn the_config_schema_takes_a_real_configuration_and_refuses_a_foreign_domain() {
    let manifest = Manifest::from_toml(MANIFEST).unwrap();
    let good = json!({
        "shop_domain": "lenses.myshopify.com",
        "locations": [{ "shopify_location_id": "24826418", "ils_location_id": "0190f5a8-7c1e-7000-8000-000000000001" }],
        "default_location_id": "0190f5a8-7c1e-7000-8000-000000000001",
    });
    manifest.validate_config(&good).unwrap();
    for bad in [
        json!({ "shop_domain": "evil.example.com" }),
        json!({ "shop_domain": "lenses.myshopify.com.evil.com" }),
        json!({ "locations": [] }),
        json!({ "shop_domain": "lenses.myshopify.com", "locations": [{ "shopify_location_id": "gid://x", "ils_location_id": "a" }] }),
    ] {
        assert!(manifest.validate_config(&bad).is_err(), "{bad}");
    }
}
