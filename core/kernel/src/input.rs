//! Checks on free text from requests and the command line, shared by every domain.
//!
//! Every string that enters over HTTP is refused in the host's extractors if it holds a NUL
//! (PostgreSQL cannot store it); query parameters and path segments may hold no control
//! character at all. Free text is checked here, whichever way it arrives (HTTP, the command
//! line, plugins): no control characters but tab and line breaks, and names get the stricter
//! [`name`] rules.

use crate::error::{Error, Result};

mod fields;
pub use fields::Fields;

/// The largest amount of money accepted anywhere, in minor units (10 million in a currency with
/// two decimals): far beyond any optical order or purchase, far below overflow in totals.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000;

/// Whether `c` may appear in free text: no control characters except, in multi-line text, tab,
/// line feed and carriage return.
fn allowed_in_text(c: char, multiline: bool) -> bool {
    !c.is_control() || (multiline && matches!(c, '\t' | '\n' | '\r'))
}

/// Refuses control characters (C0, DEL, C1), except tab, line feed and carriage return when
/// `multiline`; the message names `field` and the first offending character.
pub fn check_chars(field: &str, value: &str, multiline: bool) -> Result<()> {
    match value.chars().find(|&c| !allowed_in_text(c, multiline)) {
        None => Ok(()),
        Some(c) => Err(Error::invalid_field(
            field,
            format!("must not contain control characters (found U+{:04X})", u32::from(c)),
        )),
    }
}

/// Refuses NUL, the one character no text column can hold; for input that is not (yet) known to
/// be text, such as a device's raw output. The message is [`check_chars`]'s.
pub fn check_no_nul(field: &str, value: &str) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::invalid_field(field, "must not contain control characters (found U+0000)"));
    }
    Ok(())
}

/// Required text: trimmed, 1 to `max` characters, no control characters but tab and line breaks.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(Error::invalid_field(field, format!("must be 1–{max} characters")));
    }
    check_chars(field, value, true)?;
    Ok(value.to_owned())
}

/// Optional text: trimmed, empty means absent, at most `max` characters, no control characters
/// but tab and line breaks.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => {
            Err(Error::invalid_field(field, format!("must be at most {max} characters")))
        }
        Some(v) => {
            check_chars(field, v, true)?;
            Ok(Some(v.to_owned()))
        }
    }
}

/// An ISO 4217 currency code (`GBP`), surrounding space trimmed: one of the codes the standard
/// lists, not just any three letters.
pub fn currency_code(field: &str, value: &str) -> Result<String> {
    let code = value.trim();
    match iso_currency::Currency::from_code(code) {
        Some(currency) => Ok(currency.code().to_owned()),
        None => Err(Error::invalid_field(field, "must be an ISO 4217 currency code, e.g. GBP")),
    }
}

/// An amount of money in minor units where a negative amount means nothing (a price, a cost):
/// 0 to [`MAX_AMOUNT_MINOR`].
pub fn amount_minor(field: &str, value: i64) -> Result<i64> {
    if (0..=MAX_AMOUNT_MINOR).contains(&value) {
        Ok(value)
    } else {
        Err(Error::invalid_field(field, format!("must be between 0 and {MAX_AMOUNT_MINOR} (minor units)")))
    }
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

/// A length in mm as measured (a tracer's box), checked against `range` and to 0.01 mm at most,
/// as hundredths of a millimetre.
pub fn hundredths_of_mm(
    field: &str,
    mm: Option<f64>,
    range: std::ops::RangeInclusive<f64>,
) -> Result<Option<u32>> {
    match mm {
        None => Ok(None),
        Some(v) if range.contains(&v) && ((v * 100.0).round() - v * 100.0).abs() < 1e-6 => {
            Ok(Some((v * 100.0).round() as u32))
        }
        Some(v) => Err(Error::invalid_field(
            field,
            format!("{v} mm is out of range ({}–{} mm, to 0.01 mm)", range.start(), range.end()),
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
            && !value.chars().any(|c| c.is_whitespace() || c.is_control())
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

/// A person's or company's name: trimmed, 1 to 200 characters; see [`name_up_to`].
pub fn name(field: &str, value: &str) -> Result<String> {
    name_up_to(field, value, 200)
}

/// Bidirectional embeddings, overrides and isolates: in a name they reorder what follows, so
/// one name can pass for another on screen.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing: zero-width spaces and joiners, marks, fillers, variation
/// selectors, tags.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{206F}'
            | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// A name of 1 to `max` characters, trimmed: one line (no control characters at all), no
/// bidirectional overrides or isolates, and at least one visible character.
pub fn name_up_to(field: &str, value: &str, max: usize) -> Result<String> {
    let value = required_text(field, value, max)?;
    check_chars(field, &value, false)?;
    if value.chars().any(is_bidi_control) {
        return Err(Error::invalid_field(
            field,
            "must not contain bidirectional override characters (U+202A–U+202E, U+2066–U+2069)",
        ));
    }
    if value.chars().all(is_invisible) {
        return Err(Error::invalid_field(field, "must contain visible characters"));
    }
    Ok(value)
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

    #[test]
    fn text_refuses_control_characters_but_keeps_line_breaks() {
        assert_eq!(required_text("notes", " a\tb\r\nc ", 50).unwrap(), "a\tb\r\nc");
        for bad in ["a\0b", "a\u{1b}[31mb", "a\u{7f}", "a\u{85}b"] {
            let err = required_text("notes", bad, 50).unwrap_err().to_string();
            assert!(err.starts_with("notes: must not contain control characters"), "{err}");
            assert!(optional_text("notes", Some(bad), 50).is_err());
        }
    }

    #[test]
    fn names_are_one_visible_line_without_bidi_overrides() {
        assert_eq!(name("name", "  Zoë O’Brien ").unwrap(), "Zoë O’Brien");
        assert_eq!(name("name", "عبد الله").unwrap(), "عبد الله");
        for bad in [
            "Ann\nSmith",
            "Ann\tSmith",
            "Ann\u{202E}htimS",
            "a\u{2066}b",
            "\u{200B}\u{200D}",
            "\u{FEFF}",
            "\u{3164}",
        ] {
            assert!(name("name", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn currencies_are_iso_4217_and_amounts_bounded() {
        assert_eq!(currency_code("c", " EUR ").unwrap(), "EUR");
        for bad in ["gbp", "ABC", "GB", "XYZ1", ""] {
            assert!(currency_code("c", bad).is_err(), "{bad}");
        }
        assert_eq!(amount_minor("a", 0).unwrap(), 0);
        assert!(amount_minor("a", -1).is_err());
        assert!(amount_minor("a", MAX_AMOUNT_MINOR + 1).is_err());
        assert!(amount_minor("a", i64::MAX).is_err());
    }
}
