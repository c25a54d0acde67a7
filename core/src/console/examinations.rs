//! Examinations: entry with the refraction checked as it is typed, the examination's page,
//! import of the refraction from a device driver, finalising, and prescribing from it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::CsrfForm;
use super::page::{Chrome, FieldErrors, PageResult, render};
use super::page::{given, millimetres, refused};
use super::patients::Eyes;
use super::session::Viewer;
use crate::http::bridge::{DeviceView, list_devices};
use crate::http::clinical::examinations::{
    ExaminationInput, FinaliseQuery, PrescribeInput, RefractionInput, finalise_examination, get_examination,
    prescribe, record_examination,
};
use crate::http::clinical::patients::get_patient;
use crate::http::devices::{Encoding, ReadingInput, read_refraction};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::plugins::list_plugins;
use crate::state::AppState;
use ils_clinical::examinations::{Examination, Pair, PupillaryDistance};
use ils_clinical::patients::Patient;
use ils_clinical::prescriptions::{EyeView, RxKind};
use ils_clinical::rx::{CylinderForm, Eye};
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_storage::ids::{ExaminationId, PatientId};

/// The examination form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ExaminationForm {
    #[serde(default)]
    examined_on: String,
    #[serde(default, rename = "visual_acuity.right")]
    va_right: String,
    #[serde(default, rename = "visual_acuity.left")]
    va_left: String,
    #[serde(default, rename = "iop_mmhg.right")]
    iop_right: String,
    #[serde(default, rename = "iop_mmhg.left")]
    iop_left: String,
    #[serde(flatten)]
    eyes: Eyes,
    #[serde(default, rename = "pd.distance_mm")]
    pd: String,
    #[serde(default, rename = "pd.right_mm")]
    pd_right: String,
    #[serde(default, rename = "pd.left_mm")]
    pd_left: String,
    #[serde(default, rename = "pd.near_mm")]
    near_pd: String,
    #[serde(default)]
    notes: String,
}

fn pair<T>(right: Option<T>, left: Option<T>) -> Option<Pair<T>> {
    (right.is_some() || left.is_some()).then_some(Pair { right, left })
}

fn whole(field: &str, value: &str) -> Result<Option<i32>, Error> {
    given(value)
        .map(|v| v.parse().map_err(|_| Error::invalid_field(field, "must be a whole number of mmHg")))
        .transpose()
}

impl ExaminationForm {
    fn input(&self) -> Result<ExaminationInput, Error> {
        let refraction = if self.eyes.is_blank() {
            None
        } else {
            Some(RefractionInput {
                right: self.eyes.eye(Eye::Right).input("right")?,
                left: self.eyes.eye(Eye::Left).input("left")?,
            })
        };
        Ok(ExaminationInput {
            examined_on: self.examined_on.trim().to_owned(),
            visual_acuity: pair(given(&self.va_right), given(&self.va_left)),
            iop_mmhg: pair(
                whole("iop_mmhg.right", &self.iop_right)?,
                whole("iop_mmhg.left", &self.iop_left)?,
            ),
            refraction,
            notes: given(&self.notes),
            pd: Some(PupillaryDistance {
                distance_mm: millimetres("pd.distance_mm", &self.pd)?,
                right_mm: millimetres("pd.right_mm", &self.pd_right)?,
                left_mm: millimetres("pd.left_mm", &self.pd_left)?,
                near_mm: millimetres("pd.near_mm", &self.near_pd)?,
                working_distance_cm: None,
            }),
        })
    }
}

#[derive(Template)]
#[template(path = "console/examination_new.html")]
struct NewExamination {
    chrome: Chrome,
    patient: Patient,
    form: ExaminationForm,
    errors: FieldErrors,
}

/// `GET /patients/{id}/examinations/new`.
pub(crate) async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PatientId>,
) -> PageResult {
    viewer.tenant(Action::ExaminationsWrite)?;
    let patient = get_patient(State(state), viewer.principal, ApiPath(id)).await?.0;
    let form =
        ExaminationForm { examined_on: ils_clinical::today().to_string(), ..ExaminationForm::default() };
    Ok(render(&NewExamination {
        chrome: viewer.chrome.at("/patients"),
        patient,
        form,
        errors: FieldErrors::default(),
    }))
}

