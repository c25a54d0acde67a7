//! Patients: search, registration, the record (details, prescriptions in either cylinder form,
//! examinations, orders) and recording a prescription. Every read goes through the API's
//! handler, so it is audited exactly as an API read is.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use ils_kernel::permissions::Action;
use serde::Deserialize;

use super::form::CsrfForm;
use super::page::{Chrome, FieldErrors, PageResult, given, millimetres, refused, render, render_with};
use super::session::Viewer;
use crate::http::clinical::patients::{
    PatientInput, PatientQuery, create_patient, get_patient, search_patients,
};
use crate::http::clinical::prescriptions::{
    EyeInput, FormQuery, PrescriptionInput, list_prescriptions, record_prescription,
};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::orders::{OrderQuery, list_orders};
use crate::state::AppState;
use ils_clinical::examinations::Examination;
use ils_clinical::patients::Patient;
use ils_clinical::prescriptions::{PrescriptionView, RxKind};
use ils_clinical::rx::{CylinderForm, Eye};
use ils_orders::Order;
use ils_storage::ids::PatientId;

#[derive(Template)]
#[template(path = "console/patients.html")]
struct List {
    chrome: Chrome,
    q: String,
    patients: Vec<Patient>,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchForm {
    #[serde(default)]
    q: String,
}

/// `GET /patients?q=`: search by the start of a name (the newest 50 without one).
pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(search): Query<SearchForm>,
) -> PageResult {
    let query = PatientQuery { name: given(&search.q), limit: Some(50), ..PatientQuery::default() };
    let chrome = viewer.chrome.at("/patients");
    match search_patients(State(state), viewer.principal, ApiQuery(query)).await {
        Ok(found) => {
            Ok(render(&List { chrome, q: search.q, patients: found.0.items, errors: FieldErrors::default() }))
        }
        Err(error) if matches!(error.0, ils_kernel::error::Error::Invalid { .. }) => {
            let errors = FieldErrors::from_error(&error.0);
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &List { chrome, q: search.q, patients: Vec::new(), errors },
            ))
        }
        Err(error) => Err(error.into()),
    }
}

/// The registration form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PatientForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    nhs_number: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    medical_notes: String,
}

impl PatientForm {
    fn input(&self) -> PatientInput {
        PatientInput {
            customer_number: None,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            date_of_birth: self.date_of_birth.clone(),
            nhs_number: given(&self.nhs_number),
            email: given(&self.email),
            phone: given(&self.phone),
            address: given(&self.address),
            postcode: given(&self.postcode),
            medical_notes: given(&self.medical_notes),
        }
    }
}

#[derive(Template)]
#[template(path = "console/patient_new.html")]
struct NewPatient {
    chrome: Chrome,
    form: PatientForm,
    errors: FieldErrors,
}

/// `GET /patients/new`.
pub(crate) async fn new_form(viewer: Viewer) -> PageResult {
    let chrome = viewer.chrome.at("/patients");
    Ok(render(&NewPatient { chrome, form: PatientForm::default(), errors: FieldErrors::default() }))
}

/// `POST /patients`: registers the patient and shows the record; errors go back to the form.
pub(crate) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<PatientForm>,
) -> PageResult {
    let chrome = viewer.chrome.at("/patients");
    match create_patient(State(state), viewer.principal, ApiJson(form.input())).await {
        Ok((_, patient)) => Ok(Redirect::to(&format!("/patients/{}", patient.0.id)).into_response()),
        Err(error) => refused(error, |errors| NewPatient { chrome, form, errors }),
    }
}

#[derive(Template)]
#[template(path = "console/patient.html")]
struct Record {
    chrome: Chrome,
    patient: Patient,
    form: CylinderForm,
    prescriptions: Vec<PrescriptionView>,
    examinations: Vec<Examination>,
    orders: Vec<Order>,
    privacy: super::privacy::Section,
    /// Files attached to the record, newest first.
    attachments: Vec<ils_files::attachments::Attachment>,
    /// Whether the viewer may attach files (changes the record).
    can_attach: bool,
    /// Why the last upload was refused.
    attachment_error: Option<String>,
    /// Whether the viewer may book the patient an appointment.
    can_book: bool,
    can_sell: bool,
}

