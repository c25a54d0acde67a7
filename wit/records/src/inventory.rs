//! Stock a plugin reads (`ils:platform/inventory`).

use serde::{Deserialize, Serialize};

/// Units on hand of one item at one stock location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    /// The item's id.
    pub item_id: String,
    /// The item's SKU.
    pub sku: String,
    /// The stock location's id.
    pub location_id: String,
    /// Never negative.
    pub on_hand: i64,
}
