//! Pages plugins add to the console (manifest `[[pages]]`). The console page shows the plugin's
//! route in a sandboxed frame: `sandbox="allow-scripts allow-forms"` without `allow-same-origin`,
//! and the frame's own response carries `Content-Security-Policy: sandbox …`, so the plugin's
//! document runs in an opaque origin whether framed or opened directly — it can read neither the
//! console's cookies nor its DOM, and its requests are cross-site (no session cookie, refused by
//! the console's origin check).
//!
//! A page's actions (ADR 031) are the console's own buttons above the frame: CSRF-checked forms
//! posting to the page's console URL, each calling one plugin route with POST as the viewer, then
//! back to the page with the outcome shown once (a cookie scoped to the page and bound to the
//! session).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, SameSite};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::form::CsrfForm;
use super::page::{Chrome, ConsoleError, PageResult, render};
use super::session::Viewer;
use crate::http::extract::ApiPath;
use crate::http::plugins::{Incoming, get_plugin, list_plugins, plugin_call};
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_plugin_host::{CatalogueEntry, PageInfo};

/// The frame's policy: its own sandbox (an opaque origin), framed only by the console, nothing
/// loaded from anywhere but inline style and images.
const FRAME_CSP: &str = "sandbox allow-scripts allow-forms; default-src 'none'; style-src 'unsafe-inline'; \
     img-src data:; form-action 'none'; frame-ancestors 'self'; base-uri 'none'";

/// The cookie carrying an action's outcome to the page it redirects to.
const FLASH_COOKIE: &str = "ils_flash";
/// How much of a plugin's answer is read to tell its outcome.
const ANSWER_LIMIT: usize = 64 * 1024;
/// How much of a plugin's title and detail the outcome repeats.
const SAID_LIMIT: usize = 300;

/// A button on a plugin page.
pub(crate) struct PageButton {
    pub label: String,
    pub path: String,
    /// Whether the viewer's role may see and press it.
    pub allowed: bool,
}

/// A plugin page the viewer may open.
pub(crate) struct PluginPage {
    pub plugin: String,
    pub title: String,
    pub path: String,
    pub actions: Vec<PageButton>,
}

impl PluginPage {
    /// The console URL of the page (where its actions post, too).
    pub fn href(&self) -> String {
        format!("/apps/{}{}", self.plugin, self.path)
    }

    /// The buttons the viewer sees.
    pub fn buttons(&self) -> Vec<&PageButton> {
        self.actions.iter().filter(|a| a.allowed).collect()
    }
}

/// Whether the viewer's role is among `roles` (empty: everyone).
fn role_in(viewer: &Viewer, roles: &[String]) -> bool {
    roles.is_empty() || viewer.chrome.role.is_some_and(|role| roles.iter().any(|r| r == role.as_str()))
}

fn visible(viewer: &Viewer, page: &PageInfo) -> bool {
    role_in(viewer, &page.roles)
}

/// The pages of the tenant's enabled plugins (the enabled version's) the viewer's role sees.
fn pages_of(viewer: &Viewer, entry: &CatalogueEntry) -> Vec<PluginPage> {
    let Some(enablement) = entry.enablement.as_ref().filter(|e| e.enabled) else {
        return Vec::new();
    };
    entry
        .versions
        .iter()
        .filter(|v| v.version == enablement.version)
        .flat_map(|v| v.pages.iter())
        .filter(|page| visible(viewer, page))
        .map(|page| PluginPage {
            plugin: entry.id.clone(),
            title: page.title.clone(),
            path: page.path.clone(),
            actions: page
                .actions
                .iter()
                .map(|a| PageButton {
                    label: a.label.clone(),
                    path: a.path.clone(),
                    allowed: role_in(viewer, &a.roles),
                })
                .collect(),
        })
        .collect()
}

/// Every plugin page the viewer may open, for the start page.
pub(crate) async fn pages(state: &AppState, viewer: &Viewer) -> Result<Vec<PluginPage>, ConsoleError> {
    let catalogue = list_plugins(State(state.clone()), viewer.principal.clone()).await?.0;
    Ok(catalogue.iter().flat_map(|entry| pages_of(viewer, entry)).collect())
}

