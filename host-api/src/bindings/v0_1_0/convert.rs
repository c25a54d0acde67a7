//! Conversions between 0.1.0's generated types and the records (`ils-records`, shared with the
//! plugin SDK) and the host's own types, all in one place.

use ils_records as r;

use super::exports::ils::platform as x;
use super::ils::platform as p;
use crate::error::{GuestError, InvokeError};

impl From<GuestError> for p::types::Error {
    fn from(err: GuestError) -> Self {
        match err {
            GuestError::Denied(m) => Self::Denied(m),
            GuestError::NotFound => Self::NotFound,
            GuestError::Invalid(m) => Self::Invalid(m),
            GuestError::TooLarge => Self::TooLarge,
            GuestError::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

impl From<p::types::PluginError> for InvokeError {
    fn from(err: p::types::PluginError) -> Self {
        Self::Plugin { message: err.message, retryable: err.retryable }
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

impl From<r::Caller> for p::context::Caller {
    fn from(c: r::Caller) -> Self {
        Self { user_id: c.user_id, roles: c.roles }
    }
}

impl From<r::Order> for p::orders::Order {
    fn from(o: r::Order) -> Self {
        Self {
            id: o.id,
            reference: o.reference,
            status: o.status.into(),
            practice_id: o.practice_id,
            lab_id: o.lab_id,
            created_at: o.created_at_ms,
            due_date: o.due_date,
            details: o.details.to_string(),
        }
    }
}

impl From<r::Patient> for p::clinical::Patient {
    fn from(x: r::Patient) -> Self {
        Self {
            id: x.id,
            given_name: x.given_name,
            family_name: x.family_name,
            date_of_birth: x.date_of_birth,
            nhs_number: x.nhs_number,
        }
    }
}

/// Powers go as hundredths of a dioptre, an eighth rounded half away from zero (0.125 D is 13):
/// 0.1.0's unit (see `wit/PENDING.md`).
impl From<r::Eye> for p::clinical::Eye {
    fn from(x: r::Eye) -> Self {
        Self {
            sphere: x.sphere.hundredths(),
            cylinder: x.cylinder.map(|c| c.hundredths()),
            axis: x.axis,
            add: x.add.map(|a| a.hundredths()),
        }
    }
}

impl From<r::Prescription> for p::clinical::Prescription {
    fn from(x: r::Prescription) -> Self {
        Self {
            id: x.id,
            patient_id: x.patient_id,
            issued_on: x.issued_on,
            expires_on: x.expires_on,
            right: x.right.into(),
            left: x.left.into(),
        }
    }
}

impl From<r::StockLevel> for p::inventory::StockLevel {
    fn from(x: r::StockLevel) -> Self {
        Self { item_id: x.item_id, sku: x.sku, location_id: x.location_id, on_hand: x.on_hand }
    }
}

impl From<r::Event> for x::event_handler::Event {
    fn from(ev: r::Event) -> Self {
        Self { id: ev.id, kind: ev.kind, occurred_at: ev.occurred_at_ms, payload: ev.payload }
    }
}

impl From<x::equipment_driver::Measurement> for r::Measurement {
    fn from(m: x::equipment_driver::Measurement) -> Self {
        Self { name: m.name, value: m.value, unit: m.unit, side: m.side.into() }
    }
}

impl From<x::report_provider::ReportInfo> for r::ReportInfo {
    fn from(r: x::report_provider::ReportInfo) -> Self {
        Self {
            id: r.id,
            title: r.title,
            description: r.description,
            formats: r.formats.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<x::report_provider::RenderedReport> for r::RenderedReport {
    fn from(r: x::report_provider::RenderedReport) -> Self {
        Self { content_type: r.content_type, file_name: r.file_name, body: r.body }
    }
}

impl From<x::recommender::Recommendation> for r::Recommendation {
    fn from(r: x::recommender::Recommendation) -> Self {
        Self { subject: r.subject, score: r.score, explanation: r.explanation }
    }
}

#[cfg(test)]
mod tests {
    use ils_optics::Power;

    use super::*;

    #[test]
    fn powers_cross_as_hundredths_with_an_eighth_rounded_away_from_zero() {
        let eye = r::Eye {
            sphere: Power::from_eighths(-9),
            cylinder: Some(Power::from_eighths(-2)),
            axis: Some(90),
            add: Some(Power::from_eighths(17)),
        };
        let wit = p::clinical::Eye::from(eye);
        assert_eq!((wit.sphere, wit.cylinder, wit.axis, wit.add), (-113, Some(-25), Some(90), Some(213)));
    }
}
