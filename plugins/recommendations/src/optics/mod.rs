//! Lens and frame suggestions for one eye's prescription in a chosen frame.
//!
//! The rules, each on the strongest principal meridian of the prescription (minus-cylinder
//! form: the meridians are sphere and sphere + cylinder):
//!
//! - material: [`suggest_material`];
//! - aspheric: when the strongest meridian is 4.00 D or more, or the most plus meridian is
//!   +3.00 D or more (a plus lens magnifies, and an aspheric front flattens and thins it);
//! - design: no add — single vision; an add with desk use — occupational; an add for general
//!   wear — progressive, plus an occupational second pair when the add is +1.75 D or more or the
//!   patient is 55 or older (a general progressive's intermediate zone narrows as the add grows);
//! - thickness: [`thickness::estimate`] with ED = A + 4 mm unless the frame's ED is given,
//!   decentration (A + DBL − PD)/2, a base curve by [`thickness::vogel_base_curve`], a minimum
//!   edge of 1.0 mm and the material's minimum centre;
//! - frame: when the strongest meridian is 4.00 D or more or the decentration exceeds 4 mm, the
//!   same lens is estimated in a frame one size (4 mm of eye size) smaller.
//!
//! [`rank_frames`] goes the other way: from the prescription to the frames the practice stocks,
//! those the lens suits ranked by what similar prescriptions bought ([`frames`]).

pub mod frames;
mod material;
pub mod thickness;

use ils_optics::{Axis, Eye, EyeRx, Power, Prism, Steps};
use serde::{Deserialize, Serialize};

use crate::error::RecoError;
use crate::explain::Explanation;
pub use frames::{
    FrameQuery, FrameRanking, FrameSku, PastOrder, RankedFrame, Rim, StockedFrame, rank_frames,
};
pub use material::{Material, suggest_material};
pub use thickness::{Geometry, Surfacing, ThicknessEstimate};

/// Default ED allowance over the eye size: a typical shape's longest diagonal.
pub const ED_ALLOWANCE_MM: f64 = 4.0;
/// Default minimum edge thickness, for a bevelled full-rim frame.
pub const MIN_EDGE_MM: f64 = 1.0;
/// Added to ED + 2 × decentration for the smallest uncut blank that edges cleanly.
pub const EDGING_ALLOWANCE_MM: f64 = 2.0;

/// The frame as the patient chose it, in millimetres (boxed system).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// Eye size, the box width A.
    pub eye_size_mm: f64,
    /// Distance between lenses, DBL.
    pub bridge_mm: f64,
    /// The effective diameter when the frame's shape has been traced; otherwise A + 4 mm.
    #[serde(default)]
    pub effective_diameter_mm: Option<f64>,
}

/// What the patient mostly wears the glasses for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MainUse {
    /// All day, at every distance.
    #[default]
    General,
    /// At a desk or a screen: near and intermediate.
    Desk,
}

/// A lens design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Design {
    /// One power over the whole lens.
    SingleVision,
    /// Distance to near through a corridor.
    Progressive,
    /// Intermediate and near only (office, desk or computer progressive).
    Occupational,
}

/// One eye's prescription as the glue passes it: the fields of a lens or frame query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RxInput {
    /// Sphere, such as `"-6.00"`.
    pub sphere: Power,
    /// Cylinder in either form, if any.
    #[serde(default)]
    pub cylinder: Option<Power>,
    /// Cylinder axis, 1–180.
    #[serde(default)]
    pub axis: Option<u16>,
    /// Reading addition, if any.
    #[serde(default)]
    pub add: Option<Power>,
}

impl RxInput {
    /// The prescription, checked (an axis needs a cylinder; powers in steps the optics accept).
    fn parse(&self) -> Result<EyeRx, RecoError> {
        let axis = self.axis.map(|a| Axis::new("axis", i64::from(a))).transpose()?;
        let rx = EyeRx::measured(
            Eye::Right,
            self.sphere,
            self.cylinder.map(|c| (c, axis)),
            self.add,
            Prism::default(),
            Steps::Eighth,
        )?;
        if self.cylinder.is_none() && axis.is_some() {
            return Err(RecoError::invalid("axis", "an axis without a cylinder is meaningless"));
        }
        Ok(rx)
    }
}

/// One eye's prescription, the patient and the frame, as the glue passes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LensQuery {
    /// The prescription (its fields sit at the top level of the JSON).
    #[serde(flatten)]
    pub rx: RxInput,
    /// The patient's age in years.
    pub age_years: u8,
    /// Binocular pupillary distance in mm.
    pub pd_mm: f64,
    /// The chosen frame.
    pub frame: Frame,
    /// What the glasses are mostly for.
    #[serde(default)]
    pub main_use: MainUse,
    /// A material the dispenser has already chosen; the rule picks one otherwise.
    #[serde(default)]
    pub material: Option<Material>,
    /// A base curve the lab has chosen (dioptres); Vogel's rule otherwise.
    #[serde(default)]
    pub base_curve: Option<f64>,
}

