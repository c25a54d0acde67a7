//! The tenant's administration page: where a company admin finds users, API keys, webhooks and
//! the audit log, each its own page (and module); and the practice's details its documents print
//! (the letterhead), set here.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::CsrfForm;
use super::page::{Chrome, ConsoleError, FieldErrors, PageResult, refused, render};
use super::session::Viewer;
use crate::http::extract::ApiJson;
use crate::http::tenants::{SettingsInput, get_settings, put_settings};
use crate::state::AppState;
use ils_kernel::permissions::Action;

#[derive(Template)]
#[template(path = "console/settings.html")]
struct Settings {
    chrome: Chrome,
    /// What the tenant's documents print under its name.
    letterhead: LetterheadForm,
    /// Whether the viewer may change it (company admins).
    can_change: bool,
    /// The letterhead was just saved.
    saved: bool,
    errors: FieldErrors,
}

/// The letterhead form, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LetterheadForm {
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    contact_email: String,
}

async fn settings_page(state: &AppState, viewer: &Viewer, saved: bool) -> Result<Settings, ConsoleError> {
    let settings = get_settings(State(state.clone()), viewer.principal.clone()).await?.0;
    Ok(Settings {
        chrome: viewer.chrome.at("/settings"),
        letterhead: LetterheadForm {
            address: settings.address,
            phone: settings.phone.unwrap_or_default(),
            contact_email: settings.contact_email.unwrap_or_default(),
        },
        can_change: viewer.principal.may(Action::SettingsManage),
        saved,
        errors: FieldErrors::default(),
    })
}

/// `GET /settings`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(query): axum::extract::Query<Saved>,
) -> PageResult {
    Ok(render(&settings_page(&state, &viewer, query.saved.is_some()).await?))
}

/// `?saved` after the letterhead was changed.
#[derive(Debug, Deserialize)]
pub(crate) struct Saved {
    saved: Option<String>,
}

/// `POST /settings/letterhead`: saves the practice's address, phone and e-mail for its documents.
pub(crate) async fn save_letterhead(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<LetterheadForm>,
) -> PageResult {
    let blank_is_none = |text: &str| Some(Some(text.trim().to_owned()).filter(|t| !t.is_empty()));
    let input = SettingsInput {
        rx_steps: None,
        address: Some(form.address.clone()),
        phone: blank_is_none(&form.phone),
        contact_email: blank_is_none(&form.contact_email),
    };
    match put_settings(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await {
        Ok(_) => Ok(Redirect::to("/settings?saved").into_response()),
        Err(error) => {
            let page = settings_page(&state, &viewer, false).await?;
            refused(error, |errors| Settings { errors, letterhead: form, ..page })
        }
    }
}

/// A page showing a secret this once: not kept by the browser's cache or shown again from history.
pub(crate) fn no_store(mut page: Response) -> Response {
    page.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    page
}
