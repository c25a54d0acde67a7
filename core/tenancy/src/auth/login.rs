//! Signing in (password, then TOTP or a recovery code, with a per-account lockout), signing
//! out, and registering to join a tenant.

use std::time::Duration;

use ils_kernel::audit::AuditCtx;
use ils_kernel::audit::{self, ActorKind, Event};
use ils_kernel::permissions::Role;
use ils_kernel::secrets::Sealer;
use ils_kernel::{Error, Result};
use ils_storage::ids::{TenantId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{Db, SystemTx};

use super::{NewSession, Principal, RequestMeta, password, store, totp};
use crate::events::UserRegistered;
use crate::tenants::{self, TenantStatus};
use crate::users::{self, Email, MembershipStatus, MembershipSummary, User};

/// The sign-in rules' settings, which the host reads from its configuration.
#[derive(Clone, Copy, Debug)]
pub struct AuthSettings {
    /// How long a new session lasts.
    pub session_ttl: Duration,
    /// Consecutive failed sign-ins (wrong password or second factor) before the account locks.
    pub max_failed_logins: u32,
    /// How long a locked account stays locked.
    pub lockout: Duration,
}

/// A sign-in attempt, as the caller typed it.
#[derive(Clone)]
pub struct SignIn {
    /// The account's e-mail address.
    pub email: Email,
    /// The password as given (checked against the stored hash, not against the policy).
    pub password: String,
    /// The tenant to act in, by id or slug; without it, the only active membership is chosen.
    pub tenant: Option<String>,
    /// The authenticator's current code, for an account with TOTP.
    pub totp_code: Option<String>,
    /// A single-use recovery code instead of the TOTP code.
    pub recovery_code: Option<String>,
    /// The client's `User-Agent`, kept with the session so its owner can recognise it.
    pub user_agent: Option<String>,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("email", &self.email)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// A successful sign-in: the new session and where it acts.
#[derive(Debug)]
pub struct SignedIn {
    /// The session with its bearer token (shown once).
    pub session: NewSession,
    /// Who signed in.
    pub user: User,
    /// The membership the session acts in, if one was chosen.
    pub tenant: Option<MembershipSummary>,
    /// A platform admin without a second factor must enrol one before anything else.
    pub totp_enrolment_required: bool,
}

fn invalid_credentials() -> Error {
    Error::unauthorized("invalid_credentials", "The e-mail address or password is wrong.")
}

fn locked(until: Timestamp) -> Error {
    let wait = until.unix_seconds() - Timestamp::now().unix_seconds();
    Error::RateLimited {
        code: "account_locked",
        message: "Too many failed attempts: sign-ins with this e-mail address are locked for a while."
            .to_owned(),
        retry_after: u64::try_from(wait.max(1)).unwrap_or(1),
    }
}

/// The audit entity of an attempt: the account, or the address when no account has it.
fn entity(email: &str, user: Option<UserId>) -> String {
    user.map_or_else(|| email.to_owned(), |id| id.to_string())
}

/// The lock on `email`'s password attempts, audited (`auth.login_locked`) and returned as the
/// error to answer with, if one is in force. The caller commits and answers with it.
pub(crate) async fn lock_in_force(
    tx: &mut SystemTx,
    email: &str,
    user: Option<UserId>,
    actor: &AuditCtx,
) -> Result<Option<Error>> {
    let Some(until) = store::locked_until(tx, email).await? else { return Ok(None) };
    let event = Event::new("auth.login_locked", "user", entity(email, user))
        .changes(serde_json::json!({ "email": email }));
    audit::record_system(tx, None, actor, event).await?;
    Ok(Some(locked(until)))
}

/// Counts a failed password or second-factor attempt against `email`'s lockout and audits it
/// (`auth.login_failed` with `reason`, and `auth.account_locked` when this one locked it).
pub(crate) async fn count_failure(
    tx: &mut SystemTx,
    settings: &AuthSettings,
    email: &str,
    user: Option<UserId>,
    reason: &str,
    actor: &AuditCtx,
) -> Result<()> {
    let locked = store::record_failure(tx, email, settings.max_failed_logins, settings.lockout).await?;
    let event = Event::new("auth.login_failed", "user", entity(email, user))
        .changes(serde_json::json!({ "email": email, "reason": reason }));
    audit::record_system(tx, None, actor, event).await?;
    if let Some(until) = locked {
        let event = Event::new("auth.account_locked", "user", entity(email, user))
            .changes(serde_json::json!({ "email": email, "until": until }));
        audit::record_system(tx, None, actor, event).await?;
    }
    Ok(())
}

/// Signs a user in and starts a session. Every failure is audited; wrong passwords and second
/// factors count towards the address's lockout, known or not, so neither the answers nor the
/// work done tell whether an account exists. Storage failures refuse the sign-in
/// ([`Error::closed`]) rather than let anyone through.
pub async fn sign_in(
    db: &Db,
    sealer: &Sealer,
    settings: &AuthSettings,
    meta: &RequestMeta,
    cmd: SignIn,
) -> Result<SignedIn> {
    let email = &cmd.email;
    let mut tx = db.system().await.map_err(|e| Error::from(e).closed())?;
    let creds = users::credentials_by_email(&mut tx, email).await.map_err(Error::closed)?;
    let anonymous = meta.anonymous();
    let user = creds.as_ref().map(|c| c.id);

    if let Some(error) =
        lock_in_force(&mut tx, email.as_str(), user, &anonymous).await.map_err(Error::closed)?
    {
        tx.commit().await.map_err(|e| Error::from(e).closed())?;
        return Err(error);
    }

    let password_ok =
        password::verify(&cmd.password, creds.as_ref().map(|c| c.password_hash.as_str())).await?;
    let Some(creds) = creds else {
        count_failure(&mut tx, settings, email.as_str(), None, "unknown_email", &anonymous)
            .await
            .map_err(Error::closed)?;
        tx.commit().await.map_err(|e| Error::from(e).closed())?;
        return Err(invalid_credentials());
    };

    let mut second_factor: Option<Result<()>> = None;
    if password_ok && let Some(sealed) = &creds.totp_secret {
        let secret = sealer.open(sealed).map_err(|e| Error::Internal(e.to_string()))?;
        second_factor = Some(match (cmd.totp_code.as_deref(), cmd.recovery_code.as_deref()) {
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
                ));
            }
        });
    }

    let failed = if !password_ok { Some(invalid_credentials()) } else { second_factor.and_then(Result::err) };
    if let Some(error) = failed {
        let reason = if password_ok { "second_factor" } else { "wrong_password" };
        count_failure(&mut tx, settings, email.as_str(), user, reason, &anonymous)
            .await
            .map_err(Error::closed)?;
        tx.commit().await.map_err(|e| Error::from(e).closed())?;
        return Err(error);
    }

    store::clear_failures(&mut tx, email.as_str()).await.map_err(Error::closed)?;
    let memberships = users::memberships_of_user(&mut tx, creds.id).await.map_err(Error::closed)?;
    let selected = select_tenant(&memberships, cmd.tenant.as_deref())?;
    if selected.is_none() && !creds.is_platform_admin && only_suspended(&memberships) {
        let event = Event::new("auth.login_failed", "user", creds.id)
            .changes(serde_json::json!({ "email": email, "reason": "tenant_suspended" }));
        audit::record_system(&mut tx, None, &anonymous, event).await.map_err(Error::closed)?;
        tx.commit().await.map_err(|e| Error::from(e).closed())?;
        return Err(tenant_suspended());
    }
    if selected.is_none() && !creds.is_platform_admin && only_membership_suspended(&memberships) {
        let event = Event::new("auth.login_failed", "user", creds.id)
            .changes(serde_json::json!({ "email": email, "reason": "membership_suspended" }));
        audit::record_system(&mut tx, None, &anonymous, event).await.map_err(Error::closed)?;
        tx.commit().await.map_err(|e| Error::from(e).closed())?;
        return Err(membership_suspended());
    }
    let mfa_verified = creds.totp_secret.is_some();
    let session = store::create_session(
        &mut tx,
        creds.id,
        selected.map(|m| m.tenant_id),
        mfa_verified,
        settings.session_ttl,
        meta,
        cmd.user_agent.as_deref(),
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

    Ok(SignedIn {
        session,
        user: creds.user(),
        tenant: selected.cloned(),
        totp_enrolment_required: creds.is_platform_admin && !mfa_verified,
    })
}

