//! The pages a link in an e-mail leads to, before anyone is signed in: a forgotten password —
//! asking for a link (`/forgot-password`) and choosing a new password with it
//! (`/reset-password?token=…`) — and accepting an invitation (`/invitation?token=…`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;

use super::form::{PlainForm, same_origin};
use super::page::{ConsoleError, FieldErrors, PageResult, render, render_with, status_of};
use crate::http::auth::recovery::{RESET_REQUESTED, send_reset};
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_tenancy::auth::RequestMeta;
use ils_tenancy::auth::recovery::reset_password;
use ils_tenancy::users::Email;
use ils_tenancy::users::invitations::{Joined, Offer, offer};

#[derive(Template)]
#[template(path = "console/forgot_password.html")]
struct Forgot {
    email: String,
    errors: FieldErrors,
    sent: Option<&'static str>,
}

/// The page again with why it was refused: a field, the server's missing mail server, or the
/// rate limit, all shown on the form.
fn shown_again<T: Template>(error: Error, page: impl FnOnce(FieldErrors) -> T) -> PageResult {
    match error {
        Error::Invalid { .. }
        | Error::Conflict { .. }
        | Error::NotConfigured { .. }
        | Error::RateLimited { .. } => {
            let errors = FieldErrors::from_error(&error);
            Ok(render_with(status_of(error), &page(errors)))
        }
        error => Err(ConsoleError::from(crate::http::problem::ApiError(error))),
    }
}

/// `GET /forgot-password`.
pub(crate) async fn forgot_page() -> PageResult {
    Ok(render(&Forgot { email: String::new(), errors: FieldErrors::default(), sent: None }))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// `POST /forgot-password`: the same answer whether or not an account has the address.
pub(crate) async fn forgot(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    PlainForm(form): PlainForm<ForgotForm>,
) -> PageResult {
    if !same_origin(&headers) {
        return Err(ConsoleError::Csrf);
    }
    let asked = async {
        state.attempts.check(meta.ip.as_deref())?;
        let email = Email::parse("email", &form.email)?;
        send_reset(&state, &meta, &email).await
    };
    match asked.await {
        Ok(()) => Ok(render(&Forgot {
            email: form.email,
            errors: FieldErrors::default(),
            sent: Some(RESET_REQUESTED),
        })),
        Err(error) => shown_again(error, |errors| Forgot { email: form.email, errors, sent: None }),
    }
}

#[derive(Template)]
#[template(path = "console/reset_password.html")]
struct Reset {
    token: String,
    errors: FieldErrors,
    done: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ResetQuery {
    #[serde(default)]
    token: String,
}

/// `GET /reset-password?token=…`: the link from the e-mail.
pub(crate) async fn reset_page(Query(query): Query<ResetQuery>) -> PageResult {
    Ok(render(&Reset { token: query.token, errors: FieldErrors::default(), done: false }))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// `POST /reset-password`: sets the new password; then the person signs in with it.
pub(crate) async fn reset(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    PlainForm(form): PlainForm<ResetForm>,
) -> PageResult {
    if !same_origin(&headers) {
        return Err(ConsoleError::Csrf);
    }
    let changed = async {
        state.attempts.check(meta.ip.as_deref())?;
        reset_password(&state.db, &meta, &form.token, &form.password).await
    };
    match changed.await {
        Ok(()) => Ok(render(&Reset { token: String::new(), errors: FieldErrors::default(), done: true })),
        Err(error) => shown_again(error, |errors| Reset { token: form.token, errors, done: false }),
    }
}

#[derive(Template)]
#[template(path = "console/invitation.html")]
struct InvitationPage {
    token: String,
    offer: Option<Offer>,
    /// The name typed, shown again with the form's errors.
    given_name: String,
    errors: FieldErrors,
    joined: Option<Joined>,
}

/// `GET /invitation?token=…`: where the invitation is to, as what, and the form to accept it.
pub(crate) async fn invitation_page(
    State(state): State<AppState>,
    Query(query): Query<ResetQuery>,
) -> PageResult {
    let page = |offer, errors| InvitationPage {
        token: query.token.clone(),
        offer,
        given_name: String::new(),
        errors,
        joined: None,
    };
    match offer(&state.db, &query.token).await {
        Ok(found) => Ok(render(&page(Some(found), FieldErrors::default()))),
        Err(error) => shown_again(error, |errors| page(None, errors)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct JoinForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// `POST /invitation`: joins; then the person signs in.
pub(crate) async fn join(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    PlainForm(form): PlainForm<JoinForm>,
) -> PageResult {
    if !same_origin(&headers) {
        return Err(ConsoleError::Csrf);
    }
    let name = Some(form.name.clone()).filter(|n| !n.trim().is_empty());
    match crate::http::invitations::accept(&state, &meta, form.token.clone(), name, form.password).await {
        Ok(joined) => Ok(render(&InvitationPage {
            token: String::new(),
            offer: None,
            given_name: String::new(),
            errors: FieldErrors::default(),
            joined: Some(joined),
        })),
        Err(error) => {
            let offer = offer(&state.db, &form.token).await.ok();
            shown_again(error, |errors| InvitationPage {
                token: form.token,
                offer,
                given_name: form.name,
                errors,
                joined: None,
            })
        }
    }
}
