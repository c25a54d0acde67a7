//! `GET /live`: the console's live views' signal. One `changed` message (its data the event type)
//! for every event of the viewer's tenant that they may read, followed as the API's event stream
//! follows them; the page's live regions then re-fetch themselves.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};

use super::page::ConsoleError;
use super::session::Viewer;
use crate::http::events::{follow, readable_types};
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_storage::ids::EventId;

/// The stream; it ends when the session does.
pub(crate) async fn stream(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ConsoleError> {
    let ctx = viewer.tenant(Action::TenantRead)?;
    let types = readable_types(&viewer.principal, None)?;
    // From now on: ids are time-ordered.
    let events = follow(state, &viewer.principal, ctx.tenant_id, types, viewer.token, EventId::default())?;
    Ok(Sse::new(events.map(|event| Ok(Event::default().event("changed").data(event.type_))))
        .keep_alive(KeepAlive::default()))
}
