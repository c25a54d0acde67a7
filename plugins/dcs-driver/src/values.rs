//! Reading typed values out of records: decimals, and `right;left` pairs as `DO` says.
//!
//! Rules chosen (README, "Values"):
//! - A number is `[+|-]digits[.digits]` (or `.5`); exponents, `NaN`, `inf` and commas are refused.
//! - A binocular record has `right;left`; an empty side is absent. With `DO=R` (or `L`) one value
//!   alone is that eye's, and the other eye's value, if written, is ignored. With `DO=B` or no
//!   `DO`, one value alone is an error: the driver does not guess which eye it is.
//! - A label read as one record (SPH, DO, JOB…) that appears twice is an error, for the same reason.

use crate::error::{ErrorKind, Result};
use crate::record::{Document, Record};

/// Which eyes a message is about (`DO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eyes {
    /// `DO=B`, or no `DO`.
    Both,
    /// `DO=R`.
    Right,
    /// `DO=L`.
    Left,
}

impl Eyes {
    /// The document's `DO`, checked.
    pub fn of(doc: &Document) -> Result<Self> {
        match doc.single("DO")? {
            None => Ok(Eyes::Both),
            Some(r) => match r.value() {
                "B" => Ok(Eyes::Both),
                "R" => Ok(Eyes::Right),
                "L" => Ok(Eyes::Left),
                _ => Err(r.bad_value(0, "B, R or L")),
            },
        }
    }

    /// The `DO` letter.
    pub fn letter(self) -> &'static str {
        match self {
            Eyes::Both => "B",
            Eyes::Right => "R",
            Eyes::Left => "L",
        }
    }
}

/// Parses a decimal as DCS writes it; `None` when it is not one.
pub fn decimal(text: &str) -> Option<f64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && digits.len() <= 12;
    if !ok {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Value `index` of `record` as a decimal; `None` when empty.
pub fn decimal_at(record: &Record, index: usize) -> Result<Option<f64>> {
    match record.values().get(index).map(String::as_str) {
        None | Some("") => Ok(None),
        Some(text) => decimal(text).map(Some).ok_or_else(|| record.bad_value(index, "a number")),
    }
}

/// A binocular record's decimals, `(right, left)`, following `eyes`.
pub fn pair(record: &Record, eyes: Eyes) -> Result<(Option<f64>, Option<f64>)> {
    match (record.values().len(), eyes) {
        (2, Eyes::Both) => Ok((decimal_at(record, 0)?, decimal_at(record, 1)?)),
        (2, Eyes::Right) | (1, Eyes::Right) => Ok((decimal_at(record, 0)?, None)),
        (2, Eyes::Left) => Ok((None, decimal_at(record, 1)?)),
        (1, Eyes::Left) => Ok((None, decimal_at(record, 0)?)),
        (n, _) => Err(record.error(ErrorKind::ValueCount { expected: "2 (right;left)".into(), found: n })),
    }
}

/// The label's pair in `doc`, when the record is there.
pub fn pair_of(doc: &Document, label: &str, eyes: Eyes) -> Result<Option<(Option<f64>, Option<f64>)>> {
    doc.single(label)?.map(|r| pair(r, eyes)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_plain_numbers_only() {
        assert_eq!(decimal("-1.75"), Some(-1.75));
        assert_eq!(decimal("+2"), Some(2.0));
        assert_eq!(decimal(".5"), Some(0.5));
        for bad in ["", "+", ".", "1e3", "NaN", "inf", "1,5", "1.2.3", " 1", "--1", "0x10", "1234567890123"] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn pairs_follow_do() {
        let doc = |t: &str| Document::parse(t.as_bytes()).unwrap();
        let d = doc("SPH=-1.75;-1.50\r\n");
        assert_eq!(pair_of(&d, "SPH", Eyes::of(&d).unwrap()).unwrap(), Some((Some(-1.75), Some(-1.5))));
        let d = doc("DO=R\r\nSPH=-1.75\r\n");
        assert_eq!(pair_of(&d, "SPH", Eyes::of(&d).unwrap()).unwrap(), Some((Some(-1.75), None)));
        let d = doc("DO=L\r\nSPH=-1.75\r\n");
        assert_eq!(pair_of(&d, "SPH", Eyes::of(&d).unwrap()).unwrap(), Some((None, Some(-1.75))));
        let d = doc("DO=L\r\nSPH=-1.75;-2.00\r\n");
        assert_eq!(pair_of(&d, "SPH", Eyes::of(&d).unwrap()).unwrap(), Some((None, Some(-2.0))));
        let d = doc("SPH=;-2.00\r\n");
        assert_eq!(pair_of(&d, "SPH", Eyes::Both).unwrap(), Some((None, Some(-2.0))));
        let d = doc("JOB=1\r\nSPH=-1.75\r\n");
        assert_eq!(
            pair_of(&d, "SPH", Eyes::Both).unwrap_err().to_string(),
            "line 2, SPH: has 1 values, expected 2 (right;left)"
        );
        let d = doc("SPH=-1.75;abc\r\n");
        assert_eq!(
            pair_of(&d, "SPH", Eyes::Both).unwrap_err().to_string(),
            "line 1, SPH: value 2 \"abc\" is not a number"
        );
        let d = doc("DO=X\r\n");
        assert_eq!(Eyes::of(&d).unwrap_err().to_string(), "line 1, DO: value 1 \"X\" is not B, R or L");
    }
}
