//! Deciding whether a delivery was already handled.
//!
//! Shopify delivers at least once: a delivery not answered with 2xx within 5 seconds is retried
//! (8 times over 4 hours), and every retry carries the same `X-Shopify-Webhook-Id`. The glue
//! stores one kv entry per handled delivery under [`key`], whose value is the Unix time it was
//! handled ([`record`]); [`check`] reads that entry back.
//!
//! Retention: an entry counts for [`RETENTION_SECS`] (7 days), well past Shopify's 4-hour retry
//! window, and may be deleted after that ([`is_expired`]). Dedupe saves work; it is not what
//! keeps stock right — stock movements carry their own idempotency keys
//! ([`crate::sync::movements`]), so a delivery seen again after its entry expired changes nothing.

use crate::ids::ShopDomain;
use crate::webhook::WebhookId;

/// How long a handled delivery's id is remembered: 7 days.
pub const RETENTION_SECS: u64 = 7 * 24 * 60 * 60;

/// The kv key for a delivery: `webhook/{shop domain}/{webhook id}`. Both parts are checked
/// alphabets without `/`, so two deliveries never share a key.
pub fn key(shop: &ShopDomain, webhook_id: &WebhookId) -> String {
    format!("webhook/{}/{}", shop.as_str(), webhook_id.as_str())
}

/// The kv value to store once a delivery is handled: the time, as decimal Unix seconds.
pub fn record(now_unix_secs: u64) -> Vec<u8> {
    now_unix_secs.to_string().into_bytes()
}

/// What to do with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Not seen within the retention: handle it, then store [`record`].
    First,
    /// Handled before: answer 200 and do nothing.
    Duplicate,
}

/// Decides from the stored entry (if any) and the current time. An entry that cannot be read is
/// taken as a duplicate: doing nothing is the safe side, and the entry is replaced when it
/// expires. A stored time in the future (clock skew) is also a duplicate.
pub fn check(stored: Option<&[u8]>, now_unix_secs: u64) -> Seen {
    let Some(stored) = stored else { return Seen::First };
    let Some(at) = std::str::from_utf8(stored).ok().and_then(|s| s.trim().parse::<u64>().ok()) else {
        return Seen::Duplicate;
    };
    if now_unix_secs.saturating_sub(at) >= RETENTION_SECS { Seen::First } else { Seen::Duplicate }
}

/// Whether a stored entry is past retention and may be deleted.
pub fn is_expired(stored: &[u8], now_unix_secs: u64) -> bool {
    std::str::from_utf8(stored)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .is_some_and(|at| now_unix_secs.saturating_sub(at) >= RETENTION_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_777_000_000;

    #[test]
    fn a_delivery_is_first_once_then_duplicate_for_every_retry_within_four_hours() {
        assert_eq!(check(None, T0), Seen::First);
        let stored = record(T0);
        for retry_after in [1, 5, 60, 3_600, 4 * 3_600] {
            assert_eq!(check(Some(&stored), T0 + retry_after), Seen::Duplicate);
        }
    }

    #[test]
    fn an_entry_counts_for_seven_days_and_then_expires() {
        let stored = record(T0);
        assert_eq!(check(Some(&stored), T0 + RETENTION_SECS - 1), Seen::Duplicate);
        assert!(!is_expired(&stored, T0 + RETENTION_SECS - 1));
        assert_eq!(check(Some(&stored), T0 + RETENTION_SECS), Seen::First);
        assert!(is_expired(&stored, T0 + RETENTION_SECS));
    }

    #[test]
    fn an_unreadable_entry_or_a_future_time_is_a_duplicate() {
        assert_eq!(check(Some(b"garbage"), T0), Seen::Duplicate);
        assert!(!is_expired(b"garbage", T0));
        assert_eq!(check(Some(&record(T0 + 100)), T0), Seen::Duplicate);
    }

    #[test]
    fn keys_separate_shops_and_deliveries() {
        let a = ShopDomain::parse("a.myshopify.com").unwrap();
        let b = ShopDomain::parse("b.myshopify.com").unwrap();
        let id = WebhookId::parse("b54557e4-8a5f-bf7d-70bc-d043aa000001").unwrap();
        assert_eq!(key(&a, &id), "webhook/a.myshopify.com/b54557e4-8a5f-bf7d-70bc-d043aa000001");
        assert_ne!(key(&a, &id), key(&b, &id));
        assert!(WebhookId::parse("a/b").is_none(), "a slash would let ids collide across shops");
    }
}
