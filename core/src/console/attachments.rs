//! Attaching files to a patient's record or an order from their pages (docs/adr/041): the
//! upload form posts the file here, and the page comes back with it listed, or with why it was
//! refused.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};

use super::form::CsrfUpload;
use super::page::{ConsoleError, FieldErrors, PageResult};
use super::session::Viewer;
use crate::http::attachments::{AttachmentQuery, attach_bytes};
use crate::state::AppState;
use ils_files::attachments::{MAX_ATTACHMENT_BYTES, Subject};
use ils_kernel::error::Error;
use ils_storage::ids::{OrderId, PatientId};

/// The upload form as read: the file up to one byte past the limit, so a larger one is refused
/// with its size.
type Upload = CsrfUpload<{ MAX_ATTACHMENT_BYTES }>;

/// Attaches the uploaded file to `subject`; `Ok` with the refusal's words when the service said
/// no (the page shows them), `Err` for anything else.
async fn attach(
    state: &AppState,
    viewer: &Viewer,
    subject: Subject,
    upload: Upload,
) -> Result<Option<String>, ConsoleError> {
    let Some((file_name, bytes)) = upload.file else {
        return Ok(Some("Choose a file to attach.".to_owned()));
    };
    let description = upload.fields.get("description").map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    let query = AttachmentQuery { name: file_name, description };
    match attach_bytes(state, &viewer.principal, subject, query, bytes).await {
        Ok(_) => Ok(None),
        Err(error) => match &error.0 {
            Error::Invalid { .. } | Error::Conflict { .. } => {
                let errors = FieldErrors::from_error(&error.0);
                let words = errors.get("file").or(errors.get("name")).or(errors.get("description"));
                Ok(Some(match (words, errors.summary.as_deref()) {
                    (Some(field), Some(summary)) => format!("{summary} The file {field}."),
                    (_, Some(summary)) => summary.to_owned(),
                    (Some(field), None) => format!("The file {field}."),
                    (None, None) => "The file was refused.".to_owned(),
                }))
            }
            _ => Err(ConsoleError::from(error)),
        },
    }
}

/// `POST /patients/{id}/attachments`.
pub(crate) async fn to_patient(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PatientId>,
    upload: Upload,
) -> PageResult {
    match attach(&state, &viewer, Subject::Patient(id), upload).await? {
        None => Ok(Redirect::to(&format!("/patients/{id}#attachments")).into_response()),
        Some(refusal) => super::patients::record_with(&state, viewer, id, Some(refusal)).await,
    }
}

/// `POST /orders/{id}/attachments`.
pub(crate) async fn to_order(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<OrderId>,
    upload: Upload,
) -> PageResult {
    match attach(&state, &viewer, Subject::Order(id), upload).await? {
        None => Ok(Redirect::to(&format!("/orders/{id}#attachments")).into_response()),
        Some(refusal) => super::orders::show_with(&state, &viewer, id, Some(refusal)).await,
    }
}
