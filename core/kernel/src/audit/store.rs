use sqlx::types::Json;
use uuid::Uuid;

use super::{ActorKind, AuditCtx, AuditEntry, Event};
use crate::error::Result;
use crate::page::{Page, PageRequest};
use ils_storage::ids::{AuditId, TenantId};
use ils_storage::types::Timestamp;
use ils_storage::{Conn, SystemTx, TenantTx, execute, on_conn};

pub(super) async fn insert(
    conn: &mut Conn,
    tenant: Option<TenantId>,
    ctx: &AuditCtx,
    event: Event<'_>,
) -> Result<()> {
    const SQL: &str = "INSERT INTO audit_log
        (id, tenant_id, at, actor_kind, actor_id, action, entity_type, entity_id, changes, request_id, ip)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    execute!(
        conn,
        SQL,
        AuditId::new(),
        tenant,
        Timestamp::now(),
        ctx.actor_kind,
        ctx.actor_id,
        event.action,
        event.entity_type,
        event.entity_id,
        Json(event.changes),
        &ctx.request_id,
        &ctx.ip
    )?;
    Ok(())
}

/// How many times the transaction's tenant recorded `action` on `entity_id` since `since` (a rate
/// the audit log itself keeps, the same on every node).
pub async fn count_since(tx: &mut TenantTx, action: &str, entity_id: &str, since: Timestamp) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM audit_log
        WHERE tenant_id = $1 AND action = $2 AND entity_id = $3 AND at > $4";
    let tenant = tx.tenant_id();
    let (count,): (i64,) =
        ils_storage::query!(tx, query_as, fetch_one, SQL, tenant, action, entity_id, since)?;
    Ok(count)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: AuditId,
    tenant_id: Option<TenantId>,
    at: Timestamp,
    actor_kind: ActorKind,
    actor_id: Option<Uuid>,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    changes: Json<serde_json::Value>,
    request_id: Option<String>,
    ip: Option<String>,
}

/// Narrows an audit listing.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only this action.
    pub action: Option<String>,
    /// Only this kind of entity.
    pub entity_type: Option<String>,
    /// Only this entity.
    pub entity_id: Option<String>,
    /// Only what this user or API key did.
    pub actor_id: Option<Uuid>,
    /// Only entries at or after this moment.
    pub from: Option<Timestamp>,
    /// Only entries before this moment.
    pub to: Option<Timestamp>,
}

/// The tenant's audit log, newest first, a page at a time.
pub async fn list(tx: &mut TenantTx, filter: &AuditFilter, page: &PageRequest) -> Result<Page<AuditEntry>> {
    const SQL: &str = "SELECT id, tenant_id, at, actor_kind, actor_id, action, entity_type, entity_id,
            changes, request_id, ip
        FROM audit_log
        WHERE tenant_id = $1
          AND ($2 IS NULL OR id < $2)
          AND ($3 IS NULL OR action = $3)
          AND ($4 IS NULL OR entity_type = $4)
          AND ($5 IS NULL OR entity_id = $5)
          AND ($7 IS NULL OR actor_id = $7)
          AND ($8 IS NULL OR at >= $8)
          AND ($9 IS NULL OR at < $9)
        ORDER BY id DESC
        LIMIT $6";
    let tenant = tx.tenant_id();
    let before: Option<AuditId> = page.after()?;
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(Some(tenant))
        .bind(before)
        .bind(&filter.action)
        .bind(&filter.entity_type)
        .bind(&filter.entity_id)
        .bind(page.fetch_limit())
        .bind(filter.actor_id)
        .bind(filter.from)
        .bind(filter.to)
        .fetch_all(&mut **c)
        .await)?;
    Ok(page.finish(rows.into_iter().map(AuditEntry::from).collect(), |e| e.id.as_uuid()))
}

/// Which rows the platform log shows.
#[derive(Clone, Copy, Debug)]
pub enum PlatformScope {
    /// Every row.
    All,
    /// Only platform events (no tenant).
    PlatformOnly,
    /// One tenant's rows.
    Tenant(TenantId),
}

