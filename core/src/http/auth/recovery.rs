//! A forgotten password: asking for a reset link by e-mail, and setting a new password with it
//! (`ils_tenancy::auth::recovery`, docs/adr/036-account-recovery.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::ApiJson;
use crate::http::problem::{ApiResult, Problem};
use crate::notify::{SendEmail, queue_mail};
use crate::state::AppState;
use ils_kernel::error::{Error, Result};
use ils_tenancy::auth::RequestMeta;
use ils_tenancy::auth::recovery::{self, RESET_TTL, ResetLink};
use ils_tenancy::users::Email;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(request_reset)).routes(routes!(reset_password))
}

/// The address of the account whose password is forgotten.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's e-mail address.
    pub email: String,
}

/// The answer to a reset request: the same whether or not an account has the address.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResetRequested {
    /// What happens next, in words to show the person.
    pub message: String,
}

/// What the person is told after asking, whatever the address.
pub const RESET_REQUESTED: &str = "If an account uses this address, a link to choose a new password is on its way. \
     It works once, for 30 minutes.";

/// Ask for a link to choose a new password, sent by e-mail.
///
/// The answer is the same whether or not an account has the address, and at most three links
/// go to one account in an hour. The link works once, for 30 minutes.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses(
        (status = 202, description = "Received; a link is sent if an account has the address", body = ResetRequested),
        (status = 422, description = "Not an e-mail address", body = Problem),
        (status = 429, description = "Too many attempts from this address (`rate_limited`)", body = Problem),
        (status = 503, description = "This server has no mail server (`email_not_configured`)", body = Problem),
    ))]
pub(crate) async fn request_reset(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, Json<ResetRequested>)> {
    state.attempts.check(meta.ip.as_deref())?;
    let email = Email::parse("email", &req.email)?;
    send_reset(&state, &meta, &email).await?;
    Ok((StatusCode::ACCEPTED, Json(ResetRequested { message: RESET_REQUESTED.to_owned() })))
}

/// Records the request and, for an account, queues the e-mail with its link in the same
/// transaction: the link is sent once the token is stored, and never without it.
pub(crate) async fn send_reset(state: &AppState, meta: &RequestMeta, email: &Email) -> Result<()> {
    if state.mailer.is_none() {
        return Err(Error::NotConfigured {
            code: "email_not_configured",
            message: "This server cannot send e-mail, so a password cannot be reset by e-mail here. \
                Ask the people who run this ILS server to set up e-mail."
                .to_owned(),
        });
    }
    let mut tx = state.db.system().await?;
    if let Some(link) = recovery::request_reset(&mut tx, meta, email).await? {
        let mail = reset_mail(&state.config.public_url, &link);
        let (conn, jobs) = tx.with_jobs();
        queue_mail(conn, jobs, mail, state.config.jobs.delivery_attempts).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The reset e-mail: the console's page for the link, and how long it works.
fn reset_mail(public_url: &url::Url, link: &ResetLink) -> SendEmail {
    let base = public_url.as_str().trim_end_matches('/');
    let url = format!("{base}/reset-password?token={}", link.token);
    let minutes = RESET_TTL.as_secs() / 60;
    SendEmail {
        to: link.email.clone(),
        subject: "Choose a new ILS password".to_owned(),
        text: format!(
            "Hello {name},\n\nSomeone (we hope you) asked to reset the password of your ILS account. \
             To choose a new one, open this link within {minutes} minutes:\n\n{url}\n\n\
             It works once. Choosing a new password signs you out everywhere.\n\n\
             If you did not ask, ignore this message: your password stays as it is.\n",
            name = link.name,
        ),
        html: None,
        links: Vec::new(),
    }
}

/// A new password, with the token from the link.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// The token from the e-mailed link (`ils_r_…`).
    pub token: String,
    /// The new password: at least 12 characters, not common or easy to guess.
    pub password: String,
}

/// Choose a new password with the token of a reset link.
///
/// The link works once. Every session of the account ends, and the address's sign-in lock (after
/// wrong passwords) is lifted.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth", request_body = ResetPassword,
    responses(
        (status = 204, description = "Changed; every session ended"),
        (status = 422, description = "The link was used, expired or mistyped (`token`), or the password is too short, common or easy to guess (`password`)", body = Problem),
        (status = 429, description = "Too many attempts from this address (`rate_limited`)", body = Problem),
    ))]
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<ResetPassword>,
) -> ApiResult<StatusCode> {
    state.attempts.check(meta.ip.as_deref())?;
    recovery::reset_password(&state.db, &meta, &req.token, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
