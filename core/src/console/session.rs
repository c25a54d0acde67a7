//! Signing in and out of the console, and the [`Viewer`]: who a page is for.
//!
//! The session is the API's (`ils_tenancy::auth::login`); the console keeps its token in the
//! `ils_session` cookie. A second factor is asked for on its own page: between the two steps the
//! typed credentials wait in a sealed, short-lived cookie, never in the page.

use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};

use super::form::{Csrf, PlainForm, SESSION_COOKIE, cookies_named, csrf_token, same_origin};
use super::page::{Chrome, ConsoleError, FieldErrors, PageResult, refused, render, render_with, status_of};
use crate::http::auth::login::settings;
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_storage::types::Timestamp;
use ils_tenancy::auth::login::{self, SignIn};
use ils_tenancy::auth::{Principal, RequestMeta};
use ils_tenancy::users::Email;

/// The cookie holding sealed credentials between the password and the second-factor step.
const PENDING_COOKIE: &str = "ils_pending";
/// How long the second-factor step may take.
const PENDING_SECONDS: i64 = 300;

/// The signed-in user a page is rendered for.
pub(crate) struct Viewer {
    /// The caller, as the API sees them.
    pub principal: Principal,
    /// The session token (from the cookie), for the live stream's re-checks.
    pub token: String,
    /// The page frame: names, navigation, CSRF token.
    pub chrome: Chrome,
}

impl Viewer {
    /// The viewer's tenant context for `action`, as the API checks it.
    pub fn tenant(
        &self,
        action: ils_kernel::permissions::Action,
    ) -> Result<ils_kernel::TenantCtx, ConsoleError> {
        Ok(self.principal.tenant(action)?)
    }
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &'a str) -> Option<Cookie<'a>> {
    cookies_named(headers, name).next()
}

/// Whether the request reached us over TLS (directly or through a proxy that says so).
fn over_tls(parts_headers: &HeaderMap, uri: &Uri) -> bool {
    uri.scheme_str() == Some("https")
        || parts_headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let next = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let sign_in = || ConsoleError::SignIn { next: next.clone() };
        let token =
            cookie_value(&parts.headers, SESSION_COOKIE).map(|c| c.value().to_owned()).ok_or_else(sign_in)?;
        let meta =
            RequestMeta::from_request_parts(parts, state).await.map_err(|e| ConsoleError::Domain(e.0))?;
        let mut principal = state.principals.resolve(&token).await?.ok_or_else(sign_in)?;
        principal.meta = meta;
        let actor = principal.audit().actor_id.map(|id| id.to_string());
        crate::http::problem::note_acting(principal.tenant.as_ref().map(|t| t.tenant_id.to_string()), actor);
        let allowed_before_enrolment =
            parts.uri.path().starts_with("/account") || parts.uri.path() == "/sign-out";
        if !principal.mfa_satisfied && !allowed_before_enrolment {
            return Err(ConsoleError::EnrolTotp);
        }
        let chrome = chrome(state, &principal, &token).await?;
        Ok(Self { principal, token, chrome })
    }
}

async fn chrome(state: &AppState, principal: &Principal, token: &str) -> Result<Chrome, ConsoleError> {
    let tenant_id = principal.tenant.as_ref().map(|t| t.tenant_id);
    let me = ils_tenancy::auth::account::profile(&state.db, principal, tenant_id).await?;
    let tenant = match tenant_id {
        Some(id) => {
            let mut tx = state.db.system_read().await?;
            let tenant = ils_tenancy::tenants::get(&mut tx, id).await?;
            tx.commit().await?;
            tenant
        }
        None => None,
    };
    Ok(Chrome {
        user_name: me.user.name,
        tenant_name: tenant.as_ref().map(|t| t.name.clone()),
        kind: tenant.map(|t| t.kind),
        role: me.role,
        platform_admin: principal.is_platform_admin,
        csrf: csrf_token(token),
        current: "",
    })
}

