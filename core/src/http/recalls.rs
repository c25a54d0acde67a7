//! Recalls over HTTP (docs/adr/044-recalls.md): the practice's due list, a patient's recall with
//! the notices sent for it, and a recall date set by hand. Finalising an examination sets the
//! recall too (`POST /examinations/{id}/finalise?recall_months=`).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_diary::recalls::{self, DueEntry, Plan, Recall};
use ils_kernel::Error;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_storage::ids::PatientId;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(due_list)).routes(routes!(get_recall, set_recall))
}

/// Which patients.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DueQuery {
    /// Due on or before this day, `YYYY-MM-DD`; four weeks from today when absent (the patients
    /// the "due" notice goes to).
    pub(crate) through: Option<String>,
}

/// The patients whose sight test is due by a day, earliest first (at most 1,000), with the latest
/// notice for that due date and their next appointment if they have booked. Names patients, so it
/// is audited (`recalls.read`).
#[utoipa::path(get, path = "/recalls", tag = "diary", security(("bearer" = [])), params(DueQuery),
    responses((status = 200, description = "The due list", body = Vec<DueEntry>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid date", body = Problem)))]
pub(crate) async fn due_list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> ApiResult<Json<Vec<DueEntry>>> {
    let ctx = principal.tenant(Action::DiaryRead)?;
    let through = match q.through.as_deref() {
        Some(day) => ils_clinical::parse_date("through", day)?,
        None => Plan::default().horizon(ils_clinical::today()),
    };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let entries = recalls::due_list(&mut uow, through).await?;
    uow.commit().await?;
    Ok(Json(entries))
}

/// The patient's recall and every notice sent for it; audited as a read of their record.
#[utoipa::path(get, path = "/patients/{patient_id}/recall", tag = "diary", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")),
    responses((status = 200, description = "The recall", body = Recall),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient, or no recall set for them (\"recall not found\")", body = Problem),
              (status = 409, description = "The record is restricted", body = Problem)))]
pub(crate) async fn get_recall(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(patient): ApiPath<PatientId>,
) -> ApiResult<Json<Recall>> {
    let ctx = principal.tenant(Action::DiaryRead)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let recall = recalls::read(&mut uow, patient).await?;
    uow.commit().await?;
    Ok(Json(recall.ok_or(Error::NotFound("recall"))?))
}

/// A recall date chosen by hand.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecallInput {
    /// When the next sight test is due, `YYYY-MM-DD`: today or later.
    pub(crate) due_on: String,
    /// Why (up to 500 characters), e.g. "diabetic: annual".
    #[serde(default)]
    pub(crate) reason: String,
}

/// Set the patient's recall date by hand (a clinician's decision); it replaces the one their last
/// examination set, and the notices start again for the new date.
#[utoipa::path(put, path = "/patients/{patient_id}/recall", tag = "diary", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")),
    request_body = RecallInput,
    responses((status = 200, description = "The recall", body = Recall),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient", body = Problem),
              (status = 409, description = "The record is deleted or restricted", body = Problem),
              (status = 422, description = "Invalid date or reason", body = Problem)))]
pub(crate) async fn set_recall(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(patient): ApiPath<PatientId>,
    ApiJson(input): ApiJson<RecallInput>,
) -> ApiResult<Json<Recall>> {
    let ctx = principal.tenant(Action::ExaminationsWrite)?;
    let due_on = ils_clinical::parse_date("due_on", &input.due_on)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let recall = recalls::set_date(&mut uow, patient, due_on, &input.reason).await?;
    uow.commit().await?;
    Ok(Json(recall))
}
