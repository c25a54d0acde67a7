//! Prism: as prescribed (horizontal and vertical components), as a resultant in the 0–360°
//! notation (DCS `PRVA`), and as induced by decentration (Prentice's rule).

use serde::{Deserialize, Serialize};

use crate::error::InvalidValue;
use crate::eye::Eye;
use crate::power::Power;

/// Horizontal prism base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum HorizontalBase {
    /// Base in (towards the nose).
    In,
    /// Base out.
    Out,
}

/// Vertical prism base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum VerticalBase {
    /// Base up.
    Up,
    /// Base down.
    Down,
}

/// Prism for one eye as prescribed: a horizontal and/or a vertical component, in hundredths
/// of a prism dioptre.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Prism {
    /// The horizontal component (hundredths of Δ) and its base, if prescribed.
    pub horizontal: Option<(u32, HorizontalBase)>,
    /// The vertical component (hundredths of Δ) and its base, if prescribed.
    pub vertical: Option<(u32, VerticalBase)>,
}

impl Prism {
    /// Checks each component: above 0 and at most 20Δ, in 0.25Δ steps.
    pub fn new(
        horizontal: Option<(f64, HorizontalBase)>,
        vertical: Option<(f64, VerticalBase)>,
    ) -> Result<Self, InvalidValue> {
        let check = |field: &str, value: f64| -> Result<u32, InvalidValue> {
            let hundredths = (value * 100.0).round();
            if !(value > 0.0 && value <= 20.0) || (value * 4.0).fract() != 0.0 {
                return Err(InvalidValue::new(
                    field,
                    format!("prism {value}Δ must be 0.25–20Δ in 0.25Δ steps"),
                ));
            }
            // At most 2000 here, so the cast is exact.
            Ok(hundredths as u32)
        };
        Ok(Prism {
            horizontal: horizontal.map(|(v, b)| check("prism_horizontal", v).map(|h| (h, b))).transpose()?,
            vertical: vertical.map(|(v, b)| check("prism_vertical", v).map(|h| (h, b))).transpose()?,
        })
    }

    /// The resultant (compound) prism: see [`resultant`].
    pub fn compound(&self, eye: Eye) -> Option<(f64, f64)> {
        resultant(
            eye,
            self.horizontal.map(|(v, base)| (f64::from(v) / 100.0, base)),
            self.vertical.map(|(v, base)| (f64::from(v) / 100.0, base)),
        )
    }
}

/// The resultant of a horizontal and a vertical prism (amounts in Δ): magnitude √(H² + V²) in
/// Δ, and its base direction in the 0–360° notation (DCS `PRVA`), seen from the front: base in
/// is 0° for the right eye and 180° for the left; base up is 90°, base down 270°. `None` when
/// there is no prism.
pub fn resultant(
    eye: Eye,
    horizontal: Option<(f64, HorizontalBase)>,
    vertical: Option<(f64, VerticalBase)>,
) -> Option<(f64, f64)> {
    let h = horizontal.map_or(0.0, |(amount, base)| match (eye, base) {
        (Eye::Right, HorizontalBase::In) | (Eye::Left, HorizontalBase::Out) => amount,
        _ => -amount,
    });
    let v = vertical.map_or(0.0, |(amount, base)| match base {
        VerticalBase::Up => amount,
        VerticalBase::Down => -amount,
    });
    if h == 0.0 && v == 0.0 {
        return None;
    }
    let angle = v.atan2(h).to_degrees().rem_euclid(360.0);
    Some((h.hypot(v), angle))
}

/// Prentice's rule: the prism (Δ) a lens of `power` induces at `decentration_mm` from its
/// optical centre, Δ = F × c with c in centimetres.
pub fn prentice(power: Power, decentration_mm: f64) -> f64 {
    power.dioptres().abs() * decentration_mm / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compound_prism_matches_the_domain_examples() {
        let right = Prism::new(Some((2.0, HorizontalBase::In)), Some((1.5, VerticalBase::Up))).unwrap();
        let (magnitude, angle) = right.compound(Eye::Right).unwrap();
        assert!((magnitude - 2.5).abs() < 1e-9);
        assert!((angle - 36.87).abs() < 0.01, "{angle}");
        let left = Prism::new(Some((2.0, HorizontalBase::In)), Some((1.5, VerticalBase::Down))).unwrap();
        let (magnitude, angle) = left.compound(Eye::Left).unwrap();
        assert!((magnitude - 2.5).abs() < 1e-9);
        assert!((angle - 216.87).abs() < 0.01, "{angle}");
        assert!(Prism::new(Some((0.3, HorizontalBase::In)), None).is_err());
        assert!(Prism::new(None, Some((25.0, VerticalBase::Up))).is_err());
        assert_eq!(Prism::default().compound(Eye::Left), None);
    }

    #[test]
    fn resultant_takes_any_amount_and_base_out_is_180_on_the_right() {
        assert_eq!(resultant(Eye::Right, Some((3.0, HorizontalBase::Out)), None), Some((3.0, 180.0)));
        assert_eq!(resultant(Eye::Left, Some((0.1, HorizontalBase::Out)), None), Some((0.1, 0.0)));
        assert_eq!(resultant(Eye::Right, None, Some((1.0, VerticalBase::Down))), Some((1.0, 270.0)));
        assert_eq!(resultant(Eye::Right, Some((0.0, HorizontalBase::In)), None), None);
    }

    #[test]
    fn prentice_rule_gives_induced_prism() {
        assert!((prentice(Power::from_dioptres(-4.0).unwrap(), 5.0) - 2.0).abs() < 1e-12);
        assert!((prentice(Power::from_dioptres(2.5).unwrap(), 4.0) - 1.0).abs() < 1e-12);
        assert_eq!(prentice(Power::PLANO, 10.0), 0.0);
    }
}
