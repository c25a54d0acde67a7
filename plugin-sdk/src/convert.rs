//! Conversions between the generated bindings of `ils:platform@0.1.0` and the records the SDK's
//! API uses (`ils-records`, shared with the host), all in one place. They compile on every target
//! (only the import calls need wasm), so the native tests check them too.

use ils_optics::Power;
use ils_records as r;

use crate::__bindings::exports::ils::platform as x;
use crate::__bindings::ils::platform as p;
use crate::{Error, HostError};

impl From<p::types::Error> for HostError {
    fn from(e: p::types::Error) -> Self {
        match e {
            p::types::Error::Denied(m) => Self::Denied(m),
            p::types::Error::NotFound => Self::NotFound,
            p::types::Error::Invalid(m) => Self::Invalid(m),
            p::types::Error::TooLarge => Self::TooLarge,
            p::types::Error::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

impl From<Error> for p::types::PluginError {
    fn from(e: Error) -> Self {
        Self { message: e.message, retryable: e.retryable }
    }
}

ils_records::same_enum!(
    p::orders::OrderStatus,
    r::OrderStatus,
    [Pending, InProduction, QualityCheck, Shipped, Completed, OnHold, Cancelled]
);
ils_records::same_enum!(p::log::Level, r::log::Level, [Trace, Debug, Info, Warn, Error]);
ils_records::same_enum!(x::equipment_driver::Side, r::Side, [Right, Left, Both]);
ils_records::same_enum!(x::report_provider::ReportFormat, r::ReportFormat, [Csv, Html, Pdf]);

impl From<p::context::Caller> for r::Caller {
    fn from(c: p::context::Caller) -> Self {
        Self { user_id: c.user_id, roles: c.roles }
    }
}

impl TryFrom<p::orders::Order> for r::Order {
    type Error = HostError;

    fn try_from(o: p::orders::Order) -> Result<Self, HostError> {
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

impl From<p::clinical::Patient> for r::Patient {
    fn from(p: p::clinical::Patient) -> Self {
        Self {
            id: p.id,
            given_name: p.given_name,
            family_name: p.family_name,
            date_of_birth: p.date_of_birth,
            nhs_number: p.nhs_number,
        }
    }
}

/// A power in 0.1.0's hundredths of a dioptre: the eighth step within half a hundredth (ILS sends
/// 0.125 D as `13`); anything between steps is not a power ILS sends.
fn power(hundredths: i32) -> Result<Power, HostError> {
    Power::from_hundredths(hundredths).ok_or_else(|| {
        HostError::Invalid(format!("{hundredths} hundredths of a dioptre is not a 0.125 D step"))
    })
}

impl TryFrom<p::clinical::Eye> for r::Eye {
    type Error = HostError;

    fn try_from(e: p::clinical::Eye) -> Result<Self, HostError> {
        Ok(Self {
            sphere: power(e.sphere)?,
            cylinder: e.cylinder.map(power).transpose()?,
            axis: e.axis,
            add: e.add.map(power).transpose()?,
        })
    }
}

impl TryFrom<p::clinical::Prescription> for r::Prescription {
    type Error = HostError;

    fn try_from(p: p::clinical::Prescription) -> Result<Self, HostError> {
        Ok(Self {
            right: p.right.try_into()?,
            left: p.left.try_into()?,
            id: p.id,
            patient_id: p.patient_id,
            issued_on: p.issued_on,
            expires_on: p.expires_on,
        })
    }
}

impl From<p::inventory::StockLevel> for r::StockLevel {
    fn from(l: p::inventory::StockLevel) -> Self {
        Self { item_id: l.item_id, sku: l.sku, location_id: l.location_id, on_hand: l.on_hand }
    }
}

impl From<x::event_handler::Event> for r::Event {
    fn from(e: x::event_handler::Event) -> Self {
        Self { id: e.id, kind: e.kind, occurred_at_ms: e.occurred_at, payload: e.payload }
    }
}

impl From<r::Measurement> for x::equipment_driver::Measurement {
    fn from(m: r::Measurement) -> Self {
        Self { name: m.name, value: m.value, unit: m.unit, side: m.side.into() }
    }
}

impl From<r::ReportInfo> for x::report_provider::ReportInfo {
    fn from(r: r::ReportInfo) -> Self {
        Self {
            id: r.id,
            title: r.title,
            description: r.description,
            formats: r.formats.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<r::RenderedReport> for x::report_provider::RenderedReport {
    fn from(r: r::RenderedReport) -> Self {
        Self { content_type: r.content_type, file_name: r.file_name, body: r.body }
    }
}

impl From<r::Recommendation> for x::recommender::Recommendation {
    fn from(r: r::Recommendation) -> Self {
        Self { subject: r.subject, score: r.score, explanation: r.explanation }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eye(sphere: i32, cylinder: Option<i32>) -> p::clinical::Eye {
        p::clinical::Eye { sphere, cylinder, axis: cylinder.map(|_| 90), add: None }
    }

    #[test]
    fn hundredths_from_ils_read_back_as_exact_eighths() {
        let e = r::Eye::try_from(eye(-113, Some(-25))).unwrap();
        assert_eq!((e.sphere, e.cylinder), (Power::from_eighths(-9), Some(Power::from_eighths(-2))));
        assert_eq!(r::Eye::try_from(eye(112, None)).unwrap().sphere, Power::from_eighths(9));
        assert_eq!(
            r::Eye::try_from(eye(110, None)),
            Err(HostError::Invalid("110 hundredths of a dioptre is not a 0.125 D step".into()))
        );
    }

    #[test]
    fn an_order_with_details_that_are_not_json_is_refused() {
        let order = p::orders::Order {
            id: "o-1".into(),
            reference: "J1".into(),
            status: p::orders::OrderStatus::OnHold,
            practice_id: "p".into(),
            lab_id: "l".into(),
            created_at: 5,
            due_date: None,
            details: r#"{"lens":{}}"#.into(),
        };
        let read = r::Order::try_from(order.clone()).unwrap();
        assert_eq!((read.status, read.details["lens"].is_object()), (r::OrderStatus::OnHold, true));
        let broken = p::orders::Order { details: "{".into(), ..order };
        assert!(
            matches!(r::Order::try_from(broken), Err(HostError::Invalid(m)) if m.starts_with("order o-1"))
        );
    }
}
