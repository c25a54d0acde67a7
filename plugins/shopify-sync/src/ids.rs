//! Identifiers: Shopify's numeric ids (one newtype per resource), the shop's domain, SKUs, and the
//! ILS ids this crate only carries.
//!
//! Webhook payloads give Shopify ids as JSON numbers (`"id": 450789469`); the GraphQL Admin API
//! gives the same ids as global ids (`"gid://shopify/Order/450789469"`). Each newtype reads
//! either form (and a number written as a string, as some privacy payloads do), checks the gid's
//! resource kind, and writes a plain number, so the two APIs meet on one type.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a Shopify id could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The text is neither a number nor a `gid://shopify/...` global id.
    #[error("`{0}` is not a Shopify id (a number or gid://shopify/Kind/number)")]
    Malformed(String),
    /// A global id of another resource, e.g. a `Product` gid where a `ProductVariant` was expected.
    #[error("`{got}` is not a gid://shopify/{expected}/... id")]
    WrongKind {
        /// The resource kind that was expected.
        expected: &'static str,
        /// The text that was given.
        got: String,
    },
}

/// Splits `gid://shopify/Kind/123?query` into `("Kind", 123)`.
pub(crate) fn split_gid(text: &str) -> Option<(&str, u64)> {
    let rest = text.strip_prefix("gid://shopify/")?;
    let rest = rest.split('?').next().unwrap_or(rest);
    let (kind, number) = rest.split_once('/')?;
    if kind.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((kind, number.parse().ok()?))
}

macro_rules! shopify_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The resource kind in this id's GraphQL form, `gid://shopify/{KIND}/{id}`.
            pub const KIND: &'static str = $kind;

            /// Reads a number, a number in a string, or a global id of this kind.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                    return text.parse().map(Self).map_err(|_| IdError::Malformed(text.to_owned()));
                }
                match split_gid(text) {
                    Some((kind, id)) if kind == $kind => Ok(Self(id)),
                    Some(_) => Err(IdError::WrongKind { expected: $kind, got: text.to_owned() }),
                    None => Err(IdError::Malformed(text.to_owned())),
                }
            }

            /// This id as a GraphQL global id.
            pub fn to_gid(self) -> String {
                format!("gid://shopify/{}/{}", $kind, self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "a Shopify {} id (number or gid)", $kind)
                    }
                    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<$name, E> {
                        Ok($name(v))
                    }
                    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<$name, E> {
                        u64::try_from(v).map($name).map_err(|_| E::custom("a negative id"))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::parse(v).map_err(E::custom)
                    }
                }
                deserializer.deserialize_any(Visitor)
            }
        }
    };
}

shopify_id!(
    /// A Shopify order.
    OrderId, "Order"
);
shopify_id!(
    /// A line of a Shopify order.
    LineItemId, "LineItem"
);
shopify_id!(
    /// A Shopify refund.
    RefundId, "Refund"
);
shopify_id!(
    /// One line of a refund (a quantity of one order line).
    RefundLineItemId, "RefundLineItem"
);
shopify_id!(
    /// A Shopify product.
    ProductId, "Product"
);
shopify_id!(
    /// A product variant: the sellable thing that carries the SKU.
    VariantId, "ProductVariant"
);
shopify_id!(
    /// The stock-keeping side of a variant; inventory levels hang off it.
    InventoryItemId, "InventoryItem"
);
shopify_id!(
    /// A Shopify location (shop, warehouse, app fulfilment location).
    LocationId, "Location"
);
shopify_id!(
    /// A Shopify shop, as the privacy webhooks name it.
    ShopId, "Shop"
);
shopify_id!(
    /// A Shopify customer, as the privacy webhooks name it.
    CustomerId, "Customer"
);

/// A shop's `*.myshopify.com` domain, lower-cased: the name Shopify puts in
/// `X-Shopify-Shop-Domain` and the one a tenant configures.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShopDomain(String);

