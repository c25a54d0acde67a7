//! Examinations over HTTP: record a draft, finalise it, turn its refraction into a prescription.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, NewExamination, Refraction};
use super::{Examination, Pair, parse_acuity};
use crate::audit::{self, Event};
use crate::auth::Principal;
use crate::auth::permissions::Action;
use crate::clinical::prescriptions::routes::{EyeInput, pd};
use crate::clinical::prescriptions::{Prescription, PrescriptionView, RxKind};
use crate::clinical::rx::{CylinderForm, Eye, Steps};
use crate::db::types::Timestamp;
use crate::error::{Error, Result};
use crate::events::{self, catalog};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::{ExaminationId, PatientId, PrescriptionId};
use crate::state::AppState;

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
    /// Notes.
    pub notes: Option<String>,
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

/// An examination as entered, checked (refraction in the tenant's power steps).
async fn checked(
    tx: &mut crate::db::TenantTx,
    req: ExaminationInput,
    patient_id: PatientId,
    examined_by: Option<crate::ids::UserId>,
) -> Result<NewExamination> {
    let examined_on = crate::clinical::parse_past_date("examined_on", &req.examined_on)?;
    let va = req.visual_acuity.unwrap_or_default();
    let visual_acuity = Pair {
        right: va.right.as_deref().map(|v| parse_acuity("visual_acuity.right", v)).transpose()?,
        left: va.left.as_deref().map(|v| parse_acuity("visual_acuity.left", v)).transpose()?,
    };
    let iop = req.iop_mmhg.unwrap_or_default();
    for (field, value) in [("iop_mmhg.right", iop.right), ("iop_mmhg.left", iop.left)] {
        if value.is_some_and(|v| !(1..=80).contains(&v)) {
            return Err(Error::invalid_field(field, "must be 1–80 mmHg"));
        }
    }
    let steps = crate::tenants::settings(tx).await?.rx_steps.into();
    let refraction = req
        .refraction
        .map(|r| -> Result<Refraction> {
            Ok(Refraction::of(&r.right.rx(Eye::Right, steps)?, &r.left.rx(Eye::Left, steps)?))
        })
        .transpose()?;
    Ok(NewExamination {
        patient_id,
        examined_on,
        visual_acuity,
        iop,
        refraction,
        notes: crate::clinical::patients::optional_text("notes", req.notes.as_deref(), 10_000)?
            .unwrap_or_default(),
        examined_by,
    })
}

/// Replaces a draft examination's refraction (read from a refractor by a driver plugin), keeping
/// everything else; checked like one typed in. 409 once finalised.
pub(crate) async fn set_refraction(
    tx: &mut crate::db::TenantTx,
    ctx: &crate::auth::TenantCtx,
    id: ExaminationId,
    refraction: RefractionInput,
    source: serde_json::Value,
) -> Result<Examination> {
    let before = store::get(tx, id).await?;
    let steps = crate::tenants::settings(tx).await?.rx_steps.into();
    let checked =
        Refraction::of(&refraction.right.rx(Eye::Right, steps)?, &refraction.left.rx(Eye::Left, steps)?);
    let new = NewExamination {
        patient_id: before.patient_id,
        examined_on: before.examined_on,
        visual_acuity: before.visual_acuity,
        iop: before.iop_mmhg,
        refraction: Some(checked),
        notes: before.notes,
        examined_by: before.examined_by.or(ctx.user_id),
    };
    let exam = store::update_draft(tx, id, &new).await?;
    let event = Event::new("examination.updated", "examination", id)
        .changes(serde_json::json!({ "patient_id": before.patient_id, "refraction_from": source }));
    audit::record(tx, &ctx.audit, event).await?;
    Ok(exam)
}

/// Record an examination (a draft until finalised).
#[utoipa::path(post, path = "/patients/{patient_id}/examinations", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")), request_body = ExaminationInput,
    responses((status = 201, description = "Recorded", body = Examination),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed (optometrists examine)", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem),
              (status = 422, description = "Invalid values", body = Problem)))]
async fn record_examination(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(patient_id): ApiPath<PatientId>,
    ApiJson(req): ApiJson<ExaminationInput>,
) -> ApiResult<(StatusCode, Json<Examination>)> {
    let ctx = principal.tenant(Action::ExaminationsWrite)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let new = checked(&mut tx, req, patient_id, ctx.user_id).await?;
    crate::clinical::patients::get_active(&mut tx, patient_id).await?;
    let id = store::insert(&mut tx, &new).await?;
    let exam = store::get(&mut tx, id).await?;
    let event = Event::new("examination.recorded", "examination", id)
        .changes(serde_json::json!({ "patient_id": patient_id }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(exam)))
}

/// A patient's examinations, newest first (the read is audited).
#[utoipa::path(get, path = "/patients/{patient_id}/examinations", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")),
    responses((status = 200, description = "Examinations", body = Vec<Examination>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem)))]
