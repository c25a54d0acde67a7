//! What a sale's records are: the kind of a line (which decides its VAT), how money is paid,
//! where a sale is. Shared by the sales and the events that announce them.

use ils_storage::text_enum;

use crate::vat::VatRate;

text_enum! {
    /// What a line sells; its kind decides its VAT ([`LineKind::vat`]).
    pub enum LineKind {
        /// A frame (from stock, or the one on the order).
        Frame = "frame",
        /// Spectacle lenses.
        Lenses = "lenses",
        /// Contact lenses.
        ContactLenses = "contact_lenses",
        /// Contact lens solutions.
        Solution = "solution",
        /// Cases, cloths, chains and the like.
        Accessory = "accessory",
        /// A repair (parts and labour).
        Repair = "repair",
        /// A sight test.
        SightTest = "sight_test",
        /// A contact lens check-up (aftercare).
        ContactLensCheck = "contact_lens_check",
        /// Dispensing: measuring, fitting and adjusting, by or under a registered optometrist or
        /// dispensing optician.
        Dispensing = "dispensing",
    }
}

impl LineKind {
    /// How VAT applies to it (see [`crate::vat`]).
    pub fn vat(self) -> VatRate {
        match self {
            LineKind::SightTest | LineKind::ContactLensCheck | LineKind::Dispensing => VatRate::Exempt,
            _ => VatRate::Standard,
        }
    }

    /// Whether it is goods (which may come from stock).
    pub fn is_goods(self) -> bool {
        self.vat() == VatRate::Standard && self != LineKind::Repair
    }
}

text_enum! {
    /// How a payment was made, or a refund given.
    pub enum PaymentMethod {
        /// Cash.
        Cash = "cash",
        /// A card (the terminal is the practice's own; card terminals as plugins come later).
        Card = "card",
        /// An NHS optical voucher (GOS 3), its number as the reference.
        NhsVoucher = "nhs_voucher",
    }
}

text_enum! {
    /// Where a sale is.
    pub enum SaleStatus {
        /// Lines may change; payments are taken towards it.
        Open = "open",
        /// Paid in full, numbered, its stock moved; only credit notes change it now.
        Completed = "completed",
    }
}
