//! Lens powers in exact eighths of a dioptre.
//!
//! Rules chosen where the sources leave room (each tested below):
//! - Powers are written with an explicit sign (`+2.00`, `-1.75`; `0.00`/`plano` need none), in
//!   0.25 D steps, or 0.125 D (written `.12/.37/.62/.87`) where the lab accepts eighths.
//! - The trade writes an eighth with two decimals, truncated (`+0.12`, `-1.37`); that is how a
//!   power is displayed and serialised. Parsing also takes the exact three decimals (`+0.125`).
//! - In hundredths of a dioptre (the WIT `ils:platform@0.1.0` unit) an eighth is 12.5: it is
//!   written rounded half away from zero (`13`), and both `12` and `13` read back as the eighth.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::InvalidValue;

/// Which power steps are accepted: a per-lab setting, as some labs also work in eighths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Steps {
    /// 0.25 D (the default).
    #[default]
    Quarter,
    /// 0.125 D as well (.12, .37, .62, .87).
    Eighth,
}

/// A lens power, held in eighths of a dioptre: exact for every step a lab uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Power(i32);

impl Power {
    /// Zero (plano).
    pub const PLANO: Power = Power(0);

    /// Parses `+2.00`, `-1.75`, `−0.37` (eighths), `0.00` or `plano`, accepting eighth steps
    /// only when `steps` says so; `field` names the value in the error.
    pub fn parse(field: &str, text: &str, steps: impl Into<Steps>) -> Result<Self, InvalidValue> {
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
                return Err(InvalidValue::new(
                    field,
                    format!("{text:?} needs an explicit sign, e.g. +2.00 or -1.75"),
                ));
            }
        };
        let (whole, fraction) = rest.split_once('.').unwrap_or((rest, "00"));
        let whole: i32 = whole
            .parse()
            .map_err(|_| InvalidValue::new(field, format!("{text:?} is not a power in dioptres")))?;
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
                return Err(InvalidValue::new(field, format!("{text:?} is not in 0.25 D steps")));
            }
        };
        if eighths % 2 == 1 && steps.into() == Steps::Quarter {
            return Err(InvalidValue::new(
                field,
                format!("{text:?} is in 0.125 D steps; this lab takes 0.25 D steps"),
            ));
        }
        Ok(Power(sign * whole.saturating_mul(8).saturating_add(eighths)))
    }

    /// The step check [`Power::parse`] makes, for a power that is already a number (a device
    /// reading): an eighth step is refused where `steps` takes quarters only. The error quotes the
    /// power with three decimals (`"+1.125"`), as a reading would be written exactly.
    pub fn in_steps(self, field: &str, steps: impl Into<Steps>) -> Result<Self, InvalidValue> {
        if self.0 % 2 != 0 && steps.into() == Steps::Quarter {
            let written = format!("{:+.3}", self.dioptres());
            return Err(InvalidValue::new(
                field,
                format!("{written:?} is in 0.125 D steps; this lab takes 0.25 D steps"),
            ));
        }
        Ok(self)
    }

    /// From a number of dioptres that is an exact multiple of 0.125 (device output, tests).
    pub fn from_dioptres(dioptres: f64) -> Option<Self> {
        let eighths = dioptres * 8.0;
        // Within ±10 000 eighths, so the cast is exact.
        (eighths.fract() == 0.0 && eighths.abs() < 10_000.0).then_some(Power(eighths as i32))
    }

    /// From a number of eighths of a dioptre, as stored.
    pub const fn from_eighths(eighths: i32) -> Self {
        Power(eighths)
    }

    /// The power in eighths of a dioptre, as stored.
    pub const fn eighths(self) -> i32 {
        self.0
    }

    /// The power in dioptres (exact: an eighth is 0.125).
    pub fn dioptres(self) -> f64 {
        f64::from(self.0) / 8.0
    }

    /// From hundredths of a dioptre, as `ils:platform@0.1.0` and two-decimal devices give them:
    /// the eighth step within half a hundredth, so `12` and `13` are both 0.125 D; `None` for a
    /// value between steps, such as `10`.
    pub fn from_hundredths(hundredths: i32) -> Option<Self> {
        // An eighth is 12.5 hundredths: the nearest step is round(2h / 25).
        let twice = 2 * i64::from(hundredths);
        let eighths = if twice >= 0 { (twice + 12) / 25 } else { -((12 - twice) / 25) };
        let off = (twice - 25 * eighths).abs();
        if off > 1 {
            return None;
        }
        i32::try_from(eighths).ok().map(Power)
    }

    /// In hundredths of a dioptre, an eighth step rounded half away from zero (0.125 D is `13`):
    /// the unit of `ils:platform@0.1.0`.
    pub fn hundredths(self) -> i32 {
        let twice = i64::from(self.0) * 25;
        let rounded = if twice >= 0 { (twice + 1) / 2 } else { (twice - 1) / 2 };
        i32::try_from(rounded).unwrap_or(if rounded < 0 { i32::MIN } else { i32::MAX })
    }

    /// The magnitude, for rules that read powers unsigned (voucher bands, limits).
    pub const fn abs(self) -> Power {
        Power(self.0.abs())
    }

    /// Whether this is plano.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::Add for Power {
    type Output = Power;
    fn add(self, other: Power) -> Power {
        Power(self.0 + other.0)
    }
}