/// The thickness of the same lens in a smaller frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmallerFrame {
    /// The eye size estimated.
    pub eye_size_mm: f64,
    /// The thickest point of the lens in it.
    pub thickest_mm: f64,
    /// How much thinner than in the chosen frame.
    pub saving_mm: f64,
}

/// What the frame means for the lens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameAdvice {
    /// The effective diameter used.
    pub effective_diameter_mm: f64,
    /// Inward decentration per eye, (A + DBL − PD)/2.
    pub decentration_mm: f64,
    /// The smallest uncut blank: ED + 2 × decentration + 2 mm.
    pub min_blank_diameter_mm: f64,
    /// The same lens in a frame one size smaller, when the power or decentration makes it worth it.
    pub smaller_frame: Option<SmallerFrame>,
}

/// The suggestion for one eye.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LensSuggestion {
    /// The prescription read, in minus-cylinder form, as the trade writes it.
    pub prescription: String,
    /// The material chosen (by the rule or by the dispenser).
    pub material: Material,
    /// Whether an aspheric design is suggested.
    pub aspheric: bool,
    /// The main pair's design.
    pub design: Design,
    /// A second pair worth offering.
    pub second_pair: Option<Design>,
    /// The thickness estimate in the chosen frame.
    pub thickness: ThicknessEstimate,
    /// What the frame means for the lens.
    pub frame: FrameAdvice,
    /// Every rule applied, with its figures.
    pub explanation: Explanation,
}

/// Suggests material, design and frame for one eye and estimates the lens thickness.
pub fn suggest_lens(query: &LensQuery) -> Result<LensSuggestion, RecoError> {
    let rx = query.rx.parse()?;
    check_frame(query)?;
    let Meridians { sphere, cylinder, ref meridians, strongest, most_plus } = Meridians::of(&rx);
    let meridians = meridians.as_slice();
    let mut explanation = Explanation::default();
    explanation.push(format!(
        "Prescription {rx}: principal meridians {}; strongest {strongest:.2} D.",
        Meridians::listed(meridians)
    ));

    let material = match query.material {
        Some(m) => {
            explanation.push(format!("{m}: chosen by the dispenser."));
            m
        }
        None => {
            let (m, why) = suggest_material(strongest, query.age_years);
            explanation.push(why);
            m
        }
    };

    let aspheric = strongest >= 4.0 || most_plus >= 3.0;
    explanation.push(if aspheric {
        format!("Aspheric: strongest meridian {strongest:.2} D ≥ 4.00 D or most plus {most_plus:+.2} D ≥ +3.00 D.")
    } else {
        format!("Spherical design: strongest meridian {strongest:.2} D < 4.00 D and most plus {most_plus:+.2} D < +3.00 D.")
    });

    let (design, second_pair) = design(rx.add(), query.age_years, query.main_use, &mut explanation);

    let spherical_equivalent = sphere + cylinder / 2.0;
    let base_curve = match query.base_curve {
        Some(b) => b,
        None => {
            let b = thickness::vogel_base_curve(spherical_equivalent);
            explanation.push(format!(
                "Base curve {b:+.2} D by Vogel's rule on the spherical equivalent {spherical_equivalent:+.2} D."
            ));
            b
        }
    };
    let surfacing =
        Surfacing { base_curve, min_centre_mm: material.min_centre_mm(), min_edge_mm: MIN_EDGE_MM };
    let geometry = geometry(&query.frame, query.pd_mm);
    let thickness = thickness::estimate(meridians, material.index(), geometry, surfacing)?;
    explanation.push(format!(
        "Estimated centre {:.1} mm, thickest edge {:.1} mm in {material}.",
        thickness.centre_mm, thickness.thickest_edge_mm
    ));

    let min_blank_diameter_mm =
        geometry.effective_diameter_mm + 2.0 * geometry.decentration_mm.abs() + EDGING_ALLOWANCE_MM;
    explanation.push(format!(
        "Frame: ED {:.1} mm, decentration ({:.1} + {:.1} − {:.1})/2 = {:.1} mm per eye, smallest blank {:.1} mm.",
        geometry.effective_diameter_mm,
        query.frame.eye_size_mm,
        query.frame.bridge_mm,
        query.pd_mm,
        geometry.decentration_mm,
        min_blank_diameter_mm
    ));
    let smaller_frame = if strongest >= 4.0 || geometry.decentration_mm > 4.0 {
        let smaller = Frame {
            eye_size_mm: query.frame.eye_size_mm - 4.0,
            effective_diameter_mm: query.frame.effective_diameter_mm.map(|ed| ed - 4.0),
            ..query.frame
        };
        let estimate = thickness::estimate(
            meridians,
            material.index(),
            self::geometry(&smaller, query.pd_mm),
            surfacing,
        )?;
        let saving_mm = thickness.thickest_mm() - estimate.thickest_mm();
        explanation.push(format!(
            "A frame with eye size {:.0} mm instead of {:.0} mm would make the lens {:.1} mm at its thickest instead of {:.1} mm.",
            smaller.eye_size_mm,
            query.frame.eye_size_mm,
            estimate.thickest_mm(),
            thickness.thickest_mm()
        ));
        Some(SmallerFrame {
            eye_size_mm: smaller.eye_size_mm,
            thickest_mm: estimate.thickest_mm(),
            saving_mm,
        })
    } else {
        None
    };

    Ok(LensSuggestion {
        prescription: rx.to_string(),
        material,
        aspheric,
        design,
        second_pair,
        thickness,
        frame: FrameAdvice {
            effective_diameter_mm: geometry.effective_diameter_mm,
            decentration_mm: geometry.decentration_mm,
            min_blank_diameter_mm,
            smaller_frame,
        },
        explanation,
    })
}

