//! Managing a tenant's webhook endpoints.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::events::catalog;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_kernel::audit::{self, Event};
use ils_kernel::error::{Error, Result};
use ils_kernel::input::Fields;
use ils_kernel::permissions::Action;
use ils_outbox as events;
use ils_storage::ids::{EventId, WebhookEndpointId};
use ils_storage::types::Timestamp;
use ils_tenancy::auth::Principal;
use ils_webhooks::signature::SigningSecret;
use ils_webhooks::{Delivery, Endpoint, ROTATION_GRACE, store};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_endpoint, list_endpoints))
        .routes(routes!(get_endpoint, update_endpoint, delete_endpoint))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(send_test))
        .routes(routes!(redeliver))
}

/// A new endpoint.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// Where to POST events: an `https://` URL on the public internet.
    pub url: String,
    /// What it is for.
    pub description: Option<String>,
    /// Event types to send; empty or absent for all.
    pub event_types: Option<Vec<String>>,
}

/// A created endpoint with its signing secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedEndpoint {
    /// The endpoint; in JSON its fields sit at the top level, beside `secret`.
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// `whsec_…`: verify `webhook-signature` with it.
    pub secret: String,
}

async fn check_url(state: &AppState, url: &str) -> Result<String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| Error::invalid_field("url", "is not a URL"))?;
    let allow_private = state.config.webhooks.allow_private_targets;
    if parsed.scheme() != "https" && !(allow_private && parsed.scheme() == "http") {
        return Err(Error::invalid_field("url", "must be an https URL"));
    }
    ils_webhooks::guard::check_literal(&parsed, allow_private)
        .map_err(|e| Error::invalid_field("url", e.to_string()))?;
    // A name that resolves to a private address now is refused at once. One that does not
    // resolve yet is accepted: deliveries retry, and the guard checks every connection anyway.
    if let Some(url::Host::Domain(host)) = parsed.host()
        && !allow_private
        && let Ok(addrs) =
            tokio::net::lookup_host((host, parsed.port_or_known_default().unwrap_or(443))).await
    {
        for addr in addrs {
            if !ils_webhooks::guard::is_public(addr.ip()) {
                return Err(Error::invalid_field(
                    "url",
                    format!("{host} resolves to {}, a private, loopback or reserved address", addr.ip()),
                ));
            }
        }
    }
    Ok(parsed.to_string())
}

fn check_types(types: Option<Vec<String>>) -> Result<Vec<String>> {
    let mut types = types.unwrap_or_default();
    if let Some(unknown) = types.iter().find(|t| catalog::read_action(t).is_none()) {
        return Err(Error::invalid_field("event_types", format!("{unknown:?} is not an event type")));
    }
    types.sort();
    types.dedup();
    Ok(types)
}

/// Add a webhook endpoint. Its signing secret is in the answer only.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", security(("bearer" = [])), request_body = NewEndpoint,
    responses((status = 201, description = "Created", body = CreatedEndpoint),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid URL or event type", body = Problem)))]
pub(crate) async fn create_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<NewEndpoint>,
) -> ApiResult<(StatusCode, Json<CreatedEndpoint>)> {
    let ctx = principal.tenant(Action::WebhooksManage)?;
    let mut f = Fields::new();
    let url = f.check(check_url(&state, &req.url).await);
    let event_types = f.check(check_types(req.event_types));
    let (url, event_types) = f.build(|| Some((url?, event_types?)))?;
    let now = Timestamp::now();
    let endpoint = Endpoint {
        id: WebhookEndpointId::new(),
        url,
        description: req.description.unwrap_or_default().trim().chars().take(500).collect(),
        event_types,
        enabled: true,
        disabled_reason: None,
        previous_secret_expires_at: None,
        created_at: now,
        updated_at: now,
    };
    let secret = SigningSecret::generate();
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    store::insert(&mut tx, &endpoint, &state.sealer.seal(secret.as_bytes())).await?;
    let event = Event::new("webhook.created", "webhook_endpoint", endpoint.id)
        .changes(serde_json::json!({ "url": endpoint.url, "event_types": endpoint.event_types }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(CreatedEndpoint { endpoint, secret: secret.to_text() })))
}

