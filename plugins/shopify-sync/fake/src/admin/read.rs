//! The read operations: `IlsVariants`, `IlsLocations`, `IlsInventoryLevels`.

use serde_json::{Value, json};

use super::{cursor, error};
use crate::ids::{InventoryItemId, LocationId, VariantId};
use crate::shop::Shop;
use crate::throttle;

/// Shopify's most nodes per page.
const MAX_PAGE: u64 = 250;

/// `first` and `after`, checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageArgs {
    pub(crate) first: u32,
    after: Option<u64>,
}

impl PageArgs {
    pub(crate) fn read(variables: &Value) -> Result<Self, Vec<Value>> {
        let first = variables
            .get("first")
            .and_then(Value::as_u64)
            .ok_or_else(|| vec![error("Variable $first of type Int! was provided invalid value")])?;
        if first > MAX_PAGE {
            return Err(vec![error(format!(
                "The first argument must be at most {MAX_PAGE}; {first} was given."
            ))]);
        }
        let after = match variables.get("after") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(
                cursor::decode(text).ok_or_else(|| vec![error("Invalid cursor for current pagination.")])?,
            ),
            Some(_) => return Err(vec![error("Variable $after of type String was provided invalid value")]),
        };
        Ok(Self { first: u32::try_from(first).unwrap_or(u32::MAX), after })
    }
}

/// The item and page of `IlsInventoryLevels`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LevelsArgs {
    item: InventoryItemId,
    pub(crate) page: PageArgs,
}

impl LevelsArgs {
    pub(crate) fn read(variables: &Value) -> Result<Self, Vec<Value>> {
        let id = variables.get("id").and_then(Value::as_str).unwrap_or_default();
        let item =
            InventoryItemId::from_gid(id).ok_or_else(|| vec![error(format!("Invalid global id '{id}'"))])?;
        Ok(Self { item, page: PageArgs::read(variables)? })
    }
}

fn connection(nodes: Vec<Value>, has_next: bool, last: Option<u64>) -> Value {
    json!({
        "pageInfo": { "hasNextPage": has_next, "endCursor": last.map(cursor::encode) },
        "nodes": nodes,
    })
}

pub(crate) fn variants(shop: &Shop, page: &PageArgs) -> (Value, f64) {
    let (ids, more) = cursor::page(shop.variants.keys().map(|v| v.0), page.first, page.after);
    let nodes: Vec<Value> = ids
        .iter()
        .filter_map(|id| {
            let variant = shop.variants.get(&VariantId(*id))?;
            Some(json!({
                "id": VariantId(*id).gid(),
                "sku": variant.sku,
                "product": { "id": variant.product.gid() },
                "inventoryItem": { "id": variant.item.gid() },
            }))
        })
        .collect();
    let actual = throttle::connection(u32::try_from(nodes.len()).unwrap_or(u32::MAX));
    (json!({ "productVariants": connection(nodes, more, ids.last().copied()) }), actual)
}

/// Active locations only: Shopify's `locations` leaves out deactivated ones unless asked
/// (`includeInactive: true`), which the plugin's query does not.
pub(crate) fn locations(shop: &Shop, page: &PageArgs) -> (Value, f64) {
    let active = shop.locations.iter().filter(|(_, l)| l.active).map(|(id, _)| id.0);
    let (ids, more) = cursor::page(active, page.first, page.after);
    let nodes: Vec<Value> = ids
        .iter()
        .filter_map(|id| {
            let location = shop.locations.get(&LocationId(*id))?;
            Some(json!({ "id": LocationId(*id).gid(), "name": location.name, "isActive": location.active }))
        })
        .collect();
    let actual = throttle::connection(u32::try_from(nodes.len()).unwrap_or(u32::MAX));
    (json!({ "locations": connection(nodes, more, ids.last().copied()) }), actual)
}

/// The item's levels at active locations (2026-04's default without `includeInactive`). An
/// untracked item's level has no `available` quantity.
pub(crate) fn levels(shop: &Shop, args: &LevelsArgs) -> (Value, f64) {
    if !shop.items.contains_key(&args.item) {
        return (json!({ "inventoryItem": null }), throttle::OBJECT);
    }
    let tracked = shop.tracked(args.item);
    let stocked = shop
        .levels
        .keys()
        .filter(|(item, location)| {
            *item == args.item && shop.locations.get(location).is_some_and(|l| l.active)
        })
        .map(|(_, location)| location.0);
    let (ids, more) = cursor::page(stocked, args.page.first, args.page.after);
    let nodes: Vec<Value> = ids
        .iter()
        .map(|id| {
            let location = LocationId(*id);
            let quantities: Vec<Value> = shop
                .levels
                .get(&(args.item, location))
                .filter(|_| tracked)
                .map(|available| json!({ "name": "available", "quantity": available }))
                .into_iter()
                .collect();
            json!({ "location": { "id": location.gid() }, "quantities": quantities })
        })
        .collect();
    let actual = throttle::OBJECT + throttle::connection(u32::try_from(nodes.len()).unwrap_or(u32::MAX));
    let data = json!({
        "inventoryItem": {
            "id": args.item.gid(),
            "inventoryLevels": connection(nodes, more, ids.last().copied()),
        }
    });
    (data, actual)
}
