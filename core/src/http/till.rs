//! The till over HTTP (docs/adr/047-till.md): sales with their lines, payments towards them,
//! completing a paid sale, refunds as credit notes, and the end-of-day report. Dispensers and
//! company admins sell (`sales:read`, `sales:write`); refunds (`sales:refund`) and the day's
//! takings (`till:report`) are company admins'. A patient's sale is audited when read.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_storage::ids::{OrderId, PatientId, SaleId};
use ils_tenancy::auth::Principal;
use ils_till::day::{self, EndOfDay};
use ils_till::refunds::{self, NewCreditNote};
use ils_till::sales::{self, CreditNote, NewLine, NewPayment, Payment, Sale, SaleEntry};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sales, open_sale))
        .routes(routes!(get_sale))
        .routes(routes!(add_line))
        .routes(routes!(remove_line))
        .routes(routes!(take_payment))
        .routes(routes!(complete_sale))
        .routes(routes!(refund))
        .routes(routes!(end_of_day))
}

/// Which sales.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SalesQuery {
    /// The practice's day, `YYYY-MM-DD`: sales opened or completed that day, with every sale still
    /// open; today when absent.
    pub(crate) date: Option<String>,
}

/// The sales still open and those of a day, newest first (at most 500). Names patients, so the
/// read is audited.
#[utoipa::path(get, path = "/sales", tag = "till", security(("bearer" = [])), params(SalesQuery),
    responses((status = 200, description = "The sales", body = Vec<SaleEntry>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid date", body = Problem)))]
pub(crate) async fn list_sales(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<SalesQuery>,
) -> ApiResult<Json<Vec<SaleEntry>>> {
    let ctx = principal.tenant(Action::SalesRead)?;
    let date = match q.date.as_deref() {
        Some(day) => ils_clinical::parse_date("date", day)?,
        None => ils_clinical::today(),
    };
    let (from, until) = day::bounds(date)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let entries = sales::list(&mut uow, from, until).await?;
    uow.commit().await?;
    Ok(Json(entries))
}

/// A sale to open.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenSale {
    /// The patient it is for, if any (a walk-in buying solution needs none).
    #[serde(default)]
    pub(crate) patient_id: Option<PatientId>,
    /// The patient's order it pays for (its deposit now, the balance at collection).
    #[serde(default)]
    pub(crate) order_id: Option<OrderId>,
    /// Lines to start with; more may be added while it is open.
    #[serde(default)]
    pub(crate) lines: Vec<NewLine>,
}

/// Open a sale. Each line's VAT follows from its kind: sight tests, contact lens checks and
/// dispensing are exempt; goods standard-rated; prices include VAT.
#[utoipa::path(post, path = "/sales", tag = "till", security(("bearer" = [])), request_body = OpenSale,
    responses((status = 201, description = "Opened", body = Sale),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient, order, item or location", body = Problem),
              (status = 409, description = "The patient's record is restricted", body = Problem),
              (status = 422, description = "Invalid lines", body = Problem)))]
pub(crate) async fn open_sale(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<OpenSale>,
) -> ApiResult<(StatusCode, Json<Sale>)> {
    let ctx = principal.tenant(Action::SalesWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let sale = sales::open(&mut uow, body.patient_id, body.order_id, body.lines).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(sale)))
}

/// The sale with its lines, payments and credit notes; a patient's is audited as a read of
/// their account.
#[utoipa::path(get, path = "/sales/{sale_id}", tag = "till", security(("bearer" = [])),
    params(("sale_id" = SaleId, Path, description = "The sale")),
    responses((status = 200, description = "The sale", body = Sale),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such sale", body = Problem),
              (status = 409, description = "The patient's record is restricted", body = Problem)))]
pub(crate) async fn get_sale(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SaleId>,
) -> ApiResult<Json<Sale>> {
    let ctx = principal.tenant(Action::SalesRead)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let sale = sales::read(&mut uow, id).await?;
    uow.commit().await?;
    Ok(Json(sale))
}

/// Add a line to an open sale.
#[utoipa::path(post, path = "/sales/{sale_id}/lines", tag = "till", security(("bearer" = [])),
    params(("sale_id" = SaleId, Path, description = "The sale")), request_body = NewLine,
    responses((status = 201, description = "Added; the sale as it is now", body = Sale),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such sale, item or location", body = Problem),
              (status = 409, description = "The sale is completed", body = Problem),
              (status = 422, description = "Invalid line", body = Problem)))]
pub(crate) async fn add_line(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SaleId>,
    ApiJson(line): ApiJson<NewLine>,
) -> ApiResult<(StatusCode, Json<Sale>)> {
    let ctx = principal.tenant(Action::SalesWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let sale = sales::add_line(&mut uow, id, line).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(sale)))
}

