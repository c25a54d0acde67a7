//! What went wrong, where: every error names the line and the record (label) when it has them.

use std::fmt;

/// A DCS error: the problem, and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// 1-based line of the record body (of the frame's body for framed input), when known.
    pub line: Option<usize>,
    /// The record's label, when the problem is in one record.
    pub label: Option<String>,
    /// The problem.
    pub kind: ErrorKind,
}

/// The problems a DCS driver reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The bytes are not UTF-8 text.
    #[error("not UTF-8 text")]
    NotText,
    /// A control byte where text belongs.
    #[error("control byte 0x{0:02X} inside a record")]
    ControlByte(u8),
    /// A line without `=` before any record.
    #[error("a continuation line with no record before it")]
    OrphanContinuation,
    /// A label that is empty or has characters other than letters, digits and `_`.
    #[error("label {0:?} is not letters, digits and `_`")]
    BadLabel(String),
    /// A quoted value without its closing quote on the same line.
    #[error("value {0} has no closing quote")]
    UnterminatedQuote(usize),
    /// Text between a closing quote and the next `;`.
    #[error("value {0} has text after its closing quote")]
    TextAfterQuote(usize),
    /// A value that cannot be written (a line break or control byte in it).
    #[error("value {0} contains a line break or control byte")]
    UnwritableValue(usize),
    /// A record the message needs is missing.
    #[error("missing (required here)")]
    Missing,
    /// A record has the wrong number of values.
    #[error("has {found} values, expected {expected}")]
    ValueCount {
        /// What the record should have.
        expected: String,
        /// What it has.
        found: usize,
    },
    /// A value is not what the label requires.
    #[error("value {index} {value:?} is not {expected}")]
    BadValue {
        /// 1-based position of the value in the record.
        index: usize,
        /// The value as written.
        value: String,
        /// What was expected there.
        expected: String,
    },
    /// Something the standard allows that this driver does not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The message breaks the protocol (wrong order, wrong request).
    #[error("protocol: {0}")]
    Protocol(String),
    /// A frame (FS … RS CRC GS) is malformed.
    #[error("frame: {0}")]
    Frame(String),
    /// The frame's CRC does not match its body.
    #[error("frame CRC is {written} but the body's is {computed}")]
    CrcMismatch {
        /// The CRC written in the frame.
        written: u16,
        /// The CRC of the body received.
        computed: u16,
    },
    /// The job JSON is not valid.
    #[error("job: {0}")]
    Job(String),
    /// A live session's device name is not a model this driver runs.
    #[error("unknown device model {0:?}: the DCS driver runs {known}", known = crate::device_link::Model::known())]
    UnknownModel(String),
    /// A live session's stored state cannot be used.
    #[error("session state: {0}")]
    State(String),
    /// The step does not apply to this session (a job for a tracer).
    #[error("session: {0}")]
    Session(String),
}

impl Error {
    /// An error without a location.
    pub fn new(kind: ErrorKind) -> Self {
        Self { line: None, label: None, kind }
    }

    /// An error at `line` in the record labelled `label`.
    pub fn at(line: usize, label: &str, kind: ErrorKind) -> Self {
        Self { line: Some(line), label: Some(label.to_string()), kind }
    }

    /// An error in the record labelled `label` (line unknown, or the record is missing).
    pub fn in_label(label: &str, kind: ErrorKind) -> Self {
        Self { line: None, label: Some(label.to_string()), kind }
    }

    /// A bad value: position `index` (0-based) of `label` at `line`.
    pub fn bad_value(line: usize, label: &str, index: usize, value: &str, expected: &str) -> Self {
        Self::at(
            line,
            label,
            ErrorKind::BadValue {
                index: index + 1,
                value: value.to_string(),
                expected: expected.to_string(),
            },
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.label) {
            (Some(line), Some(label)) => write!(f, "line {line}, {label}: {}", self.kind),
            (Some(line), None) => write!(f, "line {line}: {}", self.kind),
            (None, Some(label)) => write!(f, "{label}: {}", self.kind),
            (None, None) => write!(f, "{}", self.kind),
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
