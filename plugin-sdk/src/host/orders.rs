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

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::HostError;

#[cfg(target_arch = "wasm32")]
use super::wit;

/// Where an order is in its lifecycle. It reads and writes the strings ILS uses in its API and
/// events (`in_production`); it also reads the WIT's spelling (`in-production`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed by the practice, not yet started by the lab.
    Pending,
    /// Being made.
    #[serde(alias = "in-production")]
    InProduction,
    /// Made, being checked.
    #[serde(alias = "quality-check")]
    QualityCheck,
    /// Sent to the practice.
    Shipped,
    /// Received and closed.
    Completed,
    /// Paused, waiting for something; resumes where it was.
    #[serde(alias = "on-hold")]
    OnHold,
    /// Cancelled.
    Cancelled,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Pending,
        OrderStatus::InProduction,
        OrderStatus::QualityCheck,
        OrderStatus::Shipped,
        OrderStatus::Completed,
        OrderStatus::OnHold,
        OrderStatus::Cancelled,
    ];

    /// The string ILS uses: `pending`, `in_production`, `quality_check`, `shipped`,
    /// `completed`, `on_hold`, `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::InProduction => "in_production",
            OrderStatus::QualityCheck => "quality_check",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::OnHold => "on_hold",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// The WIT's spelling (`in-production`), which [`status`] returns.
    fn wit_name(self) -> &'static str {
        match self {
            OrderStatus::InProduction => "in-production",
            OrderStatus::QualityCheck => "quality-check",
            OrderStatus::OnHold => "on-hold",
            other => other.as_str(),
        }
    }

    /// Whether the lifecycle is over (`completed`, `cancelled`).
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Cancelled)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not an order status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus(pub String);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an order status (pending, in_production, quality_check, shipped, completed, on_hold, \
             cancelled)",
            self.0
        )
    }
}

impl std::error::Error for UnknownStatus {}

impl FromStr for OrderStatus {
    type Err = UnknownStatus;

    /// Reads ILS's spelling (`in_production`) and the WIT's (`in-production`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s || st.wit_name() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// An order as a plugin sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Id.
    pub id: String,
    /// The human reference printed on job tickets (ILS: the job number, `J000123`).
    pub reference: String,
    /// Current status.
    pub status: OrderStatus,
    /// The ordering practice's tenant id.
    pub practice_id: String,
    /// The lab's tenant id (the practice's own for an in-house job).
    pub lab_id: String,
    /// When it was placed, ms since the Unix epoch.
    pub created_at_ms: i64,
    /// Due date, `YYYY-MM-DD`, if set.
    pub due_date: Option<String>,
    /// Lens, frame and prescription details: ILS gives the order as its API shows it (`rx`,
    /// `lens`, `frame`, `patient_id`, `prescription_id`…; no patient on a lab's copy).
    pub details: serde_json::Value,
}

impl Order {
    /// An order with only an id and a status: no reference, tenants or due date, created at 0,
    /// details `{}`. For seeding [`crate::testing::MockHost`]; set the other fields as needed.
    pub fn new(id: &str, status: OrderStatus) -> Self {
        Self {
            id: id.into(),
            reference: String::new(),
            status,
            practice_id: String::new(),
            lab_id: String::new(),
            created_at_ms: 0,
            due_date: None,
            details: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    /// The details as a typed value: declare only the fields you need.
    pub fn details_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, crate::Error> {
        Ok(T::deserialize(&self.details)?)
    }
}

#[cfg(target_arch = "wasm32")]
impl From<wit::orders::OrderStatus> for OrderStatus {
    fn from(s: wit::orders::OrderStatus) -> Self {
        use wit::orders::OrderStatus as W;
        match s {
            W::Pending => Self::Pending,
            W::InProduction => Self::InProduction,
            W::QualityCheck => Self::QualityCheck,
            W::Shipped => Self::Shipped,
            W::Completed => Self::Completed,
            W::OnHold => Self::OnHold,
            W::Cancelled => Self::Cancelled,
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl From<OrderStatus> for wit::orders::OrderStatus {
    fn from(s: OrderStatus) -> Self {
        match s {
            OrderStatus::Pending => Self::Pending,
            OrderStatus::InProduction => Self::InProduction,
            OrderStatus::QualityCheck => Self::QualityCheck,
            OrderStatus::Shipped => Self::Shipped,
            OrderStatus::Completed => Self::Completed,
            OrderStatus::OnHold => Self::OnHold,
            OrderStatus::Cancelled => Self::Cancelled,
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl TryFrom<wit::orders::Order> for Order {
    type Error = HostError;

    fn try_from(o: wit::orders::Order) -> Result<Self, HostError> {
        let details = serde_json::from_str(&o.details)
            .map_err(|e| HostError::Invalid(format!("order {}: details are not JSON: {e}", o.id)))?;
        Ok(Self {
            id: o.id,
            reference: o.reference,
            status: o.status.into(),
            practice_id: o.practice_id,
            lab_id: o.lab_id,
            created_at_ms: o.created_at,
            due_date: o.due_date,
            details,
        })
    }
}

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
    fn statuses_use_ils_strings_and_read_the_wit_spelling() {
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(s));
            assert_eq!(s.wit_name().parse::<OrderStatus>(), Ok(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
            let wit: OrderStatus = serde_json::from_str(&format!("\"{}\"", s.wit_name())).unwrap();
            assert_eq!(wit, s);
        }
        assert_eq!(OrderStatus::InProduction.to_string(), "in_production");
        let err = "shipping".parse::<OrderStatus>().unwrap_err();
        assert!(err.to_string().contains("in_production"), "{err}");
        assert!(OrderStatus::Cancelled.is_final() && !OrderStatus::OnHold.is_final());
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
