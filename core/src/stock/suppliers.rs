//! Suppliers. The directory is global: one row per supplier company, read by every tenant, so
//! that a lens maker is one supplier however many labs buy from it. A tenant buys through its
//! *account* with a supplier: the link, with its account number and payment terms. Any tenant
//! that runs purchasing may add a supplier the directory lacks; nobody but the platform changes a
//! directory entry afterwards (docs/adr/009).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{self, Event};
use crate::auth::Principal;
use crate::auth::permissions::Action;
use crate::db::TenantTx;
use crate::db::query;
use crate::db::types::Timestamp;
use crate::error::{Error, Result};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::SupplierId;
use crate::input::{optional_text, required_text};
use crate::state::AppState;
use crate::users::Email;

/// A supplier in the global directory.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Supplier {
    /// Id.
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
}

/// The tenant's account with a supplier.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SupplierAccount {
    /// The supplier.
    pub supplier: Supplier,
    /// The tenant's account number with the supplier.
    pub account_number: Option<String>,
    /// Days the supplier allows for payment (0 = payment with order).
    pub payment_terms_days: i32,
    /// Notes (contact person, ordering days, minimum order).
    pub notes: String,
    /// Linked.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: SupplierId,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    website: Option<String>,
    supplier_created_at: Timestamp,
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
            },
            account_number: r.account_number,
            payment_terms_days: r.payment_terms_days,
            notes: r.notes,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const SUPPLIER_COLUMNS: &str = "id, name, email, phone, website, created_at";
const ACCOUNT_SELECT: &str =
    "SELECT s.id, s.name, s.email, s.phone, s.website, s.created_at AS supplier_created_at,
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

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_supplier, list_suppliers))
        .routes(routes!(get_supplier))
        .routes(routes!(open_account, list_accounts))
        .routes(routes!(get_account, update_account))
}

/// A supplier to add to the directory.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierInput {
    /// Company name (1–200 characters).
    pub name: String,
    /// Orders e-mail address.
    pub email: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Web site.
    pub website: Option<String>,
}

/// Add a supplier to the global directory (then open an account with it).
#[utoipa::path(post, path = "/suppliers", tag = "purchasing", security(("bearer" = [])), request_body = SupplierInput,
    responses((status = 201, description = "Added", body = Supplier),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 409, description = "The directory already has a supplier of that name (`supplier_exists`)", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn add_supplier(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<SupplierInput>,
) -> ApiResult<(StatusCode, Json<Supplier>)> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let name = required_text("name", &req.name, 200)?;
    let email = match optional_text("email", req.email.as_deref(), 254)? {
        Some(email) => Some(Email::parse("email", &email)?.as_str().to_owned()),
        None => None,
    };
    let phone = optional_text("phone", req.phone.as_deref(), 30)?;
    let website = optional_text("website", req.website.as_deref(), 200)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
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
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(supplier)))
}

/// How to search the directory.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupplierQuery {
    /// Start of the name (any case).
    pub name: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// Search the global supplier directory.
#[utoipa::path(get, path = "/suppliers", tag = "purchasing", security(("bearer" = [])), params(SupplierQuery),
    responses((status = 200, description = "Suppliers, oldest first", body = Page<Supplier>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
async fn list_suppliers(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<SupplierQuery>,
) -> ApiResult<Json<Page<Supplier>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: q.cursor, limit: q.limit })?;
    let prefix = optional_text("name", q.name.as_deref(), 200)?.map(|n| {
        let escaped: String = name_key(&n)
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        format!("{escaped}%")
    });
    let after: Option<SupplierId> = page.after()?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let sql = format!(
        "SELECT {SUPPLIER_COLUMNS} FROM suppliers WHERE ($1 IS NULL OR id > $1)
           AND ($2 IS NULL OR name_key LIKE $2 ESCAPE '\\') ORDER BY id LIMIT $3"
    );
    let rows: Vec<Supplier> = query!(tx, query_as, fetch_all, sql, after, &prefix, page.fetch_limit())?;
    Ok(Json(page.finish(rows, |s| s.id.as_uuid())))
}

/// One supplier of the directory.
#[utoipa::path(get, path = "/suppliers/{supplier_id}", tag = "purchasing", security(("bearer" = [])),
    params(("supplier_id" = SupplierId, Path, description = "The supplier")),
    responses((status = 200, description = "The supplier", body = Supplier),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such supplier", body = Problem)))]
async fn get_supplier(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SupplierId>,
) -> ApiResult<Json<Supplier>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(get(&mut tx, id).await?))
}

