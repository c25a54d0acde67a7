//! Lens materials and the rule that picks one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A lens material, by the refractive index the trade names it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Material {
    /// CR-39 hard resin, n = 1.50.
    Cr39,
    /// Trivex, n = 1.53: impact resistant and light.
    Trivex,
    /// Polycarbonate, n = 1.59: impact resistant.
    Polycarbonate,
    /// Mid-index resin, n = 1.60.
    Index160,
    /// High-index resin, n = 1.67.
    Index167,
    /// High-index resin, n = 1.74.
    Index174,
}

impl Material {
    /// The refractive index used in the thickness estimate.
    pub fn index(self) -> f64 {
        match self {
            Material::Cr39 => 1.50,
            Material::Trivex => 1.53,
            Material::Polycarbonate => 1.59,
            Material::Index160 => 1.60,
            Material::Index167 => 1.67,
            Material::Index174 => 1.74,
        }
    }

    /// The thinnest centre a lab surfaces a minus lens to in this material, in mm: 2.0 for
    /// CR-39, whose brittleness needs it; 1.5 for the others (the impact-resistant and
    /// high-index materials are commonly made thinner, 1.5 is a safe default for all of them).
    pub fn min_centre_mm(self) -> f64 {
        match self {
            Material::Cr39 => 2.0,
            _ => 1.5,
        }
    }
}

impl fmt::Display for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Material::Cr39 => "CR-39",
            Material::Trivex => "Trivex",
            Material::Polycarbonate => "polycarbonate",
            Material::Index160 => "1.60",
            Material::Index167 => "1.67",
            Material::Index174 => "1.74",
        };
        write!(f, "{name} (n = {:.2})", self.index())
    }
}

/// The material rule, on the power of the strongest meridian (its magnitude, in dioptres) and
/// the patient's age:
///
/// - under 16: Trivex up to 4.00 D, polycarbonate beyond (impact resistance first);
/// - otherwise: CR-39 up to 2.00 D, 1.60 up to 4.00 D, 1.67 up to 6.00 D, 1.74 beyond.
///
/// Returns the material and the reason, with the figures.
pub fn suggest_material(strongest: f64, age_years: u8) -> (Material, String) {
    if age_years < 16 {
        let material = if strongest <= 4.0 { Material::Trivex } else { Material::Polycarbonate };
        let why = format!(
            "{material}: the patient is {age_years}, under 16, so an impact-resistant material; \
             strongest meridian {strongest:.2} D {} 4.00 D",
            if strongest <= 4.0 { "≤" } else { ">" }
        );
        return (material, why);
    }
    let (material, band) = if strongest <= 2.0 {
        (Material::Cr39, "≤ 2.00 D")
    } else if strongest <= 4.0 {
        (Material::Index160, "over 2.00 D and ≤ 4.00 D")
    } else if strongest <= 6.0 {
        (Material::Index167, "over 4.00 D and ≤ 6.00 D")
    } else {
        (Material::Index174, "over 6.00 D")
    };
    (material, format!("{material}: strongest meridian {strongest:.2} D is {band}"))
}
