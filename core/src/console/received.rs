//! A supplier's inbox: the purchase orders its customers on ILS send it (newest first, the new
//! ones marked), one order with its lines and PDF, and acknowledging it
//! (docs/adr/042-supplier-inbox.md).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};

use super::form::Csrf;
use super::page::{Chrome, PageResult, render};
use super::session::Viewer;
use super::stock::money;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::stock::received::{ReceivedQuery, acknowledge_received, get_received, list_received};
use crate::state::AppState;
use ils_stock::received::{ReceivedOrder, ReceivedStatus};
use ils_storage::ids::ReceivedOrderId;

#[derive(Template)]
#[template(path = "console/received_orders.html")]
struct Inbox {
    chrome: Chrome,
    orders: Vec<ReceivedOrder>,
}

impl Inbox {
    fn money(&self, order: &ReceivedOrder) -> String {
        money(order.total_minor, &order.currency)
    }

    fn new_count(&self) -> usize {
        self.orders.iter().filter(|o| o.status == ReceivedStatus::New).count()
    }
}

/// `GET /received`.
pub(crate) async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let query = ReceivedQuery { status: None, cursor: None, limit: Some(200) };
    let orders = list_received(State(state), viewer.principal.clone(), ApiQuery(query)).await?.0.items;
    Ok(render(&Inbox { chrome: viewer.chrome.at("/received"), orders }))
}

#[derive(Template)]
#[template(path = "console/received_order.html")]
struct Received {
    chrome: Chrome,
    order: ReceivedOrder,
}

impl Received {
    fn money(&self, minor: &i64) -> String {
        money(*minor, &self.order.currency)
    }

    fn is_new(&self) -> bool {
        self.order.status == ReceivedStatus::New
    }

    fn address_lines(&self) -> Vec<&str> {
        self.order.buyer.address.lines().filter(|l| !l.trim().is_empty()).collect()
    }
}

/// `GET /received/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ReceivedOrderId>,
) -> PageResult {
    let order = get_received(State(state), viewer.principal.clone(), ApiPath(id)).await?.0;
    Ok(render(&Received { chrome: viewer.chrome.at("/received"), order }))
}

/// `POST /received/{id}/acknowledge`.
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ReceivedOrderId>,
    _: Csrf,
) -> PageResult {
    let _acknowledged = acknowledge_received(State(state), viewer.principal, ApiPath(id)).await?;
    Ok(Redirect::to(&format!("/received/{id}")).into_response())
}
