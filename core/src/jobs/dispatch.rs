//! Fanning an event out: one `deliver_webhook` job per interested endpoint, and the e-mails
//! the event calls for. Deliveries are unique by (tenant, endpoint, event), so re-running a
//! dispatch after a crash queues no duplicates.

use riverqueue::{BoxError, InsertOpts, Job, WorkContext, WorkOutcome};

use super::{DeliverWebhook, DispatchEvent};
use crate::events::{DomainEvent, catalog};
use crate::ids::WebhookEndpointId;
use crate::state::AppState;

pub(super) async fn dispatch(
    state: &AppState,
    _ctx: WorkContext,
    job: Job<DispatchEvent>,
) -> Result<WorkOutcome, BoxError> {
    let args = &job.args;
    let mut tx = state.db.tenant(args.tenant_id).await?;
    let Some(event) = crate::events::get(&mut tx, args.event_id).await? else {
        // Events are only ever inserted with their dispatch job, so this is a bug.
        return Err(riverqueue::JobCancelError::new(format!("event {} does not exist", args.event_id)).into());
    };
    let only: Option<WebhookEndpointId> = (event.type_ == catalog::WebhookTest::TYPE)
        .then(|| event.data["endpoint_id"].as_str().and_then(|id| id.parse().ok()))
        .flatten();
    let endpoints = crate::webhooks::endpoints_for_event(&mut tx, &event.type_, only).await?;
    let opts = InsertOpts::default().with_max_attempts(i32::from(state.config.jobs.delivery_attempts));
    for endpoint in endpoints {
        let delivery =
            DeliverWebhook { tenant_id: args.tenant_id, endpoint_id: endpoint.id, event_id: event.id };
        let (conn, jobs) = tx.with_jobs();
        super::enqueue(conn, jobs, delivery, opts.clone()).await?;
    }
    crate::notify::on_event(state, &mut tx, &event).await?;
    crate::plugins::jobs::fan_out(state, &mut tx, &event).await?;
    tx.commit().await?;
    Ok(WorkOutcome::Complete)
}
