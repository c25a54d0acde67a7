//! Suppliers. The directory is global: one row per supplier company, read by every tenant, so
//! that a lens maker is one supplier however many labs buy from it. A tenant buys through its
//! *account* with a supplier: the link, with its account number and payment terms. Any tenant
//! that runs purchasing may add a supplier the directory lacks; nobody but the platform changes a
//! directory entry afterwards (docs/adr/009).

use serde::Serialize;

use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::input::{Email, Fields, optional_text};
use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, FieldError, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{SupplierId, TenantId};
use ils_storage::types::Timestamp;
use ils_storage::{SystemTx, TenantTx, execute, query};

/// A supplier in the global directory.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Supplier {
    /// The supplier's id (UUIDv7). The directory is shared by every tenant.
    pub id: SupplierId,
    /// Company name, unique in the directory (ignoring case and spacing).
    pub name: String,
    /// Orders e-mail address.
    pub email: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Added to the directory.
    pub created_at: Timestamp,
    /// The supplier is on this ILS: its orders go to its inbox here, not by e-mail (the platform
    /// links a directory entry to the supplier's tenant).
    pub on_ils: bool,
}

/// A directory entry as platform admins see it: with the supplier's tenant when it is on ILS.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryEntry {
    /// The entry.
    #[serde(flatten)]
    pub supplier: Supplier,
    /// The supplier's own tenant, whose inbox receives the orders.
    pub tenant: Option<LinkedTenant>,
    /// How many tenants hold an account with the supplier.
    pub accounts: i64,
}

/// The tenant a directory entry is linked to.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkedTenant {
    /// The tenant's id.
    pub id: TenantId,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
}

/// The tenant's account with a supplier.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupplierAccount {
    /// The supplier's entry in the directory, shared by every tenant.
    pub supplier: Supplier,
    /// The tenant's account number with the supplier.
    pub account_number: Option<String>,
    /// Days the supplier allows for payment (0 = payment with order).
    pub payment_terms_days: i32,
    /// Notes (contact person, ordering days, minimum order).
    pub notes: String,
    /// When the tenant opened its account with the supplier (UTC).
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A supplier to add to the directory, checked by [`add`].
#[derive(Clone, Debug)]
pub struct NewSupplier {
    /// Company name, 1–200 characters; unique in the directory ignoring case and spacing.
    pub name: String,
    /// Orders e-mail address (checked loosely, stored lower-case).
    pub email: Option<String>,
    /// Telephone number, up to 30 characters.
    pub phone: Option<String>,
    /// Web site, up to 200 characters.
    pub website: Option<String>,
}

/// The terms of a tenant's account with a supplier, checked by [`open_account`] and
/// [`update_account`].
#[derive(Clone, Debug)]
pub struct AccountTerms {
    /// The tenant's account number with the supplier, up to 60 characters.
    pub account_number: Option<String>,
    /// Days allowed for payment, 0–365 (0 = payment with order).
    pub payment_terms_days: i32,
    /// Notes, up to 2,000 characters.
    pub notes: Option<String>,
}

