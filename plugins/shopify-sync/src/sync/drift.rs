//! Where ILS and Shopify disagree about stock.
//!
//! Rules: for every matched item and every mapped location, ILS's quantity (absent: 0) is
//! compared with Shopify's `available` there. Equal: nothing. Different: a [`Drift`]. Shopify
//! not stocking the item at that location at all (no level) is its own finding, as is a level
//! Shopify reports without a quantity (untracked). Levels at unmapped locations are listed, not
//! compared. ILS is the source of truth: a drift's fix sets Shopify to ILS's quantity, with
//! `changeFromQuantity` = the `available` just read.

use std::collections::{BTreeMap, BTreeSet};

use crate::graphql::SetQuantity;
use crate::graphql::response::Level;
use crate::ids::{IlsItemId, IlsLocationId, InventoryItemId, LocationId, Sku};
use crate::sync::locations::LocationMap;
use crate::sync::matching::SkuMatch;

/// ILS and Shopify disagree for one item at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The item's SKU.
    pub sku: Sku,
    /// The ILS item.
    pub ils_item: IlsItemId,
    /// The ILS location.
    pub ils_location: IlsLocationId,
    /// The Shopify inventory item.
    pub inventory_item: InventoryItemId,
    /// The Shopify location.
    pub location: LocationId,
    /// ILS's quantity.
    pub ils_quantity: i64,
    /// Shopify's `available`.
    pub shopify_available: i64,
}

impl Drift {
    /// ILS minus Shopify: positive when Shopify shows fewer than ILS holds.
    pub fn difference(&self) -> i64 {
        self.ils_quantity.saturating_sub(self.shopify_available)
    }

    /// The compare-and-swap change that puts ILS's quantity in Shopify.
    pub fn fix(&self) -> SetQuantity {
        SetQuantity {
            inventory_item: self.inventory_item,
            location: self.location,
            quantity: self.ils_quantity,
            change_from: self.shopify_available,
        }
    }
}

/// Everything [`drift`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriftReport {
    /// Quantities that differ.
    pub drifts: Vec<Drift>,
    /// Matched items Shopify does not stock at a mapped location while ILS holds some there:
    /// `(sku, Shopify location, ILS quantity)`. Stocking it there is the merchant's decision.
    pub not_stocked_in_shopify: Vec<(Sku, LocationId, i64)>,
    /// Levels Shopify reports without an `available` quantity: `(sku, location)`.
    pub untracked_in_shopify: Vec<(Sku, LocationId)>,
    /// Shopify locations that hold levels of matched items but are not mapped.
    pub unmapped_locations: Vec<LocationId>,
}

/// Compares ILS quantities (`ils`, by item and location) with Shopify levels for the matched
/// items.
pub fn drift(
    matches: &[SkuMatch],
    locations: &LocationMap,
    ils: &BTreeMap<(IlsItemId, IlsLocationId), i64>,
    shopify: &[Level],
) -> DriftReport {
    let levels: BTreeMap<(InventoryItemId, LocationId), Option<i64>> =
        shopify.iter().map(|l| ((l.inventory_item, l.location), l.available)).collect();
    let mut report = DriftReport::default();
    let matched_items: BTreeSet<InventoryItemId> = matches.iter().map(|m| m.inventory_item).collect();
    let unmapped: BTreeSet<LocationId> = shopify
        .iter()
        .filter(|l| matched_items.contains(&l.inventory_item) && locations.ils(l.location).is_none())
        .map(|l| l.location)
        .collect();
    report.unmapped_locations = unmapped.into_iter().collect();

    for m in matches {
        for (location, ils_location) in locations.pairs() {
            let ils_quantity = ils.get(&(m.ils_item.clone(), ils_location.clone())).copied().unwrap_or(0);
            match levels.get(&(m.inventory_item, location)) {
                None if ils_quantity != 0 => {
                    report.not_stocked_in_shopify.push((m.sku.clone(), location, ils_quantity))
                }
                None => {}
                Some(None) => report.untracked_in_shopify.push((m.sku.clone(), location)),
                Some(Some(available)) if *available != ils_quantity => report.drifts.push(Drift {
                    sku: m.sku.clone(),
                    ils_item: m.ils_item.clone(),
                    ils_location: ils_location.clone(),
                    inventory_item: m.inventory_item,
                    location,
                    ils_quantity,
                    shopify_available: *available,
                }),
                Some(Some(_)) => {}
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(sku: &str, item: &str, inv: u64) -> SkuMatch {
        SkuMatch {
            sku: Sku::parse(Some(sku)).unwrap(),
            ils_item: IlsItemId(item.into()),
            variant: crate::ids::VariantId(inv + 1),
            inventory_item: InventoryItemId(inv),
        }
    }

    fn loc(s: &str) -> IlsLocationId {
        IlsLocationId(s.into())
    }

    fn level(inv: u64, location: u64, available: Option<i64>) -> Level {
        Level { inventory_item: InventoryItemId(inv), location: LocationId(location), available }
    }

    #[test]
    fn differing_quantities_are_drift_and_equal_ones_are_not() {
        let locations =
            LocationMap::new([(LocationId(10), loc("front")), (LocationId(20), loc("lab"))]).unwrap();
        let ils = BTreeMap::from([
            ((IlsItemId("frame".into()), loc("front")), 7),
            ((IlsItemId("frame".into()), loc("lab")), 3),
        ]);
        let shopify = [level(1, 10, Some(5)), level(1, 20, Some(3))];
        let r = drift(&[m("FR-1", "frame", 1)], &locations, &ils, &shopify);
        assert_eq!(r.drifts.len(), 1);
        let d = &r.drifts[0];
        assert_eq!(
            (d.location, d.ils_quantity, d.shopify_available, d.difference()),
            (LocationId(10), 7, 5, 2)
        );
        assert_eq!(
            d.fix(),
            SetQuantity {
                inventory_item: InventoryItemId(1),
                location: LocationId(10),
                quantity: 7,
                change_from: 5
            }
        );
        assert!(r.not_stocked_in_shopify.is_empty() && r.unmapped_locations.is_empty());
    }

    #[test]
    fn an_item_ils_lacks_at_a_location_counts_as_zero() {
        let locations = LocationMap::new([(LocationId(10), loc("front"))]).unwrap();
        let r = drift(&[m("FR-1", "frame", 1)], &locations, &BTreeMap::new(), &[level(1, 10, Some(4))]);
        assert_eq!(r.drifts[0].ils_quantity, 0);
        assert_eq!(r.drifts[0].difference(), -4);
    }

    #[test]
    fn missing_and_untracked_levels_and_unmapped_locations_are_reported_apart() {
        let locations =
            LocationMap::new([(LocationId(10), loc("front")), (LocationId(20), loc("lab"))]).unwrap();
        let ils = BTreeMap::from([((IlsItemId("frame".into()), loc("front")), 2)]);
        let shopify = [level(1, 20, None), level(1, 99, Some(8))];
        let r = drift(&[m("FR-1", "frame", 1)], &locations, &ils, &shopify);
        assert!(r.drifts.is_empty());
        assert_eq!(r.not_stocked_in_shopify, [(Sku::parse(Some("FR-1")).unwrap(), LocationId(10), 2)]);
        assert_eq!(r.untracked_in_shopify, [(Sku::parse(Some("FR-1")).unwrap(), LocationId(20))]);
        assert_eq!(r.unmapped_locations, [LocationId(99)]);
    }
}
