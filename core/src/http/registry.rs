//! The plugin registry over HTTP, under `/registry`: publishers and their keys and tokens,
//! signed publishing (`ils plugin publish`), the review queue of platform admins, and yanks.
//! The rules are `ils_publishing`'s; this module maps requests and callers onto them.
//!
//! A caller is a signed-in user (`Authorization: Bearer ils_s_…`) or, to publish only, a
//! publishing token (`Bearer ils_p_…`).

use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use base64::Engine as _;
use ils_publishing::rollout::{Moved, PluginRollouts, Rollout, Rollouts, StartRollout};
use ils_publishing::{
    Actor, CreatedToken, Decision, Publish, PublishedVersion, Publisher, PublisherDetail, Review, SigningKey,
};
use ils_storage::ids::PublisherTokenId;
use ils_storage::ids::TenantId;
use ils_tenancy::auth::{Principal, RequestMeta};
use ils_tenancy::tenants::PlanSlug;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::bearer;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::audit::{ActorKind, AuditCtx};
use ils_kernel::error::Error;

/// The largest package body `POST /registry/packages` takes (the component travels as base64).
const MAX_PACKAGE_BODY: usize = 64 << 20;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    let publish =
        OpenApiRouter::new().routes(routes!(publish)).layer(DefaultBodyLimit::max(MAX_PACKAGE_BODY));
    OpenApiRouter::new()
        .routes(routes!(list_publishers, create_publisher))
        .routes(routes!(get_publisher, update_publisher))
        .routes(routes!(add_key))
        .routes(routes!(revoke_signing_key))
        .routes(routes!(create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(review_queue))
        .routes(routes!(get_version))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(yank))
        .routes(routes!(start_rollout, get_rollout, advance_rollout))
        .routes(routes!(rollback_rollout))
        .routes(routes!(move_tenants))
        .routes(routes!(plugin_rollouts))
        .merge(publish)
}

/// The caller of a registry route, with what the audit log records of them.
pub(crate) struct RegistryCaller {
    pub(crate) actor: Actor,
    pub(crate) audit: AuditCtx,
}

impl RegistryCaller {
    /// A signed-in user (an API caller, or the console's viewer): a platform admin reviews only
    /// once past their second factor.
    pub(crate) fn user(principal: &Principal) -> Result<Self, Error> {
        let user_id = principal.user_id()?;
        let platform_admin = principal.is_platform_admin && principal.mfa_satisfied;
        Ok(Self { actor: Actor::User { user_id, platform_admin }, audit: principal.audit() })
    }
}

impl RegistryCaller {
    /// The caller's roll-out operations.
    pub(crate) fn rollouts<'a>(&'a self, state: &'a AppState) -> Rollouts<'a> {
        Rollouts { db: &state.db, plugins: &state.plugins, audit: &self.audit, actor: &self.actor }
    }
}

impl FromRequestParts<AppState> for RegistryCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token =
            bearer(&parts.headers).filter(|t| t.starts_with(ils_publishing::TOKEN_PREFIX)).map(str::to_owned);
        if let Some(token) = token {
            let meta = RequestMeta::from_request_parts(parts, state).await?;
            let actor = ils_publishing::resolve_token(&state.db, &token).await?.ok_or_else(|| {
                Error::unauthorized("invalid_token", "The publishing token is unknown, expired or revoked.")
            })?;
            let Actor::Token { token, .. } = actor else { unreachable!("a token resolves to a token actor") };
            let audit = AuditCtx {
                actor_kind: ActorKind::ApiKey,
                actor_id: Some(token.as_uuid()),
                request_id: meta.request_id,
                ip: meta.ip,
            };
            return Ok(Self { actor, audit });
        }
        let principal = Principal::from_request_parts(parts, state).await?;
        Ok(Self::user(&principal)?)
    }
}

/// A new publisher.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewPublisher {
    /// Unique handle: 2–63 lowercase letters, digits and `-`.
    slug: String,
    /// Display name.
    name: String,
}

/// The publishers you belong to (every publisher, for platform admins).
#[utoipa::path(get, path = "/registry/publishers", tag = "registry", security(("bearer" = [])),
    responses((status = 200, description = "Publishers", body = [Publisher]),
              (status = 401, description = "Not signed in", body = Problem)))]