/// The whole platform's audit log (platform admins), newest first, with tenants' values
/// redacted ([`redact`](super::redact)).
pub async fn list_platform(
    tx: &mut SystemTx,
    scope: PlatformScope,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditEntry>> {
    const SQL: &str = "SELECT id, tenant_id, at, actor_kind, actor_id, action, entity_type, entity_id,
            changes, request_id, ip
        FROM audit_log
        WHERE ($1 = 'all' OR ($1 = 'platform' AND tenant_id IS NULL) OR ($1 = 'tenant' AND tenant_id = $7))
          AND ($2 IS NULL OR id < $2)
          AND ($3 IS NULL OR action = $3)
          AND ($4 IS NULL OR entity_type = $4)
          AND ($5 IS NULL OR entity_id = $5)
          AND ($8 IS NULL OR actor_id = $8)
          AND ($9 IS NULL OR at >= $9)
          AND ($10 IS NULL OR at < $10)
        ORDER BY id DESC
        LIMIT $6";
    let (kind, tenant) = match scope {
        PlatformScope::All => ("all", None),
        PlatformScope::PlatformOnly => ("platform", None),
        PlatformScope::Tenant(id) => ("tenant", Some(id)),
    };
    let before: Option<AuditId> = page.after()?;
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(kind)
        .bind(before)
        .bind(&filter.action)
        .bind(&filter.entity_type)
        .bind(&filter.entity_id)
        .bind(page.fetch_limit())
        .bind(tenant)
        .bind(filter.actor_id)
        .bind(filter.from)
        .bind(filter.to)
        .fetch_all(&mut **c)
        .await)?;
    let entries = rows.into_iter().map(|row| super::redact::for_platform(row.into())).collect();
    Ok(page.finish(entries, |e| e.id.as_uuid()))
}

/// The tenant's entries about any of `entities` (`(entity_type, entity_id)`: a patient and their
/// records), and the patient searches whose results listed `listed_id`, oldest first: who did
/// what with a patient's record, and when.
pub async fn about(
    tx: &mut TenantTx,
    entities: &[(&str, String)],
    listed_id: &str,
) -> Result<Vec<AuditEntry>> {
    const COLUMNS: &str = "SELECT id, tenant_id, at, actor_kind, actor_id, action, entity_type, entity_id,
            changes, request_id, ip FROM audit_log";
    let tenant = tx.tenant_id();
    let mut rows: Vec<Row> = Vec::new();
    for (entity_type, entity_id) in entities {
        let sql = format!("{COLUMNS} WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3");
        let found: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Some(tenant))
            .bind(*entity_type)
            .bind(entity_id)
            .fetch_all(&mut **c)
            .await)?;
        rows.extend(found);
    }
    // A search lists the ids it returned; the record's id appears quoted in the stored JSON.
    let sql = format!(
        "{COLUMNS} WHERE tenant_id = $1 AND action = 'patient.searched' AND CAST(changes AS TEXT) LIKE $2"
    );
    let pattern = format!("%\"{listed_id}\"%");
    let found: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Some(tenant))
        .bind(&pattern)
        .fetch_all(&mut **c)
        .await)?;
    rows.extend(found);
    let mut entries: Vec<AuditEntry> = rows.into_iter().map(AuditEntry::from).collect();
    entries.sort_by_key(|e| e.id);
    entries.dedup_by_key(|e| e.id);
    Ok(entries)
}

/// Up to `limit` entries of every tenant and the platform recorded before `cutoff`, after the id
/// `after`, oldest first: a purge's archive, a page at a time.
pub async fn older_than(
    tx: &mut SystemTx,
    cutoff: Timestamp,
    after: Option<AuditId>,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    const SQL: &str = "SELECT id, tenant_id, at, actor_kind, actor_id, action, entity_type, entity_id,
            changes, request_id, ip
        FROM audit_log WHERE at < $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3";
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(cutoff)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut **c)
        .await)?;
    Ok(rows.into_iter().map(AuditEntry::from).collect())
}

/// Deletes the entries recorded before `cutoff` whose ids are at most `last` (those a purge
/// archived), in the transaction that opened purge `purge` (the append-only guard lets a delete
/// through only under an open purge); the number deleted.
pub async fn delete_older_than(tx: &mut SystemTx, cutoff: Timestamp, last: AuditId) -> Result<u64> {
    const SQL: &str = "DELETE FROM audit_log WHERE at < $1 AND id <= $2";
    Ok(execute!(tx.conn(), SQL, cutoff, last)?)
}

impl From<Row> for AuditEntry {
    fn from(r: Row) -> Self {
        AuditEntry {
            id: r.id,
            tenant_id: r.tenant_id,
            at: r.at,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            changes: r.changes.0,
            request_id: r.request_id,
            ip: r.ip,
        }
    }
}
