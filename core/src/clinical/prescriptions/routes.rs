//! Prescriptions over HTTP, under their patient. Reads are audited like the rest of the record.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Prescription, PrescriptionView, PrismPart, RxKind, store};
use crate::audit::{self, Event};
use crate::auth::Principal;
use crate::auth::permissions::Action;
use crate::clinical::rx::{CylinderForm, Eye, EyeRx, HorizontalBase, Prism, Steps, VerticalBase};
use crate::clinical::{parse_date, parse_past_date, today};
use crate::db::types::Timestamp;
use crate::error::{Error, Result};
use crate::events::{self, catalog};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::{PatientId, PrescriptionId};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record_prescription, list_prescriptions))
        .routes(routes!(get_prescription))
}

/// One eye as entered.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
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
    /// Notes.
    pub notes: Option<String>,
}

/// A monocular PD in mm, checked, as tenths of a millimetre.
pub fn pd(field: &str, mm: Option<f64>) -> Result<Option<u16>> {
    crate::input::tenths_of_mm(field, mm, 20.0..=45.0)
}

impl EyeInput {
    /// The checked eye written back as input (minus-cylinder form), for storing.
    pub fn from_rx(rx: &EyeRx) -> Self {
        let prism = rx.prism();
        EyeInput {
            sphere: rx.sphere().to_string(),
            cylinder: rx.cylinder().map(|(c, _)| c.to_string()),
            axis: rx.cylinder().map(|(_, a)| i64::from(a.degrees())),
            add: rx.add().map(|a| a.to_string()),
            prism_horizontal: prism
                .horizontal
                .map(|(v, base)| PrismPart { amount: f64::from(v) / 100.0, base }),
            prism_vertical: prism.vertical.map(|(v, base)| PrismPart { amount: f64::from(v) / 100.0, base }),
        }
    }
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
async fn record_prescription(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(patient_id): ApiPath<PatientId>,
    ApiJson(req): ApiJson<PrescriptionInput>,
) -> ApiResult<(StatusCode, Json<PrescriptionView>)> {
    let ctx = principal.tenant(Action::PatientsWrite)?;
    let issued_on = parse_past_date("issued_on", &req.issued_on)?;
    let expires_on = req.expires_on.as_deref().map(|d| parse_date("expires_on", d)).transpose()?;
    if req.kind == RxKind::ContactLenses && expires_on.is_none() {
        return Err(Error::invalid_field(
            "expires_on",
            "a contact lens specification must carry an expiry date",
        )
        .into());
    }
    if expires_on.is_some_and(|e| e < issued_on) {
        return Err(Error::invalid_field("expires_on", "is before the issue date").into());
    }
    let prescriber = crate::tenants::parse_name("prescriber", &req.prescriber)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let steps = crate::tenants::settings(&mut tx).await?.rx_steps.into();
    let rx = Prescription {
        id: PrescriptionId::new(),
        patient_id,
        kind: req.kind,
        right: req.right.rx(Eye::Right, steps)?,
        left: req.left.rx(Eye::Left, steps)?,
        pd: (pd("pd_right_mm", req.pd_right_mm)?, pd("pd_left_mm", req.pd_left_mm)?),
        issued_on,
        expires_on,
        prescriber,
        notes: crate::clinical::patients::optional_text("notes", req.notes.as_deref(), 2000)?
            .unwrap_or_default(),
        examination_id: None,
        created_by: ctx.user_id,
        created_at: Timestamp::now(),
    };
    crate::clinical::patients::get_active(&mut tx, patient_id).await?;
    store::insert(&mut tx, &rx).await?;
    let event = Event::new("prescription.created", "prescription", rx.id).changes(serde_json::json!({
        "patient_id": patient_id, "kind": rx.kind, "right": rx.right.to_string(), "left": rx.left.to_string(),
    }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    let created = catalog::PrescriptionCreated { prescription_id: rx.id, patient_id, kind: rx.kind };
    events::emit(&mut tx, &created).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(rx.view(CylinderForm::Minus, today()))))
}

/// A patient's prescriptions, newest first (the read is audited).
#[utoipa::path(get, path = "/patients/{patient_id}/prescriptions", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient"), FormQuery),
    responses((status = 200, description = "Prescriptions", body = Vec<PrescriptionView>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem)))]
async fn list_prescriptions(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(patient_id): ApiPath<PatientId>,
    ApiQuery(query): ApiQuery<FormQuery>,
) -> ApiResult<Json<Vec<PrescriptionView>>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    crate::clinical::patients::get(&mut tx, patient_id).await?;
    let all = store::for_patient(&mut tx, patient_id).await?;
    let ids: Vec<String> = all.iter().map(|p| p.id.to_string()).collect();
    let event = Event::new("prescription.listed", "patient", patient_id)
        .changes(serde_json::json!({ "returned": ids }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
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
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let rx = store::get(&mut tx, id).await?;
    audit::record(&mut tx, &ctx.audit, Event::new("prescription.read", "prescription", id)).await?;
    tx.commit().await?;
    Ok(Json(rx.view(query.cylinder_form.unwrap_or_default(), today())))
}