/// The declared page at `path` of `plugin`, if the viewer may open it; otherwise not found.
async fn page(
    state: &AppState,
    viewer: &Viewer,
    plugin: &str,
    path: &str,
) -> Result<PluginPage, ConsoleError> {
    let entry =
        get_plugin(State(state.clone()), viewer.principal.clone(), ApiPath(plugin.to_owned())).await?.0;
    pages_of(viewer, &entry).into_iter().find(|p| p.path == path).ok_or(Error::NotFound("page").into())
}

/// What pressing an action came to, shown once on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Outcome {
    /// Whether the plugin answered with success.
    pub done: bool,
    /// What to tell the person.
    pub message: String,
}

#[derive(Template)]
#[template(path = "console/plugin_page.html")]
struct Framed {
    chrome: Chrome,
    page: PluginPage,
    outcome: Option<Outcome>,
}

/// `GET /apps/{plugin}/{*path}`: the page in the console, its actions above its content, which is
/// in a sandboxed frame.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plugin, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> PageResult {
    let page = page(&state, &viewer, &plugin, &format!("/{path}")).await?;
    let outcome = flash_of(&headers, &viewer.token);
    let href = page.href();
    let mut response = render(&Framed { chrome: viewer.chrome.at("/"), page, outcome: outcome.clone() });
    if outcome.is_some() {
        set_cookie(&mut response, &flash_cookie(&href, String::new(), true));
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// A pressed action: which of the page's actions.
#[derive(Debug, Deserialize)]
pub(crate) struct Press {
    action: String,
}

/// `POST /apps/{plugin}/{*path}`: presses one of the page's actions — the plugin's route is called
/// with POST as the viewer — and goes back to the page, which shows the outcome.
pub(crate) async fn press(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plugin, path)): Path<(String, String)>,
    CsrfForm(press): CsrfForm<Press>,
) -> PageResult {
    let page = page(&state, &viewer, &plugin, &format!("/{path}")).await?;
    let action = page.actions.iter().find(|a| a.path == press.action).ok_or(Error::NotFound("action"))?;
    if !action.allowed {
        return Err(Error::forbidden(
            "action_not_allowed",
            format!("Your role may not use “{}”.", action.label),
        )
        .into());
    }
    let incoming = Incoming {
        method: Method::POST,
        uri: Uri::from_static("/"),
        headers: HeaderMap::new(),
        body: Bytes::new(),
    };
    let rest = action.path.trim_start_matches('/').to_owned();
    let outcome = match plugin_call(state, viewer.principal.clone(), &plugin, Some(&rest), incoming).await {
        Ok(answer) => outcome_of(&action.label, answer).await,
        Err(error) => Outcome { done: false, message: format!("{}: not done: {}", action.label, error.0) },
    };
    let href = page.href();
    let mut response = Redirect::to(&href).into_response();
    set_cookie(&mut response, &flash_cookie(&href, seal(&outcome, &viewer.token), false));
    Ok(response)
}

/// The outcome of the plugin's answer: its status, and a problem's title and detail.
async fn outcome_of(label: &str, answer: Response) -> Outcome {
    let status = answer.status();
    let code = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or_default());
    if status.is_success() {
        return Outcome { done: true, message: format!("{label}: done ({code}).") };
    }
    let body = axum::body::to_bytes(answer.into_body(), ANSWER_LIMIT).await.unwrap_or_default();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let said: Vec<String> = ["title", "detail"]
        .iter()
        .filter_map(|key| problem.get(key).and_then(serde_json::Value::as_str))
        .map(|text| text.trim().chars().take(SAID_LIMIT).collect::<String>())
        .filter(|text| !text.is_empty())
        .collect();
    let message = if said.is_empty() {
        format!("{label}: not done ({code}).")
    } else {
        format!("{label}: not done ({code}): {}", said.join(" — "))
    };
    Outcome { done: false, message }
}

