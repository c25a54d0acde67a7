//! Working `deliver_webhook` jobs: signing and POSTing one event to one endpoint over the guarded
//! outbound client, and recording the attempt in the endpoint's delivery log.

use std::time::Instant;

use riverqueue::{BoxError, Job, JobCancelError, WorkOutcome};

use super::fair::{self, FairShare, Work};
use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::error::Error;
use ils_storage::ids::WebhookDeliveryId;
use ils_storage::types::Timestamp;
use ils_webhooks::signature::signature_header;
use ils_webhooks::{DeliverWebhook, Delivery, Outcome, guard, store};

/// What the receiver made of one attempt.
struct Attempt {
    outcome: Outcome,
    status_code: Option<i32>,
    error: Option<String>,
}

/// What a delivery needs: the database (endpoints, events, the delivery log), the key that opens
/// signing secrets, and the outbound client behind the address guard.
#[derive(Clone, Debug)]
pub struct Deliverer {
    /// The database the deliveries read endpoints and events from and log their attempts to.
    pub db: ils_storage::Db,
    /// Opens the endpoints' signing secrets.
    pub sealer: ils_kernel::secrets::Sealer,
    /// The outbound client ([`crate::outbound::http_client`]), which re-checks every resolved address.
    pub http: reqwest::Client,
    /// Whether `http://` and private addresses are allowed (tests and closed networks only).
    pub allow_private_targets: bool,
    /// Counts the attempts by outcome.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Each tenant's share of this process's workers.
    pub share: FairShare,
}

/// Works one `deliver_webhook` job: 2xx completes it; 410 Gone disables the endpoint; a refused
/// address cancels it; anything else fails the attempt, and the queue retries with backoff
/// until the job is dead (discarded). A tenant already running its share of deliveries on this
/// process gets its job snoozed instead.
pub async fn work(state: &Deliverer, job: Job<DeliverWebhook>) -> Result<WorkOutcome, BoxError> {
    let args = &job.args;
    let Some(_slot) = state.share.try_take(args.tenant_id, Work::Webhook) else {
        return Ok(fair::turn_away(&job.row, Work::Webhook, &state.metrics));
    };
    let mut tx = state.db.tenant_read(args.tenant_id).await?;
    let (endpoint, secrets) =
        match store::endpoint_with_secrets(&mut tx, args.endpoint_id, &state.sealer).await {
            Ok(found) => found,
            // Deleted since the event: nothing to deliver.
            Err(Error::NotFound(_)) => return Ok(WorkOutcome::Complete),
            Err(e) => return Err(e.into()),
        };
    if !endpoint.enabled {
        return Ok(WorkOutcome::Complete);
    }
    let event = ils_outbox::get(&mut tx, args.event_id)
        .await?
        .ok_or_else(|| Error::Internal(format!("event {} is missing", args.event_id)))?;
    tx.commit().await?;

    let body = serde_json::to_vec(&event)?;
    let started = Instant::now();
    let attempt = send(state, &endpoint.url, &event.id.to_string(), &secrets, body).await;
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);

    let delivery = Delivery {
        id: WebhookDeliveryId::new(),
        endpoint_id: endpoint.id,
        event_id: event.id,
        attempt: job.row.attempt,
        outcome: attempt.outcome,
        status_code: attempt.status_code,
        error: attempt.error.clone(),
        duration_ms,
        at: Timestamp::now(),
    };
    let mut tx = state.db.tenant(args.tenant_id).await?;
    store::record_delivery(&mut tx, &delivery).await?;
    if attempt.outcome == Outcome::Gone {
        store::disable(&mut tx, endpoint.id, "the receiver answered 410 Gone").await?;
        let event = Event::new("webhook.disabled", "webhook_endpoint", endpoint.id)
            .changes(serde_json::json!({ "reason": "410 Gone", "event_id": event.id }));
        audit::record(&mut tx, &AuditCtx::system(), event).await?;
    }
    tx.commit().await?;
    state.metrics.observe_delivery(attempt.outcome);

    match attempt.outcome {
        Outcome::Delivered | Outcome::Gone => Ok(WorkOutcome::Complete),
        Outcome::Refused => Err(JobCancelError::new(attempt.error.unwrap_or_default()).into()),
        Outcome::Failed => Err(attempt.error.unwrap_or_else(|| "delivery failed".to_owned()).into()),
    }
}

async fn send(
    state: &Deliverer,
    url: &str,
    id: &str,
    secrets: &[ils_webhooks::signature::SigningSecret],
    body: Vec<u8>,
) -> Attempt {
    let failed = |outcome, error: String| Attempt { outcome, status_code: None, error: Some(error) };
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return failed(Outcome::Refused, format!("{url:?} is not a URL"));
    };
    if let Err(blocked) = guard::check_literal(&parsed, state.allow_private_targets) {
        return failed(Outcome::Refused, blocked.to_string());
    }
    let timestamp = Timestamp::now().unix_seconds();
    let signature = signature_header(secrets, id, timestamp, &body);
    let response = state
        .http
        .post(parsed)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match response {
        Ok(response) => {
            let status = response.status();
            let code = Some(i32::from(status.as_u16()));
            if status.is_success() {
                Attempt { outcome: Outcome::Delivered, status_code: code, error: None }
            } else if status == reqwest::StatusCode::GONE {
                Attempt { outcome: Outcome::Gone, status_code: code, error: Some("410 Gone".to_owned()) }
            } else {
                Attempt {
                    outcome: Outcome::Failed,
                    status_code: code,
                    error: Some(format!("receiver answered {status}")),
                }
            }
        }
        Err(error) if guard::is_blocked(&error) => failed(Outcome::Refused, error_chain(&error)),
        Err(error) if error.is_timeout() => {
            failed(Outcome::Failed, "the receiver did not answer in time".to_owned())
        }
        Err(error) => failed(Outcome::Failed, error_chain(&error)),
    }
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut current = error.source();
    while let Some(e) = current {
        parts.push(e.to_string());
        current = e.source();
    }
    parts.join(": ")
}
