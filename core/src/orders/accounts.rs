//! Lab accounts: a lab opens an account for a practice, and the practice may then send it
//! orders. The account belongs to the lab; the practice sees the labs it has accounts with.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{self, Event};
use crate::auth::Principal;
use crate::auth::permissions::Action;
use crate::db::types::Timestamp;
use crate::db::{TenantTx, execute, on_conn, query};
use crate::error::{Error, Result};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::TenantId;
use crate::state::AppState;
use crate::tenants::{TenantKind, TenantStatus};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_account, list_customers))
        .routes(routes!(close_account))
        .routes(routes!(list_labs))
}

/// A lab's account for a practice.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LabAccount {
    /// The lab.
    #[sqlx(rename = "tenant_id")]
    pub lab_tenant_id: TenantId,
    /// The lab's handle (what a practice names when ordering).
    pub lab_slug: String,
    /// The lab's name.
    pub lab_name: String,
    /// The practice.
    pub practice_tenant_id: TenantId,
    /// The practice's handle.
    pub practice_slug: String,
    /// The practice's name.
    pub practice_name: String,
    /// The practice's account number at the lab.
    pub account_number: String,
    /// Opened.
    pub created_at: Timestamp,
}

const COLUMNS: &str = "tenant_id, lab_slug, lab_name, practice_tenant_id, practice_slug, practice_name,
    account_number, created_at";

/// A lab, as a practice names it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lab<'a> {
    /// By its handle.
    Slug(&'a str),
    /// By its tenant id.
    Tenant(TenantId),
}

/// The account of the transaction's practice with `lab`, if there is one.
pub(crate) async fn for_practice(tx: &mut TenantTx, lab: Lab<'_>) -> Result<Option<LabAccount>> {
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
#[utoipa::path(post, path = "/lab/customers", tag = "orders", security(("bearer" = [])), request_body = AccountInput,
    responses((status = 201, description = "Opened", body = LabAccount),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed (company admins)", body = Problem),
              (status = 409, description = "This tenant is not a lab, or the account exists", body = Problem),
              (status = 422, description = "No such practice", body = Problem)))]
async fn open_account(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<AccountInput>,
) -> ApiResult<(StatusCode, Json<LabAccount>)> {
    let ctx = principal.tenant(Action::LabAccountsManage)?;
    let account_number = crate::input::required_text("account_number", &req.account_number, 64)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let lab = crate::tenants::get_own(&mut tx).await?;
    if !matches!(lab.kind, TenantKind::Lab | TenantKind::Hybrid) {
        return Err(Error::conflict(
            "not_a_lab",
            "Only a lab (or a practice with its own lab) opens accounts.",
        )
        .into());
    }
    let practice = {
        let mut sys = state.db.system_read().await?;
        let found = crate::tenants::by_slug(&mut sys, req.practice.trim()).await?;
        sys.commit().await?;
        found
            .filter(|t| {
                matches!(t.kind, TenantKind::Ecp | TenantKind::Hybrid)
                    && t.status == TenantStatus::Active
                    && t.id != ctx.tenant_id
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
        tx.conn(),
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
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// The practices this lab has accounts for, oldest practice first.
#[utoipa::path(get, path = "/lab/customers", tag = "orders", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "A page of accounts", body = Page<LabAccount>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
async fn list_customers(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<LabAccount>>> {
    let ctx = principal.tenant(Action::LabAccountsManage)?;
    let page = PageRequest::parse(&query)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let accounts = list(&mut tx, Side::Lab, &page).await?;
    tx.commit().await?;
    Ok(Json(accounts))
}

/// Which side of an account a tenant is on.
#[derive(Clone, Copy)]
enum Side {
    Lab,
    Practice,
}

/// A page of the transaction's tenant's accounts: as the lab, its customers (by practice); as
/// the practice, its labs (by lab).
async fn list(tx: &mut TenantTx, side: Side, page: &PageRequest) -> Result<Page<LabAccount>> {
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
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let lab = tx.tenant_id();
    let closed = execute!(
        tx.conn(),
        "DELETE FROM lab_accounts WHERE tenant_id = $1 AND practice_tenant_id = $2",
        lab,
        practice
    )?;
    if closed == 0 {
        return Err(Error::NotFound("account").into());
    }
    audit::record(&mut tx, &ctx.audit, Event::new("lab_account.closed", "tenant", practice)).await?;
    tx.commit().await?;
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
    let accounts = list(&mut tx, Side::Practice, &page).await?;
    tx.commit().await?;
    Ok(Json(accounts))
}
