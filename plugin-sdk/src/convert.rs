//! Conversions between the generated bindings of `ils:platform@0.3.0` and the records the SDK's
//! API uses (`ils-records`, shared with the host), all in one place. They compile on every target
//! (only the import calls need wasm), so the native tests check them too.

use ils_optics::Power;
use ils_records as r;
use ils_records::reports as rr;

use crate::__bindings::exports::ils::platform0_2_0 as x;
use crate::__bindings::exports::ils::platform0_3_0 as x3;
use crate::__bindings::ils::platform0_2_0 as p;
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

impl From<rr::Period> for p::types::Period {
    fn from(x: rr::Period) -> Self {
        Self { start: x.start, end: x.end }
    }
}

impl From<rr::PageRequest> for p::types::PageRequest {
    fn from(x: rr::PageRequest) -> Self {
        Self { cursor: x.cursor, limit: x.limit }
    }
}

ils_records::same_enum!(p::reports::Op, rr::Op, [Eq, Ne, Lt, Le, Gt, Ge, InList, IsNull, NotNull]);

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

impl From<rr::Measure> for p::reports::Measure {
    fn from(x: rr::Measure) -> Self {
        use rr::Measure as M;
        match x {
            M::Count => Self::Count,
            M::CountDistinct(f) => Self::CountDistinct(f),
            M::Sum(f) => Self::Sum(f),
            M::Avg(f) => Self::Avg(f),
            M::Min(f) => Self::Min(f),
            M::Max(f) => Self::Max(f),
            M::Percentile(f, p) => Self::Percentile((f, p)),
        }
    }
}

