//! Reconciliation between Shopify and ILS, all pure: which variant is which ILS item
//! ([`matching`]), which Shopify location is which ILS location ([`locations`]), where the two
//! disagree about stock ([`drift`]), and which ILS stock movements an order causes
//! ([`movements`]).

pub mod drift;
pub mod locations;
pub mod matching;
pub mod movements;
