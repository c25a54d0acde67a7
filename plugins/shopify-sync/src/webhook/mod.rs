//! Inbound webhooks: the HMAC check on the raw body, the headers as a typed [`Envelope`], and
//! (in [`payload`]) the body as typed data per topic.
//!
//! Shopify signs each delivery with `X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(app secret, raw
//! body)). [`Verifier::verify`] checks that first, in constant time, on the bytes as received —
//! before any header is trusted or any JSON is read — then reads the other headers.

pub mod payload;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::ids::ShopDomain;

/// The signature: base64 of the HMAC-SHA256 of the raw body under the app's secret.
pub const HMAC_HEADER: &str = "X-Shopify-Hmac-Sha256";
/// The topic, e.g. `orders/create`.
pub const TOPIC_HEADER: &str = "X-Shopify-Topic";
/// The shop the event happened in, e.g. `example.myshopify.com`.
pub const SHOP_DOMAIN_HEADER: &str = "X-Shopify-Shop-Domain";
/// The delivery's id: the same on every retry of one delivery, so the dedupe key.
pub const WEBHOOK_ID_HEADER: &str = "X-Shopify-Webhook-Id";
/// The API version the payload is shaped by, e.g. `2026-04`.
pub const API_VERSION_HEADER: &str = "X-Shopify-API-Version";
/// When the event was triggered (ISO 8601); optional.
pub const TRIGGERED_AT_HEADER: &str = "X-Shopify-Triggered-At";
/// The id of the event behind the delivery (several subscriptions may share one); optional.
pub const EVENT_ID_HEADER: &str = "X-Shopify-Event-Id";

type HmacSha256 = Hmac<Sha256>;

/// An app's client secret, the HMAC key. Its `Debug` does not print it.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// Wraps a secret; an empty one is refused, as it would sign anything anyone sends.
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, WebhookError> {
        let secret = secret.into();
        if secret.is_empty() {
            return Err(WebhookError::EmptySecret);
        }
        Ok(Self(secret))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
        HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }

    /// The `X-Shopify-Hmac-Sha256` value Shopify would send with `body`: for tests and fixtures.
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(body);
        BASE64.encode(mac.finalize().into_bytes())
    }

    fn matches(&self, body: &[u8], signature: &[u8]) -> bool {
        let mut mac = self.mac();
        mac.update(body);
        // `verify_slice` compares in constant time (the `subtle` crate underneath).
        mac.verify_slice(signature).is_ok()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// A webhook topic. Topics this plugin does not subscribe to arrive as [`Topic::Unknown`] and
/// are acknowledged without effect.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Topic {
    /// `orders/create`: a sale, stock leaves ILS.
    OrdersCreate,
    /// `orders/updated`: carries the order's refunds; sales already seen are not repeated.
    OrdersUpdated,
    /// `orders/cancelled`: restocks only what Shopify's cancel refund restocked.
    OrdersCancelled,
    /// `refunds/create`: refund lines with a restock type put stock back.
    RefundsCreate,
    /// `products/update`: variants and SKUs may have changed; re-match.
    ProductsUpdate,
    /// `products/delete`: the product's variants are no longer matched.
    ProductsDelete,
    /// `inventory_levels/update`: Shopify's `available` at one location changed; check drift.
    InventoryLevelsUpdate,
    /// `app/uninstalled`: stop syncing the shop.
    AppUninstalled,
    /// `customers/data_request` (mandatory privacy topic).
    CustomersDataRequest,
    /// `customers/redact` (mandatory privacy topic).
    CustomersRedact,
    /// `shop/redact` (mandatory privacy topic).
    ShopRedact,
    /// Any other topic, kept as sent.
    Unknown(String),
}

impl Topic {
    const KNOWN: [(&'static str, Topic); 11] = [
        ("orders/create", Topic::OrdersCreate),
        ("orders/updated", Topic::OrdersUpdated),
        ("orders/cancelled", Topic::OrdersCancelled),
        ("refunds/create", Topic::RefundsCreate),
        ("products/update", Topic::ProductsUpdate),
        ("products/delete", Topic::ProductsDelete),
        ("inventory_levels/update", Topic::InventoryLevelsUpdate),
        ("app/uninstalled", Topic::AppUninstalled),
        ("customers/data_request", Topic::CustomersDataRequest),
        ("customers/redact", Topic::CustomersRedact),
        ("shop/redact", Topic::ShopRedact),
    ];

    /// Reads a topic as Shopify writes it in `X-Shopify-Topic`.
    pub fn parse(text: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, topic)| topic.clone())
            .unwrap_or_else(|| Topic::Unknown(text.to_owned()))
    }

    /// The topic as Shopify writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Topic::Unknown(text) => text,
            known => Self::KNOWN.iter().find(|(_, topic)| topic == known).map_or("", |(name, _)| name),
        }
    }

    /// The three topics every app must handle for privacy law compliance.
    pub fn is_privacy(&self) -> bool {
        matches!(self, Topic::CustomersDataRequest | Topic::CustomersRedact | Topic::ShopRedact)
    }
}

impl From<String> for Topic {
    fn from(value: String) -> Self {
        Topic::parse(&value)
    }
}

