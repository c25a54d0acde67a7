//! The signed-in user's own account over HTTP: profile, tenant switch, password, sessions, TOTP
//! (the services are `ils_tenancy::auth::account`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use ils_tenancy::auth::account::{self, NewPassword};
pub use ils_tenancy::auth::account::{Me, RecoveryCodes, TotpEnrolment};

use crate::http::auth::login::settings;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_storage::ids::{SessionId, TenantId};
use ils_tenancy::auth::{Principal, SessionInfo, password};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(switch_tenant))
        .routes(routes!(change_password))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(start_totp, disable_totp))
        .routes(routes!(confirm_totp))
}

/// Who am I: the user, the current tenant and role, and all memberships.
#[utoipa::path(get, path = "/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in user", body = Me),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "An API key, not a user", body = Problem)))]
pub(crate) async fn me(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Me>> {
    let tenant = principal.tenant.as_ref().map(|t| t.tenant_id);
    Ok(Json(account::profile(&state.db, &principal, tenant).await?))
}

/// Which tenant to act in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchTenant {
    /// A tenant the user is an active member of.
    pub tenant_id: TenantId,
}

/// Switch the session to another tenant the user is an active member of.
#[utoipa::path(post, path = "/me/tenant", tag = "me", security(("bearer" = [])), request_body = SwitchTenant,
    responses((status = 200, description = "Switched", body = Me),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 404, description = "Not an active member of that tenant", body = Problem)))]
async fn switch_tenant(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<SwitchTenant>,
) -> ApiResult<Json<Me>> {
    account::switch_tenant(&state.db, &principal, req.tenant_id).await?;
    Ok(Json(account::profile(&state.db, &principal, Some(req.tenant_id)).await?))
}

/// A password change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The current password.
    pub current_password: String,
    /// The new password: at least 12 characters, not common or easy to guess.
    pub new_password: String,
}

/// Change the password; every other session of the user is signed out. Wrong current passwords
/// count towards the sign-in lockout, and attempts are rate limited per address like sign-ins.
#[utoipa::path(post, path = "/me/password", tag = "me", security(("bearer" = [])), request_body = ChangePassword,
    responses((status = 204, description = "Changed; other sessions revoked"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "The current password is wrong", body = Problem),
              (status = 422, description = "The new password is too short, common or easy to guess", body = Problem),
              (status = 429, description = "Too many attempts (`rate_limited`), or locked after wrong passwords (`account_locked`)", body = Problem)))]
async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    // An API key is refused before the new password is looked at.
    principal.session_id()?;
    state.attempts.check(principal.meta.ip.as_deref())?;
    let new = password::Password::parse("new_password", &req.new_password)?;
    let cmd = NewPassword { current: req.current_password, new };
    account::change_password(&state.db, &settings(&state), &principal, cmd).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user's live sessions.
#[utoipa::path(get, path = "/me/sessions", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "Live sessions", body = Vec<SessionInfo>),
              (status = 401, description = "Not signed in", body = Problem)))]
pub(crate) async fn list_sessions(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    Ok(Json(account::sessions(&state.db, &principal).await?))
}

/// Revoke one of the user's sessions.
#[utoipa::path(delete, path = "/me/sessions/{session_id}", tag = "me", security(("bearer" = [])),
    params(("session_id" = SessionId, Path, description = "The session")),
    responses((status = 204, description = "Revoked"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 404, description = "No such live session of yours", body = Problem)))]
pub(crate) async fn revoke_session(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(session_id): ApiPath<SessionId>,
) -> ApiResult<StatusCode> {
    account::revoke_session(&state.db, &principal, session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start TOTP enrolment: returns a new seed; confirm it with a code to turn it on.
#[utoipa::path(post, path = "/me/totp", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "Seed to enrol", body = TotpEnrolment),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 409, description = "TOTP is already enabled", body = Problem)))]
pub(crate) async fn start_totp(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<TotpEnrolment>> {
    Ok(Json(account::start_totp(&state.db, &state.sealer, &principal).await?))
}

/// A code proving the authenticator works.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// The 6-digit code.
    pub code: String,
}

/// Confirm TOTP enrolment with a current code; returns single-use recovery codes.
#[utoipa::path(post, path = "/me/totp/confirm", tag = "me", security(("bearer" = [])), request_body = TotpCode,
    responses((status = 200, description = "Enabled", body = RecoveryCodes),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 409, description = "No enrolment in progress", body = Problem),
              (status = 422, description = "Wrong code", body = Problem)))]
pub(crate) async fn confirm_totp(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<TotpCode>,
) -> ApiResult<Json<RecoveryCodes>> {
    Ok(Json(account::confirm_totp(&state.db, &state.sealer, &principal, &req.code).await?))
}

/// The password, to turn the second factor off.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTotp {
    /// The current password.
    pub password: String,
}

/// Turn TOTP off (not allowed for platform admins, who must keep it).
#[utoipa::path(delete, path = "/me/totp", tag = "me", security(("bearer" = [])), request_body = DisableTotp,
    responses((status = 204, description = "Disabled"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Wrong password", body = Problem),
              (status = 409, description = "Platform admins must keep TOTP", body = Problem),
              (status = 429, description = "Too many attempts (`rate_limited`), or locked after wrong passwords (`account_locked`)", body = Problem)))]
async fn disable_totp(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<DisableTotp>,
) -> ApiResult<StatusCode> {
    state.attempts.check(principal.meta.ip.as_deref())?;
    account::disable_totp(&state.db, &settings(&state), &principal, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
