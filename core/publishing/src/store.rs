//! Registry rows: publishers and their members, keys and tokens, plugin id owners, and the
//! review columns of `plugin_catalogue`. Platform data: every statement runs in a system-scope
//! transaction.

use ils_kernel::error::Result;
use ils_storage::ids::{PublisherId, PublisherTokenId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{SystemTx, execute, query};
use ils_tenancy::tenants::PlanSlug;

/// A publisher row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct PublisherRow {
    pub id: PublisherId,
    pub slug: String,
    pub name: String,
    pub auto_approve: bool,
    pub created_at: Timestamp,
}

const PUBLISHER: &str = "SELECT id, slug, name, auto_approve, created_at FROM publishers";

pub(crate) async fn insert_publisher(tx: &mut SystemTx, row: &PublisherRow, by: UserId) -> Result<bool> {
    const SQL: &str =
        "INSERT INTO publishers (id, slug, name, auto_approve, created_by, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (slug) DO NOTHING";
    let n = execute!(tx.conn(), SQL, row.id, &row.slug, &row.name, row.auto_approve, by, row.created_at)?;
    if n == 1 {
        const MEMBER: &str =
            "INSERT INTO publisher_members (publisher_id, user_id, created_at) VALUES ($1, $2, $3)";
        execute!(tx.conn(), MEMBER, row.id, by, row.created_at)?;
    }
    Ok(n == 1)
}

pub(crate) async fn publisher_by_slug(tx: &mut SystemTx, slug: &str) -> Result<Option<PublisherRow>> {
    let sql = format!("{PUBLISHER} WHERE slug = $1");
    Ok(query!(tx, query_as, fetch_optional, sql, slug)?)
}

pub(crate) async fn publisher_by_id(tx: &mut SystemTx, id: PublisherId) -> Result<Option<PublisherRow>> {
    let sql = format!("{PUBLISHER} WHERE id = $1");
    Ok(query!(tx, query_as, fetch_optional, sql, id)?)
}

pub(crate) async fn publishers_of(tx: &mut SystemTx, user: UserId) -> Result<Vec<PublisherRow>> {
    let sql = format!(
        "{PUBLISHER} WHERE id IN (SELECT publisher_id FROM publisher_members WHERE user_id = $1) ORDER BY slug"
    );
    Ok(query!(tx, query_as, fetch_all, sql, user)?)
}

pub(crate) async fn all_publishers(tx: &mut SystemTx) -> Result<Vec<PublisherRow>> {
    let sql = format!("{PUBLISHER} ORDER BY slug");
    Ok(query!(tx, query_as, fetch_all, sql)?)
}

pub(crate) async fn is_member(tx: &mut SystemTx, publisher: PublisherId, user: UserId) -> Result<bool> {
    const SQL: &str = "SELECT count(*) FROM publisher_members WHERE publisher_id = $1 AND user_id = $2";
    let n: i64 = query!(tx, query_scalar, fetch_one, SQL, publisher, user)?;
    Ok(n > 0)
}

pub(crate) async fn set_auto_approve(tx: &mut SystemTx, publisher: PublisherId, on: bool) -> Result<()> {
    const SQL: &str = "UPDATE publishers SET auto_approve = $2, updated_at = $3 WHERE id = $1";
    execute!(tx.conn(), SQL, publisher, on, Timestamp::now())?;
    Ok(())
}

/// A signing key row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct KeyRow {
    pub key_id: String,
    pub publisher_id: PublisherId,
    pub name: String,
    pub public_key: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

const KEY: &str = "SELECT key_id, publisher_id, name, public_key, created_at, revoked_at FROM publisher_keys";

pub(crate) async fn insert_key(tx: &mut SystemTx, row: &KeyRow, by: UserId) -> Result<bool> {
    const SQL: &str =
        "INSERT INTO publisher_keys (key_id, publisher_id, name, public_key, created_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_id) DO NOTHING";
    let n = execute!(
        tx.conn(),
        SQL,
        &row.key_id,
        row.publisher_id,
        &row.name,
        &row.public_key,
        by,
        row.created_at
    )?;
    Ok(n == 1)
}

