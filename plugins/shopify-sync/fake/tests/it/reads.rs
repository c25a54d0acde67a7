use ils_fake_shopify::NewVariant;
use ils_shopify_sync::graphql::{self, response};
use ils_shopify_sync::ids::{InventoryItemId, LocationId};

use crate::support::start;

#[tokio::test]
async fn variants_page_through_every_variant_with_the_cores_cursor() {
    let h = start().await;
    let wayfarer = h.fake.add_product("Wayfarer", &[NewVariant::sku("RB-50"), NewVariant::sku("RB-52")]);
    h.fake.add_product(
        "Aviator",
        &[NewVariant::sku("AV-58"), NewVariant { sku: None, ..NewVariant::sku("x") }],
    );
    h.fake.add_product("Cloth", &[NewVariant::sku("CLOTH-1").untracked()]);

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let r = h.call(&graphql::variants_page(2, after.as_deref())).await;
        let page = response::variants_page(&r).expect("a variants page");
        assert!(r.cost.is_some(), "every answer carries its cost");
        pages += 1;
        seen.extend(page.items);
        match page.next_cursor {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let skus: Vec<Option<&str>> = seen.iter().map(|v| v.sku.as_deref()).collect();
    assert_eq!(skus, [Some("RB-50"), Some("RB-52"), Some("AV-58"), None, Some("CLOTH-1")]);
    assert_eq!(seen[0].id.0, wayfarer.variants[0].id.0);
    assert_eq!(seen[0].product_id.0, wayfarer.id.0);
    assert_eq!(seen[0].inventory_item_id.0, wayfarer.variants[0].inventory_item.0);
}

#[tokio::test]
async fn locations_leave_out_deactivated_ones_as_shopify_does_by_default() {
    let h = start().await;
    let front = h.fake.add_location("Shop front");
    let old = h.fake.add_location("Old warehouse");
    h.fake.set_location_active(old, false).unwrap();
    let page = response::locations_page(&h.call(&graphql::locations_page(50, None)).await).unwrap();
    assert_eq!(page.next_cursor, None);
    assert_eq!(
        page.items,
        [response::Location { id: LocationId(front.0), name: "Shop front".into(), is_active: true }]
    );
}

#[tokio::test]
async fn levels_give_available_per_stocking_location_none_when_untracked_and_a_missing_item_is_not_found() {
    let h = start().await;
    let front = h.fake.add_location("Shop front");
    let back = h.fake.add_location("Back room");
    let closed = h.fake.add_location("Closed");
    let p = h.fake.add_product("Wayfarer", &[NewVariant::sku("RB-50"), NewVariant::sku("CLOTH").untracked()]);
    h.fake.set_available("RB-50", front, 9).unwrap();
    h.fake.set_available("RB-50", back, -1).unwrap();
    h.fake.set_available("RB-50", closed, 4).unwrap();
    h.fake.set_location_active(closed, false).unwrap();
    h.fake.set_available("CLOTH", front, 3).unwrap();

    let item = InventoryItemId(p.variants[0].inventory_item.0);
    let page = response::inventory_levels_page(&h.call(&graphql::inventory_levels_page(item, 1, None)).await)
        .unwrap();
    assert_eq!(
        page.items,
        [response::Level { inventory_item: item, location: LocationId(front.0), available: Some(9) }]
    );
    let next = page.next_cursor.expect("a second page");
    let page =
        response::inventory_levels_page(&h.call(&graphql::inventory_levels_page(item, 1, Some(&next))).await)
            .unwrap();
    assert_eq!(page.items[0].available, Some(-1));
    assert_eq!(page.next_cursor, None, "the inactive location's level is left out");

    let cloth = InventoryItemId(p.variants[1].inventory_item.0);
    let page =
        response::inventory_levels_page(&h.call(&graphql::inventory_levels_page(cloth, 10, None)).await)
            .unwrap();
    assert_eq!(page.items[0].available, None);

    let missing = h.call(&graphql::inventory_levels_page(InventoryItemId(1), 10, None)).await;
    assert!(matches!(response::inventory_levels_page(&missing), Err(response::ResponseError::NotFound(_))));
}

#[tokio::test]
async fn the_router_answers_in_process_too() {
    use tower::ServiceExt as _;
    let h = start().await;
    let request = axum::http::Request::post("/admin/api/2026-04/graphql.json")
        .header("X-Shopify-Access-Token", h.fake.access_token())
        .body(axum::body::Body::from(graphql::locations_page(5, None).to_json()))
        .unwrap();
    let answer = h.fake.router().oneshot(request).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["x-shopify-api-version"], "2026-04");
}
