//! Stock a plugin reads and moves (`ils:platform/inventory`).

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

/// A stock location of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLocation {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// An item of the tenant's catalogue with its stock at every location that holds any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueItem {
    /// Its id.
    pub id: String,
    /// Its SKU.
    pub sku: String,
    /// Its name.
    pub name: String,
    /// At or below this quantity at a location, the item is low there.
    pub reorder_point: i64,
    /// Units on hand per location.
    pub levels: Vec<StockLevel>,
    /// The frame's size, when the item is a frame whose size is recorded.
    pub frame: Option<FrameSize>,
}

/// How a frame holds its lenses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rim {
    /// An eyewire all round.
    Full,
    /// A top wire and a nylon cord in a groove along the lower edge.
    SemiRimless,
    /// Drilled lenses, the edge in full view.
    Rimless,
}

/// A frame's boxed size in tenths of a millimetre: eye size A and bridge DBL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameSize {
    /// Eye size A, tenths of a mm (`520` is 52.0 mm).
    pub eye_size: u16,
    /// Bridge DBL, tenths of a mm.
    pub bridge: u16,
    /// The rim, when recorded.
    pub rim: Option<Rim>,
}

/// One page of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ItemPage {
    /// The items, in id order.
    pub items: Vec<CatalogueItem>,
    /// The cursor for the next page; none on the last.
    pub next_after: Option<String>,
}

/// The most items one page holds.
pub const MAX_ITEM_PAGE: u32 = 500;

/// Why a plugin moves stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Sold (a negative delta).
    Sale,
    /// Returned by a customer, back into stock (a positive delta).
    Return,
    /// Any other correction.
    Adjustment,
}

/// A stock movement a plugin asks for, recorded once per key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMovement {
    /// Idempotency key, unique per tenant.
    pub key: String,
    /// The item's id.
    pub item_id: String,
    /// The location's id.
    pub location_id: String,
    /// Units added (positive) or taken (negative); never zero.
    pub delta: i64,
    /// Why.
    pub kind: MovementKind,
    /// Shown in the stock ledger.
    pub note: String,
}

/// What became of one movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovementOutcome {
    /// The movement's key.
    pub key: String,
    /// False when the key had been recorded before and nothing moved this time.
    pub applied: bool,
    /// Units on hand after the movement (or after its first recording).
    pub on_hand_after: i64,
}
