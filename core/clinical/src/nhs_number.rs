//! NHS numbers: ten digits, the last a modulus-11 check digit (NHS Data Dictionary).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use ils_kernel::{Error, Result};

/// A valid NHS number. The constructor is the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NhsNumber([u8; 10]);

impl NhsNumber {
    /// Parses ten digits, allowing the usual `943 476 5919` / `943-476-5919` grouping, and checks
    /// the modulus-11 check digit: weights 10 down to 2 on the first nine digits,
    /// check = 11 − (sum mod 11), where 11 means 0 and 10 means the number is invalid.
    pub fn parse(text: &str) -> Result<Self> {
        let field = "nhs_number";
        let digits: Vec<u8> = text.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| c as u8).collect();
        if digits.len() != 10 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(Error::invalid_field(field, "an NHS number has exactly 10 digits"));
        }
        let mut number = [0u8; 10];
        for (slot, digit) in number.iter_mut().zip(&digits) {
            *slot = digit - b'0';
        }
        let sum: u32 = number[..9].iter().zip((2..=10u32).rev()).map(|(d, w)| u32::from(*d) * w).sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => {
                return Err(Error::invalid_field(
                    field,
                    "this is not a valid NHS number (no check digit can match)",
                ));
            }
            n => n,
        };
        if u32::from(number[9]) != check {
            return Err(Error::invalid_field(
                field,
                format!(
                    "the check digit is wrong: the number may be mistyped (expected {check} as the last digit)"
                ),
            ));
        }
        Ok(Self(number))
    }
}

impl fmt::Display for NhsNumber {
    /// Grouped as the NHS prints it: `943 476 5919`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d: String = self.0.iter().map(|d| char::from(b'0' + d)).collect();
        write!(f, "{} {} {}", &d[..3], &d[3..6], &d[6..])
    }
}

impl NhsNumber {
    /// The ten digits without spaces, as stored.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

impl Serialize for NhsNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.digits())
    }
}

impl<'de> Deserialize<'de> for NhsNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        NhsNumber::parse(&text).map_err(|e| serde::de::Error::custom(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_numbers_in_any_grouping() {
        // 9·10+4·9+3·8+4·7+7·6+6·5+5·4+9·3+1·2 = 299; 299 mod 11 = 2; 11 − 2 = 9.
        for text in ["9434765919", "943 476 5919", "943-476-5919"] {
            assert_eq!(NhsNumber::parse(text).unwrap().digits(), "9434765919");
        }
        assert_eq!(NhsNumber::parse("9434765919").unwrap().to_string(), "943 476 5919");
        // 4·10+0·9+1·8+0·7+2·6+3·5+2·4+1·3+1·2 = 88 ≡ 0 (mod 11): 11 − 0 = 11, which means 0.
        assert!(NhsNumber::parse("4010232110").is_ok());
        assert!(NhsNumber::parse("4010232137").is_ok());
    }

    #[test]
    fn refuses_wrong_check_digits_with_a_clear_message() {
        let error = NhsNumber::parse("9434765918").unwrap_err().to_string();
        assert!(error.contains("check digit is wrong"), "{error}");
        assert!(error.contains("expected 9"), "{error}");
        for bad in ["943476591", "94347659190", "94347659a9", ""] {
            assert!(NhsNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_check_value_of_ten_is_never_valid() {
        // The first nine-digit prefix whose weighted sum is 1 (mod 11): every last digit fails.
        let prefix = (0..1_000_000_000u64)
            .map(|n| format!("{n:09}"))
            .find(|p| {
                let s: u32 = p.bytes().zip((2..=10u32).rev()).map(|(d, w)| u32::from(d - b'0') * w).sum();
                11 - s % 11 == 10
            })
            .unwrap();
        for last in 0..10 {
            let error = NhsNumber::parse(&format!("{prefix}{last}")).unwrap_err().to_string();
            assert!(error.contains("not a valid NHS number"), "{error}");
        }
    }
}
