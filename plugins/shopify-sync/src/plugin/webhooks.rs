//! `POST /webhooks`, the public hook: verify, dedupe, queue, answer — within Shopify's 5 s.
//!
//! 1. The core's [`Verifier`](crate::webhook::Verifier) checks the HMAC on the raw body with the
//!    tenant's secrets, then the headers and the shop. Refused: 401, nothing stored but the
//!    refused count.
//! 2. The core's dedupe entry for `X-Shopify-Webhook-Id` is claimed by compare-and-set: a
//!    delivery already handled answers 200 `{"duplicate":true}` and does nothing else.
//! 3. The body is parsed into the typed payload and queued: `webhook_received` is published with
//!    the topic, the webhook id and the payload re-serialised (never the raw body; a privacy
//!    request's customer email and phone are dropped, the work does not use them). The work
//!    happens when the event comes back ([`super::work`]).

use ils_plugin_sdk::host::{context, events, kv};
use ils_plugin_sdk::{Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::settings::Settings;
use super::{problem, state, status};
use crate::dedupe::{self, Seen};
use crate::ids::ShopDomain;
use crate::webhook::Topic;
use crate::webhook::payload::{Payload, PrivacyCustomer};

/// The kind the queue is published as (the host delivers it back as
/// `plugin.shopify_sync.webhook_received`).
pub const QUEUE_KIND: &str = "webhook_received";
/// The host's limit on an event's payload.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// One queued delivery: what the work needs, and nothing more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queued {
    /// The topic.
    pub topic: Topic,
    /// `X-Shopify-Webhook-Id`.
    pub webhook_id: String,
    /// The shop it came from.
    pub shop: ShopDomain,
    /// `X-Shopify-Triggered-At`, when sent.
    pub triggered_at: Option<String>,
    /// The typed payload, serialised by the core's types.
    pub payload: Value,
}

/// A privacy payload without the customer's email and phone.
fn minimised(payload: Payload) -> Payload {
    let strip = |c: PrivacyCustomer| PrivacyCustomer { id: c.id, email: None, phone: None };
    match payload {
        Payload::CustomersDataRequest(mut r) => {
            r.customer = strip(r.customer);
            Payload::CustomersDataRequest(r)
        }
        Payload::CustomersRedact(mut r) => {
            r.customer = strip(r.customer);
            Payload::CustomersRedact(r)
        }
        other => other,
    }
}

fn answer(value: Value) -> Response {
    Response::json(&value)
}

/// Handles one delivery.
pub fn receive(request: &Request) -> Response {
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => return refuse(&e.to_string()),
    };
    let verifier = match settings.verifier() {
        Ok(v) => v,
        Err(e) => return refuse(&e.to_string()),
    };
    let headers = request.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()));
    let envelope = match verifier.verify(headers, &request.body) {
        Ok(envelope) => envelope,
        Err(e) => return refuse(&e.to_string()),
    };

    let installed = match state::uninstalled() {
        Ok(flag) => flag.is_none(),
        Err(e) => return unavailable(&e.to_string()),
    };
    // After uninstall only the privacy topics still matter (shop/redact comes 48 hours later).
    if matches!(envelope.topic, Topic::Unknown(_)) || (!installed && !envelope.topic.is_privacy()) {
        return answer(json!({ "ignored": true }));
    }

    let now_secs = u64::try_from(context::now_ms() / 1000).unwrap_or(0);
    let key = dedupe::key(&envelope.shop_domain, &envelope.webhook_id);
    let stored = match kv::get(&key) {
        Ok(stored) => stored,
        Err(e) => return unavailable(&e.to_string()),
    };
    let claimed = dedupe::check(stored.as_deref(), now_secs) == Seen::First
        && kv::compare_and_set(&key, stored.as_deref(), Some(&dedupe::record(now_secs))).unwrap_or(false);
    if !claimed {
        let _ = status::count(|c| c.webhooks_duplicate += 1);
        return answer(json!({ "duplicate": true }));
    }

    let queued = Payload::parse(&envelope.topic, &request.body)
        .map_err(|e| (400, "the webhook body is not valid", e.to_string()))
        .and_then(|payload| {
            let payload = serde_json::to_value(minimised(payload))
                .map_err(|e| (500, "the payload could not be queued", e.to_string()))?;
            let queued = Queued {
                topic: envelope.topic.clone(),
                webhook_id: envelope.webhook_id.as_str().to_owned(),
                shop: envelope.shop_domain.clone(),
                triggered_at: envelope.triggered_at.clone(),
                payload,
            };
            let size = serde_json::to_vec(&queued).map(|b| b.len()).unwrap_or(usize::MAX);
            if size > MAX_EVENT_BYTES {
                let detail = format!(
                    "the {} payload is {size} bytes as queued; ILS events hold at most {MAX_EVENT_BYTES}",
                    envelope.topic
                );
                return Err((413, "the webhook is too large to queue", detail));
            }
            events::publish(QUEUE_KIND, &queued)
                .map_err(|e| (503, "the webhook could not be queued", e.to_string()))
        });
    match queued {
        Ok(()) => {
            let _ = status::count(|c| c.webhooks_handled += 1);
            answer(json!({ "queued": true }))
        }
        Err((code, title, detail)) => {
            // Not handled: give the claim back, so Shopify's retry is worked on.
            let _ = kv::delete(&key);
            status::error(&format!(
                "{} webhook {}: {title}: {detail}",
                envelope.topic,
                envelope.webhook_id.as_str()
            ));
            problem(code, title, &detail)
        }
    }
}

fn refuse(detail: &str) -> Response {
    let _ = status::count(|c| c.webhooks_refused += 1);
    problem(401, "webhook refused", detail)
}

fn unavailable(detail: &str) -> Response {
    problem(503, "the webhook could not be handled now", detail)
}
