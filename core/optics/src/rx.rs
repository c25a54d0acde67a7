//! Spectacle and contact-lens prescriptions for one eye: parsed, checked and transposed as
//! DOMAIN.md sets out.
//!
//! Rules chosen where the sources leave room (each tested below):
//! - Implausible powers are refused: sphere beyond ±30.00 D, cylinder beyond ±12.00 D, an add
//!   outside +0.25…+5.00 D (in 0.25 D steps), prism over 20Δ.
//! - A cylinder needs an axis, an axis needs a cylinder; an axis of 0 is 180.
//! - The canonical (stored) form is minus cylinder; plus-cylinder form is a transposition.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::InvalidValue;
use crate::eye::Eye;
use crate::power::{Power, Steps};
use crate::prism::Prism;

fn sphere_in_range(field: &str, sphere: Power) -> Result<Power, InvalidValue> {
    if sphere.abs() > Power::from_eighths(30 * 8) {
        return Err(InvalidValue::new(field, format!("{sphere} D is beyond ±30.00 D; a lab cannot make it")));
    }
    Ok(sphere)
}

fn cylinder_in_range(field: &str, cyl: Power) -> Result<Power, InvalidValue> {
    if cyl.abs() > Power::from_eighths(12 * 8) {
        return Err(InvalidValue::new(field, format!("{cyl} D is beyond ±12.00 D")));
    }
    Ok(cyl)
}

fn no_axis(field: &str, has_axis: bool) -> Result<(), InvalidValue> {
    if has_axis {
        return Err(InvalidValue::new(field, "an axis without a cylinder is meaningless"));
    }
    Ok(())
}

fn add_in_range(field: &str, add: Power) -> Result<Power, InvalidValue> {
    if !(Power::from_eighths(2)..=Power::from_eighths(40)).contains(&add) {
        return Err(InvalidValue::new(field, format!("an add of {add} D is outside +0.25 to +5.00 D")));
    }
    Ok(add)
}

/// A cylinder axis, 1–180°.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Axis(u16);

impl Axis {
    /// Checks the range; 0 is written 180.
    pub fn new(field: &str, degrees: i64) -> Result<Self, InvalidValue> {
        match degrees {
            0 => Ok(Axis(180)),
            1..=180 => Ok(Axis(degrees as u16)),
            _ => Err(InvalidValue::new(field, format!("axis {degrees} is outside 1–180°"))),
        }
    }

    /// From stored degrees (already checked; anything outside 1–180 is clamped into it).
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

/// Which way the cylinder is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Checks one eye's values, entered as text in either cylinder form, and puts them in
    /// minus-cylinder form. Field names in errors are `right.sphere`, `left.axis`, …
    pub fn new(
        eye: Eye,
        sphere: &str,
        cylinder: Option<&str>,
        axis: Option<i64>,
        add: Option<&str>,
        prism: Prism,
        steps: impl Into<Steps>,
    ) -> Result<Self, InvalidValue> {
        let steps = steps.into();
        let field = |name: &str| format!("{}.{name}", eye.side());
        let sphere = sphere_in_range(&field("sphere"), Power::parse(&field("sphere"), sphere, steps)?)?;
        let cylinder = match cylinder.map(|c| Power::parse(&field("cylinder"), c, steps)).transpose()? {
            Some(cyl) if !cyl.is_zero() => {
                let cyl = cylinder_in_range(&field("cylinder"), cyl)?;
                let axis =
                    axis.ok_or_else(|| InvalidValue::new(&field("axis"), "a cylinder needs an axis"))?;
                Some((cyl, Axis::new(&field("axis"), axis)?))
            }
            _ => {
                no_axis(&field("axis"), axis.is_some())?;
                None
            }
        };
        let add = add.map(|a| Power::parse(&field("add"), a, Steps::Quarter)).transpose()?;
        let add = add.map(|a| add_in_range(&field("add"), a)).transpose()?;
        Ok(EyeRx { sphere, cylinder, add, prism }.in_form(CylinderForm::Minus))
    }

