//! `inventorySetQuantities` as API version 2026-04 has it: every quantity carries
//! `changeFromQuantity` (compare-and-swap) and the mutation must carry `@idempotent(key:)`.
//!
//! All or nothing: if any quantity is invalid or stale, nothing is applied and every fault is a
//! `userError`. A key seen before with the same input returns the first answer without applying
//! again, whatever that answer was; with a different input it is refused
//! (`IDEMPOTENCY_KEY_PARAMETER_MISMATCH`).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{State, error};
use crate::ids::{AdjustmentGroupId, InventoryItemId, LocationId};

/// Reasons `inventorySetQuantities` accepts.
const REASONS: [&str; 17] = [
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_canceled",
    "movement_created",
    "movement_received",
    "movement_updated",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
];

const LIMIT: i64 = 1_000_000_000;

/// The first answer given under an idempotency key, and the input it answered.
#[derive(Debug, Clone)]
pub(crate) struct Remembered {
    input: Value,
    data: Value,
}

#[derive(Debug, Clone)]
struct Quantity {
    item: String,
    location: String,
    quantity: i64,
    change_from: i64,
}

/// A checked `inventorySetQuantities` request.
#[derive(Debug, Clone)]
pub(crate) struct SetQuantities {
    key: String,
    input: Value,
    name: String,
    reason: String,
    reference: Option<String>,
    quantities: Vec<Quantity>,
}

fn idempotency_key(query: &str) -> Option<String> {
    let at = query.find("@idempotent")?;
    let rest = &query[at..];
    let rest = &rest[rest.find("key")?..];
    let open = rest.find('"')?;
    let rest = &rest[open + 1..];
    let close = rest.find('"')?;
    let key = &rest[..close];
    (!key.is_empty()).then(|| key.to_owned())
}

fn invalid(path: &str, explanation: &str, input: &Value) -> Vec<Value> {
    vec![json!({
        "message": format!("Variable $input of type InventorySetQuantitiesInput! was provided invalid value for {path} ({explanation})"),
        "extensions": { "value": input, "problems": [{ "path": path.split('.').collect::<Vec<_>>(), "explanation": explanation }] },
    })]
}

impl SetQuantities {
    pub(crate) fn read(query: &str, variables: &Value) -> Result<Self, Vec<Value>> {
        let input = variables.get("input").cloned().unwrap_or(Value::Null);
        let text = |field: &str| input.get(field).and_then(Value::as_str).map(str::to_owned);
        let name = text("name").ok_or_else(|| invalid("name", "Expected value to not be null", &input))?;
        let reason =
            text("reason").ok_or_else(|| invalid("reason", "Expected value to not be null", &input))?;
        let list = input
            .get("quantities")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("quantities", "Expected value to not be null", &input))?;
        let mut quantities = Vec::new();
        for (i, q) in list.iter().enumerate() {
            let id = |field: &str| {
                q.get(field).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
                    invalid(&format!("quantities.{i}.{field}"), "Expected value to not be null", &input)
                })
            };
            let int = |field: &str| {
                q.get(field).and_then(Value::as_i64).ok_or_else(|| {
                    invalid(&format!("quantities.{i}.{field}"), "Expected value to not be null", &input)
                })
            };
            quantities.push(Quantity {
                item: id("inventoryItemId")?,
                location: id("locationId")?,
                quantity: int("quantity")?,
                change_from: int("changeFromQuantity")?,
            });
        }
        let key = idempotency_key(query).ok_or_else(|| {
            vec![error(
                "The @idempotent directive is required for inventorySetQuantities as of API version 2026-04.",
            )]
        })?;
        Ok(Self {
            key,
            input: input.clone(),
            name,
            reason,
            reference: text("referenceDocumentUri"),
            quantities,
        })
    }
}

fn user_error<S: AsRef<str>>(field: &[S], message: &str, code: &str) -> Value {
    let field: Vec<&str> = field.iter().map(AsRef::as_ref).collect();
    json!({ "field": field, "message": message, "code": code })
}

fn answer(group: Option<AdjustmentGroupId>, user_errors: Vec<Value>) -> Value {
    json!({ "inventorySetQuantities": {
        "inventoryAdjustmentGroup": group.map(|g| json!({ "id": g.gid() })),
        "userErrors": user_errors,
    }})
}

