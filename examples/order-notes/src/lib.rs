//! Order notes — an example ILS plugin.
//!
//! - On every `order.*` event it records the event with the status it gave the order, in one kv
//!   write: the key `event/{order}/{time}/{event}` holds the status. One write per event keeps
//!   the stored state whole at every moment (kv calls are separate transactions, so a second
//!   write — a counter, a "seen" mark — could be read half-done or lost to a crash between the
//!   two), and a repeated delivery writes the same key again, so it counts once.
//! - `GET /orders` returns the events counted and each order's latest status, as JSON;
//!   `GET /orders/{id}` one order's status.
//! - When the tenant configured `notify_host`, it posts each change to
//!   `https://{notify_host}/order-events`.

use std::collections::BTreeMap;

use ils_plugin_sdk::host::{config, kv, log};
use ils_plugin_sdk::{Error, Event, OrderEvent, Plugin, Request, Response, export_plugin, http};
use serde::{Deserialize, Serialize};

/// The tenant's configuration (checked by ILS against `config_schema` in the manifest).
#[derive(Debug, Default, Deserialize)]
pub struct Config {
    /// Where to post order changes.
    pub notify_host: Option<String>,
    /// `https` (default); `http` only for local testing, and only if the manifest allows it.
    pub notify_scheme: Option<String>,
}

/// What `GET /orders` returns.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Events handled.
    pub events: u64,
    /// Latest status per order id.
    pub orders: BTreeMap<String, String>,
}

const EVENT_PREFIX: &str = "event/";
/// The most events `GET /orders` reads (one kv listing).
const MAX_EVENTS: u32 = 1000;

/// Where one handled event is kept: `event/{order}/{time}/{event}`. The time is zero-padded
/// milliseconds, so within one order a later key is a later event (ILS event ids are
/// time-ordered too, which settles events of the same millisecond).
fn event_key(order_id: &str, event: &Event) -> String {
    format!("{EVENT_PREFIX}{order_id}/{:019}/{}", event.occurred_at_ms.max(0), event.id)
}

/// The order id and the `{time}/{event}` part of an event key.
fn split_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(EVENT_PREFIX)?;
    let mut parts = rest.rsplitn(3, '/');
    let (_event, _time, order) = (parts.next()?, parts.next()?, parts.next()?);
    Some((order, &rest[order.len() + 1..]))
}

/// The plugin.
pub struct OrderNotes;

impl OrderNotes {
    fn status_of(event: &Event, order: &OrderEvent) -> String {
        order.status.clone().unwrap_or_else(|| event.kind.trim_start_matches("order.").to_string())
    }

    /// The key of the latest event of each order among `keys`.
    fn latest(keys: &[String]) -> BTreeMap<String, &str> {
        let mut latest: BTreeMap<String, (&str, &str)> = BTreeMap::new();
        for key in keys {
            let Some((order, when)) = split_key(key) else { continue };
            let newer = latest.get(order).is_none_or(|(seen, _)| when > *seen);
            if newer {
                latest.insert(order.to_string(), (when, key.as_str()));
            }
        }
        latest.into_iter().map(|(order, (_, key))| (order, key)).collect()
    }

    fn status_at(key: &str) -> Result<Option<String>, Error> {
        Ok(kv::get(key)?.map(|status| String::from_utf8_lossy(&status).into_owned()))
    }

    fn summary() -> Result<Summary, Error> {
        // One listing: the count and the orders come from the same moment.
        let keys = kv::list_keys(EVENT_PREFIX, MAX_EVENTS)?;
        let mut orders = BTreeMap::new();
        for (order, key) in Self::latest(&keys) {
            if let Some(status) = Self::status_at(key)? {
                orders.insert(order, status);
            }
        }
        Ok(Summary { events: keys.len() as u64, orders })
    }

    fn order_status(order_id: &str) -> Result<Option<String>, Error> {
        let keys = kv::list_keys(&format!("{EVENT_PREFIX}{order_id}/"), MAX_EVENTS)?;
        match Self::latest(&keys).get(order_id) {
            Some(key) => Self::status_at(key),
            None => Ok(None),
        }
    }
}

impl Plugin for OrderNotes {
    fn handle_event(event: Event) -> Result<(), Error> {
        let order: OrderEvent = event.payload_as()?;
        let status = Self::status_of(&event, &order);

        let config: Config = config::get()?;
        if let Some(host) = config.notify_host {
            let body =
                serde_json::json!({ "order_id": order.order_id, "status": status, "event_id": event.id });
            let scheme = config.notify_scheme.as_deref().unwrap_or("https");
            let response = http::post_json(&format!("{scheme}://{host}/order-events"), &body)?;
            if response.status >= 500 {
                return Err(Error::retryable(format!("webhook answered {}", response.status)));
            }
            log::info(&format!("notified {host}: {}", response.status));
        }
        // Recorded once the event is fully handled (a failed notification is retried first), in
        // one write: ILS delivers each event at least once, and a repeat rewrites the same key.
        kv::set(&event_key(&order.order_id, &event), status.as_bytes())?;
        Ok(())
    }

    fn handle_http(request: Request) -> Response {
        let route = request.route().trim_end_matches('/');
        if request.method != "GET" {
            return Response::text(405, "method not allowed");
        }
        match route {
            "/orders" => match Self::summary() {
                Ok(summary) => Response::json(&summary),
                Err(e) => Response::text(500, &e.message),
            },
            _ => match route.strip_prefix("/orders/") {
                Some(id) => match Self::order_status(id) {
                    Ok(Some(status)) => {
                        Response::json(&serde_json::json!({ "order_id": id, "status": status }))
                    }
                    Ok(None) => Response::not_found(),
                    Err(e) => Response::text(500, &e.message),
                },
                None => Response::not_found(),
            },
        }
    }
}

