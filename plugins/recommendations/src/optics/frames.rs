//! The frames a practice stocks, ranked for one prescription.
//!
//! The rules ([`rank_frames`]):
//!
//! - suitability: the lens is estimated in every frame as [`super::suggest_lens`] would (the
//!   material by [`super::suggest_material`] unless chosen, Vogel's base curve, ED = A + 4 mm,
//!   decentration (A + DBL − PD)/2), with the minimum edge the rim needs — 1.0 mm in a full rim,
//!   2.0 mm in a semi-rimless (grooved) or rimless (drilled) one. A frame suits when the lens's
//!   thickest point (edge for minus, centre for plus) stays within the rim's limit: 6.0 mm for a
//!   full rim, 5.0 mm semi-rimless, 4.5 mm rimless, or the one the caller sets. A frame whose
//!   rim is not recorded is treated as a full rim. These limits are this plugin's choices: a
//!   thicker edge shows past a full rim's eyewire, a groove or a drill hole needs the edge
//!   they are cut in, and the open edge of a rimless lens shows all of it;
//! - similarity: a past order is similar when its prescription falls in the same spherical
//!   equivalent band ([`SeBand`]), the same cylinder band ([`CylBand`]) and has an add exactly
//!   when this one does;
//! - ranking: frames on the shelf before those out of stock (marked, not dropped: they can be
//!   ordered in); then by how many similar orders chose the frame, then by how many orders of
//!   any prescription did, then the thinnest lens first, then more on hand, then the SKU. With no
//!   history the counts are all zero and the order is thinnest first.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::thickness::{self, Surfacing};
use super::{Frame, Material, Meridians, RxInput, geometry, suggest_material};
use crate::error::RecoError;
use crate::explain::Explanation;

/// A frame's stock-keeping unit, as the stock domain records it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FrameSku(pub String);

impl fmt::Display for FrameSku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the lens is held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rim {
    /// An eyewire all round; the lens edge is bevelled into it.
    #[default]
    Full,
    /// A top wire with a nylon cord in a groove along the lower edge.
    SemiRimless,
    /// Drilled lenses, the edge in full view.
    Rimless,
}

impl Rim {
    /// The thickest lens point this rim takes by default, in mm.
    pub fn max_thickness_mm(self) -> f64 {
        match self {
            Rim::Full => 6.0,
            Rim::SemiRimless => 5.0,
            Rim::Rimless => 4.5,
        }
    }

    /// The thinnest edge the rim can hold, in mm.
    pub fn min_edge_mm(self) -> f64 {
        match self {
            Rim::Full => super::MIN_EDGE_MM,
            Rim::SemiRimless | Rim::Rimless => 2.0,
        }
    }
}

impl fmt::Display for Rim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rim::Full => "full-rim",
            Rim::SemiRimless => "semi-rimless",
            Rim::Rimless => "rimless",
        })
    }
}

/// One frame the practice stocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockedFrame {
    /// Its SKU.
    pub sku: FrameSku,
    /// The name shown to the patient.
    pub name: String,
    /// Eye size A, mm.
    pub eye_size_mm: f64,
    /// Bridge DBL, mm.
    pub bridge_mm: f64,
    /// The rim, when recorded; a full rim is assumed otherwise.
    #[serde(default)]
    pub rim: Option<Rim>,
    /// The shape's name (round, rectangle…), shown only.
    #[serde(default)]
    pub shape: Option<String>,
    /// Units on the shelf.
    pub on_hand: u32,
}

/// What a past order's prescription was, and the frame bought with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastOrder {
    /// Spherical equivalent (sphere + cylinder/2), dioptres.
    pub spherical_equivalent: f64,
    /// The cylinder, either sign; its size is what counts.
    #[serde(default)]
    pub cylinder: f64,
    /// Whether it had a reading addition.
    #[serde(default)]
    pub add: bool,
    /// The frame chosen.
    pub sku: FrameSku,
}

/// Spherical equivalent bands, in dioptres (lower bounds included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeBand {
    /// −6.00 D or stronger.
    HighMinus,
    /// Over −6.00 to −3.00 D.
    MediumMinus,
    /// Over −3.00 D to under −0.75 D.
    LowMinus,
    /// −0.75 to +0.75 D.
    Plano,
    /// Over +0.75 to under +3.00 D.
    LowPlus,
    /// +3.00 to under +6.00 D.
    MediumPlus,
    /// +6.00 D or stronger.
    HighPlus,
}

impl SeBand {
    /// The band of a spherical equivalent.
    pub fn of(se: f64) -> Self {
        match se {
            s if s <= -6.0 => SeBand::HighMinus,
            s if s <= -3.0 => SeBand::MediumMinus,
            s if s < -0.75 => SeBand::LowMinus,
            s if s <= 0.75 => SeBand::Plano,
            s if s < 3.0 => SeBand::LowPlus,
            s if s < 6.0 => SeBand::MediumPlus,
            _ => SeBand::HighPlus,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            SeBand::HighMinus => "−6.00 D or stronger",
            SeBand::MediumMinus => "over −6.00 to −3.00 D",
            SeBand::LowMinus => "over −3.00 to under −0.75 D",
            SeBand::Plano => "−0.75 to +0.75 D",
            SeBand::LowPlus => "over +0.75 to under +3.00 D",
            SeBand::MediumPlus => "+3.00 to under +6.00 D",
            SeBand::HighPlus => "+6.00 D or stronger",
        }
    }
}

