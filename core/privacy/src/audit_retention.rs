//! Audit retention. The audit log is append-only; entries older than the platform's retention
//! (a setting, in years) are purged by a daily job, which first writes every entry it will delete
//! to an archive — one JSON object per line, UTF-8, in a directory the operator keeps (mode 0600,
//! fsynced, renamed into place) — and only then, in one transaction, opens a purge row (the
//! database's append-only guard lets a delete through only for entries older than an open purge's
//! cutoff), deletes exactly the archived entries, closes the purge and records `audit.purged`.

use std::path::{Path, PathBuf};

use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::{Error, Result};
use ils_storage::Db;
use ils_storage::ids::{AuditId, AuditPurgeId};
use ils_storage::types::Timestamp;
use ils_storage::{SystemTx, execute};
use tokio::io::AsyncWriteExt as _;

/// Entries read and written per page while archiving.
const PAGE: i64 = 1000;

/// What a purge did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purged {
    /// The archive written, holding every deleted entry.
    pub archive: PathBuf,
    /// Entries archived.
    pub exported: u64,
    /// Entries deleted (the same, unless someone else purged meanwhile).
    pub deleted: u64,
}

/// The moment entries older than `years` before `now` are purged from.
pub fn cutoff(now: Timestamp, years: u16) -> Timestamp {
    let zoned = now.as_jiff().to_zoned(jiff::tz::TimeZone::UTC);
    let back = zoned.checked_sub(jiff::Span::new().years(i64::from(years))).map(|z| z.timestamp());
    Timestamp::from_jiff(back.unwrap_or(jiff::Timestamp::MIN))
}

/// Archives, then deletes, every audit entry recorded before `cutoff`, into a new file in `dir`.
/// Nothing to purge: `None`, and no file.
pub async fn purge(db: &Db, dir: &Path, cutoff: Timestamp) -> Result<Option<Purged>> {
    let io = |what: &str, e: std::io::Error| Error::Unavailable(format!("the audit archive ({what}): {e}"));
    tokio::fs::create_dir_all(dir).await.map_err(|e| io("creating its directory", e))?;
    let id = AuditPurgeId::new();
    let day = cutoff.as_jiff().to_zoned(jiff::tz::TimeZone::UTC).date();
    let name = format!("audit-before-{day}-{id}.jsonl");
    let (path, partial) = (dir.join(&name), dir.join(format!(".{name}.tmp")));
    let mut file = open_private(&partial).await.map_err(|e| io("creating it", e))?;
    let (mut after, mut exported, mut last): (Option<AuditId>, u64, Option<AuditId>) = (None, 0, None);
    loop {
        let mut tx = db.system_read().await?;
        let page = audit::older_than(&mut tx, cutoff, after, PAGE).await?;
        tx.commit().await?;
        let mut lines = Vec::new();
        for entry in &page {
            serde_json::to_writer(&mut lines, entry).map_err(|e| Error::Internal(e.to_string()))?;
            lines.push(b'\n');
        }
        file.write_all(&lines).await.map_err(|e| io("writing", e))?;
        exported += page.len() as u64;
        match page.last() {
            Some(entry) => (after, last) = (Some(entry.id), Some(entry.id)),
            None => break,
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    let Some(last) = last else {
        drop(file);
        let _ = tokio::fs::remove_file(&partial).await;
        return Ok(None);
    };
    file.sync_all().await.map_err(|e| io("syncing", e))?;
    drop(file);
    tokio::fs::rename(&partial, &path).await.map_err(|e| io("naming", e))?;
    if let Ok(parent) = tokio::fs::File::open(dir).await {
        let _ = parent.sync_all().await;
    }

    let mut tx = db.system().await?;
    let deleted = delete_archived(&mut tx, id, &name, cutoff, last, exported).await?;
    tx.commit().await?;
    tracing::info!(archive = %path.display(), exported, deleted, "purged audit entries past retention");
    Ok(Some(Purged { archive: path, exported, deleted }))
}

async fn open_private(path: &Path) -> std::io::Result<tokio::fs::File> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path).await
}

async fn delete_archived(
    tx: &mut SystemTx,
    id: AuditPurgeId,
    archive: &str,
    cutoff: Timestamp,
    last: AuditId,
    exported: u64,
) -> Result<u64> {
    let now = Timestamp::now();
    let count = i64::try_from(exported).map_err(|_| Error::Internal("too many entries".into()))?;
    execute!(
        tx.conn(),
        "INSERT INTO audit_purges (id, cutoff, archive, exported, started_at) VALUES ($1, $2, $3, $4, $5)",
        id,
        cutoff,
        archive,
        count,
        now
    )?;
    let deleted = audit::delete_older_than(tx, cutoff, last).await?;
    let deleted_count = i64::try_from(deleted).unwrap_or(i64::MAX);
    execute!(
        tx.conn(),
        "UPDATE audit_purges SET deleted = $2, finished_at = $3 WHERE id = $1",
        id,
        deleted_count,
        Timestamp::now()
    )?;
    let event = Event::new("audit.purged", "audit_purge", id).changes(serde_json::json!({
        "cutoff": cutoff, "archive": archive, "exported": exported, "deleted": deleted,
    }));
    audit::record_system(tx, None, &AuditCtx::system(), event).await?;
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_whole_calendar_years_back() {
        let now = Timestamp::from_jiff("2026-12-05T10:00:00Z".parse().unwrap());
        assert_eq!(cutoff(now, 26).as_jiff().to_string(), "2000-12-05T10:00:00Z");
    }
}
