//! Invitations: a company admin invites an e-mail address to join the tenant with a role; the
//! person follows the e-mailed link and sets a password (or, with an account already, gives its
//! password) and is an active member at once (docs/adr/036-account-recovery.md).
//!
//! The link's token is stored hashed and works once, until [`INVITATION_TTL`] has passed or an
//! admin revokes it. Inviting an address again replaces its pending invitation.

use std::time::Duration;

use serde::Serialize;

use ils_kernel::audit::{self, ActorKind, Event};
use ils_kernel::permissions::Role;
use ils_kernel::secrets;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{InvitationId, TenantId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{Db, SystemTx, TenantTx, execute, on_conn, text_enum};

use super::{Email, MembershipStatus};
use crate::auth::login::{self, AuthSettings};
use crate::auth::{RequestMeta, password};

/// How long an invitation's link works.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The prefix of invitation tokens.
const INVITATION_PREFIX: &str = "ils_i_";

text_enum! {
    /// Where an invitation stands.
    pub enum InvitationStatus {
        /// Sent; the link works until it expires.
        Pending = "pending",
        /// The person joined with it.
        Accepted = "accepted",
        /// Not used in time.
        Expired = "expired",
        /// Withdrawn by an admin, or replaced by a newer invitation to the same address.
        Revoked = "revoked",
    }
}

/// An invitation as the tenant's admins see it (never its token).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invitation {
    /// The invitation's id.
    pub id: InvitationId,
    /// The address invited.
    pub email: String,
    /// The role the person gets on joining.
    pub role: Role,
    /// Pending, accepted, expired or revoked.
    pub status: InvitationStatus,
    /// The admin who invited (none when an API key did).
    pub invited_by: Option<UserId>,
    /// When it was sent (UTC).
    pub created_at: Timestamp,
    /// When its link stops working (UTC).
    pub expires_at: Timestamp,
    /// When the person joined with it.
    pub accepted_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, email, role, invited_by, created_at, expires_at, accepted_at, revoked_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: InvitationId,
    email: String,
    role: Role,
    invited_by: Option<UserId>,
    created_at: Timestamp,
    expires_at: Timestamp,
    accepted_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

impl Row {
    fn into_invitation(self, now: Timestamp) -> Invitation {
        let status = if self.accepted_at.is_some() {
            InvitationStatus::Accepted
        } else if self.revoked_at.is_some() {
            InvitationStatus::Revoked
        } else if self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        };
        Invitation {
            id: self.id,
            email: self.email,
            role: self.role,
            status,
            invited_by: self.invited_by,
            created_at: self.created_at,
            expires_at: self.expires_at,
            accepted_at: self.accepted_at,
        }
    }
}

/// Whom to invite, and as what.
#[derive(Clone, Debug)]
pub struct Invite {
    /// The address the link goes to.
    pub email: Email,
    /// The role they get on joining.
    pub role: Role,
}

/// A new invitation and the token for its link (shown to no one but the e-mail).
pub struct Issued {
    /// The invitation.
    pub invitation: Invitation,
    /// The single-use token for the link.
    pub token: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").field("invitation", &self.invitation).finish_non_exhaustive()
    }
}

