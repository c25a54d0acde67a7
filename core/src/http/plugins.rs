//! Plugins over HTTP: the catalogue and a tenant's enablement, configuration, secrets and
//! breaker under `/tenant/plugins`; a plugin's own routes under `/plugins/{plugin}/…` (signed-in
//! callers of the tenant, whose identity the plugin receives); and its inbound webhooks under
//! the public `/hooks/{tenant}/{plugin}/…` (no caller: the plugin verifies the sender itself).

use std::collections::BTreeSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use ils_host_api::{Caller, InvokeError};
use ils_registry::ExtensionPoint;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_kernel::TenantCtx;
use ils_kernel::audit::{self, Event};
use ils_kernel::error::{Error, Result};
use ils_kernel::permissions::Action;
use ils_plugin_host::catalogue::{self, enablement_view, entries, entry_of, tenant_plan, versions_of};
use ils_plugin_host::runtime::plugin_error;
use ils_plugin_host::runtime::{CallError, Target};
use ils_plugin_host::store;
use ils_plugin_host::{CatalogueEntry, Enablement, PlatformEntry};
use ils_storage::ids::TenantId;
use ils_storage::types::Timestamp;
use ils_tenancy::auth::{Credential, Grant, Principal};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plugins))
        .routes(routes!(get_plugin, enable_plugin, disable_plugin))
        .routes(routes!(get_config, put_config))
        .routes(routes!(list_secrets))
        .routes(routes!(put_secret, delete_secret))
        .routes(routes!(reset_breaker))
        .routes(routes!(plugin_usage))
        .routes(routes!(platform_catalogue))
        .route("/plugins/{plugin}", any(plugin_root))
        .route("/plugins/{plugin}/{*rest}", any(plugin_route))
        .route("/hooks/{tenant}/{plugin}", any(hook_root))
        .route("/hooks/{tenant}/{plugin}/{*rest}", any(hook_route))
}

/// The whole catalogue: every plugin, its versions and how many tenants run it (platform admins).
#[utoipa::path(get, path = "/platform/plugins", tag = "plugins", security(("bearer" = [])),
    responses((status = 200, description = "The catalogue", body = [PlatformEntry]),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not a platform admin", body = Problem)))]
pub(crate) async fn platform_catalogue(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<PlatformEntry>>> {
    principal.platform_admin()?;
    let mut tx = state.db.system_read().await?;
    let list = catalogue::platform_entries(tx.conn()).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// The plugins this installation offers, with the tenant's enablement of each.
#[utoipa::path(get, path = "/tenant/plugins", tag = "plugins", security(("bearer" = [])),
    responses((status = 200, description = "The catalogue", body = [CatalogueEntry]),
              (status = 401, description = "Not signed in", body = Problem)))]
pub(crate) async fn list_plugins(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<CatalogueEntry>>> {
    let ctx = principal.tenant(Action::TenantRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let list = entries(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// One plugin of the catalogue, with the tenant's enablement.
#[utoipa::path(get, path = "/tenant/plugins/{plugin}", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id")),
    responses((status = 200, description = "The plugin", body = CatalogueEntry),
              (status = 404, description = "No such plugin", body = Problem)))]
pub(crate) async fn get_plugin(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plugin): ApiPath<String>,
) -> ApiResult<Json<CatalogueEntry>> {
    let ctx = principal.tenant(Action::TenantRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let entry = entry_of(&mut tx, catalogue::plugin_id(&plugin)?.as_str()).await?;
    tx.commit().await?;
    Ok(Json(entry))
}

/// Enabling a plugin version.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableInput {
    /// The version to run.
    pub version: String,
    /// The capabilities the admin consents to: every capability the version asks for.
    pub consent: Vec<String>,
    /// Its configuration (checked against the version's schema); by default the configuration
    /// kept from before, or `{}`.
    #[schema(value_type = Object)]
    pub config: Option<serde_json::Value>,
    /// A semver range to follow (`^1.2`), which must contain `version`: a platform roll-out of a
    /// newer version in it moves the tenant when that version asks for nothing beyond this
    /// consent. `""` pins the tenant to `version`; by default the range kept from before, when
    /// it still contains `version`.
    pub track: Option<String>,
}

fn invalid_config(e: ils_registry::ManifestError) -> Error {
    Error::Invalid {
        code: "invalid_config",
        message: format!("The configuration does not fit the plugin's schema: {e}"),
        fields: Vec::new(),
    }
}

/// Enable a plugin version for the tenant (company admins), or move to another version. The
/// tenant's plan must include it, and the admin consents to every capability it asks for.
#[utoipa::path(put, path = "/tenant/plugins/{plugin}", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id")), request_body = EnableInput,
    responses((status = 200, description = "Enabled", body = Enablement),
              (status = 403, description = "Not a company admin, or the plan does not include it", body = Problem),
              (status = 404, description = "No such plugin version", body = Problem),
              (status = 409, description = "The version is not approved, or was yanked", body = Problem),
              (status = 422, description = "Consent missing, or configuration invalid", body = Problem)))]
