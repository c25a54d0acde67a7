//! Pages plugins add to the console (manifest `[[pages]]`). The console page shows the plugin's
//! route in a sandboxed frame: `sandbox="allow-scripts allow-forms"` without `allow-same-origin`,
//! and the frame's own response carries `Content-Security-Policy: sandbox …`, so the plugin's
//! document runs in an opaque origin whether framed or opened directly — it can read neither the
//! console's cookies nor its DOM, and its requests are cross-site (no session cookie, refused by
//! the console's origin check).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, Uri, header};
use axum::response::IntoResponse;

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

/// A plugin page the viewer may open.
pub(crate) struct PluginPage {
    pub plugin: String,
    pub title: String,
    pub path: String,
}

impl PluginPage {
    /// The console URL of the page.
    pub fn href(&self) -> String {
        format!("/apps/{}{}", self.plugin, self.path)
    }
}

fn visible(viewer: &Viewer, page: &PageInfo) -> bool {
    page.roles.is_empty()
        || viewer.chrome.role.is_some_and(|role| page.roles.iter().any(|r| r == role.as_str()))
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

#[derive(Template)]
#[template(path = "console/plugin_page.html")]
struct Framed {
    chrome: Chrome,
    page: PluginPage,
}

/// `GET /apps/{plugin}/{*path}`: the page in the console, its content in a sandboxed frame.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plugin, path)): Path<(String, String)>,
) -> PageResult {
    let page = page(&state, &viewer, &plugin, &format!("/{path}")).await?;
    Ok(render(&Framed { chrome: viewer.chrome.at("/"), page }))
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
