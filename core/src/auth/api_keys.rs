//! Per-tenant API keys for integrations. A key acts in its tenant with the scopes it was given
//! (a subset of the permission matrix's actions); only its hash is stored.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::permissions::Action;
use super::{Principal, secrets};
use crate::audit::{self, Event};
use crate::db::types::Timestamp;
use crate::db::{TenantTx, execute, on_conn};
use crate::error::{Error, Result};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::{ApiKeyId, UserId};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_key, list_keys)).routes(routes!(revoke_key))
}

/// An API key, without its secret.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    /// Id.
    pub id: ApiKeyId,
    /// What it is for.
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    /// What it may do.
    pub scopes: Vec<Action>,
    /// Who created it.
    pub created_by: UserId,
    /// Created.
    pub created_at: Timestamp,
    /// Stops working at.
    pub expires_at: Option<Timestamp>,
    /// Last used (to the minute).
    pub last_used_at: Option<Timestamp>,
    /// Revoked at.
    pub revoked_at: Option<Timestamp>,
}

/// A new API key.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What it is for.
    pub name: String,
    /// What it may do: at least one action.
    pub scopes: Vec<Action>,
    /// Days until it expires (1–3650); never when absent.
    pub expires_in_days: Option<u32>,
}

/// A created key with its secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    /// The key.
    #[serde(flatten)]
    pub key: ApiKey,
    /// The secret to send as `Authorization: Bearer …`. Not retrievable later.
    pub secret: String,
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

/// Create an API key for the current tenant. The secret is in the answer only.
#[utoipa::path(post, path = "/api-keys", tag = "api-keys", security(("bearer" = [])), request_body = NewApiKey,
    responses((status = 201, description = "Created", body = CreatedApiKey),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn create_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let ctx = principal.tenant(Action::ApiKeysManage)?;
    // Keys are created by people, so every key traces back to someone accountable.
    let created_by = principal.user_id()?;
    let name = crate::tenants::parse_name("name", &req.name)?;
    if req.scopes.is_empty() {
        return Err(Error::invalid_field("scopes", "must name at least one action").into());
    }
    let mut scopes = req.scopes.clone();
    scopes.sort_by_key(|a| a.as_str());
    scopes.dedup();
    let now = Timestamp::now();
    let expires_at = match req.expires_in_days {
        None => None,
        Some(days @ 1..=3650) => Some(now.plus(std::time::Duration::from_secs(u64::from(days) * 86_400))),
        Some(_) => {
            return Err(Error::invalid_field("expires_in_days", "must be between 1 and 3650").into());
        }
    };
    let secret = secrets::new_token(secrets::API_KEY_PREFIX);
    let key = ApiKey {
        id: ApiKeyId::new(),
        name,
        prefix: secret.chars().take(secrets::API_KEY_PREFIX.len() + 6).collect(),
        scopes,
        created_by,
        created_at: now,
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    insert(&mut tx, &key, &secret).await?;
    let event = Event::new("api_key.created", "api_key", key.id)
        .changes(serde_json::json!({ "name": key.name, "scopes": key.scopes, "expires_at": key.expires_at }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    let created = crate::events::catalog::ApiKeyCreated {
        api_key_id: key.id,
        name: key.name.clone(),
        scopes: key.scopes.clone(),
    };
    crate::events::emit(&mut tx, &created).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { key, secret })))
}

/// The tenant's API keys, including revoked ones.
#[utoipa::path(get, path = "/api-keys", tag = "api-keys", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "Keys", body = Page<ApiKey>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
async fn list_keys(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ApiKey>>> {
    let ctx = principal.tenant(Action::ApiKeysManage)?;
    let page = PageRequest::parse(&query)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM api_keys WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
    );
    let after: Option<ApiKeyId> = page.after()?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(after)
        .bind(page.fetch_limit())
        .fetch_all(&mut **c)
        .await)?;
    tx.commit().await?;
    Ok(Json(page.finish(rows.into_iter().map(ApiKey::from).collect(), |k| k.id.as_uuid())))
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(delete, path = "/api-keys/{key_id}", tag = "api-keys", security(("bearer" = [])),
    params(("key_id" = ApiKeyId, Path, description = "The key")),
    responses((status = 204, description = "Revoked"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such live key in this tenant", body = Problem)))]
async fn revoke_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(key_id): ApiPath<ApiKeyId>,
) -> ApiResult<StatusCode> {
    let ctx = principal.tenant(Action::ApiKeysManage)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let tenant = tx.tenant_id();
    let done = execute!(
        tx.conn(),
        "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
        tenant,
        key_id,
        Timestamp::now()
    )?;
    if done == 0 {
        return Err(Error::NotFound("api key").into());
    }
    audit::record(&mut tx, &ctx.audit, Event::new("api_key.revoked", "api_key", key_id)).await?;
    let revoked = crate::events::catalog::ApiKeyRevoked { api_key_id: key_id };
    crate::events::emit(&mut tx, &revoked).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