/// Cylinder bands, on its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CylBand {
    /// Under 1.00 D.
    Low,
    /// 1.00 to 2.00 D.
    Medium,
    /// Over 2.00 D.
    High,
}

impl CylBand {
    /// The band of a cylinder of either sign.
    pub fn of(cylinder: f64) -> Self {
        match cylinder.abs() {
            c if c < 1.0 => CylBand::Low,
            c if c <= 2.0 => CylBand::Medium,
            _ => CylBand::High,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            CylBand::Low => "cylinder under 1.00 D",
            CylBand::Medium => "cylinder 1.00 to 2.00 D",
            CylBand::High => "cylinder over 2.00 D",
        }
    }
}

/// The prescription, the practice's frames and what was bought before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameQuery {
    /// The prescription (its fields sit at the top level of the JSON).
    #[serde(flatten)]
    pub rx: RxInput,
    /// The patient's age in years (for the material).
    pub age_years: u8,
    /// Binocular pupillary distance in mm.
    pub pd_mm: f64,
    /// A material the dispenser has chosen; the rule picks one otherwise.
    #[serde(default)]
    pub material: Option<Material>,
    /// A thickness limit for every rim, in mm, instead of the rim's own.
    #[serde(default)]
    pub max_thickness_mm: Option<f64>,
    /// The frames stocked.
    pub frames: Vec<StockedFrame>,
    /// Past orders, any prescription.
    #[serde(default)]
    pub history: Vec<PastOrder>,
}

/// One frame's place in the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedFrame {
    /// Its SKU.
    pub sku: FrameSku,
    /// Its name.
    pub name: String,
    /// Whether any are on the shelf.
    pub in_stock: bool,
    /// The estimated thickest point of the lens in it, mm; none when the lens cannot be made.
    pub thickest_mm: Option<f64>,
    /// The limit it was held to, mm.
    pub limit_mm: f64,
    /// Past orders with a similar prescription that chose it.
    pub similar_orders: usize,
    /// Past orders of any prescription that chose it.
    pub all_orders: usize,
    /// Its figures and why it is where it is.
    pub explanation: Explanation,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameRanking {
    /// Frames that suit, best first.
    pub suitable: Vec<RankedFrame>,
    /// Frames that do not, each saying why, in the order given.
    pub unsuitable: Vec<RankedFrame>,
    /// The prescription, the material, the similarity rule and the ordering used.
    pub explanation: Explanation,
}

