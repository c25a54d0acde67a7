//! Signing in and out, and registering into a tenant: the HTTP side of
//! `ils_tenancy::auth::login`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use ils_tenancy::auth::login::{self, AuthSettings, Register, SignIn};

use crate::http::extract::ApiJson;
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_kernel::input::Fields;
use ils_kernel::permissions::Role;
use ils_storage::ids::{SessionId, TenantId};
use ils_storage::types::Timestamp;
use ils_tenancy::auth::{Principal, RequestMeta};
use ils_tenancy::tenants;
use ils_tenancy::users::{Email, MembershipStatus, User};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(register))
}

/// Credentials to sign in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail address.
    pub email: String,
    /// The password, checked against the account's Argon2id hash.
    pub password: String,
    /// Tenant to act in (id or slug). Optional when the user belongs to exactly one.
    pub tenant: Option<String>,
    /// Current TOTP code, when the account has a second factor.
    pub totp_code: Option<String>,
    /// A recovery code, instead of a TOTP code.
    pub recovery_code: Option<String>,
}

/// A new session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …`. Shown once.
    pub token: String,
    /// The session's id.
    pub session_id: SessionId,
    /// When the token stops working.
    pub expires_at: Timestamp,
    /// Who signed in.
    pub user: User,
    /// The tenant selected, if any.
    pub tenant_id: Option<TenantId>,
    /// The role there.
    pub role: Option<Role>,
    /// True for a platform admin without a second factor: enrol one before anything else.
    pub totp_enrolment_required: bool,
}

/// The sign-in rules' settings from the host's configuration.
pub(crate) fn settings(state: &AppState) -> AuthSettings {
    let auth = &state.config.auth;
    AuthSettings {
        session_ttl: auth.session_ttl,
        max_failed_logins: auth.max_failed_logins,
        lockout: auth.lockout,
    }
}

/// Sign in with e-mail and password (and a TOTP or recovery code when enrolled).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 401, description = "Wrong credentials, or a second factor is needed (`totp_required`)", body = Problem),
        (status = 403, description = "The tenant asked for, or every tenant of the user, is suspended (`tenant_suspended`); no session is issued", body = Problem),
        (status = 404, description = "Not an active member of the requested tenant", body = Problem),
        (status = 422, description = "Invalid input", body = Problem),
        (status = 429, description = "Too many attempts from this address (`rate_limited`), or sign-ins with this e-mail address are locked (`account_locked`), known or not", body = Problem),
        (status = 503, description = "Database unavailable; sign-in refused", body = Problem),
    ))]
async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    state.attempts.check(meta.ip.as_deref())?;
    let cmd = SignIn {
        email: Email::parse("email", &req.email)?,
        password: req.password,
        tenant: req.tenant,
        totp_code: req.totp_code,
        recovery_code: req.recovery_code,
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
    };
    let signed_in = login::sign_in(&state.db, &state.sealer, &settings(&state), &meta, cmd).await?;
    Ok(Json(LoginResponse {
        token: signed_in.session.token,
        session_id: signed_in.session.id,
        expires_at: signed_in.session.expires_at,
        user: signed_in.user,
        tenant_id: signed_in.tenant.as_ref().map(|m| m.tenant_id),
        role: signed_in.tenant.as_ref().map(|m| m.role),
        totp_enrolment_required: signed_in.totp_enrolment_required,
    }))
}

/// Sign out: revoke the session making the request.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = Problem),
    ))]
async fn logout(State(state): State<AppState>, principal: Principal) -> ApiResult<StatusCode> {
    login::sign_out(&state.db, &principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Asking to join a tenant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The tenant's slug.
    pub tenant: String,
    /// E-mail address (sign-in name).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Password: at least 12 characters, not common or easy to guess. For an existing account,
    /// its current password.
    pub password: String,
    /// The role asked for; the approving admin decides. Default `dispenser`.
    pub role: Option<Role>,
}

/// Registration received.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisterResponse {
    /// The tenant's id; the request names it by slug.
    pub tenant_id: TenantId,
    /// Always `pending`: a tenant admin must approve.
    pub status: MembershipStatus,
}

/// Register to join a tenant; a tenant admin then approves or rejects.
///
/// An e-mail address that has an account joins with that account's password. The answer does
/// not say whether that password was right: with a wrong one nothing is joined, the answer is
/// the same 202, and the attempt counts towards the address's sign-in lockout.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 202, description = "Received; a new or rightly authenticated account waits for approval", body = RegisterResponse),
        (status = 404, description = "No active tenant with that slug", body = Problem),
        (status = 409, description = "Already a member of this tenant (`already_member`, with the account's right password)", body = Problem),
        (status = 422, description = "Invalid input, or a password that is too short, common or easy to guess", body = Problem),
        (status = 429, description = "Too many attempts from this address (`rate_limited`), or sign-ins with this e-mail address are locked (`account_locked`)", body = Problem),
    ))]
pub(crate) async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegisterResponse>)> {
    state.attempts.check(meta.ip.as_deref())?;
    let mut f = Fields::new();
    let email = f.check(Email::parse("email", &req.email));
    let name = f.check(tenants::parse_name("name", &req.name));
    // The service checks the password again, against the checked address and name; here it is
    // checked beside them so that one answer names every field in error.
    let account =
        [email.as_ref().map_or(req.email.as_str(), Email::as_str), name.as_deref().unwrap_or(&req.name)];
    f.check(
        ils_tenancy::auth::password::Password::parse_for("password", &req.password, &account).map(|_| ()),
    );
    let (email, name) = f.build(|| Some((email?, name?)))?;
    let role = req.role.unwrap_or(Role::Dispenser);
    let cmd = Register { tenant: req.tenant, email, name, password: req.password, role };
    let tenant_id = login::register(&state.db, &settings(&state), &meta, cmd).await?;
    Ok((StatusCode::ACCEPTED, Json(RegisterResponse { tenant_id, status: MembershipStatus::Pending })))
}
