//! Voucher values and sight test fees per financial year, as data.
//!
//! The plugin ships the values DOMAIN.md gives, each with its source; everything else is
//! explicitly absent, so a claim that needs it says "value for band B in 2024-25 not entered
//! yet" instead of guessing. A company admin replaces a year's table over `PUT /values/{year}`;
//! the stored table then wins over the shipped one.

use std::collections::BTreeMap;
use std::fmt;

use ils_plugin_sdk::host::kv;
use serde::{Deserialize, Serialize};

use crate::band::{Band, BandResult};
use crate::date::FinancialYear;
use crate::error::ApiError;

/// An amount in pence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pence(pub u32);

impl fmt::Display for Pence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "£{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// One value, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The amount.
    pub pence: Pence,
    /// Where it comes from (regulation, letter), never empty.
    pub source: String,
}

/// What a value is for. In JSON: `sight_test_fee`, `band_a` … `band_i`, `complex_lens_band_c`…
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Item {
    /// The NHS sight test fee (GOS 1).
    SightTestFee,
    /// The domiciliary sight test fee (GOS 6).
    DomiciliarySightTestFee,
    /// A voucher band's value.
    Band(Band),
    /// A complex-lens voucher (patients eligible only through complex lenses), bands C, D, G, H.
    ComplexLens(Band),
    /// Prism supplement per lens, single vision.
    PrismSingleVision,
    /// Prism supplement per lens, bifocal/varifocal.
    PrismOther,
    /// Tint supplement.
    Tint,
    /// Replacement of a single contact lens (GOS 4).
    ContactLensSingleReplacement,
}

impl Item {
    /// Every item a table may hold.
    pub fn all() -> Vec<Item> {
        let mut all = vec![Item::SightTestFee, Item::DomiciliarySightTestFee];
        all.extend(Band::ALL.map(Item::Band));
        all.extend([Band::C, Band::D, Band::G, Band::H].map(Item::ComplexLens));
        all.extend([
            Item::PrismSingleVision,
            Item::PrismOther,
            Item::Tint,
            Item::ContactLensSingleReplacement,
        ]);
        all
    }

    /// The item's code.
    pub fn code(self) -> String {
        match self {
            Item::SightTestFee => "sight_test_fee".into(),
            Item::DomiciliarySightTestFee => "domiciliary_sight_test_fee".into(),
            Item::Band(b) => format!("band_{}", b.letter().to_ascii_lowercase()),
            Item::ComplexLens(b) => format!("complex_lens_band_{}", b.letter().to_ascii_lowercase()),
            Item::PrismSingleVision => "prism_single_vision".into(),
            Item::PrismOther => "prism_other".into(),
            Item::Tint => "tint".into(),
            Item::ContactLensSingleReplacement => "contact_lens_single_replacement".into(),
        }
    }

    /// In words, for messages.
    pub fn words(self) -> String {
        match self {
            Item::SightTestFee => "the NHS sight test fee".into(),
            Item::DomiciliarySightTestFee => "the domiciliary sight test fee".into(),
            Item::Band(b) => format!("band {b}"),
            Item::ComplexLens(b) => format!("the complex-lens voucher for band {b}"),
            Item::PrismSingleVision => "the prism supplement (single vision)".into(),
            Item::PrismOther => "the prism supplement (bifocal/varifocal)".into(),
            Item::Tint => "the tint supplement".into(),
            Item::ContactLensSingleReplacement => "a single contact lens replacement".into(),
        }
    }
}

impl TryFrom<String> for Item {
    type Error = String;
    fn try_from(code: String) -> Result<Self, String> {
        Item::all()
            .into_iter()
            .find(|i| i.code() == code)
            .ok_or_else(|| format!("unknown value item {code:?}"))
    }
}

impl From<Item> for String {
    fn from(i: Item) -> String {
        i.code()
    }
}

/// A year's values: every item, `null` where not entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueTable {
    /// The financial year, `2024-25`.
    pub year: String,
    /// `shipped` (from the plugin) or `entered` (by an admin).
    pub origin: String,
    /// Every item; `None` where the value is not entered yet.
    pub items: BTreeMap<Item, Option<Entry>>,
}

/// What `PUT /values/{year}` takes: the whole table (items left out become "not entered").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueUpdate {
    /// The items.
    pub items: BTreeMap<Item, Option<Entry>>,
}

