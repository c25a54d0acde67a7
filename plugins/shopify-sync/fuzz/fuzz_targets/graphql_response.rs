//! A GraphQL response from arbitrary bytes. Properties: parsing and every typed reading never
//! panic; a throttled answer's retry wait is finite and never above the policy's cap or the
//! time to refill the whole bucket.
#![no_main]

use std::time::Duration;

use ils_shopify_sync::graphql::response;
use ils_shopify_sync::throttle::{RetryDecision, RetryPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(r) = response::parse(data) else { return };
    let _ = response::variants_page(&r);
    let _ = response::locations_page(&r);
    let _ = response::inventory_levels_page(&r);
    let _ = response::set_quantities(&r);
    let _ = response::bulk_start(&r);
    let _ = response::bulk_status(&r);
    if let Some(cost) = r.cost {
        let _ = cost.throttle_status.wait_before(cost.requested_query_cost, Duration::from_millis(250));
    }
    if r.is_throttled() {
        let policy = RetryPolicy::default();
        for jitter in [0.0, 0.5, 1.0] {
            match policy.after_throttled(1, r.cost.as_ref(), jitter) {
                RetryDecision::GiveUp => panic!("the first throttled attempt is retried"),
                RetryDecision::RetryAfter(wait) => {
                    let refill = r
                        .cost
                        .and_then(|c| {
                            c.throttle_status
                                .wait_before(c.throttle_status.maximum_available, Duration::ZERO)
                                .ok()
                        })
                        .unwrap_or(Duration::ZERO);
                    assert!(wait <= policy.cap.max(refill), "{wait:?} > cap and refill {refill:?}");
                }
            }
        }
    }
});
