//! Publishing plugins, for any signed-in user: the publishers they belong to (and creating one),
//! and a publisher's page — its signing keys (registering and revoking), its publishing tokens
//! for CI (the secret shown once), and every version it published with where its review stands,
//! the reviewer's reason, and yanking an approved version. Packages themselves are signed and
//! uploaded by `ils plugin publish` (ADR 022).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{Csrf, CsrfForm};
use super::page::{Chrome, ConsoleError, FieldErrors, PageResult, given, refused, render};
use super::session::Viewer;
use super::settings::no_store;
use crate::http::problem::ApiError;
use crate::http::registry::RegistryCaller;
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_publishing::{CreatedToken, PublishedVersion, Publisher, PublisherDetail};
use ils_storage::ids::PublisherTokenId;

fn caller(viewer: &Viewer) -> Result<RegistryCaller, ConsoleError> {
    Ok(RegistryCaller::user(&viewer.principal)?)
}

/// The new-publisher form, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewPublisherForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
}

#[derive(Template)]
#[template(path = "console/publishing.html")]
struct Publishers {
    chrome: Chrome,
    publishers: Vec<Publisher>,
    form: NewPublisherForm,
    errors: FieldErrors,
}

async fn publishers_page(state: &AppState, viewer: &Viewer) -> Result<Publishers, ConsoleError> {
    let publishers = ils_publishing::publishers(&state.db, &caller(viewer)?.actor).await?;
    Ok(Publishers {
        chrome: viewer.chrome.at("/publishing"),
        publishers,
        form: NewPublisherForm::default(),
        errors: FieldErrors::default(),
    })
}

/// `GET /publishing`.
pub(crate) async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&publishers_page(&state, &viewer).await?))
}

/// `POST /publishing`: creates a publisher with the viewer as its member.
pub(crate) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<NewPublisherForm>,
) -> PageResult {
    let caller = caller(&viewer)?;
    let slug = form.slug.trim();
    match ils_publishing::create_publisher(&state.db, &caller.audit, &caller.actor, slug, &form.name).await {
        Ok(publisher) => Ok(Redirect::to(&format!("/publishing/{}", publisher.slug)).into_response()),
        Err(error) => {
            let page = publishers_page(&state, &viewer).await?;
            refused(ApiError(error), |errors| Publishers { errors, form, ..page })
        }
    }
}

/// Which form on a publisher's page a refusal belongs to.
#[derive(Debug, Default, PartialEq, Eq)]
enum Failed {
    #[default]
    None,
    Key,
    Token,
    /// The yank of this plugin's version.
    Yank(String, String),
}

#[derive(Template)]
#[template(path = "console/publisher.html")]
struct PublisherPage {
    chrome: Chrome,
    publisher: PublisherDetail,
    /// The token just created, with its secret: shown on this page only.
    created: Option<CreatedToken>,
    /// What was typed into the refused form.
    typed: TypedForms,
    failed: Failed,
    errors: FieldErrors,
}

/// The publisher page's forms, as typed (refilled after a refusal).
#[derive(Debug, Default)]
struct TypedForms {
    key_name: String,
    public_key: String,
    token_name: String,
    expires_in_days: String,
    reason: String,
}

impl PublisherPage {
    /// The errors of `form`, if that is the one refused (the others show none).
    fn errors_of(&self, form: &str) -> Option<&FieldErrors> {
        let matches = match (&self.failed, form) {
            (Failed::Key, "key") | (Failed::Token, "token") => true,
            (Failed::Yank(plugin, version), _) => form == yank_form(plugin, version),
            _ => false,
        };
        matches.then_some(&self.errors)
    }

    /// The errors of a refused yank, whichever version it was.
    fn yank_errors(&self) -> Option<&FieldErrors> {
        matches!(self.failed, Failed::Yank(..)).then_some(&self.errors)
    }

    /// The message at `field` of `form`, if it was refused there.
    fn error(&self, form: &str, field: &str) -> Option<&str> {
        self.errors_of(form).and_then(|e| e.get(field))
    }

    /// The form name of a version's yank.
    fn yank_form(&self, version: &PublishedVersion) -> String {
        yank_form(&version.plugin_id, &version.version)
    }

    /// Whether a version can be yanked: approved and not yet yanked.
    fn yankable(&self, version: &PublishedVersion) -> bool {
        version.status == "approved" && version.yanked_at.is_none()
    }

    /// The reason typed into the refused yank form of `version`, if it was that one.
    fn typed_reason(&self, version: &PublishedVersion) -> &str {
        if self.errors_of(&self.yank_form(version)).is_some() { &self.typed.reason } else { "" }
    }

    /// How many of its keys are live (not revoked).
    fn live_keys(&self) -> usize {
        self.publisher.keys.iter().filter(|k| k.revoked_at.is_none()).count()
    }
}

fn yank_form(plugin: &str, version: &str) -> String {
    // Ids and names stay valid HTML: versions carry dots, plugin ids dashes.
    format!("yank-{plugin}-{}", version.replace(['.', '+'], "-"))
}