/// Take a line off an open sale (not below what is paid already).
#[utoipa::path(delete, path = "/sales/{sale_id}/lines/{line_no}", tag = "till", security(("bearer" = [])),
    params(("sale_id" = SaleId, Path, description = "The sale"), ("line_no" = i32, Path, description = "The line")),
    responses((status = 200, description = "Removed; the sale as it is now", body = Sale),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such sale or line", body = Problem),
              (status = 409, description = "The sale is completed, or more than the rest is paid", body = Problem)))]
pub(crate) async fn remove_line(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, line_no)): ApiPath<(SaleId, i32)>,
) -> ApiResult<Json<Sale>> {
    let ctx = principal.tenant(Action::SalesWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let sale = sales::remove_line(&mut uow, id, line_no).await?;
    uow.commit().await?;
    Ok(Json(sale))
}

/// A payment with the sale it went to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Paid {
    /// The payment, with its receipt number.
    pub(crate) payment: Payment,
    /// The sale as it is now.
    pub(crate) sale: Sale,
}

/// Take a payment towards an open sale: a deposit, the balance, or an NHS voucher (with its
/// number). At most the balance; each payment has the next receipt number.
#[utoipa::path(post, path = "/sales/{sale_id}/payments", tag = "till", security(("bearer" = [])),
    params(("sale_id" = SaleId, Path, description = "The sale")), request_body = NewPayment,
    responses((status = 201, description = "Taken", body = Paid),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such sale", body = Problem),
              (status = 409, description = "The sale is completed", body = Problem),
              (status = 422, description = "Invalid amount or reference", body = Problem)))]
pub(crate) async fn take_payment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SaleId>,
    ApiJson(payment): ApiJson<NewPayment>,
) -> ApiResult<(StatusCode, Json<Paid>)> {
    let ctx = principal.tenant(Action::SalesWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let (sale, payment) = sales::take_payment(&mut uow, id, payment).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(Paid { payment, sale })))
}

/// Complete a sale paid in full: its invoice number, and the stock of its stocked lines moved.
#[utoipa::path(post, path = "/sales/{sale_id}/complete", tag = "till", security(("bearer" = [])),
    params(("sale_id" = SaleId, Path, description = "The sale")),
    responses((status = 200, description = "Completed", body = Sale),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such sale", body = Problem),
              (status = 409, description = "Completed already, not paid in full, or not enough stock", body = Problem),
              (status = 422, description = "No lines", body = Problem)))]
pub(crate) async fn complete_sale(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SaleId>,
) -> ApiResult<Json<Sale>> {
    let ctx = principal.tenant(Action::SalesWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let sale = sales::complete(&mut uow, id).await?;
    uow.commit().await?;
    Ok(Json(sale))
}

/// A credit note with the sale it refunds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Refunded {
    /// The credit note, with its number.
    pub(crate) credit_note: CreditNote,
    /// The sale as it is now.
    pub(crate) sale: Sale,
}

/// Refund lines of a completed sale with a credit note: each line's price and VAT for the units
/// refunded, stocked units back into stock, money back by cash or card.
#[utoipa::path(post, path = "/sales/{sale_id}/credit-notes", tag = "till", security(("bearer" = [])),
    params(("sale_id" = SaleId, Path, description = "The sale")), request_body = NewCreditNote,
    responses((status = 201, description = "Refunded", body = Refunded),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such sale", body = Problem),
              (status = 409, description = "Not completed, or more than was paid in money", body = Problem),
              (status = 422, description = "Invalid lines, method or reason", body = Problem)))]
pub(crate) async fn refund(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<SaleId>,
    ApiJson(note): ApiJson<NewCreditNote>,
) -> ApiResult<(StatusCode, Json<Refunded>)> {
    let ctx = principal.tenant(Action::SalesRefund)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let (sale, credit_note) = refunds::credit(&mut uow, id, note).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(Refunded { credit_note, sale })))
}

/// The end-of-day report for one of the practice's days (Europe/London): takings by method,
/// cash to bank, deposits held, invoice numbers, and the VAT of the sales completed less the
/// credit notes issued.
#[utoipa::path(get, path = "/till/days/{date}", tag = "till", security(("bearer" = [])),
    params(("date" = String, Path, description = "The day, YYYY-MM-DD")),
    responses((status = 200, description = "The day", body = EndOfDay),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid date", body = Problem)))]
pub(crate) async fn end_of_day(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(date): ApiPath<String>,
) -> ApiResult<Json<EndOfDay>> {
    let ctx = principal.tenant(Action::TillReport)?;
    let date = ils_clinical::parse_date("date", &date)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let report = day::report(&mut uow, date).await?;
    uow.commit().await?;
    Ok(Json(report))
}
