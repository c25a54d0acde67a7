//! The location mapping table: which Shopify location is which ILS location. The tenant sets it;
//! it is one-to-one, and a location missing from it is not synced (never guessed).

use std::collections::BTreeMap;

use crate::ids::{IlsLocationId, LocationId};

/// A one-to-one map between Shopify and ILS locations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationMap {
    to_ils: BTreeMap<LocationId, IlsLocationId>,
    to_shopify: BTreeMap<IlsLocationId, LocationId>,
}

/// A mapping table that is not one-to-one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationMapError {
    /// One Shopify location mapped twice.
    #[error("Shopify location {0} is mapped more than once")]
    ShopifyTwice(LocationId),
    /// One ILS location mapped twice: two Shopify locations' stock would be summed into one.
    #[error("ILS location {0} is mapped more than once")]
    IlsTwice(String),
}

impl LocationMap {
    /// Builds the map, refusing any location that appears twice on either side.
    pub fn new(
        pairs: impl IntoIterator<Item = (LocationId, IlsLocationId)>,
    ) -> Result<Self, LocationMapError> {
        let mut map = Self::default();
        for (shopify, ils) in pairs {
            if map.to_ils.contains_key(&shopify) {
                return Err(LocationMapError::ShopifyTwice(shopify));
            }
            if map.to_shopify.contains_key(&ils) {
                return Err(LocationMapError::IlsTwice(ils.0));
            }
            map.to_shopify.insert(ils.clone(), shopify);
            map.to_ils.insert(shopify, ils);
        }
        Ok(map)
    }

    /// The ILS location of a Shopify location.
    pub fn ils(&self, shopify: LocationId) -> Option<&IlsLocationId> {
        self.to_ils.get(&shopify)
    }

    /// The Shopify location of an ILS location.
    pub fn shopify(&self, ils: &IlsLocationId) -> Option<LocationId> {
        self.to_shopify.get(ils).copied()
    }

    /// Every pair, by Shopify location.
    pub fn pairs(&self) -> impl Iterator<Item = (LocationId, &IlsLocationId)> {
        self.to_ils.iter().map(|(s, i)| (*s, i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ils(s: &str) -> IlsLocationId {
        IlsLocationId(s.into())
    }

    #[test]
    fn the_map_answers_both_ways() {
        let map =
            LocationMap::new([(LocationId(1), ils("shop-front")), (LocationId(2), ils("lab"))]).unwrap();
        assert_eq!(map.ils(LocationId(2)), Some(&ils("lab")));
        assert_eq!(map.shopify(&ils("shop-front")), Some(LocationId(1)));
        assert_eq!(map.ils(LocationId(3)), None);
    }

    #[test]
    fn a_location_mapped_twice_on_either_side_is_refused() {
        assert_eq!(
            LocationMap::new([(LocationId(1), ils("a")), (LocationId(1), ils("b"))]),
            Err(LocationMapError::ShopifyTwice(LocationId(1)))
        );
        assert_eq!(
            LocationMap::new([(LocationId(1), ils("a")), (LocationId(2), ils("a"))]),
            Err(LocationMapError::IlsTwice("a".into()))
        );
    }
}