fn tenant_suspended() -> Error {
    Error::forbidden("tenant_suspended", "This tenant is suspended; contact the platform operator.")
}

fn membership_suspended() -> Error {
    Error::forbidden(
        "membership_suspended",
        "Your access to this practice or lab is suspended; ask one of its administrators.",
    )
}

/// Whether the user has no active membership and one a tenant admin suspended: signing in would
/// lead nowhere, so it is refused with the reason.
fn only_membership_suspended(memberships: &[MembershipSummary]) -> bool {
    !memberships.iter().any(|m| m.status == MembershipStatus::Active)
        && memberships.iter().any(|m| m.status == MembershipStatus::Suspended)
}

/// Whether every active membership is in a suspended tenant (and there is one): such a user has
/// nowhere to act, so signing in is refused rather than left to fail on every request.
fn only_suspended(memberships: &[MembershipSummary]) -> bool {
    let mut active = memberships.iter().filter(|m| m.status == MembershipStatus::Active).peekable();
    active.peek().is_some() && active.all(|m| m.tenant_status == TenantStatus::Suspended)
}

/// The active membership to start in: the one asked for (by tenant id or slug), or the only one
/// in a tenant that is not suspended. A tenant the user is not an active member of is "not
/// found", like any other tenant's data; a suspended one is `tenant_suspended`.
pub fn select_tenant<'a>(
    memberships: &'a [MembershipSummary],
    wanted: Option<&str>,
) -> Result<Option<&'a MembershipSummary>> {
    let active = || memberships.iter().filter(|m| m.status == MembershipStatus::Active);
    match wanted {
        Some(wanted) => {
            let named = |m: &&MembershipSummary| m.tenant_id.to_string() == wanted || m.tenant_slug == wanted;
            if memberships.iter().filter(named).any(|m| m.status == MembershipStatus::Suspended) {
                return Err(membership_suspended());
            }
            let found = active().find(named).ok_or(Error::NotFound("tenant"))?;
            if found.tenant_status == TenantStatus::Suspended {
                return Err(tenant_suspended());
            }
            Ok(Some(found))
        }
        None => {
            let mut open = active().filter(|m| m.tenant_status != TenantStatus::Suspended);
            match (open.next(), open.next()) {
                (Some(only), None) => Ok(Some(only)),
                _ => Ok(None),
            }
        }
    }
}

