//! Signing in and out, and registering into a tenant.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::permissions::Role;
use super::{Principal, RequestMeta, password, store, totp};
use crate::audit::{self, ActorKind, Event};
use crate::db::types::Timestamp;
use crate::error::{Error, Result};
use crate::http::extract::ApiJson;
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::{SessionId, TenantId};
use crate::state::AppState;
use crate::users::{self, Email, MembershipStatus, User};
use crate::{tenants, users::MembershipSummary};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(register))
}

/// Credentials to sign in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail address.
    pub email: String,
    /// Password.
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

fn invalid_credentials() -> Error {
    Error::unauthorized("invalid_credentials", "The e-mail address or password is wrong.")
}

/// Sign in with e-mail and password (and a TOTP or recovery code when enrolled).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 401, description = "Wrong credentials, or a second factor is needed (`totp_required`)", body = Problem),
        (status = 404, description = "Not an active member of the requested tenant", body = Problem),
        (status = 422, description = "Invalid input", body = Problem),
        (status = 429, description = "Too many attempts, or the account is locked", body = Problem),
        (status = 503, description = "Database unavailable; sign-in refused", body = Problem),
    ))]
async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    state.attempts.check(meta.ip.as_deref())?;
    let email = Email::parse("email", &req.email)?;
    let auth = &state.config.auth;
    let mut tx = state.db.system().await.map_err(|e| Error::from(e).closed())?;
    let creds = users::credentials_by_email(&mut tx, &email).await.map_err(Error::closed)?;
    let anonymous = meta.anonymous();

    if let Some(c) = &creds
        && let Some(until) = c.locked_until.filter(|until| *until > Timestamp::now())
    {
        let event =
            Event::new("auth.login_locked", "user", c.id).changes(serde_json::json!({ "email": email }));
        audit::record_system(&mut tx, None, &anonymous, event).await.map_err(Error::closed)?;
        tx.commit().await.map_err(|e| Error::from(e).closed())?;
        let wait = until.unix_seconds() - Timestamp::now().unix_seconds();
        return Err(Error::RateLimited {
            code: "account_locked",
            message: "Too many failed sign-ins: this account is locked for a while.".to_owned(),
            retry_after: u64::try_from(wait.max(1)).unwrap_or(1),
        }
        .into());
    }

    let password_ok =
        password::verify(&req.password, creds.as_ref().map(|c| c.password_hash.as_str())).await?;
    let Some(creds) = creds else {
        let event = Event::new("auth.login_failed", "user", email.as_str())
            .changes(serde_json::json!({ "email": email, "reason": "unknown_email" }));
        audit::record_system(&mut tx, None, &anonymous, event).await.map_err(Error::closed)?;
        tx.commit().await.map_err(|e| Error::from(e).closed())?;
        return Err(invalid_credentials().into());
    };

    let failure = |reason: &'static str| {
        Event::new("auth.login_failed", "user", creds.id)
            .changes(serde_json::json!({ "email": email, "reason": reason }))
    };
    let mut second_factor: Option<Result<()>> = None;
    if password_ok && let Some(sealed) = &creds.totp_secret {
        let secret = state.sealer.open(sealed).map_err(|e| Error::Internal(e.to_string()))?;
        second_factor = Some(match (req.totp_code.as_deref(), req.recovery_code.as_deref()) {
            (Some(code), _) => {
                let now = u64::try_from(Timestamp::now().unix_seconds()).unwrap_or(0);
                match totp::verify(&secret, code, now, creds.totp_last_step)? {
                    Some(step) => store::set_totp_step(&mut tx, creds.id, step).await.map_err(Error::closed),
                    None => Err(Error::unauthorized(
                        "invalid_totp",
                        "The authentication code is wrong or was already used.",
                    )),
                }
            }
            (None, Some(code)) => {
                if store::consume_recovery_code(&mut tx, creds.id, code).await.map_err(Error::closed)? {
                    Ok(())
                } else {
                    Err(Error::unauthorized(
                        "invalid_totp",
                        "The recovery code is wrong or was already used.",
                    ))
                }
            }
            (None, None) => {
                return Err(Error::unauthorized(
                    "totp_required",
                    "This account has a second factor: send totp_code (or recovery_code) with the password.",
                )
                .into());
            }
        });
    }

    let failed = if !password_ok { Some(invalid_credentials()) } else { second_factor.and_then(Result::err) };
    if let Some(error) = failed {
        let reason = if password_ok { "second_factor" } else { "wrong_password" };
        let locked = store::record_failed_login(&mut tx, creds.id, auth.max_failed_logins, auth.lockout)
            .await
            .map_err(Error::closed)?;
        audit::record_system(&mut tx, None, &anonymous, failure(reason)).await.map_err(Error::closed)?;
        if let Some(until) = locked {
            let event = Event::new("auth.account_locked", "user", creds.id)
                .changes(serde_json::json!({ "until": until }));
            audit::record_system(&mut tx, None, &anonymous, event).await.map_err(Error::closed)?;
        }
        tx.commit().await.map_err(|e| Error::from(e).closed())?;
        return Err(error.into());
    }

    store::reset_failed_logins(&mut tx, creds.id).await.map_err(Error::closed)?;
    let memberships = users::memberships_of_user(&mut tx, creds.id).await.map_err(Error::closed)?;
    let selected = select_tenant(&memberships, req.tenant.as_deref())?;
    let mfa_verified = creds.totp_secret.is_some();
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let session = store::create_session(
        &mut tx,
        creds.id,
        selected.map(|m| m.tenant_id),
        mfa_verified,
        auth.session_ttl,
        &meta,
        user_agent,
    )
    .await
    .map_err(Error::closed)?;
    let actor = anonymous.as_actor(ActorKind::User, creds.id.as_uuid());
    let event = Event::new("auth.login", "session", session.id).changes(
        serde_json::json!({ "tenant_id": selected.map(|m| m.tenant_id), "second_factor": mfa_verified }),
    );
    audit::record_system(&mut tx, selected.map(|m| m.tenant_id), &actor, event)
        .await
        .map_err(Error::closed)?;
    tx.commit().await.map_err(|e| Error::from(e).closed())?;

    Ok(Json(LoginResponse {
        token: session.token,
        session_id: session.id,
        expires_at: session.expires_at,
        user: creds.user(),
        tenant_id: selected.map(|m| m.tenant_id),
        role: selected.map(|m| m.role),
        totp_enrolment_required: creds.is_platform_admin && !mfa_verified,
    }))
}