/// The tenant's webhook endpoints.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "Endpoints", body = Page<Endpoint>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn list_endpoints(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Endpoint>>> {
    let ctx = principal.tenant(Action::WebhooksManage)?;
    let page = PageRequest::parse(&query)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let endpoints = store::list(&mut tx, &page).await?;
    tx.commit().await?;
    Ok(Json(endpoints))
}

/// One webhook endpoint.
#[utoipa::path(get, path = "/webhooks/{endpoint_id}", tag = "webhooks", security(("bearer" = [])),
    params(("endpoint_id" = WebhookEndpointId, Path, description = "The endpoint")),
    responses((status = 200, description = "The endpoint", body = Endpoint),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such endpoint in this tenant", body = Problem)))]
pub(crate) async fn get_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
) -> ApiResult<Json<Endpoint>> {
    let ctx = principal.tenant(Action::WebhooksManage)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let endpoint = store::get_endpoint(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(endpoint))
}

/// Changes to an endpoint.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    /// New URL.
    pub url: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New event type filter (empty for all).
    pub event_types: Option<Vec<String>>,
    /// Turn sending on or off; turning it on clears the disabled reason.
    pub enabled: Option<bool>,
}

/// Change an endpoint's URL, description, filter, or re-enable it.
#[utoipa::path(patch, path = "/webhooks/{endpoint_id}", tag = "webhooks", security(("bearer" = [])),
    params(("endpoint_id" = WebhookEndpointId, Path, description = "The endpoint")), request_body = EndpointPatch,
    responses((status = 200, description = "Updated", body = Endpoint),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such endpoint in this tenant", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn update_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
    ApiJson(req): ApiJson<EndpointPatch>,
) -> ApiResult<Json<Endpoint>> {
    let ctx = principal.tenant(Action::WebhooksManage)?;
    let mut f = Fields::new();
    let url = match &req.url {
        Some(url) => f.check(check_url(&state, url).await).map(Some),
        None => Some(None),
    };
    let types = f.check(req.event_types.map(|t| check_types(Some(t))).transpose());
    let (url, types) = f.build(|| Some((url?, types?)))?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let mut endpoint = store::get_endpoint(&mut tx, id).await?;
    let before = serde_json::to_value(&endpoint).unwrap_or_default();
    if let Some(url) = url {
        endpoint.url = url;
    }
    if let Some(description) = req.description {
        endpoint.description = description.trim().chars().take(500).collect();
    }
    if let Some(types) = types {
        endpoint.event_types = types;
    }
    if let Some(enabled) = req.enabled {
        endpoint.enabled = enabled;
        endpoint.disabled_reason = (!enabled).then(|| "disabled by an admin".to_owned());
    }
    store::update(&mut tx, &endpoint).await?;
    let endpoint = store::get_endpoint(&mut tx, id).await?;
    let event = Event::new("webhook.updated", "webhook_endpoint", id)
        .changes(serde_json::json!({ "before": before, "after": endpoint }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(Json(endpoint))
}

/// Remove an endpoint and its delivery log.
#[utoipa::path(delete, path = "/webhooks/{endpoint_id}", tag = "webhooks", security(("bearer" = [])),
    params(("endpoint_id" = WebhookEndpointId, Path, description = "The endpoint")),
    responses((status = 204, description = "Removed"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such endpoint in this tenant", body = Problem)))]
pub(crate) async fn delete_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
) -> ApiResult<StatusCode> {
    let ctx = principal.tenant(Action::WebhooksManage)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    store::delete(&mut tx, id).await?;
    audit::record(&mut tx, &ctx.audit, Event::new("webhook.deleted", "webhook_endpoint", id)).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RotatedSecret {
    /// The new `whsec_…` secret.
    pub secret: String,
    /// Until then, messages carry signatures with both the old and the new secret.
    pub previous_secret_expires_at: Timestamp,
}

/// Rotate the signing secret; the old one keeps signing alongside for 24 hours.
#[utoipa::path(post, path = "/webhooks/{endpoint_id}/rotate-secret", tag = "webhooks", security(("bearer" = [])),
    params(("endpoint_id" = WebhookEndpointId, Path, description = "The endpoint")),
    responses((status = 200, description = "Rotated", body = RotatedSecret),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such endpoint in this tenant", body = Problem)))]
pub(crate) async fn rotate_secret(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
) -> ApiResult<Json<RotatedSecret>> {
    let ctx = principal.tenant(Action::WebhooksManage)?;
    let secret = SigningSecret::generate();
    let until = Timestamp::now().plus(ROTATION_GRACE);
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    store::rotate_secret(&mut tx, id, &state.sealer.seal(secret.as_bytes()), until).await?;
    audit::record(&mut tx, &ctx.audit, Event::new("webhook.secret_rotated", "webhook_endpoint", id)).await?;
    tx.commit().await?;
    Ok(Json(RotatedSecret { secret: secret.to_text(), previous_secret_expires_at: until }))
}

/// The endpoint's delivery log, oldest first: every attempt with its outcome.
#[utoipa::path(get, path = "/webhooks/{endpoint_id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("endpoint_id" = WebhookEndpointId, Path, description = "The endpoint"), PageQuery),
    responses((status = 200, description = "Deliveries", body = Page<Delivery>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such endpoint in this tenant", body = Problem)))]
pub(crate) async fn list_deliveries(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Delivery>>> {
    let ctx = principal.tenant(Action::WebhooksManage)?;
    let page = PageRequest::parse(&query)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    store::get_endpoint(&mut tx, id).await?;
    let deliveries = store::deliveries(&mut tx, id, &page).await?;
    tx.commit().await?;
    Ok(Json(deliveries))
}

/// A queued test event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestSent {
    /// The `webhook.test` event queued for this endpoint.
    pub event_id: EventId,
}

/// Send a `webhook.test` event to this endpoint (through the queue, like any event).
#[utoipa::path(post, path = "/webhooks/{endpoint_id}/test", tag = "webhooks", security(("bearer" = [])),
    params(("endpoint_id" = WebhookEndpointId, Path, description = "The endpoint")),
    responses((status = 202, description = "Queued", body = TestSent),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such endpoint in this tenant", body = Problem)))]
pub(crate) async fn send_test(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
) -> ApiResult<(StatusCode, Json<TestSent>)> {
    let ctx = principal.tenant(Action::WebhooksManage)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    store::get_endpoint(&mut tx, id).await?;
    let event_id = events::emit(&mut tx, &ils_webhooks::WebhookTest { endpoint_id: id }).await?;
    tx.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(TestSent { event_id })))
}

/// A redelivery queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Redelivery {
    /// The event queued again for this endpoint.
    pub event_id: EventId,
}

/// Queue an event again for this endpoint after its delivery died (all attempts failed). An
/// event whose delivery is still pending, or succeeded, is a conflict.
#[utoipa::path(post, path = "/webhooks/{endpoint_id}/events/{event_id}/redeliver", tag = "webhooks", security(("bearer" = [])),
    params(("endpoint_id" = WebhookEndpointId, Path, description = "The endpoint"),
           ("event_id" = EventId, Path, description = "The event")),
    responses((status = 202, description = "Queued again", body = Redelivery),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such endpoint or event in this tenant", body = Problem),
              (status = 409, description = "Its delivery is still pending, or succeeded", body = Problem)))]
async fn redeliver(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((endpoint_id, event_id)): ApiPath<(WebhookEndpointId, EventId)>,
) -> ApiResult<(StatusCode, Json<Redelivery>)> {
    let ctx = principal.tenant(Action::WebhooksManage)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    store::get_endpoint(&mut tx, endpoint_id).await?;
    events::get(&mut tx, event_id).await?.ok_or(Error::NotFound("event"))?;
    let job = ils_webhooks::DeliverWebhook { tenant_id: ctx.tenant_id, endpoint_id, event_id };
    let opts =
        riverqueue::InsertOpts::default().with_max_attempts(i32::from(state.config.jobs.delivery_attempts));
    let (conn, jobs) = tx.with_jobs();
    if !ils_outbox::queue::enqueue(conn, jobs, job, opts).await? {
        return Err(Error::conflict(
            "delivery_not_dead",
            "This event's delivery to the endpoint is still pending or already succeeded.",
        )
        .into());
    }
    let event = Event::new("webhook.redelivery_requested", "webhook_endpoint", endpoint_id)
        .changes(serde_json::json!({ "event_id": event_id }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(Redelivery { event_id })))
}
