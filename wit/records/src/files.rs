//! Files in the tenant's file store (`ils:platform/files`, 0.2.0) and e-mail to its staff
//! (`ils:platform/notify`).

use serde::{Deserialize, Serialize};

/// A stored file. The tenant's users download it at `GET /api/v1/files/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// The file's id.
    pub id: String,
    /// Its name, as offered on download.
    pub name: String,
    /// Its media type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was stored, milliseconds since the Unix epoch.
    pub created_at_ms: i64,
}

/// An e-mail to the tenant's staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// An HTML alternative, if any.
    pub html: Option<String>,
    /// Ids of the tenant's files to link in the message (never attached: a recipient signs in
    /// to download them).
    pub file_links: Vec<String>,
}
