//! Errors: what host calls return, and what a plugin returns from an extension point.

use std::fmt;

/// Why a host call failed (the host's guest-visible `error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The capability is not granted: declare it in the manifest; the tenant must consent.
    Denied(String),
    /// No such record for this tenant.
    NotFound,
    /// The input was refused.
    Invalid(String),
    /// The value is too large.
    TooLarge,
    /// Temporarily unavailable; retry later.
    Unavailable(String),
    /// Outbound HTTP failed (denied host, connection error…); the text says why.
    Http(String),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Denied(m) => write!(f, "denied: {m}"),
            Self::NotFound => f.write_str("not found"),
            Self::Invalid(m) => write!(f, "invalid: {m}"),
            Self::TooLarge => f.write_str("too large"),
            Self::Unavailable(m) => write!(f, "unavailable: {m}"),
            Self::Http(m) => write!(f, "http: {m}"),
        }
    }
}

impl std::error::Error for HostError {}

/// What an extension point returns on failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// For the tenant's admins and the publisher; no secrets or patient data.
    pub message: String,
    /// Whether the host should retry later.
    pub retryable: bool,
}

impl Error {
    /// A permanent failure.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: false }
    }

    /// A failure worth retrying later.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: true }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<HostError> for Error {
    fn from(e: HostError) -> Self {
        let retryable = matches!(e, HostError::Unavailable(_) | HostError::Http(_));
        Self { message: e.to_string(), retryable }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::new(format!("JSON: {e}"))
    }
}
