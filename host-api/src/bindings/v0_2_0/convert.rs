//! Conversions between 0.2.0's generated types and the records (`ils-records`, shared with the
//! plugin SDK) and the host's own types, all in one place.

use ils_optics::Power;
use ils_records as r;
use ils_records::reports as rr;

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
ils_records::same_enum!(p::inventory::Rim, r::Rim, [Full, SemiRimless, Rimless]);
ils_records::same_enum!(x::equipment_driver::Side, r::Side, [Right, Left, Both]);
ils_records::same_enum!(x::report_provider::ReportFormat, r::ReportFormat, [Csv, Html, Pdf]);
ils_records::same_enum!(p::inventory::MovementKind, r::MovementKind, [Sale, Return, Adjustment]);
ils_records::same_enum!(p::reports::Op, rr::Op, [Eq, Ne, Lt, Le, Gt, Ge, InList, IsNull, NotNull]);

impl From<r::Caller> for p::context::Caller {
    fn from(c: r::Caller) -> Self {
        Self { user_id: c.user_id, roles: c.roles }
    }
}

impl From<r::Tenant> for p::context::Tenant {
    fn from(t: r::Tenant) -> Self {
        Self { id: t.id.to_string(), name: t.name, kind: t.kind }
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

/// Powers go as eighths of a dioptre: exact.
impl From<r::Eye> for p::clinical::Eye {
    fn from(x: r::Eye) -> Self {
        Self {
            sphere: x.sphere.eighths(),
            cylinder: x.cylinder.map(Power::eighths),
            axis: x.axis,
            add: x.add.map(Power::eighths),
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

impl From<r::Examination> for p::clinical::Examination {
    fn from(x: r::Examination) -> Self {
        Self {
            id: x.id,
            patient_id: x.patient_id,
            examined_on: x.examined_on,
            finalised_at: x.finalised_at_ms,
            performed_by: x.performed_by,
            performer_name: x.performer_name,
            last_sight_test_on: x.last_sight_test_on,
            refraction_right: x.refraction_right.map(Into::into),
            refraction_left: x.refraction_left.map(Into::into),
            prescription_id: x.prescription_id,
        }
    }
}

impl From<r::StockLevel> for p::inventory::StockLevel {
    fn from(x: r::StockLevel) -> Self {
        Self { item_id: x.item_id, sku: x.sku, location_id: x.location_id, on_hand: x.on_hand }
    }
}

impl From<r::StockLocation> for p::inventory::Location {
    fn from(x: r::StockLocation) -> Self {
        Self { id: x.id, name: x.name }
    }
}

impl From<r::ItemPage> for p::inventory::ItemPage {
    fn from(x: r::ItemPage) -> Self {
        Self {
            items: x
                .items
                .into_iter()
                .map(|i| p::inventory::Item {
                    id: i.id,
                    sku: i.sku,
                    name: i.name,
                    reorder_point: i.reorder_point,
                    levels: i.levels.into_iter().map(Into::into).collect(),
                    frame: i.frame.map(|f| p::inventory::FrameSize {
                        eye_size: f.eye_size,
                        bridge: f.bridge,
                        rim: f.rim.map(Into::into),
                    }),
                })
                .collect(),
            next_after: x.next_after,
        }
    }
}

impl From<p::inventory::Movement> for r::StockMovement {
    fn from(x: p::inventory::Movement) -> Self {
        Self {
            key: x.key,
            item_id: x.item_id,
            location_id: x.location_id,
            delta: x.delta,
            kind: x.kind.into(),
            note: x.note,
        }
    }
}

impl From<r::MovementOutcome> for p::inventory::MovementOutcome {
    fn from(x: r::MovementOutcome) -> Self {
        Self { key: x.key, applied: x.applied, on_hand_after: x.on_hand_after }
    }
}

impl From<p::types::Period> for rr::Period {
    fn from(x: p::types::Period) -> Self {
        Self { start: x.start, end: x.end }
    }
}

impl From<p::types::PageRequest> for rr::PageRequest {
    fn from(x: p::types::PageRequest) -> Self {
        Self { cursor: x.cursor, limit: x.limit }
    }
}

impl From<rr::Money> for p::reports::Money {
    fn from(x: rr::Money) -> Self {
        Self { minor: x.minor, currency: x.currency }
    }
}

impl From<rr::OrderStep> for p::reports::OrderStep {
    fn from(x: rr::OrderStep) -> Self {
        Self {
            at: x.at_ms,
            from_status: x.from_status,
            to_status: x.to_status,
            station: x.station,
            quality_issue: x.quality_issue,
        }
    }
}

impl From<rr::OrderRow> for p::reports::OrderRow {
    fn from(x: rr::OrderRow) -> Self {
        Self {
            id: x.id,
            number: x.number,
            reason: x.reason,
            original_order_id: x.original_order_id,
            routing: x.routing,
            counterpart: x.counterpart,
            lens_type: x.lens_type,
            material: x.material,
            coatings: x.coatings,
            priority: x.priority,
            status: x.status,
            created_at: x.created_at_ms,
            due_on: x.due_on,
            shipped_at: x.shipped_at_ms,
            completed_at: x.completed_at_ms,
            price: x.price.into(),
            timeline: x.timeline.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<rr::QualityRow> for p::reports::QualityRow {
    fn from(x: rr::QualityRow) -> Self {
        Self {
            order_id: x.order_id,
            number: x.number,
            at: x.at_ms,
            issue: x.issue,
            station: x.station,
            lens_type: x.lens_type,
            remake_order_id: x.remake_order_id,
        }
    }
}

impl From<rr::DispensingRow> for p::reports::DispensingRow {
    fn from(x: rr::DispensingRow) -> Self {
        Self {
            order_id: x.order_id,
            created_at: x.created_at_ms,
            frame_item_id: x.frame_item_id,
            lens_type: x.lens_type,
            right: x.right.into(),
            left: x.left.into(),
        }
    }
}

impl From<rr::StockRow> for p::reports::StockRow {
    fn from(x: rr::StockRow) -> Self {
        Self {
            item_id: x.item_id,
            sku: x.sku,
            name: x.name,
            location_id: x.location_id,
            location_name: x.location_name,
            on_hand: x.on_hand,
            reorder_point: x.reorder_point,
            unit_value: x.unit_value.map(Into::into),
        }
    }
}

impl From<rr::MovementRow> for p::reports::MovementRow {
    fn from(x: rr::MovementRow) -> Self {
        Self {
            at: x.at_ms,
            item_id: x.item_id,
            sku: x.sku,
            location_id: x.location_id,
            kind: x.kind,
            delta: x.delta,
            quantity_after: x.quantity_after,
            value: x.value.map(Into::into),
        }
    }
}

impl From<rr::PurchaseOrderRow> for p::reports::PurchaseOrderRow {
    fn from(x: rr::PurchaseOrderRow) -> Self {
        Self {
            id: x.id,
            number: x.number,
            supplier_id: x.supplier_id,
            supplier_name: x.supplier_name,
            location_id: x.location_id,
            status: x.status,
            currency: x.currency,
            created_at: x.created_at_ms,
            sent_at: x.sent_at_ms,
            closed_at: x.closed_at_ms,
            lines: x
                .lines
                .into_iter()
                .map(|l| p::reports::PurchaseLine {
                    item_id: l.item_id,
                    sku: l.sku,
                    quantity: l.quantity,
                    received: l.received,
                    unit_price_minor: l.unit_price_minor,
                })
                .collect(),
            receipts: x
                .receipts
                .into_iter()
                .map(|r| p::reports::Receipt { id: r.id, received_at: r.received_at_ms, lines: r.lines })
                .collect(),
        }
    }
}

/// One conversion per page type: the rows and the next cursor.
macro_rules! page {
    ($row:ty => $page:ty) => {
        impl From<rr::Page<$row>> for $page {
            fn from(x: rr::Page<$row>) -> Self {
                Self { rows: x.rows.into_iter().map(Into::into).collect(), next_cursor: x.next_cursor }
            }
        }
    };
}
page!(rr::OrderRow => p::reports::OrderPage);
page!(rr::QualityRow => p::reports::QualityPage);
page!(rr::DispensingRow => p::reports::DispensingPage);
page!(rr::StockRow => p::reports::StockPage);
page!(rr::MovementRow => p::reports::MovementPage);
page!(rr::PurchaseOrderRow => p::reports::PurchaseOrderPage);

impl From<p::reports::Value> for rr::Value {
    fn from(x: p::reports::Value) -> Self {
        use p::reports::Value as V;
        match x {
            V::Null => Self::Null,
            V::Text(t) => Self::Text(t),
            V::Int(i) => Self::Int(i),
            V::Float(f) => Self::Float(f),
            V::Time(t) => Self::Time(t),
        }
    }
}

impl From<rr::Value> for p::reports::Value {
    fn from(x: rr::Value) -> Self {
        use rr::Value as V;
        match x {
            V::Null => Self::Null,
            V::Text(t) => Self::Text(t),
            V::Int(i) => Self::Int(i),
            V::Float(f) => Self::Float(f),
            V::Time(t) => Self::Time(t),
        }
    }
}

impl From<p::reports::Measure> for rr::Measure {
    fn from(x: p::reports::Measure) -> Self {
        use p::reports::Measure as M;
        match x {
            M::Count => Self::Count,
            M::CountDistinct(f) => Self::CountDistinct(f),
            M::Sum(f) => Self::Sum(f),
            M::Avg(f) => Self::Avg(f),
            M::Min(f) => Self::Min(f),
            M::Max(f) => Self::Max(f),
            M::Percentile((f, p)) => Self::Percentile(f, p),
        }
    }
}

impl From<p::reports::Query> for rr::Query {
    fn from(q: p::reports::Query) -> Self {
        Self {
            dataset: q.dataset,
            period: q.period.into(),
            filters: q
                .filters
                .into_iter()
                .map(|f| rr::Filter {
                    field: f.field,
                    op: f.op.into(),
                    values: f.values.into_iter().map(Into::into).collect(),
                })
                .collect(),
            group_by: q.group_by,
            measures: q.measures.into_iter().map(Into::into).collect(),
            order_by: q.order_by,
            limit: q.limit,
        }
    }
}

impl From<rr::ResultSet> for p::reports::ResultSet {
    fn from(x: rr::ResultSet) -> Self {
        Self {
            columns: x.columns,
            rows: x.rows.into_iter().map(|row| row.into_iter().map(Into::into).collect()).collect(),
            truncated: x.truncated,
        }
    }
}

impl From<r::FileInfo> for p::files::FileInfo {
    fn from(x: r::FileInfo) -> Self {
        Self {
            id: x.id,
            name: x.name,
            content_type: x.content_type,
            size: x.size,
            created_at: x.created_at_ms,
        }
    }
}

impl From<p::files::FileInfo> for r::FileInfo {
    fn from(x: p::files::FileInfo) -> Self {
        Self {
            id: x.id,
            name: x.name,
            content_type: x.content_type,
            size: x.size,
            created_at_ms: x.created_at,
        }
    }
}

impl From<rr::Page<r::FileInfo>> for p::files::FilePage {
    fn from(x: rr::Page<r::FileInfo>) -> Self {
        Self { files: x.rows.into_iter().map(Into::into).collect(), next_cursor: x.next_cursor }
    }
}

impl From<p::notify::Email> for r::Email {
    fn from(x: p::notify::Email) -> Self {
        Self { subject: x.subject, text: x.text, html: x.html, file_links: x.file_links }
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
            roles: r.roles,
            params_schema: r.params_schema,
            schedulable: r.schedulable,
        }
    }
}

impl From<x::report_provider::RenderedReport> for r::RenderedReport {
    fn from(r: x::report_provider::RenderedReport) -> Self {
        Self { content_type: r.content_type, file_name: r.file_name, body: r.body }
    }
}

impl From<x::recommender::Recommendation> for r::Recommendation {
    fn from(x: x::recommender::Recommendation) -> Self {
        Self {
            subject: x.subject,
            title: x.title,
            score: x.score,
            explanation: x.explanation,
            figures: x
                .figures
                .into_iter()
                .map(|f| r::Figure { name: f.name, value: f.value, unit: f.unit })
                .collect(),
            action: x.action.map(|a| match a {
                x::recommender::ProposedAction::DraftPurchaseOrder(d) => {
                    r::ProposedAction::DraftPurchaseOrder(r::DraftPurchaseOrder {
                        supplier_id: d.supplier_id,
                        location_id: d.location_id,
                        lines: d
                            .lines
                            .into_iter()
                            .map(|l| r::PurchaseLine { item_id: l.item_id, quantity: l.quantity })
                            .collect(),
                    })
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_cross_as_exact_eighths() {
        let eye = r::Eye {
            sphere: Power::from_eighths(-9),
            cylinder: Some(Power::from_eighths(-2)),
            axis: Some(90),
            add: Some(Power::from_eighths(17)),
        };
        let wit = p::clinical::Eye::from(eye);
        assert_eq!((wit.sphere, wit.cylinder, wit.axis, wit.add), (-9, Some(-2), Some(90), Some(17)));
    }
}
