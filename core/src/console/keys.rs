//! A tenant's API keys: the list, creating one with the actions it may do (its secret shown on
//! the page that follows, once), and revoking one.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::{Csrf, CsrfForm};
use super::page::{Chrome, FieldErrors, PageResult, render};
use super::page::{given, refused};
use super::session::Viewer;
use super::settings::no_store;
use crate::http::auth::api_keys::{ApiKey, CreatedApiKey, NewApiKey, create_key, list_keys, revoke_key};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_kernel::page::PageQuery;
use ils_kernel::permissions::Action;
use ils_storage::ids::ApiKeyId;

#[derive(Template)]
#[template(path = "console/api_keys.html")]
struct Keys {
    chrome: Chrome,
    keys: Vec<ApiKey>,
    form: KeyForm,
    errors: FieldErrors,
    /// The key just created, with its secret: shown on this page only.
    created: Option<CreatedApiKey>,
}

impl Keys {
    fn actions(&self) -> &'static [Action] {
        Action::ALL
    }

    fn chosen(&self, action: &Action) -> bool {
        self.form.scopes.contains(action)
    }

    fn scopes(&self, key: &ApiKey) -> String {
        key.scopes.iter().map(Action::as_str).collect::<Vec<_>>().join(", ")
    }
}

/// The new-key form, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct KeyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scopes: Vec<Action>,
    #[serde(default)]
    expires_in_days: String,
}

impl KeyForm {
    fn input(&self) -> Result<NewApiKey, Error> {
        let expires_in_days = given(&self.expires_in_days)
            .map(|days| {
                days.parse::<u32>().map_err(|_| {
                    Error::invalid_field("expires_in_days", "must be a whole number of days, 1–3650")
                })
            })
            .transpose()?;
        Ok(NewApiKey { name: self.name.clone(), scopes: self.scopes.clone(), expires_in_days })
    }
}

async fn keys_page(state: &AppState, viewer: &Viewer) -> Result<Keys, super::ConsoleError> {
    let query = PageQuery { cursor: None, limit: Some(200) };
    let keys = list_keys(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0.items;
    Ok(Keys {
        chrome: viewer.chrome.at("/settings"),
        keys,
        form: KeyForm::default(),
        errors: FieldErrors::default(),
        created: None,
    })
}

/// `GET /api-keys`.
pub(crate) async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&keys_page(&state, &viewer).await?))
}

/// `POST /api-keys`: creates the key and shows its secret this once.
pub(crate) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<KeyForm>,
) -> PageResult {
    let outcome = match form.input() {
        Ok(input) => create_key(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await,
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok((_, created)) => {
            let page = keys_page(&state, &viewer).await?;
            Ok(no_store(render(&Keys { created: Some(created.0), ..page })))
        }
        Err(error) => {
            let page = keys_page(&state, &viewer).await?;
            refused(error, |errors| Keys { errors, form, ..page })
        }
    }
}

/// `POST /api-keys/{id}/revoke`: the key stops working at once.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<ApiKeyId>,
    _: Csrf,
) -> PageResult {
    revoke_key(State(state), viewer.principal, ApiPath(key)).await?;
    Ok(Redirect::to("/api-keys").into_response())
}
