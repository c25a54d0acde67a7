//! The messages patients receive, in the console (docs/adr/045-reminders.md): each message's
//! words with the placeholders it may use, previewed with sample values before they are saved,
//! and put back to ILS's own. The page calls the message-template API's handlers, so it is
//! allowed, refused and audited as the API is.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::{Csrf, CsrfForm};
use super::page::{Chrome, FieldErrors, PageResult, refused, render};
use super::session::Viewer;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::messages::{TemplateInput, list_templates, preview_template, reset_template, set_template};
use crate::state::AppState;
use ils_diary::messages::{MessageKind, Rendered};

/// A message's words as typed, and which button was pressed (`preview` or `save`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WordsForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    action: String,
}

/// One message on the page: its words (as saved, or as typed when previewed or refused).
pub(crate) struct Shown {
    kind: MessageKind,
    subject: String,
    body: String,
    custom: bool,
    placeholders: String,
}

#[derive(Template)]
#[template(path = "console/messages.html")]
struct Page {
    chrome: Chrome,
    messages: Vec<Shown>,
    /// The message being previewed or refused.
    editing: Option<MessageKind>,
    preview: Option<Rendered>,
    errors: FieldErrors,
}

impl Page {
    fn words(&self, kind: &MessageKind) -> &'static str {
        kind.words()
    }

    fn is_editing(&self, kind: &MessageKind) -> bool {
        self.editing == Some(*kind)
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    typed: Option<(MessageKind, &WordsForm)>,
) -> Result<Page, super::page::ConsoleError> {
    let templates = list_templates(State(state.clone()), viewer.principal.clone()).await?.0;
    let messages = templates
        .into_iter()
        .map(|t| {
            let (subject, body) = match typed {
                Some((kind, form)) if kind == t.kind => (form.subject.clone(), form.body.clone()),
                _ => (t.subject, t.body),
            };
            let placeholders =
                t.placeholders.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(" ");
            Shown { kind: t.kind, subject, body, custom: t.custom, placeholders }
        })
        .collect();
    Ok(Page {
        chrome: viewer.chrome.at("/settings"),
        messages,
        editing: typed.map(|(kind, _)| kind),
        preview: None,
        errors: FieldErrors::default(),
    })
}

/// `GET /settings/messages`.
pub(crate) async fn show(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&page(&state, &viewer, None).await?))
}

/// `POST /settings/messages/{kind}`: previews or saves the words typed.
pub(crate) async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(kind): Path<MessageKind>,
    CsrfForm(form): CsrfForm<WordsForm>,
) -> PageResult {
    let input = || TemplateInput { subject: form.subject.clone(), body: form.body.clone() };
    let principal = viewer.principal.clone();
    if form.action == "preview" {
        return match preview_template(principal, ApiPath(kind), ApiJson(input())).await {
            Ok(rendered) => {
                let shown = page(&state, &viewer, Some((kind, &form))).await?;
                Ok(render(&Page { preview: Some(rendered.0), ..shown }))
            }
            Err(error) => {
                let shown = page(&state, &viewer, Some((kind, &form))).await?;
                refused(error, |errors| Page { errors, ..shown })
            }
        };
    }
    match set_template(State(state.clone()), principal, ApiPath(kind), ApiJson(input())).await {
        Ok(_) => Ok(Redirect::to(&format!("/settings/messages#message-{kind}")).into_response()),
        Err(error) => {
            let shown = page(&state, &viewer, Some((kind, &form))).await?;
            refused(error, |errors| Page { errors, ..shown })
        }
    }
}

/// `POST /settings/messages/{kind}/reset`: ILS's own words again.
pub(crate) async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(kind): Path<MessageKind>,
    _: Csrf,
) -> PageResult {
    let _reset = reset_template(State(state), viewer.principal, ApiPath(kind)).await?;
    Ok(Redirect::to(&format!("/settings/messages#message-{kind}")).into_response())
}
