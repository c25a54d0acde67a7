//! Spectacle and contact-lens prescriptions for one eye: parsed, checked and transposed as
//! DOMAIN.md sets out. A value of these types exists only in a valid state.
//!
//! Rules chosen where the sources leave room (each tested below):
//! - Powers are written with an explicit sign (`+2.00`, `-1.75`; `0.00`/`plano` need none), in
//!   0.25 D steps, or 0.125 D (written `.12/.37/.62/.87`) where the lab accepts eighths.
//! - Implausible powers are refused: sphere beyond ±30.00 D, cylinder beyond ±12.00 D, an add
//!   outside +0.25…+5.00 D, prism over 20Δ.
//! - A cylinder needs an axis, an axis needs a cylinder; an axis of 0 is 180.
//! - The canonical (stored) form is minus cylinder; plus-cylinder form is a transposition.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

crate::db::text_enum! {
    /// Which power steps a tenant records (a per-lab setting: some labs also work in eighths).
    #[derive(Default)]
    pub enum Steps {
        /// 0.25 D (the default).
        #[default]
        Quarter = "quarter",
        /// 0.125 D as well (.12, .37, .62, .87).
        Eighth = "eighth",
    }
}

/// A lens power, held in eighths of a dioptre.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Power(i32);

impl Power {
    /// Zero (plano).
    pub const PLANO: Power = Power(0);

    /// Parses `+2.00`, `-1.75`, `−0.37` (eighths), `0.00` or `plano`.
    pub fn parse(field: &str, text: &str, steps: Steps) -> Result<Self> {
        let text = text.trim();
        if matches!(
            text.to_ascii_lowercase().as_str(),
            "plano" | "pl" | "0" | "0.0" | "0.00" | "+0.00" | "-0.00"
        ) {
            return Ok(Power::PLANO);
        }
        let (sign, rest) = match text.chars().next() {
            Some('+') => (1, &text[1..]),
            Some('-') => (-1, &text[1..]),
            Some('−') => (-1, &text['−'.len_utf8()..]),
            _ => {
                return Err(Error::invalid_field(
                    field,
                    format!("{text:?} needs an explicit sign, e.g. +2.00 or -1.75"),
                ));
            }
        };
        let (whole, fraction) = rest.split_once('.').unwrap_or((rest, "00"));
        let whole: i32 = whole
            .parse()
            .map_err(|_| Error::invalid_field(field, format!("{text:?} is not a power in dioptres")))?;
        let eighths = match fraction {
            "0" | "00" => 0,
            "12" | "125" => 1,
            "25" => 2,
            "37" | "375" => 3,
            "5" | "50" => 4,
            "62" | "625" => 5,
            "75" => 6,
            "87" | "875" => 7,
            _ => {
                return Err(Error::invalid_field(field, format!("{text:?} is not in 0.25 D steps")));
            }
        };
        if eighths % 2 == 1 && steps == Steps::Quarter {
            return Err(Error::invalid_field(
                field,
                format!("{text:?} is in 0.125 D steps; this lab takes 0.25 D steps"),
            ));
        }
        Ok(Power(sign * (whole.saturating_mul(8) + eighths)))
    }

    /// From a number of dioptres that is a multiple of 0.125 (device output, tests).
    pub fn from_dioptres(dioptres: f64) -> Option<Self> {
        let eighths = dioptres * 8.0;
        (eighths.fract() == 0.0 && eighths.abs() < 10_000.0).then_some(Power(eighths as i32))
    }

    /// Eighths of a dioptre, as stored.
    pub fn eighths(self) -> i32 {
        self.0
    }

    /// From stored eighths of a dioptre.
    pub fn from_eighths(eighths: i32) -> Self {
        Power(eighths)
    }

    /// The power in dioptres.
    pub fn dioptres(self) -> f64 {
        f64::from(self.0) / 8.0
    }

    /// The magnitude, for band rules that read powers unsigned.
    pub fn abs(self) -> Power {
        Power(self.0.abs())
    }

    fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::Add for Power {
    type Output = Power;
    fn add(self, other: Power) -> Power {
        Power(self.0 + other.0)
    }
}

impl std::ops::Neg for Power {
    type Output = Power;
    fn neg(self) -> Power {
        Power(-self.0)
    }
}

impl fmt::Display for Power {
    /// `+2.00`, `-1.75`, `+0.12` for an eighth (the trade's way of writing 0.125).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let abs = self.0.unsigned_abs();
        let hundredths = [0, 12, 25, 37, 50, 62, 75, 87][(abs % 8) as usize];
        write!(f, "{sign}{}.{hundredths:02}", abs / 8)
    }
}