/// The frame's geometry for a binocular PD: ED as given or A + 4 mm, decentration (A + DBL − PD)/2.
pub fn geometry(frame: &Frame, pd_mm: f64) -> Geometry {
    Geometry {
        effective_diameter_mm: frame.effective_diameter_mm.unwrap_or(frame.eye_size_mm + ED_ALLOWANCE_MM),
        decentration_mm: (frame.eye_size_mm + frame.bridge_mm - pd_mm) / 2.0,
    }
}

/// A prescription's principal meridians in minus-cylinder form.
struct Meridians {
    sphere: f64,
    cylinder: f64,
    meridians: Vec<f64>,
    /// The largest magnitude.
    strongest: f64,
    most_plus: f64,
}

impl Meridians {
    fn of(rx: &EyeRx) -> Self {
        let sphere = rx.sphere().dioptres();
        let cylinder = rx.cylinder().map_or(0.0, |(c, _)| c.dioptres());
        let meridians = if cylinder == 0.0 { vec![sphere] } else { vec![sphere, sphere + cylinder] };
        let strongest = meridians.iter().fold(0.0_f64, |m, p| m.max(p.abs()));
        let most_plus = meridians.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Meridians { sphere, cylinder, meridians, strongest, most_plus }
    }

    fn spherical_equivalent(&self) -> f64 {
        self.sphere + self.cylinder / 2.0
    }

    fn listed(meridians: &[f64]) -> String {
        meridians.iter().map(|m| format!("{m:+.2} D")).collect::<Vec<_>>().join(" and ")
    }
}

fn check_frame(query: &LensQuery) -> Result<(), RecoError> {
    let in_range = |field: &str, value: f64, lo: f64, hi: f64| {
        if value.is_finite() && (lo..=hi).contains(&value) {
            Ok(())
        } else {
            Err(RecoError::invalid(field, format!("{value} mm is outside {lo}–{hi} mm")))
        }
    };
    in_range("frame.eye_size_mm", query.frame.eye_size_mm, 30.0, 75.0)?;
    in_range("frame.bridge_mm", query.frame.bridge_mm, 10.0, 30.0)?;
    in_range("pd_mm", query.pd_mm, 40.0, 80.0)?;
    if let Some(ed) = query.frame.effective_diameter_mm {
        in_range("frame.effective_diameter_mm", ed, query.frame.eye_size_mm, 85.0)?;
    }
    Ok(())
}

fn design(
    add: Option<Power>,
    age_years: u8,
    main_use: MainUse,
    explanation: &mut Explanation,
) -> (Design, Option<Design>) {
    let Some(add) = add else {
        explanation.push("Single vision: no reading addition.");
        return (Design::SingleVision, None);
    };
    let add = add.dioptres();
    if main_use == MainUse::Desk {
        explanation.push(format!("Occupational: add {add:+.2} D for desk and screen use."));
        return (Design::Occupational, None);
    }
    if add >= 1.75 || age_years >= 55 {
        explanation.push(format!(
            "Progressive for general wear, and an occupational second pair: add {add:+.2} D ≥ +1.75 D \
             or age {age_years} ≥ 55 narrows a progressive's intermediate zone."
        ));
        (Design::Progressive, Some(Design::Occupational))
    } else {
        explanation.push(format!(
            "Progressive for general wear: add {add:+.2} D < +1.75 D and age {age_years} < 55."
        ));
        (Design::Progressive, None)
    }
}
