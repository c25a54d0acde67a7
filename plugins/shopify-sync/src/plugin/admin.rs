//! The Admin API client: POSTs the core's requests to the shop's GraphQL endpoint with the access
//! token, paces them by the cost bucket, retries THROTTLED answers by the core's
//! [`RetryPolicy`], and reads answers with the core's readers.
//!
//! Before each call it waits [`ThrottleStatus::wait_before`] the query's cost, from the last
//! `throttleStatus` seen and the time since; a THROTTLED answer is retried after
//! [`RetryPolicy::after_throttled`] (jitter from a generator seeded by the invocation's time),
//! never beyond the policy's attempts. A 401, or Shopify's bare-string error, means the token is
//! no longer good: [`AdminError::TokenRejected`] stops the run, and is never retried.
//!
//! One client lives for one invocation, inside the host's budget: it sends at most
//! [`STEP_REQUESTS`] requests and sleeps at most [`STEP_WAIT`] for the bucket or a THROTTLED
//! backoff. Past either it answers [`AdminError::NextStep`] — stop here, carry on in the next
//! invocation — after sleeping what it may. What it knows of the bucket and the THROTTLED
//! attempts so far is handed on as [`Pacing`], in wall-clock time, so the next invocation
//! neither spends faster than the bucket refills nor starts the retry policy over.

use std::time::Duration;

use ils_plugin_sdk::host::context;
use ils_plugin_sdk::{HostError, http};
use serde::{Deserialize, Serialize};

use super::clock;
use crate::graphql::response::{self, BulkOperation, BulkStartOutcome, Level, Response, ResponseError};
use crate::graphql::{self, Request, SetQuantity};
use crate::ids::{InventoryItemId, ShopDomain};
use crate::throttle::{RetryDecision, RetryPolicy, ThrottleError, ThrottleStatus};

/// Requests one client (one invocation) sends at most; the host allows 16.
pub const STEP_REQUESTS: u32 = 12;
/// Time one client sleeps at most for the bucket or a THROTTLED backoff.
pub const STEP_WAIT: Duration = Duration::from_millis(1500);

/// Levels asked for per page (an item is rarely stocked at more locations than this).
pub const LEVELS_PAGE: u32 = 25;

// Cost estimates by Shopify's published rules (1 per object, 2 + `first` per connection, 10 per
// mutation); the bucket wait is computed from them before the real cost is known.
const MUTATION_COST: f64 = 10.0;
const OBJECT_COST: f64 = 1.0;
fn connection_cost(first: u32) -> f64 {
    2.0 + f64::from(first)
}

/// The estimated cost of reading an item's levels (one page) and setting them once.
pub const ITEM_COST: f64 = OBJECT_COST + 2.0 + LEVELS_PAGE as f64 + MUTATION_COST;

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
    /// This invocation's share of requests or waiting is spent; nothing was sent for the call.
    #[error("this step has spent its {0}; the work carries on in the next one")]
    NextStep(&'static str),
}

impl AdminError {
    /// Whether trying again later may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            AdminError::Throttled(_) | AdminError::NextStep(_) => true,
            AdminError::Status(status) => *status >= 500 || *status == 429,
            AdminError::Http(e) => !matches!(e, HostError::Denied(_) | HostError::Invalid(_)),
            AdminError::TokenRejected
            | AdminError::TooExpensive(_)
            | AdminError::Response(_)
            | AdminError::Bulk(_) => false,
        }
    }
}

/// What one invocation's client hands to the next: the bucket as last seen, and the THROTTLED
/// answers in a row to the request being retried. Times are Unix ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Pacing {
    /// The last `throttleStatus`, and when it was read.
    pub bucket: Option<(ThrottleStatus, i64)>,
    /// THROTTLED answers in a row (the retry policy's attempt count).
    pub throttled: u32,
    /// No request before this: a THROTTLED backoff that outlasted its invocation.
    pub not_before_ms: Option<i64>,
}

/// A client for one shop, for one invocation.
#[derive(Debug)]
pub struct Admin {
    endpoint: String,
    token: String,
    policy: RetryPolicy,
    last: Option<(ThrottleStatus, Duration)>,
    not_before: Option<Duration>,
    /// THROTTLED answers in a row.
    throttled: u32,
    seed: u64,
    /// The invocation's wall time (Unix ms) and the clock then: to hand times on as [`Pacing`].
    origin: (i64, Duration),
    sent: u32,
    waited: Duration,
}

impl Admin {
    /// A client for `shop` with `token`; `seed` drives the retry jitter.
    pub fn new(shop: &ShopDomain, token: String, seed: u64) -> Self {
        Self::resume(shop, token, seed, &Pacing::default())
    }

    /// A client that carries on from what an earlier invocation's client saw.
    pub fn resume(shop: &ShopDomain, token: String, seed: u64, pacing: &Pacing) -> Self {
        let origin = (context::now_ms(), clock::now());
        let since = |at_ms: i64| Duration::from_millis(u64::try_from(origin.0 - at_ms).unwrap_or(0));
        // The bucket as it stands now: refilled for the time since it was read (never more).
        let last = pacing.bucket.map(|(status, read_ms)| {
            let refilled = status.restore_rate * since(read_ms).as_secs_f64();
            let current = (status.currently_available + refilled).min(status.maximum_available);
            (ThrottleStatus { currently_available: current, ..status }, origin.1)
        });
        let not_before = pacing
            .not_before_ms
            .map(|at_ms| origin.1 + Duration::from_millis(u64::try_from(at_ms - origin.0).unwrap_or(0)));
        Self {
            endpoint: graphql::endpoint(shop),
            token,
            policy: RetryPolicy::default(),
            last,
            not_before,
            throttled: pacing.throttled,
            seed: seed | 1,
            origin,
            sent: 0,
            waited: Duration::ZERO,
        }
    }

