//! Matching Shopify variants to ILS items by SKU, reporting — never guessing — what cannot be
//! matched.
//!
//! Rules: SKUs compare as [`Sku`] does (trimmed, without regard to case, as ILS holds SKUs
//! unique). A SKU present exactly once on each side is a match. A SKU on one side only is
//! reported as missing on the other. A SKU held by two or more variants (or items) is reported
//! as duplicated and matched to nothing, even if the other side has it once. A blank SKU is
//! reported and matched to nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{IlsItemId, InventoryItemId, ProductId, Sku, VariantId};

/// A Shopify variant as matching sees it (from GraphQL pages, the bulk export or a webhook).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopifyVariant {
    /// The variant.
    pub id: VariantId,
    /// Its product.
    pub product_id: ProductId,
    /// Its SKU as Shopify holds it.
    pub sku: Option<String>,
    /// Its inventory item.
    pub inventory_item_id: InventoryItemId,
}

/// An ILS stock item as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IlsItem {
    /// The item.
    pub id: IlsItemId,
    /// Its SKU as ILS holds it.
    pub sku: Option<String>,
}

/// A variant and an item that share a SKU no one else has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuMatch {
    /// The shared SKU.
    pub sku: Sku,
    /// The ILS item.
    pub ils_item: IlsItemId,
    /// The Shopify variant.
    pub variant: VariantId,
    /// The variant's inventory item.
    pub inventory_item: InventoryItemId,
}

/// The outcome of matching; every list is sorted by SKU (then id), so reports are stable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchReport {
    /// Matched pairs.
    pub matched: Vec<SkuMatch>,
    /// SKUs only Shopify has.
    pub missing_in_ils: Vec<(Sku, VariantId)>,
    /// SKUs only ILS has.
    pub missing_in_shopify: Vec<(Sku, IlsItemId)>,
    /// SKUs two or more Shopify variants share.
    pub duplicated_in_shopify: Vec<(Sku, Vec<VariantId>)>,
    /// SKUs two or more ILS items share.
    pub duplicated_in_ils: Vec<(Sku, Vec<IlsItemId>)>,
    /// Shopify variants with no SKU.
    pub empty_sku_in_shopify: Vec<VariantId>,
    /// ILS items with no SKU.
    pub empty_sku_in_ils: Vec<IlsItemId>,
}

/// Matches `variants` to `items` by SKU.
pub fn match_by_sku(variants: &[ShopifyVariant], items: &[IlsItem]) -> MatchReport {
    let mut report = MatchReport::default();
    let mut shopify: BTreeMap<Sku, Vec<&ShopifyVariant>> = BTreeMap::new();
    for v in variants {
        match Sku::parse(v.sku.as_deref()) {
            Some(sku) => shopify.entry(sku).or_default().push(v),
            None => report.empty_sku_in_shopify.push(v.id),
        }
    }
    let mut ils: BTreeMap<Sku, Vec<&IlsItemId>> = BTreeMap::new();
    for item in items {
        match Sku::parse(item.sku.as_deref()) {
            Some(sku) => ils.entry(sku).or_default().push(&item.id),
            None => report.empty_sku_in_ils.push(item.id.clone()),
        }
    }
    for (sku, vs) in &shopify {
        if vs.len() > 1 {
            let mut ids: Vec<_> = vs.iter().map(|v| v.id).collect();
            ids.sort();
            report.duplicated_in_shopify.push((sku.clone(), ids));
        }
    }
    for (sku, is) in &ils {
        if is.len() > 1 {
            let mut ids: Vec<_> = is.iter().map(|i| (*i).clone()).collect();
            ids.sort();
            report.duplicated_in_ils.push((sku.clone(), ids));
        }
    }
    for (sku, vs) in &shopify {
        match (vs.as_slice(), ils.get(sku).map(Vec::as_slice)) {
            ([v], Some([item])) => report.matched.push(SkuMatch {
                sku: sku.clone(),
                ils_item: (*item).clone(),
                variant: v.id,
                inventory_item: v.inventory_item_id,
            }),
            ([v], None) => report.missing_in_ils.push((sku.clone(), v.id)),
            _ => {}
        }
    }
    for (sku, is) in &ils {
        if let ([item], None) = (is.as_slice(), shopify.get(sku)) {
            report.missing_in_shopify.push((sku.clone(), (*item).clone()));
        }
    }
    report.empty_sku_in_shopify.sort();
    report.empty_sku_in_ils.sort();
    report
}

/// The matches indexed for resolving order lines: by variant, and by SKU.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    by_variant: BTreeMap<VariantId, IlsItemId>,
    by_sku: BTreeMap<Sku, IlsItemId>,
}