export_plugin!(OrderNotes);

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use ils_plugin_sdk::HostError;
    use ils_plugin_sdk::testing::MockHost;

    use super::*;

    /// An event that occurred after every event made before it (ILS events carry their time).
    fn event(kind: &str, payload: &str) -> Event {
        static CLOCK: AtomicI64 = AtomicI64::new(1_700_000_000_000);
        Event {
            id: format!("ev-{kind}-{payload}"),
            kind: kind.into(),
            occurred_at_ms: CLOCK.fetch_add(1, Ordering::Relaxed),
            payload: payload.into(),
        }
    }

    #[test]
    fn an_event_is_one_kv_write_holding_the_whole_state() {
        let mock = MockHost::install();
        let created = event("order.created", r#"{"order_id":"o-1"}"#);
        OrderNotes::handle_event(created.clone()).unwrap();
        // Nothing else was written that a reader could see without this, or this without it.
        assert_eq!(kv::list_keys("", 10).unwrap(), vec![event_key("o-1", &created)]);
        assert_eq!(mock.kv(&event_key("o-1", &created)).as_deref(), Some(&b"created"[..]));
    }

    #[test]
    fn the_latest_event_of_an_order_wins_whatever_order_the_keys_are_listed_in() {
        let _mock = MockHost::install();
        let mut early = event("order.status_changed", r#"{"order_id":"o-1","status":"shipped"}"#);
        early.occurred_at_ms = 5;
        let mut late = event("order.status_changed", r#"{"order_id":"o-1","status":"completed"}"#);
        late.occurred_at_ms = 10;
        OrderNotes::handle_event(late).unwrap();
        OrderNotes::handle_event(early).unwrap();
        let one = OrderNotes::handle_http(MockHost::get("/orders/o-1"));
        assert_eq!(String::from_utf8(one.body).unwrap(), r#"{"order_id":"o-1","status":"completed"}"#);
    }

    #[test]
    fn an_event_delivered_twice_counts_once() {
        let _mock = MockHost::install();
        let created = event("order.created", r#"{"order_id":"o-1","number":"J000001"}"#);
        OrderNotes::handle_event(created.clone()).unwrap();
        OrderNotes::handle_event(created).unwrap();
        let summary: Summary =
            serde_json::from_slice(&OrderNotes::handle_http(MockHost::get("/orders")).body).unwrap();
        assert_eq!(summary.events, 1);
    }

    #[test]
    fn reads_the_status_from_an_ils_status_change() {
        let _mock = MockHost::install();
        let moved = r#"{"order_id":"o-1","number":"J000001","from":"pending","to":"in_production"}"#;
        OrderNotes::handle_event(event("order.status_changed", moved)).unwrap();
        let one = OrderNotes::handle_http(MockHost::get("/orders/o-1"));
        assert_eq!(String::from_utf8(one.body).unwrap(), r#"{"order_id":"o-1","status":"in_production"}"#);
    }

    #[test]
    fn remembers_the_latest_status_and_serves_it() {
        let _mock = MockHost::install();
        OrderNotes::handle_event(event("order.created", r#"{"order_id":"o-1"}"#)).unwrap();
        OrderNotes::handle_event(event("order.status_changed", r#"{"order_id":"o-1","status":"shipped"}"#))
            .unwrap();
        OrderNotes::handle_event(event("order.created", r#"{"order_id":"o-2"}"#)).unwrap();

        let response = OrderNotes::handle_http(MockHost::get("/orders"));
        assert_eq!(response.status, 200);
        let summary: Summary = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(summary.events, 3);
        assert_eq!(summary.orders["o-1"], "shipped");
        assert_eq!(summary.orders["o-2"], "created");

        let one = OrderNotes::handle_http(MockHost::get("/orders/o-1"));
        assert_eq!(String::from_utf8(one.body).unwrap(), r#"{"order_id":"o-1","status":"shipped"}"#);
        assert_eq!(OrderNotes::handle_http(MockHost::get("/orders/o-9")).status, 404);
    }

    #[test]
    fn notifies_the_configured_host() {
        let mock = MockHost::install();
        mock.set_config(serde_json::json!({"notify_host": "hooks.example.com"}));
        mock.on_http(|_| Ok(Response::text(202, "")));
        OrderNotes::handle_event(event("order.created", r#"{"order_id":"o-1"}"#)).unwrap();
        let sent = mock.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].url, "https://hooks.example.com/order-events");
        assert!(String::from_utf8_lossy(&sent[0].body).contains(r#""status":"created""#));
    }

    #[test]
    fn a_failing_webhook_is_retried_later_and_a_denied_one_reported() {
        let mock = MockHost::install();
        mock.set_config(serde_json::json!({"notify_host": "hooks.example.com"}));
        mock.on_http(|_| Ok(Response::text(503, "busy")));
        let err = OrderNotes::handle_event(event("order.created", r#"{"order_id":"o-1"}"#)).unwrap_err();
        assert!(err.retryable, "{err}");

        mock.on_http(|_| Err(HostError::Http("HttpRequestDenied".into())));
        let err = OrderNotes::handle_event(event("order.created", r#"{"order_id":"o-1"}"#)).unwrap_err();
        assert!(err.message.contains("HttpRequestDenied"), "{err}");
    }

    #[test]
    fn without_kv_the_event_fails_visibly() {
        let mock = MockHost::install();
        mock.deny("kv");
        let err = OrderNotes::handle_event(event("order.created", r#"{"order_id":"o-1"}"#)).unwrap_err();
        assert!(err.message.contains("denied"), "{err}");
    }
}
