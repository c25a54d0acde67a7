//! Tenants' outbound webhooks, following Standard Webhooks: endpoints with signing secrets and
//! event filters, delivery through the job queue with retries, a delivery log per endpoint,
//! secret rotation, and an address guard against requests into private networks.

pub mod dispatch;
pub mod guard;
pub mod signature;
/// Endpoints and deliveries in the database (the HTTP handlers call these directly).
pub mod store;

use std::time::Duration;

use serde::Serialize;

use ils_kernel::permissions::Action;
use ils_outbox::DomainEvent;
use ils_storage::ids::{EventId, WebhookDeliveryId, WebhookEndpointId};
use ils_storage::text_enum;
use ils_storage::types::Timestamp;

/// A test message sent to one webhook endpoint on request.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookTest {
    /// The endpoint tested.
    pub endpoint_id: WebhookEndpointId,
}
impl DomainEvent for WebhookTest {
    const TYPE: &'static str = "webhook.test";
    const READ: Action = Action::WebhooksManage;
}

/// The events webhooks declare, with the permission needed to read each.
pub const EVENTS: &[(&str, Action)] = &[(WebhookTest::TYPE, WebhookTest::READ)];

pub use dispatch::{DeliverWebhook, Dispatch};
pub use store::{endpoint_with_secrets, endpoints_for_event, get_endpoint, record_delivery};

/// How long a replaced secret keeps signing (alongside the new one) after a rotation, so
/// receivers can switch without losing messages.
pub const ROTATION_GRACE: Duration = Duration::from_secs(24 * 3600);

/// Webhook settings of the host.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// Allow `http://` and private, loopback and link-local targets (tests, closed networks).
    pub allow_private_targets: bool,
    /// How long to wait for a receiver's answer. Short: a receiver that does not answer holds a
    /// worker meanwhile, and the retry schedule does the waiting instead (docs/adr/016).
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self { allow_private_targets: false, timeout: Duration::from_secs(5) }
    }
}

/// A tenant's webhook endpoint.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Endpoint {
    /// The endpoint's id (UUIDv7, so ids sort by creation time).
    pub id: WebhookEndpointId,
    /// Where events are POSTed.
    pub url: String,
    /// What it is for.
    pub description: String,
    /// Event types sent to it; empty means every type.
    pub event_types: Vec<String>,
    /// Whether events are sent to it.
    pub enabled: bool,
    /// Why it was disabled (e.g. the receiver answered 410 Gone).
    pub disabled_reason: Option<String>,
    /// Until when the previous secret still signs too, after a rotation.
    pub previous_secret_expires_at: Option<Timestamp>,
    /// When the endpoint was created (UTC); never changes.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl Endpoint {
    /// Whether events of `event_type` go to this endpoint.
    pub fn wants(&self, event_type: &str) -> bool {
        self.enabled && (self.event_types.is_empty() || self.event_types.iter().any(|t| t == event_type))
    }
}

text_enum! {
    /// How a delivery attempt ended.
    pub enum Outcome {
        /// The receiver answered 2xx.
        Delivered = "delivered",
        /// Any other answer, a timeout or a network error: retried with backoff.
        Failed = "failed",
        /// The receiver answered 410 Gone: the endpoint was disabled.
        Gone = "gone",
        /// The target address is not allowed (private network): not retried.
        Refused = "refused",
    }
}

/// One delivery attempt, for the endpoint's log.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// The attempt's id (UUIDv7, so an endpoint's log sorts by time).
    pub id: WebhookDeliveryId,
    /// The endpoint the attempt was made to.
    pub endpoint_id: WebhookEndpointId,
    /// The event (its `webhook-id`).
    pub event_id: EventId,
    /// Attempt number, from 1.
    pub attempt: i32,
    /// How it ended.
    pub outcome: Outcome,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i32,
    /// When the attempt ended (UTC); it began `duration_ms` earlier.
    pub at: Timestamp,
}

/// Adds an endpoint receiving every event, for benchmarks and tools that run without HTTP.
#[doc(hidden)]
pub async fn create_endpoint_for_bench(
    db: &ils_storage::Db,
    sealer: &ils_kernel::secrets::Sealer,
    tenant: ils_storage::ids::TenantId,
    url: &str,
) -> ils_kernel::error::Result<()> {
    let now = Timestamp::now();
    let endpoint = Endpoint {
        id: WebhookEndpointId::new(),
        url: url.to_owned(),
        description: "benchmark".to_owned(),
        event_types: Vec::new(),
        enabled: true,
        disabled_reason: None,
        previous_secret_expires_at: None,
        created_at: now,
        updated_at: now,
    };
    let secret = signature::SigningSecret::generate();
    let mut tx = db.tenant(tenant).await?;
    store::insert(&mut tx, &endpoint, &sealer.seal(secret.as_bytes())).await?;
    tx.commit().await?;
    Ok(())
}
