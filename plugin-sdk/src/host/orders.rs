//! Spectacle orders of the tenant: read them (capability `orders-read`), note on their timeline
//! (`orders-annotate`) and move them along their lifecycle (`orders-transition`).
//!
//! ```
//! use ils_plugin_sdk::host::orders::{self, Order, OrderStatus};
//! use ils_plugin_sdk::testing::MockHost;
//!
//! let mock = MockHost::install();
//! let mut order = Order::new("o-1", OrderStatus::Pending);
//! order.details = serde_json::json!({"lens": {"type": "progressive"}});
//! mock.add_full_order(order);
//!
//! let order = orders::get("o-1").unwrap();
//! assert_eq!(order.details["lens"]["type"], "progressive");
//! let moved = orders::transition("o-1", OrderStatus::InProduction, "started").unwrap();
//! assert_eq!(moved.status, OrderStatus::InProduction);
//! assert_eq!(orders::list(Some(OrderStatus::Pending), 10).unwrap(), vec![]);
//! ```

pub use ils_records::orders::{Order, OrderStatus, UnknownStatus};

#[cfg(target_arch = "wasm32")]
use super::wit;
use crate::HostError;

/// The most orders [`list`] returns, whatever `limit` asks (the host's cap).
pub const MAX_LIST: u32 = 100;

/// One order of the tenant.
///
/// [`HostError::Denied`] without `orders-read`, [`HostError::NotFound`] for an id the tenant does
/// not have (another tenant's orders are never found).
pub fn get(id: &str) -> Result<Order, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::orders::get(id).map_err(HostError::from).and_then(Order::try_from);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("orders-read")?;
        s.orders.get(id).cloned().ok_or(HostError::NotFound)
    })
}

/// Orders of the tenant, newest first, only those in `status` when given; at most `limit`, and
/// never more than [`MAX_LIST`]. Needs `orders-read`.
pub fn list(status: Option<OrderStatus>, limit: u32) -> Result<Vec<Order>, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::orders::list_orders(status.map(Into::into), limit)
        .map_err(HostError::from)
        .and_then(|orders| orders.into_iter().map(Order::try_from).collect());
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("orders-read")?;
        let mut found: Vec<Order> =
            s.orders.values().filter(|o| status.is_none_or(|st| o.status == st)).cloned().collect();
        found.sort_by_key(|o| std::cmp::Reverse(o.created_at_ms));
        found.truncate(limit.min(MAX_LIST) as usize);
        Ok(found)
    })
}

/// Moves the order to `to`, with a reason ILS puts on its timeline, if the lifecycle allows it;
/// the order as it now is. Needs `orders-transition`.
///
/// [`HostError::Invalid`] when the order cannot move there (say, from `completed`), or when ILS
/// does not let a plugin make that move for this tenant.
pub fn transition(id: &str, to: OrderStatus, reason: &str) -> Result<Order, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::orders::transition(id, to.into(), reason).map_err(HostError::from).and_then(Order::try_from);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::transition_order(id, to, reason)
}

/// Adds a note to an order's timeline, attributed to the plugin. Needs `orders-annotate`.
pub fn annotate(id: &str, note: &str) -> Result<(), HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::orders::annotate(id, note).map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("orders-annotate")?;
        if !s.orders.contains_key(id) {
            return Err(HostError::NotFound);
        }
        s.notes.push((id.into(), note.into()));
        Ok(())
    })
}

