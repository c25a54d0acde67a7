//! UK VAT on a practice's sales (DOMAIN notes, "VAT at the till"; docs/adr/047-till.md).
//!
//! Sight tests, contact lens checks and dispensing by or under a registered optometrist or
//! dispensing optician are exempt; frames, lenses, contact lenses, solutions, accessories and
//! repairs are standard-rated (HMRC VAT Health manual VATHLT2190). ILS prices the goods and the
//! dispensing as separate lines shown to the patient at the sale — one of the two arrangements
//! HMRC accepts for spectacles (VAT Valuation manual VATVAL12440; the other, one price apportioned
//! by a method agreed with HMRC, is the practice's own arrangement, outside ILS). Prices include
//! VAT; the VAT in a line is its price × rate ÷ (100 + rate), to the nearest penny with a half
//! rounded up, line by line (VATREC12030; a retailer may not round VAT down, Notice 700 17.5).

use serde::{Deserialize, Serialize};

use ils_storage::text_enum;

/// The UK standard rate since 4 January 2011, in per cent.
pub const STANDARD_PERCENT: i64 = 20;

text_enum! {
    /// How VAT applies to a line.
    pub enum VatRate {
        /// Standard-rated goods ([`STANDARD_PERCENT`]).
        Standard = "standard",
        /// Exempt services (a sight test, dispensing).
        Exempt = "exempt",
    }
}

impl VatRate {
    /// Its percentage today.
    pub fn percent(self) -> i64 {
        match self {
            VatRate::Standard => STANDARD_PERCENT,
            VatRate::Exempt => 0,
        }
    }
}

/// The VAT within a VAT-inclusive amount of `gross` pence at `percent`: gross × percent ÷ (100 +
/// percent), to the nearest penny, a half rounded up. Exact for every amount a till takes (the
/// product fits an `i64` far beyond £1bn).
pub fn vat_in(gross: i64, percent: i64) -> i64 {
    if percent == 0 || gross == 0 {
        return 0;
    }
    let numerator = gross * percent * 2;
    let denominator = (100 + percent) * 2;
    // Nearest, half up, for non-negative amounts: floor((2n + d) / 2d) over doubled terms.
    (numerator + 100 + percent) / denominator
}

/// A VAT rate's share of a set of lines: gross, VAT and net (gross less VAT), in pence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VatBand {
    /// Including VAT.
    pub gross_minor: i64,
    /// The VAT.
    pub vat_minor: i64,
    /// Excluding VAT.
    pub net_minor: i64,
}

impl VatBand {
    /// Adds a line (or takes one away, with negative amounts).
    pub fn add(&mut self, gross: i64, vat: i64) {
        self.gross_minor += gross;
        self.vat_minor += vat;
        self.net_minor += gross - vat;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat_is_a_sixth_of_a_standard_rated_price_to_the_nearest_penny() {
        assert_eq!(vat_in(12_000, 20), 2_000);
        assert_eq!(vat_in(9_999, 20), 1_667, "1666.5 rounds up");
        assert_eq!(vat_in(10_000, 20), 1_667, "1666.67");
        assert_eq!(vat_in(1, 20), 0, "0.17p");
        assert_eq!(vat_in(3, 20), 1, "0.5p rounds up");
        assert_eq!(vat_in(2_500, 0), 0);
        for gross in 0..50_000 {
            let exact = gross as f64 * 20.0 / 120.0;
            assert!((vat_in(gross, 20) as f64 - exact).abs() <= 0.5, "{gross}");
        }
    }
}