/// Every fault of the request against the shop now, and the levels it would set.
fn check(state: &State, set: &SetQuantities) -> (Vec<Value>, Vec<(InventoryItemId, LocationId, i64)>) {
    let shop = &state.shop;
    let mut errors = Vec::new();
    if set.name != "available" {
        errors.push(user_error(
            &["input", "name"],
            "The quantity name must be either 'available' or 'on_hand'; the fake models only 'available'.",
            "INVALID_NAME",
        ));
    }
    if !REASONS.contains(&set.reason.as_str()) {
        errors.push(user_error(&["input", "reason"], "The specified reason is invalid.", "INVALID_REASON"));
    }
    if set.reference.as_deref().is_some_and(|r| !r.contains("://")) {
        errors.push(user_error(
            &["input", "referenceDocumentUri"],
            "The specified reference document is invalid.",
            "INVALID_REFERENCE_DOCUMENT",
        ));
    }
    let mut seen = BTreeSet::new();
    let mut changes = Vec::new();
    for (i, q) in set.quantities.iter().enumerate() {
        let index = i.to_string();
        let path =
            |field: &str| ["input".to_owned(), "quantities".to_owned(), index.clone(), field.to_owned()];
        let item = InventoryItemId::from_gid(&q.item).filter(|id| shop.items.contains_key(id));
        let location = LocationId::from_gid(&q.location).filter(|id| shop.locations.contains_key(id));
        let (Some(item), Some(location)) = (item, location) else {
            if item.is_none() {
                errors.push(user_error(
                    &path("inventoryItemId"),
                    "The specified inventory item could not be found.",
                    "INVALID_INVENTORY_ITEM",
                ));
            }
            if location.is_none() {
                errors.push(user_error(
                    &path("locationId"),
                    "The specified location could not be found.",
                    "INVALID_LOCATION",
                ));
            }
            continue;
        };
        if !seen.insert((item, location)) {
            errors.push(user_error(
                &["input", "quantities", &index],
                "The combination of inventoryItemId and locationId must be unique.",
                "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
            ));
            continue;
        }
        let active = shop.locations.get(&location).is_some_and(|l| l.active);
        let Some(current) = shop.levels.get(&(item, location)).copied().filter(|_| active) else {
            errors.push(user_error(
                &path("locationId"),
                "The specified inventory item is not stocked at the location.",
                "ITEM_NOT_STOCKED_AT_LOCATION",
            ));
            continue;
        };
        if q.quantity > LIMIT {
            errors.push(user_error(
                &path("quantity"),
                "The total quantity can't be higher than 1,000,000,000.",
                "INVALID_QUANTITY_TOO_HIGH",
            ));
        } else if q.quantity < -LIMIT {
            errors.push(user_error(
                &path("quantity"),
                "The total quantity can't be lower than -1,000,000,000.",
                "INVALID_QUANTITY_TOO_LOW",
            ));
        }
        if q.change_from != current {
            errors.push(user_error(
                &path("changeFromQuantity"),
                "The specified compare quantity does not match the current quantity.",
                "CHANGE_FROM_QUANTITY_STALE",
            ));
        }
        changes.push((item, location, q.quantity));
    }
    (errors, changes)
}

/// Runs the mutation: its `data`.
pub(crate) fn run(state: &mut State, set: SetQuantities) -> Value {
    if let Some(first) = state.idempotency.get(&set.key) {
        if first.input == set.input {
            return first.data.clone();
        }
        return answer(
            None,
            vec![user_error(
                &["input"],
                "The same idempotency key cannot be used with different operation parameters.",
                "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
            )],
        );
    }
    let (errors, changes) = check(state, &set);
    let data = if errors.is_empty() {
        let mut changed = false;
        for (item, location, quantity) in changes {
            let level = state.shop.levels.entry((item, location)).or_insert(quantity);
            changed |= *level != quantity;
            *level = quantity;
        }
        // Shopify records no adjustment group when nothing moved.
        let group = changed.then(|| AdjustmentGroupId(state.shop.next_id()));
        answer(group, Vec::new())
    } else {
        answer(None, errors)
    };
    state.idempotency.insert(set.key, Remembered { input: set.input, data: data.clone() });
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_read_from_the_directive() {
        let q = "mutation M($input: X!) {\n  inventorySetQuantities(input: $input) @idempotent(key: \"ils-0af3\") {";
        assert_eq!(idempotency_key(q).as_deref(), Some("ils-0af3"));
        assert_eq!(idempotency_key("mutation M { inventorySetQuantities(input: $input) {"), None);
        assert_eq!(idempotency_key("@idempotent(key: \"\")"), None);
    }
}