/// An order's status in the WIT's spelling (`pending`, `in-production`, `quality-check`,
/// `shipped`, `completed`, `on-hold`, `cancelled`). Kept for plugins written before [`get`];
/// prefer `get(id)?.status`, which is typed and spelt as ILS's API and events spell it.
pub fn status(id: &str) -> Result<String, HostError> {
    get(id).map(|o| o.status.wit_name().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MockHost;

    fn order(id: &str, status: OrderStatus, created_at_ms: i64) -> Order {
        Order {
            id: id.into(),
            reference: format!("J-{id}"),
            status,
            practice_id: "practice".into(),
            lab_id: "lab".into(),
            created_at_ms,
            due_date: Some("2025-06-01".into()),
            details: serde_json::json!({"rx": {"right": {"sphere": "+1.50"}}, "lens": {"type": "bifocal"}}),
        }
    }

    #[test]
    fn get_reads_an_order_as_seeded() {
        let mock = MockHost::install();
        mock.add_full_order(order("o-1", OrderStatus::Shipped, 5));
        assert_eq!(get("o-1"), Ok(order("o-1", OrderStatus::Shipped, 5)));
        assert_eq!(status("o-1").as_deref(), Ok("shipped"));

        #[derive(serde::Deserialize)]
        struct Lens {
            #[serde(rename = "type")]
            kind: String,
        }
        #[derive(serde::Deserialize)]
        struct Details {
            lens: Lens,
        }
        assert_eq!(get("o-1").unwrap().details_as::<Details>().unwrap().lens.kind, "bifocal");
    }

    #[test]
    fn unknown_orders_are_not_found() {
        let mock = MockHost::install();
        mock.add_order("o-1", "pending");
        assert_eq!(get("o-2"), Err(HostError::NotFound));
        assert_eq!(status("o-2"), Err(HostError::NotFound));
        assert_eq!(transition("o-2", OrderStatus::Cancelled, "x"), Err(HostError::NotFound));
    }

    #[test]
    fn reads_need_orders_read_and_moves_need_orders_transition() {
        let mock = MockHost::install();
        mock.add_order("o-1", "pending").deny("orders-read");
        assert!(matches!(get("o-1"), Err(HostError::Denied(m)) if m.contains("orders-read")));
        assert!(matches!(list(None, 10), Err(HostError::Denied(_))));
        assert!(matches!(status("o-1"), Err(HostError::Denied(_))));
        // Moving needs only its own capability, as in the host.
        assert_eq!(
            transition("o-1", OrderStatus::Cancelled, "x").map(|o| o.status),
            Ok(OrderStatus::Cancelled)
        );

        let mock = MockHost::install();
        mock.add_order("o-1", "pending").deny("orders-transition");
        assert!(matches!(
            transition("o-1", OrderStatus::InProduction, "go"),
            Err(HostError::Denied(m)) if m.contains("orders-transition")
        ));
        assert_eq!(mock.order("o-1").map(|o| o.status), Some(OrderStatus::Pending));
        assert!(mock.order_transitions().is_empty());
    }

    #[test]
    fn list_is_newest_first_filtered_and_capped() {
        let mock = MockHost::install();
        mock.add_full_order(order("old", OrderStatus::Pending, 1))
            .add_full_order(order("new", OrderStatus::Pending, 3))
            .add_full_order(order("mid", OrderStatus::Shipped, 2));
        let ids = |l: Vec<Order>| l.into_iter().map(|o| o.id).collect::<Vec<_>>();
        assert_eq!(ids(list(None, 10).unwrap()), ["new", "mid", "old"]);
        assert_eq!(ids(list(Some(OrderStatus::Pending), 10).unwrap()), ["new", "old"]);
        assert_eq!(ids(list(None, 1).unwrap()), ["new"]);
        assert_eq!(ids(list(Some(OrderStatus::Cancelled), 10).unwrap()), Vec::<String>::new());
        for n in 0..150 {
            mock.add_order(&format!("bulk-{n}"), "pending");
        }
        assert_eq!(list(None, 1000).unwrap().len(), MAX_LIST as usize);
    }

    #[test]
    fn transitions_follow_the_lifecycle() {
        use OrderStatus::*;
        let mock = MockHost::install();
        mock.add_full_order(order("o-1", Pending, 1));
        let moved = transition("o-1", InProduction, "started").unwrap();
        assert_eq!((moved.status, moved.reference.as_str()), (InProduction, "J-o-1"));
        assert_eq!(get("o-1").unwrap().status, InProduction);

        let refused = transition("o-1", Completed, "skip ahead");
        assert_eq!(
            refused,
            Err(HostError::Invalid("an order cannot go from in_production to completed".into()))
        );
        assert_eq!(get("o-1").unwrap().status, InProduction, "a refused move changes nothing");

        transition("o-1", OnHold, "frame missing").unwrap();
        assert!(
            matches!(transition("o-1", Pending, "resume"), Err(HostError::Invalid(_))),
            "resumes only where it was"
        );
        transition("o-1", InProduction, "frame arrived").unwrap();
        transition("o-1", QualityCheck, "made").unwrap();
        assert!(
            matches!(transition("o-1", InProduction, " "), Err(HostError::Invalid(m)) if m.contains("quality issue"))
        );
        transition("o-1", InProduction, "axis out of tolerance").unwrap();
        assert_eq!(mock.order_transitions().len(), 5);
        assert_eq!(
            mock.order_transitions()[4],
            ("o-1".to_string(), InProduction, "axis out of tolerance".to_string())
        );

        mock.add_order("done", "completed");
        for to in OrderStatus::ALL {
            assert!(transition("done", to, "x").is_err(), "completed → {to}");
        }
    }

    #[test]
    fn status_keeps_the_wit_spelling_whichever_way_the_order_was_seeded() {
        let mock = MockHost::install();
        mock.add_order("a", "in-production").add_order("b", "on_hold");
        assert_eq!(status("a").as_deref(), Ok("in-production"));
        assert_eq!(status("b").as_deref(), Ok("on-hold"));
        assert_eq!(get("a").unwrap().status, OrderStatus::InProduction);
        // Re-seeding the status keeps the rest of a full order.
        mock.add_full_order(order("c", OrderStatus::Pending, 9)).add_order("c", "shipped");
        assert_eq!(get("c").unwrap().reference, "J-c");
        assert_eq!(get("c").unwrap().status, OrderStatus::Shipped);
    }
}
