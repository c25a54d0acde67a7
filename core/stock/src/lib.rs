//! ILS purchasing and stock: suppliers, items, locations, stock levels and movements, purchase orders, receipts and counts.
//!
//! (Being extracted from `ils-core`; see issue 11.)
