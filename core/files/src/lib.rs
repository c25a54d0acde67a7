//! # ILS tenant files
//!
//! A tenant's file store: reports and exports plugins write, and later documents and users'
//! attachments. A file is two things kept together by [`Files`]: a row in the `files` table
//! (tenant, id, name, media type, size, SHA-256, the plugin that wrote it) and its bytes in a
//! [`BlobStore`] — a local directory by default ([`DirBlobs`]), an S3-compatible store later
//! behind the same trait. The bytes are written before the row and removed after it, so a row
//! always has its bytes; a failure in between leaves at worst bytes no row names, never a row
//! without bytes. Every write and removal is audited in the tenant's log (`file.stored`,
//! `file.deleted`). See docs/adr/027-tenant-files-and-notify.md.
//!
//! The tenant's users download a file at `GET /api/v1/files/{id}` (`ils-core`); plugins store
//! theirs through the `files` capability (`ils-plugin-host`).
//!
//! ```
//! use ils_files::{FileName, MediaType};
//!
//! let name = FileName::parse("Turnaround – März.csv")?;
//! assert_eq!(name.as_str(), "Turnaround – März.csv");
//! assert!(FileName::parse("../etc/passwd").is_err(), "a name, not a path");
//! assert!(FileName::parse("invoice\u{202E}fdp.exe").is_err(), "no right-to-left override");
//!
//! assert!(MediaType::parse("text/html; charset=utf-8")?.is_html());
//! assert!(MediaType::parse("text/html\r\nSet-Cookie: a=b").is_err());
//! # Ok::<(), ils_kernel::Error>(())
//! ```

pub mod attachments;
mod blobs;
pub mod store;

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_storage::Db;
use ils_storage::ids::{FileId, TenantId};
use ils_storage::types::Timestamp;

pub use blobs::{Blob, BlobStore, DirBlobs, FileStorage};

/// The largest file stored in one piece: 32 MiB (the plugin host refuses more before asking).
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// A file's name as users see and save it: 1 to 200 characters, trimmed, one line, no path
/// separators, no bidirectional overrides (which make `…exe` pass for `…pdf`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    /// The check.
    pub fn parse(value: &str) -> Result<Self> {
        let name = ils_kernel::input::name_up_to("name", value, 200)?;
        if name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(Error::invalid_field("name", "must be a file name, not a path (no / or \\)"));
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A media type, `type/subtype` with optional parameters, in printable ASCII: nothing that
/// could end or split the `Content-Type` header it is sent in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaType(String);

impl MediaType {
    /// The check.
    pub fn parse(value: &str) -> Result<Self> {
        let token = |s: &str| {
            !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        let essence = value.split(';').next().unwrap_or_default().trim();
        let valid = value.len() <= 200
            && value.bytes().all(|b| (0x20..0x7f).contains(&b))
            && essence.split_once('/').is_some_and(|(t, s)| token(t) && token(s));
        if valid {
            Ok(Self(value.trim().to_owned()))
        } else {
            Err(Error::invalid_field("content_type", "must be a media type such as text/csv"))
        }
    }

    /// The media type as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a browser would render it as a page that can run script (HTML, XHTML, SVG).
    pub fn is_html(&self) -> bool {
        is_active_content(&self.0)
    }
}

/// Whether content of media type `content_type` can run script when a browser renders it.
pub fn is_active_content(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    matches!(essence.as_str(), "text/html" | "application/xhtml+xml" | "image/svg+xml")
}

/// A stored file, as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredFile {
    /// The file's id: download it at `GET /api/v1/files/{id}`.
    pub id: FileId,
    /// Its name, as offered on download.
    pub name: String,
    /// Its media type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, in hex.
    pub sha256: String,
    /// The plugin that stored it; none for a file a user stored.
    pub plugin_id: Option<String>,
    /// When it was stored (UTC).
    pub created_at: Timestamp,
}

/// A file to store.
#[derive(Clone, Debug)]
pub struct NewFile {
    /// Its name.
    pub name: FileName,
    /// Its media type.
    pub content_type: MediaType,
    /// The plugin storing it, if a plugin does.
    pub plugin_id: Option<String>,
    /// Its bytes, at most [`MAX_BYTES`].
    pub body: Bytes,
}

/// Whose files a read or a removal reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner<'a> {
    /// Every file of the tenant (its users).
    Tenant,
    /// Only the files this plugin stored (a plugin).
    Plugin(&'a str),
}

impl Owner<'_> {
    fn plugin(self) -> Option<String> {
        match self {
            Self::Tenant => None,
            Self::Plugin(id) => Some(id.to_owned()),
        }
    }
}

