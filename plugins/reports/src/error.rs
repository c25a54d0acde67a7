//! What can go wrong: a read from the platform ([`SourceError`]) or a report
//! ([`ReportError`]).

use thiserror::Error;

/// Why a read from the platform failed; the variants are `ils:platform`'s `error`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SourceError {
    /// The `reports-read` capability is not granted to the plugin for this tenant.
    #[error("reading the tenant's data is not allowed: {0}")]
    Denied(String),
    /// The record does not exist.
    #[error("not found")]
    NotFound,
    /// The platform rejected the query (a field a dataset does not have, a bad bucket…).
    #[error("the platform rejected the query: {0}")]
    Invalid(String),
    /// The answer, or all the answers of this call together, exceed what the host hands out.
    #[error("the report needs more data than the platform hands out in one call")]
    TooLarge,
    /// The platform is temporarily unavailable.
    #[error("the platform is unavailable: {0}")]
    Unavailable(String),
}

/// Why a report could not be rendered.
#[derive(Debug, Error)]
pub enum ReportError {
    /// No report has this id.
    #[error("there is no report called {0:?}")]
    UnknownReport(String),
    /// The parameters are not valid for the report (the message says which and why).
    #[error("invalid parameters: {0}")]
    InvalidParams(String),
    /// A read failed.
    #[error("reading data failed: {0}")]
    Source(#[from] SourceError),
    /// The platform answered something the report cannot use (a missing column, a text where a
    /// number belongs, more groups than asked for).
    #[error("the platform's answer was not as expected: {0}")]
    Data(String),
    /// Drawing a chart or writing the PDF failed.
    #[error(transparent)]
    Render(#[from] ils_documents::RenderError),
}

impl ReportError {
    /// Whether rendering again later may succeed (the host retries with backoff).
    pub fn retryable(&self) -> bool {
        matches!(self, Self::Source(SourceError::Unavailable(_)))
    }
}
