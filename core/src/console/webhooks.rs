//! A tenant's webhook endpoints: the list, adding one (URL and the event types it wants, from the
//! event catalogue), and an endpoint's page with its recent deliveries, a test event, rotating
//! its signing secret (the new one shown once) and removing it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::{Csrf, CsrfForm};
use super::page::{Chrome, ConsoleError, FieldErrors, PageResult, render};
use super::page::{given, refused};
use super::session::Viewer;
use super::settings::no_store;
use crate::events::catalog;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::webhooks::{
    NewEndpoint, create_endpoint, delete_endpoint, get_endpoint, list_deliveries, list_endpoints,
    rotate_secret, send_test,
};
use crate::state::AppState;
use ils_kernel::page::PageQuery;
use ils_storage::ids::WebhookEndpointId;
use ils_webhooks::{Delivery, Endpoint, Outcome};

/// How many delivery attempts an endpoint's page shows, newest first.
const RECENT: usize = 50;

#[derive(Template)]
#[template(path = "console/webhooks.html")]
struct Endpoints {
    chrome: Chrome,
    endpoints: Vec<Endpoint>,
    form: EndpointForm,
    errors: FieldErrors,
}

impl Endpoints {
    fn event_types(&self) -> Vec<&'static str> {
        catalog::ALL.iter().map(|(event_type, _)| *event_type).collect()
    }

    fn chosen(&self, event_type: &str) -> bool {
        self.form.event_types.iter().any(|t| t == event_type)
    }
}

/// The new-endpoint form, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EndpointForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    event_types: Vec<String>,
}

async fn endpoints_page(state: &AppState, viewer: &Viewer) -> Result<Endpoints, ConsoleError> {
    let query = PageQuery { cursor: None, limit: Some(200) };
    let endpoints =
        list_endpoints(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0.items;
    Ok(Endpoints {
        chrome: viewer.chrome.at("/settings"),
        endpoints,
        form: EndpointForm::default(),
        errors: FieldErrors::default(),
    })
}

/// `GET /webhooks`.
pub(crate) async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&endpoints_page(&state, &viewer).await?))
}

/// `POST /webhooks`: adds the endpoint and shows its page with the signing secret, once.
pub(crate) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<EndpointForm>,
) -> PageResult {
    let input = NewEndpoint {
        url: form.url.trim().to_owned(),
        description: given(&form.description),
        event_types: Some(form.event_types.clone()),
    };
    match create_endpoint(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await {
        Ok((_, created)) => {
            let created = created.0;
            let page = endpoint_page(&state, &viewer, created.endpoint.id).await?;
            Ok(no_store(render(&EndpointPage { secret: Some(created.secret), ..page })))
        }
        Err(error) => {
            let page = endpoints_page(&state, &viewer).await?;
            refused(error, |errors| Endpoints { errors, form, ..page })
        }
    }
}

#[derive(Template)]
#[template(path = "console/webhook.html")]
struct EndpointPage {
    chrome: Chrome,
    endpoint: Endpoint,
    /// The latest attempts, newest first.
    deliveries: Vec<Delivery>,
    /// A signing secret just made (on creation or rotation): shown on this page only.
    secret: Option<String>,
    /// A test event was just queued.
    tested: bool,
}

impl EndpointPage {
    fn delivered(&self, delivery: &Delivery) -> bool {
        delivery.outcome == Outcome::Delivered
    }
}

/// The endpoint and its latest delivery attempts. The log reads oldest first, so the page follows
/// it to its end (a bounded number of pages) and keeps the tail.
async fn endpoint_page(
    state: &AppState,
    viewer: &Viewer,
    id: WebhookEndpointId,
) -> Result<EndpointPage, ConsoleError> {
    let endpoint = get_endpoint(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await?.0;
    let mut deliveries = Vec::new();
    let mut cursor = None;
    for _ in 0..20 {
        let query = PageQuery { cursor, limit: Some(200) };
        let page =
            list_deliveries(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiQuery(query))
                .await?
                .0;
        deliveries.extend(page.items);
        let skip = deliveries.len().saturating_sub(RECENT);
        deliveries.drain(..skip);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    deliveries.reverse();
    Ok(EndpointPage {
        chrome: viewer.chrome.at("/settings"),
        endpoint,
        deliveries,
        secret: None,
        tested: false,
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ShowQuery {
    #[serde(default)]
    test: Option<String>,
}

/// `GET /webhooks/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<WebhookEndpointId>,
    Query(query): Query<ShowQuery>,
) -> PageResult {
    let page = endpoint_page(&state, &viewer, id).await?;
    Ok(render(&EndpointPage { tested: query.test.as_deref() == Some("queued"), ..page }))
}

/// `POST /webhooks/{id}/test`: queues a `webhook.test` event for it.
pub(crate) async fn test(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<WebhookEndpointId>,
    _: Csrf,
) -> PageResult {
    let _queued = send_test(State(state), viewer.principal, ApiPath(id)).await?;
    Ok(Redirect::to(&format!("/webhooks/{id}?test=queued")).into_response())
}

/// `POST /webhooks/{id}/rotate-secret`: shows the new secret once.
pub(crate) async fn rotate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<WebhookEndpointId>,
    _: Csrf,
) -> PageResult {
    let rotated = rotate_secret(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await?.0;
    let page = endpoint_page(&state, &viewer, id).await?;
    Ok(no_store(render(&EndpointPage { secret: Some(rotated.secret), ..page })))
}

/// `POST /webhooks/{id}/delete`: removes it with its delivery log.
pub(crate) async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<WebhookEndpointId>,
    _: Csrf,
) -> PageResult {
    delete_endpoint(State(state), viewer.principal, ApiPath(id)).await?;
    Ok(Redirect::to("/webhooks").into_response())
}
