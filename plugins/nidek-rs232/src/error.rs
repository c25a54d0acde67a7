//! What went wrong, and on which line.

use std::fmt;

/// A Nidek output error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// 1-based line (the SOH header is line 1), when the problem is on one line.
    pub line: Option<usize>,
    /// The problem.
    pub kind: ErrorKind,
}

/// The problems reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// A byte that is not printable 7-bit ASCII (parity damage, wrong serial settings).
    #[error("byte 0x{0:02X} is not printable ASCII")]
    Byte(u8),
    /// Blocks out of place: data before the first block, a second header.
    #[error("{0}")]
    Structure(String),
    /// A bad eye letter on a known code.
    #[error("code: {0}")]
    Code(String),
    /// A field that does not read.
    #[error("{0}: {1}")]
    Field(String, String),
    /// The transmission lacks what a prescription needs.
    #[error("prescription: {0}")]
    Prescription(String),
}

impl Error {
    /// A problem on `line`.
    pub fn at(line: usize, kind: ErrorKind) -> Self {
        Self { line: Some(line), kind }
    }

    /// A problem with the whole transmission.
    pub fn new(kind: ErrorKind) -> Self {
        Self { line: None, kind }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for ils_plugin_sdk::Error {
    fn from(e: Error) -> Self {
        ils_plugin_sdk::Error::new(e.to_string())
    }
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
