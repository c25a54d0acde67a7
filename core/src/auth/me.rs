//! The signed-in user's own account: profile, tenant switch, password, sessions, TOTP.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::permissions::Role;
use super::store::{self, SessionInfo};
use super::{Principal, password, totp};
use crate::audit::{self, Event};
use crate::db::types::Timestamp;
use crate::error::{Error, Result};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::{SessionId, TenantId};
use crate::state::AppState;
use crate::users::{self, MembershipSummary, User};

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

/// The signed-in user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The user.
    pub user: User,
    /// The tenant this session acts in.
    pub tenant_id: Option<TenantId>,
    /// The role there.
    pub role: Option<Role>,
    /// Every tenant the user belongs to or asked to join.
    pub memberships: Vec<MembershipSummary>,
    /// Whether a TOTP second factor is enabled.
    pub totp_enabled: bool,
    /// False for a platform admin who must still enrol TOTP.
    pub mfa_satisfied: bool,
}

async fn load_me(state: &AppState, principal: &Principal, tenant_id: Option<TenantId>) -> Result<Me> {
    let user_id = principal.user_id()?;
    let mut tx = state.db.system_read().await?;
    let creds = users::credentials_by_id(&mut tx, user_id).await?.ok_or(Error::NotFound("user"))?;
    let memberships = users::memberships_of_user(&mut tx, user_id).await?;
    tx.commit().await?;
    let role = memberships.iter().find(|m| Some(m.tenant_id) == tenant_id).map(|m| m.role);
    Ok(Me {
        user: creds.user(),
        tenant_id,
        role,
        memberships,
        totp_enabled: creds.totp_secret.is_some(),
        mfa_satisfied: principal.mfa_satisfied,
    })
}

/// Who am I: the user, the current tenant and role, and all memberships.
#[utoipa::path(get, path = "/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in user", body = Me),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "An API key, not a user", body = Problem)))]
async fn me(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Me>> {
    let tenant = principal.tenant.as_ref().map(|t| t.tenant_id);
    Ok(Json(load_me(&state, &principal, tenant).await?))
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
    let (user, session) = (principal.user_id()?, principal.session_id()?);
    let mut tx = state.db.system().await?;
    let memberships = users::memberships_of_user(&mut tx, user).await?;
    let wanted = req.tenant_id.to_string();
    super::login::select_tenant(&memberships, Some(&wanted))?;
    store::set_session_tenant(&mut tx, session, req.tenant_id).await?;
    let event = Event::new("auth.tenant_switched", "session", session)
        .changes(serde_json::json!({ "tenant_id": req.tenant_id }));
    audit::record_system(&mut tx, Some(req.tenant_id), &principal.audit(), event).await?;
    tx.commit().await?;
    Ok(Json(load_me(&state, &principal, Some(req.tenant_id)).await?))
}

/// A password change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The current password.
    pub current_password: String,
    /// The new password, at least 12 characters.
    pub new_password: String,
}

/// Change the password; every other session of the user is signed out.
#[utoipa::path(post, path = "/me/password", tag = "me", security(("bearer" = [])), request_body = ChangePassword,
    responses((status = 204, description = "Changed; other sessions revoked"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "The current password is wrong", body = Problem),
              (status = 422, description = "The new password is not acceptable", body = Problem)))]
async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    let (user, session) = (principal.user_id()?, principal.session_id()?);
    let new = password::Password::parse("new_password", &req.new_password)?;
    let mut tx = state.db.system().await?;
    let creds = users::credentials_by_id(&mut tx, user).await?.ok_or(Error::NotFound("user"))?;
    if !password::verify(&req.current_password, Some(&creds.password_hash)).await? {
        return Err(Error::forbidden("wrong_password", "The current password is wrong.").into());
    }
    let hash = password::hash(&new).await?;
    store::set_password(&mut tx, user, &hash).await?;
    let revoked = store::revoke_other_sessions(&mut tx, user, Some(session)).await?;
    let tenant = principal.tenant.as_ref().map(|t| t.tenant_id);
    let event = Event::new("user.password_changed", "user", user)
        .changes(serde_json::json!({ "sessions_revoked": revoked }));
    audit::record_system(&mut tx, tenant, &principal.audit(), event).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user's live sessions.
#[utoipa::path(get, path = "/me/sessions", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "Live sessions", body = Vec<SessionInfo>),
              (status = 401, description = "Not signed in", body = Problem)))]
async fn list_sessions(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    let (user, session) = (principal.user_id()?, principal.session_id()?);
    let mut tx = state.db.system_read().await?;
    let sessions = store::list_sessions(&mut tx, user, session).await?;
    tx.commit().await?;
    Ok(Json(sessions))
}

/// Revoke one of the user's sessions.
#[utoipa::path(delete, path = "/me/sessions/{session_id}", tag = "me", security(("bearer" = [])),
    params(("session_id" = SessionId, Path, description = "The session")),
    responses((status = 204, description = "Revoked"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 404, description = "No such live session of yours", body = Problem)))]
