//! What a tenant's company admins see of a member's sign-ins — the failed attempts on the
//! account and whether its address is locked — and lifting that lock
//! (docs/adr/036-account-recovery.md).
//!
//! Failures are recorded in the platform audit (`auth.login_failed`, `auth.account_locked`), not
//! in any tenant's: the account may belong to several tenants. An admin sees them only for a
//! member of their own tenant.

use std::time::Duration;

use serde::Serialize;
use sqlx::types::Json;

use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::{Error, Result};
use ils_storage::ids::{TenantId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{Db, SystemTx, on_conn};

use crate::auth::store as lockout;

/// How far back the failed sign-ins shown go.
pub const FAILURES_SHOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

/// Most failed sign-ins shown.
const FAILURES_SHOWN: i64 = 50;

/// A member's sign-in trouble, as their tenant's admins see it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignIns {
    /// Until when sign-ins with the member's address are refused, if they are now.
    pub locked_until: Option<Timestamp>,
    /// Failed attempts of the last 30 days, newest first (at most 50).
    pub failures: Vec<FailedSignIn>,
}

/// One failed attempt to sign in as the member.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailedSignIn {
    /// When (UTC).
    pub at: Timestamp,
    /// Why: `wrong_password`, `second_factor`, `wrong_current_password`,
    /// `registration_wrong_password`, or `locked` (refused while the address was locked).
    pub reason: String,
    /// The address the attempt came from.
    pub ip: Option<String>,
    /// Whether this attempt locked the address.
    pub locked_the_account: bool,
}

/// The member's address, if `user` is a member of `tenant` (any status).
async fn member_email(tx: &mut SystemTx, tenant: TenantId, user: UserId) -> Result<String> {
    const SQL: &str = "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.tenant_id = $1 AND m.user_id = $2";
    let email: Option<String> = on_conn!(tx.conn(), c => sqlx::query_scalar(SQL)
        .bind(tenant)
        .bind(user)
        .fetch_optional(&mut **c)
        .await)?;
    email.ok_or(Error::NotFound("user"))
}

/// The failed sign-ins and lock of `tenant`'s member `user`; another tenant's user is "not
/// found".
pub async fn sign_ins(db: &Db, tenant: TenantId, user: UserId) -> Result<SignIns> {
    const SQL: &str = "SELECT at, action, changes, ip FROM audit_log
        WHERE entity_type = 'user' AND entity_id = $1 AND tenant_id IS NULL
          AND action IN ('auth.login_failed', 'auth.account_locked', 'auth.login_locked') AND at > $2
        ORDER BY at DESC, id DESC LIMIT $3";
    let mut tx = db.system_read().await?;
    let email = member_email(&mut tx, tenant, user).await?;
    let since = Timestamp::now().minus(FAILURES_SHOWN_FOR);
    let rows: Vec<(Timestamp, String, Json<serde_json::Value>, Option<String>)> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
            .bind(user.to_string())
            .bind(since)
            .bind(FAILURES_SHOWN * 2)
            .fetch_all(&mut **c)
            .await)?;
    let locked_until = lockout::locked_until(&mut tx, &email).await?;
    tx.commit().await?;
    Ok(SignIns { locked_until, failures: failures(rows) })
}

/// Folds the audit rows (newest first) into attempts: an `auth.account_locked` row marks the
/// failure recorded with it.
fn failures(rows: Vec<(Timestamp, String, Json<serde_json::Value>, Option<String>)>) -> Vec<FailedSignIn> {
    let mut out: Vec<FailedSignIn> = Vec::new();
    let mut lock_pending = false;
    for (at, action, changes, ip) in rows {
        match action.as_str() {
            "auth.account_locked" => lock_pending = true,
            "auth.login_locked" => {
                out.push(FailedSignIn { at, reason: "locked".to_owned(), ip, locked_the_account: false })
            }
            _ => {
                let reason = changes.0["reason"].as_str().unwrap_or("wrong_password").to_owned();
                out.push(FailedSignIn {
                    at,
                    reason,
                    ip,
                    locked_the_account: std::mem::take(&mut lock_pending),
                });
            }
        }
    }
    out.truncate(usize::try_from(FAILURES_SHOWN).unwrap_or(usize::MAX));
    out
}

/// Lifts the sign-in lock on `tenant`'s member `user` (and forgets the failures counted
/// towards it); audited in the tenant (`user.unlocked`). False when no lock was in force.
pub async fn unlock(db: &Db, tenant: TenantId, actor: &AuditCtx, user: UserId) -> Result<bool> {
    let mut tx = db.system().await?;
    let email = member_email(&mut tx, tenant, user).await?;
    let was_locked = lockout::locked_until(&mut tx, &email).await?.is_some();
    lockout::clear_failures(&mut tx, &email).await?;
    let event =
        Event::new("user.unlocked", "user", user).changes(serde_json::json!({ "was_locked": was_locked }));
    audit::record_system(&mut tx, Some(tenant), actor, event).await?;
    tx.commit().await?;
    Ok(was_locked)
}
