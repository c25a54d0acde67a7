//! Recalls in the console (docs/adr/044-recalls.md): the practice's due list — who is due, what
//! the last notice was (a letter to post stands out), who has booked — and a patient's recall,
//! with the notices sent and, for clinicians, a date set by hand.
//!
//! Every page calls the recall API's handlers, so it is allowed, refused and audited exactly as
//! the same request to the API would be.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::CsrfForm;
use super::page::{Chrome, FieldErrors, PageResult, refused, render};
use super::session::Viewer;
use crate::http::clinical::patients::get_patient;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::recalls::{DueQuery, RecallInput, due_list, get_recall, set_recall};
use crate::state::AppState;
use ils_clinical::patients::Patient;
use ils_diary::appointments::{local_day, local_time};
use ils_diary::recalls::{Basis, DueEntry, Outcome, Recall, RecallNotice};
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_storage::ids::PatientId;
use ils_storage::types::Timestamp;

/// `?through=YYYY-MM-DD`; four weeks from today when absent.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DueForm {
    #[serde(default)]
    through: String,
}

#[derive(Template)]
#[template(path = "console/recalls.html")]
struct Due {
    chrome: Chrome,
    through: String,
    entries: Vec<DueEntry>,
    may_book: bool,
}

impl Due {
    fn last(&self, e: &DueEntry) -> String {
        match (e.last_stage, e.last_outcome) {
            (Some(stage), Some(outcome)) => format!("{}: {}", stage.words(), outcome_words(outcome)),
            _ => "None yet".to_owned(),
        }
    }

    fn to_post(&self, e: &DueEntry) -> bool {
        e.last_outcome == Some(Outcome::ToPost)
    }

    fn booked(&self, e: &DueEntry) -> Option<String> {
        e.booked_for.map(moment)
    }
}

fn moment(at: Timestamp) -> String {
    format!("{} {}", local_day(at), local_time(at))
}

fn outcome_words(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Queued => "sent",
        Outcome::ToPost => "letter to post",
        Outcome::NoAddress => "not sent, no address for the chosen channel",
        Outcome::NoSmsProvider => "not sent, no text-message provider",
    }
}

fn basis_words(basis: Basis) -> &'static str {
    match basis {
        Basis::Age => "the usual interval for their age",
        Basis::Clinician => "the clinician's period",
        Basis::Date => "a date set by hand",
    }
}

/// `GET /recalls?through=`.
pub(crate) async fn due(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<DueForm>,
) -> PageResult {
    let through = super::page::given(&form.through);
    let query = DueQuery { through: through.clone() };
    let entries = due_list(State(state), viewer.principal.clone(), ApiQuery(query)).await?.0;
    Ok(render(&Due {
        chrome: viewer.chrome.at("/recalls"),
        through: through.unwrap_or_default(),
        entries,
        may_book: viewer.principal.may(Action::DiaryBook),
    }))
}

/// A recall date as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RecallForm {
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "console/patient_recall.html")]
struct PatientRecall {
    chrome: Chrome,
    patient: Patient,
    recall: Option<Recall>,
    may_set: bool,
    form: RecallForm,
    errors: FieldErrors,
}

impl PatientRecall {
    fn basis(&self, recall: &Recall) -> &'static str {
        basis_words(recall.basis)
    }

    fn notice(&self, n: &RecallNotice) -> String {
        format!("{} by {}: {}", n.stage.words(), n.channel, outcome_words(n.outcome))
    }

    fn when(&self, n: &RecallNotice) -> String {
        moment(n.created_at)
    }
}

async fn recall_page(
    state: &AppState,
    viewer: &Viewer,
    id: PatientId,
    form: RecallForm,
) -> Result<PatientRecall, super::page::ConsoleError> {
    let patient = get_patient(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await?.0;
    let recall = match get_recall(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await {
        Ok(recall) => Some(recall.0),
        Err(error) if matches!(error.0, Error::NotFound("recall")) => None,
        Err(error) => return Err(error.into()),
    };
    Ok(PatientRecall {
        chrome: viewer.chrome.at("/patients"),
        may_set: viewer.principal.may(Action::ExaminationsWrite) && patient.deleted_at.is_none(),
        patient,
        recall,
        form,
        errors: FieldErrors::default(),
    })
}

/// `GET /patients/{id}/recall`.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PatientId>,
) -> PageResult {
    Ok(render(&recall_page(&state, &viewer, id, RecallForm::default()).await?))
}

/// `POST /patients/{id}/recall`.
pub(crate) async fn set(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PatientId>,
    CsrfForm(form): CsrfForm<RecallForm>,
) -> PageResult {
    let input = RecallInput { due_on: form.due_on.trim().to_owned(), reason: form.reason.clone() };
    match set_recall(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(input)).await {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}/recall")).into_response()),
        Err(error) => {
            let page = recall_page(&state, &viewer, id, form).await?;
            refused(error, |errors| PatientRecall { errors, ..page })
        }
    }
}
