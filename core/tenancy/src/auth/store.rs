//! Credential storage. Everything here runs in the system scope: it is authentication.

use std::time::Duration;

use ils_kernel::permissions::{Action, Role};
use ils_kernel::secrets;
use ils_kernel::{Error, Result};
use ils_storage::ids::{ApiKeyId, SessionId, TenantId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{Db, SystemTx, execute, on_conn};
use serde::Serialize;

use super::{Credential, Grant, Principal, RequestMeta, TenantAccess};
use crate::tenants::TenantStatus;
use crate::users::MembershipStatus;

/// How often `last_seen_at` / `last_used_at` is refreshed, at most.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// A principal as read from the database, with what decides how long it holds.
pub(crate) struct Resolved {
    pub principal: Principal,
    /// When the session or key expires, if it does.
    pub expires_at: Option<Timestamp>,
    /// When it was last marked as used.
    pub touched_at: Option<Timestamp>,
}

impl Resolved {
    /// Whether `last_seen_at` / `last_used_at` is due to be refreshed at `now`.
    pub fn touch_due(&self, now: Timestamp) -> bool {
        self.touched_at.is_none_or(|at| at.plus(TOUCH_EVERY) < now)
    }
}

pub(crate) async fn resolve_session(db: &Db, token_hash: &[u8], now: Timestamp) -> Result<Option<Resolved>> {
    const SQL: &str = "SELECT s.id, s.user_id, s.tenant_id, s.mfa_verified, s.last_seen_at, s.expires_at,
            u.is_platform_admin, m.role, m.status AS membership_status, t.status AS tenant_status
        FROM sessions s
        JOIN users u ON u.id = s.user_id
        LEFT JOIN memberships m ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id
        LEFT JOIN tenants t ON t.id = s.tenant_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2";
    #[derive(sqlx::FromRow)]
    struct Row {
        id: SessionId,
        user_id: UserId,
        tenant_id: Option<TenantId>,
        mfa_verified: bool,
        last_seen_at: Timestamp,
        expires_at: Timestamp,
        is_platform_admin: bool,
        role: Option<Role>,
        membership_status: Option<MembershipStatus>,
        tenant_status: Option<TenantStatus>,
    }
    // Failing to read credentials fails closed: the request is refused, never let through.
    let mut tx = db.system_read().await.map_err(|e| Error::from(e).closed())?;
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut **c)
        .await)
    .map_err(|e| Error::from(e).closed())?;
    tx.commit().await.map_err(|e| Error::from(e).closed())?;
    let Some(row) = row else { return Ok(None) };
    let tenant = match (row.tenant_id, row.role, row.membership_status, row.tenant_status) {
        (Some(tenant_id), Some(role), Some(membership), Some(tenant_status)) => {
            Some(TenantAccess { tenant_id, tenant_status, membership, grant: Grant::Role(role) })
        }
        _ => None,
    };
    Ok(Some(Resolved {
        principal: Principal {
            credential: Credential::Session { session_id: row.id, user_id: row.user_id },
            is_platform_admin: row.is_platform_admin,
            mfa_satisfied: !row.is_platform_admin || row.mfa_verified,
            tenant,
            meta: RequestMeta::default(),
        },
        expires_at: Some(row.expires_at),
        touched_at: Some(row.last_seen_at),
    }))
}