impl ShopDomain {
    /// Accepts a host name: ASCII letters, digits, `-` and `.`, at most 255 bytes, with a dot.
    /// Upper case is folded; anything else (a scheme, a path, a space) is refused.
    pub fn parse(text: &str) -> Result<Self, ShopDomainError> {
        let text = text.trim();
        let valid = !text.is_empty()
            && text.len() <= 255
            && text.contains('.')
            && !text.starts_with(['.', '-'])
            && !text.ends_with(['.', '-'])
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if valid {
            Ok(Self(text.to_ascii_lowercase()))
        } else {
            Err(ShopDomainError(text.chars().take(64).collect()))
        }
    }

    /// The domain as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A shop domain that is not a host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a shop domain such as example.myshopify.com")]
pub struct ShopDomainError(String);

impl TryFrom<String> for ShopDomain {
    type Error = ShopDomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ShopDomain> for String {
    fn from(value: ShopDomain) -> Self {
        value.0
    }
}

impl fmt::Display for ShopDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stock-keeping unit as matching compares it: surrounding white space removed, never empty,
/// and without regard to case (`ab-1` and `AB-1` are one SKU, as ILS holds SKUs unique without
/// regard to case); it keeps the case it was written in for showing.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Sku(String);

impl Sku {
    /// What comparisons see: the SKU in lower case.
    fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl PartialEq for Sku {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Sku {}

impl std::hash::Hash for Sku {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for Sku {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sku {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Sku {
    /// `None` for a missing, empty or all-blank SKU.
    pub fn parse(text: Option<&str>) -> Option<Self> {
        let text = text?.trim();
        (!text.is_empty()).then(|| Self(text.to_owned()))
    }

    /// The SKU as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ILS stock item, as the host names it. Opaque here: the glue converts it at the boundary.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IlsItemId(pub String);

/// An ILS stock location, as the host names it. Opaque here, like [`IlsItemId`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IlsLocationId(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_the_same_from_a_webhook_number_and_a_graphql_gid() {
        let from_number: VariantId = serde_json::from_str("808950810").unwrap();
        let from_gid: VariantId = serde_json::from_str("\"gid://shopify/ProductVariant/808950810\"").unwrap();
        let from_string: VariantId = serde_json::from_str("\"808950810\"").unwrap();
        assert_eq!(from_number, from_gid);
        assert_eq!(from_number, from_string);
        assert_eq!(from_gid.to_gid(), "gid://shopify/ProductVariant/808950810");
    }

    #[test]
    fn a_gid_of_another_resource_is_refused() {
        let err = VariantId::parse("gid://shopify/Product/1").unwrap_err();
        assert!(matches!(err, IdError::WrongKind { expected: "ProductVariant", .. }));
        assert!(serde_json::from_str::<OrderId>("-4").is_err());
        assert!(OrderId::parse("gid://shopify/Order/").is_err());
    }

    #[test]
    fn a_gid_with_a_query_string_keeps_its_number() {
        assert_eq!(
            InventoryItemId::parse("gid://shopify/InventoryItem/271878346596884015?x=1"),
            Ok(InventoryItemId(271878346596884015))
        );
    }

    #[test]
    fn shop_domains_are_host_names_folded_to_lower_case() {
        assert_eq!(ShopDomain::parse("Shop1.MyShopify.com").unwrap().as_str(), "shop1.myshopify.com");
        for bad in ["", "shop", "https://shop.myshopify.com", "shop.myshopify.com/admin", "a b.com", ".x.com"]
        {
            assert!(ShopDomain::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_sku_is_trimmed_never_empty_and_compared_without_regard_to_case() {
        assert_eq!(Sku::parse(Some("  FR-001 ")).unwrap().as_str(), "FR-001");
        assert_eq!(Sku::parse(Some("   ")), None);
        assert_eq!(Sku::parse(None), None);
        assert_eq!(Sku::parse(Some("fr-001")), Sku::parse(Some("FR-001")));
        assert!(Sku::parse(Some("a-2")) > Sku::parse(Some("A-1")));
    }
}
