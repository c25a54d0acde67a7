//! The signed-in user's account: who they are, where they belong, where they are signed in (and
//! signing out elsewhere), and enrolling a TOTP second factor (which a platform admin must do
//! before anything else).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};

use super::form::{Csrf, CsrfForm};
use super::page::refused;
use super::page::{Chrome, FieldErrors, PageResult, render};
use super::session::Viewer;
use crate::http::auth::me::{TotpCode, confirm_totp, list_sessions, me, revoke_session, start_totp};
use crate::http::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use ils_storage::ids::SessionId;
use ils_tenancy::auth::SessionInfo;
use ils_tenancy::auth::account::{Me, TotpEnrolment};

#[derive(Template)]
#[template(path = "console/account.html")]
struct Account {
    chrome: Chrome,
    me: Me,
    sessions: Vec<SessionInfo>,
    enrolment: Option<TotpEnrolment>,
    recovery_codes: Vec<String>,
    errors: FieldErrors,
}

async fn account(state: &AppState, viewer: &Viewer) -> Result<Account, super::ConsoleError> {
    let me = me(State(state.clone()), viewer.principal.clone()).await?.0;
    let sessions = list_sessions(State(state.clone()), viewer.principal.clone()).await?.0;
    Ok(Account {
        chrome: viewer.chrome.at("/account"),
        me,
        sessions,
        enrolment: None,
        recovery_codes: Vec::new(),
        errors: FieldErrors::default(),
    })
}

/// `GET /account`.
pub(crate) async fn page(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&account(&state, &viewer).await?))
}

/// `POST /account/totp`: starts enrolment and shows the secret to add to an authenticator app.
pub(crate) async fn start_totp_page(State(state): State<AppState>, viewer: Viewer, _: Csrf) -> PageResult {
    let enrolment = start_totp(State(state.clone()), viewer.principal.clone()).await?.0;
    Ok(render(&Account { enrolment: Some(enrolment), ..account(&state, &viewer).await? }))
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /account/totp/confirm`: confirms with a current code and shows the recovery codes once.
pub(crate) async fn confirm_totp_page(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> PageResult {
    let code = TotpCode { code: form.code.split_whitespace().collect() };
    match confirm_totp(State(state.clone()), viewer.principal.clone(), ApiJson(code)).await {
        Ok(codes) => {
            let page = account(&state, &viewer).await?;
            Ok(render(&Account { recovery_codes: codes.0.recovery_codes, ..page }))
        }
        Err(error) => {
            let page = account(&state, &viewer).await?;
            refused(error, |errors| Account { errors, ..page })
        }
    }
}

/// `POST /account/sessions/{id}/revoke`: signs out one of the user's other sessions.
pub(crate) async fn revoke_session_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(session): Path<SessionId>,
    _: Csrf,
) -> PageResult {
    revoke_session(State(state), viewer.principal, ApiPath(session)).await?;
    Ok(Redirect::to("/account").into_response())
}
