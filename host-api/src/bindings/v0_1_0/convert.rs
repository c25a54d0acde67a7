//! Conversions between 0.1.0's generated types and the host's own, all in one place.

use super::exports::ils::platform as x;
use super::ils::platform as p;
use crate::cap::log::Level;
use crate::error::{GuestError, InvokeError};
use crate::extension as e;
use crate::services as s;

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

impl From<p::log::Level> for Level {
    fn from(level: p::log::Level) -> Self {
        match level {
            p::log::Level::Trace => Self::Trace,
            p::log::Level::Debug => Self::Debug,
            p::log::Level::Info => Self::Info,
            p::log::Level::Warn => Self::Warn,
            p::log::Level::Error => Self::Error,
        }
    }
}

macro_rules! same_enum {
    ($a:path, $b:path, [$($v:ident),*]) => {
        impl From<$a> for $b {
            fn from(v: $a) -> Self {
                use $a as A;
                match v { $(A::$v => Self::$v),* }
            }
        }
        impl From<$b> for $a {
            fn from(v: $b) -> Self {
                use $b as B;
                match v { $(B::$v => Self::$v),* }
            }
        }
    };
}

same_enum!(
    p::orders::OrderStatus,
    s::OrderStatus,
    [Pending, InProduction, QualityCheck, Shipped, Completed, OnHold, Cancelled]
);
same_enum!(x::equipment_driver::Side, e::Side, [Right, Left, Both]);
same_enum!(x::report_provider::ReportFormat, e::ReportFormat, [Csv, Html, Pdf]);

impl From<s::Order> for p::orders::Order {
    fn from(o: s::Order) -> Self {
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

impl From<s::Patient> for p::clinical::Patient {
    fn from(x: s::Patient) -> Self {
        Self {
            id: x.id,
            given_name: x.given_name,
            family_name: x.family_name,
            date_of_birth: x.date_of_birth,
            nhs_number: x.nhs_number,
        }
    }
}

impl From<s::EyeRx> for p::clinical::Eye {
    fn from(x: s::EyeRx) -> Self {
        Self { sphere: x.sphere, cylinder: x.cylinder, axis: x.axis, add: x.add }
    }
}

impl From<s::Prescription> for p::clinical::Prescription {
    fn from(x: s::Prescription) -> Self {
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

impl From<s::StockLevel> for p::inventory::StockLevel {
    fn from(x: s::StockLevel) -> Self {
        Self { item_id: x.item_id, sku: x.sku, location_id: x.location_id, on_hand: x.on_hand }
    }
}

impl From<e::Event> for x::event_handler::Event {
    fn from(ev: e::Event) -> Self {
        Self { id: ev.id, kind: ev.kind, occurred_at: ev.occurred_at_ms, payload: ev.payload }
    }
}

impl From<x::equipment_driver::Measurement> for e::Measurement {
    fn from(m: x::equipment_driver::Measurement) -> Self {
        Self { name: m.name, value: m.value, unit: m.unit, side: m.side.into() }
    }
}

impl From<x::report_provider::ReportInfo> for e::ReportInfo {
    fn from(r: x::report_provider::ReportInfo) -> Self {
        Self {
            id: r.id,
            title: r.title,
            description: r.description,
            formats: r.formats.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<x::report_provider::RenderedReport> for e::RenderedReport {
    fn from(r: x::report_provider::RenderedReport) -> Self {
        Self { content_type: r.content_type, file_name: r.file_name, body: r.body }
    }
}

impl From<x::recommender::Recommendation> for e::Recommendation {
    fn from(r: x::recommender::Recommendation) -> Self {
        Self { subject: r.subject, score: r.score, explanation: r.explanation }
    }
}
