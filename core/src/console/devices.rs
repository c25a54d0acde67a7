//! Devices on site: the practice's or lab's devices that its bridge connects (whether each is
//! connected now, and which examination a refractor's readings fill), registering one (company
//! admins), and a device's log. An examination's page points a refractor at itself.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::examinations::{Driver, drivers};
use super::form::CsrfForm;
use super::page::{Chrome, FieldErrors, PageResult, refused, render};
use super::session::Viewer;
use crate::http::bridge::{
    DeviceExaminationInput, DeviceInput, DeviceLogLine, DeviceView, device_log, list_devices,
    register_device, set_device_examination,
};
use crate::http::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_storage::ids::ExaminationId;

#[derive(Template)]
#[template(path = "console/devices.html")]
struct Devices {
    chrome: Chrome,
    devices: Vec<DeviceView>,
    /// Drivers the tenant runs, offered when registering; empty for those who may not register.
    drivers: Vec<Driver>,
    form: DeviceForm,
    errors: FieldErrors,
}

/// The register form, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DeviceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    plugin: String,
    #[serde(default)]
    model: String,
}

async fn devices_page(state: &AppState, viewer: &Viewer) -> Result<Devices, super::ConsoleError> {
    let devices = list_devices(State(state.clone()), viewer.principal.clone()).await?.0;
    let drivers = if viewer.principal.may(Action::DevicesManage) {
        drivers(state, viewer, "equipment-driver").await?
    } else {
        Vec::new()
    };
    Ok(Devices {
        chrome: viewer.chrome.at("/settings"),
        devices,
        drivers,
        form: DeviceForm::default(),
        errors: FieldErrors::default(),
    })
}

/// `GET /devices`.
pub(crate) async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&devices_page(&state, &viewer).await?))
}

/// `POST /devices`: registers a device for the site's bridge to connect.
pub(crate) async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<DeviceForm>,
) -> PageResult {
    let input = DeviceInput {
        name: form.name.trim().to_owned(),
        plugin: form.plugin.trim().to_owned(),
        model: form.model.trim().to_owned(),
    };
    match register_device(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await {
        Ok(_) => Ok(Redirect::to("/devices").into_response()),
        Err(error) => {
            let page = devices_page(&state, &viewer).await?;
            refused(error, |errors| Devices { errors, form, ..page })
        }
    }
}

#[derive(Template)]
#[template(path = "console/device.html")]
struct Log {
    chrome: Chrome,
    name: String,
    lines: Vec<DeviceLogLine>,
}

/// `GET /devices/{name}`: what the device's sessions did, newest first.
pub(crate) async fn log(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> PageResult {
    let lines = device_log(State(state), viewer.principal, ApiPath(name.clone())).await?.0;
    Ok(render(&Log { chrome: viewer.chrome.at("/settings"), name, lines }))
}

/// The examination page's choice of device.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PointForm {
    #[serde(default)]
    device: String,
    /// `stop`: the device's readings go nowhere from now on.
    #[serde(default)]
    action: String,
}

/// `POST /examinations/{id}/device`: the chosen device's readings fill this examination (or, with
/// `action=stop`, no longer do).
pub(crate) async fn point(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ExaminationId>,
    CsrfForm(form): CsrfForm<PointForm>,
) -> PageResult {
    let examination_id = (form.action != "stop").then_some(id);
    let input = DeviceExaminationInput { examination_id };
    let device = form.device.trim().to_owned();
    match set_device_examination(
        State(state.clone()),
        viewer.principal.clone(),
        ApiPath(device),
        ApiJson(input),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/examinations/{id}")).into_response()),
        Err(error) => super::examinations::refused_on_page(&state, &viewer, id, error).await,
    }
}