type FlashMac = Hmac<Sha256>;

fn mac(session: &str) -> FlashMac {
    let mut mac = <FlashMac as Mac>::new_from_slice(session.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(b"ils-console-flash\0");
    mac
}

/// The outcome as a cookie value, bound to the session: `payload.mac`, both base64url.
fn seal(outcome: &Outcome, session: &str) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(outcome).unwrap_or_default());
    let mut mac = mac(session);
    mac.update(payload.as_bytes());
    format!("{payload}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// The outcome a sealed value carries, if this session sealed it.
fn open(value: &str, session: &str) -> Option<Outcome> {
    let (payload, tag) = value.split_once('.')?;
    let mut mac = mac(session);
    mac.update(payload.as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(tag).ok()?).ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

fn flash_of(headers: &HeaderMap, session: &str) -> Option<Outcome> {
    super::cookies_named(headers, FLASH_COOKIE).find_map(|c| open(c.value(), session))
}

/// The flash cookie for the page at `href`: set (a minute to be read) or removed.
fn flash_cookie(href: &str, value: String, remove: bool) -> Cookie<'static> {
    let max_age = if remove { cookie::time::Duration::ZERO } else { cookie::time::Duration::minutes(1) };
    Cookie::build((FLASH_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path(href.to_owned())
        .max_age(max_age)
        .build()
}

fn set_cookie(response: &mut Response, cookie: &Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// `GET /frames/{plugin}/{*path}`: the plugin's route, as the frame's document.
pub(crate) async fn frame(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plugin, path)): Path<(String, String)>,
    uri: Uri,
) -> PageResult {
    let page = page(&state, &viewer, &plugin, &format!("/{path}")).await?;
    let incoming = Incoming { method: Method::GET, uri, headers: HeaderMap::new(), body: Bytes::new() };
    let rest = page.path.trim_start_matches('/').to_owned();
    let mut response =
        plugin_call(state, viewer.principal, &plugin, Some(&rest), incoming).await?.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(FRAME_CSP));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    fn answer(status: u16, body: &str) -> Response {
        let mut response = body.to_owned().into_response();
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        response
    }

    #[tokio::test]
    async fn an_answer_tells_its_status_and_a_problems_title_and_detail() {
        let done = outcome_of("Sync now", answer(202, r#"{"run":{}}"#)).await;
        assert_eq!(done, Outcome { done: true, message: "Sync now: done (202 Accepted).".into() });
        let busy =
            r#"{"type":"about:blank","title":"a run is in progress","status":409,"detail":"one at a time"}"#;
        let refused = outcome_of("Sync now", answer(409, busy)).await;
        assert_eq!(
            refused.message,
            "Sync now: not done (409 Conflict): a run is in progress — one at a time"
        );
        assert!(!refused.done);
        let bare = outcome_of("Reconcile now", answer(500, "<html>oops</html>")).await;
        assert_eq!(bare.message, "Reconcile now: not done (500 Internal Server Error).");
        let long = format!(r#"{{"title":"{}"}}"#, "x".repeat(5000));
        let cut = outcome_of("Go", answer(400, &long)).await;
        assert!(cut.message.len() < SAID_LIMIT + 40, "{}", cut.message.len());
    }

    #[test]
    fn an_outcome_opens_only_in_the_session_that_sealed_it_and_unaltered() {
        let outcome = Outcome { done: true, message: "Sync now: done (202 Accepted).".into() };
        let sealed = seal(&outcome, "session-a");
        assert_eq!(open(&sealed, "session-a"), Some(outcome));
        assert_eq!(open(&sealed, "session-b"), None, "another session's flash is not shown");
        let forged = Outcome { done: true, message: "Call 0800 000 000 now".into() };
        let (_, tag) = sealed.split_once('.').unwrap();
        let swapped = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap()));
        assert_eq!(open(&swapped, "session-a"), None, "a message not sealed here is not shown");
        assert_eq!(open("junk", "session-a"), None);
    }
}