pub(crate) async fn resolve_api_key(db: &Db, token_hash: &[u8], now: Timestamp) -> Result<Option<Resolved>> {
    const SQL: &str =
        "SELECT k.id, k.tenant_id, k.scopes, k.last_used_at, k.expires_at, t.status AS tenant_status
        FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
        WHERE k.token_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $2)";
    #[derive(sqlx::FromRow)]
    struct Row {
        id: ApiKeyId,
        tenant_id: TenantId,
        scopes: String,
        last_used_at: Option<Timestamp>,
        expires_at: Option<Timestamp>,
        tenant_status: TenantStatus,
    }
    let mut tx = db.system_read().await.map_err(|e| Error::from(e).closed())?;
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut **c)
        .await)
    .map_err(|e| Error::from(e).closed())?;
    tx.commit().await.map_err(|e| Error::from(e).closed())?;
    let Some(row) = row else { return Ok(None) };
    let scopes = parse_scopes(&row.scopes);
    Ok(Some(Resolved {
        principal: Principal {
            credential: Credential::ApiKey { key_id: row.id },
            is_platform_admin: false,
            mfa_satisfied: true,
            tenant: Some(TenantAccess {
                tenant_id: row.tenant_id,
                tenant_status: row.tenant_status,
                membership: MembershipStatus::Active,
                grant: Grant::Scopes(scopes),
            }),
            meta: RequestMeta::default(),
        },
        expires_at: row.expires_at,
        touched_at: row.last_used_at,
    }))
}

/// Marks the session or key of `principal` as used at `now` (`last_seen_at` / `last_used_at`).
pub(crate) async fn touch(db: &Db, principal: &Principal, now: Timestamp) -> Result<()> {
    let mut tx = db.system().await?;
    match (&principal.credential, &principal.tenant) {
        (Credential::Session { session_id, .. }, _) => {
            execute!(tx.conn(), "UPDATE sessions SET last_seen_at = $2 WHERE id = $1", *session_id, now)?;
        }
        (Credential::ApiKey { key_id }, Some(access)) => {
            execute!(
                tx.conn(),
                "UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2",
                access.tenant_id,
                *key_id,
                now
            )?;
        }
        (Credential::ApiKey { .. }, None) => {}
    }
    tx.commit().await?;
    Ok(())
}

/// Stored scopes are space-separated action names; unknown ones (from a newer version) are
/// ignored rather than granted.
pub(crate) fn parse_scopes(stored: &str) -> Vec<Action> {
    stored.split_whitespace().filter_map(|s| s.parse().ok()).collect()
}

/// A new session's token, shown once.
#[derive(Debug)]
pub struct NewSession {
    /// The session, to list or revoke it later.
    pub id: SessionId,
    /// The bearer token.
    pub token: String,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// Starts a session for `user`, optionally in `tenant`.
pub async fn create_session(
    tx: &mut SystemTx,
    user: UserId,
    tenant: Option<TenantId>,
    mfa_verified: bool,
    ttl: Duration,
    meta: &RequestMeta,
    user_agent: Option<&str>,
) -> Result<NewSession> {
    const SQL: &str =
        "INSERT INTO sessions (id, token_hash, user_id, tenant_id, mfa_verified, ip, user_agent,
            created_at, expires_at, last_seen_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8)";
    let now = Timestamp::now();
    let session = NewSession {
        id: SessionId::new(),
        token: secrets::new_token(secrets::SESSION_PREFIX),
        expires_at: now.plus(ttl),
    };
    let user_agent = user_agent.map(|ua| ua.chars().take(300).collect::<String>());
    execute!(
        tx.conn(),
        SQL,
        session.id,
        secrets::token_hash(&session.token),
        user,
        tenant,
        mfa_verified,
        &meta.ip,
        &user_agent,
        now,
        session.expires_at
    )?;
    Ok(session)
}

/// A session as its owner sees it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// The session's id; `DELETE /me/sessions/{session_id}` ends it.
    pub id: SessionId,
    /// Tenant selected in it.
    pub tenant_id: Option<TenantId>,
    /// Client address at sign-in.
    pub ip: Option<String>,
    /// Client at sign-in.
    pub user_agent: Option<String>,
    /// When the user signed in (UTC).
    pub created_at: Timestamp,
    /// Last used (to the minute).
    pub last_seen_at: Timestamp,
    /// When the session stops working (UTC): a fixed time after sign-in (12 hours by default), however much
    /// it is used.
    pub expires_at: Timestamp,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// The user's live sessions.
