//! Per-tenant API keys over HTTP (the service is `ils_tenancy::auth::api_keys`). A key acts in
//! its tenant with the scopes it was given; only its hash is stored.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use ils_tenancy::auth::api_keys::{self, CreateApiKey};
pub use ils_tenancy::auth::api_keys::{ApiKey, CreatedApiKey};

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_storage::ids::ApiKeyId;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_key, list_keys)).routes(routes!(revoke_key))
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

/// Create an API key for the current tenant. The secret is in the answer only.
#[utoipa::path(post, path = "/api-keys", tag = "api-keys", security(("bearer" = [])), request_body = NewApiKey,
    responses((status = 201, description = "Created", body = CreatedApiKey),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn create_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let ctx = principal.tenant(Action::ApiKeysManage)?;
    let cmd = CreateApiKey {
        created_by: principal.user_id()?,
        name: req.name,
        scopes: req.scopes,
        expires_in_days: req.expires_in_days,
    };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let created = api_keys::create(&mut uow, cmd).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The tenant's API keys, including revoked ones.
#[utoipa::path(get, path = "/api-keys", tag = "api-keys", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "Keys", body = Page<ApiKey>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn list_keys(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ApiKey>>> {
    let ctx = principal.tenant(Action::ApiKeysManage)?;
    let page = PageRequest::parse(&query)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let keys = api_keys::list(&mut tx, &page).await?;
    tx.commit().await?;
    Ok(Json(keys))
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(delete, path = "/api-keys/{key_id}", tag = "api-keys", security(("bearer" = [])),
    params(("key_id" = ApiKeyId, Path, description = "The key")),
    responses((status = 204, description = "Revoked"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such live key in this tenant", body = Problem)))]
pub(crate) async fn revoke_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(key_id): ApiPath<ApiKeyId>,
) -> ApiResult<StatusCode> {
    let ctx = principal.tenant(Action::ApiKeysManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    api_keys::revoke(&mut uow, key_id).await?;
    uow.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
