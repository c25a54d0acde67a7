//! Lab accounts: a lab opens an account for a practice, and the practice may then send it
//! orders. The account belongs to the lab; the practice sees the labs it has accounts with.
//!
//! [`open`] and [`close`] are services over a [`UnitOfWork`] (audited as `lab_account.opened` /
//! `lab_account.closed`); [`list`] and [`for_practice`] read the tenant's transaction.

use ils_kernel::audit::Event;
use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::TenantId;
use ils_storage::types::Timestamp;
use ils_storage::{Db, TenantTx, execute, on_conn, query};
use ils_tenancy::tenants::{self, TenantKind, TenantStatus};
use serde::Serialize;

/// A lab's account for a practice.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabAccount {
    /// The lab's tenant id; the account belongs to the lab.
    #[sqlx(rename = "tenant_id")]
    pub lab_tenant_id: TenantId,
    /// The lab's handle (what a practice names when ordering).
    pub lab_slug: String,
    /// The lab's name.
    pub lab_name: String,
    /// The practice's tenant id: the tenant this account lets send the lab orders.
    pub practice_tenant_id: TenantId,
    /// The practice's handle.
    pub practice_slug: String,
    /// The practice's name.
    pub practice_name: String,
    /// The practice's account number at the lab.
    pub account_number: String,
    /// When the lab opened the account (UTC). Closing an account deletes it.
    pub created_at: Timestamp,
}

const COLUMNS: &str = "tenant_id, lab_slug, lab_name, practice_tenant_id, practice_slug, practice_name,
    account_number, created_at";

/// A lab, as a practice names it.
#[derive(Clone, Copy, Debug)]
pub enum Lab<'a> {
    /// By its handle.
    Slug(&'a str),
    /// By its tenant id.
    Tenant(TenantId),
}

/// The account of the transaction's practice with `lab`, if there is one.
pub async fn for_practice(tx: &mut TenantTx, lab: Lab<'_>) -> Result<Option<LabAccount>> {
    let (slug, id) = match lab {
        Lab::Slug(slug) => (Some(slug), None),
        Lab::Tenant(id) => (None, Some(id)),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM lab_accounts WHERE practice_tenant_id = $1
           AND ($2 IS NULL OR lab_slug = $2) AND ($3 IS NULL OR tenant_id = $3)"
    );
    let practice = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_optional, sql, practice, slug, id)?)
}

/// A lab's request to open an account for a practice.
#[derive(Clone, Debug)]
pub struct OpenAccount {
    /// The practice's handle (slug), as the lab wrote it.
    pub practice: String,
    /// The practice's account number at the lab (required, at most 64 characters).
    pub account_number: String,
}

/// Opens an account of the unit's tenant (a lab or hybrid; otherwise a `not_a_lab` conflict) for
/// the active practice named by its slug (read from `db`'s system side; anything else is an
/// invalid `practice`), so that it may send this lab orders. A second account for the same
/// practice is an `account_exists` conflict. Audited as `lab_account.opened`.
pub async fn open(uow: &mut UnitOfWork, db: &Db, cmd: OpenAccount) -> Result<LabAccount> {
    let account_number = ils_kernel::input::required_text("account_number", &cmd.account_number, 64)?;
    let lab = tenants::get_own(uow.tx()).await?;
    if !matches!(lab.kind, TenantKind::Lab | TenantKind::Hybrid) {
        return Err(Error::conflict(
            "not_a_lab",
            "Only a lab (or a practice with its own lab) opens accounts.",
        ));
    }
    let own = uow.tenant_id();
    let practice = {
        let mut sys = db.system_read().await?;
        let found = tenants::by_slug(&mut sys, cmd.practice.trim()).await?;
        sys.commit().await?;
        found
            .filter(|t| {
                matches!(t.kind, TenantKind::Ecp | TenantKind::Hybrid)
                    && t.status == TenantStatus::Active
                    && t.id != own
            })
            .ok_or_else(|| Error::invalid_field("practice", "names no other active practice"))?
    };
    let account = LabAccount {
        lab_tenant_id: lab.id,
        lab_slug: lab.slug.as_str().to_owned(),
        lab_name: lab.name,
        practice_tenant_id: practice.id,
        practice_slug: practice.slug.as_str().to_owned(),
        practice_name: practice.name,
        account_number,
        created_at: Timestamp::now(),
    };
    execute!(
        uow.tx().conn(),
        "INSERT INTO lab_accounts (tenant_id, lab_slug, lab_name, practice_tenant_id, practice_slug,
             practice_name, account_number, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        account.lab_tenant_id,
        &account.lab_slug,
        &account.lab_name,
        account.practice_tenant_id,
        &account.practice_slug,
        &account.practice_name,
        &account.account_number,
        account.created_at
    )
    .map_err(|e| {
        Error::from(e).on_duplicate("account_exists", "This practice already has an account with this lab.")
    })?;
    let event = Event::new("lab_account.opened", "tenant", practice.id).changes(serde_json::json!({
        "practice": account.practice_slug, "account_number": account.account_number,
    }));
    uow.audit(event).await?;
    Ok(account)
}

/// Which side of an account a tenant is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The lab that holds the account: its customers are listed, by practice.
    Lab,
    /// The practice the account is for: its labs are listed, by lab.
    Practice,
}

/// A page of the transaction's tenant's accounts: as the lab, its customers (by practice); as
/// the practice, its labs (by lab).
pub async fn list(tx: &mut TenantTx, side: Side, page: &PageRequest) -> Result<Page<LabAccount>> {
    let (own, other) = match side {
        Side::Lab => ("tenant_id", "practice_tenant_id"),
        Side::Practice => ("practice_tenant_id", "tenant_id"),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM lab_accounts WHERE {own} = $1 AND ($2 IS NULL OR {other} > $2) ORDER BY {other} LIMIT $3"
    );
    let tenant = tx.tenant_id();
    let after: Option<TenantId> = page.after()?;
    let accounts: Vec<LabAccount> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(after)
        .bind(page.fetch_limit())
        .fetch_all(&mut **c)
        .await)?;
    Ok(match side {
        Side::Lab => page.finish(accounts, |a| a.practice_tenant_id.as_uuid()),
        Side::Practice => page.finish(accounts, |a| a.lab_tenant_id.as_uuid()),
    })
}

/// Closes the unit's lab's account for `practice`: it can send no more orders (orders already
/// sent go on). No such account is `NotFound("account")`. Audited as `lab_account.closed`.
pub async fn close(uow: &mut UnitOfWork, practice: TenantId) -> Result<()> {
    let lab = uow.tenant_id();
    let closed = execute!(
        uow.tx().conn(),
        "DELETE FROM lab_accounts WHERE tenant_id = $1 AND practice_tenant_id = $2",
        lab,
        practice
    )?;
    if closed == 0 {
        return Err(Error::NotFound("account"));
    }
    uow.audit(Event::new("lab_account.closed", "tenant", practice)).await
}
