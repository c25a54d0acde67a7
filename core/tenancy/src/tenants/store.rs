//! The `tenants` table: every query on it, in the platform scope or the tenant's own.

use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_storage::ids::TenantId;
use ils_storage::types::Timestamp;
use ils_storage::{SystemTx, TenantTx, execute, on_conn};

use super::{NewTenant, PlanSlug, Slug, Tenant, TenantKind, TenantPatch, TenantStatus};

const COLUMNS: &str = "id, slug, name, kind, status, plan, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: TenantId,
    slug: String,
    name: String,
    kind: TenantKind,
    status: TenantStatus,
    plan: PlanSlug,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for Tenant {
    fn from(r: Row) -> Self {
        Tenant {
            id: r.id,
            slug: Slug(r.slug),
            name: r.name,
            kind: r.kind,
            status: r.status,
            plan: r.plan,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Creates an active tenant. A taken slug is a `slug_taken` conflict.
pub async fn create(tx: &mut SystemTx, new: &NewTenant) -> Result<Tenant> {
    let sql = format!(
        "INSERT INTO tenants ({COLUMNS})
        VALUES ($1, $2, $3, $4, $5, COALESCE($6, (SELECT slug FROM plans ORDER BY rank LIMIT 1)), $7, $7)
        RETURNING {COLUMNS}"
    );
    let now = Timestamp::now();
    let row: Row = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(TenantId::new())
        .bind(new.slug.as_str())
        .bind(&new.name)
        .bind(new.kind)
        .bind(TenantStatus::Active)
        .bind(new.plan.as_ref().map(PlanSlug::as_str))
        .bind(now)
        .fetch_one(&mut **c)
        .await)
    .map_err(|e| {
        Error::from(e)
            .on_duplicate("slug_taken", "A tenant with that slug already exists.")
            .on_missing_reference("plan", "is not a plan (GET /api/v1/platform/plans lists them)")
    })?;
    Ok(row.into())
}

/// A tenant by id.
pub async fn get(tx: &mut SystemTx, id: TenantId) -> Result<Option<Tenant>> {
    let sql = format!("SELECT {COLUMNS} FROM tenants WHERE id = $1");
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    Ok(row.map(Into::into))
}

/// A tenant by slug.
pub async fn by_slug(tx: &mut SystemTx, slug: &str) -> Result<Option<Tenant>> {
    let sql = format!("SELECT {COLUMNS} FROM tenants WHERE slug = $1");
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(slug)
        .fetch_optional(&mut **c)
        .await)?;
    Ok(row.map(Into::into))
}

/// The transaction's own tenant.
pub async fn get_own(tx: &mut TenantTx) -> Result<Tenant> {
    let sql = format!("SELECT {COLUMNS} FROM tenants WHERE id = $1");
    let id = tx.tenant_id();
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    row.map(Into::into).ok_or(Error::NotFound("tenant"))
}

/// The transaction's tenant's settings.
pub async fn settings(tx: &mut TenantTx) -> Result<super::TenantSettings> {
    let id = tx.tenant_id();
    let row: Option<(super::Steps, String, Option<String>, Option<String>)> = on_conn!(tx.conn(), c => sqlx::query_as(
            "SELECT rx_steps, address, phone, contact_email FROM tenants WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    let (rx_steps, address, phone, contact_email) = row.ok_or(Error::NotFound("tenant"))?;
    Ok(super::TenantSettings { rx_steps, address, phone, contact_email })
}

/// Replaces the transaction's tenant's settings.
pub async fn set_settings(tx: &mut TenantTx, settings: &super::TenantSettings) -> Result<()> {
    let id = tx.tenant_id();
    execute!(
        tx.conn(),
        "UPDATE tenants SET rx_steps = $2, address = $3, phone = $4, contact_email = $5, updated_at = $6
         WHERE id = $1",
        id,
        settings.rx_steps,
        &settings.address,
        settings.phone.as_deref(),
        settings.contact_email.as_deref(),
        Timestamp::now()
    )?;
    Ok(())
}

/// All tenants, a page at a time.
pub async fn list(tx: &mut SystemTx, page: &PageRequest) -> Result<Page<Tenant>> {
    let sql = format!("SELECT {COLUMNS} FROM tenants WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2");
    let after: Option<TenantId> = page.after()?;
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(page.fetch_limit())
        .fetch_all(&mut **c)
        .await)?;
    Ok(page.finish(rows.into_iter().map(Tenant::from).collect(), |t| t.id.as_uuid()))
}

/// Applies `patch`; returns the tenant before and after.
pub async fn update(tx: &mut SystemTx, id: TenantId, patch: &TenantPatch) -> Result<(Tenant, Tenant)> {
    let before = get(tx, id).await?.ok_or(Error::NotFound("tenant"))?;
    tx.credentials_changed();
    let sql = format!(
        "UPDATE tenants SET name = $2, status = $3, plan = $4, updated_at = $5 WHERE id = $1 RETURNING {COLUMNS}"
    );
    let row: Row = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(patch.name.as_deref().unwrap_or(&before.name))
        .bind(patch.status.unwrap_or(before.status))
        .bind(patch.plan.as_ref().unwrap_or(&before.plan))
        .bind(Timestamp::now())
        .fetch_one(&mut **c)
        .await)
    .map_err(|e| {
        Error::from(e).on_missing_reference("plan", "is not a plan (GET /api/v1/platform/plans lists them)")
    })?;
    Ok((before, row.into()))
}