pub(crate) async fn list_sessions(
    tx: &mut SystemTx,
    user: UserId,
    current: SessionId,
) -> Result<Vec<SessionInfo>> {
    const SQL: &str =
        "SELECT id, tenant_id, ip, user_agent, created_at, last_seen_at, expires_at FROM sessions
        WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY id";
    #[derive(sqlx::FromRow)]
    struct Row {
        id: SessionId,
        tenant_id: Option<TenantId>,
        ip: Option<String>,
        user_agent: Option<String>,
        created_at: Timestamp,
        last_seen_at: Timestamp,
        expires_at: Timestamp,
    }
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(user)
        .bind(Timestamp::now())
        .fetch_all(&mut **c)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|r| SessionInfo {
            current: r.id == current,
            id: r.id,
            tenant_id: r.tenant_id,
            ip: r.ip,
            user_agent: r.user_agent,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
        })
        .collect())
}

/// Revokes one of the user's sessions; false if there was no such live session.
pub(crate) async fn revoke_session(tx: &mut SystemTx, user: UserId, session: SessionId) -> Result<bool> {
    const SQL: &str =
        "UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL";
    tx.credentials_changed();
    let done = execute!(tx.conn(), SQL, session, user, Timestamp::now())?;
    Ok(done > 0)
}

/// Revokes every session of the user except `keep`; returns how many.
pub(crate) async fn revoke_other_sessions(
    tx: &mut SystemTx,
    user: UserId,
    keep: Option<SessionId>,
) -> Result<u64> {
    const SQL: &str = "UPDATE sessions SET revoked_at = $3
        WHERE user_id = $1 AND revoked_at IS NULL AND ($2 IS NULL OR id <> $2)";
    tx.credentials_changed();
    let done = execute!(tx.conn(), SQL, user, keep, Timestamp::now())?;
    Ok(done)
}

/// Selects the tenant a session acts in.
pub(crate) async fn set_session_tenant(
    tx: &mut SystemTx,
    session: SessionId,
    tenant: TenantId,
) -> Result<()> {
    tx.credentials_changed();
    execute!(tx.conn(), "UPDATE sessions SET tenant_id = $2 WHERE id = $1", session, tenant)?;
    Ok(())
}

/// Marks a session as having passed the second factor.
pub(crate) async fn mark_session_mfa(tx: &mut SystemTx, session: SessionId) -> Result<()> {
    tx.credentials_changed();
    execute!(tx.conn(), "UPDATE sessions SET mfa_verified = $2 WHERE id = $1", session, true)?;
    Ok(())
}

/// How long a failure counts towards a lock: an address's failures older than this (with no lock
/// in force) are forgotten, so the table holds only recent attempts.
const FAILURES_KEPT: Duration = Duration::from_secs(24 * 3600);

/// The end of the lock on sign-ins for `email`, if one is in force. Known or unknown addresses
/// alike: the lock is the address's, not the account's.
pub(crate) async fn locked_until(tx: &mut SystemTx, email: &str) -> Result<Option<Timestamp>> {
    const SQL: &str = "SELECT locked_until FROM sign_in_failures WHERE email = $1 AND locked_until > $2";
    let until: Option<Option<Timestamp>> = on_conn!(tx.conn(), c => sqlx::query_scalar(SQL)
        .bind(email)
        .bind(Timestamp::now())
        .fetch_optional(&mut **c)
        .await)?;
    Ok(until.flatten())
}

