//! What a test may do to the shop behind the API's back: stock, sell, refund, revoke, throttle.

use crate::FakeShopify;
use crate::admin::bulk::BulkSettings;
use crate::ids::{InventoryItemId, LineItemId, LocationId, OrderId, ProductId, VariantId};
use crate::requests::{Outcome, RequestRecord};
use crate::server::lock;
use crate::shop::orders::{Channel, Refunded, Restock, Sale};
use crate::shop::{AddedProduct, AddedVariant, ControlError, ItemRef, NewVariant};
use crate::throttle::BucketSettings;

impl FakeShopify {
    /// Adds an active location.
    pub fn add_location(&self, name: &str) -> LocationId {
        lock(&self.state).shop.add_location(name)
    }

    /// Deactivates or reactivates a location. Shopify's `locations` and `inventoryLevels` leave
    /// inactive locations out, and no quantity can be set there.
    pub fn set_location_active(&self, location: LocationId, active: bool) -> Result<(), ControlError> {
        lock(&self.state).shop.set_location_active(location, active)
    }

    /// Adds a product with its variants (each with its own inventory item, stocked nowhere yet).
    pub fn add_product(&self, title: &str, variants: &[NewVariant]) -> AddedProduct {
        lock(&self.state).shop.add_product(title, variants)
    }

    /// Adds a variant to a product.
    pub fn add_variant(
        &self,
        product: ProductId,
        variant: &NewVariant,
    ) -> Result<AddedVariant, ControlError> {
        lock(&self.state).shop.add_variant(product, variant)
    }

    /// Changes (or removes) a variant's SKU.
    pub fn set_sku(&self, variant: VariantId, sku: Option<&str>) -> Result<(), ControlError> {
        lock(&self.state).shop.set_sku(variant, sku)
    }

    /// Sets `available` for an item at a location, stocking it there if it was not.
    pub fn set_available<'a>(
        &self,
        item: impl Into<ItemRef<'a>>,
        location: LocationId,
        available: i64,
    ) -> Result<InventoryItemId, ControlError> {
        lock(&self.state).shop.set_available(item.into(), location, available)
    }

    /// The inventory item of a SKU (on exactly one variant) or a variant.
    pub fn inventory_item<'a>(&self, item: impl Into<ItemRef<'a>>) -> Result<InventoryItemId, ControlError> {
        lock(&self.state).shop.item(item.into())
    }

    /// `available` as Shopify reports it: `None` where the item is not stocked or not tracked.
    pub fn available<'a>(
        &self,
        item: impl Into<ItemRef<'a>>,
        location: LocationId,
    ) -> Result<Option<i64>, ControlError> {
        lock(&self.state).shop.available(item.into(), location)
    }

    /// A point-of-sale sale of `quantity` at `location`: `available` drops there (tracked items)
    /// and the order's `orders/create` body is returned (its `location_id` is the location).
    pub fn sell<'a>(
        &self,
        item: impl Into<ItemRef<'a>>,
        location: LocationId,
        quantity: u32,
    ) -> Result<Sale, ControlError> {
        lock(&self.state).shop.sell(item.into(), location, quantity, Channel::PointOfSale)
    }

    /// An online sale: as [`Self::sell`], but the order's `location_id` is `null`, as Shopify's
    /// online orders are; the stock still leaves `location`.
    pub fn sell_online<'a>(
        &self,
        item: impl Into<ItemRef<'a>>,
        location: LocationId,
        quantity: u32,
    ) -> Result<Sale, ControlError> {
        lock(&self.state).shop.sell(item.into(), location, quantity, Channel::Online)
    }

    /// Refunds `quantity` of an order line, restocking as `restock` says.
    pub fn refund(
        &self,
        order: OrderId,
        line: LineItemId,
        quantity: u32,
        restock: Restock,
    ) -> Result<Refunded, ControlError> {
        lock(&self.state).shop.refund(order, line, quantity, restock)
    }

    /// An order as `orders/create` or `orders/updated` sends it now (with its refunds so far).
    pub fn order_payload(&self, order: OrderId) -> Result<Vec<u8>, ControlError> {
        let value = lock(&self.state).shop.order_json(order)?;
        Ok(serde_json::to_vec(&value).unwrap_or_default())
    }

    /// `products/update` for a product, as it stands now.
    pub fn product_payload(&self, product: ProductId) -> Result<Vec<u8>, ControlError> {
        let value = lock(&self.state).shop.product_json(product)?;
        Ok(serde_json::to_vec(&value).unwrap_or_default())
    }

    /// `inventory_levels/update` for an item at a location, as it stands now.
    pub fn inventory_level_payload<'a>(
        &self,
        item: impl Into<ItemRef<'a>>,
        location: LocationId,
    ) -> Result<Vec<u8>, ControlError> {
        let state = lock(&self.state);
        let item = state.shop.item(item.into())?;
        if !state.shop.locations.contains_key(&location) {
            return Err(ControlError::UnknownLocation(location));
        }
        Ok(serde_json::to_vec(&state.shop.inventory_level_json(item, location)).unwrap_or_default())
    }

    /// Revokes the access token: every later call is answered 401.
    pub fn revoke_token(&self) {
        lock(&self.state).token.revoke();
    }

    /// Accepts the token for `calls` more GraphQL calls, then revokes it (a merchant uninstalling
    /// the app mid-sync).
    pub fn revoke_token_after(&self, calls: u64) {
        lock(&self.state).token.revoke_after(calls);
    }

    /// The bucket's settings.
    pub fn bucket(&self) -> BucketSettings {
        lock(&self.state).bucket.settings()
    }

    /// Changes the bucket's size, rate or single-query limit; the points in it are kept, up to the
    /// new size.
    pub fn set_bucket(&self, settings: BucketSettings) {
        let mut state = lock(&self.state);
        let now = state.clock.now();
        state.bucket.set_settings(settings, now);
    }

    /// Empties the bucket, as other traffic from the same app would.
    pub fn drain_bucket(&self) {
        let mut state = lock(&self.state);
        let now = state.clock.now();
        state.bucket.drain(now);
    }

    /// Points in the bucket now.
    pub fn bucket_available(&self) -> f64 {
        let mut state = lock(&self.state);
        let now = state.clock.now();
        state.bucket.available(now)
    }

    /// Changes how bulk operations behave (for operations started later and polls to come).
    pub fn set_bulk(&self, settings: BulkSettings) {
        lock(&self.state).bulk.settings = settings;
    }

    /// Every GraphQL call so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.state).log.clone()
    }

    /// How many calls were answered THROTTLED.
    pub fn throttled_count(&self) -> usize {
        lock(&self.state).log.iter().filter(|r| r.outcome == Outcome::Throttled).count()
    }
}
