//! The one way a recommendation is refused.

use thiserror::Error;

/// Why no recommendation could be made. Every variant names what to change.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RecoError {
    /// A value is out of range or inconsistent (the field and the rule are named).
    #[error("{field}: {message}")]
    Invalid {
        /// Where the value came from, such as `frame.eye_size_mm`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Too little history for the method asked for.
    #[error("{what} needs at least {needed} values; it has {got}")]
    NotEnoughHistory {
        /// What needed the history.
        what: String,
        /// How many values it needs.
        needed: usize,
        /// How many it was given.
        got: usize,
    },
}

impl RecoError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        RecoError::Invalid { field: field.to_owned(), message: message.into() }
    }
}

impl From<ils_optics::InvalidValue> for RecoError {
    fn from(e: ils_optics::InvalidValue) -> Self {
        RecoError::Invalid { field: e.field, message: e.message }
    }
}