/// Counts a failed attempt (a wrong password or second factor) for `email`, whether or not an
/// account has it; locks the address for `lockout` after `max` in a row. Returns the lock's end
/// if this failure locked it.
pub(crate) async fn record_failure(
    tx: &mut SystemTx,
    email: &str,
    max: u32,
    lockout: Duration,
) -> Result<Option<Timestamp>> {
    let now = Timestamp::now();
    execute!(
        tx.conn(),
        "DELETE FROM sign_in_failures WHERE last_failed_at < $1 AND (locked_until IS NULL OR locked_until < $2)",
        now.minus(FAILURES_KEPT),
        now
    )?;
    let failures: i32 = on_conn!(tx.conn(), c => sqlx::query_scalar(
            "INSERT INTO sign_in_failures (email, failures, last_failed_at) VALUES ($1, 1, $2)
             ON CONFLICT (email) DO UPDATE SET failures = sign_in_failures.failures + 1, last_failed_at = $2
             RETURNING failures")
        .bind(email)
        .bind(now)
        .fetch_one(&mut **c)
        .await)?;
    if u32::try_from(failures).unwrap_or(u32::MAX) < max {
        return Ok(None);
    }
    let until = now.plus(lockout);
    execute!(
        tx.conn(),
        "UPDATE sign_in_failures SET failures = 0, locked_until = $2 WHERE email = $1",
        email,
        until
    )?;
    Ok(Some(until))
}

/// Clears the failures counted for `email` after a success.
pub(crate) async fn clear_failures(tx: &mut SystemTx, email: &str) -> Result<()> {
    execute!(tx.conn(), "DELETE FROM sign_in_failures WHERE email = $1", email)?;
    Ok(())
}

/// Replaces the password hash.
pub(crate) async fn set_password(tx: &mut SystemTx, user: UserId, hash: &str) -> Result<()> {
    let now = Timestamp::now();
    execute!(
        tx.conn(),
        "UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1",
        user,
        hash,
        now
    )?;
    Ok(())
}

/// Stores a sealed TOTP seed awaiting confirmation.
pub(crate) async fn set_pending_totp(tx: &mut SystemTx, user: UserId, sealed: &[u8]) -> Result<()> {
    execute!(tx.conn(), "UPDATE users SET totp_pending_secret = $2 WHERE id = $1", user, sealed)?;
    Ok(())
}

/// Turns the pending seed into the active one, at time step `step`.
pub(crate) async fn enable_totp(tx: &mut SystemTx, user: UserId, step: i64) -> Result<()> {
    execute!(
        tx.conn(),
        "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = $2
             WHERE id = $1",
        user,
        step
    )?;
    Ok(())
}

/// Removes the second factor and its recovery codes.
pub(crate) async fn disable_totp(tx: &mut SystemTx, user: UserId) -> Result<()> {
    execute!(
        tx.conn(),
        "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = NULL WHERE id = $1",
        user
    )?;
    execute!(tx.conn(), "DELETE FROM recovery_codes WHERE user_id = $1", user)?;
    Ok(())
}

/// Records the TOTP step just used, so the code cannot be replayed.
pub(crate) async fn set_totp_step(tx: &mut SystemTx, user: UserId, step: i64) -> Result<()> {
    execute!(tx.conn(), "UPDATE users SET totp_last_step = $2 WHERE id = $1", user, step)?;
    Ok(())
}

/// Replaces the user's recovery codes with these (hashed).
pub(crate) async fn replace_recovery_codes(tx: &mut SystemTx, user: UserId, codes: &[String]) -> Result<()> {
    execute!(tx.conn(), "DELETE FROM recovery_codes WHERE user_id = $1", user)?;
    for code in codes {
        let hash = secrets::token_hash(&super::totp::normalise_recovery_code(code));
        execute!(tx.conn(), "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)", user, hash)?;
    }
    Ok(())
}

/// Uses up a recovery code; false if it is unknown or already used.
pub(crate) async fn consume_recovery_code(tx: &mut SystemTx, user: UserId, code: &str) -> Result<bool> {
    let hash = secrets::token_hash(&super::totp::normalise_recovery_code(code));
    let done = execute!(
        tx.conn(),
        "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        user,
        hash,
        Timestamp::now()
    )?;
    Ok(done > 0)
}
