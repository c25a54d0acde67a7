//! Lens thickness from surface sags.
//!
//! A surface of power F (dioptres) in a material of index n has radius r = (n − 1)/F metres; at a
//! distance y from the optical centre it departs from its vertex plane by the sag
//! s = r − √(r² − y²). The front surface is the base curve F₁; the back surface makes up the rest
//! of each meridian's power, F₂ = F − F₁ (the thin-lens split: the thickness term of the
//! lens-maker's equation is left out, which moves F₂ by a few hundredths of a dioptre at these
//! thicknesses). With sags signed like their surfaces, the thickness at y in a meridian is
//! t(y) = t_c − s₁(y) − s₂(y); the explanation shows a concave back's sag as negative.
//!
//! The centre thickness t_c is the smallest that keeps every meridian at least the minimum edge
//! thickness at the farthest edge point, and never less than the material's minimum centre.
//! The farthest edge point is y = ED/2 + decentration, assumed to fall in every meridian — the
//! conservative case, since a real shape puts its longest radius in one direction only.

use serde::{Deserialize, Serialize};

use crate::error::RecoError;
use crate::explain::Explanation;

/// How the lens sits in the frame, in millimetres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geometry {
    /// Effective diameter: twice the longest radius of the lens shape from its boxed centre.
    pub effective_diameter_mm: f64,
    /// How far the optical centre moves in from the boxed centre: (A + DBL − PD)/2.
    pub decentration_mm: f64,
}

impl Geometry {
    /// The distance from the optical centre to the farthest edge point: ED/2 + decentration.
    pub fn edge_radius_mm(&self) -> f64 {
        self.effective_diameter_mm / 2.0 + self.decentration_mm.abs()
    }
}

/// What the thickness estimate found, in millimetres.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThicknessEstimate {
    /// The refractive index used.
    pub index: f64,
    /// The front surface power (base curve) used, in dioptres.
    pub base_curve: f64,
    /// Distance from the optical centre to the farthest edge point.
    pub edge_radius_mm: f64,
    /// The thickness at the optical centre.
    pub centre_mm: f64,
    /// The thickest point of the edge (the most minus meridian).
    pub thickest_edge_mm: f64,
    /// The thinnest point of the edge (the most plus meridian).
    pub thinnest_edge_mm: f64,
    /// The workings, with the figures.
    pub explanation: Explanation,
}

impl ThicknessEstimate {
    /// The thickest point of the lens: its centre for a plus lens, its edge for a minus one.
    pub fn thickest_mm(&self) -> f64 {
        self.centre_mm.max(self.thickest_edge_mm)
    }
}

/// Minimum thicknesses and the front curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Surfacing {
    /// Front surface power in dioptres.
    pub base_curve: f64,
    /// The thinnest centre allowed.
    pub min_centre_mm: f64,
    /// The thinnest edge allowed.
    pub min_edge_mm: f64,
}

/// The signed sag of a surface of power `power` (D) in index `n` at `y` mm: positive for a convex
/// surface, negative for a concave one. None when the surface is too steep to reach `y`.
pub fn sag_mm(power: f64, n: f64, y: f64) -> Option<f64> {
    if power == 0.0 {
        return Some(0.0);
    }
    let r = 1000.0 * (n - 1.0) / power.abs();
    let under = r * r - y * y;
    if under < 0.0 {
        return None;
    }
    Some(power.signum() * (r - under.sqrt()))
}

/// The base curve by Vogel's rule on the spherical equivalent (SE): SE + 6 for a plus lens,
/// SE/2 + 6 for a minus one, rounded to the nearest dioptre, kept within +0.50…+10.00 D.
pub fn vogel_base_curve(spherical_equivalent: f64) -> f64 {
    let raw = if spherical_equivalent >= 0.0 {
        spherical_equivalent + 6.0
    } else {
        spherical_equivalent / 2.0 + 6.0
    };
    raw.round().clamp(0.5, 10.0)
}

