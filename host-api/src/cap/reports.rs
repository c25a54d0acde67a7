//! `reports`: the tenant's orders, quality, stock and purchasing for reporting, paged, and
//! aggregates over named datasets. The embedder confines and audits every read. Capability
//! `reports-read`.

use std::sync::Arc;

use ils_records::reports::{
    Dataset, DispensingRow, MAX_GROUPS, MAX_PAGE, MovementRow, OrderRow, Page, PageRequest, Period,
    PurchaseOrderRow, QualityRow, Query, ResultSet, StockRow, Value,
};
use ils_registry::Capability;

use super::{CapResult, require};
use crate::error::GuestError;
use crate::services::{ReportsReader, ServiceResult};
use crate::state::Invocation;

pub(crate) struct ReportsCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) reader: Arc<dyn ReportsReader>,
}

/// A period must be two dates, start before end; checked here so every embedder gets the same
/// answer for the same mistake.
fn check_period(period: &Period) -> Result<(), GuestError> {
    let date = |d: &str| {
        let b = d.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    };
    if !date(&period.start) || !date(&period.end) {
        return Err(GuestError::Invalid("a period is two dates, YYYY-MM-DD".into()));
    }
    if period.start >= period.end {
        return Err(GuestError::Invalid("a period's start must be before its end".into()));
    }
    Ok(())
}

/// Refuses a query the host cannot answer, with the reason, before it reaches the embedder.
fn check_query(q: &Query) -> Result<(), GuestError> {
    let Some(dataset) = Dataset::named(&q.dataset) else {
        let names: Vec<&str> = ils_records::reports::DATASETS.iter().map(|d| d.name).collect();
        return Err(GuestError::Invalid(format!(
            "no dataset {:?}; there are {}",
            q.dataset,
            names.join(", ")
        )));
    };
    if dataset.period_field.is_some() {
        check_period(&q.period)?;
    }
    let field = |name: &str| {
        dataset
            .field(name)
            .ok_or_else(|| GuestError::Invalid(format!("{} has no field {name:?}", dataset.name)))
    };
    for f in &q.filters {
        field(&f.field)?;
    }
    for g in &q.group_by {
        match g.split_once(':') {
            Some((name, bucket)) => {
                if field(name)? != ils_records::reports::FieldKind::Time {
                    return Err(GuestError::Invalid(format!(
                        "{name} is not a time; only times are bucketed"
                    )));
                }
                if !matches!(bucket, "day" | "week" | "month" | "year") {
                    return Err(GuestError::Invalid(format!(
                        "no bucket {bucket:?}: day, week, month or year"
                    )));
                }
            }
            None => {
                field(g)?;
            }
        }
    }
    use ils_records::reports::Measure as M;
    for m in &q.measures {
        match m {
            M::Count => {}
            M::CountDistinct(f) | M::Sum(f) | M::Avg(f) | M::Min(f) | M::Max(f) => {
                field(f)?;
            }
            M::Percentile(f, p) => {
                field(f)?;
                if !(0.0..=1.0).contains(p) {
                    return Err(GuestError::Invalid(format!("a percentile's fraction is 0 to 1, not {p}")));
                }
            }
        }
    }
    if q.measures.is_empty() && q.group_by.is_empty() {
        return Err(GuestError::Invalid("a query groups or measures something".into()));
    }
    Ok(())
}

/// Roughly what a row costs the guest to receive: its text and a few words per field.
fn text_len<'a>(texts: impl IntoIterator<Item = &'a String>) -> usize {
    texts.into_iter().map(String::len).sum::<usize>()
}

fn order_bytes(o: &OrderRow) -> usize {
    160 + text_len([&o.id, &o.number, &o.lens_type, &o.material, &o.status])
        + o.coatings.iter().map(String::len).sum::<usize>()
        + o.timeline.len() * 64
}

fn value_bytes(v: &Value) -> usize {
    match v {
        Value::Text(t) => 16 + t.len(),
        _ => 16,
    }
}

impl ReportsCap {
    fn check(&self) -> Result<(), GuestError> {
        require(&self.inv, Capability::ReportsRead)
    }

    fn page(page: PageRequest) -> PageRequest {
        PageRequest { cursor: page.cursor, limit: page.limit.clamp(1, MAX_PAGE) }
    }

