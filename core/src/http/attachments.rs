//! Attachments over HTTP: files attached to a patient's record or an order (docs/adr/041). The
//! upload is the file's bytes as the body, named in the query; what the file is comes from its
//! bytes. Downloads go through `GET /files/{id}`, which audits them as reads of the record.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_files::attachments::{self, Attachment, MAX_ATTACHMENT_BYTES, NewAttachment, Subject};
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_storage::ids::{OrderId, PatientId};
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(attach_to_patient, patient_attachments))
        .routes(routes!(attach_to_order, order_attachments))
}

/// What the uploaded file is called and what it is.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachmentQuery {
    /// The file's name as people will see and save it (`referral.pdf`), 1–200 characters.
    pub name: String,
    /// What it is (`Referral from Dr Shah`), up to 500 characters.
    pub description: Option<String>,
}

/// The permission reading a record's attachments needs.
fn read_action(subject: Subject) -> Action {
    match subject {
        Subject::Patient(_) => Action::PatientsRead,
        Subject::Order(_) => Action::OrdersRead,
    }
}

/// The permission attaching to a record needs.
fn write_action(subject: Subject) -> Action {
    match subject {
        Subject::Patient(_) => Action::PatientsWrite,
        Subject::Order(_) => Action::OrdersCreate,
    }
}

/// Reads the upload, at most [`MAX_ATTACHMENT_BYTES`] (more is `attachment_too_large`), and
/// attaches it.
async fn attach(
    state: &AppState,
    principal: &Principal,
    subject: Subject,
    query: AttachmentQuery,
    body: Body,
) -> ApiResult<Attachment> {
    principal.tenant(write_action(subject))?;
    let body = axum::body::to_bytes(body, MAX_ATTACHMENT_BYTES + 1).await.map_err(|_| Error::Invalid {
        code: "attachment_too_large",
        message: format!("An attachment is at most {} MiB.", MAX_ATTACHMENT_BYTES >> 20),
        fields: vec![ils_kernel::error::FieldError {
            field: "file".into(),
            message: format!("must be at most {} MiB", MAX_ATTACHMENT_BYTES >> 20),
        }],
    })?;
    attach_bytes(state, principal, subject, query, body).await
}

/// Attaches `body`, named and described by `query`, to `subject` (the console's upload too).
pub(crate) async fn attach_bytes(
    state: &AppState,
    principal: &Principal,
    subject: Subject,
    query: AttachmentQuery,
    body: axum::body::Bytes,
) -> ApiResult<Attachment> {
    let ctx = principal.tenant(write_action(subject))?;
    let new = NewAttachment {
        subject,
        name: query.name,
        description: query.description,
        uploaded_by: ctx.user_id,
        body,
    };
    Ok(state.files.attach(ctx.tenant_id, &ctx.audit, new).await?)
}

/// The attachments of a record, newest first.
pub(crate) async fn list(
    state: &AppState,
    principal: &Principal,
    subject: Subject,
) -> ApiResult<Vec<Attachment>> {
    let ctx = principal.tenant(read_action(subject))?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let found = attachments::list(&mut tx, subject).await?;
    tx.commit().await?;
    Ok(found)
}

/// Attach a file to a patient's record: a referral letter, a photo, a signed form. The body is
/// the file; PDF, JPEG, PNG, TIFF, WebP and HEIC are taken, judged by the bytes, up to 10 MiB.
#[utoipa::path(post, path = "/patients/{patient_id}/attachments", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient"), AttachmentQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, description = "Attached", body = Attachment),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this tenant", body = Problem),
              (status = 409, description = "The record was deleted (`patient_deleted`)", body = Problem),
              (status = 422, description = "Too large (`attachment_too_large`), not a kind taken (`unsupported_attachment`), or a bad name", body = Problem)))]
pub(crate) async fn attach_to_patient(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PatientId>,
    ApiQuery(query): ApiQuery<AttachmentQuery>,
    body: Body,
) -> ApiResult<(StatusCode, Json<Attachment>)> {
    let attachment = attach(&state, &principal, Subject::Patient(id), query, body).await?;
    Ok((StatusCode::CREATED, Json(attachment)))
}

/// The files attached to a patient's record, newest first.
#[utoipa::path(get, path = "/patients/{patient_id}/attachments", tag = "patients", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")),
    responses((status = 200, description = "The attachments", body = Vec<Attachment>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this tenant", body = Problem)))]
pub(crate) async fn patient_attachments(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PatientId>,
) -> ApiResult<Json<Vec<Attachment>>> {
    Ok(Json(list(&state, &principal, Subject::Patient(id)).await?))
}

/// Attach a file to an order: a photo of the frame, a signed form. As for a patient's record.
#[utoipa::path(post, path = "/orders/{order_id}/attachments", tag = "orders", security(("bearer" = [])),
    params(("order_id" = OrderId, Path, description = "The order"), AttachmentQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, description = "Attached", body = Attachment),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such order in this tenant", body = Problem),
              (status = 422, description = "Too large (`attachment_too_large`), not a kind taken (`unsupported_attachment`), or a bad name", body = Problem)))]
pub(crate) async fn attach_to_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
    ApiQuery(query): ApiQuery<AttachmentQuery>,
    body: Body,
) -> ApiResult<(StatusCode, Json<Attachment>)> {
    let attachment = attach(&state, &principal, Subject::Order(id), query, body).await?;
    Ok((StatusCode::CREATED, Json(attachment)))
}

/// The files attached to an order, newest first.
#[utoipa::path(get, path = "/orders/{order_id}/attachments", tag = "orders", security(("bearer" = [])),
    params(("order_id" = OrderId, Path, description = "The order")),
    responses((status = 200, description = "The attachments", body = Vec<Attachment>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such order in this tenant", body = Problem)))]
pub(crate) async fn order_attachments(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Vec<Attachment>>> {
    Ok(Json(list(&state, &principal, Subject::Order(id)).await?))
}
