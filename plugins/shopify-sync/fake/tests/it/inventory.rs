use ils_fake_shopify::NewVariant;
use ils_shopify_sync::graphql::response::{self, SetQuantitiesOutcome, UserErrorCode};
use ils_shopify_sync::graphql::{self, SetQuantity};
use ils_shopify_sync::ids::{InventoryItemId, LocationId};
use serde_json::json;

use crate::support::{Harness, start};

struct Shop {
    h: Harness,
    front: ils_fake_shopify::ids::LocationId,
    frame: InventoryItemId,
    cloth: InventoryItemId,
}

async fn shop() -> Shop {
    let h = start().await;
    let front = h.fake.add_location("Shop front");
    let p = h.fake.add_product("Wayfarer", &[NewVariant::sku("RB-50"), NewVariant::sku("CLOTH")]);
    h.fake.set_available("RB-50", front, 9).unwrap();
    h.fake.set_available("CLOTH", front, 3).unwrap();
    let frame = InventoryItemId(p.variants[0].inventory_item.0);
    let cloth = InventoryItemId(p.variants[1].inventory_item.0);
    Shop { h, front, frame, cloth }
}

fn set(
    item: InventoryItemId,
    at: ils_fake_shopify::ids::LocationId,
    change_from: i64,
    quantity: i64,
) -> SetQuantity {
    SetQuantity { inventory_item: item, location: LocationId(at.0), quantity, change_from }
}

#[tokio::test]
async fn a_current_change_from_quantity_is_applied_with_an_adjustment_group() {
    let s = shop().await;
    let request = graphql::set_available_quantities(
        "run-1",
        "gid://ils/StockSync/run-1",
        &[set(s.frame, s.front, 9, 11)],
    );
    let outcome = response::set_quantities(&s.h.call(&request).await).unwrap();
    let SetQuantitiesOutcome::Applied { group_id: Some(group) } = outcome else { panic!("{outcome:?}") };
    assert!(group.starts_with("gid://shopify/InventoryAdjustmentGroup/"));
    assert_eq!(s.h.fake.available("RB-50", s.front).unwrap(), Some(11));
}

#[tokio::test]
async fn one_stale_quantity_applies_nothing_at_all() {
    let s = shop().await;
    // A sale raced the sync: CLOTH is now 2, not the 3 that was read.
    s.h.fake.sell("CLOTH", s.front, 1).unwrap();
    let request = graphql::set_available_quantities(
        "run-1",
        "gid://ils/StockSync/run-1",
        &[set(s.frame, s.front, 9, 11), set(s.cloth, s.front, 3, 5)],
    );
    let outcome = response::set_quantities(&s.h.call(&request).await).unwrap();
    assert!(outcome.is_stale());
    let SetQuantitiesOutcome::Rejected(errors) = outcome else { panic!() };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, ["input", "quantities", "1", "changeFromQuantity"]);
    assert_eq!(
        s.h.fake.available("RB-50", s.front).unwrap(),
        Some(9),
        "the fresh quantity was not applied either"
    );
    assert_eq!(s.h.fake.available("CLOTH", s.front).unwrap(), Some(2));
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_answer_and_applies_once() {
    let s = shop().await;
    let request = graphql::set_available_quantities(
        "run-1",
        "gid://ils/StockSync/run-1",
        &[set(s.frame, s.front, 9, 11)],
    );
    let first = s.h.call(&request).await;
    assert_eq!(s.h.fake.available("RB-50", s.front).unwrap(), Some(11));
    // A sale after the change; a retry of the same request must not set 11 over it.
    s.h.fake.sell("RB-50", s.front, 1).unwrap();
    let again = s.h.call(&request).await;
    assert_eq!(response::set_quantities(&again).unwrap(), response::set_quantities(&first).unwrap());
    assert_eq!(s.h.fake.available("RB-50", s.front).unwrap(), Some(10));

    // The same key with other parameters is refused.
    let mut other = request.clone();
    other.variables["input"]["quantities"][0]["quantity"] = json!(12);
    let SetQuantitiesOutcome::Rejected(errors) = response::set_quantities(&s.h.call(&other).await).unwrap()
    else {
        panic!()
    };
    assert_eq!(errors[0].code, Some(UserErrorCode::Other("IDEMPOTENCY_KEY_PARAMETER_MISMATCH".into())));
    assert_eq!(s.h.fake.available("RB-50", s.front).unwrap(), Some(10));
}

#[tokio::test]
async fn unknown_items_and_locations_are_named_and_a_missing_directive_is_an_error() {
    let s = shop().await;
    let nowhere = ils_fake_shopify::ids::LocationId(5);
    let request = graphql::set_available_quantities(
        "run-1",
        "gid://ils/StockSync/run-1",
        &[set(InventoryItemId(4), s.front, 0, 1), set(s.frame, nowhere, 9, 1)],
    );
    let SetQuantitiesOutcome::Rejected(errors) = response::set_quantities(&s.h.call(&request).await).unwrap()
    else {
        panic!()
    };
    let codes: Vec<_> = errors.iter().map(|e| e.code.clone()).collect();
    assert_eq!(codes, [Some(UserErrorCode::InvalidInventoryItem), Some(UserErrorCode::InvalidLocation)]);

    let mut bare = graphql::set_available_quantities(
        "run-2",
        "gid://ils/StockSync/run-2",
        &[set(s.frame, s.front, 9, 1)],
    );
    let start = bare.query.find(" @idempotent").unwrap();
    let end = start + bare.query[start..].find(')').unwrap() + 1;
    bare.query.replace_range(start..end, "");
    let r = s.h.call(&bare).await;
    assert!(response::set_quantities(&r).is_err());
    assert_eq!(s.h.fake.available("RB-50", s.front).unwrap(), Some(9));
}
