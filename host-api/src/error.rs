//! The host's errors: what the guest sees, what install refuses, and how an invocation ended.

use ils_registry::ExtensionPoint;

use crate::limits::Limit;
use crate::services::ServiceError;

/// An error a capability returns **to the guest** (a WIT `error`), never a trap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuestError {
    /// The capability is not granted.
    #[error("denied: {0}")]
    Denied(String),
    /// No such record for this tenant.
    #[error("not found")]
    NotFound,
    /// Bad input.
    #[error("invalid: {0}")]
    Invalid(String),
    /// Value too large.
    #[error("too large")]
    TooLarge,
    /// Service unavailable.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl From<ServiceError> for GuestError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => Self::NotFound,
            ServiceError::Invalid(m) => Self::Invalid(m),
            ServiceError::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

/// Why a component was refused at install.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// Not a valid component, or it failed to compile.
    #[error("invalid component: {0}")]
    Invalid(String),
    /// It imports an interface its manifest does not declare.
    #[error("component imports {import}, which its manifest does not declare{}", .needs.map(|c| format!(" (needs capability {c})")).unwrap_or_default())]
    UndeclaredImport {
        /// The import's full name.
        import: String,
        /// The capability that would allow it, if any does.
        needs: Option<ils_registry::Capability>,
    },
    /// It targets an `ils:platform` (or WASI) version this host cannot run.
    #[error("component targets {target}, which this host cannot run (it runs ils:platform {supported})")]
    UnsupportedVersion {
        /// What it targets.
        target: String,
        /// What the host runs.
        supported: String,
    },
    /// Its exports do not match the world or its manifest.
    #[error("component exports do not match: {0}")]
    Exports(String),
    /// The compiled-code cache failed.
    #[error("compiled component cache: {0}")]
    Cache(#[from] std::io::Error),
}

/// How an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The plugin reported an error (`plugin-error`).
    #[error("plugin error: {message}")]
    Plugin {
        /// Its message.
        message: String,
        /// Whether it may succeed later.
        retryable: bool,
    },
    /// The host stopped the plugin: it breached a limit.
    #[error("plugin stopped: {0} exceeded")]
    LimitExceeded(Limit),
    /// The plugin crashed (panic, unreachable, out-of-bounds access…): a bug in the plugin.
    #[error("plugin crashed: {0}")]
    Trap(String),
    /// The manifest does not list this extension point.
    #[error("plugin does not provide {0:?}")]
    NotProvided(ExtensionPoint),
    /// The plugin does not subscribe to this event kind.
    #[error("plugin does not subscribe to {0}")]
    NotSubscribed(String),
    /// The host has no free instance slot; retry shortly.
    #[error("plugin host is at capacity; retry")]
    Busy,
    /// A host-side failure (a service, the configuration).
    #[error("host error: {0}")]
    Host(String),
}

impl InvokeError {
    /// Whether the caller should retry later (job queue semantics).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Plugin { retryable, .. } => *retryable,
            Self::Busy | Self::Host(_) => true,
            Self::LimitExceeded(Limit::Timeout) => true,
            _ => false,
        }
    }

    /// A short stable code for metrics and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Plugin { .. } => "plugin_error",
            Self::LimitExceeded(_) => "limit_exceeded",
            Self::Trap(_) => "trap",
            Self::NotProvided(_) => "not_provided",
            Self::NotSubscribed(_) => "not_subscribed",
            Self::Busy => "busy",
            Self::Host(_) => "host_error",
        }
    }
}

/// Failure to start the host.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The engine or linker could not be built.
    #[error("plugin engine: {0}")]
    Engine(String),
    /// The cache directory is unusable.
    #[error("cache directory: {0}")]
    Io(#[from] std::io::Error),
}

/// A limit breach raised inside a host call; turned into [`InvokeError::LimitExceeded`].
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("{0} exceeded")]
pub(crate) struct Breach(pub(crate) Limit);
