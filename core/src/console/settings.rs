//! The tenant's administration page: where a company admin finds users, API keys, webhooks and
//! the audit log. Each is its own page (and module); this one only leads to them.

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use super::page::{Chrome, PageResult, render};
use super::session::Viewer;

#[derive(Template)]
#[template(path = "console/settings.html")]
struct Settings {
    chrome: Chrome,
}

/// `GET /settings`.
pub(crate) async fn page(viewer: Viewer) -> PageResult {
    Ok(render(&Settings { chrome: viewer.chrome.at("/settings") }))
}

/// A page showing a secret this once: not kept by the browser's cache or shown again from history.
pub(crate) fn no_store(mut page: Response) -> Response {
    page.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    page
}