/// Records a file whose bytes are written, with `file.stored` in the audit log.
async fn record(tx: &mut ils_storage::TenantTx, actor: &AuditCtx, file: &StoredFile) -> Result<()> {
    store::insert(tx, file).await?;
    let event = Event::new("file.stored", "file", file.id).changes(serde_json::json!({
        "name": file.name, "content_type": file.content_type, "size": file.size,
        "sha256": file.sha256, "plugin_id": file.plugin_id,
    }));
    audit::record(tx, actor, event).await
}

/// The file store of every tenant: rows in the database, bytes in a [`BlobStore`].
#[derive(Clone)]
pub struct Files {
    db: Db,
    blobs: Arc<dyn BlobStore>,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Files").field("blobs", &self.blobs).finish_non_exhaustive()
    }
}

/// A failure of the blob store: nothing was changed (the caller may try again).
fn unavailable(e: std::io::Error) -> Error {
    Error::Unavailable(format!("the file store: {e}"))
}

impl Files {
    /// Files with rows in `db` and bytes in `blobs`.
    pub fn new(db: Db, blobs: Arc<dyn BlobStore>) -> Self {
        Self { db, blobs }
    }

    /// Stores a file for `tenant`, audited as `actor`: the bytes first, then the row and its
    /// audit entry in one transaction; if that fails, the bytes are removed again.
    pub async fn put(&self, tenant: TenantId, actor: &AuditCtx, new: NewFile) -> Result<StoredFile> {
        let file = self.write_bytes(tenant, new).await?;
        let recorded = async {
            let mut tx = self.db.tenant(tenant).await?;
            record(&mut tx, actor, &file).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        self.kept_if(tenant, &file, recorded).await?;
        Ok(file)
    }

    /// Checks the size, hashes and writes the bytes of `new`: the file it will be once its row is
    /// recorded ([`record`]) — or its bytes removed ([`Files::kept_if`]).
    async fn write_bytes(&self, tenant: TenantId, new: NewFile) -> Result<StoredFile> {
        if new.body.len() > MAX_BYTES {
            return Err(Error::Invalid {
                code: "file_too_large",
                message: format!("a file is at most {} MiB", MAX_BYTES >> 20),
                fields: Vec::new(),
            });
        }
        let body = new.body.clone();
        let sha256 = tokio::task::spawn_blocking(move || hex::encode(Sha256::digest(&body)))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        let file = StoredFile {
            id: FileId::new(),
            name: new.name.0,
            content_type: new.content_type.0,
            size: new.body.len() as u64,
            sha256,
            plugin_id: new.plugin_id,
            created_at: Timestamp::now(),
        };
        self.blobs.put(tenant, file.id, new.body).await.map_err(unavailable)?;
        Ok(file)
    }

    /// Removes the bytes of `file` again when its row was not recorded (`outcome` failed).
    async fn kept_if<T>(&self, tenant: TenantId, file: &StoredFile, outcome: Result<T>) -> Result<T> {
        if outcome.is_err()
            && let Err(left) = self.blobs.delete(tenant, file.id).await
        {
            tracing::warn!(%tenant, file = %file.id, error = %left, "bytes of a file that was not recorded were left in the file store");
        }
        outcome
    }

    /// Removes the bytes of files whose rows a committed transaction removed; a failure is
    /// logged (the bytes are then unreachable: no row names them).
    pub async fn forget_bytes(&self, tenant: TenantId, files: &[FileId]) {
        for file in files {
            if let Err(error) = self.blobs.delete(tenant, *file).await {
                tracing::warn!(%tenant, %file, %error, "bytes of a removed file were left in the file store");
            }
        }
    }

    /// The tenant's file `id` (`NotFound` for another tenant's, as for none).
    pub async fn get(&self, tenant: TenantId, id: FileId) -> Result<StoredFile> {
        let mut tx = self.db.tenant_read(tenant).await?;
        let file = store::get(&mut tx, id).await?;
        tx.commit().await?;
        file.ok_or(Error::NotFound("file"))
    }

    /// The tenant's file `id` with its bytes opened for reading.
    pub async fn open(&self, tenant: TenantId, id: FileId) -> Result<(StoredFile, Blob)> {
        let file = self.get(tenant, id).await?;
        match self.blobs.open(tenant, id).await.map_err(unavailable)? {
            Some(blob) => Ok((file, blob)),
            // Removed since the row was read (the row goes first), or lost.
            None => {
                tracing::warn!(%tenant, file = %id, "a file's row was found without its bytes");
                Err(Error::NotFound("file"))
            }
        }
    }

    /// The tenant's file `id` and all its bytes, read into memory (to attach it to a message or
    /// put it in an archive; a download streams [`Files::open`] instead).
    pub async fn read(&self, tenant: TenantId, id: FileId) -> Result<(StoredFile, Bytes)> {
        use tokio::io::AsyncReadExt as _;
        let (file, mut blob) = self.open(tenant, id).await?;
        let mut bytes = Vec::with_capacity(usize::try_from(blob.size).unwrap_or(0));
        blob.reader.read_to_end(&mut bytes).await.map_err(unavailable)?;
        Ok((file, bytes.into()))
    }

    /// The tenant's files that `owner` reaches, newest first.
    pub async fn list(
        &self,
        tenant: TenantId,
        owner: Owner<'_>,
        page: &PageRequest,
    ) -> Result<Page<StoredFile>> {
        let mut tx = self.db.tenant_read(tenant).await?;
        let files = store::list(&mut tx, owner, page).await?;
        tx.commit().await?;
        Ok(files)
    }

    /// Removes file `id` if `owner` reaches it (`NotFound` otherwise), audited as `actor`: the
    /// row and its audit entry first, then the bytes.
    pub async fn delete(
        &self,
        tenant: TenantId,
        actor: &AuditCtx,
        id: FileId,
        owner: Owner<'_>,
    ) -> Result<()> {
        let mut tx = self.db.tenant(tenant).await?;
        let file = store::delete(&mut tx, id, owner).await?.ok_or(Error::NotFound("file"))?;
        let event = Event::new("file.deleted", "file", id).changes(serde_json::json!({
            "name": file.name, "size": file.size, "sha256": file.sha256, "plugin_id": file.plugin_id,
        }));
        audit::record(&mut tx, actor, event).await?;
        tx.commit().await?;
        if let Err(error) = self.blobs.delete(tenant, id).await {
            tracing::warn!(%tenant, file = %id, %error, "bytes of a deleted file were left in the file store");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_names_and_media_types_fit_a_header() {
        assert_eq!(FileName::parse("  report \"Q1\".csv ").unwrap().as_str(), "report \"Q1\".csv");
        for bad in ["", " ", "a/b", "a\\b", "..", "line\nbreak", "tab\there", &"x".repeat(201)] {
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(MediaType::parse("application/pdf").unwrap().as_str(), "application/pdf");
        for bad in ["pdf", "/", "text/", "text/csv\n", "tëxt/csv", "text /csv"] {
            assert!(MediaType::parse(bad).is_err(), "{bad:?}");
        }
        for active in ["text/html", "TEXT/HTML; charset=utf-8", "image/svg+xml", "application/xhtml+xml"] {
            assert!(is_active_content(active), "{active}");
        }
        assert!(!is_active_content("text/csv"));
    }
}
