//! Spectacle orders as a plugin sees them (`ils:platform/orders`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
    /// Cancelled before completion; final.
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

    /// The WIT's spelling: `pending`, `in-production`, `quality-check`, `shipped`, `completed`,
    /// `on-hold`, `cancelled`.
    pub fn wit_name(self) -> &'static str {
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The order's id in ILS (pass it back to `get`, `annotate`, `transition`).
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
    /// details `{}`. For seeding test fakes (the SDK's `MockHost`, the host's fakes); set the
    /// other fields as needed.
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
    pub fn details_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn details_read_as_a_typed_value() {
        #[derive(Deserialize)]
        struct Lens {
            #[serde(rename = "type")]
            kind: String,
        }
        let mut order = Order::new("o-1", OrderStatus::Pending);
        assert_eq!(order.details, serde_json::json!({}));
        order.details = serde_json::json!({"lens": {"type": "bifocal"}});
        #[derive(Deserialize)]
        struct Details {
            lens: Lens,
        }
        assert_eq!(order.details_as::<Details>().unwrap().lens.kind, "bifocal");
        assert!(order.details_as::<Lens>().is_err());
    }
}
