//! The Admin API client: POSTs the core's requests to the shop's GraphQL endpoint with the access
//! token, paces them by the cost bucket, retries THROTTLED answers by the core's
//! [`RetryPolicy`], and reads answers with the core's readers.
//!
//! Before each call it waits [`ThrottleStatus::wait_before`] the query's cost, from the last
//! `throttleStatus` seen and the time since; a THROTTLED answer is retried after
//! [`RetryPolicy::after_throttled`] (jitter from a generator seeded by the invocation's time),
//! never beyond the policy's attempts. A 401, or Shopify's bare-string error, means the token is
//! no longer good: [`AdminError::TokenRejected`] stops the run, and is never retried.

use std::time::Duration;

use ils_plugin_sdk::{HostError, http};

use super::clock;
use crate::graphql::response::{self, BulkOperation, BulkStartOutcome, Level, Response, ResponseError};
use crate::graphql::{self, Request, SetQuantity};
use crate::ids::{InventoryItemId, ShopDomain};
use crate::throttle::{RetryDecision, RetryPolicy, ThrottleError, ThrottleStatus};

/// Levels asked for per page (an item is rarely stocked at more locations than this).
pub const LEVELS_PAGE: u32 = 25;

// Cost estimates by Shopify's published rules (1 per object, 2 + `first` per connection, 10 per
// mutation); the bucket wait is computed from them before the real cost is known.
const MUTATION_COST: f64 = 10.0;
const OBJECT_COST: f64 = 1.0;
fn connection_cost(first: u32) -> f64 {
    2.0 + f64::from(first)
}

/// Why a call to Shopify failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// 401, or Shopify's bare-string error: revoked, wrong, or uninstalled.
    #[error("access token rejected by Shopify")]
    TokenRejected,
    /// Still THROTTLED after the retry policy's attempts.
    #[error("Shopify throttled the request {0} times; giving up until later")]
    Throttled(u32),
    /// The query costs more than the bucket can ever hold.
    #[error("a Shopify query is too expensive: {0}")]
    TooExpensive(ThrottleError),
    /// Another HTTP status than 200 or 401.
    #[error("Shopify answered HTTP {0}")]
    Status(u16),
    /// The request did not get an answer (or the host refused to send it).
    #[error("the request to Shopify failed: {0}")]
    Http(HostError),
    /// The answer is an error or not of the expected shape.
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// The bulk export did not complete.
    #[error("the bulk export failed: {0}")]
    Bulk(String),
}

impl AdminError {
    /// Whether trying again later may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            AdminError::Throttled(_) => true,
            AdminError::Status(status) => *status >= 500 || *status == 429,
            AdminError::Http(e) => !matches!(e, HostError::Denied(_) | HostError::Invalid(_)),
            AdminError::TokenRejected
            | AdminError::TooExpensive(_)
            | AdminError::Response(_)
            | AdminError::Bulk(_) => false,
        }
    }
}

/// A client for one shop, for one invocation.
#[derive(Debug)]
pub struct Admin {
    endpoint: String,
    token: String,
    policy: RetryPolicy,
    last: Option<(ThrottleStatus, Duration)>,
    seed: u64,
    /// THROTTLED answers seen by this client.
    pub throttled: u32,
}

impl Admin {
    /// A client for `shop` with `token`; `seed` drives the retry jitter.
    pub fn new(shop: &ShopDomain, token: String, seed: u64) -> Self {
        Self {
            endpoint: graphql::endpoint(shop),
            token,
            policy: RetryPolicy::default(),
            last: None,
            seed: seed | 1,
            throttled: 0,
        }
    }

