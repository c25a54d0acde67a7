//! The cost bucket, a leaky bucket as Shopify's GraphQL Admin API keeps one per app and shop.
//!
//! The bucket holds at most `maximum_available` points and refills at `restore_rate` points a
//! second. A query states its *requested* cost before it runs; it is admitted only if that many
//! points are in the bucket, else it is answered THROTTLED and not run (nothing is taken). An
//! admitted query is charged its *actual* cost, which may be lower (fewer nodes than asked for):
//! Shopify reserves the requested cost and refunds the difference, which comes to the same.
//!
//! # The cost model
//!
//! Shopify prices a query from its selection: 1 per object, 0 per scalar, `2 + first` per
//! connection, 10 per mutation. The fake prices each operation the plugin sends the same way,
//! with `n` the number of nodes actually returned:
//!
//! | operation | requested | actual |
//! |---|---|---|
//! | `IlsVariants`, `IlsLocations` (a connection) | `2 + first` | `2 + n` |
//! | `IlsInventoryLevels` (an item, then its levels) | `1 + 2 + first` | `1 + 2 + n`, or `1` if there is no such item |
//! | `IlsSetQuantities` (`inventorySetQuantities`), `IlsBulkRun` (`bulkOperationRunQuery`) | `10` | `10` |
//! | `IlsBulkStatus` (`node`) | `1` | `1` |
//!
//! A query whose requested cost exceeds the single-query limit (Shopify's is 1,000) or the
//! bucket itself could never run; it is answered `MAX_COST_EXCEEDED` and not run.

use std::time::Duration;

use serde_json::{Value, json};

/// The bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketSettings {
    /// Points the bucket holds when full (`throttleStatus.maximumAvailable`).
    pub maximum_available: f64,
    /// Points restored per second (`throttleStatus.restoreRate`).
    pub restore_rate: f64,
    /// The most one query may request, whatever is in the bucket.
    pub max_query_cost: f64,
}

impl Default for BucketSettings {
    /// Shopify's standard plan: 2,000 points, 100 a second, 1,000 for one query.
    fn default() -> Self {
        Self { maximum_available: 2000.0, restore_rate: 100.0, max_query_cost: 1000.0 }
    }
}

/// Requested cost of a connection of `first` nodes.
pub(crate) fn connection(first: u32) -> f64 {
    2.0 + f64::from(first)
}

/// Cost of a mutation.
pub(crate) const MUTATION: f64 = 10.0;

/// Cost of one object looked up by id.
pub(crate) const OBJECT: f64 = 1.0;

/// Why a query was not admitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Refusal {
    /// Not enough points now; a wait would cure it.
    Throttled,
    /// More than any bucket of these settings admits.
    MaxCostExceeded {
        /// The limit it broke.
        limit: f64,
    },
}

/// The bucket's state.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    settings: BucketSettings,
    available: f64,
    at: Duration,
}

impl Bucket {
    pub(crate) fn new(settings: BucketSettings, now: Duration) -> Self {
        Self { settings, available: settings.maximum_available, at: now }
    }

    pub(crate) fn settings(&self) -> BucketSettings {
        self.settings
    }

    /// New settings; the points in the bucket are kept, up to the new size.
    pub(crate) fn set_settings(&mut self, settings: BucketSettings, now: Duration) {
        self.refill(now);
        self.settings = settings;
        self.available = self.available.min(settings.maximum_available);
    }

    /// Empties the bucket, as a burst of other traffic would.
    pub(crate) fn drain(&mut self, now: Duration) {
        self.refill(now);
        self.available = 0.0;
    }

    fn refill(&mut self, now: Duration) {
        let elapsed = now.saturating_sub(self.at).as_secs_f64();
        self.available =
            (self.available + elapsed * self.settings.restore_rate).min(self.settings.maximum_available);
        self.at = self.at.max(now);
    }

    /// Points in the bucket at `now`.
    pub(crate) fn available(&mut self, now: Duration) -> f64 {
        self.refill(now);
        self.available
    }

    /// Whether a query requesting `cost` may run at `now`.
    pub(crate) fn admit(&mut self, cost: f64, now: Duration) -> Result<(), Refusal> {
        self.refill(now);
        let limit = self.settings.max_query_cost.min(self.settings.maximum_available);
        if cost > limit {
            return Err(Refusal::MaxCostExceeded { limit });
        }
        if cost > self.available {
            return Err(Refusal::Throttled);
        }
        Ok(())
    }

    /// Takes an admitted query's actual cost.
    pub(crate) fn charge(&mut self, cost: f64) {
        self.available = (self.available - cost).max(0.0);
    }

    /// `extensions.cost` as Shopify writes it.
    pub(crate) fn cost_extension(&self, requested: f64, actual: Option<f64>) -> Value {
        json!({
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": self.settings.maximum_available,
                "currentlyAvailable": self.available.floor(),
                "restoreRate": self.settings.restore_rate,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> BucketSettings {
        BucketSettings { maximum_available: 100.0, restore_rate: 50.0, max_query_cost: 1000.0 }
    }

    #[test]
    fn an_empty_bucket_refills_at_the_restore_rate_up_to_its_size() {
        let mut bucket = Bucket::new(small(), Duration::ZERO);
        bucket.drain(Duration::ZERO);
        assert_eq!(bucket.admit(10.0, Duration::ZERO), Err(Refusal::Throttled));
        assert_eq!(bucket.admit(10.0, Duration::from_millis(199)), Err(Refusal::Throttled));
        assert_eq!(bucket.admit(10.0, Duration::from_millis(200)), Ok(()));
        assert_eq!(bucket.available(Duration::from_secs(60)), 100.0);
    }

    #[test]
    fn a_query_larger_than_the_bucket_can_never_run() {
        let mut bucket = Bucket::new(small(), Duration::ZERO);
        assert_eq!(bucket.admit(101.0, Duration::ZERO), Err(Refusal::MaxCostExceeded { limit: 100.0 }));
    }

    #[test]
    fn the_actual_cost_is_what_is_taken() {
        let mut bucket = Bucket::new(small(), Duration::ZERO);
        bucket.admit(52.0, Duration::ZERO).unwrap();
        bucket.charge(4.0);
        assert_eq!(bucket.available(Duration::ZERO), 96.0);
    }
}