pub(crate) async fn enable_plugin(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plugin): ApiPath<String>,
    ApiJson(req): ApiJson<EnableInput>,
) -> ApiResult<Json<Enablement>> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    let plugin = catalogue::plugin_id(&plugin)?;
    let wanted = catalogue::version(&req.version)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let offered =
        versions_of(&mut tx, plugin.as_str()).await?.into_iter().find(|v| v.manifest.version == wanted);
    let Some(offered) = offered else {
        // A published version waiting for review (or rejected) is not offered.
        let status = store::version_status(tx.conn(), plugin.as_str(), &wanted.to_string()).await?;
        return Err(match status {
            Some(status) => Error::conflict(
                "version_not_approved",
                format!(
                    "{plugin} {wanted} is {status}: only versions a platform admin approved are offered."
                ),
            ),
            None => Error::NotFound("plugin version"),
        }
        .into());
    };
    let before = store::enablement(&mut tx, plugin.as_str()).await?;
    let on_it = before.as_ref().is_some_and(|b| b.version == offered.row.version);
    if offered.row.yanked_at.is_some() && !on_it {
        return Err(Error::conflict(
            "version_yanked",
            format!(
                "{plugin} {wanted} was yanked ({}); enable another version.",
                offered.row.yank_reason.as_deref().unwrap_or("no reason given")
            ),
        )
        .into());
    }
    let plan = tenant_plan(&mut tx).await?;
    if !ils_plugin_host::plans::includes(tx.conn(), &plan, plugin.as_str()).await? {
        return Err(Error::forbidden(
            "plan_required",
            format!("{} is not included in this tenant's {plan} plan.", offered.manifest.name),
        )
        .into());
    }
    let asked: BTreeSet<String> =
        offered.manifest.capabilities.iter().map(|c| c.as_str().to_owned()).collect();
    let given: BTreeSet<String> = req.consent.iter().cloned().collect();
    if let Some(unknown) = given.difference(&asked).next() {
        return Err(Error::invalid_field(
            "consent",
            format!("{unknown:?} is not a capability this version asks for"),
        )
        .into());
    }
    let missing: Vec<&String> = asked.difference(&given).collect();
    if !missing.is_empty() {
        let missing = missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        return Err(Error::Invalid {
            code: "consent_required",
            message: format!(
                "Enabling {} needs consent to every capability it asks for; missing: {missing}.",
                offered.manifest.name
            ),
            fields: vec![ils_kernel::error::FieldError {
                field: "consent".into(),
                message: format!("missing {missing}"),
            }],
        }
        .into());
    }
    let config = match (&req.config, &before) {
        (Some(config), _) => config.clone(),
        (None, Some(row)) => serde_json::from_str(&row.config).unwrap_or_else(|_| serde_json::json!({})),
        (None, None) => serde_json::json!({}),
    };
    offered.manifest.validate_config(&config).map_err(invalid_config)?;
    // This node must be able to run it before the tenant relies on it.
    state.plugins.load(plugin.as_str(), &offered.row.version, &offered.row.digest).await?;
    let track = match (req.track.as_deref().map(str::trim), &before) {
        (Some(""), _) | (None, None) => None,
        (Some(text), _) => Some(catalogue::track(text, &wanted)?.to_string()),
        // The range kept from before, while it contains the version.
        (None, Some(row)) => row.track.clone().filter(|t| catalogue::track(t, &wanted).is_ok()),
    };
    let capabilities = asked.iter().cloned().collect::<Vec<_>>().join(" ");
    let enable = store::Enable {
        plugin: plugin.as_str(),
        version: &offered.row.version,
        track: track.as_deref(),
        capabilities,
        config: config.to_string(),
        by: ctx.user_id,
    };
    store::enable(&mut tx, &enable).await?;
    let event = Event::new("plugin.enabled", "plugin", plugin.as_str()).changes(serde_json::json!({
        "version": { "from": before.as_ref().filter(|b| b.enabled).map(|b| b.version.clone()), "to": offered.row.version },
        "capabilities": asked,
        "track": track,
    }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    let row = store::enablement(&mut tx, plugin.as_str()).await?.ok_or(Error::NotFound("plugin"))?;
    tx.commit().await?;
    if before.is_some_and(|b| b.version != row.version) {
        sweep(&state).await;
    }
    Ok(Json(enablement_view(&row)))
}

/// Drops the compiled versions no tenant runs any more, after a tenant moved (a failure only
/// delays that to the periodic sweep).
async fn sweep(state: &AppState) {
    if let Err(error) = state.plugins.sweep().await {
        tracing::warn!(%error, "sweeping unused plugin versions failed");
    }
}

/// Disable a plugin (company admins). Its configuration, secrets and data are kept for a
/// re-enable; nothing is delivered to it meanwhile.
#[utoipa::path(delete, path = "/tenant/plugins/{plugin}", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id")),
    responses((status = 204, description = "Disabled"),
              (status = 403, description = "Not a company admin", body = Problem),
              (status = 404, description = "Not enabled", body = Problem)))]