    /// What the next invocation's client needs to carry on.
    pub fn pacing(&self) -> Pacing {
        // Rounded up: a later reading refills less, never more than the bucket did.
        let wall = |at: Duration| {
            let nanos = at.saturating_sub(self.origin.1).as_nanos();
            self.origin.0 + i64::try_from(nanos.div_ceil(1_000_000)).unwrap_or(i64::MAX)
        };
        Pacing {
            bucket: self.last.map(|(status, at)| (status, wall(at))),
            throttled: self.throttled,
            not_before_ms: self.not_before.map(wall),
        }
    }

    /// Requests this client may still send.
    pub fn requests_left(&self) -> u32 {
        STEP_REQUESTS.saturating_sub(self.sent)
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

    /// Waits until the bucket, as last seen, admits `cost` and any THROTTLED backoff is over;
    /// or, if that is longer than this invocation may still wait, waits what it may and answers
    /// [`AdminError::NextStep`].
    pub fn pace(&mut self, cost: f64) -> Result<(), AdminError> {
        let now = clock::now();
        let mut wait = self.not_before.map_or(Duration::ZERO, |at| at.saturating_sub(now));
        if let Some((status, read_at)) = self.last {
            match status.wait_before(cost, now.saturating_sub(read_at)) {
                Ok(bucket) => wait = wait.max(bucket),
                Err(e @ ThrottleError::TooExpensive { .. }) => return Err(AdminError::TooExpensive(e)),
                // A status that makes no sense gives no advice; send, and let THROTTLED say.
                Err(ThrottleError::InvalidStatus) => {}
            }
        }
        let allowed = STEP_WAIT.saturating_sub(self.waited);
        let (sleep, done) = if wait <= allowed { (wait, true) } else { (allowed, false) };
        clock::sleep(sleep);
        self.waited += sleep;
        if done { Ok(()) } else { Err(AdminError::NextStep("time to wait for Shopify's bucket")) }
    }

    /// Sends one request of estimated `cost` and returns its parsed envelope (which may still
    /// carry errors other than THROTTLED, for the typed readers to report).
    pub fn call(&mut self, request: &Request, cost: f64) -> Result<Response, AdminError> {
        let body = request.to_json();
        loop {
            self.pace(cost)?;
            if self.sent >= STEP_REQUESTS {
                return Err(AdminError::NextStep("share of requests"));
            }
            self.sent += 1;
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
                self.throttled = 0;
                self.not_before = None;
                return Ok(parsed);
            }
            self.throttled += 1;
            let jitter = self.jitter();
            match self.policy.after_throttled(self.throttled, parsed.cost.as_ref(), jitter) {
                RetryDecision::RetryAfter(wait) => self.not_before = Some(clock::now() + wait),
                RetryDecision::GiveUp => return Err(AdminError::Throttled(self.throttled)),
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

    use super::clock::Clock as _;

    /// A clock the test moves: sleeping moves it.
    #[derive(Clone, Default)]
    struct TestClock(std::rc::Rc<std::cell::Cell<Duration>>);

    impl clock::Clock for TestClock {
        fn now(&self) -> Duration {
            self.0.get()
        }
        fn sleep(&self, duration: Duration) {
            self.0.set(self.0.get() + duration);
        }
    }

    #[test]
    fn throttled_retries_carry_across_invocations_and_none_waits_longer_than_its_share() {
        let mock = ils_plugin_sdk::testing::MockHost::install();
        let time = TestClock::default();
        clock::install(time.clone());
        let base = 1_768_469_400_000;
        let sent_at = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let (log, at) = (sent_at.clone(), time.clone());
        // Always THROTTLED: 752 requested, 352 available, 100/s — the bucket needs 4 s each time.
        mock.on_http(move |_| {
            log.borrow_mut().push(at.now());
            let body = include_bytes!("../../tests/data/graphql-throttled.json").to_vec();
            Ok(ils_plugin_sdk::Response { status: 200, headers: Vec::new(), body })
        });
        let shop = ShopDomain::parse("a.myshopify.com").unwrap();
        let mut pacing = Pacing::default();
        let mut invocations = 0;
        let given_up = loop {
            invocations += 1;
            assert!(invocations < 100);
            mock.set_now_ms(base + i64::try_from(time.now().as_millis()).unwrap());
            let mut admin = Admin::resume(&shop, "t".into(), 7, &pacing);
            let started = time.now();
            let result = admin.call(&graphql::bulk_status("gid://shopify/BulkOperation/1"), 752.0);
            assert!(time.now() - started <= STEP_WAIT, "one invocation waited {:?}", time.now() - started);
            match result {
                Err(AdminError::NextStep(_)) => pacing = admin.pacing(),
                Err(AdminError::Throttled(attempts)) => break attempts,
                other => panic!("{other:?}"),
            }
        };
        let policy = RetryPolicy::default();
        assert_eq!(given_up, policy.max_attempts, "the policy's attempts, counted across invocations");
        let sent = sent_at.borrow();
        assert_eq!(sent.len(), policy.max_attempts as usize);
        assert!(invocations > sent.len(), "the waits spanned invocations");
        for pair in sent.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_secs(4), "retried after {:?}", pair[1] - pair[0]);
        }
    }

    #[test]
    fn only_a_string_errors_field_is_the_bad_token_answer() {
        assert!(bare_string_error(br#"{"errors":"[API] Invalid API key or access token"}"#));
        assert!(!bare_string_error(br#"{"errors":[{"message":"Throttled"}]}"#));
        assert!(!bare_string_error(b"not json"));
    }
}
