//! The signed-in user's own account: profile, tenant switch, password, sessions, TOTP.
//! Every operation here needs a user's session; an API key is refused (`user_required`).

use ils_kernel::audit::{self, Event};
use ils_kernel::permissions::Role;
use ils_kernel::secrets::Sealer;
use ils_kernel::{Error, Result};
use ils_storage::ids::{SessionId, TenantId};
use ils_storage::types::Timestamp;
use ils_storage::{Db, SystemTx};
use serde::Serialize;

use super::login::{self, AuthSettings};
use super::store::{self, SessionInfo};
use super::{Principal, password, totp};
use crate::users::{self, MembershipSummary, User};

/// The signed-in user.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// The user's account, the same whichever tenant the session acts in.
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

/// The principal's profile, seen from `tenant_id` (the session's tenant, or the one just
/// switched to).
pub async fn profile(db: &Db, principal: &Principal, tenant_id: Option<TenantId>) -> Result<Me> {
    let user_id = principal.user_id()?;
    let mut tx = db.system_read().await?;
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

/// Points the principal's session at another tenant they are an active member of
/// (`NotFound("tenant")` otherwise).
pub async fn switch_tenant(db: &Db, principal: &Principal, tenant_id: TenantId) -> Result<()> {
    let (user, session) = (principal.user_id()?, principal.session_id()?);
    let mut tx = db.system().await?;
    let memberships = users::memberships_of_user(&mut tx, user).await?;
    let wanted = tenant_id.to_string();
    login::select_tenant(&memberships, Some(&wanted))?;
    store::set_session_tenant(&mut tx, session, tenant_id).await?;
    let event = Event::new("auth.tenant_switched", "session", session)
        .changes(serde_json::json!({ "tenant_id": tenant_id }));
    audit::record_system(&mut tx, Some(tenant_id), &principal.audit(), event).await?;
    tx.commit().await?;
    Ok(())
}

/// A password change: the current password proves it is the user, the new one meets the policy.
#[derive(Clone)]
pub struct NewPassword {
    /// The password now, as typed.
    pub current: String,
    /// The password from now on.
    pub new: password::Password,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// Changes the principal's password and signs out every other session of theirs. The current
/// password is an attempt like a sign-in: a wrong one counts towards the address's lockout, and
/// while it is locked the change is refused (`account_locked`).
pub async fn change_password(
    db: &Db,
    settings: &AuthSettings,
    principal: &Principal,
    cmd: NewPassword,
) -> Result<()> {
    let (user, session) = (principal.user_id()?, principal.session_id()?);
    let mut tx = db.system().await?;
    let creds = users::credentials_by_id(&mut tx, user).await?.ok_or(Error::NotFound("user"))?;
    if let Some(refused) = refuse_current_password(&mut tx, settings, principal, &creds, &cmd.current).await?
    {
        tx.commit().await?;
        return Err(refused);
    }
    let new = password::Password::parse_for("new_password", cmd.new.expose(), &[&creds.email, &creds.name])?;
    let hash = password::hash(&new).await?;
    store::set_password(&mut tx, user, &hash).await?;
    let revoked = store::revoke_other_sessions(&mut tx, user, Some(session)).await?;
    let tenant = principal.tenant.as_ref().map(|t| t.tenant_id);
    let event = Event::new("user.password_changed", "user", user)
        .changes(serde_json::json!({ "sessions_revoked": revoked }));
    audit::record_system(&mut tx, tenant, &principal.audit(), event).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks the password a signed-in user typed to confirm a change, under the sign-in lockout.
/// Returns the refusal, if any — the address is locked (`account_locked`), or the password is
/// wrong (`wrong_password`, counted towards the lock) — for the caller to commit and answer.
async fn refuse_current_password(
    tx: &mut SystemTx,
    settings: &AuthSettings,
    principal: &Principal,
    creds: &users::Credentials,
    given: &str,
) -> Result<Option<Error>> {
    let actor = principal.audit();
    if let Some(locked) = login::lock_in_force(tx, &creds.email, Some(creds.id), &actor).await? {
        return Ok(Some(locked));
    }
    if password::verify(given, Some(&creds.password_hash)).await? {
        store::clear_failures(tx, &creds.email).await?;
        return Ok(None);
    }
    login::count_failure(tx, settings, &creds.email, Some(creds.id), "wrong_current_password", &actor)
        .await?;
    Ok(Some(Error::forbidden("wrong_password", "The current password is wrong.")))
}

/// The principal's live sessions, the current one marked.
pub async fn sessions(db: &Db, principal: &Principal) -> Result<Vec<SessionInfo>> {
    let (user, session) = (principal.user_id()?, principal.session_id()?);
    let mut tx = db.system_read().await?;
    let sessions = store::list_sessions(&mut tx, user, session).await?;
    tx.commit().await?;
    Ok(sessions)
}

/// Revokes one of the principal's own live sessions (`NotFound("session")` otherwise).
pub async fn revoke_session(db: &Db, principal: &Principal, session_id: SessionId) -> Result<()> {
    let user = principal.user_id()?;
    let mut tx = db.system().await?;
    if !store::revoke_session(&mut tx, user, session_id).await? {
        return Err(Error::NotFound("session"));
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
    Ok(())
}

/// A TOTP seed to enrol in an authenticator app.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpEnrolment {
    /// The seed, base32.
    pub secret: String,
    /// `otpauth://` URL (for a QR code).
    pub otpauth_url: String,
}

/// Starts TOTP enrolment with a new seed, kept sealed until [`confirm_totp`]; re-enrolling
/// while TOTP is on is a `totp_already_enabled` conflict.
pub async fn start_totp(db: &Db, sealer: &Sealer, principal: &Principal) -> Result<TotpEnrolment> {
    let user = principal.user_id()?;
    let mut tx = db.system().await?;
    let creds = users::credentials_by_id(&mut tx, user).await?.ok_or(Error::NotFound("user"))?;
    if creds.totp_secret.is_some() {
        return Err(Error::conflict(
            "totp_already_enabled",
            "TOTP is already enabled; disable it first to re-enrol.",
        ));
    }
    let secret = totp::new_secret();
    let (base32, url) = totp::enrolment(&secret, &creds.email)?;
    store::set_pending_totp(&mut tx, user, &sealer.seal(&secret)).await?;
    tx.commit().await?;
    Ok(TotpEnrolment { secret: base32, otpauth_url: url })
}

/// Recovery codes, shown once.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    /// Each works once instead of a TOTP code.
    pub recovery_codes: Vec<String>,
}

/// Turns TOTP on once `code` proves the authenticator has the pending seed; the session counts
/// as having passed the second factor. Returns fresh recovery codes.
pub async fn confirm_totp(
    db: &Db,
    sealer: &Sealer,
    principal: &Principal,
    code: &str,
) -> Result<RecoveryCodes> {
    let (user, session) = (principal.user_id()?, principal.session_id()?);
    let mut tx = db.system().await?;
    let creds = users::credentials_by_id(&mut tx, user).await?.ok_or(Error::NotFound("user"))?;
    let sealed = creds.totp_pending_secret.ok_or_else(|| {
        Error::conflict("no_totp_enrolment", "Start enrolment first: POST /api/v1/me/totp.")
    })?;
    let secret = sealer.open(&sealed).map_err(|e| Error::Internal(e.to_string()))?;
    let now = u64::try_from(Timestamp::now().unix_seconds()).unwrap_or(0);
    let step = totp::verify(&secret, code, now, None)?
        .ok_or_else(|| Error::invalid_field("code", "is not the current code of the authenticator"))?;
    store::enable_totp(&mut tx, user, step).await?;
    let codes: Vec<String> = (0..totp::RECOVERY_CODES).map(|_| totp::new_recovery_code()).collect();
    store::replace_recovery_codes(&mut tx, user, &codes).await?;
    store::mark_session_mfa(&mut tx, session).await?;
    let tenant = principal.tenant.as_ref().map(|t| t.tenant_id);
    audit::record_system(&mut tx, tenant, &principal.audit(), Event::new("user.totp_enabled", "user", user))
        .await?;
    tx.commit().await?;
    Ok(RecoveryCodes { recovery_codes: codes })
}

/// Turns TOTP off after checking the password (under the sign-in lockout, as
/// [`change_password`] does); platform admins must keep it (`totp_required`).
pub async fn disable_totp(
    db: &Db,
    settings: &AuthSettings,
    principal: &Principal,
    given_password: &str,
) -> Result<()> {
    let user = principal.user_id()?;
    if principal.is_platform_admin {
        return Err(Error::conflict("totp_required", "Platform admins must keep a second factor."));
    }
    let mut tx = db.system().await?;
    let creds = users::credentials_by_id(&mut tx, user).await?.ok_or(Error::NotFound("user"))?;
    if let Some(refused) =
        refuse_current_password(&mut tx, settings, principal, &creds, given_password).await?
    {
        tx.commit().await?;
        return Err(refused);
    }
    store::disable_totp(&mut tx, user).await?;
    let tenant = principal.tenant.as_ref().map(|t| t.tenant_id);
    audit::record_system(&mut tx, tenant, &principal.audit(), Event::new("user.totp_disabled", "user", user))
        .await?;
    tx.commit().await?;
    Ok(())
}
