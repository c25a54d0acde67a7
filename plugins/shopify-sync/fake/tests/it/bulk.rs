use ils_fake_shopify::{BulkSettings, NewVariant};
use ils_shopify_sync::graphql::bulk::parse_products;
use ils_shopify_sync::graphql::response::{self, BulkStartOutcome, BulkStatus, UserErrorCode};
use ils_shopify_sync::graphql::{self};

use crate::support::start_with;

#[tokio::test]
async fn a_bulk_export_runs_completes_and_its_jsonl_parses_with_the_core() {
    let h = start_with(|c| c.bulk = BulkSettings { polls_while_running: 2, concurrency: 1 }).await;
    let wayfarer = h.fake.add_product("Wayfarer", &[NewVariant::sku("RB-50"), NewVariant::sku("RB-52")]);
    h.fake.add_product("Cloth", &[NewVariant { sku: None, ..NewVariant::sku("x") }]);

    let BulkStartOutcome::Started { id } =
        response::bulk_start(&h.call(&graphql::bulk_products_start()).await).unwrap()
    else {
        panic!("not started")
    };
    // One at a time here: a second start is refused as Shopify refused it before 2026-01.
    let BulkStartOutcome::Rejected(errors) =
        response::bulk_start(&h.call(&graphql::bulk_products_start()).await).unwrap()
    else {
        panic!("a second operation started")
    };
    assert_eq!(errors[0].code, Some(UserErrorCode::Other("OPERATION_IN_PROGRESS".into())));
    assert!(errors[0].message.contains(&id));

    for _ in 0..2 {
        let op = response::bulk_status(&h.call(&graphql::bulk_status(&id)).await).unwrap();
        assert_eq!((op.status, op.url.as_deref()), (BulkStatus::Running, None));
    }
    let op = response::bulk_status(&h.call(&graphql::bulk_status(&id)).await).unwrap();
    assert_eq!(op.status, BulkStatus::Completed);
    assert_eq!(op.object_count, 5);
    let url = op.url.expect("a completed operation has its url");
    assert!(url.starts_with("https://lenses.myshopify.com/bulk/"), "{url}");

    let jsonl = h.fake.client().get(&url).send().await.unwrap().text().await.unwrap();
    let products = parse_products(&jsonl).expect("the core parses the export");
    assert_eq!(products.len(), 2);
    assert_eq!(products[0].id.0, wayfarer.id.0);
    assert_eq!(products[0].title.as_deref(), Some("Wayfarer"));
    let skus: Vec<_> = products[0].variants.iter().map(|v| v.sku.as_deref()).collect();
    assert_eq!(skus, [Some("RB-50"), Some("RB-52")]);
    assert_eq!(products[0].variants[1].inventory_item_id.0, wayfarer.variants[1].inventory_item.0);
    assert_eq!(products[1].variants[0].sku, None);

    // Once it is done, another may start.
    let again = response::bulk_start(&h.call(&graphql::bulk_products_start()).await).unwrap();
    assert!(matches!(again, BulkStartOutcome::Started { .. }));
}

#[tokio::test]
async fn from_2026_01_five_bulk_queries_may_run_at_once_and_an_unknown_id_is_not_found() {
    let h = start_with(|_| {}).await;
    for _ in 0..5 {
        let started = response::bulk_start(&h.call(&graphql::bulk_products_start()).await).unwrap();
        assert!(matches!(started, BulkStartOutcome::Started { .. }));
    }
    let BulkStartOutcome::Rejected(errors) =
        response::bulk_start(&h.call(&graphql::bulk_products_start()).await).unwrap()
    else {
        panic!("a sixth started")
    };
    assert_eq!(errors[0].code, Some(UserErrorCode::Other("LIMIT_REACHED".into())));
    let missing = h.call(&graphql::bulk_status("gid://shopify/BulkOperation/1")).await;
    assert!(matches!(response::bulk_status(&missing), Err(response::ResponseError::NotFound(_))));
}