/// Invites `cmd.email` to the unit's tenant as `cmd.role`: an address that already has a
/// membership here (active, suspended or waiting) is an `already_member` conflict; a pending
/// invitation to the same address is revoked and replaced. Audited (`user.invited`); the caller
/// queues the e-mail in the unit and commits.
pub async fn invite(uow: &mut UnitOfWork, cmd: Invite) -> Result<Issued> {
    const MEMBER: &str = "SELECT m.status FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.tenant_id = $1 AND u.email = $2";
    let tenant = uow.tx().tenant_id();
    let status: Option<MembershipStatus> = on_conn!(uow.tx().conn(), c => sqlx::query_scalar(MEMBER)
        .bind(tenant)
        .bind(cmd.email.as_str())
        .fetch_optional(&mut **c)
        .await)?;
    if let Some(status) = status.filter(|s| *s != MembershipStatus::Rejected) {
        return Err(Error::conflict(
            "already_member",
            format!("{} is already a member here ({status}).", cmd.email.as_str()),
        ));
    }
    let now = Timestamp::now();
    execute!(
        uow.tx().conn(),
        "UPDATE invitations SET revoked_at = $3
         WHERE tenant_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        tenant,
        cmd.email.as_str(),
        now
    )?;
    let token = secrets::new_token(INVITATION_PREFIX);
    let row = Row {
        id: InvitationId::new(),
        email: cmd.email.as_str().to_owned(),
        role: cmd.role,
        invited_by: uow.ctx().user_id,
        created_at: now,
        expires_at: now.plus(INVITATION_TTL),
        accepted_at: None,
        revoked_at: None,
    };
    execute!(
        uow.tx().conn(),
        "INSERT INTO invitations (tenant_id, id, email, role, token_hash, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        tenant,
        row.id,
        &row.email,
        row.role,
        secrets::token_hash(&token),
        row.invited_by,
        row.created_at,
        row.expires_at
    )?;
    let invitation = row.into_invitation(now);
    let event = Event::new("user.invited", "invitation", invitation.id)
        .changes(serde_json::json!({ "email": invitation.email, "role": invitation.role }));
    uow.audit(event).await?;
    Ok(Issued { invitation, token })
}

/// The tenant's invitations, newest first (the latest 200).
pub async fn list(tx: &mut TenantTx) -> Result<Vec<Invitation>> {
    let sql =
        format!("SELECT {COLUMNS} FROM invitations WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 200");
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .fetch_all(&mut **c)
        .await)?;
    let now = Timestamp::now();
    Ok(rows.into_iter().map(|r| r.into_invitation(now)).collect())
}

async fn get(tx: &mut TenantTx, id: InvitationId) -> Result<Invitation> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    Ok(row.ok_or(Error::NotFound("invitation"))?.into_invitation(Timestamp::now()))
}

/// Withdraws a pending invitation: its link stops working (`not_pending` when it is no longer
/// pending). Audited (`user.invitation_revoked`); the caller commits.
pub async fn revoke(uow: &mut UnitOfWork, id: InvitationId) -> Result<Invitation> {
    let before = get(uow.tx(), id).await?;
    if before.status != InvitationStatus::Pending {
        return Err(Error::conflict("not_pending", format!("This invitation is already {}.", before.status)));
    }
    let tenant = uow.tx().tenant_id();
    let now = Timestamp::now();
    execute!(
        uow.tx().conn(),
        "UPDATE invitations SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2",
        tenant,
        id,
        now
    )?;
    let event = Event::new("user.invitation_revoked", "invitation", id)
        .changes(serde_json::json!({ "email": before.email }));
    uow.audit(event).await?;
    Ok(Invitation { status: InvitationStatus::Revoked, ..before })
}

/// What an invitation's link offers, shown before accepting.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Offer {
    /// The tenant's id.
    pub tenant_id: TenantId,
    /// The practice or lab's name.
    pub tenant_name: String,
    /// The address invited.
    pub email: String,
    /// The role on joining.
    pub role: Role,
    /// Whether the address already has an ILS account: then its password is asked for, not a
    /// new one and a name.
    pub has_account: bool,
    /// When the link stops working.
    pub expires_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct Pending {
    tenant_id: TenantId,
    id: InvitationId,
    tenant_name: String,
    email: String,
    role: Role,
    expires_at: Timestamp,
}

fn invalid_link() -> Error {
    Error::invalid_field(
        "token",
        "This invitation link is not valid: it was used, revoked or replaced, has expired, or was mistyped. \
         Ask the person who invited you for a new one.",
    )
}

async fn pending(tx: &mut SystemTx, token: &str) -> Result<Pending> {
    const SQL: &str = "SELECT i.tenant_id, i.id, t.name AS tenant_name, i.email, i.role, i.expires_at
        FROM invitations i JOIN tenants t ON t.id = i.tenant_id
        WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2
          AND t.status = 'active'";
    let row: Option<Pending> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(secrets::token_hash(token.trim()))
        .bind(Timestamp::now())
        .fetch_optional(&mut **c)
        .await)?;
    row.ok_or_else(invalid_link)
}

