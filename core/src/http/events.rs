//! Reading events: a list to catch up, and a live server-sent-events stream per tenant.
//! Both show only the event types the caller's role or API key may read.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::events::catalog;
use crate::http::extract::ApiQuery;
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::{AppState, OpenStreams};
use ils_kernel::error::{Error, Result};
use ils_kernel::permissions::Action;
use ils_outbox::Envelope;
use ils_storage::ids::{EventId, TenantId};
use ils_tenancy::auth::{Credential, Principal};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events)).routes(routes!(stream_events))
}

/// How long a new event is left to settle before the stream reads past it: transactions commit
/// in an order slightly different from their ids' order, and a reader that moved past a later id
/// would otherwise skip an earlier one committed a moment after.
const SETTLE: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(250);
/// How often an open stream checks that its session or key is still valid for the tenant.
const RECHECK: Duration = Duration::from_secs(5);

/// One of a caller's open streams; dropping it (the stream ended or the client went away) frees
/// the slot.
struct StreamSlot(Arc<OpenStreams>, Uuid);

impl StreamSlot {
    /// Takes a slot for `caller` if fewer than `cap` are taken.
    fn take(streams: &Arc<OpenStreams>, caller: Uuid, cap: usize) -> Result<Self> {
        let mut open = streams.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = open.entry(caller).or_default();
        if *count >= cap {
            return Err(Error::RateLimited {
                code: "too_many_streams",
                message: format!(
                    "{cap} event streams are open for this caller already; close one before opening another."
                ),
                retry_after: RECHECK.as_secs(),
            });
        }
        *count += 1;
        Ok(Self(streams.clone(), caller))
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.0.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.1) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.1);
            }
        }
    }
}

/// The credential behind an open stream, re-checked so that signing out, revoking a key or
/// suspending the tenant also ends the stream.
struct Watch {
    _slot: StreamSlot,
    token: String,
    tenant: TenantId,
    checked: std::time::Instant,
}

impl Watch {
    async fn still_allowed(&self, state: &AppState) -> bool {
        match state.principals.resolve(&self.token).await {
            Ok(Some(principal)) => {
                principal.tenant(Action::TenantRead).is_ok_and(|ctx| ctx.tenant_id == self.tenant)
            }
            // Revoked, expired, or the database is unreachable: stop (fail closed).
            _ => false,
        }
    }
}

/// Filters for the event list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only this event type (`plugin.*`: the events plugins published).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub type_: Option<String>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Every event the tenant's plugins published (`plugin.<id>.<kind>`), readable by whoever may use
/// plugins.
const PLUGIN_EVENTS: &str = "plugin.*";

pub(crate) fn readable_types(principal: &Principal, only: Option<&str>) -> Result<Vec<&'static str>> {
    let mut types: Vec<&'static str> = catalog::ALL
        .iter()
        .filter(|(t, action)| principal.may(*action) && only.is_none_or(|o| o == *t))
        .map(|(t, _)| *t)
        .collect();
    if principal.may(Action::PluginsUse) && only.is_none_or(|o| o == PLUGIN_EVENTS) {
        types.push(PLUGIN_EVENTS);
    }
    if let Some(only) = only
        && only != PLUGIN_EVENTS
        && catalog::read_action(only).is_none()
    {
        return Err(Error::invalid_field("type", format!("{only:?} is not an event type")));
    }
    Ok(types)
}

/// The tenant's events, oldest first, of the types the caller may read.
#[utoipa::path(get, path = "/events", tag = "events", security(("bearer" = [])), params(EventQuery),
    responses((status = 200, description = "Events", body = Page<Envelope>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "No tenant, or suspended", body = Problem),
              (status = 422, description = "Unknown type", body = Problem)))]