impl From<rr::Query> for p::reports::Query {
    fn from(q: rr::Query) -> Self {
        Self {
            dataset: q.dataset,
            period: q.period.into(),
            filters: q
                .filters
                .into_iter()
                .map(|f| p::reports::Filter {
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

impl From<p::reports::ResultSet> for rr::ResultSet {
    fn from(x: p::reports::ResultSet) -> Self {
        Self {
            columns: x.columns,
            rows: x.rows.into_iter().map(|row| row.into_iter().map(Into::into).collect()).collect(),
            truncated: x.truncated,
        }
    }
}

impl From<p::reports::Money> for rr::Money {
    fn from(x: p::reports::Money) -> Self {
        Self { minor: x.minor, currency: x.currency }
    }
}

impl From<p::reports::OrderRow> for rr::OrderRow {
    fn from(x: p::reports::OrderRow) -> Self {
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
            created_at_ms: x.created_at,
            due_on: x.due_on,
            shipped_at_ms: x.shipped_at,
            completed_at_ms: x.completed_at,
            price: x.price.into(),
            timeline: x
                .timeline
                .into_iter()
                .map(|s| rr::OrderStep {
                    at_ms: s.at,
                    from_status: s.from_status,
                    to_status: s.to_status,
                    station: s.station,
                    quality_issue: s.quality_issue,
                })
                .collect(),
        }
    }
}

impl From<p::reports::DispensingRow> for rr::DispensingRow {
    fn from(x: p::reports::DispensingRow) -> Self {
        Self {
            order_id: x.order_id,
            created_at_ms: x.created_at,
            frame_item_id: x.frame_item_id,
            lens_type: x.lens_type,
            right: x.right.into(),
            left: x.left.into(),
        }
    }
}

impl From<p::reports::StockRow> for rr::StockRow {
    fn from(x: p::reports::StockRow) -> Self {
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

impl From<p::reports::QualityRow> for rr::QualityRow {
    fn from(x: p::reports::QualityRow) -> Self {
        Self {
            order_id: x.order_id,
            number: x.number,
            at_ms: x.at,
            issue: x.issue,
            station: x.station,
            lens_type: x.lens_type,
            remake_order_id: x.remake_order_id,
        }
    }
}

impl From<p::reports::MovementRow> for rr::MovementRow {
    fn from(x: p::reports::MovementRow) -> Self {
        Self {
            at_ms: x.at,
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

impl From<p::reports::PurchaseOrderRow> for rr::PurchaseOrderRow {
    fn from(x: p::reports::PurchaseOrderRow) -> Self {
        Self {
            id: x.id,
            number: x.number,
            supplier_id: x.supplier_id,
            supplier_name: x.supplier_name,
            location_id: x.location_id,
            status: x.status,
            currency: x.currency,
            created_at_ms: x.created_at,
            sent_at_ms: x.sent_at,
            closed_at_ms: x.closed_at,
            lines: x
                .lines
                .into_iter()
                .map(|l| rr::PurchaseLine {
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
                .map(|r| rr::Receipt { id: r.id, received_at_ms: r.received_at, lines: r.lines })
                .collect(),
        }
    }
}

/// One conversion per page type: the rows and the next cursor (host-api has the other way).
macro_rules! page {
    ($page:ty => $row:ty) => {
        impl From<$page> for rr::Page<$row> {
            fn from(x: $page) -> Self {
                Self { rows: x.rows.into_iter().map(Into::into).collect(), next_cursor: x.next_cursor }
            }
        }
    };
}
page!(p::reports::OrderPage => rr::OrderRow);
page!(p::reports::QualityPage => rr::QualityRow);
page!(p::reports::DispensingPage => rr::DispensingRow);
page!(p::reports::StockPage => rr::StockRow);
page!(p::reports::MovementPage => rr::MovementRow);
page!(p::reports::PurchaseOrderPage => rr::PurchaseOrderRow);

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

/// Powers come as eighths of a dioptre: exact.
impl From<p::clinical::Eye> for r::Eye {
    fn from(e: p::clinical::Eye) -> Self {
        Self {
            sphere: Power::from_eighths(e.sphere),
            cylinder: e.cylinder.map(Power::from_eighths),
            axis: e.axis,
            add: e.add.map(Power::from_eighths),
        }
    }
}

impl From<p::clinical::Prescription> for r::Prescription {
    fn from(p: p::clinical::Prescription) -> Self {
        Self {
            right: p.right.into(),
            left: p.left.into(),
            id: p.id,
            patient_id: p.patient_id,
            issued_on: p.issued_on,
            expires_on: p.expires_on,
        }
    }
}

impl From<p::clinical::Examination> for r::Examination {
    fn from(x: p::clinical::Examination) -> Self {
        Self {
            id: x.id,
            patient_id: x.patient_id,
            examined_on: x.examined_on,
            finalised_at_ms: x.finalised_at,
            performed_by: x.performed_by,
            performer_name: x.performer_name,
            last_sight_test_on: x.last_sight_test_on,
            refraction_right: x.refraction_right.map(Into::into),
            refraction_left: x.refraction_left.map(Into::into),
            prescription_id: x.prescription_id,
        }
    }
}

impl From<p::inventory::StockLevel> for r::StockLevel {
    fn from(l: p::inventory::StockLevel) -> Self {
        Self { item_id: l.item_id, sku: l.sku, location_id: l.location_id, on_hand: l.on_hand }
    }
}

impl From<p::inventory::Location> for r::StockLocation {
    fn from(l: p::inventory::Location) -> Self {
        Self { id: l.id, name: l.name }
    }
}

impl From<p::inventory::ItemPage> for r::ItemPage {
    fn from(page: p::inventory::ItemPage) -> Self {
        Self {
            items: page
                .items
                .into_iter()
                .map(|i| r::CatalogueItem {
                    id: i.id,
                    sku: i.sku,
                    name: i.name,
                    reorder_point: i.reorder_point,
                    levels: i.levels.into_iter().map(Into::into).collect(),
                    frame: i.frame.map(|f| r::FrameSize {
                        eye_size: f.eye_size,
                        bridge: f.bridge,
                        rim: f.rim.map(Into::into),
                    }),
                })
                .collect(),
            next_after: page.next_after,
        }
    }
}

ils_records::same_enum!(p::inventory::MovementKind, r::MovementKind, [Sale, Return, Adjustment]);
ils_records::same_enum!(p::inventory::Rim, r::Rim, [Full, SemiRimless, Rimless]);

impl From<r::StockMovement> for p::inventory::Movement {
    fn from(m: r::StockMovement) -> Self {
        Self {
            key: m.key,
            item_id: m.item_id,
            location_id: m.location_id,
            delta: m.delta,
            kind: m.kind.into(),
            note: m.note,
        }
    }
}

impl From<p::inventory::MovementOutcome> for r::MovementOutcome {
    fn from(o: p::inventory::MovementOutcome) -> Self {
        Self { key: o.key, applied: o.applied, on_hand_after: o.on_hand_after }
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
            roles: r.roles,
            params_schema: r.params_schema,
            schedulable: r.schedulable,
        }
    }
}

impl From<r::ReportOutput> for x::report_provider::ReportOutput {
    fn from(o: r::ReportOutput) -> Self {
        match o {
            r::ReportOutput::Inline(report) => Self::Inline(report.into()),
            r::ReportOutput::Stored(id) => Self::Stored(id),
        }
    }
}

impl From<r::FileInfo> for p::files::FileInfo {
    fn from(f: r::FileInfo) -> Self {
        Self {
            id: f.id,
            name: f.name,
            content_type: f.content_type,
            size: f.size,
            created_at: f.created_at_ms,
        }
    }
}

impl From<p::files::FileInfo> for r::FileInfo {
    fn from(f: p::files::FileInfo) -> Self {
        Self {
            id: f.id,
            name: f.name,
            content_type: f.content_type,
            size: f.size,
            created_at_ms: f.created_at,
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
        use x::recommender as w;
        Self {
            subject: r.subject,
            title: r.title,
            score: r.score,
            explanation: r.explanation,
            figures: r
                .figures
                .into_iter()
                .map(|f| w::Figure { name: f.name, value: f.value, unit: f.unit })
                .collect(),
            action: r.action.map(|a| match a {
                r::ProposedAction::DraftPurchaseOrder(d) => {
                    w::ProposedAction::DraftPurchaseOrder(w::DraftPurchaseOrder {
                        supplier_id: d.supplier_id,
                        location_id: d.location_id,
                        lines: d
                            .lines
                            .into_iter()
                            .map(|l| w::PurchaseLine { item_id: l.item_id, quantity: l.quantity })
                            .collect(),
                    })
                }
            }),
        }
    }
}

impl From<x3::sms::Message> for r::SmsMessage {
    fn from(m: x3::sms::Message) -> Self {
        Self { to: m.to, body: m.body, reference: m.reference }
    }
}

impl From<r::SmsError> for x3::sms::SmsError {
    fn from(e: r::SmsError) -> Self {
        match e {
            r::SmsError::Rejected(m) => Self::Rejected(m),
            r::SmsError::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

impl From<r::RecallAdvice> for x3::recall_advisor::Advice {
    fn from(a: r::RecallAdvice) -> Self {
        Self { months: a.months, reason: a.reason }
    }
}

ils_records::same_enum!(x3::device_link::Side, r::Side, [Right, Left, Both]);
ils_records::same_enum!(x3::device_link::ShapeSource, r::ShapeSource, [Frame, Pattern, DemoLens]);

impl From<r::Measurement> for x3::device_link::Measurement {
    fn from(m: r::Measurement) -> Self {
        Self { name: m.name, value: m.value, unit: m.unit, side: m.side.into() }
    }
}

impl From<r::DeviceReading> for x3::device_link::Reading {
    fn from(r: r::DeviceReading) -> Self {
        Self { measurements: r.measurements.into_iter().map(Into::into).collect(), warnings: r.warnings }
    }
}

impl From<r::Happening> for x3::device_link::Happening {
    fn from(h: r::Happening) -> Self {
        use x3::device_link as d;
        match h {
            r::Happening::Shapes(s) => Self::Shapes(d::ShapesSent {
                job: s.job,
                shapes: s
                    .shapes
                    .into_iter()
                    .map(|t| d::TracedShape {
                        side: t.side.into(),
                        source: t.source.into(),
                        radii: t.radii,
                        angles: t.angles,
                    })
                    .collect(),
                dbl: s.dbl,
            }),
            r::Happening::Reading(reading) => Self::Reading(reading.into()),
            r::Happening::JobDelivered(job) => Self::JobDelivered(job),
            r::Happening::JobFailed(job, why) => Self::JobFailed((job, why)),
            r::Happening::Note(note) => Self::Note(note),
        }
    }
}

impl From<r::DeviceStep> for x3::device_link::Step {
    fn from(s: r::DeviceStep) -> Self {
        Self {
            state: s.state,
            send: s.send,
            happenings: s.happenings.into_iter().map(Into::into).collect(),
            wake_after_ms: s.wake_after_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eye(sphere: i32, cylinder: Option<i32>) -> p::clinical::Eye {
        p::clinical::Eye { sphere, cylinder, axis: cylinder.map(|_| 90), add: None }
    }

    #[test]
    fn eighths_from_ils_read_back_exactly() {
        let e = r::Eye::from(eye(-9, Some(-2)));
        assert_eq!((e.sphere, e.cylinder), (Power::from_eighths(-9), Some(Power::from_eighths(-2))));
        assert_eq!(e.sphere.dioptres(), -1.125);
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
