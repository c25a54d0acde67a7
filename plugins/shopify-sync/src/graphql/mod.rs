//! The GraphQL Admin API at one pinned version: requests to send, and (in [`response`] and
//! [`bulk`]) what comes back.
//!
//! Requests are built as query text plus variables; the glue POSTs [`Request::to_json`] to
//! [`endpoint`] with the shop's access token in `X-Shopify-Access-Token`.

pub mod bulk;
pub mod response;

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::ids::{InventoryItemId, LocationId, ShopDomain};

/// The Admin API version every request is made against. 2026-04 is the version in which
/// `inventorySetQuantities` requires `changeFromQuantity` on each quantity (compare-and-swap,
/// with `compareQuantity`/`ignoreCompareQuantity` removed) and the `@idempotent` directive.
pub const API_VERSION: &str = "2026-04";

/// The URL of the shop's GraphQL Admin endpoint at [`API_VERSION`].
pub fn endpoint(shop: &ShopDomain) -> String {
    format!("https://{}/admin/api/{API_VERSION}/graphql.json", shop.as_str())
}

/// One GraphQL request: the body of the POST.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    /// The query or mutation text.
    pub query: String,
    /// Its variables.
    pub variables: Value,
}

impl Request {
    /// The request body as JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The most nodes one page may ask for (Shopify's connection limit).
pub const MAX_PAGE: u32 = 250;

fn page(first: u32) -> u32 {
    first.clamp(1, MAX_PAGE)
}

const VARIANTS_QUERY: &str = "query IlsVariants($first: Int!, $after: String) {
  productVariants(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id sku product { id } inventoryItem { id } }
  }
}";

/// One page of product variants with their SKU, product and inventory item. Start with
/// `after = None`, then pass the previous page's cursor.
pub fn variants_page(first: u32, after: Option<&str>) -> Request {
    Request { query: VARIANTS_QUERY.to_owned(), variables: json!({ "first": page(first), "after": after }) }
}

const LOCATIONS_QUERY: &str = "query IlsLocations($first: Int!, $after: String) {
  locations(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name isActive }
  }
}";

/// One page of the shop's locations.
pub fn locations_page(first: u32, after: Option<&str>) -> Request {
    Request { query: LOCATIONS_QUERY.to_owned(), variables: json!({ "first": page(first), "after": after }) }
}

const LEVELS_QUERY: &str = "query IlsInventoryLevels($id: ID!, $first: Int!, $after: String) {
  inventoryItem(id: $id) {
    id
    inventoryLevels(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { location { id } quantities(names: [\"available\"]) { name quantity } }
    }
  }
}";

/// One page of an inventory item's `available` quantity at each location that stocks it.
pub fn inventory_levels_page(item: InventoryItemId, first: u32, after: Option<&str>) -> Request {
    Request {
        query: LEVELS_QUERY.to_owned(),
        variables: json!({ "id": item.to_gid(), "first": page(first), "after": after }),
    }
}

/// One absolute quantity to set, with the quantity it is expected to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetQuantity {
    /// The item.
    pub inventory_item: InventoryItemId,
    /// At this location.
    pub location: LocationId,
    /// The new `available` quantity.
    pub quantity: i64,
    /// The `available` quantity last read from Shopify. Shopify refuses the change with
    /// `CHANGE_FROM_QUANTITY_STALE` if it has moved since, so a sale made meanwhile is never
    /// overwritten. There is deliberately no way to opt out.
    pub change_from: i64,
}

/// An `@idempotent` key: Shopify applies a mutation once per key, and a retry with the same
/// key returns the first result. Letters, digits and `-` only, so it sits in the query text
/// without escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A key derived from what the request does: the same parts give the same key, so a retried
    /// request (same sync run, same changes) is applied once and a new run gets a new key.
    pub fn derive(parts: &[&str]) -> Self {
        let mut hash = Sha256::new();
        for part in parts {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        let digest = hash.finalize();
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        Self(format!("ils-{hex}"))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `inventorySetQuantities` of the `available` quantities, reason `correction`, with
/// compare-and-swap on every quantity and an idempotency key derived from `sync_run` and the
/// changes. `reference` is the audit URI Shopify shows in the inventory history, e.g.
/// `gid://ils/StockSync/<run>`.
pub fn set_available_quantities(sync_run: &str, reference: &str, quantities: &[SetQuantity]) -> Request {
    let mut parts = vec![sync_run.to_owned()];
    parts.extend(
        quantities
            .iter()
            .map(|q| format!("{}@{}:{}->{}", q.inventory_item, q.location, q.change_from, q.quantity)),
    );
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let key = IdempotencyKey::derive(&parts);
    let query = format!(
        "mutation IlsSetQuantities($input: InventorySetQuantitiesInput!) {{
  inventorySetQuantities(input: $input) @idempotent(key: \"{}\") {{
    inventoryAdjustmentGroup {{ id }}
    userErrors {{ field message code }}
  }}
}}",
        key.as_str()
    );
    let quantities: Vec<Value> = quantities
        .iter()
        .map(|q| {
            json!({
                "inventoryItemId": q.inventory_item.to_gid(),
                "locationId": q.location.to_gid(),
                "quantity": q.quantity,
                "changeFromQuantity": q.change_from,
            })
        })
        .collect();
    Request {
        query,
        variables: json!({
            "input": {
                "name": "available",
                "reason": "correction",
                "referenceDocumentUri": reference,
                "quantities": quantities,
            }
        }),
    }
}

