//! The JSONL result of the bulk products export ([`super::BULK_PRODUCTS_QUERY`]).
//!
//! A bulk result flattens the nested connections: one JSON object per line, products and
//! variants alike, each variant naming its product in `__parentId`. Lines are read in any order
//! (a variant may come before its product); blank lines are skipped. A variant whose product is
//! not in the file, an object of another kind, or a product twice is an error naming the line.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::ids::{InventoryItemId, ProductId, VariantId, split_gid};
use crate::sync::matching::ShopifyVariant;

/// A product with its variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkProduct {
    /// The product.
    pub id: ProductId,
    /// Its title.
    pub title: Option<String>,
    /// Its variants, in file order.
    pub variants: Vec<BulkVariant>,
}

/// A variant in the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkVariant {
    /// The variant.
    pub id: VariantId,
    /// Its SKU.
    pub sku: Option<String>,
    /// Its inventory item.
    pub inventory_item_id: InventoryItemId,
}

/// A line that is not part of a products export.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// Not a JSON object of the expected fields.
    #[error("line {line} of the bulk result is not valid: {source}")]
    Json {
        /// 1-based line number.
        line: usize,
        /// What serde_json found.
        #[source]
        source: serde_json::Error,
    },
    /// An object that is neither a `Product` nor a `ProductVariant`.
    #[error("line {line} of the bulk result is a {kind}, not a product or variant")]
    UnexpectedKind {
        /// 1-based line number.
        line: usize,
        /// The kind in its gid.
        kind: String,
    },
    /// A variant without `__parentId`, or whose parent is not in the file.
    #[error("line {line} of the bulk result is a variant of a product not in the file")]
    Orphan {
        /// 1-based line number.
        line: usize,
    },
    /// The same product twice.
    #[error("line {line} of the bulk result repeats product {id}")]
    DuplicateProduct {
        /// 1-based line number.
        line: usize,
        /// The product.
        id: ProductId,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireLine {
    id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    inventory_item: Option<WireId>,
    #[serde(default, rename = "__parentId")]
    parent_id: Option<String>,
}

#[derive(Deserialize)]
struct WireId {
    id: InventoryItemId,
}

/// Parses the export into products, in file order.
pub fn parse_products(jsonl: &str) -> Result<Vec<BulkProduct>, BulkError> {
    let mut products: Vec<BulkProduct> = Vec::new();
    let mut index: BTreeMap<ProductId, usize> = BTreeMap::new();
    let mut variants: Vec<(usize, ProductId, BulkVariant)> = Vec::new();
    for (n, text) in jsonl.lines().enumerate() {
        let line = n + 1;
        if text.trim().is_empty() {
            continue;
        }
        let wire: WireLine = serde_json::from_str(text).map_err(|source| BulkError::Json { line, source })?;
        let kind = split_gid(&wire.id).map(|(kind, _)| kind.to_owned()).unwrap_or_default();
        let bad = |e: crate::ids::IdError| BulkError::Json { line, source: serde::de::Error::custom(e) };
        match kind.as_str() {
            "Product" => {
                let id = ProductId::parse(&wire.id).map_err(bad)?;
                if index.insert(id, products.len()).is_some() {
                    return Err(BulkError::DuplicateProduct { line, id });
                }
                products.push(BulkProduct { id, title: wire.title, variants: Vec::new() });
            }
            "ProductVariant" => {
                let id = VariantId::parse(&wire.id).map_err(bad)?;
                let parent = wire.parent_id.as_deref().ok_or(BulkError::Orphan { line })?;
                let parent = ProductId::parse(parent).map_err(|_| BulkError::Orphan { line })?;
                let inventory_item_id = wire.inventory_item.map(|i| i.id).ok_or_else(|| BulkError::Json {
                    line,
                    source: serde::de::Error::missing_field("inventoryItem"),
                })?;
                variants.push((line, parent, BulkVariant { id, sku: wire.sku, inventory_item_id }));
            }
            _ => {
                return Err(BulkError::UnexpectedKind {
                    line,
                    kind: if kind.is_empty() { wire.id } else { kind },
                });
            }
        }
    }
    for (line, parent, variant) in variants {
        let at = *index.get(&parent).ok_or(BulkError::Orphan { line })?;
        products[at].variants.push(variant);
    }
    Ok(products)
}

/// Writes products back as an export would (each product, then its variants): for fixtures and
/// the round-trip property.
pub fn to_jsonl(products: &[BulkProduct]) -> String {
    let mut out = String::new();
    for p in products {
        out.push_str(&json!({ "id": p.id.to_gid(), "title": p.title }).to_string());
        out.push('\n');
        for v in &p.variants {
            let line = json!({
                "id": v.id.to_gid(),
                "sku": v.sku,
                "inventoryItem": { "id": v.inventory_item_id.to_gid() },
                "__parentId": p.id.to_gid(),
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
    }
    out
}

/// Every variant of the export, for matching.
pub fn variants(products: &[BulkProduct]) -> Vec<ShopifyVariant> {
    products
        .iter()
        .flat_map(|p| {
            p.variants.iter().map(|v| ShopifyVariant {
                id: v.id,
                product_id: p.id,
                sku: v.sku.clone(),
                inventory_item_id: v.inventory_item_id,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORT: &str = r#"{"id":"gid://shopify/Product/1921569226808","title":"Aviator frame"}
{"id":"gid://shopify/ProductVariant/19435458986040","sku":"AV-58-GLD","inventoryItem":{"id":"gid://shopify/InventoryItem/20185970704440"},"__parentId":"gid://shopify/Product/1921569226808"}
{"id":"gid://shopify/ProductVariant/19435458986041","sku":"AV-58-SLV","inventoryItem":{"id":"gid://shopify/InventoryItem/20185970704441"},"__parentId":"gid://shopify/Product/1921569226808"}

{"id":"gid://shopify/Product/1921569259576","title":"Lens cloth"}
{"id":"gid://shopify/ProductVariant/19435459018808","sku":null,"inventoryItem":{"id":"gid://shopify/InventoryItem/20185970737208"},"__parentId":"gid://shopify/Product/1921569259576"}
"#;

    #[test]
    fn variants_land_under_their_products() {
        let products = parse_products(EXPORT).unwrap();
        assert_eq!(products.len(), 2);
        assert_eq!(products[0].title.as_deref(), Some("Aviator frame"));
        let skus: Vec<_> = products[0].variants.iter().map(|v| v.sku.as_deref()).collect();
        assert_eq!(skus, [Some("AV-58-GLD"), Some("AV-58-SLV")]);
        assert_eq!(products[1].variants[0].inventory_item_id, InventoryItemId(20185970737208));
        assert_eq!(variants(&products).len(), 3);
    }

    #[test]
    fn a_variant_before_its_product_still_lands_under_it() {
        let mut lines: Vec<&str> = EXPORT.lines().collect();
        lines.swap(0, 2);
        let products = parse_products(&lines.join("\n")).unwrap();
        assert_eq!(
            products,
            parse_products(EXPORT)
                .unwrap()
                .into_iter()
                .map(|mut p| {
                    if p.id == ProductId(1921569226808) {
                        p.variants.reverse();
                    }
                    p
                })
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_export_round_trips() {
        let products = parse_products(EXPORT).unwrap();
        assert_eq!(parse_products(&to_jsonl(&products)).unwrap(), products);
    }

    #[test]
    fn orphans_strangers_duplicates_and_junk_are_errors_with_line_numbers() {
        let orphan = r#"{"id":"gid://shopify/ProductVariant/1","sku":"A","inventoryItem":{"id":"gid://shopify/InventoryItem/2"},"__parentId":"gid://shopify/Product/9"}"#;
        assert_eq!(
            parse_products(orphan).unwrap_err().to_string(),
            "line 1 of the bulk result is a variant of a product not in the file"
        );
        let stranger = "\n{\"id\":\"gid://shopify/Collection/1\"}";
        assert_eq!(
            parse_products(stranger).unwrap_err().to_string(),
            "line 2 of the bulk result is a Collection, not a product or variant"
        );
        let twice = "{\"id\":\"gid://shopify/Product/1\"}\n{\"id\":\"gid://shopify/Product/1\"}";
        assert!(matches!(parse_products(twice), Err(BulkError::DuplicateProduct { line: 2, .. })));
        assert!(matches!(parse_products("{not json"), Err(BulkError::Json { line: 1, .. })));
        let no_item = r#"{"id":"gid://shopify/ProductVariant/1","__parentId":"gid://shopify/Product/9"}"#;
        assert!(parse_products(no_item).unwrap_err().to_string().contains("inventoryItem"));
    }
}