/// An account with a supplier, as sent by a client.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// The supplier (from the directory); only when opening the account.
    pub supplier_id: Option<SupplierId>,
    /// The tenant's account number with the supplier (up to 60 characters).
    pub account_number: Option<String>,
    /// Days allowed for payment, 0–365 (0 = payment with order).
    pub payment_terms_days: i32,
    /// Notes (up to 2,000 characters).
    pub notes: Option<String>,
}

struct AccountDetails {
    account_number: Option<String>,
    payment_terms_days: i32,
    notes: String,
}

impl AccountInput {
    fn details(&self) -> Result<AccountDetails> {
        if !(0..=365).contains(&self.payment_terms_days) {
            return Err(Error::invalid_field("payment_terms_days", "must be between 0 and 365"));
        }
        Ok(AccountDetails {
            account_number: optional_text("account_number", self.account_number.as_deref(), 60)?,
            payment_terms_days: self.payment_terms_days,
            notes: optional_text("notes", self.notes.as_deref(), 2000)?.unwrap_or_default(),
        })
    }
}

/// Open an account with a supplier of the directory.
#[utoipa::path(post, path = "/supplier-accounts", tag = "purchasing", security(("bearer" = [])), request_body = AccountInput,
    responses((status = 201, description = "Opened", body = SupplierAccount),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such supplier", body = Problem),
              (status = 409, description = "The tenant already has an account with this supplier", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn open_account(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<AccountInput>,
) -> ApiResult<(StatusCode, Json<SupplierAccount>)> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let supplier_id = req.supplier_id.ok_or_else(|| Error::invalid_field("supplier_id", "is required"))?;
    let d = req.details()?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    get(&mut tx, supplier_id).await?;
    let tenant = tx.tenant_id();
    crate::db::execute!(
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
    let account = account(&mut tx, supplier_id).await?;
    let event = Event::new("supplier_account.opened", "supplier", supplier_id).changes(serde_json::json!({
        "account_number": account.account_number, "payment_terms_days": account.payment_terms_days,
    }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// The tenant's supplier accounts.
#[utoipa::path(get, path = "/supplier-accounts", tag = "purchasing", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "Accounts, by supplier", body = Page<SupplierAccount>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
async fn list_accounts(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<SupplierAccount>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&q)?;
    let after: Option<SupplierId> = page.after()?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let tenant = tx.tenant_id();
    let sql = format!(
        "{ACCOUNT_SELECT} WHERE a.tenant_id = $1 AND ($2 IS NULL OR a.supplier_id > $2)
         ORDER BY a.supplier_id LIMIT $3"
    );
    let rows: Vec<AccountRow> = query!(tx, query_as, fetch_all, sql, tenant, after, page.fetch_limit())?;
    let accounts = rows.into_iter().map(SupplierAccount::from).collect();
    Ok(Json(page.finish(accounts, |a: &SupplierAccount| a.supplier.id.as_uuid())))
}

/// The tenant's account with one supplier.
#[utoipa::path(get, path = "/supplier-accounts/{supplier_id}", tag = "purchasing", security(("bearer" = [])),
    params(("supplier_id" = SupplierId, Path, description = "The supplier")),
    responses((status = 200, description = "The account", body = SupplierAccount),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No account with this supplier", body = Problem)))]
async fn get_account(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SupplierId>,
) -> ApiResult<Json<SupplierAccount>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(account(&mut tx, id).await?))
}

/// Change the account number, terms or notes of an account.
#[utoipa::path(put, path = "/supplier-accounts/{supplier_id}", tag = "purchasing", security(("bearer" = [])),
    params(("supplier_id" = SupplierId, Path, description = "The supplier")), request_body = AccountInput,
    responses((status = 200, description = "Updated", body = SupplierAccount),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No account with this supplier", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn update_account(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SupplierId>,
    ApiJson(req): ApiJson<AccountInput>,
) -> ApiResult<Json<SupplierAccount>> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    if req.supplier_id.is_some_and(|s| s != id) {
        return Err(Error::invalid_field("supplier_id", "must be absent or the supplier in the path").into());
    }
    let d = req.details()?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let before = account(&mut tx, id).await?;
    let tenant = tx.tenant_id();
    crate::db::execute!(
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
    let after = account(&mut tx, id).await?;
    let event = Event::new("supplier_account.updated", "supplier", id).changes(serde_json::json!({
        "account_number": { "from": before.account_number, "to": after.account_number },
        "payment_terms_days": { "from": before.payment_terms_days, "to": after.payment_terms_days },
    }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(Json(after))
}
