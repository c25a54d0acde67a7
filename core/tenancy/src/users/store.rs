//! The `users` and `memberships` tables.

use ils_kernel::page::{Page, PageRequest};
use ils_kernel::permissions::Role;
use ils_kernel::{Error, Result};
use ils_storage::ids::{TenantId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{SystemTx, TenantTx, execute, on_conn};

use super::{Email, Member, MembershipStatus, MembershipSummary, User};

const USER_COLUMNS: &str = "id, email, name, is_platform_admin, created_at";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: UserId,
    email: String,
    name: String,
    is_platform_admin: bool,
    created_at: Timestamp,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            email: r.email,
            name: r.name,
            is_platform_admin: r.is_platform_admin,
            created_at: r.created_at,
        }
    }
}

/// Creates a user. A taken e-mail address is an `email_taken` conflict.
pub async fn create_user(
    tx: &mut SystemTx,
    email: &Email,
    name: &str,
    password_hash: &str,
    is_platform_admin: bool,
) -> Result<User> {
    let sql = format!(
        "INSERT INTO users (id, email, name, password_hash, is_platform_admin,
            password_changed_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6) RETURNING {USER_COLUMNS}"
    );
    let row: UserRow = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(UserId::new())
        .bind(email.as_str())
        .bind(name)
        .bind(password_hash)
        .bind(is_platform_admin)
        .bind(Timestamp::now())
        .fetch_one(&mut **c)
        .await)
    .map_err(|e| {
        Error::from(e).on_duplicate("email_taken", "An account with that e-mail address already exists.")
    })?;
    Ok(row.into())
}

/// A user by e-mail address.
pub async fn user_by_email(tx: &mut SystemTx, email: &Email) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
    let row: Option<UserRow> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(email.as_str())
        .fetch_optional(&mut **c)
        .await)?;
    Ok(row.map(Into::into))
}

/// What authentication needs to know about a user.
#[derive(Clone, sqlx::FromRow)]
pub struct Credentials {
    /// The user's id, which a session opened with these credentials carries.
    pub id: UserId,
    /// Sign-in name; also the account name shown in authenticator apps.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Platform admins must pass TOTP before anything else.
    pub is_platform_admin: bool,
    /// Sealed TOTP seed, once enabled.
    pub totp_secret: Option<Vec<u8>>,
    /// Sealed TOTP seed awaiting confirmation.
    pub totp_pending_secret: Option<Vec<u8>>,
    /// Last TOTP time step used (replay protection).
    pub totp_last_step: Option<i64>,
    /// When the account was created (shown in [`User`]).
    pub created_at: Timestamp,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("id", &self.id)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The public view of this user.
    pub fn user(&self) -> User {
        User {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            is_platform_admin: self.is_platform_admin,
            created_at: self.created_at,
        }
    }
}

const CREDENTIAL_COLUMNS: &str = "id, email, name, password_hash, is_platform_admin, totp_secret,
    totp_pending_secret, totp_last_step, created_at";

/// Credentials by e-mail address.
pub async fn credentials_by_email(tx: &mut SystemTx, email: &Email) -> Result<Option<Credentials>> {
    let sql = format!("SELECT {CREDENTIAL_COLUMNS} FROM users WHERE email = $1");
    Ok(on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(email.as_str())
        .fetch_optional(&mut **c)
        .await)?)
}

/// Credentials by id.
pub async fn credentials_by_id(tx: &mut SystemTx, id: UserId) -> Result<Option<Credentials>> {
    let sql = format!("SELECT {CREDENTIAL_COLUMNS} FROM users WHERE id = $1");
    Ok(on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?)
}

/// Adds a membership (platform scope: registration and tenant creation span tenants).
pub async fn insert_membership(
    tx: &mut SystemTx,
    tenant: TenantId,
    user: UserId,
    role: Role,
    status: MembershipStatus,
) -> Result<()> {
    const SQL: &str = "INSERT INTO memberships (tenant_id, user_id, role, status, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $5)";
    tx.credentials_changed();
    execute!(tx.conn(), SQL, tenant, user, role, status, Timestamp::now()).map_err(|e| {
        Error::from(e).on_duplicate(
            "already_member",
            "That user already belongs to, or has asked to join, this tenant.",
        )
    })?;
    Ok(())
}

