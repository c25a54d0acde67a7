//! The fake's own ids, one newtype per Shopify resource, with their GraphQL global id form.
//!
//! The fake does not borrow the plugin core's id types: it is the other side of the wire, and a
//! shape both sides got wrong the same way would pass unnoticed.

use std::fmt;

macro_rules! fake_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u64);

        impl $name {
            /// The resource kind in `gid://shopify/{KIND}/{id}`.
            pub const KIND: &'static str = $kind;

            /// This id as Shopify's GraphQL global id.
            pub fn gid(self) -> String {
                format!("gid://shopify/{}/{}", $kind, self.0)
            }

            /// Reads a global id of this kind (Shopify ignores a `?query` tail).
            pub fn from_gid(text: &str) -> Option<Self> {
                let rest = text.strip_prefix(concat!("gid://shopify/", $kind, "/"))?;
                let number = rest.split('?').next().unwrap_or(rest);
                if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                number.parse().ok().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

fake_id!(
    /// A product.
    ProductId, "Product"
);
fake_id!(
    /// A product variant, which carries the SKU.
    VariantId, "ProductVariant"
);
fake_id!(
    /// A variant's inventory item, where stock levels hang.
    InventoryItemId, "InventoryItem"
);
fake_id!(
    /// A location.
    LocationId, "Location"
);
fake_id!(
    /// An order.
    OrderId, "Order"
);
fake_id!(
    /// A line of an order.
    LineItemId, "LineItem"
);
fake_id!(
    /// A refund.
    RefundId, "Refund"
);
fake_id!(
    /// A line of a refund.
    RefundLineItemId, "RefundLineItem"
);
fake_id!(
    /// A bulk operation.
    BulkOperationId, "BulkOperation"
);
fake_id!(
    /// The record of one applied `inventorySetQuantities`.
    AdjustmentGroupId, "InventoryAdjustmentGroup"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gid_reads_back_only_as_its_own_kind() {
        let id = VariantId(808950810);
        assert_eq!(id.gid(), "gid://shopify/ProductVariant/808950810");
        assert_eq!(VariantId::from_gid(&id.gid()), Some(id));
        assert_eq!(ProductId::from_gid(&id.gid()), None);
        assert_eq!(LocationId::from_gid("gid://shopify/Location/7?x=1"), Some(LocationId(7)));
        assert_eq!(LocationId::from_gid("gid://shopify/Location/"), None);
    }
}
