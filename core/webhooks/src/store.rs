use super::signature::SigningSecret;
use super::{Delivery, Endpoint, Outcome};
use ils_kernel::error::{Error, Result};
use ils_kernel::page::{Page, PageRequest};
use ils_kernel::secrets::Sealer;
use ils_storage::ids::{EventId, WebhookDeliveryId, WebhookEndpointId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, on_conn};

const COLUMNS: &str =
    "id, url, description, event_types, enabled, disabled_reason, previous_secret_expires_at,
    created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: WebhookEndpointId,
    url: String,
    description: String,
    event_types: String,
    enabled: bool,
    disabled_reason: Option<String>,
    previous_secret_expires_at: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for Endpoint {
    fn from(r: Row) -> Self {
        Endpoint {
            id: r.id,
            url: r.url,
            description: r.description,
            event_types: r.event_types.split_whitespace().map(str::to_owned).collect(),
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            previous_secret_expires_at: r.previous_secret_expires_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Stores a new endpoint with its signing secret, sealed by the caller.
pub async fn insert(tx: &mut TenantTx, endpoint: &Endpoint, sealed_secret: &[u8]) -> Result<()> {
    const SQL: &str = "INSERT INTO webhook_endpoints (tenant_id, id, url, description, event_types, secret,
            enabled, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)";
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        SQL,
        tenant,
        endpoint.id,
        &endpoint.url,
        &endpoint.description,
        endpoint.event_types.join(" "),
        sealed_secret,
        endpoint.enabled,
        endpoint.created_at
    )?;
    Ok(())
}

/// One endpoint of the tenant.
pub async fn get_endpoint(tx: &mut TenantTx, id: WebhookEndpointId) -> Result<Endpoint> {
    let sql = format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    row.map(Into::into).ok_or(Error::NotFound("webhook endpoint"))
}

/// One page of the tenant's endpoints, oldest first.
pub async fn list(tx: &mut TenantTx, page: &PageRequest) -> Result<Page<Endpoint>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
    );
    let tenant = tx.tenant_id();
    let after: Option<WebhookEndpointId> = page.after()?;
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(after)
        .bind(page.fetch_limit())
        .fetch_all(&mut **c)
        .await)?;
    Ok(page.finish(rows.into_iter().map(Endpoint::from).collect(), |e| e.id.as_uuid()))
}

/// Every enabled endpoint that wants `event_type` (and, for a test event, only its target).
pub async fn endpoints_for_event(
    tx: &mut TenantTx,
    event_type: &str,
    only: Option<WebhookEndpointId>,
) -> Result<Vec<Endpoint>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND enabled AND ($2 IS NULL OR id = $2)"
    );
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(only)
        .fetch_all(&mut **c)
        .await)?;
    Ok(rows.into_iter().map(Endpoint::from).filter(|e| only.is_some() || e.wants(event_type)).collect())
}

/// Writes an endpoint's URL, description, filters and enabled state back.
pub async fn update(tx: &mut TenantTx, endpoint: &Endpoint) -> Result<()> {
    const SQL: &str =
        "UPDATE webhook_endpoints SET url = $3, description = $4, event_types = $5, enabled = $6,
            disabled_reason = $7, updated_at = $8
        WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        SQL,
        tenant,
        endpoint.id,
        &endpoint.url,
        &endpoint.description,
        endpoint.event_types.join(" "),
        endpoint.enabled,
        &endpoint.disabled_reason,
        Timestamp::now()
    )?;
    Ok(())
}

/// Disables an endpoint with a reason (e.g. the receiver answered 410 Gone).
pub async fn disable(tx: &mut TenantTx, id: WebhookEndpointId, reason: &str) -> Result<()> {
    let mut endpoint = get_endpoint(tx, id).await?;
    endpoint.enabled = false;
    endpoint.disabled_reason = Some(reason.to_owned());
    update(tx, &endpoint).await
}

/// Deletes an endpoint with its delivery log (`NotFound` when it is not the tenant's).
pub async fn delete(tx: &mut TenantTx, id: WebhookEndpointId) -> Result<()> {
    let tenant = tx.tenant_id();
    let done =
        execute!(tx.conn(), "DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2", tenant, id)?;
    if done == 0 {
        return Err(Error::NotFound("webhook endpoint"));
    }
    Ok(())
}