pub(crate) async fn list_publishers(
    State(state): State<AppState>,
    caller: RegistryCaller,
) -> ApiResult<Json<Vec<Publisher>>> {
    Ok(Json(ils_publishing::publishers(&state.db, &caller.actor).await?))
}

/// Create a publisher; you become its member. Plugin ids you publish under it are its own.
#[utoipa::path(post, path = "/registry/publishers", tag = "registry", security(("bearer" = [])),
    request_body = NewPublisher,
    responses((status = 201, description = "Created", body = Publisher),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 409, description = "The slug is taken", body = Problem),
              (status = 422, description = "Invalid slug or name", body = Problem)))]
pub(crate) async fn create_publisher(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiJson(req): ApiJson<NewPublisher>,
) -> ApiResult<(StatusCode, Json<Publisher>)> {
    let publisher =
        ils_publishing::create_publisher(&state.db, &caller.audit, &caller.actor, &req.slug, &req.name)
            .await?;
    Ok((StatusCode::CREATED, Json(publisher)))
}

/// A publisher with its keys, tokens and published versions (its members and platform admins).
#[utoipa::path(get, path = "/registry/publishers/{publisher}", tag = "registry", security(("bearer" = [])),
    params(("publisher" = String, Path, description = "Publisher slug")),
    responses((status = 200, description = "The publisher", body = PublisherDetail),
              (status = 404, description = "No such publisher, or not yours", body = Problem)))]
pub(crate) async fn get_publisher(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath(publisher): ApiPath<String>,
) -> ApiResult<Json<PublisherDetail>> {
    Ok(Json(ils_publishing::publisher(&state.db, &caller.actor, &publisher).await?))
}

/// A platform admin's change to a publisher.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct PublisherPatch {
    /// Versions that add nothing to the previous approved one skip review.
    auto_approve: bool,
}

/// Set whether a publisher's versions that add nothing skip review (platform admins).
#[utoipa::path(patch, path = "/registry/publishers/{publisher}", tag = "registry", security(("bearer" = [])),
    params(("publisher" = String, Path, description = "Publisher slug")), request_body = PublisherPatch,
    responses((status = 200, description = "Changed", body = Publisher),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such publisher", body = Problem)))]
pub(crate) async fn update_publisher(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath(publisher): ApiPath<String>,
    ApiJson(req): ApiJson<PublisherPatch>,
) -> ApiResult<Json<Publisher>> {
    let p = ils_publishing::set_auto_approve(
        &state.db,
        &caller.audit,
        &caller.actor,
        &publisher,
        req.auto_approve,
    )
    .await?;
    Ok(Json(p))
}

/// A public key to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewKey {
    /// What it is for (`ci`, `laptop`).
    name: String,
    /// The ed25519 public key, base64 of its 32 bytes (`ils plugin keygen` prints it).
    public_key: String,
}

/// Register a signing key for a publisher (its members).
#[utoipa::path(post, path = "/registry/publishers/{publisher}/keys", tag = "registry", security(("bearer" = [])),
    params(("publisher" = String, Path, description = "Publisher slug")), request_body = NewKey,
    responses((status = 201, description = "Registered", body = SigningKey),
              (status = 404, description = "No such publisher, or not yours", body = Problem),
              (status = 409, description = "The key is registered already", body = Problem),
              (status = 422, description = "Not an ed25519 public key", body = Problem)))]
pub(crate) async fn add_key(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath(publisher): ApiPath<String>,
    ApiJson(req): ApiJson<NewKey>,
) -> ApiResult<(StatusCode, Json<SigningKey>)> {
    let key = ils_publishing::add_key(
        &state.db,
        &caller.audit,
        &caller.actor,
        &publisher,
        &req.name,
        &req.public_key,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(key)))
}

/// Revoke a signing key: packages signed by it are refused from now on.
#[utoipa::path(delete, path = "/registry/publishers/{publisher}/keys/{key_id}", tag = "registry",
    security(("bearer" = [])),
    params(("publisher" = String, Path, description = "Publisher slug"),
           ("key_id" = String, Path, description = "Key id (16 hex digits)")),
    responses((status = 204, description = "Revoked"),
              (status = 404, description = "No such live key", body = Problem)))]