pub(crate) async fn disable_plugin(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plugin): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    let plugin = catalogue::plugin_id(&plugin)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    if !store::disable(&mut tx, plugin.as_str()).await? {
        return Err(Error::NotFound("enabled plugin").into());
    }
    audit::record(&mut tx, &ctx.audit, Event::new("plugin.disabled", "plugin", plugin.as_str())).await?;
    tx.commit().await?;
    sweep(&state).await;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn enabled_row(
    tx: &mut ils_storage::TenantTx,
    plugin: &str,
) -> Result<store::EnablementRow> {
    store::enablement(tx, plugin).await?.ok_or(Error::NotFound("enabled plugin"))
}

/// The tenant's configuration of a plugin (company admins).
#[utoipa::path(get, path = "/tenant/plugins/{plugin}/config", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id")),
    responses((status = 200, description = "The configuration", body = Object),
              (status = 404, description = "Never enabled", body = Problem)))]
pub(crate) async fn get_config(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plugin): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    let plugin = catalogue::plugin_id(&plugin)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let row = enabled_row(&mut tx, plugin.as_str()).await?;
    tx.commit().await?;
    Ok(Json(serde_json::from_str(&row.config).map_err(|e| Error::Internal(e.to_string()))?))
}

/// Replace the tenant's configuration of a plugin (company admins); checked against the
/// enabled version's schema.
#[utoipa::path(put, path = "/tenant/plugins/{plugin}/config", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id")), request_body = Object,
    responses((status = 200, description = "The new configuration", body = Object),
              (status = 404, description = "Never enabled", body = Problem),
              (status = 422, description = "Does not fit the plugin's schema", body = Problem)))]