/// Revokes the principal's own session (API keys are refused) and audits it.
pub async fn sign_out(db: &Db, principal: &Principal) -> Result<()> {
    let (user, session) = (principal.user_id()?, principal.session_id()?);
    let mut tx = db.system().await?;
    store::revoke_session(&mut tx, user, session).await?;
    let tenant = principal.tenant.as_ref().map(|t| t.tenant_id);
    audit::record_system(&mut tx, tenant, &principal.audit(), Event::new("auth.logout", "session", session))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A request to join a tenant, waiting for a company admin's [`crate::users::decide`].
#[derive(Clone)]
pub struct Register {
    /// The tenant's slug, as given; only an active tenant accepts registrations.
    pub tenant: String,
    /// The e-mail address; an existing account joins with its current password.
    pub email: Email,
    /// Display name for a new account (already checked).
    pub name: String,
    /// The password: a new account's (checked against the policy here), or the existing one's.
    pub password: String,
    /// The role asked for; the approving admin decides.
    pub role: Role,
}

impl std::fmt::Debug for Register {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Register")
            .field("tenant", &self.tenant)
            .field("email", &self.email)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Registers a user as a pending member of an active tenant and emits [`UserRegistered`] to it;
/// returns the tenant's id. An address that has an account joins with that account's password.
///
/// The answer never tells whether that password was right: with a wrong one nothing is joined,
/// yet the caller gets the same answer, and the attempt counts towards the address's lockout (and
/// is refused while it is locked) like a sign-in. The password policy applies to every
/// registration first, so a weak password is refused the same way whether or not the address has
/// an account.
pub async fn register(
    db: &Db,
    settings: &AuthSettings,
    meta: &RequestMeta,
    cmd: Register,
) -> Result<TenantId> {
    let Register { tenant, email, name, password: given, role } = cmd;
    let given = password::Password::parse_for("password", &given, &[email.as_str(), &name])?;
    let mut tx = db.system().await?;
    let tenant = tenants::by_slug(&mut tx, &tenant)
        .await?
        .filter(|t| t.status == TenantStatus::Active)
        .ok_or(Error::NotFound("tenant"))?;
    let anonymous = meta.anonymous();
    let existing = users::credentials_by_email(&mut tx, &email).await?;
    if let Some(error) =
        lock_in_force(&mut tx, email.as_str(), existing.as_ref().map(|c| c.id), &anonymous).await?
    {
        tx.commit().await?;
        return Err(error);
    }
    let user_id = match existing {
        Some(existing) => {
            if !password::verify(given.expose(), Some(&existing.password_hash)).await? {
                let reason = "registration_wrong_password";
                count_failure(&mut tx, settings, email.as_str(), Some(existing.id), reason, &anonymous)
                    .await?;
                tx.commit().await?;
                return Ok(tenant.id);
            }
            store::clear_failures(&mut tx, email.as_str()).await?;
            existing.id
        }
        None => {
            let hash = password::hash(&given).await?;
            users::create_user(&mut tx, &email, &name, &hash, false).await?.id
        }
    };
    users::insert_membership(&mut tx, tenant.id, user_id, role, MembershipStatus::Pending).await?;
    let actor = meta.anonymous().as_actor(ActorKind::User, user_id.as_uuid());
    let event = Event::new("membership.requested", "user", user_id)
        .changes(serde_json::json!({ "email": email, "requested_role": role }));
    audit::record_system(&mut tx, Some(tenant.id), &actor, event).await?;
    let registered = UserRegistered {
        user_id,
        email: email.as_str().to_owned(),
        name: name.clone(),
        requested_role: role,
    };
    ils_outbox::emit_system(&mut tx, tenant.id, &registered).await?;
    tx.commit().await?;
    Ok(tenant.id)
}