    /// Runs one paged read: checks, calls the reader, charges what it hands the guest.
    async fn paged<T>(
        &self,
        period: Option<&Period>,
        read: impl Future<Output = ServiceResult<Page<T>>>,
        bytes: impl Fn(&T) -> usize,
    ) -> CapResult<Page<T>> {
        if let Err(e) = self.check().and_then(|()| period.map_or(Ok(()), check_period)) {
            return Ok(Err(e));
        }
        match read.await {
            Ok(page) => {
                self.inv.charge(page.rows.iter().map(&bytes).sum())?;
                Ok(Ok(page))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }

    pub(crate) async fn orders(&self, period: Period, page: PageRequest) -> CapResult<Page<OrderRow>> {
        let page = Self::page(page);
        self.paged(Some(&period), self.reader.orders(&self.inv.scope, &period, &page), order_bytes).await
    }

    pub(crate) async fn quality(&self, period: Period, page: PageRequest) -> CapResult<Page<QualityRow>> {
        let page = Self::page(page);
        let read = self.reader.quality(&self.inv.scope, &period, &page);
        self.paged(Some(&period), read, |q| 96 + text_len([&q.order_id, &q.number, &q.issue])).await
    }

    /// The tenant's own orders with their prescriptions and frames: clinical data, so it needs
    /// `clinical-read` beside `reports-read`.
    pub(crate) async fn dispensing(
        &self,
        period: Period,
        page: PageRequest,
    ) -> CapResult<Page<DispensingRow>> {
        if let Err(e) = require(&self.inv, Capability::ClinicalRead) {
            return Ok(Err(e));
        }
        let page = Self::page(page);
        let read = self.reader.dispensing(&self.inv.scope, &period, &page);
        self.paged(Some(&period), read, |d| 128 + d.order_id.len() + d.lens_type.len() + 40).await
    }

    pub(crate) async fn stock_levels(&self, page: PageRequest) -> CapResult<Page<StockRow>> {
        let page = Self::page(page);
        let read = self.reader.stock_levels(&self.inv.scope, &page);
        self.paged(None, read, |s| 96 + text_len([&s.item_id, &s.sku, &s.name, &s.location_name])).await
    }

    pub(crate) async fn stock_movements(
        &self,
        period: Period,
        page: PageRequest,
    ) -> CapResult<Page<MovementRow>> {
        let page = Self::page(page);
        let read = self.reader.stock_movements(&self.inv.scope, &period, &page);
        self.paged(Some(&period), read, |m| 96 + text_len([&m.item_id, &m.sku, &m.location_id])).await
    }

    pub(crate) async fn purchase_orders(
        &self,
        period: Period,
        page: PageRequest,
    ) -> CapResult<Page<PurchaseOrderRow>> {
        let page = Self::page(page);
        let read = self.reader.purchase_orders(&self.inv.scope, &period, &page);
        self.paged(Some(&period), read, |p| {
            128 + text_len([&p.id, &p.number, &p.supplier_name]) + p.lines.len() * 64 + p.receipts.len() * 64
        })
        .await
    }

    pub(crate) async fn aggregate(&self, mut query: Query) -> CapResult<ResultSet> {
        if let Err(e) = self.check().and_then(|()| check_query(&query)) {
            return Ok(Err(e));
        }
        query.limit = query.limit.clamp(1, MAX_GROUPS);
        match self.reader.aggregate(&self.inv.scope, &query).await {
            Ok(set) => {
                let bytes: usize = set.rows.iter().flatten().map(value_bytes).sum();
                self.inv.charge(bytes + set.columns.iter().map(String::len).sum::<usize>())?;
                Ok(Ok(set))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use ils_records::reports::{Filter, Measure, Op};

    use super::*;

    fn query(dataset: &str) -> Query {
        Query {
            dataset: dataset.into(),
            period: Period::new("2026-01-01", "2027-01-01"),
            filters: Vec::new(),
            group_by: vec!["lens_type".into()],
            measures: vec![Measure::Count, Measure::Percentile("turnaround_days".into(), 0.9)],
            order_by: Vec::new(),
            limit: 100,
        }
    }

    #[test]
    fn queries_name_real_datasets_fields_and_buckets() {
        assert_eq!(check_query(&query("orders")), Ok(()));
        let invalid = |q: &Query| matches!(check_query(q), Err(GuestError::Invalid(_)));
        assert!(invalid(&query("patients")), "no such dataset");
        let mut q = query("orders");
        q.group_by = vec!["nhs_number".into()];
        assert!(invalid(&q), "no such field");
        q.group_by = vec!["created_at:fortnight".into()];
        assert!(invalid(&q), "no such bucket");
        q.group_by = vec!["lens_type:month".into()];
        assert!(invalid(&q), "text is not bucketed");
        q.group_by = vec!["created_at:month".into()];
        assert_eq!(check_query(&q), Ok(()));
        q.measures = vec![Measure::Percentile("turnaround_days".into(), 1.5)];
        assert!(invalid(&q), "fraction over 1");
        q.measures = vec![Measure::Count];
        q.filters = vec![Filter { field: "password".into(), op: Op::Eq, values: vec![] }];
        assert!(invalid(&q), "filter on an unknown field");
        q.filters = Vec::new();
        q.period = Period::new("2026-02-01", "2026-01-01");
        assert!(invalid(&q), "period backwards");
        q.period = Period::new("2026-1-1", "2027-01-01");
        assert!(invalid(&q), "not a date");
    }
}
