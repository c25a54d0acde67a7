//! The `files` table: what each stored file is, for its tenant.

use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_storage::TenantTx;
use ils_storage::ids::FileId;
use ils_storage::types::Timestamp;
use ils_storage::{execute, query};

use crate::{Owner, StoredFile};

const COLUMNS: &str = "id, plugin_id, name, content_type, size, sha256, created_at";

#[derive(sqlx::FromRow)]
struct FileRow {
    id: FileId,
    plugin_id: Option<String>,
    name: String,
    content_type: String,
    size: i64,
    sha256: String,
    created_at: Timestamp,
}

impl From<FileRow> for StoredFile {
    fn from(r: FileRow) -> Self {
        StoredFile {
            id: r.id,
            name: r.name,
            content_type: r.content_type,
            size: u64::try_from(r.size).unwrap_or(0),
            sha256: r.sha256,
            plugin_id: r.plugin_id,
            created_at: r.created_at,
        }
    }
}

fn db(e: sqlx::Error) -> Error {
    Error::Db(e.into())
}

/// Adds the row of a file whose bytes are stored.
pub(crate) async fn insert(tx: &mut TenantTx, file: &StoredFile) -> Result<()> {
    const SQL: &str =
        "INSERT INTO files (tenant_id, id, plugin_id, name, content_type, size, sha256, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let tenant = tx.tenant_id();
    let size = i64::try_from(file.size).map_err(|_| Error::Internal("file size out of range".into()))?;
    let plugin = file.plugin_id.as_deref();
    let (name, content_type, sha256) = (&file.name, &file.content_type, &file.sha256);
    execute!(tx.conn(), SQL, tenant, file.id, plugin, name, content_type, size, sha256, file.created_at)
        .map_err(db)?;
    Ok(())
}

/// The tenant's file `id`, if there is one.
pub async fn get(tx: &mut TenantTx, id: FileId) -> Result<Option<StoredFile>> {
    let sql = format!("SELECT {COLUMNS} FROM files WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    let row: Option<FileRow> = query!(tx, query_as, fetch_optional, sql, tenant, id).map_err(db)?;
    Ok(row.map(Into::into))
}

/// The tenant's files (of one plugin, or all), newest first. The cursor is the last id of the
/// previous page; ids are UUIDv7, so "before it" is "stored earlier".
pub(crate) async fn list(
    tx: &mut TenantTx,
    owner: Owner<'_>,
    page: &PageRequest,
) -> Result<Page<StoredFile>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM files WHERE tenant_id = $1 AND ($2 IS NULL OR plugin_id = $2)
            AND ($3 IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4"
    );
    let tenant = tx.tenant_id();
    let before: Option<FileId> = page.after()?;
    let rows: Vec<FileRow> =
        query!(tx, query_as, fetch_all, sql, tenant, owner.plugin(), before, page.fetch_limit())
            .map_err(db)?;
    Ok(page.finish(rows.into_iter().map(StoredFile::from).collect(), |f| f.id.as_uuid()))
}

/// Removes the row of file `id` if `owner` may; the removed file, or `None`.
pub(crate) async fn delete(tx: &mut TenantTx, id: FileId, owner: Owner<'_>) -> Result<Option<StoredFile>> {
    let sql = format!(
        "DELETE FROM files WHERE tenant_id = $1 AND id = $2 AND ($3 IS NULL OR plugin_id = $3)
         RETURNING {COLUMNS}"
    );
    let tenant = tx.tenant_id();
    let row: Option<FileRow> =
        query!(tx, query_as, fetch_optional, sql, tenant, id, owner.plugin()).map_err(db)?;
    Ok(row.map(Into::into))
}