/// `POST /patients/{id}/examinations`: records the draft and shows it.
pub(crate) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PatientId>,
    CsrfForm(form): CsrfForm<ExaminationForm>,
) -> PageResult {
    let outcome = match form.input() {
        Ok(input) => {
            record_examination(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(input))
                .await
                .map(|(_, exam)| exam.0)
        }
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok(exam) => Ok(Redirect::to(&format!("/examinations/{}", exam.id)).into_response()),
        Err(error) => {
            let patient = get_patient(State(state), viewer.principal, ApiPath(id)).await?.0;
            let chrome = viewer.chrome.at("/patients");
            refused(error, |errors| NewExamination { chrome, patient, form, errors })
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CheckQuery {
    side: String,
}

/// `GET /check/eye?side=right&right.sphere=…`: one eye's refraction checked as it is typed, as an
/// HTML fragment that replaces the eye's status line (htmx). Reads and changes nothing.
pub(crate) async fn check_eye(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(side): Query<CheckQuery>,
    Query(eyes): Query<Eyes>,
) -> Result<Response, super::ConsoleError> {
    let ctx = viewer.tenant(Action::PatientsRead)?;
    let (eye, name) = if side.side == "left" { (Eye::Left, "left") } else { (Eye::Right, "right") };
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let steps = ils_tenancy::tenants::settings(&mut tx).await?.rx_steps.into();
    tx.commit().await?;
    let typed = eyes.eye(eye);
    let line = if typed.is_blank() {
        "Not entered yet.".to_owned()
    } else {
        match typed.input(name).and_then(|input| input.rx(eye, steps)) {
            Ok(rx) => format!("Reads {}", EyeView::of(&rx, eye, CylinderForm::Minus).written),
            Err(error) => FieldErrors::from_error(&error).summary.unwrap_or_default(),
        }
    };
    let fragment = CheckLine { name, line };
    Ok(Html(fragment.render().map_err(|e| Error::Internal(e.to_string()))?).into_response())
}

#[derive(Template)]
#[template(
    source = r#"<p id="{{ name }}-check" class="hint" role="status" aria-live="polite">{{ line }}</p>"#,
    ext = "html"
)]
struct CheckLine<'a> {
    name: &'a str,
    line: String,
}

/// An enabled equipment driver the examination may import from.
pub(crate) struct Driver {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "console/examination.html")]
struct Show {
    chrome: Chrome,
    exam: Examination,
    drivers: Vec<Driver>,
    /// The tenant's devices on site, for a refractor's readings to fill this examination.
    devices: Vec<DeviceView>,
    import: ImportForm,
    prescription: PrescribeForm,
    /// What the driver skipped in the reading just imported.
    warnings: Vec<String>,
    errors: FieldErrors,
}

impl Show {
    /// The devices whose readings fill this examination.
    fn pointed_here(&self) -> Vec<&DeviceView> {
        let id = self.exam.id.to_string();
        self.devices.iter().filter(|d| d.examination_id.as_deref() == Some(id.as_str())).collect()
    }
}

/// The tenant's enabled plugins that provide `point` (`equipment-driver`), if the viewer may use
/// plugins.
pub(crate) async fn drivers(
    state: &AppState,
    viewer: &Viewer,
    point: &str,
) -> Result<Vec<Driver>, super::ConsoleError> {
    if !viewer.principal.may(Action::PluginsUse) {
        return Ok(Vec::new());
    }
    let catalogue = list_plugins(State(state.clone()), viewer.principal.clone()).await?.0;
    Ok(catalogue
        .into_iter()
        .filter(|entry| {
            entry.enablement.as_ref().is_some_and(|e| {
                e.enabled
                    && entry
                        .versions
                        .iter()
                        .any(|v| v.version == e.version && v.provides.iter().any(|p| p == point))
            })
        })
        .map(|entry| Driver { id: entry.id, name: entry.name })
        .collect())
}

async fn show_page(
    state: &AppState,
    viewer: &Viewer,
    id: ExaminationId,
) -> Result<Show, super::ConsoleError> {
    let exam = get_examination(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await?.0;
    // The monocular PDs measured at the examination start the prescription's.
    let mm = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let prescription = PrescribeForm {
        pd_right_mm: mm(exam.pd.right_mm),
        pd_left_mm: mm(exam.pd.left_mm),
        ..PrescribeForm::default()
    };
    Ok(Show {
        chrome: viewer.chrome.at("/patients"),
        exam,
        drivers: drivers(state, viewer, "equipment-driver").await?,
        devices: if viewer.principal.may(Action::PluginsUse) {
            list_devices(State(state.clone()), viewer.principal.clone()).await?.0
        } else {
            Vec::new()
        },
        import: ImportForm::default(),
        prescription,
        warnings: Vec::new(),
        errors: FieldErrors::default(),
    })
}

/// `GET /examinations/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ExaminationId>,
) -> PageResult {
    Ok(render(&show_page(&state, &viewer, id).await?))
}

