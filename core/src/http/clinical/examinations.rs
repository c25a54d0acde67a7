//! Examinations over HTTP: record a draft, finalise it, turn its refraction into a prescription.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::prescriptions::EyeInput;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_clinical::examinations::{Examination, ExaminationValues, Pair, Prescribe, PupillaryDistance};
use ils_clinical::prescriptions::{PrescriptionView, RxKind};
use ils_clinical::rx::{CylinderForm, Eye, Steps};
use ils_clinical::{examinations, parse_date, parse_past_date, today};
use ils_kernel::error::Result;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_storage::ids::{ExaminationId, PatientId};
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record_examination, list_examinations))
        .routes(routes!(get_examination, update_examination))
        .routes(routes!(finalise_examination))
        .routes(routes!(prescribe))
}

/// An examination as entered.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExaminationInput {
    /// Date of the examination, YYYY-MM-DD (not in the future).
    pub examined_on: String,
    /// Visual acuity per eye (`6/6`, `6/9`, … `CF`, `HM`, `PL`, `NPL`).
    pub visual_acuity: Option<Pair<String>>,
    /// Intra-ocular pressure per eye, mmHg (1–80).
    pub iop_mmhg: Option<Pair<i32>>,
    /// Final (subjective) refraction per eye.
    pub refraction: Option<RefractionInput>,
    /// Free-text notes, up to 10,000 characters.
    pub notes: Option<String>,
    /// Pupillary distances, mm to 0.1, and the working distance for near, cm.
    pub pd: Option<PupillaryDistance>,
}

/// Both eyes' refraction.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefractionInput {
    /// Right eye.
    pub right: EyeInput,
    /// Left eye.
    pub left: EyeInput,
}

impl ExaminationInput {
    /// The values to record, the date and the refraction checked (the refraction in the tenant's
    /// power `steps`); the rest is checked by the service.
    fn values(self, steps: Steps) -> Result<ExaminationValues> {
        let examined_on = parse_past_date("examined_on", &self.examined_on)?;
        let refraction = self
            .refraction
            .map(|r| {
                Ok::<_, ils_kernel::Error>((r.right.rx(Eye::Right, steps)?, r.left.rx(Eye::Left, steps)?))
            })
            .transpose()?;
        Ok(ExaminationValues {
            examined_on,
            visual_acuity: self.visual_acuity.unwrap_or_default(),
            iop_mmhg: self.iop_mmhg.unwrap_or_default(),
            refraction,
            notes: self.notes,
            pd: self.pd.unwrap_or_default(),
        })
    }
}

/// Record an examination (a draft until finalised).
#[utoipa::path(post, path = "/patients/{patient_id}/examinations", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")), request_body = ExaminationInput,
    responses((status = 201, description = "Recorded", body = Examination),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed (optometrists examine)", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem),
              (status = 422, description = "Invalid values", body = Problem)))]
pub(crate) async fn record_examination(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(patient_id): ApiPath<PatientId>,
    ApiJson(req): ApiJson<ExaminationInput>,
) -> ApiResult<(StatusCode, Json<Examination>)> {
    let ctx = principal.tenant(Action::ExaminationsWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let steps = ils_tenancy::tenants::settings(uow.tx()).await?.rx_steps.into();
    let exam = examinations::record(&mut uow, patient_id, req.values(steps)?).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(exam)))
}

/// A patient's examinations, newest first (the read is audited).
#[utoipa::path(get, path = "/patients/{patient_id}/examinations", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")),
    responses((status = 200, description = "Examinations", body = Vec<Examination>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem)))]
pub(crate) async fn list_examinations(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(patient_id): ApiPath<PatientId>,
) -> ApiResult<Json<Vec<Examination>>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let exams = examinations::list_for_patient(&mut uow, patient_id).await?;
    uow.commit().await?;
    Ok(Json(exams))
}

/// One examination (the read is audited).
#[utoipa::path(get, path = "/examinations/{examination_id}", tag = "patients", security(("bearer" = [])),
    params(("examination_id" = ExaminationId, Path, description = "The examination")),
    responses((status = 200, description = "The examination", body = Examination),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such examination in this practice", body = Problem)))]
pub(crate) async fn get_examination(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ExaminationId>,
) -> ApiResult<Json<Examination>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let exam = examinations::read(&mut uow, id).await?;
    uow.commit().await?;
    Ok(Json(exam))
}

/// Change a draft examination (a finalised one never changes).
#[utoipa::path(put, path = "/examinations/{examination_id}", tag = "patients", security(("bearer" = [])),
    params(("examination_id" = ExaminationId, Path, description = "The examination")), request_body = ExaminationInput,
    responses((status = 200, description = "Changed", body = Examination),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such examination in this practice", body = Problem),
              (status = 409, description = "Already finalised", body = Problem),
              (status = 422, description = "Invalid values", body = Problem)))]