impl Record {
    fn attachments_target(&self) -> String {
        format!("/patients/{}/attachments", self.patient.id)
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RecordQuery {
    cylinder_form: Option<CylinderForm>,
}

/// `GET /patients/{id}`: the record, read (and audited) through the API's handlers; a restricted
/// record shows why instead.
pub(crate) async fn record(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PatientId>,
    Query(query): Query<RecordQuery>,
) -> PageResult {
    record_page(state, viewer, id, query.cylinder_form.unwrap_or_default(), None, None).await
}

/// The record with why an upload was refused (answered 422).
pub(crate) async fn record_with(
    state: &AppState,
    viewer: Viewer,
    id: PatientId,
    attachment_error: Option<String>,
) -> PageResult {
    record_page(state.clone(), viewer, id, CylinderForm::default(), None, attachment_error).await
}

/// The record page, with the consent form as typed and its errors when a change was refused, or
/// why an upload was refused.
pub(crate) async fn record_page(
    state: AppState,
    viewer: Viewer,
    id: PatientId,
    form: CylinderForm,
    consent: Option<(super::privacy::ConsentForm, FieldErrors)>,
    attachment_error: Option<String>,
) -> PageResult {
    let principal = viewer.principal.clone();
    let patient = match get_patient(State(state.clone()), principal.clone(), ApiPath(id)).await {
        Ok(patient) => patient.0,
        Err(error) if super::privacy::is_restricted(&error) => {
            return super::privacy::restricted(state, viewer, id, error).await;
        }
        Err(error) => return Err(error.into()),
    };
    let rx_query = FormQuery { cylinder_form: Some(form) };
    let prescriptions =
        list_prescriptions(State(state.clone()), principal.clone(), ApiPath(id), ApiQuery(rx_query)).await?.0;
    let examinations = crate::http::clinical::examinations::list_examinations(
        State(state.clone()),
        principal.clone(),
        ApiPath(id),
    )
    .await?
    .0;
    let mut privacy = super::privacy::Section::load(&state, &principal, id).await?;
    let status = match consent {
        Some((typed, errors)) => {
            (privacy.form, privacy.errors) = (typed, errors);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        None => StatusCode::OK,
    };
    let order_query = OrderQuery { patient_id: Some(id), limit: Some(50), ..OrderQuery::default() };
    let orders = list_orders(State(state.clone()), principal.clone(), ApiQuery(order_query)).await?.0.items;
    let attachments =
        crate::http::attachments::patient_attachments(State(state.clone()), principal.clone(), ApiPath(id))
            .await?
            .0;
    let can_attach = principal.may(Action::PatientsWrite) && patient.deleted_at.is_none();
    let can_book = viewer.principal.may(Action::DiaryBook) && patient.deleted_at.is_none();
    let can_sell = viewer.principal.may(Action::SalesWrite) && patient.deleted_at.is_none();
    let chrome = viewer.chrome.at("/patients");
    let status = if attachment_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { status };
    let record = Record {
        chrome,
        patient,
        form,
        prescriptions,
        examinations,
        orders,
        privacy,
        attachments,
        can_attach,
        attachment_error,
        can_book,
        can_sell,
    };
    Ok(render_with(status, &record))
}

/// One eye as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EyeForm {
    #[serde(default)]
    sphere: String,
    #[serde(default)]
    cylinder: String,
    #[serde(default)]
    axis: String,
    #[serde(default)]
    add: String,
}

impl EyeForm {
    /// One eye's fields as typed.
    pub(crate) fn new(sphere: &str, cylinder: &str, axis: &str, add: &str) -> Self {
        Self {
            sphere: sphere.to_owned(),
            cylinder: cylinder.to_owned(),
            axis: axis.to_owned(),
            add: add.to_owned(),
        }
    }

    /// Whether nothing was typed for the eye.
    pub(crate) fn is_blank(&self) -> bool {
        [&self.sphere, &self.cylinder, &self.axis, &self.add].iter().all(|v| v.trim().is_empty())
    }

    /// The API's input for the eye (`right` or `left`, naming its fields).
    pub(crate) fn input(&self, eye: &str) -> Result<EyeInput, ils_kernel::error::Error> {
        let axis = match given(&self.axis) {
            None => None,
            Some(a) => Some(a.parse::<i64>().map_err(|_| {
                ils_kernel::error::Error::invalid_field(
                    &format!("{eye}.axis"),
                    "must be a whole number of degrees, 1–180",
                )
            })?),
        };
        Ok(EyeInput {
            sphere: self.sphere.trim().to_owned(),
            cylinder: given(&self.cylinder),
            axis,
            add: given(&self.add),
            prism_horizontal: None,
            prism_vertical: None,
        })
    }
}

/// The prescription form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PrescriptionForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    issued_on: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    prescriber: String,
    #[serde(default)]
    notes: String,
    #[serde(flatten)]
    eyes: Eyes,
    #[serde(default)]
    pd_right_mm: String,
    #[serde(default)]
    pd_left_mm: String,
}

impl PrescriptionForm {
    fn input(&self) -> Result<PrescriptionInput, ils_kernel::error::Error> {
        let kind = if self.kind == "contact_lenses" { RxKind::ContactLenses } else { RxKind::Spectacles };
        Ok(PrescriptionInput {
            kind,
            right: self.eyes.eye(Eye::Right).input("right")?,
            left: self.eyes.eye(Eye::Left).input("left")?,
            pd_right_mm: millimetres("pd_right_mm", &self.pd_right_mm)?,
            pd_left_mm: millimetres("pd_left_mm", &self.pd_left_mm)?,
            issued_on: self.issued_on.trim().to_owned(),
            expires_on: given(&self.expires_on),
            prescriber: self.prescriber.trim().to_owned(),
            notes: given(&self.notes),
        })
    }
}

#[derive(Template)]
#[template(path = "console/prescription_new.html")]
struct NewPrescription {
    chrome: Chrome,
    patient: Patient,
    form: PrescriptionForm,
    errors: FieldErrors,
}

/// `GET /patients/{id}/prescriptions/new`.
pub(crate) async fn prescription_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PatientId>,
) -> PageResult {
    let patient = get_patient(State(state), viewer.principal, ApiPath(id)).await?.0;
    let form =
        PrescriptionForm { issued_on: ils_clinical::today().to_string(), ..PrescriptionForm::default() };
    let chrome = viewer.chrome.at("/patients");
    Ok(render(&NewPrescription { chrome, patient, form, errors: FieldErrors::default() }))
}