/// The bulk query that exports every product with its variants' SKU and inventory item; its
/// result is read by [`bulk::parse_products`].
pub const BULK_PRODUCTS_QUERY: &str = "{
  products {
    edges {
      node {
        id
        title
        variants {
          edges { node { id sku inventoryItem { id } } }
        }
      }
    }
  }
}";

const BULK_RUN_MUTATION: &str = "mutation IlsBulkRun($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}";

/// Starts the [`BULK_PRODUCTS_QUERY`] bulk export.
pub fn bulk_products_start() -> Request {
    Request { query: BULK_RUN_MUTATION.to_owned(), variables: json!({ "query": BULK_PRODUCTS_QUERY }) }
}

const BULK_STATUS_QUERY: &str = "query IlsBulkStatus($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount url partialDataUrl }
  }
}";

/// Polls one bulk operation by its id (a `gid://shopify/BulkOperation/...`). `node(id:)` is used
/// rather than `currentBulkOperation`, which 2026-04 deprecates.
pub fn bulk_status(operation_id: &str) -> Request {
    Request { query: BULK_STATUS_QUERY.to_owned(), variables: json!({ "id": operation_id }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_names_the_pinned_version() {
        let shop = ShopDomain::parse("lenses.myshopify.com").unwrap();
        assert_eq!(endpoint(&shop), "https://lenses.myshopify.com/admin/api/2026-04/graphql.json");
    }

    #[test]
    fn pages_are_clamped_to_shopifys_limit_and_carry_the_cursor() {
        let r = variants_page(1000, Some("eyJsYXN0X2lkIjo0fQ"));
        assert_eq!(r.variables, json!({ "first": 250, "after": "eyJsYXN0X2lkIjo0fQ" }));
        assert!(r.query.contains("sku") && r.query.contains("inventoryItem { id }"));
        assert_eq!(locations_page(0, None).variables, json!({ "first": 1, "after": null }));
        let levels = inventory_levels_page(InventoryItemId(30322695), 50, None);
        assert_eq!(levels.variables["id"], "gid://shopify/InventoryItem/30322695");
    }

    #[test]
    fn set_quantities_compares_every_quantity_and_is_idempotent_per_run() {
        let q = SetQuantity {
            inventory_item: InventoryItemId(30322695),
            location: LocationId(124656943),
            quantity: 11,
            change_from: 9,
        };
        let r = set_available_quantities("run-7", "gid://ils/StockSync/run-7", &[q]);
        assert_eq!(
            r.variables,
            json!({ "input": {
                "name": "available",
                "reason": "correction",
                "referenceDocumentUri": "gid://ils/StockSync/run-7",
                "quantities": [{
                    "inventoryItemId": "gid://shopify/InventoryItem/30322695",
                    "locationId": "gid://shopify/Location/124656943",
                    "quantity": 11,
                    "changeFromQuantity": 9,
                }],
            }})
        );
        assert!(!r.query.contains("ignoreCompareQuantity") && !r.query.contains("compareQuantity"));
        assert!(r.query.contains("userErrors { field message code }"));
        // A retry of the same run and changes carries the same key; another run, another key.
        let again = set_available_quantities("run-7", "gid://ils/StockSync/run-7", &[q]);
        assert_eq!(r.query, again.query);
        let next = set_available_quantities("run-8", "gid://ils/StockSync/run-8", &[q]);
        assert_ne!(r.query, next.query);
        let moved = SetQuantity { change_from: 10, ..q };
        assert_ne!(r.query, set_available_quantities("run-7", "x", &[moved]).query);
    }

    #[test]
    fn idempotency_keys_cannot_be_confused_by_moving_a_separator() {
        assert_ne!(IdempotencyKey::derive(&["ab", "c"]), IdempotencyKey::derive(&["a", "bc"]));
        let key = IdempotencyKey::derive(&["x"]);
        assert!(key.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    }

    #[test]
    fn the_bulk_export_starts_with_the_products_query_and_polls_by_node() {
        let start = bulk_products_start();
        assert!(start.query.contains("bulkOperationRunQuery(query: $query)"));
        assert_eq!(start.variables["query"], BULK_PRODUCTS_QUERY);
        let poll = bulk_status("gid://shopify/BulkOperation/720918");
        assert!(poll.query.contains("node(id: $id)") && poll.query.contains("... on BulkOperation"));
        assert_eq!(poll.variables, json!({ "id": "gid://shopify/BulkOperation/720918" }));
    }
}