impl Catalog {
    /// Indexes the matched pairs of a report.
    pub fn new(matches: &[SkuMatch]) -> Self {
        let mut catalog = Self::default();
        for m in matches {
            catalog.by_variant.insert(m.variant, m.ils_item.clone());
            catalog.by_sku.insert(m.sku.clone(), m.ils_item.clone());
        }
        catalog
    }

    /// The ILS item of a variant that was matched.
    pub fn by_variant(&self, variant: VariantId) -> Option<&IlsItemId> {
        self.by_variant.get(&variant)
    }

    /// The ILS item of a matched SKU.
    pub fn by_sku(&self, sku: &Sku) -> Option<&IlsItemId> {
        self.by_sku.get(sku)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(id: u64, sku: Option<&str>) -> ShopifyVariant {
        ShopifyVariant {
            id: VariantId(id),
            product_id: ProductId(1),
            sku: sku.map(str::to_owned),
            inventory_item_id: InventoryItemId(id + 1000),
        }
    }

    fn item(id: &str, sku: Option<&str>) -> IlsItem {
        IlsItem { id: IlsItemId(id.into()), sku: sku.map(str::to_owned) }
    }

    fn sku(s: &str) -> Sku {
        Sku::parse(Some(s)).unwrap()
    }

    #[test]
    fn a_sku_once_on_each_side_matches_even_with_stray_spaces() {
        let r = match_by_sku(&[variant(1, Some(" RB-2140 "))], &[item("i1", Some("RB-2140"))]);
        assert_eq!(
            r.matched,
            [SkuMatch {
                sku: sku("RB-2140"),
                ils_item: IlsItemId("i1".into()),
                variant: VariantId(1),
                inventory_item: InventoryItemId(1001)
            }]
        );
        assert_eq!(r, MatchReport { matched: r.matched.clone(), ..MatchReport::default() });
    }

    #[test]
    fn skus_on_one_side_only_are_reported_missing_on_the_other() {
        let r = match_by_sku(
            &[variant(1, Some("A")), variant(2, Some("B"))],
            &[item("i1", Some("B")), item("i3", Some("C"))],
        );
        assert_eq!(r.matched.len(), 1);
        assert_eq!(r.missing_in_ils, [(sku("A"), VariantId(1))]);
        assert_eq!(r.missing_in_shopify, [(sku("C"), IlsItemId("i3".into()))]);
    }

    #[test]
    fn a_sku_duplicated_in_shopify_matches_nothing_and_is_reported() {
        let r = match_by_sku(&[variant(2, Some("A")), variant(1, Some("A"))], &[item("i1", Some("A"))]);
        assert!(r.matched.is_empty(), "must not pick one of the two variants");
        assert_eq!(r.duplicated_in_shopify, [(sku("A"), vec![VariantId(1), VariantId(2)])]);
        assert!(r.missing_in_shopify.is_empty(), "Shopify has it (twice); it is not missing");
    }

    #[test]
    fn a_sku_duplicated_in_ils_matches_nothing_and_is_reported() {
        let r = match_by_sku(&[variant(1, Some("A"))], &[item("i2", Some("A")), item("i1", Some("A "))]);
        assert!(r.matched.is_empty());
        assert_eq!(r.duplicated_in_ils, [(sku("A"), vec![IlsItemId("i1".into()), IlsItemId("i2".into())])]);
        assert!(r.missing_in_ils.is_empty());
    }

    #[test]
    fn blank_skus_are_reported_and_never_match_each_other() {
        let r = match_by_sku(
            &[variant(1, None), variant(2, Some("  "))],
            &[item("i1", Some("")), item("i2", None)],
        );
        assert!(r.matched.is_empty());
        assert_eq!(r.empty_sku_in_shopify, [VariantId(1), VariantId(2)]);
        assert_eq!(r.empty_sku_in_ils, [IlsItemId("i1".into()), IlsItemId("i2".into())]);
    }

    #[test]
    fn skus_differing_only_in_case_are_one_sku() {
        let r = match_by_sku(&[variant(1, Some("ab-1"))], &[item("i1", Some("AB-1"))]);
        assert_eq!(r.matched.len(), 1, "{r:?}");
        assert_eq!(r.matched[0].ils_item, IlsItemId("i1".into()));
        assert!(r.missing_in_ils.is_empty() && r.missing_in_shopify.is_empty());
        // Two variants whose SKUs differ only in case are a duplicate, matched to nothing.
        let r =
            match_by_sku(&[variant(1, Some("ab-1")), variant(2, Some("AB-1"))], &[item("i1", Some("Ab-1"))]);
        assert!(r.matched.is_empty());
        assert_eq!(r.duplicated_in_shopify.len(), 1);
    }
}
