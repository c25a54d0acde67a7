//! The domain error. Every layer above storage returns [`Error`]; it says what went wrong in
//! domain terms, never with a transport's status code. The HTTP layer turns it into problem+json
//! in one place, the CLI into a message and an exit code.

use ils_storage::{DbError, ViolationKind};

/// One invalid field of a request.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field, as a JSON pointer-ish path (`email`, `admin.password`).
    pub field: String,
    /// What is wrong with it, in words a user understands.
    pub message: String,
}

/// What went wrong, with a stable machine-readable `code` for each case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing does not exist, or belongs to another tenant (the same answer, on purpose).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is well-formed but its values are not acceptable.
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// What is wrong, in words a user understands; the problem's `detail` over HTTP.
        message: String,
        /// Field-level details, if any.
        fields: Vec<FieldError>,
    },
    /// The request body or query could not be read at all (malformed JSON, wrong types).
    #[error("{message}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// What could not be read, in words a user understands; the problem's `detail` over HTTP.
        message: String,
        /// Why it could not be read.
        kind: Unreadable,
    },
    /// The change conflicts with the current state (duplicate, invalid transition, last admin).
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// What it conflicts with, in words a user understands; the problem's `detail` over HTTP.
        message: String,
    },
    /// No valid credentials.
    #[error("{message}")]
    Unauthorized {
        /// Stable code.
        code: &'static str,
        /// Why the credentials were refused, in words a user understands; the problem's `detail` over HTTP.
        message: String,
    },
    /// Authenticated, but not allowed to do this.
    #[error("{message}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// Why it is not allowed, in words a user understands; the problem's `detail` over HTTP.
        message: String,
    },
    /// Too many attempts; try again later.
    #[error("{message}")]
    RateLimited {
        /// Stable code.
        code: &'static str,
        /// What was limited, in words a user understands; the problem's `detail` over HTTP.
        message: String,
        /// Seconds until a retry may succeed.
        retry_after: u64,
    },
    /// A quota of the tenant's plan is used up until `reset_at` (`quota_exceeded`).
    #[error("{message}")]
    QuotaExceeded {
        /// Which quota, in words a user understands; the problem's `detail` over HTTP.
        message: String,
        /// When the quota starts again from zero.
        reset_at: ils_storage::types::Timestamp,
    },
    /// A plugin could not answer: not enabled, paused by its breaker, failed, or busy.
    #[error("{message}")]
    Plugin {
        /// How it failed.
        failure: PluginFailure,
        /// Stable code.
        code: &'static str,
        /// Why the plugin could not answer, in words a user understands; the problem's `detail` over HTTP.
        message: String,
        /// Seconds until a retry may succeed.
        retry_after: Option<u64>,
    },
    /// This installation is not set up for what was asked (no mail server, for example):
    /// nothing was changed, and retrying will not help until an operator configures it.
    #[error("{message}")]
    NotConfigured {
        /// Stable code.
        code: &'static str,
        /// What is missing and who can fix it, in words a user understands.
        message: String,
    },
    /// A dependency (the database) is not available; nothing was changed.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A storage failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A bug or an unexpected failure.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a request could not be read at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Malformed: not the syntax or the shape expected.
    Malformed,
    /// Larger than the operation accepts.
    TooLarge,
    /// In a format the operation does not take.
    UnsupportedFormat,
    /// Well-formed, but the values have the wrong types for the operation.
    WrongShape,
}

/// How a plugin failed to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PluginFailure {
    /// The tenant has not enabled it, or it does not provide what was asked.
    Missing,
    /// It ran and failed (trap, limit, bad answer).
    Failed,
    /// It cannot run now (paused by its breaker, the host at capacity); try again later.
    Unavailable,
}

/// Shorthand for results with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A single invalid field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Error::Invalid {
            code: "invalid_input",
            message: format!("{field}: {message}"),
            fields: vec![FieldError { field: field.to_owned(), message }],
        }
    }

    /// A conflict with a stable code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict { code, message: message.into() }
    }

    /// A refusal with a stable code.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Error::Forbidden { code, message: message.into() }
    }

    /// An authentication failure with a stable code.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Error::Unauthorized { code, message: message.into() }
    }

    /// Authentication must fail closed: a storage failure becomes `Unavailable` (503, nothing
    /// granted) rather than an internal error.
    pub fn closed(self) -> Self {
        match self {
            Error::Db(e) => Error::Unavailable(e.to_string()),
            other => other,
        }
    }

    /// Maps a unique-key violation on `column` to a domain conflict; other errors pass through.
    pub fn on_duplicate_of(self, column: &str, code: &'static str, message: &str) -> Self {
        match &self {
            Error::Db(db) if db.violation() == Some(ViolationKind::Unique) && db.concerns(column) => {
                Error::conflict(code, message)
            }
            _ => self,
        }
    }

    /// Maps a foreign-key violation to an invalid `field` (a value naming a row that does not
    /// exist); other errors pass through. Use it where one reference can fail: SQLite's message
    /// does not say which.
    pub fn on_missing_reference(self, field: &str, message: &str) -> Self {
        match &self {
            Error::Db(db) if db.violation() == Some(ViolationKind::ForeignKey) => {
                Error::invalid_field(field, message)
            }
            _ => self,
        }
    }

    /// Maps a unique-key violation to a domain conflict; other errors pass through.
    pub fn on_duplicate(self, code: &'static str, message: &str) -> Self {
        match &self {
            Error::Db(db) if db.violation() == Some(ViolationKind::Unique) => Error::conflict(code, message),
            _ => self,
        }
    }
}

impl From<ils_optics::InvalidValue> for Error {
    /// A refused optical value (a power, an axis, a prism) is an invalid field, with its message.
    fn from(e: ils_optics::InvalidValue) -> Self {
        Error::invalid_field(&e.field, e.message)
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Error::Db(DbError::from(error))
    }
}
