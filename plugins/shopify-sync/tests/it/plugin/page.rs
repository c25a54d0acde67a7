//! The console's status page (`GET /page`), rendered from the same document as `GET /status`.

use ils_fake_shopify::NewVariant;
use ils_plugin_sdk::testing::MockHost;
use ils_plugin_sdk::{Plugin, Request};
use ils_shopify_sync::plugin::ShopifySync;

use super::{FRONT, Shop, shop};

/// The page as a staff member with `roles` gets it: status and HTML.
fn page_as(s: &Shop, roles: &[&str]) -> (u16, String) {
    s.tick();
    s.mock.set_caller("staff-1", roles);
    let answer = ShopifySync::handle_http(Request {
        method: "GET".into(),
        path: "/page".into(),
        ..Request::default()
    });
    let html = String::from_utf8(answer.body).unwrap();
    let kind = answer.headers.iter().find(|(n, _)| n == "content-type").map(|(_, v)| v.clone());
    assert_eq!(kind.as_deref(), Some("text/html; charset=utf-8"));
    (answer.status, html)
}

fn page(s: &Shop) -> String {
    let (status, html) = page_as(s, &["dispenser"]);
    assert_eq!(status, 200, "{html}");
    html
}

/// The text of the element with `id="{id}"` (none of these nest in their own kind), tags
/// dropped and spaces collapsed.
fn text_of(html: &str, id: &str) -> String {
    let at = html.find(&format!(" id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let open = html[..at].rfind('<').unwrap();
    let tag = html[open + 1..at].split(' ').next().unwrap();
    let rest = &html[at..];
    let end = rest.find(&format!("</{tag}>")).unwrap_or_else(|| panic!("#{id} never closes"));
    let mut text = String::new();
    let mut in_tag = true; // the opening tag's remainder
    for c in rest[..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_page_shows_the_last_sync_with_its_unmatched_and_duplicated_skus_and_its_pushes() {
    let s = shop();
    s.item("RB-2140-50", 4, Some(9));
    s.item("OAK-9208", 3, Some(3));
    s.item("GIFT-25", 2, None);
    s.ils_item("ONLY-ILS", 5);
    s.fake.add_product("Twins", &[NewVariant::sku("DUP-1"), NewVariant::sku("DUP-1")]);
    s.ils_item("DUP-1", 6);
    let before = page(&s);
    assert!(before.contains("No full sync yet.") && before.contains("No match table yet"), "{before}");

    s.sync();
    let html = page(&s);
    assert!(html.starts_with("<!doctype html><html lang=\"en-GB\">"), "a whole document");
    assert!(
        !html.contains("<script") && !html.contains(" src=") && !html.contains("<link"),
        "self-contained"
    );
    assert_eq!(text_of(&html, "shop"), "lenses.myshopify.com");
    assert!(text_of(&html, "sync-outcome").contains("completed"), "{html}");
    assert_eq!(text_of(&html, "sync-matched"), "SKUs matched 2");
    assert_eq!(text_of(&html, "sync-pushed"), "Quantities set in Shopify to ILS's 1");
    assert_eq!(text_of(&html, "sync-missing-in-ils"), "Unmatched: in Shopify only 1 GIFT-25");
    assert_eq!(text_of(&html, "sync-missing-in-shopify"), "Unmatched: in ILS only 1 ONLY-ILS");
    assert_eq!(text_of(&html, "sync-duplicated-in-shopify"), "Duplicated in Shopify (not matched) 1 DUP-1");
    assert!(
        text_of(&html, "match-table").starts_with("2 SKUs matched to ILS items, of 5 Shopify variants"),
        "{html}"
    );
    assert_eq!(text_of(&html, "unmatched-in-shopify"), "In Shopify only: 1 ( GIFT-25 )");
    assert!(text_of(&html, "unmatched-duplicated-in-shopify").ends_with(": 1 ( DUP-1 )"), "{html}");
    let pushes = text_of(&html, "pushes");
    assert!(pushes.contains("full sync RB-2140-50 Front shop 4 9 set"), "{pushes}");
    assert_eq!(text_of(&html, "no-errors"), "None.");
}

#[test]
fn the_page_shows_drift_by_location_and_sku_after_a_reconciliation() {
    let s = shop();
    s.item("RB-2140-50", 9, Some(9));
    s.item("OAK-9208", 3, Some(3));
    s.sync();
    assert!(page(&s).contains("No reconciliation yet."));
    s.fake.set_available("OAK-9208", s.front, 11).unwrap();
    s.reconcile();

    let html = page(&s);
    let outcome = text_of(&html, "reconcile-outcome");
    assert!(
        outcome.contains("completed") && outcome.ends_with("2 matched items checked; 1 differed."),
        "{outcome}"
    );
    let drift = text_of(&html, "drift");
    assert!(drift.contains("Front shop OAK-9208 3 11 yes"), "{drift}");
    assert!(!drift.contains("RB-2140-50"), "only what differed");
    assert!(html.contains("<td>Front shop</td><td>") && html.contains("1 found, 1 fixed"), "{html}");
    let counters = text_of(&html, "counters");
    assert!(counters.contains("Quantities set in Shopify 1"), "{counters}");
}

#[test]
fn everything_shopify_or_an_error_says_is_escaped() {
    let s = shop();
    let hostile = "<img src=x onerror=alert(1)>";
    s.item(hostile, 1, None);
    s.item("RB-2140-50", 1, Some(1));
    s.sync();
    // An order for a SKU ILS does not have, whose line is reported.
    let sale = s.fake.sell(hostile, s.front, 1).unwrap();
    s.send("orders/create", &sale.orders_create);
    super::all_ok(s.work());

    let html = page(&s);
    assert!(!html.contains(hostile), "{html}");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
    assert!(html.contains("id=\"skipped\""), "the unmatched line is reported: {html}");
    assert_eq!(html.matches('<').count(), html.matches('>').count(), "no markup from values");
}

#[test]
fn any_staff_see_the_page_but_the_public_mount_does_not() {
    let mock = MockHost::install();
    let get = || Request { method: "GET".into(), path: "/page".into(), ..Request::default() };
    assert_eq!(ShopifySync::handle_http(get()).status, 401, "the public mount has no caller");
    for role in ["dispenser", "company_admin"] {
        mock.set_caller("staff-1", &[role]);
        let answer = ShopifySync::handle_http(get());
        assert_eq!(answer.status, 200, "{role}");
        let html = String::from_utf8(answer.body).unwrap();
        assert!(html.contains("The plugin is not configured"), "no shop yet: {html}");
    }
}

#[test]
fn a_configuration_error_is_shown_not_hidden() {
    let s = shop();
    s.mock.set_config(serde_json::json!({ "shop_domain": "lenses.myshopify.com", "locations": [
        { "shopify_location_id": "1", "ils_location_id": FRONT },
        { "shopify_location_id": "2", "ils_location_id": FRONT },
    ]}));
    let html = page(&s);
    assert!(html.contains("role=\"alert\"") && html.contains("The plugin is not configured"), "{html}");
}