async fn list_events(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> ApiResult<Json<Page<Envelope>>> {
    let ctx = principal.tenant(Action::TenantRead)?;
    let types = readable_types(&principal, query.type_.as_deref())?;
    let page = PageRequest::parse(&PageQuery { cursor: query.cursor, limit: query.limit })?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let events = ils_outbox::list_after(&mut tx, page.after()?, &types, page.fetch_limit()).await?;
    tx.commit().await?;
    Ok(Json(page.finish(events, |e| e.id.as_uuid())))
}

/// A live stream of the tenant's events (`text/event-stream`). Each message's `id` is the event
/// id and its `event` the type; reconnect with `Last-Event-ID` to resume without gaps. A user
/// (across all their sessions) or an API key may hold a few streams open at once (5 by default);
/// closing one frees its place.
#[utoipa::path(get, path = "/events/stream", tag = "events", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    responses((status = 200, description = "Server-sent events, one per domain event", content_type = "text/event-stream", body = Envelope),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "No tenant, or suspended", body = Problem),
              (status = 429, description = "Too many streams open for this user or key (`too_many_streams`)", body = Problem)))]
async fn stream_events(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let ctx = principal.tenant(Action::TenantRead)?;
    let types = readable_types(&principal, None)?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.parse::<EventId>().map_err(|_| Error::invalid_field("Last-Event-ID", "is not an event id"))
        })
        .transpose()?;
    // Without a resume point, start from now: ids are time-ordered.
    let cursor = resume.unwrap_or_default();
    let token = crate::http::auth::bearer(&headers).unwrap_or_default().to_owned();
    let events = follow(state, &principal, ctx.tenant_id, types, token, cursor)?;
    Ok(Sse::new(events.map(|event| Ok(sse_message(&event)))).keep_alive(KeepAlive::default()))
}

/// The events of `tenant` after `cursor` of the given `types`, as they settle, until the
/// credential `token` no longer allows reading the tenant (signed out, revoked, suspended).
/// Each open follower holds one of the caller's stream slots (`events.streams_per_caller`) until
/// it ends. The API's event stream and the console's live views both follow events this way.
pub(crate) fn follow(
    state: AppState,
    principal: &Principal,
    tenant: TenantId,
    types: Vec<&'static str>,
    token: String,
    cursor: EventId,
) -> Result<impl Stream<Item = Envelope> + use<>> {
    let caller = match principal.credential {
        Credential::Session { user_id, .. } => user_id.as_uuid(),
        Credential::ApiKey { key_id } => key_id.as_uuid(),
    };
    let slot = StreamSlot::take(&state.streams, caller, state.config.events.streams_per_caller)?;
    let watch = Watch { _slot: slot, token, tenant, checked: std::time::Instant::now() };
    Ok(futures_util::stream::unfold(
        (state, watch, types, cursor, Vec::<Envelope>::new()),
        |(state, mut watch, types, mut cursor, mut pending)| async move {
            loop {
                if let Some(event) = (!pending.is_empty()).then(|| pending.remove(0)) {
                    cursor = event.id;
                    return Some((event, (state, watch, types, cursor, pending)));
                }
                tokio::time::sleep(POLL).await;
                if watch.checked.elapsed() >= RECHECK {
                    if !watch.still_allowed(&state).await {
                        return None;
                    }
                    watch.checked = std::time::Instant::now();
                }
                pending = read_settled(&state, watch.tenant, cursor, &types).await;
            }
        },
    ))
}

async fn read_settled(
    state: &AppState,
    tenant: TenantId,
    after: EventId,
    types: &[&'static str],
) -> Vec<Envelope> {
    let Ok(mut tx) = state.db.tenant_read(tenant).await else {
        return Vec::new();
    };
    let events = ils_outbox::list_after(&mut tx, Some(after), types, 100).await.unwrap_or_default();
    let _ = tx.commit().await;
    let horizon = ils_storage::types::Timestamp::now().minus(SETTLE);
    events.into_iter().take_while(|e| e.timestamp <= horizon).collect()
}

fn sse_message(event: &Envelope) -> SseEvent {
    let data = serde_json::to_string(event).unwrap_or_default();
    SseEvent::default().id(event.id.to_string()).event(event.type_.clone()).data(data)
}
