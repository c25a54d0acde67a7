//! Prescriptions over HTTP, under their patient. Reads are audited like the rest of the record.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_clinical::prescriptions::{PrescriptionView, PrismPart, RecordPrescription, RxKind};
use ils_clinical::rx::{CylinderForm, Eye, EyeRx, HorizontalBase, Prism, Steps, VerticalBase};
use ils_clinical::{parse_date, parse_past_date, prescriptions, today};
use ils_kernel::error::Result;
use ils_kernel::input::Fields;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_storage::ids::{PatientId, PrescriptionId};
use ils_tenancy::auth::Principal;

/// The PD rule is the domain's; kept here under its old path for callers of `routes::pd`.
pub use ils_clinical::prescriptions::pd;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record_prescription, list_prescriptions))
        .routes(routes!(get_prescription))
}

/// One eye as entered.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EyeInput {
    /// Sphere with its sign, e.g. `+2.00`, `-1.75`, or `plano`.
    pub sphere: String,
    /// Cylinder with its sign, in either form.
    pub cylinder: Option<String>,
    /// Axis, 1–180 (0 is read as 180); required with a cylinder.
    pub axis: Option<i64>,
    /// Reading addition, `+0.25` to `+5.00`.
    pub add: Option<String>,
    /// Horizontal prism.
    pub prism_horizontal: Option<PrismPart<HorizontalBase>>,
    /// Vertical prism.
    pub prism_vertical: Option<PrismPart<VerticalBase>>,
}

impl EyeInput {
    /// Checks this eye, in the tenant's power `steps`.
    pub fn rx(&self, eye: Eye, steps: Steps) -> Result<EyeRx> {
        let prism = Prism::new(
            self.prism_horizontal.as_ref().map(|p| (p.amount, p.base)),
            self.prism_vertical.as_ref().map(|p| (p.amount, p.base)),
        )?;
        let (cylinder, add) = (self.cylinder.as_deref(), self.add.as_deref());
        Ok(EyeRx::new(eye, &self.sphere, cylinder, self.axis, add, prism, steps)?)
    }
}

/// A prescription as entered.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionInput {
    /// `spectacles` or `contact_lenses`.
    pub kind: RxKind,
    /// Right eye.
    pub right: EyeInput,
    /// Left eye.
    pub left: EyeInput,
    /// Right monocular PD in mm (20–45, 0.5 mm steps). A dispensing measurement.
    pub pd_right_mm: Option<f64>,
    /// Left monocular PD in mm.
    pub pd_left_mm: Option<f64>,
    /// Date issued, YYYY-MM-DD (not in the future).
    pub issued_on: String,
    /// Expiry date, YYYY-MM-DD: required for contact lenses.
    pub expires_on: Option<String>,
    /// Who prescribed it (name, and registration number where known).
    pub prescriber: String,
    /// Free-text notes, up to 2,000 characters.
    pub notes: Option<String>,
}

/// Cylinder form to show.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormQuery {
    /// `minus` (default) or `plus`.
    pub cylinder_form: Option<CylinderForm>,
}

/// Record a prescription for a patient.
#[utoipa::path(post, path = "/patients/{patient_id}/prescriptions", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")), request_body = PrescriptionInput,
    responses((status = 201, description = "Recorded", body = PrescriptionView),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem),
              (status = 422, description = "Invalid prescription, with the field and the rule broken", body = Problem)))]
pub(crate) async fn record_prescription(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(patient_id): ApiPath<PatientId>,
    ApiJson(req): ApiJson<PrescriptionInput>,
) -> ApiResult<(StatusCode, Json<PrescriptionView>)> {
    let ctx = principal.tenant(Action::PatientsWrite)?;
    let mut f = Fields::new();
    let issued_on = f.check(parse_past_date("issued_on", &req.issued_on));
    let expires_on = f.check(req.expires_on.as_deref().map(|d| parse_date("expires_on", d)).transpose());
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let steps = ils_tenancy::tenants::settings(uow.tx()).await?.rx_steps.into();
    let right = f.check(req.right.rx(Eye::Right, steps));
    let left = f.check(req.left.rx(Eye::Left, steps));
    let pds = (req.pd_right_mm, req.pd_left_mm);
    let _ = prescriptions::check(
        &mut f,
        req.kind,
        issued_on,
        expires_on,
        &req.prescriber,
        pds,
        req.notes.as_deref(),
    );
    let cmd = f.build(|| {
        Some(RecordPrescription {
            patient_id,
            kind: req.kind,
            right: right?,
            left: left?,
            pd_right_mm: req.pd_right_mm,
            pd_left_mm: req.pd_left_mm,
            issued_on: issued_on?,
            expires_on: expires_on?,
            prescriber: req.prescriber,
            notes: req.notes,
        })
    })?;
    let rx = prescriptions::record(&mut uow, cmd).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(rx.view(CylinderForm::Minus, today()))))
}

/// A patient's prescriptions, newest first (the read is audited).
#[utoipa::path(get, path = "/patients/{patient_id}/prescriptions", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient"), FormQuery),
    responses((status = 200, description = "Prescriptions", body = Vec<PrescriptionView>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem)))]
pub(crate) async fn list_prescriptions(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(patient_id): ApiPath<PatientId>,
    ApiQuery(query): ApiQuery<FormQuery>,
) -> ApiResult<Json<Vec<PrescriptionView>>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let all = prescriptions::list_for_patient(&mut uow, patient_id).await?;
    uow.commit().await?;
    let form = query.cylinder_form.unwrap_or_default();
    Ok(Json(all.iter().map(|p| p.view(form, today())).collect()))
}

/// One prescription (the read is audited).
#[utoipa::path(get, path = "/prescriptions/{prescription_id}", tag = "patients", security(("bearer" = [])),
    params(("prescription_id" = PrescriptionId, Path, description = "The prescription"), FormQuery),
    responses((status = 200, description = "The prescription", body = PrescriptionView),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such prescription in this practice", body = Problem)))]
async fn get_prescription(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PrescriptionId>,
    ApiQuery(query): ApiQuery<FormQuery>,
) -> ApiResult<Json<PrescriptionView>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let rx = prescriptions::read(&mut uow, id).await?;
    uow.commit().await?;
    Ok(Json(rx.view(query.cylinder_form.unwrap_or_default(), today())))
}