async fn list_examinations(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(patient_id): ApiPath<PatientId>,
) -> ApiResult<Json<Vec<Examination>>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    crate::clinical::patients::get(&mut tx, patient_id).await?;
    let exams = store::for_patient(&mut tx, patient_id).await?;
    let ids: Vec<String> = exams.iter().map(|e| e.id.to_string()).collect();
    let event = Event::new("examination.listed", "patient", patient_id)
        .changes(serde_json::json!({ "returned": ids }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(Json(exams))
}

/// One examination (the read is audited).
#[utoipa::path(get, path = "/examinations/{examination_id}", tag = "patients", security(("bearer" = [])),
    params(("examination_id" = ExaminationId, Path, description = "The examination")),
    responses((status = 200, description = "The examination", body = Examination),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such examination in this practice", body = Problem)))]
async fn get_examination(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ExaminationId>,
) -> ApiResult<Json<Examination>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let exam = store::get(&mut tx, id).await?;
    audit::record(&mut tx, &ctx.audit, Event::new("examination.read", "examination", id)).await?;
    tx.commit().await?;
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
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let before = store::get(&mut tx, id).await?;
    let new = checked(&mut tx, req, before.patient_id, ctx.user_id).await?;
    let exam = store::update_draft(&mut tx, id, &new).await?;
    let event = Event::new("examination.updated", "examination", id)
        .changes(serde_json::json!({ "patient_id": before.patient_id }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(Json(exam))
}

/// Finalise an examination; from then on it never changes.
#[utoipa::path(post, path = "/examinations/{examination_id}/finalise", tag = "patients", security(("bearer" = [])),
    params(("examination_id" = ExaminationId, Path, description = "The examination")),
    responses((status = 200, description = "Finalised", body = Examination),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such examination in this practice", body = Problem),
              (status = 409, description = "Already finalised", body = Problem)))]
async fn finalise_examination(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ExaminationId>,
) -> ApiResult<Json<Examination>> {
    let ctx = principal.tenant(Action::ExaminationsWrite)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let exam = store::finalise(&mut tx, id).await?;
    audit::record(&mut tx, &ctx.audit, Event::new("examination.finalised", "examination", id)).await?;
    let finalised = catalog::ExaminationFinalised {
        examination_id: id,
        patient_id: exam.patient_id,
        has_refraction: exam.refraction.is_some(),
        examined_on: exam.examined_on,
        examined_by: exam.examined_by,
    };
    events::emit(&mut tx, &finalised).await?;
    tx.commit().await?;
    Ok(Json(exam))
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
async fn prescribe(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ExaminationId>,
    ApiJson(req): ApiJson<PrescribeInput>,
) -> ApiResult<(StatusCode, Json<PrescriptionView>)> {
    let ctx = principal.tenant(Action::ExaminationsWrite)?;
    let prescriber = crate::tenants::parse_name("prescriber", &req.prescriber)?;
    let expires_on =
        req.expires_on.as_deref().map(|d| crate::clinical::parse_date("expires_on", d)).transpose()?;
    if req.kind == RxKind::ContactLenses && expires_on.is_none() {
        return Err(Error::invalid_field(
            "expires_on",
            "a contact lens specification must carry an expiry date",
        )
        .into());
    }
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let stored = store::get_stored(&mut tx, id).await?;
    if stored.view.finalised_at.is_none() {
        return Err(
            Error::conflict("not_finalised", "Finalise the examination before prescribing from it.").into()
        );
    }
    let refraction = stored.refraction.ok_or_else(|| {
        Error::conflict("no_refraction", "This examination has no refraction to prescribe from.")
    })?;
    if expires_on.is_some_and(|e| e < stored.view.examined_on) {
        return Err(Error::invalid_field("expires_on", "is before the examination").into());
    }
    let rx = Prescription {
        id: PrescriptionId::new(),
        patient_id: stored.view.patient_id,
        kind: req.kind,
        right: refraction.right.rx(Eye::Right, Steps::Eighth)?,
        left: refraction.left.rx(Eye::Left, Steps::Eighth)?,
        pd: (pd("pd_right_mm", req.pd_right_mm)?, pd("pd_left_mm", req.pd_left_mm)?),
        issued_on: stored.view.examined_on,
        expires_on,
        prescriber,
        notes: String::new(),
        examination_id: Some(id),
        created_by: ctx.user_id,
        created_at: Timestamp::now(),
    };
    crate::clinical::prescriptions::insert(&mut tx, &rx).await?;
    let event = Event::new("prescription.created", "prescription", rx.id)
        .changes(serde_json::json!({ "patient_id": rx.patient_id, "examination_id": id, "kind": rx.kind }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    let created =
        catalog::PrescriptionCreated { prescription_id: rx.id, patient_id: rx.patient_id, kind: rx.kind };
    events::emit(&mut tx, &created).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(rx.view(CylinderForm::Minus, crate::clinical::today()))))
}
