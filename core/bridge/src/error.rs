//! Why the bridge stopped, or could not start. Trouble with a device or with the connection to
//! ILS is not here: the bridge retries those and shows them in its status.

use std::path::PathBuf;

use crate::config::ConfigError;

/// Why [`run`](crate::run) or [`status`](crate::status) failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Another bridge holds the data directory: two would number the same devices twice.
    #[error("{} is in use by another bridge (its lock file is held)", path.display())]
    DataDirInUse {
        /// The data directory.
        path: PathBuf,
    },
    /// The data directory could not be prepared.
    #[error("could not use the data directory {}: {source}", path.display())]
    DataDir {
        /// The data directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The journal could not be read or written. The bridge stops rather than take bytes it
    /// cannot keep.
    #[error("journal {}: {source}", path.display())]
    Journal {
        /// The journal's file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line of the journal other than the last cannot be read. Move the file aside to start
    /// afresh (its entries would then be lost).
    #[error("journal {} is damaged at line {line}: {message}", path.display())]
    JournalDamaged {
        /// The journal's file.
        path: PathBuf,
        /// The first bad line, from 1.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// `status.json` could not be read: no bridge has run with this data directory, or it is
    /// being written by a different version.
    #[error("could not read the bridge's status {}: {message}", path.display())]
    Status {
        /// The status file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}
