//! The privacy parts of a patient's page (docs/adr/039): the consents with their history and a
//! form to record a change, the subject-access exports with a button to make one, and the page a
//! restricted record shows instead of the record. Everything goes through the API's handlers, so
//! it is authorised and audited as over the API.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::Csrf;
use super::page::{Chrome, FieldErrors, PageResult, render};
use super::session::Viewer;
use crate::http::extract::ApiPath;
use crate::http::privacy::{ConsentInput, create_export, list_exports, read_consents};
use crate::http::problem::ApiError;
use crate::state::AppState;
use ils_clinical::consent::{ConsentChoice, ConsentKind, ConsentSource, Consents};
use ils_kernel::error::Error;
use ils_privacy::export::PatientExport;
use ils_storage::ids::PatientId;
use ils_tenancy::auth::Principal;

/// The consent form as typed: the choice names its kind (each choice belongs to one).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConsentForm {
    #[serde(default)]
    pub choice: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub wording: String,
}

impl ConsentForm {
    pub(crate) fn input(&self) -> Result<ConsentInput, Error> {
        let choice: ConsentChoice = self
            .choice
            .parse()
            .map_err(|_| Error::invalid_field("choice", "choose what the patient chose"))?;
        let kind = [ConsentKind::Marketing, ConsentKind::RecallChannel]
            .into_iter()
            .find(|k| choice.fits(*k))
            .unwrap_or(ConsentKind::Marketing);
        let source: ConsentSource =
            self.source.parse().map_err(|_| Error::invalid_field("source", "choose how it was given"))?;
        Ok(ConsentInput { kind, choice, wording: self.wording.clone(), source })
    }
}

/// The privacy section of a readable record.
pub(crate) struct Section {
    pub consents: Consents,
    pub exports: Vec<PatientExport>,
    pub form: ConsentForm,
    pub errors: FieldErrors,
}

impl Section {
    /// The section for patient `id`, read as `principal`.
    pub(crate) async fn load(
        state: &AppState,
        principal: &Principal,
        id: PatientId,
    ) -> Result<Self, ApiError> {
        let consents = read_consents(State(state.clone()), principal.clone(), ApiPath(id)).await?.0;
        let exports = list_exports(State(state.clone()), principal.clone(), ApiPath(id)).await?.0;
        Ok(Self { consents, exports, form: ConsentForm::default(), errors: FieldErrors::default() })
    }

    /// The choices the form offers: (value, words, kind in words).
    pub fn choices(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        vec![
            ("granted", "Agrees to marketing", "Marketing"),
            ("withdrawn", "No marketing", "Marketing"),
            ("email", "Recall by e-mail", "Recall"),
            ("sms", "Recall by text message", "Recall"),
            ("post", "Recall by post", "Recall"),
            ("none", "No recall reminders", "Recall"),
        ]
    }

    /// The ways a choice is given: (value, words).
    pub fn sources(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("in_person", "In person"),
            ("phone", "On the telephone"),
            ("paper_form", "Signed paper form"),
            ("email", "By e-mail"),
            ("online", "Online"),
        ]
    }
}

/// Whether a refusal is a restricted record.
pub(crate) fn is_restricted(error: &ApiError) -> bool {
    matches!(&error.0, Error::Forbidden { code: "patient_restricted", .. })
}

#[derive(Template)]
#[template(path = "console/patient_restricted.html")]
struct Restricted {
    chrome: Chrome,
    id: PatientId,
    message: String,
    exports: Vec<PatientExport>,
}

/// The page of a restricted record: why, and for company admins its exports and a button to make
/// one (the only way a restricted record is still read).
pub(crate) async fn restricted(
    state: AppState,
    viewer: Viewer,
    id: PatientId,
    error: ApiError,
) -> PageResult {
    let message = match &error.0 {
        Error::Forbidden { message, .. } => message.clone(),
        other => other.to_string(),
    };
    let exports = if viewer.chrome.is_admin() {
        list_exports(State(state), viewer.principal, ApiPath(id)).await?.0
    } else {
        Vec::new()
    };
    let chrome = viewer.chrome.at("/patients");
    let mut response = render(&Restricted { chrome, id, message, exports });
    *response.status_mut() = StatusCode::FORBIDDEN;
    Ok(response)
}

/// `POST /patients/{id}/exports`: makes a subject-access export and goes back to the record,
/// where it is listed for download.
pub(crate) async fn add_export(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PatientId>,
    _: Csrf,
) -> PageResult {
    let _ = create_export(State(state), viewer.principal, ApiPath(id)).await?;
    Ok(Redirect::to(&format!("/patients/{id}#privacy")).into_response())
}