/// Every membership of a user, with tenant names.
pub async fn memberships_of_user(tx: &mut SystemTx, user: UserId) -> Result<Vec<MembershipSummary>> {
    const SQL: &str =
        "SELECT m.tenant_id, t.name AS tenant_name, t.slug AS tenant_slug, t.status AS tenant_status,
            m.role, m.status
        FROM memberships m JOIN tenants t ON t.id = m.tenant_id
        WHERE m.user_id = $1 ORDER BY t.name";
    #[derive(sqlx::FromRow)]
    struct Row {
        tenant_id: TenantId,
        tenant_name: String,
        tenant_slug: String,
        tenant_status: crate::tenants::TenantStatus,
        role: Role,
        status: MembershipStatus,
    }
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(user)
        .fetch_all(&mut **c)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|r| MembershipSummary {
            tenant_id: r.tenant_id,
            tenant_name: r.tenant_name,
            tenant_slug: r.tenant_slug,
            tenant_status: r.tenant_status,
            role: r.role,
            status: r.status,
        })
        .collect())
}

const MEMBER_SELECT: &str = "SELECT m.user_id, m.tenant_id, u.email, u.name, m.role, m.status,
        m.decided_by, m.decided_at, m.created_at
    FROM memberships m JOIN users u ON u.id = m.user_id";

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: UserId,
    tenant_id: TenantId,
    email: String,
    name: String,
    role: Role,
    status: MembershipStatus,
    decided_by: Option<UserId>,
    decided_at: Option<Timestamp>,
    created_at: Timestamp,
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Self {
        Member {
            user_id: r.user_id,
            tenant_id: r.tenant_id,
            email: r.email,
            name: r.name,
            role: r.role,
            status: r.status,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            created_at: r.created_at,
        }
    }
}

/// The tenant's members, optionally only those with `status`, a page at a time.
pub async fn list_members(
    tx: &mut TenantTx,
    status: Option<MembershipStatus>,
    page: &PageRequest,
) -> Result<Page<Member>> {
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.tenant_id = $1 AND ($2 IS NULL OR m.user_id > $2)
            AND ($3 IS NULL OR m.status = $3)
         ORDER BY m.user_id LIMIT $4"
    );
    let tenant = tx.tenant_id();
    let after: Option<UserId> = page.after()?;
    let rows: Vec<MemberRow> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(after)
        .bind(status)
        .bind(page.fetch_limit())
        .fetch_all(&mut **c)
        .await)?;
    Ok(page.finish(rows.into_iter().map(Member::from).collect(), |m| m.user_id.as_uuid()))
}

/// One member of the tenant.
pub async fn get_member(tx: &mut TenantTx, user: UserId) -> Result<Member> {
    let sql = format!("{MEMBER_SELECT} WHERE m.tenant_id = $1 AND m.user_id = $2");
    let tenant = tx.tenant_id();
    let row: Option<MemberRow> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(user)
        .fetch_optional(&mut **c)
        .await)?;
    row.map(Into::into).ok_or(Error::NotFound("user"))
}

/// Sets a member's role and status, recording who decided (no one for an API key; the audit
/// log names the key).
pub async fn set_membership(
    tx: &mut TenantTx,
    user: UserId,
    role: Role,
    status: MembershipStatus,
    decided_by: Option<UserId>,
) -> Result<Member> {
    const SQL: &str = "UPDATE memberships SET role = $3, status = $4, decided_by = $5, decided_at = $6,
            updated_at = $6
        WHERE tenant_id = $1 AND user_id = $2";
    let tenant = tx.tenant_id();
    tx.credentials_changed();
    let done = execute!(tx.conn(), SQL, tenant, user, role, status, decided_by, Timestamp::now())?;
    if done == 0 {
        return Err(Error::NotFound("user"));
    }
    get_member(tx, user).await
}

/// Removes a member from the tenant.
pub async fn delete_membership(tx: &mut TenantTx, user: UserId) -> Result<()> {
    const SQL: &str = "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2";
    let tenant = tx.tenant_id();
    tx.credentials_changed();
    let done = execute!(tx.conn(), SQL, tenant, user)?;
    if done == 0 {
        return Err(Error::NotFound("user"));
    }
    Ok(())
}

/// How many active company admins the tenant has.
pub async fn active_admins(tx: &mut TenantTx) -> Result<i64> {
    const SQL: &str = "SELECT count(*) FROM memberships WHERE tenant_id = $1 AND role = $2 AND status = $3";
    let tenant = tx.tenant_id();
    Ok(on_conn!(tx.conn(), c => sqlx::query_scalar(SQL)
        .bind(tenant)
        .bind(Role::CompanyAdmin)
        .bind(MembershipStatus::Active)
        .fetch_one(&mut **c)
        .await)?)
}