/// `POST /patients/{id}/prescriptions`: records it and goes back to the record.
pub(crate) async fn add_prescription(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PatientId>,
    CsrfForm(form): CsrfForm<PrescriptionForm>,
) -> PageResult {
    let chrome = viewer.chrome.at("/patients");
    let outcome = match form.input() {
        Ok(input) => {
            record_prescription(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(input))
                .await
                .map(|_| ())
        }
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/patients/{id}")).into_response()),
        Err(error) => {
            let patient = get_patient(State(state), viewer.principal, ApiPath(id)).await?.0;
            refused(error, |errors| NewPrescription { chrome, patient, form, errors })
        }
    }
}

/// Both eyes' refraction fields (`right.sphere`, …), shared by the form and the as-typed check.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Eyes {
    #[serde(default, rename = "right.sphere")]
    pub right_sphere: String,
    #[serde(default, rename = "right.cylinder")]
    pub right_cylinder: String,
    #[serde(default, rename = "right.axis")]
    pub right_axis: String,
    #[serde(default, rename = "right.add")]
    pub right_add: String,
    #[serde(default, rename = "left.sphere")]
    pub left_sphere: String,
    #[serde(default, rename = "left.cylinder")]
    pub left_cylinder: String,
    #[serde(default, rename = "left.axis")]
    pub left_axis: String,
    #[serde(default, rename = "left.add")]
    pub left_add: String,
}

impl Eyes {
    /// One eye's fields.
    pub fn eye(&self, eye: Eye) -> EyeForm {
        let (sphere, cylinder, axis, add) = match eye {
            Eye::Right => (&self.right_sphere, &self.right_cylinder, &self.right_axis, &self.right_add),
            Eye::Left => (&self.left_sphere, &self.left_cylinder, &self.left_axis, &self.left_add),
        };
        EyeForm::new(sphere, cylinder, axis, add)
    }

    /// The form field name of `part` of the `side` eye (`right.sphere`).
    pub fn name(&self, side: &str, part: &str) -> String {
        format!("{side}.{part}")
    }

    /// What was typed for `part` of the `side` eye.
    pub fn value(&self, side: &str, part: &str) -> &str {
        match (side, part) {
            ("right", "sphere") => &self.right_sphere,
            ("right", "cylinder") => &self.right_cylinder,
            ("right", "axis") => &self.right_axis,
            ("right", "add") => &self.right_add,
            ("left", "sphere") => &self.left_sphere,
            ("left", "cylinder") => &self.left_cylinder,
            ("left", "axis") => &self.left_axis,
            ("left", "add") => &self.left_add,
            _ => "",
        }
    }

    /// Whether neither eye has a sphere or cylinder typed.
    pub(crate) fn is_blank(&self) -> bool {
        [&self.right_sphere, &self.left_sphere, &self.right_cylinder, &self.left_cylinder]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

/// `POST /patients/{id}/consents`: records the change and goes back to the record; a refused
/// change shows the record again with the form's errors.
pub(crate) async fn add_consent(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PatientId>,
    CsrfForm(form): CsrfForm<super::privacy::ConsentForm>,
) -> PageResult {
    let outcome = match form.input() {
        Ok(input) => crate::http::privacy::record_consent(
            State(state.clone()),
            viewer.principal.clone(),
            ApiPath(id),
            ApiJson(input),
        )
        .await
        .map(|_| ()),
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/patients/{id}#consent")).into_response()),
        Err(error)
            if matches!(
                error.0,
                ils_kernel::error::Error::Invalid { .. } | ils_kernel::error::Error::BadRequest { .. }
            ) =>
        {
            let errors = FieldErrors::from_error(&error.0);
            record_page(state, viewer, id, Default::default(), Some((form, errors)), None).await
        }
        Err(error) => Err(error.into()),
    }
}