/// Makes `new` the signing secret; the current one keeps signing until `grace_until`.
pub async fn rotate_secret(
    tx: &mut TenantTx,
    id: WebhookEndpointId,
    sealed_new: &[u8],
    grace_until: Timestamp,
) -> Result<()> {
    const SQL: &str = "UPDATE webhook_endpoints SET previous_secret = secret, secret = $3,
            previous_secret_expires_at = $4, updated_at = $5
        WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    let done = execute!(tx.conn(), SQL, tenant, id, sealed_new, grace_until, Timestamp::now())?;
    if done == 0 {
        return Err(Error::NotFound("webhook endpoint"));
    }
    Ok(())
}

/// An endpoint with the secrets that sign a message to it now: the current one, and the previous
/// one during its grace period. One read, for the delivery path.
pub async fn endpoint_with_secrets(
    tx: &mut TenantTx,
    id: WebhookEndpointId,
    sealer: &Sealer,
) -> Result<(Endpoint, Vec<SigningSecret>)> {
    #[derive(sqlx::FromRow)]
    struct WithSecrets {
        #[sqlx(flatten)]
        endpoint: Row,
        secret: Vec<u8>,
        previous_secret: Option<Vec<u8>>,
    }
    let sql = format!(
        "SELECT {COLUMNS}, secret, previous_secret FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2"
    );
    let tenant = tx.tenant_id();
    let row: Option<WithSecrets> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    let row = row.ok_or(Error::NotFound("webhook endpoint"))?;
    let open = |sealed: &[u8]| {
        sealer.open(sealed).map(SigningSecret::from_bytes).map_err(|e| Error::Internal(e.to_string()))
    };
    let mut secrets = vec![open(&row.secret)?];
    if let (Some(previous), Some(until)) = (row.previous_secret, row.endpoint.previous_secret_expires_at)
        && until > Timestamp::now()
    {
        secrets.push(open(&previous)?);
    }
    Ok((row.endpoint.into(), secrets))
}

/// Appends to the endpoint's delivery log.
pub async fn record_delivery(tx: &mut TenantTx, delivery: &Delivery) -> Result<()> {
    const SQL: &str =
        "INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_id, attempt, outcome,
            status_code, error, duration_ms, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        SQL,
        tenant,
        delivery.id,
        delivery.endpoint_id,
        delivery.event_id,
        delivery.attempt,
        delivery.outcome,
        delivery.status_code,
        &delivery.error,
        delivery.duration_ms,
        delivery.at
    )?;
    Ok(())
}

/// One page of an endpoint's delivery attempts, newest first.
pub async fn deliveries(
    tx: &mut TenantTx,
    endpoint: WebhookEndpointId,
    page: &PageRequest,
) -> Result<Page<Delivery>> {
    #[derive(sqlx::FromRow)]
    struct DeliveryRow {
        id: WebhookDeliveryId,
        endpoint_id: WebhookEndpointId,
        event_id: EventId,
        attempt: i32,
        outcome: Outcome,
        status_code: Option<i32>,
        error: Option<String>,
        duration_ms: i32,
        at: Timestamp,
    }
    const SQL: &str =
        "SELECT id, endpoint_id, event_id, attempt, outcome, status_code, error, duration_ms, at
        FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2 AND ($3 IS NULL OR id > $3)
        ORDER BY id LIMIT $4";
    let tenant = tx.tenant_id();
    let after: Option<WebhookDeliveryId> = page.after()?;
    let rows: Vec<DeliveryRow> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(tenant)
        .bind(endpoint)
        .bind(after)
        .bind(page.fetch_limit())
        .fetch_all(&mut **c)
        .await)?;
    let items = rows
        .into_iter()
        .map(|r| Delivery {
            id: r.id,
            endpoint_id: r.endpoint_id,
            event_id: r.event_id,
            attempt: r.attempt,
            outcome: r.outcome,
            status_code: r.status_code,
            error: r.error,
            duration_ms: r.duration_ms,
            at: r.at,
        })
        .collect();
    Ok(page.finish(items, |d| d.id.as_uuid()))
}
