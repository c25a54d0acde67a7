//! Platform administration: the tenants, their plans (changing one, and seeing what it did to
//! their plugins) and status (suspend, reactivate).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::CsrfForm;
use super::page::{Chrome, PageResult, render};
use super::session::Viewer;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::tenants::{TenantPatchRequest, list_tenants, update_tenant};
use crate::state::AppState;
use ils_kernel::page::PageQuery;
use ils_plugin_host::plans::{Plan, PlanEffects, PlanSlug};
use ils_storage::ids::TenantId;
use ils_tenancy::tenants::{Tenant, TenantStatus};

#[derive(Template)]
#[template(path = "console/tenants.html")]
struct Tenants {
    chrome: Chrome,
    tenants: Vec<Tenant>,
    plans: Vec<Plan>,
    /// The tenant whose plan just changed, and what that did to its plugins.
    changed: Option<(Tenant, PlanEffects)>,
}

async fn tenants_page(state: &AppState, viewer: &Viewer) -> Result<Tenants, super::page::ConsoleError> {
    let query = PageQuery { cursor: None, limit: Some(200) };
    let tenants =
        list_tenants(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0.items;
    let plans = crate::http::plans::list_plans(State(state.clone()), viewer.principal.clone()).await?.0;
    Ok(Tenants { chrome: viewer.chrome.at("/admin/tenants"), tenants, plans, changed: None })
}

/// `GET /admin/tenants`.
pub(crate) async fn tenants(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&tenants_page(&state, &viewer).await?))
}

#[derive(Debug, Deserialize)]
pub(crate) struct StatusForm {
    status: TenantStatus,
}

/// `POST /admin/tenants/{id}/status`: suspends or reactivates a tenant.
pub(crate) async fn set_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tenant): Path<TenantId>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> PageResult {
    let patch = TenantPatchRequest { name: None, status: Some(form.status), plan: None };
    let _changed = update_tenant(State(state), viewer.principal, ApiPath(tenant), ApiJson(patch)).await?;
    Ok(Redirect::to("/admin/tenants").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlanForm {
    plan: PlanSlug,
}

/// `POST /admin/tenants/{id}/plan`: moves a tenant to another plan, and shows the tenants with
/// the plugins the move disabled or enabled again.
pub(crate) async fn set_plan(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tenant): Path<TenantId>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> PageResult {
    let patch = TenantPatchRequest { name: None, status: None, plan: Some(form.plan) };
    let changed =
        update_tenant(State(state.clone()), viewer.principal.clone(), ApiPath(tenant), ApiJson(patch))
            .await?
            .0;
    let page = tenants_page(&state, &viewer).await?;
    Ok(render(&Tenants { changed: Some((changed.tenant, changed.effects)), ..page }))
}

#[derive(Template)]
#[template(path = "console/catalogue.html")]
struct Catalogue {
    chrome: Chrome,
    plugins: Vec<ils_plugin_host::PlatformEntry>,
}

/// `GET /admin/plugins`: the installation's plugin catalogue.
pub(crate) async fn catalogue(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let plugins = crate::http::plugins::platform_catalogue(State(state), viewer.principal.clone()).await?.0;
    Ok(render(&Catalogue { chrome: viewer.chrome.at("/admin/plugins"), plugins }))
}