/// Ranks the stocked frames for a prescription by the rules above.
pub fn rank_frames(query: &FrameQuery) -> Result<FrameRanking, RecoError> {
    let rx = query.rx.parse()?;
    check(query)?;
    let m = Meridians::of(&rx);
    let se = m.spherical_equivalent();
    let mut explanation = Explanation::default();
    explanation.push(format!(
        "Prescription {rx}: principal meridians {}; spherical equivalent {se:+.2} D.",
        Meridians::listed(&m.meridians)
    ));
    let material = match query.material {
        Some(material) => {
            explanation.push(format!("{material}: chosen by the dispenser."));
            material
        }
        None => {
            let (material, why) = suggest_material(m.strongest, query.age_years);
            explanation.push(why);
            material
        }
    };
    let base_curve = thickness::vogel_base_curve(se);
    explanation.push(format!("Base curve {base_curve:+.2} D by Vogel's rule."));

    let (se_band, cyl_band, has_add) = (SeBand::of(se), CylBand::of(m.cylinder), query.rx.add.is_some());
    let add_words = if has_add { "with an add" } else { "no add" };
    let mut similar: HashMap<&FrameSku, usize> = HashMap::new();
    let mut all: HashMap<&FrameSku, usize> = HashMap::new();
    let mut similar_total = 0;
    for order in &query.history {
        *all.entry(&order.sku).or_default() += 1;
        if SeBand::of(order.spherical_equivalent) == se_band
            && CylBand::of(order.cylinder) == cyl_band
            && order.add == has_add
        {
            *similar.entry(&order.sku).or_default() += 1;
            similar_total += 1;
        }
    }
    let band = format!("SE {}, {}, {add_words}", se_band.describe(), cyl_band.describe());
    explanation.push(if query.history.is_empty() {
        "No past orders: frames on the shelf first, then the thinnest lens first.".to_owned()
    } else {
        format!(
            "{similar_total} of {} past orders had a similar prescription ({band}); frames on the shelf \
             first, then by those orders, then by all orders, then the thinnest lens first.",
            query.history.len()
        )
    });

    let (mut suitable, mut unsuitable) = (Vec::new(), Vec::new());
    for stocked in &query.frames {
        let rim = stocked.rim.unwrap_or_default();
        let limit_mm = query.max_thickness_mm.unwrap_or(rim.max_thickness_mm());
        let frame = Frame {
            eye_size_mm: stocked.eye_size_mm,
            bridge_mm: stocked.bridge_mm,
            effective_diameter_mm: None,
        };
        let g = geometry(&frame, query.pd_mm);
        let surfacing =
            Surfacing { base_curve, min_centre_mm: material.min_centre_mm(), min_edge_mm: rim.min_edge_mm() };
        let mut why = Explanation::default();
        let rim_words = match stocked.rim {
            Some(r) => r.to_string(),
            None => "rim not recorded, taken as full-rim".to_owned(),
        };
        let shape = stocked.shape.as_deref().map(|s| format!(", {s}")).unwrap_or_default();
        why.push(format!(
            "Eye size {:.0} mm, bridge {:.0} mm, {rim_words}{shape}: ED {:.1} mm, decentration {:.1} mm.",
            stocked.eye_size_mm, stocked.bridge_mm, g.effective_diameter_mm, g.decentration_mm
        ));
        let thickest_mm = match thickness::estimate(&m.meridians, material.index(), g, surfacing) {
            Ok(t) => {
                let (point, at) = if t.centre_mm >= t.thickest_edge_mm {
                    ("centre", t.centre_mm)
                } else {
                    ("edge", t.thickest_edge_mm)
                };
                why.push(format!(
                    "Estimated thickest {point} {at:.1} mm (centre {:.1}, edges {:.1}–{:.1} mm, minimum edge {:.1} mm) \
                     {} the {limit_mm:.1} mm limit for {}.",
                    t.centre_mm,
                    t.thinnest_edge_mm,
                    t.thickest_edge_mm,
                    rim.min_edge_mm(),
                    if at <= limit_mm { "within" } else { "over" },
                    if query.max_thickness_mm.is_some() { "this query".to_owned() } else { format!("a {rim} frame") }
                ));
                Some(at)
            }
            Err(e) => {
                why.push(format!("The lens cannot be made in it: {e}."));
                None
            }
        };
        let similar_orders = similar.get(&stocked.sku).copied().unwrap_or(0);
        let all_orders = all.get(&stocked.sku).copied().unwrap_or(0);
        if !query.history.is_empty() {
            why.push(format!(
                "Chosen by {similar_orders} of {similar_total} past orders with a similar prescription; \
                 {all_orders} of {} orders in all.",
                query.history.len()
            ));
        }
        let in_stock = stocked.on_hand > 0;
        why.push(if in_stock {
            format!("{} on hand.", stocked.on_hand)
        } else {
            "Out of stock: none on hand; it can be ordered in.".to_owned()
        });
        let ranked = RankedFrame {
            sku: stocked.sku.clone(),
            name: stocked.name.clone(),
            in_stock,
            thickest_mm,
            limit_mm,
            similar_orders,
            all_orders,
            explanation: why,
        };
        match thickest_mm {
            Some(t) if t <= limit_mm => suitable.push((ranked, stocked.on_hand)),
            _ => unsuitable.push(ranked),
        }
    }
    suitable.sort_by(|(a, a_on_hand), (b, b_on_hand)| {
        b.in_stock
            .cmp(&a.in_stock)
            .then(b.similar_orders.cmp(&a.similar_orders))
            .then(b.all_orders.cmp(&a.all_orders))
            .then(a.thickest_mm.unwrap_or(0.0).total_cmp(&b.thickest_mm.unwrap_or(0.0)))
            .then(b_on_hand.cmp(a_on_hand))
            .then(a.sku.cmp(&b.sku))
    });
    Ok(FrameRanking { suitable: suitable.into_iter().map(|(r, _)| r).collect(), unsuitable, explanation })
}

fn check(query: &FrameQuery) -> Result<(), RecoError> {
    let in_range = |field: String, value: f64, lo: f64, hi: f64| {
        if value.is_finite() && (lo..=hi).contains(&value) {
            Ok(())
        } else {
            Err(RecoError::Invalid { field, message: format!("{value} is outside {lo}–{hi}") })
        }
    };
    in_range("pd_mm".into(), query.pd_mm, 40.0, 80.0)?;
    if let Some(limit) = query.max_thickness_mm {
        in_range("max_thickness_mm".into(), limit, 1.0, 20.0)?;
    }
    for (i, f) in query.frames.iter().enumerate() {
        in_range(format!("frames[{i}].eye_size_mm"), f.eye_size_mm, 30.0, 75.0)?;
        in_range(format!("frames[{i}].bridge_mm"), f.bridge_mm, 10.0, 30.0)?;
    }
    for (i, o) in query.history.iter().enumerate() {
        in_range(format!("history[{i}].spherical_equivalent"), o.spherical_equivalent, -30.0, 30.0)?;
        in_range(format!("history[{i}].cylinder"), o.cylinder, -15.0, 15.0)?;
    }
    Ok(())
}
