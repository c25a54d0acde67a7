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
