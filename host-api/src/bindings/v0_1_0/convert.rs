//! Conversions for 0.1.0: the current version's import types to 0.1.0's (its `Host` impls
//! delegate to the current version's), and its export types to the records (`ils-records`).

use ils_optics::Power;
use ils_records as r;

use super::exports::ils::platform as x;
use super::ils::platform as p;
use crate::bindings::latest::ils::platform as l;
use crate::error::InvokeError;

/// The same cases in both versions.
impl From<l::types::Error> for p::types::Error {
    fn from(err: l::types::Error) -> Self {
        use l::types::Error as E;
        match err {
            E::Denied(m) => Self::Denied(m),
            E::NotFound => Self::NotFound,
            E::Invalid(m) => Self::Invalid(m),
            E::TooLarge => Self::TooLarge,
            E::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

impl From<p::types::PluginError> for InvokeError {
    fn from(err: p::types::PluginError) -> Self {
        Self::Plugin { message: err.message, retryable: err.retryable }
    }
}

macro_rules! same_enum_across {
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
same_enum_across!(
    p::orders::OrderStatus,
    l::orders::OrderStatus,
    [Pending, InProduction, QualityCheck, Shipped, Completed, OnHold, Cancelled]
);
same_enum_across!(p::log::Level, l::log::Level, [Trace, Debug, Info, Warn, Error]);
ils_records::same_enum!(x::equipment_driver::Side, r::Side, [Right, Left, Both]);
ils_records::same_enum!(x::report_provider::ReportFormat, r::ReportFormat, [Csv, Html, Pdf]);

impl From<l::context::Caller> for p::context::Caller {
    fn from(c: l::context::Caller) -> Self {
        Self { user_id: c.user_id, roles: c.roles }
    }
}

impl From<l::orders::Order> for p::orders::Order {
    fn from(o: l::orders::Order) -> Self {
        Self {
            id: o.id,
            reference: o.reference,
            status: o.status.into(),
            practice_id: o.practice_id,
            lab_id: o.lab_id,
            created_at: o.created_at,
            due_date: o.due_date,
            details: o.details,
        }
    }
}

impl From<l::clinical::Patient> for p::clinical::Patient {
    fn from(x: l::clinical::Patient) -> Self {
        Self {
            id: x.id,
            given_name: x.given_name,
            family_name: x.family_name,
            date_of_birth: x.date_of_birth,
            nhs_number: x.nhs_number,
        }
    }
}

/// 0.1.0 carries hundredths of a dioptre: an eighth is rounded half away from zero (0.125 D is
/// 13), which the 0.1.0 SDK reads back as the eighth.
fn hundredths(eighths: i32) -> i32 {
    Power::from_eighths(eighths).hundredths()
}

impl From<l::clinical::Eye> for p::clinical::Eye {
    fn from(x: l::clinical::Eye) -> Self {
        Self {
            sphere: hundredths(x.sphere),
            cylinder: x.cylinder.map(hundredths),
            axis: x.axis,
            add: x.add.map(hundredths),
        }
    }
}

impl From<l::clinical::Prescription> for p::clinical::Prescription {
    fn from(x: l::clinical::Prescription) -> Self {
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

impl From<l::inventory::StockLevel> for p::inventory::StockLevel {
    fn from(x: l::inventory::StockLevel) -> Self {
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
            // 0.1.0 cannot say who may run a report, nor its parameters: company admins only.
            roles: vec!["company_admin".into()],
            params_schema: None,
            schedulable: false,
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
        // 0.1.0 recommendations carry no title, figures or action: the subject stands as the title.
        Self {
            title: r.subject.clone(),
            subject: r.subject,
            score: r.score,
            explanation: r.explanation,
            figures: Vec::new(),
            action: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_cross_as_hundredths_with_an_eighth_rounded_away_from_zero() {
        let eye = l::clinical::Eye { sphere: -9, cylinder: Some(-2), axis: Some(90), add: Some(17) };
        let wit = p::clinical::Eye::from(eye);
        assert_eq!((wit.sphere, wit.cylinder, wit.axis, wit.add), (-113, Some(-25), Some(90), Some(213)));
    }
}