/// The active membership to start in: the one asked for, or the only one.
pub(super) fn select_tenant<'a>(
    memberships: &'a [MembershipSummary],
    wanted: Option<&str>,
) -> Result<Option<&'a MembershipSummary>> {
    let active = || memberships.iter().filter(|m| m.status == MembershipStatus::Active);
    match wanted {
        Some(wanted) => active()
            .find(|m| m.tenant_id.to_string() == wanted || m.tenant_slug == wanted)
            .map(Some)
            // Like any other tenant's data, a tenant one does not belong to is "not found".
            .ok_or(Error::NotFound("tenant")),
        None => {
            let mut all = active();
            match (all.next(), all.next()) {
                (Some(only), None) => Ok(Some(only)),
                _ => Ok(None),
            }
        }
    }
}

/// Sign out: revoke the session making the request.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = Problem),
    ))]
async fn logout(State(state): State<AppState>, principal: Principal) -> ApiResult<StatusCode> {
    let (user, session) = (principal.user_id()?, principal.session_id()?);
    let mut tx = state.db.system().await?;
    store::revoke_session(&mut tx, user, session).await?;
    let tenant = principal.tenant.as_ref().map(|t| t.tenant_id);
    audit::record_system(&mut tx, tenant, &principal.audit(), Event::new("auth.logout", "session", session))
        .await?;
    tx.commit().await?;
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
    /// Password: at least 12 characters. For an existing account, its current password.
    pub password: String,
    /// The role asked for; the approving admin decides. Default `dispenser`.
    pub role: Option<Role>,
}

/// Registration received.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisterResponse {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Always `pending`: a tenant admin must approve.
    pub status: MembershipStatus,
}

/// Register to join a tenant; a tenant admin then approves or rejects.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 202, description = "Registered; waiting for approval", body = RegisterResponse),
        (status = 404, description = "No active tenant with that slug", body = Problem),
        (status = 409, description = "Already a member, or the e-mail has an account with another password", body = Problem),
        (status = 422, description = "Invalid input", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
    ))]
async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegisterResponse>)> {
    state.attempts.check(meta.ip.as_deref())?;
    let email = Email::parse("email", &req.email)?;
    let name = tenants::parse_name("name", &req.name)?;
    let role = req.role.unwrap_or(Role::Dispenser);
    let mut tx = state.db.system().await?;
    let tenant = tenants::by_slug(&mut tx, &req.tenant)
        .await?
        .filter(|t| t.status == tenants::TenantStatus::Active)
        .ok_or(Error::NotFound("tenant"))?;
    let user_id = match users::credentials_by_email(&mut tx, &email).await? {
        Some(existing) => {
            if !password::verify(&req.password, Some(&existing.password_hash)).await? {
                return Err(Error::conflict(
                    "email_taken",
                    "An account with that e-mail address exists; register with its password to join another tenant.",
                ).into());
            }
            existing.id
        }
        None => {
            let password = password::Password::parse("password", &req.password)?;
            let hash = password::hash(&password).await?;
            users::create_user(&mut tx, &email, &name, &hash, false).await?.id
        }
    };
    users::insert_membership(&mut tx, tenant.id, user_id, role, MembershipStatus::Pending).await?;
    let actor = meta.anonymous().as_actor(ActorKind::User, user_id.as_uuid());
    let event = Event::new("membership.requested", "user", user_id)
        .changes(serde_json::json!({ "email": email, "requested_role": role }));
    audit::record_system(&mut tx, Some(tenant.id), &actor, event).await?;
    let registered = crate::events::catalog::UserRegistered {
        user_id,
        email: email.as_str().to_owned(),
        name: name.clone(),
        requested_role: role,
    };
    crate::events::emit_system(&mut tx, tenant.id, &registered).await?;
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RegisterResponse { tenant_id: tenant.id, status: MembershipStatus::Pending }),
    ))
}
