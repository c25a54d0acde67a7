//! Per-tenant API keys for integrations. A key acts in its tenant with the scopes it was given
//! (a subset of the permission matrix's actions); only its hash is stored.

use ils_kernel::audit::Event;
use ils_kernel::page::{Page, PageRequest};
use ils_kernel::permissions::Action;
use ils_kernel::secrets;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{ApiKeyId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, on_conn};
use serde::Serialize;

use crate::events::{ApiKeyCreated, ApiKeyRevoked};

/// An API key, without its secret.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    /// The key's id; `DELETE /api-keys/{key_id}` revokes it.
    pub id: ApiKeyId,
    /// What it is for.
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    /// What it may do.
    pub scopes: Vec<Action>,
    /// Who created it.
    pub created_by: UserId,
    /// When the key was created (UTC); an expiry given in days counts from then.
    pub created_at: Timestamp,
    /// Stops working at.
    pub expires_at: Option<Timestamp>,
    /// Last used (to the minute).
    pub last_used_at: Option<Timestamp>,
    /// Revoked at.
    pub revoked_at: Option<Timestamp>,
}

/// A created key with its secret, shown this once.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    /// The key's details; in JSON its fields sit at the top level, beside `secret`.
    #[serde(flatten)]
    pub key: ApiKey,
    /// The secret to send as `Authorization: Bearer …`. Not retrievable later.
    pub secret: String,
}

/// A company admin's request for a new key in the unit's tenant.
#[derive(Clone, Debug)]
pub struct CreateApiKey {
    /// What it is for: a display name, checked here.
    pub name: String,
    /// What it may do: at least one action; duplicates are dropped.
    pub scopes: Vec<Action>,
    /// Days until it expires (1–3650); never when absent.
    pub expires_in_days: Option<u32>,
    /// The user creating it: every key traces back to someone accountable.
    pub created_by: UserId,
}

const COLUMNS: &str =
    "id, name, prefix, scopes, created_by, created_at, expires_at, last_used_at, revoked_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: ApiKeyId,
    name: String,
    prefix: String,
    scopes: String,
    created_by: UserId,
    created_at: Timestamp,
    expires_at: Option<Timestamp>,
    last_used_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

impl From<Row> for ApiKey {
    fn from(r: Row) -> Self {
        ApiKey {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            scopes: super::store::parse_scopes(&r.scopes),
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

async fn insert(tx: &mut TenantTx, key: &ApiKey, secret: &str) -> Result<()> {
    let sql = format!(
        "INSERT INTO api_keys (tenant_id, token_hash, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL)"
    );
    let tenant = tx.tenant_id();
    let scopes: Vec<&str> = key.scopes.iter().map(Action::as_str).collect();
    execute!(
        tx.conn(),
        sqlx::AssertSqlSafe(sql),
        tenant,
        secrets::token_hash(secret),
        key.id,
        &key.name,
        &key.prefix,
        scopes.join(" "),
        key.created_by,
        key.created_at,
        key.expires_at
    )?;
    Ok(())
}

/// Creates a key in the unit's tenant and emits [`ApiKeyCreated`]; the secret is in the answer
/// only. The caller commits.
pub async fn create(uow: &mut UnitOfWork, cmd: CreateApiKey) -> Result<CreatedApiKey> {
    let mut f = ils_kernel::input::Fields::new();
    let name = f.check(crate::tenants::parse_name("name", &cmd.name));
    if cmd.scopes.is_empty() {
        f.add("scopes", "must name at least one action");
    }
    let now = Timestamp::now();
    let expires_at = match cmd.expires_in_days {
        None => None,
        Some(days @ 1..=3650) => Some(now.plus(std::time::Duration::from_secs(u64::from(days) * 86_400))),
        Some(_) => {
            f.add("expires_in_days", "must be between 1 and 3650");
            None
        }
    };
    let name = f.build(|| name)?;
    let mut scopes = cmd.scopes;
    scopes.sort_by_key(|a| a.as_str());
    scopes.dedup();
    let secret = secrets::new_token(secrets::API_KEY_PREFIX);
    let key = ApiKey {
        id: ApiKeyId::new(),
        name,
        prefix: secret.chars().take(secrets::API_KEY_PREFIX.len() + 6).collect(),
        scopes,
        created_by: cmd.created_by,
        created_at: now,
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    insert(uow.tx(), &key, &secret).await?;
    let event = Event::new("api_key.created", "api_key", key.id)
        .changes(serde_json::json!({ "name": key.name, "scopes": key.scopes, "expires_at": key.expires_at }));
    uow.audit(event).await?;
    let created = ApiKeyCreated { api_key_id: key.id, name: key.name.clone(), scopes: key.scopes.clone() };
    uow.emit(&created).await?;
    Ok(CreatedApiKey { key, secret })
}

/// The transaction's tenant's API keys, revoked ones included, a page at a time.
pub async fn list(tx: &mut TenantTx, page: &PageRequest) -> Result<Page<ApiKey>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_keys WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
    );
    let after: Option<ApiKeyId> = page.after()?;
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(after)
        .bind(page.fetch_limit())
        .fetch_all(&mut **c)
        .await)?;
    Ok(page.finish(rows.into_iter().map(ApiKey::from).collect(), |k| k.id.as_uuid()))
}

/// Revokes a live key of the unit's tenant (it stops working at once) and emits
/// [`ApiKeyRevoked`]; an unknown or already revoked key is `NotFound`. The caller commits.
pub async fn revoke(uow: &mut UnitOfWork, key_id: ApiKeyId) -> Result<()> {
    let tenant = uow.tenant_id();
    uow.tx().credentials_changed();
    let done = execute!(
        uow.tx().conn(),
        "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
        tenant,
        key_id,
        Timestamp::now()
    )?;
    if done == 0 {
        return Err(Error::NotFound("api key"));
    }
    uow.audit(Event::new("api_key.revoked", "api_key", key_id)).await?;
    uow.emit(&ApiKeyRevoked { api_key_id: key_id }).await?;
    Ok(())
}