impl Serialize for Power {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A cylinder axis, 1–180°.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Axis(u16);

impl Axis {
    /// Checks the range; 0 is written 180.
    pub fn new(field: &str, degrees: i64) -> Result<Self> {
        match degrees {
            0 => Ok(Axis(180)),
            1..=180 => Ok(Axis(degrees as u16)),
            _ => Err(Error::invalid_field(field, format!("axis {degrees} is outside 1–180°"))),
        }
    }

    /// From stored degrees (already checked).
    pub fn from_stored(degrees: u16) -> Self {
        Axis(degrees.clamp(1, 180))
    }

    /// Degrees, 1–180.
    pub fn degrees(self) -> u16 {
        self.0
    }

    /// Turned by 90°, staying in 1–180.
    pub fn rotated(self) -> Axis {
        Axis(if self.0 > 90 { self.0 - 90 } else { self.0 + 90 })
    }
}

/// Horizontal prism base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HorizontalBase {
    /// Base in (towards the nose).
    In,
    /// Base out.
    Out,
}

/// Vertical prism base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum VerticalBase {
    /// Base up.
    Up,
    /// Base down.
    Down,
}

/// Which eye.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Eye {
    /// Right.
    Right,
    /// Left.
    Left,
}

/// Prism for one eye as prescribed: a horizontal and/or a vertical component, in hundredths
/// of a prism dioptre.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Prism {
    /// Horizontal component.
    pub horizontal: Option<(u32, HorizontalBase)>,
    /// Vertical component.
    pub vertical: Option<(u32, VerticalBase)>,
}

impl Prism {
    /// Checks each component: above 0 and at most 20Δ, in 0.25Δ steps.
    pub fn new(
        horizontal: Option<(f64, HorizontalBase)>,
        vertical: Option<(f64, VerticalBase)>,
    ) -> Result<Self> {
        let check = |field: &str, value: f64| -> Result<u32> {
            let hundredths = (value * 100.0).round();
            if !(value > 0.0 && value <= 20.0) || (value * 4.0).fract() != 0.0 {
                return Err(Error::invalid_field(
                    field,
                    format!("prism {value}Δ must be 0.25–20Δ in 0.25Δ steps"),
                ));
            }
            Ok(hundredths as u32)
        };
        Ok(Prism {
            horizontal: horizontal.map(|(v, b)| check("prism_horizontal", v).map(|h| (h, b))).transpose()?,
            vertical: vertical.map(|(v, b)| check("prism_vertical", v).map(|h| (h, b))).transpose()?,
        })
    }

    /// The resultant (compound) prism: magnitude √(H² + V²) in Δ, and its base direction in the
    /// 0–360° notation (DCS `PRVA`), seen from the front: base in is 0° for the right eye and
    /// 180° for the left; base up is 90°, base down 270°.
    pub fn compound(&self, eye: Eye) -> Option<(f64, f64)> {
        let h = self.horizontal.map_or(0.0, |(v, base)| {
            let toward_zero = match (eye, base) {
                (Eye::Right, HorizontalBase::In) | (Eye::Left, HorizontalBase::Out) => 1.0,
                _ => -1.0,
            };
            toward_zero * f64::from(v) / 100.0
        });
        let v = self.vertical.map_or(0.0, |(v, base)| match base {
            VerticalBase::Up => f64::from(v) / 100.0,
            VerticalBase::Down => -f64::from(v) / 100.0,
        });
        if h == 0.0 && v == 0.0 {
            return None;
        }
        let angle = v.atan2(h).to_degrees().rem_euclid(360.0);
        Some((h.hypot(v), angle))
    }
}

/// Prentice's rule: the prism (Δ) a lens of `power` induces at `decentration_mm` from its
/// optical centre, Δ = F × c with c in centimetres.
pub fn prentice(power: Power, decentration_mm: f64) -> f64 {
    power.dioptres().abs() * decentration_mm / 10.0
}

/// Which way the cylinder is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CylinderForm {
    /// Negative cylinder (the stored form).
    #[default]
    Minus,
    /// Positive cylinder.
    Plus,
}

/// One eye's prescription. Construct with [`EyeRx::new`]; stored in minus-cylinder form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct EyeRx {
    sphere: Power,
    cylinder: Option<(Power, Axis)>,
    add: Option<Power>,
    prism: Prism,
}