pub(crate) async fn put_config(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plugin): ApiPath<String>,
    ApiJson(config): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Json<serde_json::Value>> {
    let config = serde_json::Value::Object(config);
    let ctx = principal.tenant(Action::PluginsManage)?;
    let plugin = catalogue::plugin_id(&plugin)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let row = enabled_row(&mut tx, plugin.as_str()).await?;
    let manifest = state
        .plugins
        .manifest(tx.conn(), plugin.as_str(), &row.version)
        .await?
        .ok_or_else(|| Error::Internal("enabled version left the catalogue".into()))?;
    manifest.validate_config(&config).map_err(invalid_config)?;
    store::set_config(&mut tx, plugin.as_str(), &config.to_string()).await?;
    let keys: Vec<&String> = config.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    let event = Event::new("plugin.configured", "plugin", plugin.as_str())
        .changes(serde_json::json!({ "keys": keys }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(Json(config))
}

/// A secret's name and when it was set; the value is never returned.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecretInfo {
    /// Its name.
    pub name: String,
    /// When it was last set.
    pub updated_at: Timestamp,
}

/// The names of a plugin's secrets (company admins); never their values.
#[utoipa::path(get, path = "/tenant/plugins/{plugin}/secrets", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id")),
    responses((status = 200, description = "Secret names", body = [SecretInfo]),
              (status = 404, description = "Never enabled", body = Problem)))]
pub(crate) async fn list_secrets(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plugin): ApiPath<String>,
) -> ApiResult<Json<Vec<SecretInfo>>> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    let plugin = catalogue::plugin_id(&plugin)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    enabled_row(&mut tx, plugin.as_str()).await?;
    let names = store::secret_names(&mut tx, plugin.as_str()).await?;
    tx.commit().await?;
    Ok(Json(names.into_iter().map(|(name, updated_at)| SecretInfo { name, updated_at }).collect()))
}

/// A secret's value.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretInput {
    /// The value (1–8192 characters); sealed at rest, readable only by the plugin.
    pub value: String,
}

fn secret_name(name: &str) -> Result<&str> {
    let ok = (1..=100).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok { Ok(name) } else { Err(Error::invalid_field("name", "is 1–100 of A-Z a-z 0-9 _ - .")) }
}

/// Set a plugin secret (company admins). Write-only: no endpoint returns it.
#[utoipa::path(put, path = "/tenant/plugins/{plugin}/secrets/{name}", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), ("name" = String, Path, description = "Secret name")),
    request_body = SecretInput,
    responses((status = 204, description = "Set"),
              (status = 404, description = "Never enabled", body = Problem),
              (status = 422, description = "Invalid name or value", body = Problem)))]