pub(crate) async fn revoke_signing_key(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath((publisher, key_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    ils_publishing::revoke_key(&state.db, &caller.audit, &caller.actor, &publisher, &key_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A publishing token to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewToken {
    /// What it is for (`github-actions`).
    name: String,
    /// Days until it expires (1–3650); never when absent.
    #[serde(default)]
    expires_in_days: Option<u32>,
}

/// Create a publishing token for CI: it can publish for this publisher and nothing else.
#[utoipa::path(post, path = "/registry/publishers/{publisher}/tokens", tag = "registry", security(("bearer" = [])),
    params(("publisher" = String, Path, description = "Publisher slug")), request_body = NewToken,
    responses((status = 201, description = "Created; the secret is shown this once", body = CreatedToken),
              (status = 404, description = "No such publisher, or not yours", body = Problem)))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath(publisher): ApiPath<String>,
    ApiJson(req): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let token = ils_publishing::create_token(
        &state.db,
        &caller.audit,
        &caller.actor,
        &publisher,
        &req.name,
        req.expires_in_days,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Revoke a publishing token.
#[utoipa::path(delete, path = "/registry/publishers/{publisher}/tokens/{token_id}", tag = "registry",
    security(("bearer" = [])),
    params(("publisher" = String, Path, description = "Publisher slug"),
           ("token_id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"),
              (status = 404, description = "No such live token", body = Problem)))]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath((publisher, token)): ApiPath<(String, PublisherTokenId)>,
) -> ApiResult<StatusCode> {
    ils_publishing::revoke_token(&state.db, &caller.audit, &caller.actor, &publisher, token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A signed package, as `ils plugin publish` sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct PackageUpload {
    /// The publisher to publish as; needed only when you belong to several and the plugin id
    /// is not claimed yet.
    #[serde(default)]
    publisher: Option<String>,
    /// `ils-plugin.toml`, as text.
    manifest: String,
    /// The component (`plugin.wasm`), base64.
    component: String,
    /// The id of the key that signed it.
    key_id: String,
    /// The ed25519 signature over the package digest, base64.
    signature: String,
}

/// Publish a signed package. It waits for review (`pending`) unless its publisher is set to
/// auto-approve and it adds nothing to the previous approved version.
#[utoipa::path(post, path = "/registry/packages", tag = "registry", security(("bearer" = [])),
    request_body = PackageUpload,
    responses((status = 201, description = "Published", body = Review),
              (status = 401, description = "Not signed in, or the token is not valid", body = Problem),
              (status = 403, description = "Someone else's plugin id, a revoked key, or not a member", body = Problem),
              (status = 409, description = "The version exists with other content, or is not above the last for a platform change", body = Problem),
              (status = 422, description = "Bad signature, unknown key, or an invalid package", body = Problem)))]
pub(crate) async fn publish(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiJson(req): ApiJson<PackageUpload>,
) -> ApiResult<(StatusCode, Json<Review>)> {
    let component = base64::engine::general_purpose::STANDARD
        .decode(req.component.trim())
        .map_err(|e| Error::invalid_field("component", format!("is not base64: {e}")))?;
    let publish = Publish {
        publisher: req.publisher,
        manifest: req.manifest,
        component,
        key_id: req.key_id,
        signature: req.signature,
    };
    let review =
        ils_publishing::publish(&state.db, &state.plugins, &caller.audit, &caller.actor, publish).await?;
    Ok((StatusCode::CREATED, Json(review)))
}

/// The versions waiting for review, oldest first, each with its capability diff (platform admins).
#[utoipa::path(get, path = "/registry/reviews", tag = "registry", security(("bearer" = [])),
    responses((status = 200, description = "The queue", body = [Review]),
              (status = 403, description = "Not a platform admin", body = Problem)))]
pub(crate) async fn review_queue(
    State(state): State<AppState>,
    caller: RegistryCaller,
) -> ApiResult<Json<Vec<Review>>> {
    Ok(Json(ils_publishing::review_queue(&state.db, &caller.actor).await?))
}

/// One version with its review details (platform admins, and the publisher that owns it).
#[utoipa::path(get, path = "/registry/plugins/{plugin}/versions/{version}", tag = "registry",
    security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), ("version" = String, Path, description = "Version")),
    responses((status = 200, description = "The version", body = Review),
              (status = 404, description = "No such version, or not yours", body = Problem)))]
pub(crate) async fn get_version(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath((plugin, version)): ApiPath<(String, String)>,
) -> ApiResult<Json<Review>> {
    Ok(Json(ils_publishing::review(&state.db, &caller.actor, &plugin, &version).await?))
}

