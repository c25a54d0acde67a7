//! Fanning an event out to the endpoints that want it: one `deliver_webhook` job per endpoint.
//! The job is worked by the host's outbound-HTTP worker.

use riverqueue::{InsertOpts, JobArgs};
use serde::{Deserialize, Serialize};

use super::store;
use ils_outbox::{Consumer, DomainEvent, Envelope};
use ils_storage::TenantTx;
use ils_storage::ids::{EventId, TenantId, WebhookEndpointId};

/// Deliver one event to one webhook endpoint.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "deliver_webhook", unique(by_args))]
pub struct DeliverWebhook {
    /// The tenant whose event and endpoint these are.
    pub tenant_id: TenantId,
    /// The endpoint to deliver to; the job does nothing if it was disabled or deleted meanwhile.
    pub endpoint_id: WebhookEndpointId,
    /// The event to deliver. The job is unique by its arguments: one job per event and endpoint.
    pub event_id: EventId,
}

/// Queues one `deliver_webhook` job per enabled endpoint that subscribes to an event (a
/// `webhook.test` event goes only to the endpoint it tests). Deliveries are unique by (tenant,
/// endpoint, event), so a dispatch run again after a crash queues no duplicates.
#[derive(Clone, Debug)]
pub struct Dispatch {
    /// Attempts of each delivery before it becomes a dead job.
    pub delivery_attempts: u16,
}

#[async_trait::async_trait]
impl Consumer for Dispatch {
    async fn on_event(&self, tx: &mut TenantTx, event: &Envelope) -> ils_kernel::error::Result<()> {
        let only: Option<WebhookEndpointId> = (event.type_ == super::WebhookTest::TYPE)
            .then(|| event.data["endpoint_id"].as_str().and_then(|id| id.parse().ok()))
            .flatten();
        let endpoints = store::endpoints_for_event(tx, &event.type_, only).await?;
        let opts = InsertOpts::default().with_max_attempts(i32::from(self.delivery_attempts));
        for endpoint in endpoints {
            let delivery =
                DeliverWebhook { tenant_id: event.tenant_id, endpoint_id: endpoint.id, event_id: event.id };
            let (conn, jobs) = tx.with_jobs();
            ils_outbox::queue::enqueue(conn, jobs, delivery, opts.clone()).await?;
        }
        Ok(())
    }
}