/// Estimates thickness for the principal meridian powers `meridians` (dioptres).
pub fn estimate(
    meridians: &[f64],
    n: f64,
    geometry: Geometry,
    surfacing: Surfacing,
) -> Result<ThicknessEstimate, RecoError> {
    let y = geometry.edge_radius_mm();
    let f1 = surfacing.base_curve;
    let too_steep = |power: f64| {
        RecoError::invalid(
            "frame",
            format!(
                "a {power:+.2} D surface in n = {n:.2} cannot reach {y:.1} mm from the optical centre; \
                 choose a smaller frame or a higher index"
            ),
        )
    };
    let s1 = sag_mm(f1, n, y).ok_or_else(|| too_steep(f1))?;
    let mut explanation = Explanation::default();
    explanation.push(format!(
        "Edge point {y:.1} mm from the optical centre: ED {:.1}/2 + decentration {:.1} mm.",
        geometry.effective_diameter_mm,
        geometry.decentration_mm.abs()
    ));
    explanation.push(format!(
        "Front curve {f1:+.2} D: r₁ = (n − 1)/F = {:.3}/{:.2} = {:.1} mm, sag s₁ = {s1:.2} mm.",
        n - 1.0,
        f1,
        radius_mm(f1, n)
    ));
    // The sum s₁ + s₂ per meridian: t(y) = t_c − (s₁ + s₂).
    let mut drops = Vec::with_capacity(meridians.len());
    for &power in meridians {
        let f2 = power - f1;
        let s2 = sag_mm(f2, n, y).ok_or_else(|| too_steep(f2))?;
        explanation.push(format!(
            "Meridian {power:+.2} D: back curve F₂ = {power:+.2} − {f1:+.2} = {f2:+.2} D, r₂ = {:.1} mm, \
             sag s₂ = {s2:.2} mm.",
            radius_mm(f2, n)
        ));
        drops.push(s1 + s2);
    }
    let max_drop = drops.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min_drop = drops.iter().copied().fold(f64::INFINITY, f64::min);
    let for_edge = surfacing.min_edge_mm + max_drop;
    let centre_mm = for_edge.max(surfacing.min_centre_mm);
    if for_edge >= surfacing.min_centre_mm {
        explanation.push(format!(
            "Centre {centre_mm:.2} mm = minimum edge {:.2} + (s₁ + s₂) {max_drop:.2} mm in the most plus meridian.",
            surfacing.min_edge_mm
        ));
    } else {
        explanation.push(format!("Centre {centre_mm:.2} mm: the minimum centre thickness for the material."));
    }
    let thickest_edge_mm = centre_mm - min_drop;
    let thinnest_edge_mm = centre_mm - max_drop;
    explanation.push(format!(
        "Thickest edge {thickest_edge_mm:.2} mm = centre {centre_mm:.2} − (s₁ + s₂) {min_drop:.2} mm in the most minus meridian."
    ));
    Ok(ThicknessEstimate {
        index: n,
        base_curve: f1,
        edge_radius_mm: y,
        centre_mm,
        thickest_edge_mm,
        thinnest_edge_mm,
        explanation,
    })
}

fn radius_mm(power: f64, n: f64) -> f64 {
    if power == 0.0 { f64::INFINITY } else { 1000.0 * (n - 1.0) / power.abs() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_surface_of_ten_dioptres_in_crown_resin_sags_as_the_formula_says() {
        // r = 0.5/10 m = 50 mm; at 25 mm: 50 − √(2500 − 625) = 50 − 43.30 = 6.70 mm.
        let s = sag_mm(10.0, 1.5, 25.0).unwrap();
        assert!((s - 6.699).abs() < 0.001, "{s}");
        assert!((sag_mm(-10.0, 1.5, 25.0).unwrap() + 6.699).abs() < 0.001);
        assert_eq!(sag_mm(10.0, 1.5, 51.0), None);
    }

    #[test]
    fn vogel_picks_steeper_fronts_for_plus_and_flatter_for_minus() {
        assert_eq!(vogel_base_curve(4.0), 10.0);
        assert_eq!(vogel_base_curve(1.0), 7.0);
        assert_eq!(vogel_base_curve(-6.0), 3.0);
        assert_eq!(vogel_base_curve(-14.0), 0.5);
        assert_eq!(vogel_base_curve(8.0), 10.0);
    }
}
