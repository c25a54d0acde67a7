//! `lens`: the input is a [`LensQuery`] (one eye's prescription at the top level, the patient's
//! age, PD and frame); the answer is the suggested lens, and a second pair when one is worth
//! offering, with the thickness figures the estimate found.

use ils_plugin_sdk::{Error, Recommendation};

use super::{figure, input, refused, words};
use crate::optics::{Design, LensQuery, LensSuggestion, Material, suggest_lens};

fn design_name(d: Design) -> &'static str {
    match d {
        Design::SingleVision => "single vision",
        Design::Progressive => "progressive",
        Design::Occupational => "occupational (desk) progressive",
    }
}

/// The material as a dispenser names it on an order: its index, and the resin's name where
/// the trade uses one.
pub fn material_name(m: Material) -> &'static str {
    match m {
        Material::Cr39 => "1.50 CR-39",
        Material::Trivex => "1.53 Trivex",
        Material::Polycarbonate => "1.59 polycarbonate",
        Material::Index160 => "1.60",
        Material::Index167 => "1.67",
        Material::Index174 => "1.74",
    }
}

/// The title a dispenser reads: `1.67 aspheric single vision`.
pub fn title(s: &LensSuggestion) -> String {
    let aspheric = if s.aspheric { " aspheric" } else { "" };
    format!("{}{aspheric} {}", material_name(s.material), design_name(s.design))
}

/// The recommendations for one query.
pub fn recommend(text: &str) -> Result<Vec<Recommendation>, Error> {
    let query: LensQuery = input("lens", text)?;
    let s = suggest_lens(&query).map_err(refused)?;
    let t = &s.thickness;
    let mut figures = vec![
        figure("refractive index", t.index, ""),
        figure("base curve", t.base_curve, "D"),
        figure("centre thickness", t.centre_mm, "mm"),
        figure("thickest edge", t.thickest_edge_mm, "mm"),
        figure("thinnest edge", t.thinnest_edge_mm, "mm"),
        figure("effective diameter", s.frame.effective_diameter_mm, "mm"),
        figure("decentration per eye", s.frame.decentration_mm, "mm"),
        figure("smallest uncut blank", s.frame.min_blank_diameter_mm, "mm"),
    ];
    if let Some(smaller) = &s.frame.smaller_frame {
        figures.push(figure("thickest in a smaller frame", smaller.thickest_mm, "mm"));
        figures.push(figure("smaller frame eye size", smaller.eye_size_mm, "mm"));
    }
    let mut out = vec![Recommendation {
        subject: format!(
            "{}|{}|{}",
            s.material,
            if s.aspheric { "aspheric" } else { "spheric" },
            design_name(s.design)
        ),
        title: title(&s),
        score: 0.9,
        explanation: words(&s.explanation),
        figures,
        action: None,
    }];
    if let Some(second) = s.second_pair {
        out.push(Recommendation {
            subject: format!("second-pair|{}", design_name(second)),
            title: format!("Second pair: {} {}", material_name(s.material), design_name(second)),
            score: 0.5,
            explanation: format!(
                "Worth offering beside the main pair for {}: see the main suggestion's reasons.",
                design_name(second)
            ),
            figures: Vec::new(),
            action: None,
        });
    }
    Ok(out)
}