    /// Checks one eye's values given as numbers (a refractor's reading) by the rules
    /// [`EyeRx::new`] applies to text: the tenant's `steps`, the plausible ranges, a cylinder with
    /// its axis; a plano cylinder counts as none. Field names in errors are as for `new`.
    pub fn measured(
        eye: Eye,
        sphere: Power,
        cylinder: Option<(Power, Option<Axis>)>,
        add: Option<Power>,
        prism: Prism,
        steps: impl Into<Steps>,
    ) -> Result<Self, InvalidValue> {
        let steps = steps.into();
        let field = |name: &str| format!("{}.{name}", eye.side());
        let sphere = sphere_in_range(&field("sphere"), sphere.in_steps(&field("sphere"), steps)?)?;
        let cylinder = match cylinder {
            Some((cyl, axis)) if !cyl.is_zero() => {
                let cyl = cylinder_in_range(&field("cylinder"), cyl.in_steps(&field("cylinder"), steps)?)?;
                let axis =
                    axis.ok_or_else(|| InvalidValue::new(&field("axis"), "a cylinder needs an axis"))?;
                Some((cyl, axis))
            }
            Some((_, axis)) => {
                no_axis(&field("axis"), axis.is_some())?;
                None
            }
            None => None,
        };
        let add = add
            .map(|a| add_in_range(&field("add"), a.in_steps(&field("add"), Steps::Quarter)?))
            .transpose()?;
        Ok(EyeRx { sphere, cylinder, add, prism }.in_form(CylinderForm::Minus))
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

    /// The sphere, in the form this value is written in.
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

    /// The prism prescribed (none when both components are absent).
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

    fn eye(sph: &str, cyl: Option<&str>, axis: Option<i64>) -> Result<EyeRx, InvalidValue> {
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
    fn errors_name_the_eye_and_field() {
        let err = EyeRx::new(Eye::Left, "+1.00", Some("-0.50"), None, None, Prism::default(), Steps::Quarter)
            .unwrap_err();
        assert_eq!(err.to_string(), "left.axis: a cylinder needs an axis");
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
    fn a_measured_eye_is_checked_like_one_typed_in() {
        let d = |dioptres: f64| Power::from_dioptres(dioptres).unwrap();
        let axis = |deg: i64| Axis::new("axis", deg).unwrap();
        let measured = |sph: f64, cyl: Option<(f64, Option<i64>)>, steps: Steps| {
            EyeRx::measured(
                Eye::Left,
                d(sph),
                cyl.map(|(c, a)| (d(c), a.map(axis))),
                None,
                Prism::default(),
                steps,
            )
        };
        let typed =
            EyeRx::new(Eye::Left, "+2.00", Some("+1.00"), Some(180), None, Prism::default(), Steps::Quarter);
        assert_eq!(measured(2.0, Some((1.0, Some(180))), Steps::Quarter), typed);
        let eighth = measured(1.125, None, Steps::Quarter).unwrap_err();
        assert_eq!(
            eighth.to_string(),
            r#"left.sphere: "+1.125" is in 0.125 D steps; this lab takes 0.25 D steps"#
        );
        assert!(measured(1.125, None, Steps::Eighth).is_ok());
        assert_eq!(measured(31.0, None, Steps::Quarter).unwrap_err().field, "left.sphere");
        assert_eq!(measured(1.0, Some((-1.0, None)), Steps::Quarter).unwrap_err().field, "left.axis");
        assert_eq!(measured(1.0, Some((0.0, Some(90))), Steps::Quarter).unwrap_err().field, "left.axis");
        let add = EyeRx::measured(Eye::Right, d(1.0), None, Some(d(0.125)), Prism::default(), Steps::Eighth);
        assert_eq!(add.unwrap_err().field, "right.add");
    }
}