async fn publisher_page(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
) -> Result<PublisherPage, ConsoleError> {
    let publisher = ils_publishing::publisher(&state.db, &caller(viewer)?.actor, slug).await?;
    Ok(PublisherPage {
        chrome: viewer.chrome.at("/publishing"),
        publisher,
        created: None,
        typed: TypedForms::default(),
        failed: Failed::None,
        errors: FieldErrors::default(),
    })
}

/// The publisher's page again, with `error` shown at the form `failed` and what was typed.
async fn refused_on(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    error: Error,
    failed: Failed,
    typed: TypedForms,
) -> PageResult {
    let page = publisher_page(state, viewer, slug).await?;
    refused(ApiError(error), |errors| PublisherPage { errors, failed, typed, ..page })
}

fn back_to(slug: &str) -> Response {
    Redirect::to(&format!("/publishing/{slug}")).into_response()
}

/// `GET /publishing/{publisher}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    Ok(render(&publisher_page(&state, &viewer, &slug).await?))
}

/// The register-a-key form.
#[derive(Debug, Deserialize)]
pub(crate) struct KeyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    public_key: String,
}

/// `POST /publishing/{publisher}/keys`: registers a public key.
pub(crate) async fn add_key(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<KeyForm>,
) -> PageResult {
    let caller = caller(&viewer)?;
    let added =
        ils_publishing::add_key(&state.db, &caller.audit, &caller.actor, &slug, &form.name, &form.public_key)
            .await;
    match added {
        Ok(_) => Ok(back_to(&slug)),
        Err(error) => {
            let typed =
                TypedForms { key_name: form.name, public_key: form.public_key, ..TypedForms::default() };
            refused_on(&state, &viewer, &slug, error, Failed::Key, typed).await
        }
    }
}

/// `POST /publishing/{publisher}/keys/{key_id}/revoke`: packages signed by it are refused from now on.
pub(crate) async fn revoke_key(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, key_id)): Path<(String, String)>,
    _: Csrf,
) -> PageResult {
    let caller = caller(&viewer)?;
    ils_publishing::revoke_key(&state.db, &caller.audit, &caller.actor, &slug, &key_id).await?;
    Ok(back_to(&slug))
}

/// The create-a-token form.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_in_days: String,
}

/// `POST /publishing/{publisher}/tokens`: creates a publishing token and shows its secret this once.
pub(crate) async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> PageResult {
    let caller = caller(&viewer)?;
    let days = given(&form.expires_in_days)
        .map(|d| {
            d.parse::<u32>().map_err(|_| {
                Error::invalid_field("expires_in_days", "must be a whole number of days, 1–3650")
            })
        })
        .transpose();
    let created = match days {
        Ok(days) => {
            ils_publishing::create_token(&state.db, &caller.audit, &caller.actor, &slug, &form.name, days)
                .await
        }
        Err(error) => Err(error),
    };
    match created {
        Ok(created) => {
            let page = publisher_page(&state, &viewer, &slug).await?;
            Ok(no_store(render(&PublisherPage { created: Some(created), ..page })))
        }
        Err(error) => {
            let typed = TypedForms {
                token_name: form.name,
                expires_in_days: form.expires_in_days,
                ..TypedForms::default()
            };
            refused_on(&state, &viewer, &slug, error, Failed::Token, typed).await
        }
    }
}

/// `POST /publishing/{publisher}/tokens/{token}/revoke`.
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, token)): Path<(String, PublisherTokenId)>,
    _: Csrf,
) -> PageResult {
    let caller = caller(&viewer)?;
    ils_publishing::revoke_token(&state.db, &caller.audit, &caller.actor, &slug, token).await?;
    Ok(back_to(&slug))
}

/// The yank form: why.
#[derive(Debug, Deserialize)]
pub(crate) struct YankForm {
    #[serde(default)]
    reason: String,
}

/// `POST /publishing/{publisher}/versions/{plugin}/{version}/yank`: no tenant may enable the
/// version from now on; the tenants on it are told why.
pub(crate) async fn yank(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, plugin, version)): Path<(String, String, String)>,
    CsrfForm(form): CsrfForm<YankForm>,
) -> PageResult {
    let caller = caller(&viewer)?;
    // Only this publisher's versions are yanked from its page.
    let page = publisher_page(&state, &viewer, &slug).await?;
    if !page.publisher.versions.iter().any(|v| v.plugin_id == plugin && v.version == version) {
        return Err(Error::NotFound("plugin version").into());
    }
    let yanked =
        ils_publishing::yank(&state.db, &caller.audit, &caller.actor, &plugin, &version, &form.reason).await;
    match yanked {
        Ok(_) => Ok(back_to(&slug)),
        Err(error) => {
            let typed = TypedForms { reason: form.reason, ..TypedForms::default() };
            refused_on(&state, &viewer, &slug, error, Failed::Yank(plugin, version), typed).await
        }
    }
}