    /// A number in 0..=1 (splitmix64).
    fn jitter(&mut self) -> f64 {
        self.seed = self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Waits until the bucket, as last seen, admits `cost`.
    fn pace(&self, cost: f64) -> Result<(), AdminError> {
        let Some((status, read_at)) = self.last else { return Ok(()) };
        match status.wait_before(cost, clock::now().saturating_sub(read_at)) {
            Ok(wait) => {
                clock::sleep(wait);
                Ok(())
            }
            Err(e @ ThrottleError::TooExpensive { .. }) => Err(AdminError::TooExpensive(e)),
            // A status that makes no sense gives no advice; send, and let THROTTLED say.
            Err(ThrottleError::InvalidStatus) => Ok(()),
        }
    }

    /// Sends one request of estimated `cost` and returns its parsed envelope (which may still
    /// carry errors other than THROTTLED, for the typed readers to report).
    pub fn call(&mut self, request: &Request, cost: f64) -> Result<Response, AdminError> {
        let body = request.to_json();
        let mut attempts = 0;
        loop {
            self.pace(cost)?;
            let headers =
                [("content-type", "application/json"), ("x-shopify-access-token", self.token.as_str())];
            let answer = http::send("POST", &self.endpoint, &headers, &body).map_err(AdminError::Http)?;
            if answer.status == 401 || bare_string_error(&answer.body) {
                return Err(AdminError::TokenRejected);
            }
            if answer.status != 200 {
                return Err(AdminError::Status(answer.status));
            }
            let parsed = response::parse(&answer.body)?;
            if let Some(cost) = &parsed.cost {
                self.last = Some((cost.throttle_status, clock::now()));
            }
            if !parsed.is_throttled() {
                return Ok(parsed);
            }
            attempts += 1;
            self.throttled += 1;
            let jitter = self.jitter();
            match self.policy.after_throttled(attempts, parsed.cost.as_ref(), jitter) {
                RetryDecision::RetryAfter(wait) => clock::sleep(wait),
                RetryDecision::GiveUp => return Err(AdminError::Throttled(attempts)),
            }
        }
    }

    /// Shopify's `available` for an item at every location that stocks it, all pages.
    pub fn levels(&mut self, item: InventoryItemId) -> Result<Vec<Level>, AdminError> {
        let mut levels = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let request = graphql::inventory_levels_page(item, LEVELS_PAGE, after.as_deref());
            let answer = self.call(&request, OBJECT_COST + connection_cost(LEVELS_PAGE))?;
            let page = response::inventory_levels_page(&answer)?;
            levels.extend(page.items);
            match page.next_cursor {
                Some(cursor) => after = Some(cursor),
                None => return Ok(levels),
            }
        }
    }

    /// `inventorySetQuantities` with compare-and-swap, idempotent per `run` and changes.
    pub fn set_quantities(
        &mut self,
        run: &str,
        quantities: &[SetQuantity],
    ) -> Result<response::SetQuantitiesOutcome, AdminError> {
        let request =
            graphql::set_available_quantities(run, &format!("gid://ils/StockSync/{run}"), quantities);
        let answer = self.call(&request, MUTATION_COST)?;
        Ok(response::set_quantities(&answer)?)
    }

    /// Starts the products bulk export.
    pub fn bulk_start(&mut self) -> Result<BulkStartOutcome, AdminError> {
        let answer = self.call(&graphql::bulk_products_start(), MUTATION_COST)?;
        Ok(response::bulk_start(&answer)?)
    }

    /// Polls a bulk operation.
    pub fn bulk_status(&mut self, id: &str) -> Result<BulkOperation, AdminError> {
        let answer = self.call(&graphql::bulk_status(id), OBJECT_COST)?;
        Ok(response::bulk_status(&answer)?)
    }
}

/// Whether the body is Shopify's answer to a bad token: `{"errors": "[API] Invalid API key…"}`, a
/// bare string where GraphQL errors are a list.
fn bare_string_error(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .is_some_and(|v| v.get("errors").is_some_and(serde_json::Value::is_string))
}

/// Downloads a bulk export's JSONL from the `url` Shopify gave (pre-signed: no token is sent).
pub fn download(url: &str) -> Result<String, AdminError> {
    if !url.starts_with("https://") {
        return Err(AdminError::Bulk(format!("the export's url is not https: {url}")));
    }
    let answer = http::get(url).map_err(AdminError::Http)?;
    if answer.status != 200 {
        return Err(AdminError::Bulk(format!("downloading the export answered HTTP {}", answer.status)));
    }
    String::from_utf8(answer.body).map_err(|_| AdminError::Bulk("the export is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_range_and_follows_its_seed() {
        let shop = ShopDomain::parse("a.myshopify.com").unwrap();
        let mut a = Admin::new(&shop, "t".into(), 42);
        let mut b = Admin::new(&shop, "t".into(), 42);
        for _ in 0..1000 {
            let j = a.jitter();
            assert!((0.0..=1.0).contains(&j));
            assert_eq!(j, b.jitter());
        }
    }

    #[test]
    fn only_a_string_errors_field_is_the_bad_token_answer() {
        assert!(bare_string_error(br#"{"errors":"[API] Invalid API key or access token"}"#));
        assert!(!bare_string_error(br#"{"errors":[{"message":"Throttled"}]}"#));
        assert!(!bare_string_error(b"not json"));
    }
}
