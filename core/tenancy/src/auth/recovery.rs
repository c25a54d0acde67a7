//! Recovering an account: a forgotten password is reset with a single-use link sent by e-mail
//! (docs/adr/036-account-recovery.md).
//!
//! Asking answers the same whether or not an account has the address; the link's token is
//! stored hashed, works once and for [`RESET_TTL`]; using it sets the new password, ends every
//! session of the account and lifts the address's sign-in lock.

use std::time::Duration;

use ils_kernel::audit::{self, ActorKind, Event};
use ils_kernel::secrets;
use ils_kernel::{Error, Result};
use ils_storage::ids::UserId;
use ils_storage::types::Timestamp;
use ils_storage::{Db, SystemTx, execute, on_conn};

use super::{RequestMeta, password, store};
use crate::users::{self, Email};

/// How long a reset link works.
pub const RESET_TTL: Duration = Duration::from_secs(30 * 60);

/// Links sent to one account within an hour, at most: more requests are answered the same but
/// send nothing, so the address cannot be flooded.
pub const RESETS_PER_HOUR: i64 = 3;

/// The prefix of reset tokens, so one pasted in the wrong place is recognisable.
const RESET_PREFIX: &str = "ils_r_";

/// A reset link to send: to whom, and the token it carries (never stored in clear).
#[derive(Clone)]
pub struct ResetLink {
    /// The account's address, where the link goes.
    pub email: String,
    /// The account holder's name, to greet them.
    pub name: String,
    /// The single-use token for the link.
    pub token: String,
    /// When the link stops working.
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for ResetLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetLink").field("email", &self.email).field("expires_at", &self.expires_at).finish()
    }
}

/// Starts a password reset for `email`, in `tx`: for an account that has the address, a token
/// valid for [`RESET_TTL`] (unless [`RESETS_PER_HOUR`] were already sent); for any other
/// address, nothing. Audited either way (`auth.password_reset_requested`, with whether a link
/// was sent). The caller queues the e-mail with the link in the same transaction and commits,
/// and answers the same in every case.
pub async fn request_reset(
    tx: &mut SystemTx,
    meta: &RequestMeta,
    email: &Email,
) -> Result<Option<ResetLink>> {
    let account = users::credentials_by_email(tx, email).await?;
    let now = Timestamp::now();
    let link = match &account {
        Some(account) if recent_resets(tx, account.id, now).await? < RESETS_PER_HOUR => {
            let token = secrets::new_token(RESET_PREFIX);
            let expires_at = now.plus(RESET_TTL);
            execute!(
                tx.conn(),
                "INSERT INTO password_resets (token_hash, user_id, ip, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
                secrets::token_hash(&token),
                account.id,
                &meta.ip,
                now,
                expires_at
            )?;
            Some(ResetLink { email: account.email.clone(), name: account.name.clone(), token, expires_at })
        }
        _ => None,
    };
    let entity = account.as_ref().map_or_else(|| email.as_str().to_owned(), |a| a.id.to_string());
    let event = Event::new("auth.password_reset_requested", "user", entity)
        .changes(serde_json::json!({ "email": email, "sent": link.is_some() }));
    audit::record_system(tx, None, &meta.anonymous(), event).await?;
    Ok(link)
}

async fn recent_resets(tx: &mut SystemTx, user: UserId, now: Timestamp) -> Result<i64> {
    const SQL: &str = "SELECT count(*) FROM password_resets WHERE user_id = $1 AND created_at > $2";
    let hour_ago = now.minus(Duration::from_secs(3600));
    Ok(on_conn!(tx.conn(), c => sqlx::query_scalar(SQL).bind(user).bind(hour_ago).fetch_one(&mut **c).await)?)
}

fn invalid_link() -> Error {
    Error::invalid_field(
        "token",
        "This reset link is not valid: it was already used, has expired, or was mistyped. Ask for a new one.",
    )
}

/// Sets the password of the account a reset `token` was sent for: checks the new password
/// against the policy, uses up every outstanding link of the account, ends all its sessions and
/// lifts its address's sign-in lock. Audited (`auth.password_reset`). A used, expired or unknown
/// token is `invalid_input` on `token`.
pub async fn reset_password(db: &Db, meta: &RequestMeta, token: &str, new_password: &str) -> Result<()> {
    const CLAIM: &str = "UPDATE password_resets SET used_at = $2
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id";
    let now = Timestamp::now();
    let mut tx = db.system().await?;
    let user: Option<UserId> = on_conn!(tx.conn(), c => sqlx::query_scalar(CLAIM)
        .bind(secrets::token_hash(token.trim()))
        .bind(now)
        .fetch_optional(&mut **c)
        .await)?;
    let Some(user) = user else { return Err(invalid_link()) };
    let creds = users::credentials_by_id(&mut tx, user).await?.ok_or_else(invalid_link)?;
    // Checked after the token, so the policy's answer tells nothing to someone without a link.
    let new = password::Password::parse_for("password", new_password, &[&creds.email, &creds.name])?;
    let hash = password::hash(&new).await?;
    store::set_password(&mut tx, user, &hash).await?;
    execute!(
        tx.conn(),
        "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        user,
        now
    )?;
    let revoked = store::revoke_other_sessions(&mut tx, user, None).await?;
    store::clear_failures(&mut tx, &creds.email).await?;
    let actor = meta.anonymous().as_actor(ActorKind::User, user.as_uuid());
    let event = Event::new("auth.password_reset", "user", user)
        .changes(serde_json::json!({ "sessions_revoked": revoked }));
    audit::record_system(&mut tx, None, &actor, event).await?;
    tx.commit().await?;
    Ok(())
}