/// Where to go after signing in: a local path only.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n.to_owned(),
        _ => "/".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage {
    next: String,
    email: String,
    tenant: String,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// The sign-in form.
pub(crate) async fn sign_in_page(Query(query): Query<NextQuery>) -> Response {
    render(&SignInPage {
        next: safe_next(query.next.as_deref()),
        email: String::new(),
        tenant: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct SignInForm {
    email: String,
    password: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    next: String,
}

/// Credentials waiting for their second factor, sealed into a cookie.
#[derive(Debug, Deserialize, Serialize)]
struct Pending {
    form: SignInForm,
    expires: i64,
}

fn session_cookie(token: String, expires_at: Timestamp, secure: bool) -> Cookie<'static> {
    let max_age = (expires_at.unix_seconds() - Timestamp::now().unix_seconds()).max(0);
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .build()
}

fn removal(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(cookie::time::Duration::ZERO)
        .build()
}

fn with_cookies(mut response: Response, cookies: &[Cookie<'_>]) -> Response {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Signs in with the form's credentials (and a code, at the second step).
async fn attempt(
    state: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    form: &SignInForm,
    totp_code: Option<String>,
) -> Result<login::SignedIn, Error> {
    state.attempts.check(meta.ip.as_deref())?;
    let cmd = SignIn {
        email: Email::parse("email", &form.email)?,
        password: form.password.clone(),
        tenant: Some(form.tenant.trim().to_owned()).filter(|t| !t.is_empty()),
        totp_code,
        recovery_code: None,
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
    };
    login::sign_in(&state.db, &state.sealer, &settings(state), meta, cmd).await
}

fn signed_in(signed: login::SignedIn, next: &str, secure: bool) -> Response {
    let to = if signed.totp_enrolment_required { "/account".to_owned() } else { safe_next(Some(next)) };
    let session = session_cookie(signed.session.token, signed.session.expires_at, secure);
    with_cookies(Redirect::to(&to).into_response(), &[session, removal(PENDING_COOKIE)])
}

/// Signs in: the password step.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    meta: RequestMeta,
    uri: Uri,
    headers: HeaderMap,
    PlainForm(form): PlainForm<SignInForm>,
) -> PageResult {
    if !same_origin(&headers) {
        return Err(ConsoleError::Csrf);
    }
    let secure = over_tls(&headers, &uri);
    match attempt(&state, &meta, &headers, &form, None).await {
        Ok(signed) => Ok(signed_in(signed, &form.next, secure)),
        Err(Error::Unauthorized { code: "totp_required", .. }) => {
            let expires = Timestamp::now().unix_seconds() + PENDING_SECONDS;
            let sealed =
                state.sealer.seal(&serde_json::to_vec(&Pending { form, expires }).unwrap_or_default());
            let pending = Cookie::build((PENDING_COOKIE, hex::encode(sealed)))
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(secure)
                .path("/sign-in")
                .max_age(cookie::time::Duration::seconds(PENDING_SECONDS))
                .build();
            Ok(with_cookies(Redirect::to("/sign-in/code").into_response(), &[pending]))
        }
        Err(error) => {
            let page = SignInPage {
                next: safe_next(Some(&form.next)),
                email: form.email,
                tenant: form.tenant,
                errors: FieldErrors::from_error(&error),
            };
            Ok(render_with(status_of(error), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "console/sign_in_code.html")]
struct CodePage {
    errors: FieldErrors,
}

fn pending(state: &AppState, headers: &HeaderMap) -> Option<Pending> {
    let sealed = hex::decode(cookie_value(headers, PENDING_COOKIE)?.value()).ok()?;
    let pending: Pending = serde_json::from_slice(&state.sealer.open(&sealed).ok()?).ok()?;
    (pending.expires > Timestamp::now().unix_seconds()).then_some(pending)
}

/// The second-factor form.
pub(crate) async fn code_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if pending(&state, &headers).is_none() {
        return Redirect::to("/sign-in").into_response();
    }
    render(&CodePage { errors: FieldErrors::default() })
}

#[derive(Debug, Deserialize)]
pub(crate) struct CodeForm {
    code: String,
}

/// Signs in: the second-factor step.
pub(crate) async fn code(
    State(state): State<AppState>,
    meta: RequestMeta,
    uri: Uri,
    headers: HeaderMap,
    PlainForm(form): PlainForm<CodeForm>,
) -> PageResult {
    if !same_origin(&headers) {
        return Err(ConsoleError::Csrf);
    }
    let Some(pending) = pending(&state, &headers) else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let code = form.code.split_whitespace().collect::<String>();
    match attempt(&state, &meta, &headers, &pending.form, Some(code)).await {
        Ok(signed) => Ok(signed_in(signed, &pending.form.next, over_tls(&headers, &uri))),
        Err(error) => {
            let page = CodePage { errors: FieldErrors::from_error(&error) };
            Ok(render_with(status_of(error), &page))
        }
    }
}

/// Signs out: revokes the session and forgets the cookie.
pub(crate) async fn sign_out(State(state): State<AppState>, viewer: Viewer, _csrf: Csrf) -> PageResult {
    login::sign_out(&state.db, &viewer.principal).await?;
    Ok(with_cookies(Redirect::to("/sign-in").into_response(), &[removal(SESSION_COOKIE)]))
}

#[derive(Template)]
#[template(path = "console/register.html")]
struct RegisterPage {
    form: RegisterForm,
    errors: FieldErrors,
    done: bool,
}

/// The registration form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RegisterForm {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// `GET /register`: asking to join a practice or lab.
pub(crate) async fn register_page() -> Response {
    render(&RegisterPage { form: RegisterForm::default(), errors: FieldErrors::default(), done: false })
}

/// `POST /register`: the API's registration; a company admin of the tenant then approves.
pub(crate) async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    PlainForm(form): PlainForm<RegisterForm>,
) -> PageResult {
    if !same_origin(&headers) {
        return Err(ConsoleError::Csrf);
    }
    let request = crate::http::auth::login::RegisterRequest {
        tenant: form.tenant.trim().to_owned(),
        email: form.email.clone(),
        name: form.name.clone(),
        password: form.password.clone(),
        role: None,
    };
    let form = RegisterForm { password: String::new(), ..form };
    match crate::http::auth::login::register(State(state), meta, crate::http::extract::ApiJson(request)).await
    {
        Ok(_) => Ok(render(&RegisterPage { form, errors: FieldErrors::default(), done: true })),
        Err(error) => refused(error, |errors| RegisterPage { form, errors, done: false }),
    }
}
