use super::*;

// The throttled answer's shape as shopify.dev's API rate-limit docs and the Shopify community
// thread "GraphQL Admin API example throttled requests response" show it: `data` absent,
// `errors[0].extensions.code = THROTTLED`, `actualQueryCost: null`.
const THROTTLED: &str = r#"{
  "errors": [{
    "message": "Throttled",
    "extensions": { "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits" }
  }],
  "extensions": { "cost": {
    "requestedQueryCost": 752, "actualQueryCost": null,
    "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 352, "restoreRate": 100.0 }
  } }
}"#;

#[test]
fn a_throttled_answer_is_recognised_with_its_bucket() {
    let r = parse(THROTTLED.as_bytes()).unwrap();
    assert!(r.is_throttled());
    assert_eq!(r.data, None);
    let cost = r.cost.unwrap();
    assert_eq!(cost.requested_query_cost, 752.0);
    assert_eq!(cost.actual_query_cost, None);
    assert_eq!(cost.throttle_status.currently_available, 352.0);
    let err = variants_page(&r).unwrap_err();
    assert!(err.is_throttled());
    assert_eq!(err.to_string(), "Shopify answered with errors: Throttled (THROTTLED)");
    // 752 − 352 = 400 points short at 100/s.
    let wait = cost.throttle_status.wait_before(cost.requested_query_cost, std::time::Duration::ZERO);
    assert_eq!(wait, Ok(std::time::Duration::from_secs(4)));
}

#[test]
fn access_denied_is_an_error_that_is_not_throttling() {
    let body = br#"{"data": null, "errors": [{"message": "Access denied for productVariants field.",
        "locations": [{"line": 2, "column": 3}], "path": ["productVariants"],
        "extensions": {"code": "ACCESS_DENIED", "requiredAccess": "`read_products` access scope."}}]}"#;
    let r = parse(body).unwrap();
    assert!(!r.is_throttled());
    assert_eq!(r.errors[0].code, Some(ErrorCode::AccessDenied));
    let err = variants_page(&r).unwrap_err();
    assert!(!err.is_throttled());
    assert!(err.to_string().contains("Access denied for productVariants field. (ACCESS_DENIED)"));
}

#[test]
fn a_bare_string_error_from_a_bad_token_is_read() {
    let r = parse(
        br#"{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}"#,
    )
    .unwrap();
    assert_eq!(r.errors.len(), 1);
    assert!(r.errors[0].message.starts_with("[API] Invalid API key"));
    assert!(matches!(locations_page(&r), Err(ResponseError::Errors { .. })));
}

#[test]
fn errors_beside_partial_data_still_fail() {
    let body = br#"{"data": {"locations": {"pageInfo": {"hasNextPage": false}, "nodes": []}},
                    "errors": [{"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}"#;
    assert!(matches!(locations_page(&parse(body).unwrap()), Err(ResponseError::Errors { .. })));
}

#[test]
fn junk_is_malformed_and_an_empty_object_has_no_data() {
    assert!(matches!(parse(b"<html>502</html>"), Err(ResponseError::Malformed(_))));
    assert!(matches!(parse(b"[1]"), Err(ResponseError::Malformed(_))));
    assert!(matches!(locations_page(&parse(b"{}").unwrap()), Err(ResponseError::NoData)));
}

#[test]
fn a_variants_page_gives_variants_and_the_next_cursor() {
    let body = br#"{"data": {"productVariants": {
        "pageInfo": {"hasNextPage": true, "endCursor": "eyJsYXN0X2lkIjo0NTc5fQ=="},
        "nodes": [
          {"id": "gid://shopify/ProductVariant/43729076", "sku": "RB-2140-50",
           "product": {"id": "gid://shopify/Product/108828309"},
           "inventoryItem": {"id": "gid://shopify/InventoryItem/43729076"}},
          {"id": "gid://shopify/ProductVariant/43729077", "sku": null,
           "product": {"id": "gid://shopify/Product/108828309"},
           "inventoryItem": {"id": "gid://shopify/InventoryItem/43729077"}}
        ]}},
      "extensions": {"cost": {"requestedQueryCost": 52, "actualQueryCost": 4,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1996, "restoreRate": 100.0}}}}"#;
    let r = parse(body).unwrap();
    let page = variants_page(&r).unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("eyJsYXN0X2lkIjo0NTc5fQ=="));
    assert_eq!(page.items[0].id, VariantId(43729076));
    assert_eq!(page.items[0].sku.as_deref(), Some("RB-2140-50"));
    assert_eq!(page.items[1].sku, None);
    assert_eq!(r.cost.unwrap().actual_query_cost, Some(4.0));
}

#[test]
fn the_last_page_has_no_cursor_even_if_shopify_sends_one() {
    let body = br#"{"data": {"locations": {"pageInfo": {"hasNextPage": false, "endCursor": "abc"},
        "nodes": [{"id": "gid://shopify/Location/124656943", "name": "Shop front", "isActive": true}]}}}"#;
    let page = locations_page(&parse(body).unwrap()).unwrap();
    assert_eq!(page.next_cursor, None);
    assert_eq!(
        page.items[0],
        Location { id: LocationId(124656943), name: "Shop front".into(), is_active: true }
    );
}