impl EyeRx {
    /// Checks one eye's values and puts them in minus-cylinder form.
    pub fn new(
        eye: Eye,
        sphere: &str,
        cylinder: Option<&str>,
        axis: Option<i64>,
        add: Option<&str>,
        prism: Prism,
        steps: Steps,
    ) -> Result<Self> {
        let side = match eye {
            Eye::Right => "right",
            Eye::Left => "left",
        };
        let field = |name: &str| format!("{side}.{name}");
        let sphere = Power::parse(&field("sphere"), sphere, steps)?;
        if sphere.abs() > Power(30 * 8) {
            return Err(Error::invalid_field(
                &field("sphere"),
                format!("{sphere} D is beyond ±30.00 D; a lab cannot make it"),
            ));
        }
        let cylinder = match cylinder.map(|c| Power::parse(&field("cylinder"), c, steps)).transpose()? {
            Some(cyl) if !cyl.is_zero() => {
                if cyl.abs() > Power(12 * 8) {
                    return Err(Error::invalid_field(
                        &field("cylinder"),
                        format!("{cyl} D is beyond ±12.00 D"),
                    ));
                }
                let axis =
                    axis.ok_or_else(|| Error::invalid_field(&field("axis"), "a cylinder needs an axis"))?;
                Some((cyl, Axis::new(&field("axis"), axis)?))
            }
            _ => {
                if axis.is_some() {
                    return Err(Error::invalid_field(
                        &field("axis"),
                        "an axis without a cylinder is meaningless",
                    ));
                }
                None
            }
        };
        let add = add.map(|a| Power::parse(&field("add"), a, Steps::Quarter)).transpose()?;
        if let Some(add) = add
            && !(Power(2)..=Power(40)).contains(&add)
        {
            return Err(Error::invalid_field(
                &field("add"),
                format!("an add of {add} D is outside +0.25 to +5.00 D"),
            ));
        }
        let rx = EyeRx { sphere, cylinder, add, prism };
        Ok(match rx.cylinder {
            Some((cyl, _)) if cyl > Power::PLANO => rx.transposed(),
            _ => rx,
        })
    }

    /// The same prescription with the cylinder written the other way: sphere + cylinder,
    /// cylinder negated, axis turned 90°.
    pub fn transposed(&self) -> EyeRx {
        match self.cylinder {
            None => *self,
            Some((cyl, axis)) => {
                EyeRx { sphere: self.sphere + cyl, cylinder: Some((-cyl, axis.rotated())), ..*self }
            }
        }
    }

    /// In the requested cylinder form.
    pub fn in_form(&self, form: CylinderForm) -> EyeRx {
        match (form, self.cylinder) {
            (CylinderForm::Plus, Some((cyl, _))) if cyl < Power::PLANO => self.transposed(),
            (CylinderForm::Minus, Some((cyl, _))) if cyl > Power::PLANO => self.transposed(),
            _ => *self,
        }
    }

    /// Rebuilds a prescription from its stored (minus-cylinder, already checked) parts.
    pub fn from_stored(
        sphere: Power,
        cylinder: Option<(Power, Axis)>,
        add: Option<Power>,
        prism: Prism,
    ) -> Self {
        EyeRx { sphere, cylinder, add, prism }
    }

    /// Sphere.
    pub fn sphere(&self) -> Power {
        self.sphere
    }

    /// Cylinder and axis, if any.
    pub fn cylinder(&self) -> Option<(Power, Axis)> {
        self.cylinder
    }

    /// Reading addition, if any.
    pub fn add(&self) -> Option<Power> {
        self.add
    }

    /// Prism.
    pub fn prism(&self) -> Prism {
        self.prism
    }
}

impl fmt::Display for EyeRx {
    /// `+2.00/+1.00×180`, or `-1.50 DS` without a cylinder.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cylinder {
            Some((cyl, axis)) => write!(f, "{}/{}×{}", self.sphere, cyl, axis.degrees()),
            None => write!(f, "{} DS", self.sphere),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eye(sph: &str, cyl: Option<&str>, axis: Option<i64>) -> Result<EyeRx> {
        EyeRx::new(Eye::Right, sph, cyl, axis, None, Prism::default(), Steps::Quarter)
    }