pub(crate) async fn put_secret(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((plugin, name)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<SecretInput>,
) -> ApiResult<StatusCode> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    let plugin = catalogue::plugin_id(&plugin)?;
    let name = secret_name(&name)?;
    if req.value.is_empty() || req.value.chars().count() > 8192 {
        return Err(Error::invalid_field("value", "must be 1–8192 characters").into());
    }
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    enabled_row(&mut tx, plugin.as_str()).await?;
    store::put_secret(&mut tx, plugin.as_str(), name, &state.sealer.seal(req.value.as_bytes())).await?;
    let event = Event::new("plugin.secret_set", "plugin", plugin.as_str())
        .changes(serde_json::json!({ "name": name }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a plugin secret (company admins).
#[utoipa::path(delete, path = "/tenant/plugins/{plugin}/secrets/{name}", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), ("name" = String, Path, description = "Secret name")),
    responses((status = 204, description = "Removed"),
              (status = 404, description = "No such secret", body = Problem)))]
pub(crate) async fn delete_secret(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((plugin, name)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    let plugin = catalogue::plugin_id(&plugin)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    if !store::delete_secret(&mut tx, plugin.as_str(), &name).await? {
        return Err(Error::NotFound("secret").into());
    }
    let event = Event::new("plugin.secret_removed", "plugin", plugin.as_str())
        .changes(serde_json::json!({ "name": name }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How often a tenant's admins may reset one plugin's breaker in an hour: each reset lets a failing
/// plugin run again at once, so resets are a remedy, not a way round the breaker.
const RESETS_PER_HOUR: i64 = 3;

/// Close a plugin's circuit breaker (company admins), after fixing what made it fail.
#[utoipa::path(post, path = "/tenant/plugins/{plugin}/breaker/reset", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id")),
    responses((status = 200, description = "The enablement, breaker closed", body = Enablement),
              (status = 404, description = "Never enabled", body = Problem),
              (status = 429, description = "Reset 3 times in the last hour already", body = Problem)))]
pub(crate) async fn reset_breaker(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plugin): ApiPath<String>,
) -> ApiResult<Json<Enablement>> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    let plugin = catalogue::plugin_id(&plugin)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let hour_ago = Timestamp::now().minus(std::time::Duration::from_secs(3600));
    if audit::count_since(&mut tx, "plugin.breaker_reset", plugin.as_str(), hour_ago).await?
        >= RESETS_PER_HOUR
    {
        return Err(Error::RateLimited {
            code: "too_many_resets",
            message: format!(
                "The breaker of {plugin} was reset {RESETS_PER_HOUR} times in the last hour; let it close by itself, or fix what makes the plugin fail."
            ),
            retry_after: 3600,
        }
        .into());
    }
    if !store::reset_breaker(&mut tx, plugin.as_str()).await? {
        return Err(Error::NotFound("enabled plugin").into());
    }
    audit::record(&mut tx, &ctx.audit, Event::new("plugin.breaker_reset", "plugin", plugin.as_str())).await?;
    let row = enabled_row(&mut tx, plugin.as_str()).await?;
    tx.commit().await?;
    Ok(Json(enablement_view(&row)))
}

/// A plugin's usage against its plan's quotas (company admins): bytes and keys kept in kv, events
/// published this minute, invocations this month (with when that count resets), and writes
/// refused for a quota. Never enabled, or another tenant's: 404.
#[utoipa::path(get, path = "/tenant/plugins/{plugin}/usage", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id")),
    responses((status = 200, description = "Usage against quota", body = ils_plugin_host::quota::Usage),
              (status = 403, description = "Not a company admin", body = Problem),
              (status = 404, description = "Never enabled", body = Problem)))]
pub(crate) async fn plugin_usage(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plugin): ApiPath<String>,
) -> ApiResult<Json<ils_plugin_host::quota::Usage>> {
    let ctx = principal.tenant(Action::PluginsManage)?;
    let plugin = catalogue::plugin_id(&plugin)?;
    // This node's latest calls count too.
    state.plugins.metering().flush().await?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    enabled_row(&mut tx, plugin.as_str()).await?;
    let usage = ils_plugin_host::quota::usage(&mut tx, plugin.as_str()).await?;
    tx.commit().await?;
    Ok(Json(usage))
}

/// The caller as the plugin sees it.
pub(crate) fn caller(principal: &Principal, ctx: &TenantCtx) -> Caller {
    match (&principal.credential, principal.tenant.as_ref().map(|t| &t.grant)) {
        (Credential::Session { user_id, .. }, Some(Grant::Role(role))) => {
            Caller { user_id: user_id.to_string(), roles: vec![role.to_string()] }
        }
        (Credential::ApiKey { key_id }, _) => {
            Caller { user_id: format!("api-key:{key_id}"), roles: Vec::new() }
        }
        _ => Caller { user_id: ctx.user_id.map(|u| u.to_string()).unwrap_or_default(), roles: Vec::new() },
    }
}

/// Headers a plugin never sees (the caller's credentials) or never sets (cookies, the host's
/// security policy).
const HIDDEN_REQUEST: [HeaderName; 3] = [header::AUTHORIZATION, header::COOKIE, header::PROXY_AUTHORIZATION];
const REFUSED_RESPONSE: [HeaderName; 5] = [
    header::SET_COOKIE,
    header::CONTENT_SECURITY_POLICY,
    header::STRICT_TRANSPORT_SECURITY,
    header::ACCESS_CONTROL_ALLOW_ORIGIN,
    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
];