impl From<Topic> for String {
    fn from(value: Topic) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `X-Shopify-Webhook-Id`: 1–255 bytes of ASCII letters, digits and `-_.:@`, so it can sit in a
/// storage key unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct WebhookId(String);

impl WebhookId {
    /// Checks the id's alphabet and length.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = !text.is_empty()
            && text.len() <= 255
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:@".contains(&b));
        ok.then(|| Self(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the headers of a verified delivery say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Envelope {
    /// What happened.
    pub topic: Topic,
    /// In which shop.
    pub shop_domain: ShopDomain,
    /// The delivery id, the same on every retry.
    pub webhook_id: WebhookId,
    /// The API version the payload follows.
    pub api_version: String,
    /// When the event was triggered, as sent (ISO 8601), when present.
    pub triggered_at: Option<String>,
    /// The event behind the delivery, when present.
    pub event_id: Option<String>,
}

/// Why a delivery was refused. Every variant means "answer 401 and do nothing".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No secret configured, or an empty one.
    #[error("no webhook secret is configured")]
    EmptySecret,
    /// A required header is absent or blank.
    #[error("the webhook has no {0} header")]
    MissingHeader(&'static str),
    /// A header that must be single appears more than once: which copy was signed is unknowable.
    #[error("the webhook carries the {0} header more than once")]
    RepeatedHeader(&'static str),
    /// A header is present but unreadable.
    #[error("the {header} header is not valid: {reason}")]
    InvalidHeader {
        /// Which header.
        header: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The signature does not match the body under any configured secret: forged, altered in
    /// transit, or signed by another app.
    #[error("the webhook's HMAC does not match its body (forged, altered, or signed with another secret)")]
    HmacMismatch,
    /// Signed correctly, but for a shop this tenant has not configured.
    #[error("the webhook is for shop {got}, not the configured {expected}")]
    WrongShop {
        /// The tenant's shop.
        expected: ShopDomain,
        /// The shop in `X-Shopify-Shop-Domain`.
        got: ShopDomain,
    },
}

/// Checks deliveries for one tenant's shop. More than one secret may be configured while an
/// app's secret is being rotated; a delivery signed with any of them is accepted.
#[derive(Debug, Clone)]
pub struct Verifier {
    secrets: Vec<WebhookSecret>,
    shop: ShopDomain,
}

impl Verifier {
    /// A verifier for `shop`, accepting signatures made with any of `secrets` (at least one).
    pub fn new(secrets: Vec<WebhookSecret>, shop: ShopDomain) -> Result<Self, WebhookError> {
        if secrets.is_empty() {
            return Err(WebhookError::EmptySecret);
        }
        Ok(Self { secrets, shop })
    }

    /// Verifies one delivery: `headers` as received (names in any case, values as bytes) and
    /// `body` exactly as received, before any parsing.
    pub fn verify<N, V>(
        &self,
        headers: impl IntoIterator<Item = (N, V)>,
        body: &[u8],
    ) -> Result<Envelope, WebhookError>
    where
        N: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let headers: Vec<(String, Vec<u8>)> = headers
            .into_iter()
            .map(|(n, v)| (n.as_ref().to_ascii_lowercase(), v.as_ref().to_vec()))
            .collect();
        let get = |name: &'static str| -> Result<Option<&str>, WebhookError> {
            let lower = name.to_ascii_lowercase();
            let mut values = headers.iter().filter(|(n, _)| *n == lower).map(|(_, v)| v);
            let Some(value) = values.next() else { return Ok(None) };
            if values.next().is_some() {
                return Err(WebhookError::RepeatedHeader(name));
            }
            let text = std::str::from_utf8(value)
                .map_err(|_| WebhookError::InvalidHeader { header: name, reason: "not UTF-8" })?
                .trim();
            Ok((!text.is_empty()).then_some(text))
        };
        let required = |name: &'static str| get(name)?.ok_or(WebhookError::MissingHeader(name));

        let signature = required(HMAC_HEADER)?;
        let signature = BASE64
            .decode(signature)
            .map_err(|_| WebhookError::InvalidHeader { header: HMAC_HEADER, reason: "not base64" })?;
        if !self.secrets.iter().any(|secret| secret.matches(body, &signature)) {
            return Err(WebhookError::HmacMismatch);
        }

        let shop_domain = ShopDomain::parse(required(SHOP_DOMAIN_HEADER)?).map_err(|_| {
            WebhookError::InvalidHeader { header: SHOP_DOMAIN_HEADER, reason: "not a host name" }
        })?;
        if shop_domain != self.shop {
            return Err(WebhookError::WrongShop { expected: self.shop.clone(), got: shop_domain });
        }
        let webhook_id =
            WebhookId::parse(required(WEBHOOK_ID_HEADER)?).ok_or(WebhookError::InvalidHeader {
                header: WEBHOOK_ID_HEADER,
                reason: "not 1-255 letters, digits or -_.:@",
            })?;
        Ok(Envelope {
            topic: Topic::parse(required(TOPIC_HEADER)?),
            shop_domain,
            webhook_id,
            api_version: required(API_VERSION_HEADER)?.to_owned(),
            triggered_at: get(TRIGGERED_AT_HEADER)?.map(str::to_owned),
            event_id: get(EVENT_ID_HEADER)?.map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests;
