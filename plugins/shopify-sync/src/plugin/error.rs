//! The glue's one error type, and how it reaches the host: retryable or not.

use ils_plugin_sdk::HostError;

use super::admin::AdminError;

/// Why a piece of the plugin's work failed.
#[derive(Debug, thiserror::Error)]
pub enum GlueError {
    /// The tenant's configuration or secrets are missing or unusable.
    #[error("the plugin is not configured: {0}")]
    Config(String),
    /// A host call failed.
    #[error("ILS refused or failed a call: {0}")]
    Host(#[from] HostError),
    /// The Shopify Admin API failed.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// Two invocations changed the same stored record at once; the later one is retried.
    #[error("{0} was changed by another invocation at the same time")]
    Conflict(&'static str),
    /// Input the plugin cannot use (a queued message it did not write, say).
    #[error("{0}")]
    Invalid(String),
}

impl GlueError {
    /// Whether trying again later may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            GlueError::Host(e) => matches!(e, HostError::Unavailable(_) | HostError::Http(_)),
            GlueError::Admin(e) => e.retryable(),
            GlueError::Conflict(_) => true,
            GlueError::Config(_) | GlueError::Invalid(_) => false,
        }
    }
}

impl From<GlueError> for ils_plugin_sdk::Error {
    fn from(e: GlueError) -> Self {
        if e.retryable() { Self::retryable(e.to_string()) } else { Self::new(e.to_string()) }
    }
}
