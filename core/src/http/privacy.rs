//! Privacy over HTTP (docs/adr/039-privacy.md): a patient's consents, subject-access exports and,
//! once a patient is erased, their tombstone. The services are [`ils_privacy`]'s and
//! [`ils_clinical::consent`]'s; another practice's patient is a 404 here as everywhere.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_clinical::consent::{
    self, Consent, ConsentChoice, ConsentKind, ConsentSource, Consents, RecordConsent,
};
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_privacy::erasure::Tombstone;
use ils_privacy::export::PatientExport;
use ils_storage::ids::PatientId;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read_consents, record_consent))
        .routes(routes!(create_export, list_exports))
        .routes(routes!(read_tombstone))
}

/// A change of consent as a client sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// What it is about: `marketing` or `recall_channel`.
    pub kind: ConsentKind,
    /// `granted` or `withdrawn` for marketing; `email`, `sms`, `post` or `none` for the recall
    /// channel.
    pub choice: ConsentChoice,
    /// The words the patient was shown or told (or the form's name and version), 1–2,000
    /// characters.
    pub wording: String,
    /// How the patient gave it.
    pub source: ConsentSource,
}

/// A patient's current consents and every change (the read is audited).
#[utoipa::path(get, path = "/patients/{patient_id}/consents", tag = "privacy", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")),
    responses((status = 200, description = "Current choices and their history, newest first", body = Consents),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed, or the record is restricted (`patient_restricted`)", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem)))]
pub(crate) async fn read_consents(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PatientId>,
) -> ApiResult<Json<Consents>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let consents = consent::read(&mut uow, id).await?;
    uow.commit().await?;
    Ok(Json(consents))
}

/// Records a change of a patient's consent (marketing) or recall channel.
#[utoipa::path(post, path = "/patients/{patient_id}/consents", tag = "privacy", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")), request_body = ConsentInput,
    responses((status = 201, description = "Recorded", body = Consent),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed, or the record is restricted (`patient_restricted`)", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem),
              (status = 409, description = "The record is deleted (`patient_deleted`)", body = Problem),
              (status = 422, description = "A choice that does not fit the kind, or no wording", body = Problem)))]
pub(crate) async fn record_consent(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PatientId>,
    ApiJson(req): ApiJson<ConsentInput>,
) -> ApiResult<(StatusCode, Json<Consent>)> {
    let ctx = principal.tenant(Action::PatientsWrite)?;
    let cmd = RecordConsent {
        patient_id: id,
        kind: req.kind,
        choice: req.choice,
        wording: req.wording,
        source: req.source,
    };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let recorded = consent::record(&mut uow, cmd).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

/// Makes a subject-access export of everything held on the patient: a zip of JSON files and a
/// readable summary, stored in the practice's files (download it at `GET /files/{file.id}`).
#[utoipa::path(post, path = "/patients/{patient_id}/exports", tag = "privacy", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")),
    description = "For staff who may read patients' records (eye-care practitioners, dispensers, company \
        admins). A deleted or restricted record: company admins only. The request and each download are \
        audited in the patient's trail.",
    responses((status = 201, description = "The export, stored", body = PatientExport),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed, or the record is restricted and you are not a company admin (`patient_restricted`)", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem)))]
pub(crate) async fn create_export(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PatientId>,
) -> ApiResult<(StatusCode, Json<PatientExport>)> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    let export = state.privacy.export(&ctx, id).await?;
    Ok((StatusCode::CREATED, Json(export)))
}

/// The patient's subject-access exports still held, newest first.
#[utoipa::path(get, path = "/patients/{patient_id}/exports", tag = "privacy", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")),
    responses((status = 200, description = "The exports", body = Vec<PatientExport>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed, or the record is restricted (`patient_restricted`)", body = Problem),
              (status = 404, description = "No such patient in this practice", body = Problem)))]
pub(crate) async fn list_exports(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PatientId>,
) -> ApiResult<Json<Vec<PatientExport>>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    Ok(Json(state.privacy.exports(&ctx, id).await?))
}

/// What remains of a patient erased at the end of retention: no personal data, only when and how
/// much was removed.
#[utoipa::path(get, path = "/patients/{patient_id}/tombstone", tag = "privacy", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The erased patient")),
    responses((status = 200, description = "The tombstone", body = Tombstone),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No patient of this practice was erased with that id", body = Problem)))]
pub(crate) async fn read_tombstone(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PatientId>,
) -> ApiResult<Json<Tombstone>> {
    let ctx = principal.tenant(Action::PatientsRead)?;
    Ok(Json(state.privacy.tombstone(&ctx, id).await?))
}
