//! Checks on free text from requests and the command line, shared by every domain.

use crate::error::{Error, Result};

/// Required text: trimmed, 1 to `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(Error::invalid_field(field, format!("must be 1–{max} characters")));
    }
    Ok(value.to_owned())
}

/// Optional text: trimmed, empty means absent, at most `max` characters.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => {
            Err(Error::invalid_field(field, format!("must be at most {max} characters")))
        }
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// An ISO 4217 currency code: three upper-case letters (`GBP`), surrounding space trimmed.
pub fn currency_code(field: &str, value: &str) -> Result<String> {
    let code = value.trim();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid_field(field, "must be an ISO 4217 code of three letters, e.g. GBP"));
    }
    Ok(code.to_owned())
}

/// A length in mm, checked against `range` and 0.5 mm steps, as tenths of a millimetre.
pub fn tenths_of_mm(
    field: &str,
    mm: Option<f64>,
    range: std::ops::RangeInclusive<f64>,
) -> Result<Option<u16>> {
    match mm {
        None => Ok(None),
        Some(v) if range.contains(&v) && (v * 2.0).fract() == 0.0 => Ok(Some((v * 10.0).round() as u16)),
        Some(v) => Err(Error::invalid_field(
            field,
            format!("{v} mm is out of range ({}–{} mm, 0.5 mm steps)", range.start(), range.end()),
        )),
    }
}

/// A normalised e-mail address (trimmed, lower-case). The constructor is the check.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Checks the form loosely (one `@`, something on each side, no spaces, at most 254 bytes).
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        let value = value.trim().to_lowercase();
        let valid = value.len() <= 254
            && !value.chars().any(char::is_whitespace)
            && matches!(value.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                    && !domain.ends_with('.') && !domain.contains('@'));
        if valid { Ok(Self(value)) } else { Err(Error::invalid_field(field, "must be an e-mail address")) }
    }

    /// The address, trimmed and lower-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's or company's name: trimmed, 1 to 200 characters.
pub fn name(field: &str, value: &str) -> Result<String> {
    required_text(field, value, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("e", "  Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
        for bad in ["", "ann", "ann@", "@example.com", "ann@example", "a b@example.com", "a@b@example.com"] {
            assert!(Email::parse("e", bad).is_err(), "{bad}");
        }
    }
}
