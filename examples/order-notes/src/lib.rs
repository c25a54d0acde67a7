//! Order notes — an example ILS plugin.
//!
//! - On every `order.*` event it stores the order's latest status in kv and counts the events.
//! - `GET /orders` returns what it stored, as JSON; `GET /orders/{id}` one order's status.
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

const ORDER_PREFIX: &str = "order/";
const SEEN_PREFIX: &str = "seen/";

/// The plugin.
pub struct OrderNotes;

impl OrderNotes {
    fn status_of(event: &Event, order: &OrderEvent) -> String {
        order.status.clone().unwrap_or_else(|| event.kind.trim_start_matches("order.").to_string())
    }

    fn summary() -> Result<Summary, Error> {
        let events = kv::get("events")?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut orders = BTreeMap::new();
        for key in kv::list_keys(ORDER_PREFIX, 1000)? {
            if let Some(status) = kv::get(&key)? {
                orders.insert(
                    key[ORDER_PREFIX.len()..].to_string(),
                    String::from_utf8_lossy(&status).into_owned(),
                );
            }
        }
        Ok(Summary { events, orders })
    }
}

impl Plugin for OrderNotes {
    fn handle_event(event: Event) -> Result<(), Error> {
        // ILS delivers each event at least once (a retried delivery may repeat one): an event
        // seen before changes nothing.
        let seen = format!("{SEEN_PREFIX}{}", event.id);
        if kv::get(&seen)?.is_some() {
            return Ok(());
        }
        let order: OrderEvent = event.payload_as()?;
        let status = Self::status_of(&event, &order);
        kv::set(&format!("{ORDER_PREFIX}{}", order.order_id), status.as_bytes())?;

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
        // Counted once the event is fully handled (a failed notification is retried first).
        let events = Self::summary()?.events + 1;
        kv::set("events", events.to_string().as_bytes())?;
        kv::set(&seen, b"1")?;
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
                Some(id) => match kv::get(&format!("{ORDER_PREFIX}{id}")) {
                    Ok(Some(status)) => Response::json(
                        &serde_json::json!({ "order_id": id, "status": String::from_utf8_lossy(&status) }),
                    ),
                    Ok(None) => Response::not_found(),
                    Err(e) => Response::text(500, &e.to_string()),
                },
                None => Response::not_found(),
            },
        }
    }
}

export_plugin!(OrderNotes);

#[cfg(test)]
mod tests {
    use ils_plugin_sdk::HostError;
    use ils_plugin_sdk::testing::MockHost;

    use super::*;

    fn event(kind: &str, payload: &str) -> Event {
        Event {
            id: format!("ev-{kind}-{payload}"),
            kind: kind.into(),
            occurred_at_ms: 0,
            payload: payload.into(),
        }
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
