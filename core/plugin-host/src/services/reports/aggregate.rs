//! Aggregates: the rows of one dataset in the period, read by one SQL query of the tenant and
//! streamed through the [`engine`] as they arrive, so a year of a busy lab's orders is counted
//! without being held in memory. Derived fields (turnaround, lead time, values) are computed
//! here from the stored times and amounts, the same way on both backends.

use ils_host_api::Scope;
use ils_host_api::services::{Query, ResultSet, ServiceError, ServiceResult};
use ils_kernel::error::Error;
use ils_records::reports::engine::Aggregator;
use ils_records::reports::{Dataset, Value};
use ils_storage::TenantTx;

use super::orders::{self, OrderSql, QualitySql};
use super::purchasing::{self, PurchaseLineSql};
use super::stock::{self, LevelSql, MovementSql};
use super::{Listing, Read, SqlRow, each, engine_error};
use crate::services::{DbServices, service_error};

/// Runs `query` for the tenant, audited.
pub(super) async fn run(services: &DbServices, scope: &Scope, query: &Query) -> ServiceResult<ResultSet> {
    let dataset = Dataset::named(&query.dataset)
        .ok_or_else(|| ServiceError::Invalid(format!("no dataset {:?}", query.dataset)))?;
    let mut aggregator = Aggregator::new(dataset, query).map_err(|e| service_error(engine_error(e)))?;
    let period = dataset.period_field.map(|_| &query.period);
    let l = Listing::all(scope.tenant, period)?;
    let read = async |tx: &mut TenantTx| {
        feed(tx, dataset, &l, &mut aggregator).await?;
        Ok(aggregator.finish())
    };
    let what = Read { call: "aggregate", dataset: dataset.name, period };
    services.report(scope, what, read, |set: &ResultSet| set.rows.len()).await
}

/// Streams the dataset's rows of the listing into `aggregator`.
async fn feed(
    tx: &mut TenantTx,
    dataset: &Dataset,
    l: &Listing,
    aggregator: &mut Aggregator<'_>,
) -> Result<(), Error> {
    match dataset.name {
        "orders" => rows(tx, orders::ORDERS, l, aggregator, OrderSql::into_fields).await,
        "quality" => rows(tx, orders::QUALITY, l, aggregator, QualitySql::into_fields).await,
        "stock_levels" => rows(tx, stock::LEVELS, l, aggregator, LevelSql::into_fields).await,
        "stock_movements" => rows(tx, stock::MOVEMENTS, l, aggregator, MovementSql::into_fields).await,
        "purchase_lines" => {
            rows(tx, purchasing::PURCHASE_LINES, l, aggregator, PurchaseLineSql::into_fields).await
        }
        other => Err(Error::Internal(format!("the dataset {other} has no query"))),
    }
}

async fn rows<R: SqlRow>(
    tx: &mut TenantTx,
    sql: &'static str,
    l: &Listing,
    aggregator: &mut Aggregator<'_>,
    fields: fn(R) -> Vec<Value>,
) -> Result<(), Error> {
    each(tx, sql, l, |row: R| aggregator.push(fields(row)).map_err(engine_error)).await
}