pub(crate) async fn key(tx: &mut SystemTx, key_id: &str) -> Result<Option<KeyRow>> {
    let sql = format!("{KEY} WHERE key_id = $1");
    Ok(query!(tx, query_as, fetch_optional, sql, key_id)?)
}

pub(crate) async fn keys_of(tx: &mut SystemTx, publisher: PublisherId) -> Result<Vec<KeyRow>> {
    let sql = format!("{KEY} WHERE publisher_id = $1 ORDER BY created_at");
    Ok(query!(tx, query_as, fetch_all, sql, publisher)?)
}

pub(crate) async fn revoke_key(tx: &mut SystemTx, publisher: PublisherId, key_id: &str) -> Result<bool> {
    const SQL: &str = "UPDATE publisher_keys SET revoked_at = $3
        WHERE publisher_id = $1 AND key_id = $2 AND revoked_at IS NULL";
    Ok(execute!(tx.conn(), SQL, publisher, key_id, Timestamp::now())? == 1)
}

/// A publishing token row (without its hash).
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct TokenRow {
    pub id: PublisherTokenId,
    pub publisher_id: PublisherId,
    pub name: String,
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

const TOKEN: &str = "SELECT id, publisher_id, name, prefix, created_at, expires_at, last_used_at, revoked_at
    FROM publisher_tokens";

pub(crate) async fn insert_token(tx: &mut SystemTx, row: &TokenRow, hash: &[u8], by: UserId) -> Result<()> {
    const SQL: &str = "INSERT INTO publisher_tokens
        (id, publisher_id, name, prefix, token_hash, created_by, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    execute!(
        tx.conn(),
        SQL,
        row.id,
        row.publisher_id,
        &row.name,
        &row.prefix,
        hash,
        by,
        row.created_at,
        row.expires_at
    )?;
    Ok(())
}

pub(crate) async fn tokens_of(tx: &mut SystemTx, publisher: PublisherId) -> Result<Vec<TokenRow>> {
    let sql = format!("{TOKEN} WHERE publisher_id = $1 ORDER BY created_at");
    Ok(query!(tx, query_as, fetch_all, sql, publisher)?)
}

/// The live token with this hash; marks it used.
pub(crate) async fn use_token(tx: &mut SystemTx, hash: &[u8]) -> Result<Option<TokenRow>> {
    let now = Timestamp::now();
    let sql = format!(
        "{TOKEN} WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
    );
    let row: Option<TokenRow> = query!(tx, query_as, fetch_optional, sql, hash, now)?;
    if let Some(row) = &row {
        execute!(tx.conn(), "UPDATE publisher_tokens SET last_used_at = $2 WHERE id = $1", row.id, now)?;
    }
    Ok(row)
}

pub(crate) async fn revoke_token(
    tx: &mut SystemTx,
    publisher: PublisherId,
    id: PublisherTokenId,
) -> Result<bool> {
    const SQL: &str = "UPDATE publisher_tokens SET revoked_at = $3
        WHERE publisher_id = $1 AND id = $2 AND revoked_at IS NULL";
    Ok(execute!(tx.conn(), SQL, publisher, id, Timestamp::now())? == 1)
}

/// The publisher owning a plugin id, if one claimed it.
pub(crate) async fn owner(tx: &mut SystemTx, plugin: &str) -> Result<Option<PublisherId>> {
    const SQL: &str = "SELECT publisher_id FROM plugin_owners WHERE plugin_id = $1";
    Ok(query!(tx, query_scalar, fetch_optional, SQL, plugin)?)
}

pub(crate) async fn claim(tx: &mut SystemTx, plugin: &str, publisher: PublisherId) -> Result<()> {
    const SQL: &str = "INSERT INTO plugin_owners (plugin_id, publisher_id, claimed_at) VALUES ($1, $2, $3)
        ON CONFLICT (plugin_id) DO NOTHING";
    execute!(tx.conn(), SQL, plugin, publisher, Timestamp::now())?;
    Ok(())
}

/// A catalogue version with its review columns.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct VersionRow {
    pub plugin_id: String,
    pub version: String,
    pub digest: String,
    pub manifest: String,
    pub min_plan: PlanSlug,
    pub added_at: Timestamp,
    pub status: String,
    pub publisher_id: Option<PublisherId>,
    pub key_id: Option<String>,
    pub signature: Option<String>,
    pub size: Option<i64>,
    pub imports: Option<String>,
    pub review_reason: Option<String>,
    pub reviewed_at: Option<Timestamp>,
    pub yanked_at: Option<Timestamp>,
    pub yank_reason: Option<String>,
}

const VERSION: &str = "SELECT plugin_id, version, digest, manifest, min_plan, added_at, status, publisher_id,
    key_id, signature, size, imports, review_reason, reviewed_at, yanked_at, yank_reason FROM plugin_catalogue";

/// Every version of `plugin`, whatever its state.
pub(crate) async fn versions(tx: &mut SystemTx, plugin: &str) -> Result<Vec<VersionRow>> {
    let sql = format!("{VERSION} WHERE plugin_id = $1 ORDER BY added_at");
    Ok(query!(tx, query_as, fetch_all, sql, plugin)?)
}

/// Versions waiting for review, oldest first.
pub(crate) async fn pending(tx: &mut SystemTx) -> Result<Vec<VersionRow>> {
    let sql = format!("{VERSION} WHERE status = 'pending' ORDER BY added_at");
    Ok(query!(tx, query_as, fetch_all, sql)?)
}

/// Every version a publisher published.
pub(crate) async fn versions_by(tx: &mut SystemTx, publisher: PublisherId) -> Result<Vec<VersionRow>> {
    let sql = format!("{VERSION} WHERE publisher_id = $1 ORDER BY plugin_id, added_at");
    Ok(query!(tx, query_as, fetch_all, sql, publisher)?)
}

pub(crate) async fn insert_version(tx: &mut SystemTx, r: &VersionRow) -> Result<()> {
    const SQL: &str =
        "INSERT INTO plugin_catalogue (plugin_id, version, digest, manifest, min_plan, added_at,
        status, publisher_id, key_id, signature, size, imports)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    execute!(
        tx.conn(),
        SQL,
        &r.plugin_id,
        &r.version,
        &r.digest,
        &r.manifest,
        &r.min_plan,
        r.added_at,
        &r.status,
        r.publisher_id,
        &r.key_id,
        &r.signature,
        r.size,
        &r.imports
    )?;
    Ok(())
}

