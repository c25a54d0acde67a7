//! What caused a stock movement: one list for the ledger, its events and the API.

use ils_storage::text_enum;

text_enum! {
    /// What caused a stock movement.
    pub enum MovementKind {
        /// A stock adjustment.
        Adjustment = "adjustment",
        /// The sending side of a transfer.
        TransferOut = "transfer_out",
        /// The receiving side of a transfer.
        TransferIn = "transfer_in",
        /// Goods received against a purchase order.
        Receipt = "receipt",
        /// A finalised stock count.
        Count = "count",
        /// A sale, recorded by a plugin (a web shop's order).
        Sale = "sale",
        /// A customer's return into stock, recorded by a plugin.
        Return = "return",
    }
}