/// A request to a plugin, as received.
pub(crate) struct Incoming {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

async fn serve(
    state: &AppState,
    target: Target,
    caller: Option<Caller>,
    rest: Option<&str>,
    incoming: Incoming,
) -> ApiResult<Response> {
    let plugin = target.row.plugin_id.clone();
    if !target.manifest().provides.contains(&ExtensionPoint::Http) {
        return Err(
            plugin_error(&plugin, CallError::Failed(InvokeError::NotProvided(ExtensionPoint::Http))).into()
        );
    }
    let mut request = http::Request::builder().method(incoming.method).uri(relative(rest, &incoming.uri));
    for (name, value) in incoming.headers.iter().filter(|(n, _)| !HIDDEN_REQUEST.contains(n)) {
        request = request.header(name, value);
    }
    let request = request.body(incoming.body).map_err(|e| Error::invalid_field("path", e.to_string()))?;
    let response =
        state
            .plugins
            .call(&target, caller, |host, version, ctx| async move {
                host.handle_http(&version, ctx, request).await
            })
            .await
            .map_err(|e| plugin_error(&plugin, e))?;
    let (parts, body) = response.into_parts();
    let mut out = (parts.status, body).into_response();
    for (name, value) in parts.headers.iter().filter(|(n, _)| !REFUSED_RESPONSE.contains(n)) {
        out.headers_mut().append(name.clone(), value.clone());
    }
    Ok(out)
}

/// The plugin-relative path and query of a request to `…/{rest}`.
fn relative(rest: Option<&str>, uri: &Uri) -> String {
    let path = format!("/{}", rest.unwrap_or_default());
    match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    }
}

/// A call of `plugin`'s route `rest` by a signed-in caller (the API's plugin routes, and the
/// console's plugin pages).
pub(crate) async fn plugin_call(
    state: AppState,
    principal: Principal,
    plugin: &str,
    rest: Option<&str>,
    incoming: Incoming,
) -> ApiResult<Response> {
    let ctx = principal.tenant(Action::PluginsUse)?;
    let plugin = catalogue::plugin_id(plugin)?;
    let target = state.plugins.enabled(ctx.tenant_id, plugin.as_str()).await?;
    let caller = caller(&principal, &ctx);
    serve(&state, target, Some(caller), rest, incoming).await
}

async fn plugin_root(
    State(state): State<AppState>,
    principal: Principal,
    Path(plugin): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    plugin_call(state, principal, &plugin, None, Incoming { method, uri, headers, body }).await
}

async fn plugin_route(
    State(state): State<AppState>,
    principal: Principal,
    Path((plugin, rest)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    plugin_call(state, principal, &plugin, Some(&rest), Incoming { method, uri, headers, body }).await
}

async fn hook_call(
    state: AppState,
    tenant: &str,
    plugin: &str,
    rest: Option<&str>,
    incoming: Incoming,
) -> ApiResult<Response> {
    let gone = || Error::NotFound("webhook receiver");
    let slug = ils_tenancy::tenants::Slug::parse(tenant).map_err(|_| gone())?;
    let plugin = catalogue::plugin_id(plugin).map_err(|_| gone())?;
    let tenant_id: TenantId =
        ils_tenancy::tenants::active_by_slug(&state.db, &slug).await?.ok_or_else(gone)?;
    let target = state.plugins.target(tenant_id, plugin.as_str()).await?.ok_or_else(gone)?;
    state.plugins.hook_call(tenant_id, plugin.as_str())?;
    serve(&state, target, None, rest, incoming).await
}

async fn hook_root(
    State(state): State<AppState>,
    Path((tenant, plugin)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    hook_call(state, &tenant, &plugin, None, Incoming { method, uri, headers, body }).await
}

async fn hook_route(
    State(state): State<AppState>,
    Path((tenant, plugin, rest)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    hook_call(state, &tenant, &plugin, Some(&rest), Incoming { method, uri, headers, body }).await
}