/// An account to open with a supplier of the directory.
#[derive(Clone, Debug)]
pub struct OpenAccount {
    /// The supplier to open an account with; it must be in the directory.
    pub supplier_id: SupplierId,
    /// The account's terms.
    pub terms: AccountTerms,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: SupplierId,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    website: Option<String>,
    supplier_created_at: Timestamp,
    on_ils: bool,
    account_number: Option<String>,
    payment_terms_days: i32,
    notes: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<AccountRow> for SupplierAccount {
    fn from(r: AccountRow) -> Self {
        SupplierAccount {
            supplier: Supplier {
                id: r.id,
                name: r.name,
                email: r.email,
                phone: r.phone,
                website: r.website,
                created_at: r.supplier_created_at,
                on_ils: r.on_ils,
            },
            account_number: r.account_number,
            payment_terms_days: r.payment_terms_days,
            notes: r.notes,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Checked account terms.
struct Terms {
    account_number: Option<String>,
    payment_terms_days: i32,
    notes: String,
}

impl AccountTerms {
    fn checked(&self) -> Result<Terms> {
        let mut f = Fields::new();
        let account_number = f.check(optional_text("account_number", self.account_number.as_deref(), 60));
        if !(0..=365).contains(&self.payment_terms_days) {
            f.add("payment_terms_days", "must be between 0 and 365");
        }
        let notes = f.check(optional_text("notes", self.notes.as_deref(), 2000));
        f.build(|| {
            Some(Terms {
                account_number: account_number?,
                payment_terms_days: self.payment_terms_days,
                notes: notes?.unwrap_or_default(),
            })
        })
    }
}

const SUPPLIER_COLUMNS: &str = "id, name, email, phone, website, created_at, tenant_id IS NOT NULL AS on_ils";
const ACCOUNT_SELECT: &str =
    "SELECT s.id, s.name, s.email, s.phone, s.website, s.created_at AS supplier_created_at,
        s.tenant_id IS NOT NULL AS on_ils,
        a.account_number, a.payment_terms_days, a.notes, a.created_at, a.updated_at
    FROM supplier_accounts a JOIN suppliers s ON s.id = a.supplier_id";

/// The directory key of a name: case and spacing do not make a different supplier.
fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// One supplier of the directory.
pub async fn get(tx: &mut TenantTx, id: SupplierId) -> Result<Supplier> {
    let sql = format!("SELECT {SUPPLIER_COLUMNS} FROM suppliers WHERE id = $1");
    let row: Option<Supplier> = query!(tx, query_as, fetch_optional, sql, id)?;
    row.ok_or(Error::NotFound("supplier"))
}

/// The tenant's account with a supplier.
pub async fn account(tx: &mut TenantTx, id: SupplierId) -> Result<SupplierAccount> {
    let tenant = tx.tenant_id();
    let sql = format!("{ACCOUNT_SELECT} WHERE a.tenant_id = $1 AND a.supplier_id = $2");
    let row: Option<AccountRow> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    Ok(row.ok_or(Error::NotFound("supplier account"))?.into())
}

/// The directory, oldest first; with `name`, only suppliers whose name starts with it (ignoring
/// case and spacing).
pub async fn search(tx: &mut TenantTx, name: Option<&str>, page: &PageRequest) -> Result<Page<Supplier>> {
    let prefix = optional_text("name", name, 200)?.map(|n| format!("{}%", like_escaped(&name_key(&n))));
    let after: Option<SupplierId> = page.after()?;
    let sql = format!(
        "SELECT {SUPPLIER_COLUMNS} FROM suppliers WHERE ($1 IS NULL OR id > $1)
           AND ($2 IS NULL OR name_key LIKE $2 ESCAPE '\\') ORDER BY id LIMIT $3"
    );
    let rows: Vec<Supplier> = query!(tx, query_as, fetch_all, sql, after, &prefix, page.fetch_limit())?;
    Ok(page.finish(rows, |s| s.id.as_uuid()))
}

/// The tenant's supplier accounts, by supplier.
pub async fn accounts(tx: &mut TenantTx, page: &PageRequest) -> Result<Page<SupplierAccount>> {
    let after: Option<SupplierId> = page.after()?;
    let tenant = tx.tenant_id();
    let sql = format!(
        "{ACCOUNT_SELECT} WHERE a.tenant_id = $1 AND ($2 IS NULL OR a.supplier_id > $2)
         ORDER BY a.supplier_id LIMIT $3"
    );
    let rows: Vec<AccountRow> = query!(tx, query_as, fetch_all, sql, tenant, after, page.fetch_limit())?;
    let accounts = rows.into_iter().map(SupplierAccount::from).collect();
    Ok(page.finish(accounts, |a: &SupplierAccount| a.supplier.id.as_uuid()))
}

/// Adds a supplier to the global directory on behalf of the unit's tenant; records
/// `supplier.created`. A name the directory has already answers `supplier_exists`.
pub async fn add(uow: &mut UnitOfWork, req: NewSupplier) -> Result<Supplier> {
    let mut f = Fields::new();
    let name = f.check(ils_kernel::input::name("name", &req.name));
    let email = f.check(match optional_text("email", req.email.as_deref(), 254) {
        Ok(Some(email)) => Email::parse("email", &email).map(|e| Some(e.as_str().to_owned())),
        other => other,
    });
    let phone = f.check(optional_text("phone", req.phone.as_deref(), 30));
    let website = f.check(optional_text("website", req.website.as_deref(), 200));
    let (name, email, phone, website) = f.build(|| Some((name?, email?, phone?, website?)))?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let sql = format!(
        "INSERT INTO suppliers (id, name, name_key, email, phone, website, created_by_tenant, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {SUPPLIER_COLUMNS}"
    );
    let supplier: Supplier = query!(
        tx,
        query_as,
        fetch_one,
        sql,
        SupplierId::new(),
        &name,
        name_key(&name),
        &email,
        &phone,
        &website,
        tenant,
        Timestamp::now()
    )
    .map_err(|e| {
        Error::from(e).on_duplicate_of(
            "name_key",
            "supplier_exists",
            "The directory already has a supplier of that name: open an account with it instead.",
        )
    })?;
    let event = Event::new("supplier.created", "supplier", supplier.id)
        .changes(serde_json::json!({ "name": supplier.name }));
    uow.audit(event).await?;
    Ok(supplier)
}

/// Opens the unit's tenant's account with a supplier of the directory; records
/// `supplier_account.opened`. A second account with the same supplier answers
/// `supplier_account_exists`.
pub async fn open_account(uow: &mut UnitOfWork, req: OpenAccount) -> Result<SupplierAccount> {
    let d = req.terms.checked()?;
    let supplier_id = req.supplier_id;
    let tx = uow.tx();
    get(tx, supplier_id).await?;
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO supplier_accounts (tenant_id, supplier_id, account_number, payment_terms_days, notes,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
        tenant,
        supplier_id,
        &d.account_number,
        d.payment_terms_days,
        &d.notes,
        Timestamp::now()
    )
    .map_err(|e| {
        Error::from(e)
            .on_duplicate("supplier_account_exists", "This tenant already has an account with that supplier.")
    })?;
    let account = account(tx, supplier_id).await?;
    let event = Event::new("supplier_account.opened", "supplier", supplier_id).changes(serde_json::json!({
        "account_number": account.account_number, "payment_terms_days": account.payment_terms_days,
    }));
    uow.audit(event).await?;
    Ok(account)
}

/// Changes the account number, terms or notes of the tenant's account with a supplier; records
/// `supplier_account.updated`.
pub async fn update_account(
    uow: &mut UnitOfWork,
    id: SupplierId,
    terms: AccountTerms,
) -> Result<SupplierAccount> {
    let d = terms.checked()?;
    let tx = uow.tx();
    let before = account(tx, id).await?;
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "UPDATE supplier_accounts SET account_number = $3, payment_terms_days = $4, notes = $5, updated_at = $6
         WHERE tenant_id = $1 AND supplier_id = $2",
        tenant,
        id,
        &d.account_number,
        d.payment_terms_days,
        &d.notes,
        Timestamp::now()
    )?;
    let after = account(tx, id).await?;
    let event = Event::new("supplier_account.updated", "supplier", id).changes(serde_json::json!({
        "account_number": { "from": before.account_number, "to": after.account_number },
        "payment_terms_days": { "from": before.payment_terms_days, "to": after.payment_terms_days },
    }));
    uow.audit(event).await?;
    Ok(after)
}

/// The tenant whose inbox receives the orders to supplier `id`, when the supplier is on ILS.
pub async fn inbox_of(tx: &mut TenantTx, id: SupplierId) -> Result<Option<TenantId>> {
    let found: Option<Option<TenantId>> =
        query!(tx, query_scalar, fetch_optional, "SELECT tenant_id FROM suppliers WHERE id = $1", id)?;
    found.ok_or(Error::NotFound("supplier"))
}

#[derive(sqlx::FromRow)]
struct DirectoryRow {
    #[sqlx(flatten)]
    supplier: Supplier,
    tenant_id: Option<TenantId>,
    tenant_slug: Option<String>,
    tenant_name: Option<String>,
    accounts: i64,
}

impl From<DirectoryRow> for DirectoryEntry {
    fn from(r: DirectoryRow) -> Self {
        let tenant = match (r.tenant_id, r.tenant_slug, r.tenant_name) {
            (Some(id), Some(slug), Some(name)) => Some(LinkedTenant { id, slug, name }),
            _ => None,
        };
        DirectoryEntry { supplier: r.supplier, tenant, accounts: r.accounts }
    }
}

const DIRECTORY_SELECT: &str = "SELECT s.id, s.name, s.email, s.phone, s.website, s.created_at,
        s.tenant_id IS NOT NULL AS on_ils, s.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,
        (SELECT COUNT(*) FROM supplier_accounts a WHERE a.supplier_id = s.id) AS accounts
    FROM suppliers s LEFT JOIN tenants t ON t.id = s.tenant_id";

/// The whole directory for the platform, oldest first, with each supplier's tenant if it is on
/// ILS; with `name`, only suppliers whose name starts with it.
pub async fn directory(
    tx: &mut SystemTx,
    name: Option<&str>,
    page: &PageRequest,
) -> Result<Page<DirectoryEntry>> {
    let prefix = optional_text("name", name, 200)?.map(|n| format!("{}%", like_escaped(&name_key(&n))));
    let after: Option<SupplierId> = page.after()?;
    let sql = format!(
        "{DIRECTORY_SELECT} WHERE ($1 IS NULL OR s.id > $1) AND ($2 IS NULL OR s.name_key LIKE $2 ESCAPE '\\')
         ORDER BY s.id LIMIT $3"
    );
    let rows: Vec<DirectoryRow> = query!(tx, query_as, fetch_all, sql, after, &prefix, page.fetch_limit())?;
    let entries: Vec<DirectoryEntry> = rows.into_iter().map(Into::into).collect();
    Ok(page.finish(entries, |e| e.supplier.id.as_uuid()))
}

/// One directory entry for the platform.
pub async fn directory_entry(tx: &mut SystemTx, id: SupplierId) -> Result<DirectoryEntry> {
    let sql = format!("{DIRECTORY_SELECT} WHERE s.id = $1");
    let row: Option<DirectoryRow> = query!(tx, query_as, fetch_optional, sql, id)?;
    Ok(row.ok_or(Error::NotFound("supplier"))?.into())
}

/// Links directory entry `id` to the supplier's own tenant, so that orders to it go to that
/// tenant's inbox (`None` unlinks: orders are e-mailed again). Only a tenant of kind `supplier`
/// can be linked (`tenant_not_a_supplier`), and to one entry at most (`supplier_tenant_taken`).
/// Recorded in the platform audit as `supplier.linked` or `supplier.unlinked`.
pub async fn link(
    tx: &mut SystemTx,
    actor: &AuditCtx,
    id: SupplierId,
    tenant: Option<TenantId>,
) -> Result<DirectoryEntry> {
    let before = directory_entry(tx, id).await?;
    if let Some(tenant) = tenant {
        let kind: Option<String> =
            query!(tx, query_scalar, fetch_optional, "SELECT kind FROM tenants WHERE id = $1", tenant)?;
        match kind.as_deref() {
            None => return Err(Error::invalid_field("tenant_id", "no tenant has this id")),
            Some("supplier") => {}
            Some(kind) => {
                let message =
                    format!("is a {kind} tenant: only a supplier's tenant receives purchase orders");
                return Err(Error::Invalid {
                    code: "tenant_not_a_supplier",
                    message: format!("tenant_id: {message}"),
                    fields: vec![FieldError { field: "tenant_id".into(), message }],
                });
            }
        }
    }
    execute!(
        tx.conn(),
        "UPDATE suppliers SET tenant_id = $2, updated_at = $3 WHERE id = $1",
        id,
        tenant,
        Timestamp::now()
    )
    .map_err(|e| {
        Error::from(e).on_duplicate(
            "supplier_tenant_taken",
            "That tenant already receives the orders of another directory entry: unlink it there first.",
        )
    })?;
    let after = directory_entry(tx, id).await?;
    let (action, linked) = match &after.tenant {
        Some(t) => ("supplier.linked", Some(t)),
        None => ("supplier.unlinked", before.tenant.as_ref()),
    };
    let event = Event::new(action, "supplier", id).changes(serde_json::json!({
        "name": after.supplier.name,
        "tenant": linked.map(|t| serde_json::json!({ "id": t.id, "slug": t.slug })),
    }));
    audit::record_system(tx, None, actor, event).await?;
    Ok(after)
}

/// `text` with `LIKE`'s wildcards escaped.
fn like_escaped(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}