async fn update_examination(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ExaminationId>,
    ApiJson(req): ApiJson<ExaminationInput>,
) -> ApiResult<Json<Examination>> {
    let ctx = principal.tenant(Action::ExaminationsWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let steps = ils_tenancy::tenants::settings(uow.tx()).await?.rx_steps.into();
    let exam = examinations::update(&mut uow, id, req.values(steps)?).await?;
    uow.commit().await?;
    Ok(Json(exam))
}

/// When the patient's next sight test is due.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FinaliseQuery {
    /// The recall period in months (1–120), the clinician's choice; absent: the default for the
    /// patient's age on the examination day (under 16 and 70 or over a year, otherwise two).
    pub(crate) recall_months: Option<u8>,
}

/// Finalise an examination; from then on it never changes. It sets the patient's recall: the
/// examination's day plus the recall period (`GET /patients/{patient_id}/recall`).
#[utoipa::path(post, path = "/examinations/{examination_id}/finalise", tag = "patients", security(("bearer" = [])),
    params(("examination_id" = ExaminationId, Path, description = "The examination"), FinaliseQuery),
    responses((status = 200, description = "Finalised", body = Examination),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such examination in this practice", body = Problem),
              (status = 409, description = "Already finalised", body = Problem),
              (status = 422, description = "Invalid recall period", body = Problem)))]
pub(crate) async fn finalise_examination(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ExaminationId>,
    ApiQuery(q): ApiQuery<FinaliseQuery>,
) -> ApiResult<Json<Examination>> {
    let ctx = principal.tenant(Action::ExaminationsWrite)?;
    let advised = match q.recall_months {
        Some(_) => None,
        None => recall_advice(&state, &ctx, id).await?,
    };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let exam = examinations::finalise(&mut uow, id).await?;
    ils_diary::recalls::set_from_examination(&mut uow, &exam, q.recall_months, advised).await?;
    uow.commit().await?;
    Ok(Json(exam))
}

/// The practice's recall advisor's period for the examination's patient (a plugin such as the
/// NHS GOS one), asked before the finalising transaction so a plugin call never holds it open.
async fn recall_advice(
    state: &AppState,
    ctx: &ils_kernel::TenantCtx,
    id: ExaminationId,
) -> Result<Option<ils_diary::recalls::Advised>> {
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let exam = examinations::get(&mut tx, id).await?;
    let patient = ils_clinical::patients::store::get(&mut tx, exam.patient_id).await?;
    tx.commit().await?;
    let (patient_id, born, examined) =
        (exam.patient_id.to_string(), patient.date_of_birth.to_string(), exam.examined_on.to_string());
    let advice = state.texts.recall_advice(ctx.tenant_id, &patient_id, Some(&born), &examined).await?;
    Ok(advice.map(|(by, a)| ils_diary::recalls::Advised { months: a.months, reason: a.reason, by }))
}

/// What the prescription from an examination needs besides the refraction.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrescribeInput {
    /// `spectacles` or `contact_lenses`.
    pub kind: RxKind,
    /// The prescriber's name (and registration number).
    pub prescriber: String,
    /// Expiry, YYYY-MM-DD (required for contact lenses).
    pub expires_on: Option<String>,
    /// Right monocular PD, mm.
    pub pd_right_mm: Option<f64>,
    /// Left monocular PD, mm.
    pub pd_left_mm: Option<f64>,
}

/// Issue the patient's prescription from a finalised examination's refraction.
#[utoipa::path(post, path = "/examinations/{examination_id}/prescription", tag = "patients", security(("bearer" = [])),
    params(("examination_id" = ExaminationId, Path, description = "The examination")), request_body = PrescribeInput,
    responses((status = 201, description = "Prescription issued", body = PrescriptionView),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such examination in this practice", body = Problem),
              (status = 409, description = "Not finalised, or no refraction recorded", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn prescribe(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ExaminationId>,
    ApiJson(req): ApiJson<PrescribeInput>,
) -> ApiResult<(StatusCode, Json<PrescriptionView>)> {
    let ctx = principal.tenant(Action::ExaminationsWrite)?;
    let expires_on = req.expires_on.as_deref().map(|d| parse_date("expires_on", d)).transpose()?;
    let cmd = Prescribe {
        examination_id: id,
        kind: req.kind,
        prescriber: req.prescriber,
        expires_on,
        pd_right_mm: req.pd_right_mm,
        pd_left_mm: req.pd_left_mm,
    };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let rx = examinations::prescribe(&mut uow, cmd).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(rx.view(CylinderForm::Minus, today()))))
}