    /// DOMAIN.md's checked transpositions, written with the typographic minus as given there.
    #[test]
    fn transposes_the_domain_vectors_both_ways() {
        for (from, to) in [
            ("+2.00/+1.00×180", "+3.00/−1.00×90"),
            ("−1.50/−0.75×45", "−2.25/+0.75×135"),
            ("−3.00/+2.00×60", "−1.00/−2.00×150"),
        ] {
            let parse = |s: &str| {
                let (sph, rest) = s.split_once('/').unwrap();
                let (cyl, axis) = rest.split_once('×').unwrap();
                eye(sph, Some(cyl), Some(axis.parse().unwrap())).unwrap()
            };
            let written = |rx: EyeRx, form| rx.in_form(form).to_string().replace('-', "−");
            let a = parse(from);
            let form_of = |s: &str| {
                if s.split('/').nth(1).unwrap().starts_with('+') {
                    CylinderForm::Plus
                } else {
                    CylinderForm::Minus
                }
            };
            assert_eq!(written(a, form_of(from)), from, "round trip of {from}");
            assert_eq!(written(a, form_of(to)), to, "{from} transposes to {to}");
            assert_eq!(parse(to), a, "both forms are the same prescription");
            assert_eq!(a.transposed().transposed(), a);
        }
    }

    #[test]
    fn stores_minus_cylinder_form() {
        let rx = eye("+2.00", Some("+1.00"), Some(180)).unwrap();
        assert_eq!(rx.to_string(), "+3.00/-1.00×90");
    }

    #[test]
    fn requires_signs_steps_and_plausible_powers() {
        assert!(eye("2.00", None, None).unwrap_err().to_string().contains("explicit sign"));
        assert!(eye("+2.10", None, None).unwrap_err().to_string().contains("0.25 D steps"));
        assert!(eye("+50.00", None, None).unwrap_err().to_string().contains("beyond ±30.00"));
        assert!(eye("+30.00", None, None).is_ok());
        assert!(eye("-30.25", None, None).is_err());
        assert!(eye("plano", None, None).unwrap().sphere() == Power::PLANO);
        assert!(eye("+1.00", Some("-12.25"), Some(90)).is_err());
        assert!(eye("+1.12", None, None).unwrap_err().to_string().contains("0.125 D steps"));
        let eighths =
            EyeRx::new(Eye::Left, "+1.12", Some("-0.37"), Some(10), None, Prism::default(), Steps::Eighth)
                .unwrap();
        assert_eq!(eighths.to_string(), "+1.12/-0.37×10");
    }

    #[test]
    fn cylinder_and_axis_go_together_and_axis_zero_is_180() {
        assert!(eye("+1.00", Some("-0.50"), None).unwrap_err().to_string().contains("needs an axis"));
        assert!(eye("+1.00", None, Some(90)).unwrap_err().to_string().contains("axis without a cylinder"));
        assert!(eye("+1.00", Some("0.00"), Some(90)).is_err(), "a zero cylinder has no axis");
        assert_eq!(eye("+1.00", Some("-0.50"), Some(0)).unwrap().cylinder().unwrap().1.degrees(), 180);
        assert!(eye("+1.00", Some("-0.50"), Some(181)).is_err());
        assert!(eye("+1.00", Some("-0.50"), Some(-1)).is_err());
    }

    #[test]
    fn adds_are_positive_quarter_steps_up_to_five() {
        let with_add = |add: &str| {
            EyeRx::new(Eye::Right, "+1.00", None, None, Some(add), Prism::default(), Steps::Quarter)
        };
        assert!(with_add("+2.50").is_ok());
        assert!(with_add("+5.00").is_ok());
        assert!(with_add("+5.25").is_err());
        assert!(with_add("-1.00").is_err());
        assert!(with_add("+0.00").is_err());
    }

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
    fn prentice_rule_gives_induced_prism() {
        assert!((prentice(Power::from_dioptres(-4.0).unwrap(), 5.0) - 2.0).abs() < 1e-12);
        assert!((prentice(Power::from_dioptres(2.5).unwrap(), 4.0) - 1.0).abs() < 1e-12);
        assert_eq!(prentice(Power::PLANO, 10.0), 0.0);
    }

    #[test]
    fn powers_round_trip_through_dioptres() {
        assert_eq!(Power::from_dioptres(-1.75).unwrap().to_string(), "-1.75");
        assert_eq!(Power::from_dioptres(0.125).unwrap().to_string(), "+0.12");
        assert_eq!(Power::from_dioptres(0.1), None);
    }
}
