//! Patients over HTTP. Reads and searches are audited with the ids of the records returned.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_clinical::nhs_number::NhsNumber;
use ils_clinical::patients;
use ils_clinical::patients::{
    CreatePatient, Details, Patient, Search, optional_text, parse_date_of_birth, parse_name,
};
use ils_kernel::error::{Error, Result};
use ils_kernel::input::{Email, Fields};
use ils_kernel::permissions::{Action, Role};
use ils_outbox::UnitOfWork;
use ils_storage::ids::PatientId;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_patient, search_patients)).routes(routes!(
        get_patient,
        update_patient,
        delete_patient
    ))
}

/// A patient's details as sent by a client.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientInput {
    /// The practice's number for the patient; assigned (`P000123`) when absent on creation.
    pub customer_number: Option<String>,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Date of birth, YYYY-MM-DD.
    pub date_of_birth: String,
    /// NHS number (10 digits, spaces allowed); checked with its modulus-11 check digit.
    pub nhs_number: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Postcode, up to 10 characters, stored upper case.
    pub postcode: Option<String>,
    /// Medical notes.
    pub medical_notes: Option<String>,
}

impl PatientInput {
    /// The checked details; every invalid field is named at once.
    fn details(&self) -> Result<Details> {
        let mut f = Fields::new();
        let first_name = f.check(parse_name("first_name", &self.first_name));
        let last_name = f.check(parse_name("last_name", &self.last_name));
        let date_of_birth = f.check(parse_date_of_birth(&self.date_of_birth));
        let nhs_number = f.check(
            self.nhs_number.as_deref().filter(|n| !n.trim().is_empty()).map(NhsNumber::parse).transpose(),
        );
        let email = f.check(match self.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(email) => Email::parse("email", email).map(|e| Some(e.as_str().to_owned())),
            None => Ok(None),
        });
        let phone = f.check(optional_text("phone", self.phone.as_deref(), 30));
        let address = f.check(optional_text("address", self.address.as_deref(), 500));
        let postcode = f.check(optional_text("postcode", self.postcode.as_deref(), 10));
        let medical_notes = f.check(optional_text("medical_notes", self.medical_notes.as_deref(), 10_000));
        f.build(|| {
            Some(Details {
                first_name: first_name?,
                last_name: last_name?,
                date_of_birth: date_of_birth?,
                nhs_number: nhs_number?,
                email: email?,
                phone: phone?,
                address: address?,
                postcode: postcode?.map(|p| p.to_uppercase()),
                medical_notes: medical_notes?.unwrap_or_default(),
            })
        })
    }
}

/// Register a patient.
#[utoipa::path(post, path = "/patients", tag = "patients", security(("bearer" = [])), request_body = PatientInput,
    responses((status = 201, description = "Registered", body = Patient),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 409, description = "NHS or customer number already used", body = Problem),
              (status = 422, description = "Invalid input, e.g. an NHS number with a wrong check digit", body = Problem)))]
pub(crate) async fn create_patient(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<PatientInput>,
) -> ApiResult<(StatusCode, Json<Patient>)> {
    let ctx = principal.tenant(Action::PatientsWrite)?;
    let cmd = CreatePatient { details: req.details()?, customer_number: req.customer_number };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let patient = patients::create(&mut uow, cmd).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(patient)))
}

/// How to find patients.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PatientQuery {
    /// Start of the family or given name.
    pub name: Option<String>,
    /// Date of birth, YYYY-MM-DD.
    pub date_of_birth: Option<String>,
    /// NHS number.
    pub nhs_number: Option<String>,
    /// Customer number.
    pub customer_number: Option<String>,
    /// Include deleted (restricted) records: company admins only.
    #[serde(default)]
    pub include_deleted: bool,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

fn is_admin(principal: &Principal) -> bool {
    matches!(
        principal.tenant.as_ref().map(|t| &t.grant),
        Some(ils_tenancy::auth::Grant::Role(Role::CompanyAdmin))
    )
}

/// Find patients by name, date of birth, NHS number or customer number.
#[utoipa::path(get, path = "/patients", tag = "patients", security(("bearer" = [])), params(PatientQuery),
    responses((status = 200, description = "Matching patients", body = Page<Patient>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid search", body = Problem)))]
pub(crate) async fn search_patients(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PatientQuery>,
) -> ApiResult<Json<Page<Patient>>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    if query.include_deleted && !is_admin(&principal) {
        return Err(Error::forbidden("forbidden", "Only company admins may search deleted records.").into());
    }
    let search = Search {
        name: optional_text("name", query.name.as_deref(), 100)?,
        date_of_birth: query.date_of_birth.as_deref().map(parse_date_of_birth).transpose()?,
        nhs_number: query.nhs_number.as_deref().map(NhsNumber::parse).transpose()?,
        customer_number: optional_text("customer_number", query.customer_number.as_deref(), 40)?,
        include_deleted: query.include_deleted,
    };
    let page = PageRequest::parse(&PageQuery { cursor: query.cursor, limit: query.limit })?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let found = patients::find(&mut uow, &search, &page).await?;
    uow.commit().await?;
    Ok(Json(found))
}

/// One patient's record (the read is audited). Deleted records: company admins only.
#[utoipa::path(get, path = "/patients/{patient_id}", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")),
    responses((status = 200, description = "The record", body = Patient),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem)))]
pub(crate) async fn get_patient(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PatientId>,
) -> ApiResult<Json<Patient>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let patient = patients::read(&mut uow, id, is_admin(&principal)).await?;
    uow.commit().await?;
    Ok(Json(patient))
}

/// Replace a patient's details (all fields; the customer number stays).
#[utoipa::path(put, path = "/patients/{patient_id}", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")), request_body = PatientInput,
    responses((status = 200, description = "Updated", body = Patient),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem),
              (status = 409, description = "Deleted record, or NHS number used by another patient", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn update_patient(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PatientId>,
    ApiJson(req): ApiJson<PatientInput>,
) -> ApiResult<Json<Patient>> {
    let ctx = principal.tenant(Action::PatientsWrite)?;
    let details = req.details()?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let after = patients::update(&mut uow, id, details).await?;
    uow.commit().await?;
    Ok(Json(after))
}

/// Delete a patient: the record is restricted (hidden, read-only, company admins only) and kept
/// until its retention date, as clinical records must be.
#[utoipa::path(delete, path = "/patients/{patient_id}", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")),
    responses((status = 204, description = "Deleted (restricted)"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem)))]
async fn delete_patient(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PatientId>,
) -> ApiResult<StatusCode> {
    let ctx = principal.tenant(Action::PatientsWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    patients::delete(&mut uow, id).await?;
    uow.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
