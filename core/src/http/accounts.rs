//! Lab accounts over HTTP: a lab opens and closes accounts for practices and lists its
//! customers; a practice lists the labs it may send orders to. The accounts and their services
//! are [`ils_orders::accounts`]'s; these handlers authorise, read the request and call them.

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
use ils_kernel::permissions::Action;
use ils_orders::accounts::{self, LabAccount, OpenAccount, Side};
use ils_outbox::UnitOfWork;
use ils_storage::ids::TenantId;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_account, list_customers))
        .routes(routes!(close_account))
        .routes(routes!(list_labs))
}

/// Opening an account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// The practice's handle (slug).
    pub practice: String,
    /// The practice's account number at this lab.
    pub account_number: String,
}

/// Open an account for a practice, so that it may send this lab orders (lab company admins).
#[utoipa::path(post, path = "/lab/customers", operation_id = "open_lab_account", tag = "orders", security(("bearer" = [])), request_body = AccountInput,
    responses((status = 201, description = "Opened", body = LabAccount),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed (company admins)", body = Problem),
              (status = 409, description = "This tenant is not a lab, or the account exists", body = Problem),
              (status = 422, description = "No such practice", body = Problem)))]
pub(crate) async fn open_account(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<AccountInput>,
) -> ApiResult<(StatusCode, Json<LabAccount>)> {
    let ctx = principal.tenant(Action::LabAccountsManage)?;
    let cmd = OpenAccount { practice: req.practice, account_number: req.account_number };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let account = accounts::open(&mut uow, &state.db, cmd).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// The practices this lab has accounts for, oldest practice first.
#[utoipa::path(get, path = "/lab/customers", tag = "orders", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "A page of accounts", body = Page<LabAccount>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
pub(crate) async fn list_customers(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<LabAccount>>> {
    let ctx = principal.tenant(Action::LabAccountsManage)?;
    let page = PageRequest::parse(&query)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let accounts = accounts::list(&mut tx, Side::Lab, &page).await?;
    tx.commit().await?;
    Ok(Json(accounts))
}

/// Close a practice's account: it can send no more orders (orders already sent go on).
#[utoipa::path(delete, path = "/lab/customers/{practice_id}", tag = "orders", security(("bearer" = [])),
    params(("practice_id" = TenantId, Path, description = "The practice")),
    responses((status = 204, description = "Closed"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such account", body = Problem)))]
async fn close_account(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(practice): ApiPath<TenantId>,
) -> ApiResult<StatusCode> {
    let ctx = principal.tenant(Action::LabAccountsManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    accounts::close(&mut uow, practice).await?;
    uow.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The labs this practice may send orders to.
#[utoipa::path(get, path = "/labs", tag = "orders", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "A page of labs with an account for this practice", body = Page<LabAccount>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
async fn list_labs(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<LabAccount>>> {
    let ctx = principal.tenant(Action::OrdersCreate)?;
    let page = PageRequest::parse(&query)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let accounts = accounts::list(&mut tx, Side::Practice, &page).await?;
    tx.commit().await?;
    Ok(Json(accounts))
}
