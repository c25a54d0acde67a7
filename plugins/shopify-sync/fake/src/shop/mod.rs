//! The shop's data: products, variants with SKUs and inventory items, locations, the `available`
//! quantity of each item at each location that stocks it, and orders.
//!
//! Ids come from one counter, so a variant id never equals an inventory item id: a client that
//! sends one where the other belongs is caught, as it would be by Shopify.

pub mod orders;

use std::collections::BTreeMap;

use crate::ids::{InventoryItemId, LocationId, OrderId, ProductId, VariantId};

/// A variant to add: its SKU, title and whether Shopify tracks its quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVariant {
    /// The SKU; `None` for a variant without one.
    pub sku: Option<String>,
    /// Its title, e.g. `50mm`.
    pub title: String,
    /// Whether Shopify tracks the quantity. Untracked items report no `available` (GraphQL leaves
    /// it out of `quantities`, webhooks send `null`) and sales do not change it.
    pub tracked: bool,
}

impl NewVariant {
    /// A tracked variant with this SKU, titled after it.
    pub fn sku(sku: &str) -> Self {
        Self { sku: Some(sku.to_owned()), title: sku.to_owned(), tracked: true }
    }

    /// The same variant, with its quantity untracked.
    pub fn untracked(self) -> Self {
        Self { tracked: false, ..self }
    }
}

/// A variant as added, with the ids Shopify gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedVariant {
    /// The variant.
    pub id: VariantId,
    /// Its product.
    pub product: ProductId,
    /// Its inventory item.
    pub inventory_item: InventoryItemId,
    /// Its SKU.
    pub sku: Option<String>,
}

/// A product as added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedProduct {
    /// The product.
    pub id: ProductId,
    /// Its variants, in the order given.
    pub variants: Vec<AddedVariant>,
}

/// Names an inventory item in a test control: by SKU (which must be on exactly one variant), by
/// variant, or by the item itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemRef<'a> {
    /// The item of the one variant with this SKU.
    Sku(&'a str),
    /// The item of this variant.
    Variant(VariantId),
    /// This item.
    InventoryItem(InventoryItemId),
}

impl<'a> From<&'a str> for ItemRef<'a> {
    fn from(sku: &'a str) -> Self {
        ItemRef::Sku(sku)
    }
}

impl From<VariantId> for ItemRef<'_> {
    fn from(id: VariantId) -> Self {
        ItemRef::Variant(id)
    }
}

impl From<InventoryItemId> for ItemRef<'_> {
    fn from(id: InventoryItemId) -> Self {
        ItemRef::InventoryItem(id)
    }
}