async fn revoke_session(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(session_id): ApiPath<SessionId>,
) -> ApiResult<StatusCode> {
    let user = principal.user_id()?;
    let mut tx = state.db.system().await?;
    if !store::revoke_session(&mut tx, user, session_id).await? {
        return Err(Error::NotFound("session").into());
    }
    let tenant = principal.tenant.as_ref().map(|t| t.tenant_id);
    audit::record_system(
        &mut tx,
        tenant,
        &principal.audit(),
        Event::new("auth.session_revoked", "session", session_id),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A TOTP seed to enrol in an authenticator app.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TotpEnrolment {
    /// The seed, base32.
    pub secret: String,
    /// `otpauth://` URL (for a QR code).
    pub otpauth_url: String,
}

/// Start TOTP enrolment: returns a new seed; confirm it with a code to turn it on.
#[utoipa::path(post, path = "/me/totp", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "Seed to enrol", body = TotpEnrolment),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 409, description = "TOTP is already enabled", body = Problem)))]
async fn start_totp(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<TotpEnrolment>> {
    let user = principal.user_id()?;
    let mut tx = state.db.system().await?;
    let creds = users::credentials_by_id(&mut tx, user).await?.ok_or(Error::NotFound("user"))?;
    if creds.totp_secret.is_some() {
        return Err(Error::conflict(
            "totp_already_enabled",
            "TOTP is already enabled; disable it first to re-enrol.",
        )
        .into());
    }
    let secret = totp::new_secret();
    let (base32, url) = totp::enrolment(&secret, &creds.email)?;
    store::set_pending_totp(&mut tx, user, &state.sealer.seal(&secret)).await?;
    tx.commit().await?;
    Ok(Json(TotpEnrolment { secret: base32, otpauth_url: url }))
}

/// A code proving the authenticator works.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// The 6-digit code.
    pub code: String,
}

/// Recovery codes, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Each works once instead of a TOTP code.
    pub recovery_codes: Vec<String>,
}

/// Confirm TOTP enrolment with a current code; returns single-use recovery codes.
#[utoipa::path(post, path = "/me/totp/confirm", tag = "me", security(("bearer" = [])), request_body = TotpCode,
    responses((status = 200, description = "Enabled", body = RecoveryCodes),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 409, description = "No enrolment in progress", body = Problem),
              (status = 422, description = "Wrong code", body = Problem)))]
async fn confirm_totp(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<TotpCode>,
) -> ApiResult<Json<RecoveryCodes>> {
    let (user, session) = (principal.user_id()?, principal.session_id()?);
    let mut tx = state.db.system().await?;
    let creds = users::credentials_by_id(&mut tx, user).await?.ok_or(Error::NotFound("user"))?;
    let sealed = creds.totp_pending_secret.ok_or_else(|| {
        Error::conflict("no_totp_enrolment", "Start enrolment first: POST /api/v1/me/totp.")
    })?;
    let secret = state.sealer.open(&sealed).map_err(|e| Error::Internal(e.to_string()))?;
    let now = u64::try_from(Timestamp::now().unix_seconds()).unwrap_or(0);
    let step = totp::verify(&secret, &req.code, now, None)?
        .ok_or_else(|| Error::invalid_field("code", "is not the current code of the authenticator"))?;
    store::enable_totp(&mut tx, user, step).await?;
    let codes: Vec<String> = (0..totp::RECOVERY_CODES).map(|_| totp::new_recovery_code()).collect();
    store::replace_recovery_codes(&mut tx, user, &codes).await?;
    store::mark_session_mfa(&mut tx, session).await?;
    let tenant = principal.tenant.as_ref().map(|t| t.tenant_id);
    audit::record_system(&mut tx, tenant, &principal.audit(), Event::new("user.totp_enabled", "user", user))
        .await?;
    tx.commit().await?;
    Ok(Json(RecoveryCodes { recovery_codes: codes }))
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
              (status = 409, description = "Platform admins must keep TOTP", body = Problem)))]
async fn disable_totp(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<DisableTotp>,
) -> ApiResult<StatusCode> {
    let user = principal.user_id()?;
    if principal.is_platform_admin {
        return Err(Error::conflict("totp_required", "Platform admins must keep a second factor.").into());
    }
    let mut tx = state.db.system().await?;
    let creds = users::credentials_by_id(&mut tx, user).await?.ok_or(Error::NotFound("user"))?;
    if !password::verify(&req.password, Some(&creds.password_hash)).await? {
        return Err(Error::forbidden("wrong_password", "The password is wrong.").into());
    }
    store::disable_totp(&mut tx, user).await?;
    let tenant = principal.tenant.as_ref().map(|t| t.tenant_id);
    audit::record_system(&mut tx, tenant, &principal.audit(), Event::new("user.totp_disabled", "user", user))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