/// The examination's page again, with `error` shown on it.
pub(crate) async fn refused_on_page(
    state: &AppState,
    viewer: &Viewer,
    id: ExaminationId,
    error: crate::http::problem::ApiError,
) -> PageResult {
    let page = show_page(state, viewer, id).await?;
    refused(error, |errors| Show { errors, ..page })
}

/// A device's output to import, as pasted or typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ImportForm {
    #[serde(default)]
    plugin: String,
    #[serde(default)]
    device: String,
    #[serde(default)]
    data: String,
}

/// `POST /examinations/{id}/device-readings`: the driver reads the output; its refraction and
/// PDs become the examination's, and what it skipped is shown on the page.
pub(crate) async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ExaminationId>,
    CsrfForm(form): CsrfForm<ImportForm>,
) -> PageResult {
    let input = ReadingInput {
        plugin: form.plugin.trim().to_owned(),
        device: form.device.trim().to_owned(),
        data: form.data.clone(),
        encoding: Encoding::Text,
    };
    match read_refraction(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(input)).await {
        Ok(axum::Json(reading)) if reading.warnings.is_empty() => {
            Ok(Redirect::to(&format!("/examinations/{id}")).into_response())
        }
        Ok(axum::Json(reading)) => {
            let page = show_page(&state, &viewer, id).await?;
            Ok(render(&Show { warnings: reading.warnings, ..page }))
        }
        Err(error) => {
            let page = show_page(&state, &viewer, id).await?;
            refused(error, |errors| Show { errors, import: form, ..page })
        }
    }
}

/// Finalising: the recall period chosen (blank: the default for the patient's age).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FinaliseForm {
    #[serde(default)]
    recall_months: String,
}

/// `POST /examinations/{id}/finalise`.
pub(crate) async fn finalise(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ExaminationId>,
    CsrfForm(form): CsrfForm<FinaliseForm>,
) -> PageResult {
    let recall_months = match super::page::number("recall_months", &form.recall_months) {
        Ok(months) => months,
        Err(error) => {
            let page = show_page(&state, &viewer, id).await?;
            return refused(error.into(), |errors| Show { errors, ..page });
        }
    };
    let query = ApiQuery(FinaliseQuery { recall_months });
    match finalise_examination(State(state.clone()), viewer.principal.clone(), ApiPath(id), query).await {
        Ok(_) => Ok(Redirect::to(&format!("/examinations/{id}")).into_response()),
        Err(error) => {
            let page = show_page(&state, &viewer, id).await?;
            refused(error, |errors| Show { errors, ..page })
        }
    }
}

/// Prescribing from a final examination.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PrescribeForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    prescriber: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    pd_right_mm: String,
    #[serde(default)]
    pd_left_mm: String,
}

/// `POST /examinations/{id}/prescribe`: the refraction becomes a prescription on the record.
pub(crate) async fn prescribe_from(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ExaminationId>,
    CsrfForm(form): CsrfForm<PrescribeForm>,
) -> PageResult {
    let input = (|| {
        Ok::<_, Error>(PrescribeInput {
            kind: if form.kind == "contact_lenses" { RxKind::ContactLenses } else { RxKind::Spectacles },
            prescriber: form.prescriber.trim().to_owned(),
            expires_on: given(&form.expires_on),
            pd_right_mm: millimetres("pd_right_mm", &form.pd_right_mm)?,
            pd_left_mm: millimetres("pd_left_mm", &form.pd_left_mm)?,
        })
    })();
    let outcome = match input {
        Ok(input) => prescribe(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(input))
            .await
            .map(|(_, rx)| rx.0),
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok(rx) => Ok(Redirect::to(&format!("/patients/{}", rx.patient_id)).into_response()),
        Err(error) => {
            let page = show_page(&state, &viewer, id).await?;
            refused(error, |errors| Show { errors, prescription: form, ..page })
        }
    }
}