/// A test control named something the shop does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No variant has this SKU.
    #[error("no variant has SKU {0}")]
    UnknownSku(String),
    /// Several variants have this SKU; name the variant instead.
    #[error("several variants have SKU {0}")]
    AmbiguousSku(String),
    /// No such variant.
    #[error("no variant {0}")]
    UnknownVariant(VariantId),
    /// No such product.
    #[error("no product {0}")]
    UnknownProduct(ProductId),
    /// No such inventory item.
    #[error("no inventory item {0}")]
    UnknownItem(InventoryItemId),
    /// No such location.
    #[error("no location {0}")]
    UnknownLocation(LocationId),
    /// No such order.
    #[error("no order {0}")]
    UnknownOrder(OrderId),
    /// The order has no such line, or the refund asks for more than was sold and not refunded.
    #[error("order {order} cannot refund {quantity} of that line")]
    BadRefund {
        /// The order.
        order: OrderId,
        /// The quantity asked for.
        quantity: u32,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Product {
    pub(crate) title: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Variant {
    pub(crate) product: ProductId,
    pub(crate) sku: Option<String>,
    pub(crate) title: String,
    pub(crate) item: InventoryItemId,
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) variant: VariantId,
    pub(crate) tracked: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Location {
    pub(crate) name: String,
    pub(crate) active: bool,
}

/// One shop's data.
#[derive(Debug)]
pub(crate) struct Shop {
    pub(crate) domain: String,
    next_id: u64,
    pub(crate) products: BTreeMap<ProductId, Product>,
    pub(crate) variants: BTreeMap<VariantId, Variant>,
    pub(crate) items: BTreeMap<InventoryItemId, Item>,
    pub(crate) locations: BTreeMap<LocationId, Location>,
    /// `available` of each item at each location that stocks it.
    pub(crate) levels: BTreeMap<(InventoryItemId, LocationId), i64>,
    pub(crate) orders: BTreeMap<OrderId, orders::Order>,
    next_order_number: u64,
}

impl Shop {
    pub(crate) fn new(domain: &str) -> Self {
        Self {
            domain: domain.to_owned(),
            // Large, like Shopify's, and clear of the small numbers a test might make up.
            next_id: 7_300_000_001,
            products: BTreeMap::new(),
            variants: BTreeMap::new(),
            items: BTreeMap::new(),
            locations: BTreeMap::new(),
            levels: BTreeMap::new(),
            orders: BTreeMap::new(),
            next_order_number: 1001,
        }
    }

    pub(crate) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(crate) fn next_order_number(&mut self) -> u64 {
        let n = self.next_order_number;
        self.next_order_number += 1;
        n
    }

    pub(crate) fn add_location(&mut self, name: &str) -> LocationId {
        let id = LocationId(self.next_id());
        self.locations.insert(id, Location { name: name.to_owned(), active: true });
        id
    }

    pub(crate) fn set_location_active(&mut self, id: LocationId, active: bool) -> Result<(), ControlError> {
        let location = self.locations.get_mut(&id).ok_or(ControlError::UnknownLocation(id))?;
        location.active = active;
        Ok(())
    }

    pub(crate) fn add_product(&mut self, title: &str, variants: &[NewVariant]) -> AddedProduct {
        let id = ProductId(self.next_id());
        self.products.insert(id, Product { title: title.to_owned() });
        let variants = variants.iter().map(|v| self.insert_variant(id, v)).collect();
        AddedProduct { id, variants }
    }

    pub(crate) fn add_variant(
        &mut self,
        product: ProductId,
        variant: &NewVariant,
    ) -> Result<AddedVariant, ControlError> {
        if !self.products.contains_key(&product) {
            return Err(ControlError::UnknownProduct(product));
        }
        Ok(self.insert_variant(product, variant))
    }

    fn insert_variant(&mut self, product: ProductId, new: &NewVariant) -> AddedVariant {
        let id = VariantId(self.next_id());
        let item = InventoryItemId(self.next_id());
        self.variants.insert(id, Variant { product, sku: new.sku.clone(), title: new.title.clone(), item });
        self.items.insert(item, Item { variant: id, tracked: new.tracked });
        AddedVariant { id, product, inventory_item: item, sku: new.sku.clone() }
    }

    pub(crate) fn set_sku(&mut self, variant: VariantId, sku: Option<&str>) -> Result<(), ControlError> {
        let v = self.variants.get_mut(&variant).ok_or(ControlError::UnknownVariant(variant))?;
        v.sku = sku.map(str::to_owned);
        Ok(())
    }

    pub(crate) fn item(&self, item: ItemRef<'_>) -> Result<InventoryItemId, ControlError> {
        match item {
            ItemRef::InventoryItem(id) => {
                self.items.contains_key(&id).then_some(id).ok_or(ControlError::UnknownItem(id))
            }
            ItemRef::Variant(id) => {
                self.variants.get(&id).map(|v| v.item).ok_or(ControlError::UnknownVariant(id))
            }
            ItemRef::Sku(sku) => {
                let mut found = self.variants.values().filter(|v| v.sku.as_deref() == Some(sku));
                let first = found.next().ok_or_else(|| ControlError::UnknownSku(sku.to_owned()))?;
                if found.next().is_some() {
                    return Err(ControlError::AmbiguousSku(sku.to_owned()));
                }
                Ok(first.item)
            }
        }
    }

    pub(crate) fn variant_of(&self, item: InventoryItemId) -> Option<(VariantId, &Variant)> {
        let id = self.items.get(&item)?.variant;
        Some((id, self.variants.get(&id)?))
    }

    pub(crate) fn tracked(&self, item: InventoryItemId) -> bool {
        self.items.get(&item).is_some_and(|i| i.tracked)
    }

    /// Stocks the item at the location (if it was not) with this `available`.
    pub(crate) fn set_available(
        &mut self,
        item: ItemRef<'_>,
        location: LocationId,
        available: i64,
    ) -> Result<InventoryItemId, ControlError> {
        let item = self.item(item)?;
        if !self.locations.contains_key(&location) {
            return Err(ControlError::UnknownLocation(location));
        }
        self.levels.insert((item, location), available);
        Ok(item)
    }

    /// `available` as Shopify reports it: `None` where the item is not stocked or not tracked.
    pub(crate) fn available(
        &self,
        item: ItemRef<'_>,
        location: LocationId,
    ) -> Result<Option<i64>, ControlError> {
        let item = self.item(item)?;
        if !self.locations.contains_key(&location) {
            return Err(ControlError::UnknownLocation(location));
        }
        Ok(self.levels.get(&(item, location)).copied().filter(|_| self.tracked(item)))
    }

    /// Moves a tracked item's `available` by `delta` where it is stocked (stocking it if not, as a
    /// sale at a location does). Untracked items do not move.
    pub(crate) fn adjust(&mut self, item: InventoryItemId, location: LocationId, delta: i64) -> bool {
        if !self.tracked(item) {
            return false;
        }
        *self.levels.entry((item, location)).or_insert(0) += delta;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sku_names_one_variant_or_is_an_error() {
        let mut shop = Shop::new("lenses.myshopify.com");
        let front = shop.add_location("Shop front");
        let p = shop.add_product("Wayfarer", &[NewVariant::sku("RB-50"), NewVariant::sku("DUP")]);
        shop.add_product("Other", &[NewVariant::sku("DUP")]);
        assert_eq!(shop.item("RB-50".into()), Ok(p.variants[0].inventory_item));
        assert_eq!(shop.item("DUP".into()), Err(ControlError::AmbiguousSku("DUP".into())));
        assert_eq!(shop.item("NOPE".into()), Err(ControlError::UnknownSku("NOPE".into())));
        assert_eq!(shop.available("RB-50".into(), front), Ok(None));
        shop.set_available("RB-50".into(), front, 4).unwrap();
        assert_eq!(shop.available(p.variants[0].id.into(), front), Ok(Some(4)));
        assert_ne!(p.variants[0].id.0, p.variants[0].inventory_item.0);
    }
}