/// An approval.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Approval {
    /// The plan it is offered from: approving includes the plugin in that plan and every plan
    /// ranked above it (default: the previous approved version's, else the lowest plan).
    #[serde(default)]
    min_plan: Option<PlanSlug>,
    /// A note to the publisher.
    #[serde(default)]
    note: Option<String>,
}

/// Approve a pending version: tenants may enable it from now on (platform admins).
#[utoipa::path(post, path = "/registry/plugins/{plugin}/versions/{version}/approve", tag = "registry",
    security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), ("version" = String, Path, description = "Version")),
    request_body = Approval,
    responses((status = 200, description = "Approved", body = Review),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such version", body = Problem),
              (status = 409, description = "Not waiting for review", body = Problem)))]
pub(crate) async fn approve(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath((plugin, version)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<Approval>,
) -> ApiResult<Json<Review>> {
    let decision = Decision::Approve { min_plan: req.min_plan, note: req.note };
    let review =
        ils_publishing::decide(&state.db, &caller.audit, &caller.actor, &plugin, &version, decision).await?;
    Ok(Json(review))
}

/// A rejection, or a yank: why.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Reason {
    /// Why; the publisher (or the tenants on a yanked version) see it.
    reason: String,
}

/// Reject a pending version with a reason the publisher sees (platform admins).
#[utoipa::path(post, path = "/registry/plugins/{plugin}/versions/{version}/reject", tag = "registry",
    security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), ("version" = String, Path, description = "Version")),
    request_body = Reason,
    responses((status = 200, description = "Rejected", body = Review),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such version", body = Problem),
              (status = 409, description = "Not waiting for review", body = Problem),
              (status = 422, description = "No reason given", body = Problem)))]
pub(crate) async fn reject(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath((plugin, version)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<Reason>,
) -> ApiResult<Json<Review>> {
    let decision = Decision::Reject { reason: req.reason };
    let review =
        ils_publishing::decide(&state.db, &caller.audit, &caller.actor, &plugin, &version, decision).await?;
    Ok(Json(review))
}

/// Yank an approved version: no tenant may enable it from now on; tenants on it are told and
/// keep running it (its publisher's members, or platform admins).
#[utoipa::path(post, path = "/registry/plugins/{plugin}/versions/{version}/yank", tag = "registry",
    security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), ("version" = String, Path, description = "Version")),
    request_body = Reason,
    responses((status = 200, description = "Yanked", body = PublishedVersion),
              (status = 404, description = "No such version, or not yours", body = Problem),
              (status = 409, description = "Not approved, or yanked already", body = Problem),
              (status = 422, description = "No reason given", body = Problem)))]
pub(crate) async fn yank(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath((plugin, version)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<Reason>,
) -> ApiResult<Json<PublishedVersion>> {
    let yanked =
        ils_publishing::yank(&state.db, &caller.audit, &caller.actor, &plugin, &version, &req.reason).await?;
    Ok(Json(yanked))
}

/// Starting a roll-out.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRollout {
    /// The tenants of the first stage (none: the first stage moves no one until it is widened).
    #[serde(default)]
    tenants: Vec<TenantId>,
    /// How much worse than the previous version it may do before it is rolled back, as a
    /// fraction (default 0.02: two points of failure rate, or 0.02 breaker trips per tenant).
    #[serde(default)]
    margin: Option<f64>,
    /// Calls it must have run before its failure rate is judged (default 20).
    #[serde(default)]
    min_calls: Option<u64>,
}

/// Roll an approved version out (platform admins): the first stage moves the named tenants that
/// follow a range containing it, run an older version and consented to all it asks for.
#[utoipa::path(post, path = "/registry/plugins/{plugin}/versions/{version}/rollout", tag = "registry",
    security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), ("version" = String, Path, description = "Version")),
    request_body = NewRollout,
    responses((status = 201, description = "Started", body = Rollout),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such version", body = Problem),
              (status = 409, description = "Not approved, yanked, or another roll-out of the plugin is active", body = Problem),
              (status = 422, description = "An unknown tenant, or a margin or call count out of range", body = Problem)))]
