//! Reads for reporting (capability `reports-read`): the tenant's orders, quality failures, stock
//! and purchasing by period, paged, and aggregates over named datasets. Every call is audited.
//!
//! Prefer [`aggregate`] to paging through rows: a busy lab has 100,000 orders a year, and an
//! invocation may receive only a few MiB from the host.
//!
//! ```
//! use ils_plugin_sdk::host::reports::{self, Measure, Period, Query, ResultSet, Value};
//! use ils_plugin_sdk::testing::MockHost;
//!
//! let mock = MockHost::install();
//! mock.on_aggregate(|q| Ok(ResultSet {
//!     columns: vec!["lens_type".into(), "count".into()],
//!     rows: vec![vec![Value::Text("varifocal".into()), Value::Int(3)]],
//!     truncated: false,
//! }));
//! let q = Query {
//!     dataset: "orders".into(),
//!     period: Period::new("2026-01-01", "2027-01-01"),
//!     filters: vec![],
//!     group_by: vec!["lens_type".into()],
//!     measures: vec![Measure::Count],
//!     order_by: vec![],
//!     limit: 100,
//! };
//! assert_eq!(reports::aggregate(&q).unwrap().rows[0][1], Value::Int(3));
//! ```

pub use ils_records::reports::{
    DATASETS, Dataset, DispensingRow, FieldKind, Filter, MAX_GROUPS, MAX_PAGE, Measure, Money, MovementRow,
    Op, OrderRow, OrderStep, Page, PageRequest, Period, PurchaseLine, PurchaseOrderRow, QualityRow, Query,
    Receipt, ResultSet, StockRow, Value,
};

#[cfg(target_arch = "wasm32")]
use super::wit;
use crate::HostError;

/// Runs an aggregate query (datasets and fields: [`DATASETS`]).
pub fn aggregate(query: &Query) -> Result<ResultSet, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::reports::aggregate(&query.clone().into()).map(Into::into).map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("reports-read")?;
        match &s.aggregate {
            Some(answer) => answer(query),
            None => {
                Err(HostError::Unavailable("the mock host has no aggregate answer (on_aggregate)".into()))
            }
        }
    })
}

/// Orders created in `period`, with their timeline and price, oldest first.
pub fn orders(period: &Period, page: &PageRequest) -> Result<Page<OrderRow>, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::reports::orders(&period.clone().into(), &page.clone().into())
        .map(Into::into)
        .map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("reports-read")?;
        let rows =
            s.report_orders.iter().filter(|o| crate::testing::in_period(o.created_at_ms, period)).cloned();
        Ok(crate::testing::page_of(rows.collect(), page))
    })
}

/// Quality-check failures found in `period`, oldest first, a page at a time (each remake linked).
pub fn quality(period: &Period, page: &PageRequest) -> Result<Page<QualityRow>, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::reports::quality(&period.clone().into(), &page.clone().into())
        .map(Into::into)
        .map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("reports-read")?;
        let rows = s.report_quality.iter().filter(|q| crate::testing::in_period(q.at_ms, period)).cloned();
        Ok(crate::testing::page_of(rows.collect(), page))
    })
}

/// The tenant's own orders placed in `period`, oldest first, a page at a time: each one's
/// prescription and the stocked frame it named (capability `clinical-read` as well).
pub fn dispensing(period: &Period, page: &PageRequest) -> Result<Page<DispensingRow>, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::reports::dispensing(&period.clone().into(), &page.clone().into())
        .map(Into::into)
        .map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("reports-read")?;
        s.check("clinical-read")?;
        let rows = s
            .report_dispensing
            .iter()
            .filter(|d| crate::testing::in_period(d.created_at_ms, period))
            .cloned();
        Ok(crate::testing::page_of(rows.collect(), page))
    })
}

/// Stock movements (the ledger) in `period`, oldest first, a page at a time.
pub fn stock_movements(period: &Period, page: &PageRequest) -> Result<Page<MovementRow>, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::reports::stock_movements(&period.clone().into(), &page.clone().into())
        .map(Into::into)
        .map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("reports-read")?;
        let rows = s.report_movements.iter().filter(|m| crate::testing::in_period(m.at_ms, period)).cloned();
        Ok(crate::testing::page_of(rows.collect(), page))
    })
}

/// Purchase orders raised in `period`, with their lines and receipts, a page at a time.
pub fn purchase_orders(period: &Period, page: &PageRequest) -> Result<Page<PurchaseOrderRow>, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::reports::purchase_orders(&period.clone().into(), &page.clone().into())
        .map(Into::into)
        .map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("reports-read")?;
        let rows =
            s.report_purchases.iter().filter(|o| crate::testing::in_period(o.created_at_ms, period)).cloned();
        Ok(crate::testing::page_of(rows.collect(), page))
    })
}

/// Every row of a paged read, page after page (at most `max_rows`, so a runaway read stops).
pub fn all_pages<T>(
    max_rows: usize,
    mut read: impl FnMut(&PageRequest) -> Result<Page<T>, HostError>,
) -> Result<Vec<T>, HostError> {
    let mut rows = Vec::new();
    let mut page = PageRequest { cursor: None, limit: MAX_PAGE };
    loop {
        let got = read(&page)?;
        rows.extend(got.rows);
        match got.next_cursor {
            Some(next) if rows.len() < max_rows => page.cursor = Some(next),
            _ => return Ok(rows),
        }
    }
}

/// Stock levels now, valued at each item's last received unit price.
pub fn stock_levels(page: &PageRequest) -> Result<Page<StockRow>, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::reports::stock_levels(&page.clone().into()).map(Into::into).map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("reports-read")?;
        Ok(crate::testing::page_of(s.report_stock.clone(), page))
    })
}
