//! Lens powers in eighths of a dioptre, as orders give them and DCS writes them.
//!
//! Rules chosen (README, "Job download"): a sign is required unless the power is zero
//! (`plano`); eighths may be written the trade's way (`-1.12` for −1.125) or exactly; powers are
//! written signed with two decimals, an eighth step with three (`-1.125`).

use serde::{Deserialize, Deserializer, Serialize};

/// A lens power, held in eighths of a dioptre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Power(i32);

impl Power {
    /// From dioptres; `None` unless within ±99 and a multiple of 0.125, or the trade's two-decimal
    /// eighth (1.12 for 1.125).
    pub fn from_dioptres(d: f64) -> Option<Self> {
        let eighths = d * 8.0;
        let whole = eighths.round();
        (d.is_finite() && d.abs() < 100.0 && (eighths - whole).abs() < 0.05).then_some(Power(whole as i32))
    }

    /// Parses `+2.00`, `-1.75`, `0.00` or `plano`: a sign is required unless the power is zero.
    /// Eighths may be written the trade's way (`+1.12`, `-0.37`, as core writes them) or exactly
    /// (`+1.125`).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("plano") || t.eq_ignore_ascii_case("pl") {
            return Some(Power(0));
        }
        crate::values::decimal(t)?;
        let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let thousandths = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().ok()? * 100,
            2 if ["12", "37", "62", "87"].contains(&fraction) => fraction.parse::<i64>().ok()? * 10 + 5,
            2 => fraction.parse::<i64>().ok()? * 10,
            3 => fraction.parse::<i64>().ok()?,
            _ => return None,
        };
        let total = whole.checked_mul(1000)? + thousandths;
        if total % 125 != 0 || total >= 100_000 {
            return None;
        }
        let sign = if t.starts_with('-') { -1 } else { 1 };
        let p = Power(sign * i32::try_from(total / 125).ok()?);
        (p.0 == 0 || t.starts_with(['+', '-'])).then_some(p)
    }

    /// Whether the power is zero (plano).
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Eighths of a dioptre.
    pub fn eighths(self) -> i32 {
        self.0
    }

    /// Dioptres.
    pub fn dioptres(self) -> f64 {
        f64::from(self.0) / 8.0
    }

    /// As DCS writes it: `+2.00`, `-1.125`, `0.00`.
    pub fn dcs(self) -> String {
        let d = self.dioptres();
        match (self.0 == 0, self.0 % 2 == 0) {
            (true, _) => "0.00".into(),
            (false, true) => format!("{d:+.2}"),
            (false, false) => format!("{d:+.3}"),
        }
    }
}

impl Serialize for Power {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.dcs())
    }
}

impl<'de> Deserialize<'de> for Power {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
        }
        let power = match Raw::deserialize(d)? {
            Raw::Text(t) => Power::parse(&t),
            Raw::Number(n) => Power::from_dioptres(n),
        };
        power.ok_or_else(|| {
            serde::de::Error::custom("a power with its sign in 0.125 D steps, such as \"+2.00\" or \"-1.75\"")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_need_a_sign_and_eighth_steps() {
        assert_eq!(Power::parse("+2.00").unwrap().dcs(), "+2.00");
        assert_eq!(Power::parse("-1.125").unwrap().dcs(), "-1.125");
        assert_eq!(Power::parse("plano").unwrap().dcs(), "0.00");
        assert_eq!(Power::parse("0.00"), Some(Power(0)));
        assert_eq!(Power::parse("2.00"), None, "no sign");
        assert_eq!(Power::parse("+2.10"), None, "not an eighth step");
        assert_eq!(Power::parse("+1.12").unwrap().dcs(), "+1.125", "the trade's eighth");
        assert_eq!(Power::parse("-0.37").unwrap().dcs(), "-0.375");
        assert_eq!(Power::parse("+1.13"), None);
        assert_eq!(Power::from_dioptres(f64::NAN), None);
    }
}
