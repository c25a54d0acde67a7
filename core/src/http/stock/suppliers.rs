//! The supplier directory and the tenant's supplier accounts over HTTP.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_stock::suppliers::{self, AccountTerms, NewSupplier, OpenAccount, Supplier, SupplierAccount};
use ils_storage::ids::SupplierId;
use ils_tenancy::auth::Principal;

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
pub(crate) async fn add_supplier(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<SupplierInput>,
) -> ApiResult<(StatusCode, Json<Supplier>)> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let req = NewSupplier { name: req.name, email: req.email, phone: req.phone, website: req.website };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let supplier = suppliers::add(&mut uow, req).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(supplier)))
}

/// How to search the directory.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupplierQuery {
    /// Start of the name (any case).
    pub name: Option<String>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Search the global supplier directory.
#[utoipa::path(get, path = "/suppliers", tag = "purchasing", security(("bearer" = [])), params(SupplierQuery),
    responses((status = 200, description = "Suppliers, oldest first", body = Page<Supplier>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
pub(crate) async fn list_suppliers(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<SupplierQuery>,
) -> ApiResult<Json<Page<Supplier>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: q.cursor, limit: q.limit })?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(suppliers::search(&mut tx, q.name.as_deref(), &page).await?))
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
    Ok(Json(suppliers::get(&mut tx, id).await?))
}

/// An account to open with a supplier of the directory.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// The supplier (from the directory).
    pub supplier_id: SupplierId,
    /// The tenant's account number with the supplier (up to 60 characters).
    pub account_number: Option<String>,
    /// Days allowed for payment, 0–365 (0 = payment with order).
    pub payment_terms_days: i32,
    /// Notes (up to 2,000 characters).
    pub notes: Option<String>,
}

/// An account's new terms. `supplier_id` may be repeated, but only as the supplier in the path.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountTermsInput {
    /// The supplier in the path, if given at all.
    pub supplier_id: Option<SupplierId>,
    /// The tenant's account number with the supplier (up to 60 characters).
    pub account_number: Option<String>,
    /// Days allowed for payment, 0–365 (0 = payment with order).
    pub payment_terms_days: i32,
    /// Notes (up to 2,000 characters).
    pub notes: Option<String>,
}

impl AccountTermsInput {
    fn terms(self) -> AccountTerms {
        AccountTerms {
            account_number: self.account_number,
            payment_terms_days: self.payment_terms_days,
            notes: self.notes,
        }
    }
}

/// Open an account with a supplier of the directory.
#[utoipa::path(post, path = "/supplier-accounts", operation_id = "open_supplier_account", tag = "purchasing", security(("bearer" = [])), request_body = AccountInput,
    responses((status = 201, description = "Opened", body = SupplierAccount),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such supplier", body = Problem),
              (status = 409, description = "The tenant already has an account with this supplier", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn open_account(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<AccountInput>,
) -> ApiResult<(StatusCode, Json<SupplierAccount>)> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let terms = AccountTerms {
        account_number: req.account_number,
        payment_terms_days: req.payment_terms_days,
        notes: req.notes,
    };
    let req = OpenAccount { supplier_id: req.supplier_id, terms };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let account = suppliers::open_account(&mut uow, req).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// The tenant's supplier accounts.
#[utoipa::path(get, path = "/supplier-accounts", tag = "purchasing", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "Accounts, by supplier", body = Page<SupplierAccount>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
pub(crate) async fn list_accounts(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<SupplierAccount>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&q)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(suppliers::accounts(&mut tx, &page).await?))
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
    Ok(Json(suppliers::account(&mut tx, id).await?))
}

/// Change the account number, terms or notes of an account.
#[utoipa::path(put, path = "/supplier-accounts/{supplier_id}", tag = "purchasing", security(("bearer" = [])),
    params(("supplier_id" = SupplierId, Path, description = "The supplier")), request_body = AccountTermsInput,
    responses((status = 200, description = "Updated", body = SupplierAccount),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No account with this supplier", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn update_account(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SupplierId>,
    ApiJson(req): ApiJson<AccountTermsInput>,
) -> ApiResult<Json<SupplierAccount>> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    if req.supplier_id.is_some_and(|s| s != id) {
        return Err(Error::invalid_field("supplier_id", "must be absent or the supplier in the path").into());
    }
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let account = suppliers::update_account(&mut uow, id, req.terms()).await?;
    uow.commit().await?;
    Ok(Json(account))
}
