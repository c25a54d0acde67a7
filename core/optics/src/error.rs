//! The one way a value is refused.

/// A value that is not acceptable: the field it was entered in and the rule it breaks, in words a
/// user understands. Displayed as `field: message`, the way the host reports an invalid field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidValue {
    /// Where the value was entered, such as `right.sphere`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl InvalidValue {
    pub(crate) fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}