const SI_2023_244: &str = "SI 2023/244, NHS (Optical Charges and Payments) (Amendment) Regulations 2023";
const LETTER_2024: &str = "DHSC letter on GOS voucher values from 1 April 2024";
const LETTER_2024_2025: &str = "DHSC letter on GOS voucher values from 1 April 2024 (unchanged for 2025/26)";

fn shipped(year: FinancialYear) -> Option<Vec<(Item, u32, &'static str)>> {
    use Band::*;
    let band = Item::Band;
    Some(match year.start_year() {
        2023 => vec![
            (band(A), 4170, SI_2023_244),
            (band(B), 6320, SI_2023_244),
            (band(C), 9260, SI_2023_244),
            (band(D), 20890, SI_2023_244),
            (band(E), 7190, SI_2023_244),
            (band(F), 9120, SI_2023_244),
            (band(G), 11850, SI_2023_244),
            (band(H), 22970, SI_2023_244),
            (band(I), 21400, SI_2023_244),
            (Item::ContactLensSingleReplacement, 6075, SI_2023_244),
            (Item::PrismSingleVision, 1345, SI_2023_244),
            (Item::PrismOther, 1640, SI_2023_244),
        ],
        2024 => vec![
            (Item::SightTestFee, 2353, "NHS sight test fee from 1 April 2024 (DHSC)"),
            (band(A), 4240, LETTER_2024),
            (band(E), 7310, LETTER_2024),
            (band(H), 23356, LETTER_2024),
            (band(I), 21758, LETTER_2024),
        ],
        2025 => vec![
            (Item::SightTestFee, 2413, "NHS sight test fee from 1 April 2025 (DHSC)"),
            (band(A), 4240, LETTER_2024_2025),
            (band(E), 7310, LETTER_2024_2025),
            (band(H), 23356, LETTER_2024_2025),
            (band(I), 21758, LETTER_2024_2025),
        ],
        _ => return None,
    })
}

fn key(year: FinancialYear) -> String {
    format!("values/{year}")
}

fn full(items: BTreeMap<Item, Option<Entry>>) -> BTreeMap<Item, Option<Entry>> {
    Item::all().into_iter().map(|i| (i, items.get(&i).cloned().flatten())).collect()
}

/// The table in force for `year`: the admin's if entered, else the shipped one, else empty.
pub fn table(year: FinancialYear) -> Result<ValueTable, ApiError> {
    if let Some(bytes) = kv::get(&key(year))? {
        let items: BTreeMap<Item, Option<Entry>> = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::Internal(format!("stored values for {year} are unreadable: {e}")))?;
        return Ok(ValueTable { year: year.to_string(), origin: "entered".into(), items: full(items) });
    }
    let items = shipped(year)
        .unwrap_or_default()
        .into_iter()
        .map(|(i, p, s)| (i, Some(Entry { pence: Pence(p), source: s.into() })))
        .collect();
    Ok(ValueTable { year: year.to_string(), origin: "shipped".into(), items: full(items) })
}

/// Replaces `year`'s table.
pub fn replace(year: FinancialYear, update: ValueUpdate) -> Result<ValueTable, ApiError> {
    for (item, entry) in &update.items {
        if let Some(e) = entry {
            if e.source.trim().is_empty() {
                return Err(ApiError::Invalid(format!(
                    "{} needs a source (the regulation or letter it comes from)",
                    item.code()
                )));
            }
            if e.pence.0 > 1_000_000 {
                return Err(ApiError::Invalid(format!("{} of {} is implausible", item.code(), e.pence)));
            }
        }
    }
    let stored: BTreeMap<Item, Option<Entry>> =
        update.items.into_iter().filter(|(_, e)| e.is_some()).collect();
    let bytes = serde_json::to_vec(&stored).map_err(|e| ApiError::Internal(e.to_string()))?;
    kv::set(&key(year), &bytes)?;
    table(year)
}

/// The years with values, shipped or entered.
pub fn years() -> Result<Vec<String>, ApiError> {
    let mut years: Vec<String> =
        [2023, 2024, 2025].into_iter().filter_map(FinancialYear::starting).map(|y| y.to_string()).collect();
    for k in kv::list_keys("values/", 200)? {
        if let Some(y) = k.strip_prefix("values/") {
            years.push(y.to_string());
        }
    }
    years.sort();
    years.dedup();
    Ok(years)
}

