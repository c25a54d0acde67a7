use sqlx::types::Json;

use crate::Envelope;
use ils_kernel::Result;
use ils_storage::ids::{EventId, TenantId};
use ils_storage::types::Timestamp;
use ils_storage::{Conn, TenantTx, execute, on_conn};

/// Writes the event and its row in the relay's work list (`outbox_pending`), in the caller's
/// transaction. On PostgreSQL both go in one statement, so an event costs one round trip.
pub(super) async fn insert(conn: &mut Conn, event: &Envelope) -> Result<()> {
    const EVENT: &str = "INSERT INTO events (tenant_id, id, type, version, payload, occurred_at)
        VALUES ($1, $2, $3, $4, $5, $6)";
    const PENDING: &str = "INSERT INTO outbox_pending (event_id, tenant_id) VALUES ($1, $2)";
    const BOTH: &str = "WITH event AS (
            INSERT INTO events (tenant_id, id, type, version, payload, occurred_at)
            VALUES ($1, $2, $3, $4, $5, $6)
        )
        INSERT INTO outbox_pending (event_id, tenant_id) VALUES ($2, $1)";
    let version = i32::from(event.version);
    let payload = Json(&event.data);
    match conn {
        Conn::Postgres(_) => {
            execute!(conn, BOTH, event.tenant_id, event.id, &event.type_, version, payload, event.timestamp)?;
        }
        // SQLite has no data-modifying CTE; in process, the second statement costs little.
        Conn::Sqlite(_) => {
            execute!(
                conn,
                EVENT,
                event.tenant_id,
                event.id,
                &event.type_,
                version,
                payload,
                event.timestamp
            )?;
            execute!(conn, PENDING, event.id, event.tenant_id)?;
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    tenant_id: TenantId,
    id: EventId,
    #[sqlx(rename = "type")]
    type_: String,
    version: i32,
    payload: Json<serde_json::Value>,
    occurred_at: Timestamp,
}

impl From<Row> for Envelope {
    fn from(r: Row) -> Self {
        Envelope {
            id: r.id,
            type_: r.type_,
            version: u16::try_from(r.version).unwrap_or(u16::MAX),
            tenant_id: r.tenant_id,
            timestamp: r.occurred_at,
            data: r.payload.0,
        }
    }
}

/// The events `ids` of the transaction's tenant (those that exist), in no particular order.
pub(crate) async fn get_many(tx: &mut TenantTx, ids: &[EventId]) -> Result<Vec<Envelope>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT tenant_id, id, type, version, payload, occurred_at FROM events
         WHERE tenant_id = $1 AND id IN ({})",
        placeholders.join(", ")
    );
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant);
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(&mut **c).await
    })?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One event of the transaction's tenant.
pub async fn get(tx: &mut TenantTx, id: EventId) -> Result<Option<Envelope>> {
    const SQL: &str = "SELECT tenant_id, id, type, version, payload, occurred_at FROM events
        WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    Ok(row.map(Into::into))
}

/// The tenant's events after `after` (oldest first), of the given types only; a type ending in
/// `.*` stands for its whole family (`plugin.*`: every event plugins published).
pub async fn list_after(
    tx: &mut TenantTx,
    after: Option<EventId>,
    types: &[&str],
    limit: i64,
) -> Result<Vec<Envelope>> {
    if types.is_empty() {
        return Ok(Vec::new());
    }
    // The type list comes from the catalogue, never from the caller, so it is safe to inline
    // as bound placeholders.
    let binds: Vec<&str> = types.iter().map(|t| t.strip_suffix('*').unwrap_or(t)).collect();
    let conditions: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let n = i + 4;
            if t.ends_with(".*") {
                format!("substr(type, 1, length(${n})) = ${n}")
            } else {
                format!("type = ${n}")
            }
        })
        .collect();
    let sql = format!(
        "SELECT tenant_id, id, type, version, payload, occurred_at FROM events
         WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) AND ({})
         ORDER BY id LIMIT $3",
        conditions.join(" OR ")
    );
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant).bind(after).bind(limit);
        for t in &binds {
            query = query.bind(*t);
        }
        query.fetch_all(&mut **c).await
    })?;
    Ok(rows.into_iter().map(Into::into).collect())
}