#[test]
fn inventory_levels_give_available_per_location_and_a_missing_item_is_not_found() {
    let body = br#"{"data": {"inventoryItem": {"id": "gid://shopify/InventoryItem/30322695",
        "inventoryLevels": {"pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": [
          {"location": {"id": "gid://shopify/Location/124656943"}, "quantities": [{"name": "available", "quantity": 9}]},
          {"location": {"id": "gid://shopify/Location/346779380"}, "quantities": []}
        ]}}}}"#;
    let page = inventory_levels_page(&parse(body).unwrap()).unwrap();
    assert_eq!(
        page.items,
        [
            Level {
                inventory_item: InventoryItemId(30322695),
                location: LocationId(124656943),
                available: Some(9)
            },
            Level {
                inventory_item: InventoryItemId(30322695),
                location: LocationId(346779380),
                available: None
            },
        ]
    );
    let missing = parse(br#"{"data": {"inventoryItem": null}}"#).unwrap();
    assert_eq!(
        inventory_levels_page(&missing).unwrap_err().to_string(),
        "Shopify has no inventory item with that id"
    );
}

#[test]
fn a_stale_change_from_quantity_is_reported_as_stale() {
    let body = br#"{"data": {"inventorySetQuantities": {"inventoryAdjustmentGroup": null, "userErrors": [
        {"field": ["input", "quantities", "0", "changeFromQuantity"],
         "message": "The specified compare quantity does not match the current quantity.",
         "code": "CHANGE_FROM_QUANTITY_STALE"}]}}}"#;
    let outcome = set_quantities(&parse(body).unwrap()).unwrap();
    assert!(outcome.is_stale());
    let SetQuantitiesOutcome::Rejected(errors) = outcome else { panic!() };
    assert_eq!(errors[0].field, ["input", "quantities", "0", "changeFromQuantity"]);
}

#[test]
fn an_applied_change_gives_its_adjustment_group_and_other_user_errors_are_not_stale() {
    let ok = br#"{"data": {"inventorySetQuantities": {"inventoryAdjustmentGroup": {"id": "gid://shopify/InventoryAdjustmentGroup/1"}, "userErrors": []}}}"#;
    assert_eq!(
        set_quantities(&parse(ok).unwrap()).unwrap(),
        SetQuantitiesOutcome::Applied { group_id: Some("gid://shopify/InventoryAdjustmentGroup/1".into()) }
    );
    let bad_location = br#"{"data": {"inventorySetQuantities": {"userErrors": [{"field": null, "message": "x", "code": "INVALID_LOCATION"}]}}}"#;
    let outcome = set_quantities(&parse(bad_location).unwrap()).unwrap();
    assert!(!outcome.is_stale());
    assert_eq!(
        outcome,
        SetQuantitiesOutcome::Rejected(vec![UserError {
            field: vec![],
            message: "x".into(),
            code: Some(UserErrorCode::InvalidLocation)
        }])
    );
}

#[test]
fn a_bulk_start_gives_the_id_or_the_refusal() {
    let started = br#"{"data": {"bulkOperationRunQuery": {"bulkOperation": {"id": "gid://shopify/BulkOperation/720918", "status": "CREATED"}, "userErrors": []}}}"#;
    assert_eq!(
        bulk_start(&parse(started).unwrap()).unwrap(),
        BulkStartOutcome::Started { id: "gid://shopify/BulkOperation/720918".into() }
    );
    let busy = br#"{"data": {"bulkOperationRunQuery": {"bulkOperation": null, "userErrors": [{"field": null, "message": "A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/1.", "code": "OPERATION_IN_PROGRESS"}]}}}"#;
    let BulkStartOutcome::Rejected(errors) = bulk_start(&parse(busy).unwrap()).unwrap() else { panic!() };
    assert_eq!(errors[0].code, Some(UserErrorCode::Other("OPERATION_IN_PROGRESS".into())));
}

#[test]
fn a_polled_bulk_operation_reads_its_string_count_and_url() {
    let body = br#"{"data": {"node": {"id": "gid://shopify/BulkOperation/720918", "status": "COMPLETED",
        "errorCode": null, "objectCount": "1024", "url": "https://storage.googleapis.com/x.jsonl", "partialDataUrl": null}}}"#;
    let op = bulk_status(&parse(body).unwrap()).unwrap();
    assert_eq!((op.status, op.object_count), (BulkStatus::Completed, 1024));
    assert_eq!(op.url.as_deref(), Some("https://storage.googleapis.com/x.jsonl"));
    let failed = br#"{"data": {"node": {"id": "x", "status": "FAILED", "errorCode": "ACCESS_DENIED", "objectCount": 0}}}"#;
    let op = bulk_status(&parse(failed).unwrap()).unwrap();
    assert_eq!((op.status, op.error_code.as_deref()), (BulkStatus::Failed, Some("ACCESS_DENIED")));
    assert!(matches!(
        bulk_status(&parse(br#"{"data": {"node": null}}"#).unwrap()),
        Err(ResponseError::NotFound(_))
    ));
}