impl std::ops::Sub for Power {
    type Output = Power;
    fn sub(self, other: Power) -> Power {
        Power(self.0 - other.0)
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
    /// As displayed: `"+2.00"`, `"-0.12"`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Power {
    /// What [`Power::parse`] takes in eighth steps: `"+2.00"`, `"-0.12"`, `"plano"`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Power::parse("power", &text, Steps::Eighth).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_need_a_sign_and_steps_the_lab_takes() {
        let parse = |t: &str, steps| Power::parse("sphere", t, steps);
        assert_eq!(parse("+2.00", Steps::Quarter).unwrap().eighths(), 16);
        assert_eq!(parse("−0.37", Steps::Eighth).unwrap().eighths(), -3);
        assert_eq!(parse("+1.125", Steps::Eighth).unwrap().to_string(), "+1.12");
        assert_eq!(parse("plano", Steps::Quarter), Ok(Power::PLANO));
        let err = parse("2.00", Steps::Quarter).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.message.as_str()),
            ("sphere", r#""2.00" needs an explicit sign, e.g. +2.00 or -1.75"#)
        );
        assert_eq!(parse("+2.10", Steps::Eighth).unwrap_err().message, r#""+2.10" is not in 0.25 D steps"#);
        assert_eq!(
            parse("+x.00", Steps::Eighth).unwrap_err().message,
            r#""+x.00" is not a power in dioptres"#
        );
        assert!(parse("+1.12", Steps::Quarter).unwrap_err().message.contains("0.125 D steps"));
        assert!(parse("+999999999.87", Steps::Eighth).is_ok(), "saturates instead of overflowing");
    }

    #[test]
    fn powers_round_trip_through_dioptres() {
        assert_eq!(Power::from_dioptres(-1.75).unwrap().to_string(), "-1.75");
        assert_eq!(Power::from_dioptres(0.125).unwrap().to_string(), "+0.12");
        assert_eq!(Power::from_dioptres(0.1), None);
        assert_eq!(Power::from_dioptres(f64::NAN), None);
        assert_eq!(Power::from_eighths(-9).dioptres(), -1.125);
    }

    #[test]
    fn eighths_become_hundredths_rounding_half_away_from_zero() {
        for (eighths, hundredths) in [(0, 0), (2, 25), (-2, -25), (1, 13), (-1, -13), (9, 113), (-20, -250)] {
            assert_eq!(Power::from_eighths(eighths).hundredths(), hundredths, "{eighths}/8 D");
        }
    }

    #[test]
    fn hundredths_read_back_as_the_eighth_step_within_half_a_hundredth() {
        for (hundredths, eighths) in [
            (0, 0),
            (12, 1),
            (13, 1),
            (-12, -1),
            (-13, -1),
            (25, 2),
            (37, 3),
            (38, 3),
            (-625, -50),
            (4500, 360),
        ] {
            assert_eq!(
                Power::from_hundredths(hundredths),
                Some(Power::from_eighths(eighths)),
                "{hundredths}"
            );
        }
        for between in [1, 10, 11, 14, 24, 26, -26, 130] {
            assert_eq!(Power::from_hundredths(between), None, "{between}");
        }
        for eighths in -400..=400 {
            let p = Power::from_eighths(eighths);
            assert_eq!(Power::from_hundredths(p.hundredths()), Some(p));
        }
    }

    #[test]
    fn powers_serialise_as_the_trade_writes_them() {
        let p = Power::from_eighths(-11);
        assert_eq!(serde_json::to_string(&p).unwrap(), r#""-1.37""#);
        assert_eq!(serde_json::from_str::<Power>(r#""-1.37""#).unwrap(), p);
        assert_eq!(serde_json::from_str::<Power>(r#""plano""#).unwrap(), Power::PLANO);
        let err = serde_json::from_str::<Power>(r#""1.00""#).unwrap_err().to_string();
        assert!(err.contains("explicit sign"), "{err}");
    }

    #[test]
    fn arithmetic_and_magnitude() {
        let (a, b) = (Power::from_eighths(10), Power::from_eighths(-4));
        assert_eq!(
            ((a + b).eighths(), (a - b).eighths(), (-a).eighths(), b.abs().eighths()),
            (6, 14, -10, 4)
        );
        assert!(Power::PLANO.is_zero() && !a.is_zero());
    }
}
