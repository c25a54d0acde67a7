//! Webhooks as Shopify sends them: a POST of the raw JSON body with the `X-Shopify-*` headers,
//! signed with base64(HMAC-SHA256(app client secret, body)).
//!
//! A [`Delivery`] is one signed delivery; sending it again sends the same bytes and headers
//! (same `X-Shopify-Webhook-Id`), as Shopify's retries do.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::FakeShopify;
use crate::admin::API_VERSION;

/// base64(HMAC-SHA256(`secret`, `body`)): the `X-Shopify-Hmac-Sha256` value.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(body);
    BASE64.encode(mac.finalize().into_bytes())
}

/// One webhook delivery: the body and every header Shopify sends with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `X-Shopify-Topic`, e.g. `orders/create`.
    pub topic: String,
    /// The raw body.
    pub body: Vec<u8>,
    /// `X-Shopify-Hmac-Sha256`.
    pub hmac: String,
    /// `X-Shopify-Shop-Domain`.
    pub shop_domain: String,
    /// `X-Shopify-Webhook-Id`: the same on every retry of this delivery.
    pub webhook_id: String,
    /// `X-Shopify-Event-Id`.
    pub event_id: String,
    /// `X-Shopify-Triggered-At` (RFC 3339, UTC).
    pub triggered_at: String,
}

impl Delivery {
    /// The headers, in the order Shopify sends them.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Content-Type", "application/json".to_owned()),
            ("User-Agent", "Shopify-Captain-Hook".to_owned()),
            ("X-Shopify-Topic", self.topic.clone()),
            ("X-Shopify-Hmac-Sha256", self.hmac.clone()),
            ("X-Shopify-Shop-Domain", self.shop_domain.clone()),
            ("X-Shopify-Webhook-Id", self.webhook_id.clone()),
            ("X-Shopify-API-Version", API_VERSION.to_owned()),
            ("X-Shopify-Triggered-At", self.triggered_at.clone()),
            ("X-Shopify-Event-Id", self.event_id.clone()),
        ]
    }

    /// The same delivery signed with a secret that is not the app's: well-formed, and wrong.
    pub fn forged(self) -> Self {
        let hmac = sign(b"not-the-app-secret", &self.body);
        Self { hmac, ..self }
    }
}

/// What the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The HTTP status.
    pub status: u16,
    /// From sending to the end of the answer's body.
    pub elapsed: Duration,
    /// The answer's body.
    pub answer: Vec<u8>,
    /// What was sent, to send again.
    pub delivery: Delivery,
}

/// A delivery that got no HTTP answer.
#[derive(Debug, thiserror::Error)]
#[error("the webhook could not be delivered: {0}")]
pub struct SendError(#[from] reqwest::Error);

impl FakeShopify {
    /// A new delivery of `body` on `topic`, signed with the app's secret, with fresh webhook and
    /// event ids.
    pub fn delivery(&self, topic: &str, body: &[u8]) -> Delivery {
        Delivery {
            topic: topic.to_owned(),
            body: body.to_vec(),
            hmac: sign(self.config.webhook_secret.as_bytes(), body),
            shop_domain: self.config.domain.clone(),
            webhook_id: uuid::Uuid::new_v4().to_string(),
            event_id: uuid::Uuid::new_v4().to_string(),
            triggered_at: jiff::Timestamp::now().to_string(),
        }
    }

    /// The app's client secret, which signs webhooks.
    pub fn webhook_secret(&self) -> &str {
        &self.config.webhook_secret
    }

    /// Sends a new signed delivery to `url` (the ILS host's public hook).
    pub async fn send_webhook(&self, url: &str, topic: &str, body: &[u8]) -> Result<Sent, SendError> {
        self.send(url, self.delivery(topic, body)).await
    }

    /// Sends a new delivery whose signature is forged.
    pub async fn send_forged_webhook(&self, url: &str, topic: &str, body: &[u8]) -> Result<Sent, SendError> {
        self.send(url, self.delivery(topic, body).forged()).await
    }

    /// Sends `delivery` as it is: byte for byte the same body and headers, so a replay of an
    /// earlier one carries its webhook id, as a Shopify retry does.
    pub async fn send(&self, url: &str, delivery: Delivery) -> Result<Sent, SendError> {
        let mut request = self.http.post(url).body(delivery.body.clone());
        for (name, value) in delivery.headers() {
            request = request.header(name, value);
        }
        let started = Instant::now();
        let response = request.send().await?;
        let status = response.status().as_u16();
        let answer = response.bytes().await?.to_vec();
        Ok(Sent { status, elapsed: started.elapsed(), answer, delivery })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_shopifys_published_vector() {
        // shopify-api-js's validate test: body `{"foo": "bar"}`, secret `test_secret_key`.
        assert_eq!(
            sign(b"test_secret_key", br#"{"foo": "bar"}"#),
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
        );
    }
}
