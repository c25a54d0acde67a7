//! Lens powers ([`ils_optics::Power`], exact eighths of a dioptre) as orders give them and DCS
//! writes them.
//!
//! Rules chosen (README, "Job download"): a sign is required unless the power is zero
//! (`plano`); eighths may be written the trade's way (`-1.12` for −1.125) or exactly; powers are
//! written signed with two decimals, an eighth step with three (`-1.125`). A job's JSON powers
//! read and write this way: use `#[serde(with = "crate::power")]` (or `crate::power::option`).

use ils_optics::Power;
use serde::{Deserialize, Deserializer, Serializer};

/// From dioptres; `None` unless within ±99 and a multiple of 0.125, or the trade's two-decimal
/// eighth (1.12 for 1.125).
pub fn from_dioptres(d: f64) -> Option<Power> {
    let eighths = d * 8.0;
    let whole = eighths.round();
    (d.is_finite() && d.abs() < 100.0 && (eighths - whole).abs() < 0.05)
        .then_some(Power::from_eighths(whole as i32))
}

/// Parses `+2.00`, `-1.75`, `0.00` or `plano`: a sign is required unless the power is zero.
/// Eighths may be written the trade's way (`+1.12`, `-0.37`, as core writes them) or exactly
/// (`+1.125`).
pub fn parse(text: &str) -> Option<Power> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("plano") || t.eq_ignore_ascii_case("pl") {
        return Some(Power::PLANO);
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
    let p = Power::from_eighths(sign * i32::try_from(total / 125).ok()?);
    (p.is_zero() || t.starts_with(['+', '-'])).then_some(p)
}

/// As DCS writes it: `+2.00`, `-1.125`, `0.00`.
pub fn to_dcs(p: Power) -> String {
    let d = p.dioptres();
    match (p.is_zero(), p.eighths() % 2 == 0) {
        (true, _) => "0.00".into(),
        (false, true) => format!("{d:+.2}"),
        (false, false) => format!("{d:+.3}"),
    }
}

/// Serialises as DCS writes it ([`to_dcs`]).
pub fn serialize<S: Serializer>(p: &Power, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_dcs(*p))
}

/// Reads a power as text ([`parse`]) or as a number of dioptres ([`from_dioptres`]).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Power, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(f64),
    }
    let power = match Raw::deserialize(d)? {
        Raw::Text(t) => parse(&t),
        Raw::Number(n) => from_dioptres(n),
    };
    power.ok_or_else(|| {
        serde::de::Error::custom("a power with its sign in 0.125 D steps, such as \"+2.00\" or \"-1.75\"")
    })
}

/// The same for an optional power: `#[serde(default, with = "crate::power::option")]`.
pub mod option {
    use ils_optics::Power;
    use serde::{Deserialize, Deserializer, Serializer};

    /// An absent power is `null`.
    pub fn serialize<S: Serializer>(p: &Option<Power>, s: S) -> Result<S::Ok, S::Error> {
        match p {
            Some(p) => super::serialize(p, s),
            None => s.serialize_none(),
        }
    }

    /// `null` is absent; anything else is read as [`super::deserialize`] reads it.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Power>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super")] Power);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(p)| p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_need_a_sign_and_eighth_steps() {
        let dcs = |t: &str| parse(t).map(to_dcs);
        assert_eq!(dcs("+2.00").unwrap(), "+2.00");
        assert_eq!(dcs("-1.125").unwrap(), "-1.125");
        assert_eq!(dcs("plano").unwrap(), "0.00");
        assert_eq!(parse("0.00"), Some(Power::PLANO));
        assert_eq!(parse("2.00"), None, "no sign");
        assert_eq!(parse("+2.10"), None, "not an eighth step");
        assert_eq!(dcs("+1.12").unwrap(), "+1.125", "the trade's eighth");
        assert_eq!(dcs("-0.37").unwrap(), "-0.375");
        assert_eq!(parse("+1.13"), None);
        assert_eq!(from_dioptres(f64::NAN), None);
        assert_eq!(from_dioptres(1.12), Some(Power::from_eighths(9)), "the trade's eighth as a number");
    }

    #[test]
    fn json_powers_read_text_or_numbers_and_write_dcs() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Eye {
            #[serde(with = "crate::power")]
            sphere: Power,
            #[serde(default, with = "crate::power::option")]
            add: Option<Power>,
        }
        let eye: Eye = serde_json::from_str(r#"{"sphere": "-1.12", "add": 2.5}"#).unwrap();
        assert_eq!(eye, Eye { sphere: Power::from_eighths(-9), add: Some(Power::from_eighths(20)) });
        assert_eq!(serde_json::to_string(&eye).unwrap(), r#"{"sphere":"-1.125","add":"+2.50"}"#);
        let eye: Eye = serde_json::from_str(r#"{"sphere": "plano"}"#).unwrap();
        assert_eq!(eye.add, None);
        assert!(serde_json::from_str::<Eye>(r#"{"sphere": "1.00"}"#).is_err());
    }
}