/// Records a review decision on a pending version; false when it is not pending.
pub(crate) async fn decide(
    tx: &mut SystemTx,
    plugin: &str,
    version: &str,
    status: &str,
    min_plan: &PlanSlug,
    reason: Option<&str>,
    by: UserId,
) -> Result<bool> {
    const SQL: &str = "UPDATE plugin_catalogue SET status = $3, min_plan = $4, review_reason = $5,
        reviewed_by = $6, reviewed_at = $7 WHERE plugin_id = $1 AND version = $2 AND status = 'pending'";
    Ok(execute!(tx.conn(), SQL, plugin, version, status, min_plan, reason, by, Timestamp::now())? == 1)
}

/// Yanks an approved version; false when it is not approved or already yanked.
pub(crate) async fn yank(tx: &mut SystemTx, plugin: &str, version: &str, reason: &str) -> Result<bool> {
    const SQL: &str = "UPDATE plugin_catalogue SET yanked_at = $3, yank_reason = $4
        WHERE plugin_id = $1 AND version = $2 AND status = 'approved' AND yanked_at IS NULL";
    Ok(execute!(tx.conn(), SQL, plugin, version, Timestamp::now(), reason)? == 1)
}

/// The tenants whose enablement (enabled or not) is on this version.
pub(crate) async fn tenants_on(
    tx: &mut SystemTx,
    plugin: &str,
    version: &str,
) -> Result<Vec<ils_storage::ids::TenantId>> {
    const SQL: &str = "SELECT tenant_id FROM tenant_plugins WHERE plugin_id = $1 AND version = $2";
    Ok(query!(tx, query_scalar, fetch_all, SQL, plugin, version)?)
}
