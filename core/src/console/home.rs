//! The start page: what needs doing today, for the tenant the viewer works in.

use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;

use super::page::{Chrome, PageResult, render};
use super::session::Viewer;
use crate::state::AppState;
use ils_clinical::today;
use ils_kernel::page::{PageQuery, PageRequest};
use ils_kernel::permissions::Action;
use ils_orders::Order;
use ils_stock::levels::{LevelFilter, StockLevel};

/// How many rows each list on the start page shows.
const SHOWN: u32 = 20;

#[derive(Template)]
#[template(path = "console/home.html")]
struct Home {
    chrome: Chrome,
    today: jiff::civil::Date,
    due: Vec<Order>,
    low_stock: Vec<StockLevel>,
    pending_users: usize,
    plugin_pages: Vec<super::plugin_pages::PluginPage>,
}

/// Today's page: orders due or late, stock at or below its reorder point, people waiting for
/// approval. A platform admin without a tenant goes to the tenant list.
pub(crate) async fn home(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    if viewer.chrome.tenant_name.is_none() {
        let to = if viewer.principal.is_platform_admin { "/admin/tenants" } else { "/account" };
        return Ok(axum::response::Redirect::to(to).into_response());
    }
    let ctx = viewer.tenant(Action::TenantRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: None, limit: Some(SHOWN) })?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let today = today();
    let due = if viewer.principal.may(Action::OrdersRead) {
        ils_orders::store::due_by(&mut tx, today.tomorrow().unwrap_or(today), i64::from(SHOWN)).await?
    } else {
        Vec::new()
    };
    let low_stock = if viewer.principal.may(Action::StockRead) {
        let low = LevelFilter { low: true, ..LevelFilter::default() };
        ils_stock::levels::list(&mut tx, &low, &page).await?.items
    } else {
        Vec::new()
    };
    let pending_users = if viewer.principal.may(Action::UsersRead) {
        let pending = Some(ils_tenancy::users::MembershipStatus::Pending);
        ils_tenancy::users::list_members(&mut tx, pending, &page).await?.items.len()
    } else {
        0
    };
    tx.commit().await?;
    let plugin_pages = super::plugin_pages::pages(&state, &viewer).await?;
    Ok(render(&Home { chrome: viewer.chrome.at("/"), today, due, low_stock, pending_users, plugin_pages }))
}
