//! The supplier directory for platform admins: which suppliers are on ILS, and linking an entry
//! to the supplier's own tenant so its customers' purchase orders arrive in its inbox
//! (docs/adr/042-supplier-inbox.md).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::{Csrf, CsrfForm};
use super::page::{Chrome, FieldErrors, PageResult, refused, render};
use super::session::Viewer;
use crate::http::extract::ApiQuery;
use crate::http::stock::directory::{DirectoryQuery, link, list_directory};
use crate::http::tenants::list_tenants;
use crate::state::AppState;
use ils_kernel::page::PageQuery;
use ils_stock::suppliers::DirectoryEntry;
use ils_storage::ids::{SupplierId, TenantId};
use ils_tenancy::tenants::{Tenant, TenantKind};

#[derive(Template)]
#[template(path = "console/directory.html")]
struct Directory {
    chrome: Chrome,
    entries: Vec<DirectoryEntry>,
    /// Supplier tenants no entry is linked to yet: the choices for a link.
    unlinked: Vec<Tenant>,
    errors: FieldErrors,
}

async fn directory(state: &AppState, viewer: &Viewer) -> Result<Directory, super::ConsoleError> {
    let query = DirectoryQuery { name: None, cursor: None, limit: Some(200) };
    let entries =
        list_directory(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0.items;
    let query = PageQuery { cursor: None, limit: Some(200) };
    let tenants =
        list_tenants(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0.items;
    let linked: Vec<TenantId> = entries.iter().filter_map(|e| e.tenant.as_ref().map(|t| t.id)).collect();
    let unlinked =
        tenants.into_iter().filter(|t| t.kind == TenantKind::Supplier && !linked.contains(&t.id)).collect();
    Ok(Directory {
        chrome: viewer.chrome.at("/admin/suppliers"),
        entries,
        unlinked,
        errors: FieldErrors::default(),
    })
}

/// `GET /admin/suppliers`.
pub(crate) async fn page(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&directory(&state, &viewer).await?))
}

#[derive(Debug, Deserialize)]
pub(crate) struct LinkForm {
    #[serde(default)]
    tenant_id: String,
}

/// `POST /admin/suppliers/{id}/link`.
pub(crate) async fn link_tenant(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<SupplierId>,
    CsrfForm(form): CsrfForm<LinkForm>,
) -> PageResult {
    let tenant = match form.tenant_id.trim().parse::<TenantId>() {
        Ok(tenant) => tenant,
        Err(_) => {
            let error = ils_kernel::Error::invalid_field("tenant_id", "choose the supplier's tenant");
            let shown = directory(&state, &viewer).await?;
            return refused(error.into(), |errors| Directory { errors, ..shown });
        }
    };
    match link(&state, &viewer.principal, id, Some(tenant)).await {
        Ok(_) => Ok(Redirect::to("/admin/suppliers").into_response()),
        Err(error) => {
            let shown = directory(&state, &viewer).await?;
            refused(error, |errors| Directory { errors, ..shown })
        }
    }
}

/// `POST /admin/suppliers/{id}/unlink`.
pub(crate) async fn unlink_tenant(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<SupplierId>,
    _: Csrf,
) -> PageResult {
    link(&state, &viewer.principal, id, None).await?;
    Ok(Redirect::to("/admin/suppliers").into_response())
}
