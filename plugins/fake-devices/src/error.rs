//! What can go wrong for a fake device: its recording, its line, or the host's answers.

use std::path::PathBuf;
use std::time::Duration;

/// A fake device's error. [`Error::is_link_drop`] tells a lost connection (worth dialling
/// again) from a host that answered wrongly or a recording that does not read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A recording or transmission file could not be read.
    #[error("{}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A recording does not follow the format (see the README).
    #[error("{origin}, line {line}: {message}")]
    Recording {
        /// The file name, or `recording` for text given in memory.
        origin: String,
        /// 1-based line.
        line: usize,
        /// The problem.
        message: String,
    },
    /// A job number that DCS cannot carry (`--job`).
    #[error("job {0:?} cannot be written as a DCS value")]
    BadJob(String),
    /// The transport could not be set up: bind, accept or open a pseudo-terminal.
    #[error("could not {action}: {source}")]
    Open {
        /// What was tried, such as `listen on 127.0.0.1:0`.
        action: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Dialling the host failed.
    #[error("could not connect to {addr}: {source}")]
    Connect {
        /// `HOST:PORT`.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The host closed the connection or the port.
    #[error("the host hung up")]
    HungUp,
    /// Reading or writing the line failed.
    #[error("the line failed: {0}")]
    Io(#[source] std::io::Error),
    /// A frame was never acknowledged.
    #[error("the host did not acknowledge {message} after {attempts} sends")]
    NoAck {
        /// The message, by its first record (`REQ=INI`).
        message: String,
        /// How many times it was sent.
        attempts: u8,
    },
    /// The host did not answer in time.
    #[error("no answer from the host to {message} within {waited:?}")]
    NoAnswer {
        /// The message answered, by its first record.
        message: String,
        /// How long the device waited.
        waited: Duration,
    },
    /// The host's answer lacks a record the recording expects (a refusal, `STATUS=1`).
    #[error("the host's answer to {message} does not have {expected}: it was {answer}")]
    UnexpectedAnswer {
        /// The message answered, by its first record.
        message: String,
        /// The record expected, as written (`STATUS=0`).
        expected: String,
        /// The answer's records, separated by ` | `.
        answer: String,
    },
    /// The host's answer is an intact frame but not DCS records.
    #[error("the host's answer to {message} is not DCS records: {source}")]
    UnreadableAnswer {
        /// The message answered, by its first record.
        message: String,
        /// The parse error.
        #[source]
        source: dcs_driver::Error,
    },
    /// A received job could not be written to the `--out` file.
    #[error("could not write the job to {}: {source}", path.display())]
    Out {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether the connection was lost (or never made), so a device may dial again and start
    /// over; every other error is the host's answer or the device's own setup.
    pub fn is_link_drop(&self) -> bool {
        matches!(self, Error::HungUp | Error::Io(_) | Error::Connect { .. })
    }
}