/// A value a calculation needed but nobody entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// The item.
    pub item: Item,
    /// The year.
    pub year: String,
    /// `value for band B in 2024-25 not entered yet`.
    pub message: String,
}

impl ValueTable {
    /// The amount of `item`, or what is missing.
    pub fn get(&self, item: Item) -> Result<Pence, Missing> {
        match self.items.get(&item) {
            Some(Some(e)) => Ok(e.pence),
            _ => Err(Missing {
                item,
                year: self.year.clone(),
                message: format!("value for {} in {} not entered yet", item.words(), self.year),
            }),
        }
    }
}

/// One line of a value: what, and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// What it is for, such as `Band A` or `Prism supplement × 2`.
    pub what: String,
    /// The amount.
    pub pence: Pence,
}

impl Line {
    /// A line.
    pub fn new(what: impl Into<String>, pence: Pence) -> Self {
        Self { what: what.into(), pence }
    }
}

/// A voucher's value, line by line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoucherValue {
    /// Each line: what, how much.
    pub lines: Vec<Line>,
    /// What the patient pays (HC3).
    pub patient_pays: Pence,
    /// The voucher's value after the patient's contribution.
    pub total: Pence,
}

/// The value of a voucher for `band` in `table`. `complex_only`: the patient qualifies only
/// through complex lenses (complex-lens values). Every missing value is reported, not just the first.
pub fn voucher_value(
    table: &ValueTable,
    band: &BandResult,
    complex_only: bool,
    patient_pays: Option<u32>,
) -> Result<VoucherValue, Vec<Missing>> {
    let mut missing = Vec::new();
    let mut lines = Vec::new();
    let base = if complex_only { Item::ComplexLens(band.band) } else { Item::Band(band.band) };
    if complex_only && !matches!(band.band, Band::C | Band::D | Band::G | Band::H) {
        missing.push(Missing {
            item: base,
            year: table.year.clone(),
            message: format!(
                "band {} lenses are not complex: a patient eligible only through complex lenses gets no voucher for them",
                band.band
            ),
        });
    } else {
        match table.get(base) {
            Ok(p) => lines.push(Line::new(format!("Band {}", band.band), p)),
            Err(m) => missing.push(m),
        }
    }
    if band.prism_lenses > 0 {
        let item = if band.band.is_single_vision() { Item::PrismSingleVision } else { Item::PrismOther };
        match table.get(item) {
            Ok(p) => lines.push(Line::new(
                format!("Prism supplement × {}", band.prism_lenses),
                Pence(p.0.saturating_mul(u32::from(band.prism_lenses))),
            )),
            Err(m) => missing.push(m),
        }
    }
    if band.tint {
        match table.get(Item::Tint) {
            Ok(p) => lines.push(Line::new("Tint supplement", p)),
            Err(m) => missing.push(m),
        }
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    let gross = lines.iter().fold(0u32, |sum, l| sum.saturating_add(l.pence.0));
    let pays = patient_pays.unwrap_or(0).min(gross);
    Ok(VoucherValue { lines, patient_pays: Pence(pays), total: Pence(gross - pays) })
}

#[cfg(test)]
mod tests {
    use ils_plugin_sdk::testing::MockHost;

    use super::*;
    use crate::band::{BandRequest, Eye, LensType, calculate};

    fn fy(s: &str) -> FinancialYear {
        FinancialYear::parse(s).unwrap()
    }

    fn band_b_bifocal() -> BandResult {
        let right: Eye = serde_json::from_str(r#"{"sphere": "+7.00"}"#).unwrap();
        calculate(&BandRequest {
            right,
            left: right,
            lens_type: LensType::SingleVision,
            ..BandRequest::default()
        })
    }

    #[test]
    fn shipped_values_carry_their_source() {
        let _mock = MockHost::install();
        let t = table(fy("2023-24")).unwrap();
        let a = t.items[&Item::Band(Band::A)].clone().unwrap();
        assert_eq!((a.pence, a.source.starts_with("SI 2023/244")), (Pence(4170), true));
        assert_eq!(t.get(Item::Band(Band::I)), Ok(Pence(21400)));
        assert_eq!(t.get(Item::PrismOther), Ok(Pence(1640)));
        assert_eq!(t.get(Item::ContactLensSingleReplacement), Ok(Pence(6075)));
        let t = table(fy("2024-25")).unwrap();
        assert_eq!(t.get(Item::Band(Band::H)), Ok(Pence(23356)));
        assert_eq!(t.get(Item::SightTestFee), Ok(Pence(2353)));
        assert_eq!(table(fy("2025-26")).unwrap().get(Item::SightTestFee), Ok(Pence(2413)));
        assert_eq!(table(fy("2025-26")).unwrap().get(Item::Band(Band::E)), Ok(Pence(7310)));
    }

    #[test]
    fn a_missing_value_says_so_instead_of_guessing() {
        let _mock = MockHost::install();
        let t = table(fy("2024-25")).unwrap();
        assert_eq!(t.items[&Item::Band(Band::B)], None);
        assert_eq!(
            t.get(Item::Band(Band::B)).unwrap_err().message,
            "value for band B in 2024-25 not entered yet"
        );
        let err = voucher_value(&t, &band_b_bifocal(), false, None).unwrap_err();
        assert_eq!(err[0].message, "value for band B in 2024-25 not entered yet");
        assert_eq!(
            table(fy("2023-24")).unwrap().get(Item::SightTestFee).unwrap_err().message,
            "value for the NHS sight test fee in 2023-24 not entered yet"
        );
    }

    #[test]
    fn supplements_add_up_and_hc3_is_taken_off() {
        let _mock = MockHost::install();
        let t = table(fy("2023-24")).unwrap();
        let mut b = band_b_bifocal();
        b.prism_lenses = 2;
        let v = voucher_value(&t, &b, false, Some(1000)).unwrap();
        assert_eq!(v.total, Pence(6320 + 2 * 1345 - 1000));
        assert_eq!(v.patient_pays, Pence(1000));
        b.tint = true;
        let err = voucher_value(&t, &b, false, None).unwrap_err();
        assert_eq!(err[0].message, "value for the tint supplement in 2023-24 not entered yet");
        // A contribution larger than the voucher leaves nothing, not a negative value.
        b.tint = false;
        assert_eq!(voucher_value(&t, &b, false, Some(1_000_000)).unwrap().total, Pence(0));
    }

    #[test]
    fn complex_only_uses_the_complex_lens_values() {
        let _mock = MockHost::install();
        let t = table(fy("2023-24")).unwrap();
        let err = voucher_value(&t, &band_b_bifocal(), true, None).unwrap_err();
        assert!(err[0].message.contains("not complex"), "{err:?}");
        let right: Eye = serde_json::from_str(r#"{"sphere": "-11.00"}"#).unwrap();
        let c = calculate(&BandRequest { right, left: right, ..BandRequest::default() });
        let err = voucher_value(&t, &c, true, None).unwrap_err();
        assert_eq!(
            err[0].message,
            "value for the complex-lens voucher for band C in 2023-24 not entered yet"
        );
    }

    #[test]
    fn an_admin_table_replaces_the_shipped_one() {
        let mock = MockHost::install();
        let update: ValueUpdate = serde_json::from_str(
            r#"{"items": {"band_b": {"pence": 6450, "source": "DHSC letter 2024"}, "band_a": null}}"#,
        )
        .unwrap();
        let t = replace(fy("2024-25"), update).unwrap();
        assert_eq!(t.origin, "entered");
        assert_eq!(t.get(Item::Band(Band::B)), Ok(Pence(6450)));
        assert!(t.get(Item::Band(Band::A)).is_err(), "the whole table is replaced");
        assert!(mock.kv("values/2024-25").is_some());
        let bad: ValueUpdate =
            serde_json::from_str(r#"{"items": {"band_b": {"pence": 6450, "source": " "}}}"#).unwrap();
        assert!(replace(fy("2024-25"), bad).is_err());
        assert!(serde_json::from_str::<ValueUpdate>(r#"{"items": {"band_z": null}}"#).is_err());
        assert_eq!(years().unwrap(), ["2023-24", "2024-25", "2025-26"]);
    }

    #[test]
    fn pence_display_as_pounds() {
        assert_eq!(Pence(23356).to_string(), "£233.56");
        assert_eq!(Pence(5).to_string(), "£0.05");
    }
}
