//! Gathering every invalid field of an input, so that one answer names them all.

use crate::error::{Error, FieldError, Result};

/// The field errors of one input, gathered check by check; [`Fields::finish`] refuses the input
/// with all of them at once (one `invalid_input` whose `fields` lists each), rather than the
/// first alone.
///
/// ```
/// use ils_kernel::input::{self, Fields};
///
/// let mut fields = Fields::new();
/// let first = fields.check(input::name("first_name", " "));
/// let email = fields.check(input::Email::parse("email", "ann@"));
/// let notes = fields.check(input::optional_text("notes", Some("fine"), 50));
/// assert!(first.is_none() && email.is_none() && notes.is_some());
/// let Err(ils_kernel::Error::Invalid { fields, .. }) = fields.finish() else { panic!() };
/// let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
/// assert_eq!(named, ["first_name", "email"]);
/// ```
#[derive(Debug, Default)]
#[must_use = "an input's errors count only once `finish` returns them"]
pub struct Fields {
    errors: Vec<FieldError>,
    /// The first error that is not about a field (a failure, not bad input): it wins.
    other: Option<Error>,
}

impl Fields {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of a check that passed; for one that failed, `None`, its field errors noted.
    pub fn check<T>(&mut self, result: Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.note(error);
                None
            }
        }
    }

    /// Notes that `field` is invalid.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.into(), message: message.into() });
    }

    /// Notes a refusal: its fields when it is an invalid input, else the error itself.
    pub fn note(&mut self, error: Error) {
        match error {
            Error::Invalid { fields, message, .. } if fields.is_empty() => self.add("body", message),
            Error::Invalid { fields, .. } => self.errors.extend(fields),
            other => {
                self.other.get_or_insert(other);
            }
        }
    }

    /// Whether any check failed so far.
    pub fn any(&self) -> bool {
        !self.errors.is_empty() || self.other.is_some()
    }

    /// Whether `field` already has an error (to skip a check that depends on it).
    pub fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// `Ok` when every check passed; else one `invalid_input` naming every field in error, in
    /// the order they were checked.
    pub fn finish(self) -> Result<()> {
        if let Some(other) = self.other {
            return Err(other);
        }
        if self.errors.is_empty() {
            return Ok(());
        }
        let message: Vec<String> =
            self.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        Err(Error::Invalid { code: "invalid_input", message: message.join("; "), fields: self.errors })
    }

    /// [`Fields::finish`], then the value `build` makes of the checked parts (each `Some` once
    /// every check passed).
    pub fn build<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T> {
        self.finish()?;
        build().ok_or_else(|| Error::Internal("a checked input lacks a part".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_error_reads_as_before_and_many_are_joined() {
        let mut fields = Fields::new();
        fields.add("a", "is wrong");
        let one = fields.finish().unwrap_err();
        assert_eq!(one.to_string(), Error::invalid_field("a", "is wrong").to_string());

        let mut fields = Fields::new();
        fields.note(Error::invalid_field("a", "is wrong"));
        fields.note(Error::invalid_field("b", "too"));
        assert!(fields.has("b") && !fields.has("c"));
        assert_eq!(fields.finish().unwrap_err().to_string(), "a: is wrong; b: too");
    }

    #[test]
    fn a_failure_that_is_not_about_a_field_wins() {
        let mut fields = Fields::new();
        fields.add("a", "is wrong");
        fields.note(Error::NotFound("item"));
        assert!(matches!(fields.finish(), Err(Error::NotFound("item"))));
        assert_eq!(Fields::new().build(|| Some(3)).unwrap(), 3);
    }
}