pub(crate) async fn start_rollout(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath((plugin, version)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<NewRollout>,
) -> ApiResult<(StatusCode, Json<Rollout>)> {
    let input = StartRollout { tenants: req.tenants, margin: req.margin, min_calls: req.min_calls };
    let started = caller.rollouts(&state).start(&plugin, &version, input).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// A roll-out: its stage, the tenants it moved and held, and the two versions' health since it
/// started (platform admins).
#[utoipa::path(get, path = "/registry/plugins/{plugin}/versions/{version}/rollout", tag = "registry",
    security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), ("version" = String, Path, description = "Version")),
    responses((status = 200, description = "The roll-out", body = Rollout),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No roll-out of this version", body = Problem)))]
pub(crate) async fn get_rollout(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath((plugin, version)): ApiPath<(String, String)>,
) -> ApiResult<Json<Rollout>> {
    Ok(Json(caller.rollouts(&state).get(&plugin, &version).await?))
}

/// A wider stage.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RolloutStage {
    /// The share of tenants (by a stable hash) the version reaches, 0–100; 100 completes it.
    percent: u8,
}

/// Widen a roll-out to a percentage of the tenants (platform admins). It is judged first: a
/// version doing worse than the previous one is rolled back instead.
#[utoipa::path(patch, path = "/registry/plugins/{plugin}/versions/{version}/rollout", tag = "registry",
    security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), ("version" = String, Path, description = "Version")),
    request_body = RolloutStage,
    responses((status = 200, description = "Widened", body = Rollout),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No roll-out of this version", body = Problem),
              (status = 409, description = "Not active, or rolled back now (the reason is given)", body = Problem),
              (status = 422, description = "Narrower than the current stage, or over 100", body = Problem)))]
pub(crate) async fn advance_rollout(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath((plugin, version)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<RolloutStage>,
) -> ApiResult<Json<Rollout>> {
    let out = caller.rollouts(&state).advance(&plugin, &version, req.percent).await?;
    Ok(Json(out))
}

/// Roll a roll-out back (platform admins): every tenant it moved goes back to the version it
/// came from, and is told why.
#[utoipa::path(post, path = "/registry/plugins/{plugin}/versions/{version}/rollout/rollback", tag = "registry",
    security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), ("version" = String, Path, description = "Version")),
    request_body = Reason,
    responses((status = 200, description = "Rolled back", body = Rollout),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No roll-out of this version", body = Problem),
              (status = 409, description = "Rolled back already", body = Problem),
              (status = 422, description = "No reason given", body = Problem)))]
pub(crate) async fn rollback_rollout(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath((plugin, version)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<Reason>,
) -> ApiResult<Json<Rollout>> {
    let out = caller.rollouts(&state).rollback(&plugin, &version, &req.reason).await?;
    Ok(Json(out))
}

/// Moving every tenant off a version.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoveTenants {
    /// The approved, live version to move them to.
    to: String,
    /// Why; the tenants moved see it.
    reason: String,
}

/// Move every tenant on a version to another (platform admins), whatever range they follow:
/// the way off a yanked or broken version. Tenants whose consent, plan or configuration does
/// not allow the new version stay, and are listed.
#[utoipa::path(post, path = "/registry/plugins/{plugin}/versions/{version}/move", tag = "registry",
    security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id"), ("version" = String, Path, description = "The version to move tenants off")),
    request_body = MoveTenants,
    responses((status = 200, description = "Moved (and held)", body = Moved),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such version", body = Problem),
              (status = 409, description = "The target is not approved, or yanked", body = Problem),
              (status = 422, description = "No reason, or the target is the same version", body = Problem)))]
pub(crate) async fn move_tenants(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath((plugin, version)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<MoveTenants>,
) -> ApiResult<Json<Moved>> {
    let out = caller.rollouts(&state).move_tenants(&plugin, &version, &req.to, &req.reason).await?;
    Ok(Json(out))
}

/// A plugin's versions, each with its latest roll-out and the tenants on it, and the tenants
/// that run the plugin with the range they follow (platform admins).
#[utoipa::path(get, path = "/registry/plugins/{plugin}/rollouts", tag = "registry", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "Plugin id")),
    responses((status = 200, description = "Versions and roll-outs", body = PluginRollouts),
              (status = 403, description = "Not a platform admin", body = Problem),
              (status = 404, description = "No such plugin", body = Problem)))]
pub(crate) async fn plugin_rollouts(
    State(state): State<AppState>,
    caller: RegistryCaller,
    ApiPath(plugin): ApiPath<String>,
) -> ApiResult<Json<PluginRollouts>> {
    Ok(Json(caller.rollouts(&state).overview(&plugin).await?))
}