/// What the link with `token` offers; a used, revoked, expired or unknown one is `invalid_input`
/// on `token`.
pub async fn offer(db: &Db, token: &str) -> Result<Offer> {
    let mut tx = db.system_read().await?;
    let found = pending(&mut tx, token).await?;
    let email = Email::parse("email", &found.email)?;
    let has_account = super::credentials_by_email(&mut tx, &email).await?.is_some();
    tx.commit().await?;
    Ok(Offer {
        tenant_id: found.tenant_id,
        tenant_name: found.tenant_name,
        email: found.email,
        role: found.role,
        has_account,
        expires_at: found.expires_at,
    })
}

/// Accepting an invitation.
#[derive(Clone)]
pub struct Accept {
    /// The token from the link.
    pub token: String,
    /// The name for a new account (ignored when the address has one).
    pub name: Option<String>,
    /// A new account's password (checked against the policy), or the existing account's.
    pub password: String,
}

impl std::fmt::Debug for Accept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accept").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Who joined where.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Joined {
    /// The tenant joined.
    pub tenant_id: TenantId,
    /// The member's user id.
    pub user_id: UserId,
    /// Their role.
    pub role: Role,
}

/// Joins the tenant with an invitation: a new account with `cmd.name` and `cmd.password`, or —
/// for an address that has an account — that account, once its password is given (a wrong one
/// counts towards the address's sign-in lockout). The membership is active at once with the
/// invited role; the link is used up. Audited in the tenant (`user.joined`).
pub async fn accept(db: &Db, settings: &AuthSettings, meta: &RequestMeta, cmd: Accept) -> Result<Joined> {
    let mut tx = db.system().await?;
    let found = pending(&mut tx, &cmd.token).await?;
    let email = Email::parse("email", &found.email)?;
    let anonymous = meta.anonymous();
    let user_id = match super::credentials_by_email(&mut tx, &email).await? {
        Some(existing) => {
            if let Some(locked) =
                login::lock_in_force(&mut tx, email.as_str(), Some(existing.id), &anonymous).await?
            {
                tx.commit().await?;
                return Err(locked);
            }
            if !password::verify(&cmd.password, Some(&existing.password_hash)).await? {
                let reason = "invitation_wrong_password";
                login::count_failure(
                    &mut tx,
                    settings,
                    email.as_str(),
                    Some(existing.id),
                    reason,
                    &anonymous,
                )
                .await?;
                tx.commit().await?;
                return Err(Error::invalid_field("password", "is not the password of your ILS account"));
            }
            existing.id
        }
        None => {
            let name = crate::tenants::parse_name("name", cmd.name.as_deref().unwrap_or_default())?;
            let given = password::Password::parse_for("password", &cmd.password, &[email.as_str(), &name])?;
            let hash = password::hash(&given).await?;
            super::create_user(&mut tx, &email, &name, &hash, false).await?.id
        }
    };
    let now = Timestamp::now();
    // A registration waiting (or refused) before the invitation becomes the invited membership.
    let updated = execute!(
        tx.conn(),
        "UPDATE memberships SET role = $3, status = 'active', decided_by = $4, decided_at = $5, updated_at = $5
         WHERE tenant_id = $1 AND user_id = $2 AND status IN ('pending', 'rejected')",
        found.tenant_id,
        user_id,
        found.role,
        None::<UserId>,
        now
    )?;
    if updated == 0 {
        super::insert_membership(&mut tx, found.tenant_id, user_id, found.role, MembershipStatus::Active)
            .await
            .map_err(|e| {
                e.on_duplicate("already_member", "You are already a member of this practice or lab.")
            })?;
    }
    tx.credentials_changed();
    execute!(
        tx.conn(),
        "UPDATE invitations SET accepted_at = $3, accepted_by = $4 WHERE tenant_id = $1 AND id = $2",
        found.tenant_id,
        found.id,
        now,
        user_id
    )?;
    let actor = anonymous.as_actor(ActorKind::User, user_id.as_uuid());
    let event = Event::new("user.joined", "user", user_id)
        .changes(serde_json::json!({ "invitation_id": found.id, "role": found.role }));
    audit::record_system(&mut tx, Some(found.tenant_id), &actor, event).await?;
    tx.commit().await?;
    Ok(Joined { tenant_id: found.tenant_id, user_id, role: found.role })
}
