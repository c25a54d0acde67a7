use std::time::Duration;

use ils_fake_shopify::{BucketSettings, NewVariant, Outcome};
use ils_shopify_sync::graphql::{self, response};

use crate::support::start_with;

fn small() -> BucketSettings {
    BucketSettings { maximum_available: 100.0, restore_rate: 50.0, max_query_cost: 1000.0 }
}

#[tokio::test]
async fn an_empty_bucket_throttles_and_the_wait_the_core_computes_is_enough() {
    let h = start_with(|c| c.bucket = small()).await;
    h.fake.add_location("Shop front");
    h.fake.drain_bucket();
    let request = graphql::locations_page(10, None); // requests 12 points

    let r = h.call(&request).await;
    assert!(r.is_throttled());
    assert!(response::locations_page(&r).unwrap_err().is_throttled());
    let cost = r.cost.expect("a throttled answer carries its cost");
    assert_eq!((cost.requested_query_cost, cost.actual_query_cost), (12.0, None));
    assert_eq!(cost.throttle_status.currently_available, 0.0);
    assert_eq!(cost.throttle_status.maximum_available, 100.0);
    assert_eq!(cost.throttle_status.restore_rate, 50.0);

    // Not a moment early: 12 points at 50/s is 240 ms.
    let wait = cost.throttle_status.wait_before(12.0, Duration::ZERO).unwrap();
    assert_eq!(wait, Duration::from_millis(240));
    h.clock.advance(wait - Duration::from_millis(1));
    assert!(h.call(&request).await.is_throttled());
    h.clock.advance(Duration::from_millis(1));
    let r = h.call(&request).await;
    assert!(!r.is_throttled());
    assert_eq!(response::locations_page(&r).unwrap().items.len(), 1);
    // One location came back: 2 + 1 points taken from the 12 there were.
    assert_eq!(r.cost.unwrap().actual_query_cost, Some(3.0));
    assert_eq!(h.fake.throttled_count(), 2);
}

#[tokio::test]
async fn a_client_pacing_itself_by_the_bucket_is_never_throttled_and_never_outruns_the_refill() {
    let h = start_with(|c| c.bucket = small()).await;
    for n in 0..30 {
        h.fake.add_product(&format!("P{n}"), &[NewVariant::sku(&format!("SKU-{n}"))]);
    }
    let mut status = None;
    let mut after: Option<String> = None;
    for _ in 0..40 {
        let request = graphql::variants_page(20, after.as_deref()); // requests 22 of 100
        if let Some(s) = status {
            let wait =
                ils_shopify_sync::throttle::ThrottleStatus::wait_before(&s, 22.0, Duration::ZERO).unwrap();
            h.clock.advance(wait);
        }
        let r = h.call(&request).await;
        status = Some(r.cost.unwrap().throttle_status);
        // Page through, and start over after the last page.
        after = response::variants_page(&r).unwrap().next_cursor;
    }
    assert_eq!(h.fake.throttled_count(), 0);
    // Over the run, no more was spent than the full bucket plus what the refill restored.
    let log = h.fake.requests();
    let spent: f64 = log.iter().filter_map(|r| r.actual_cost).sum();
    let elapsed = log.last().unwrap().at - log.first().unwrap().at;
    assert!(spent <= 100.0 + 50.0 * elapsed.as_secs_f64(), "{spent} in {elapsed:?}");
    assert!(log.iter().all(|r| r.outcome == Outcome::Answered));
}

#[tokio::test]
async fn a_query_larger_than_the_bucket_is_max_cost_exceeded_not_throttled() {
    let h = start_with(|c| c.bucket = small()).await;
    let r = h.call(&graphql::variants_page(250, None)).await;
    assert!(!r.is_throttled());
    assert_eq!(r.errors[0].code, Some(response::ErrorCode::MaxCostExceeded));
    assert_eq!(h.fake.requests()[0].outcome, Outcome::MaxCostExceeded);
}

#[tokio::test]
async fn a_bigger_bucket_set_mid_test_admits_what_the_small_one_refused() {
    let h = start_with(|c| c.bucket = small()).await;
    h.fake.drain_bucket();
    assert!(h.call(&graphql::locations_page(10, None)).await.is_throttled());
    h.fake.set_bucket(BucketSettings {
        maximum_available: 2000.0,
        restore_rate: 100.0,
        max_query_cost: 1000.0,
    });
    h.clock.advance(Duration::from_secs(1));
    assert!(!h.call(&graphql::locations_page(10, None)).await.is_throttled());
}
