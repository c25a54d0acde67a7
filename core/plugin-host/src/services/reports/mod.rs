//! `reports`: the tenant's orders, quality failures, stock and purchasing for reporting plugins,
//! paged, and aggregates over the datasets of [`ils_records::reports::DATASETS`].
//!
//! Every listing is one SQL text per backend-neutral query with the same binds ([`Listing`]):
//! the tenant, the period as `[start, end)` times, a keyset cursor (time, then id) and a row
//! limit. A page reads `limit + 1` rows to know whether another follows; an aggregate streams
//! every row of the period through the [`engine`] without keeping them. Reads run in a read
//! transaction (no SQLite write lock while a year of orders streams), and each call is then
//! written to the tenant's audit log before its answer leaves the host.

mod aggregate;
mod orders;
mod purchasing;
mod stock;

use async_trait::async_trait;
use futures_util::TryStreamExt as _;
use ils_host_api::Scope;
use ils_host_api::services::{
    DispensingRow, MovementRow, OrderRow, Page, PageRequest, Period, PurchaseOrderRow, QualityRow, Query,
    ReportsReader, ResultSet, ServiceError, ServiceResult, StockRow,
};
use ils_kernel::audit::{self, Event};
use ils_kernel::error::Error;
use ils_records::reports::{MAX_PAGE, Value, engine};
use ils_storage::ids::TenantId;
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, on_conn, query};
use uuid::Uuid;

use super::{DbServices, actor, unavailable};

/// Where a page continues: after the row with this time (none for a listing without one, stock
/// levels) and id. Opaque to plugins: `MICROS:ID`, or `ID`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cursor {
    at: Option<Timestamp>,
    id: Uuid,
}

impl Cursor {
    fn parse(text: &str) -> ServiceResult<Self> {
        let unknown = || ServiceError::Invalid("unknown cursor: pass back a page's next_cursor".into());
        let (at, id) = match text.split_once(':') {
            Some((micros, id)) => {
                let micros: i64 = micros.parse().map_err(|_| unknown())?;
                let at = jiff::Timestamp::from_microsecond(micros).map_err(|_| unknown())?;
                (Some(Timestamp::from_jiff(at)), id)
            }
            None => (None, text),
        };
        Ok(Self { at, id: id.parse().map_err(|_| unknown())? })
    }

    fn encode(self) -> String {
        match self.at {
            Some(at) => format!("{}:{}", at.as_jiff().as_microsecond(), self.id),
            None => self.id.to_string(),
        }
    }
}

/// The binds every listing's SQL takes, in order: `$1` the tenant, `$2`/`$3` the period's
/// `[start, end)` (unused by stock levels, which are "now"), `$4`/`$5` the cursor's time and id
/// (`$4 IS NULL` on the first page), `$6` the most rows to read.
#[derive(Clone, Copy, Debug)]
struct Listing {
    tenant: TenantId,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
    after: Option<Cursor>,
    limit: i64,
}

impl Listing {
    /// One page: `page.limit` rows (1 to [`MAX_PAGE`]) after its cursor, and one more to tell
    /// whether another page follows.
    fn page(tenant: TenantId, period: Option<&Period>, page: &PageRequest) -> ServiceResult<Self> {
        let after = page.cursor.as_deref().map(Cursor::parse).transpose()?;
        let limit = i64::from(page.limit.clamp(1, MAX_PAGE)) + 1;
        Ok(Self { after, limit, ..Self::all(tenant, period)? })
    }

    /// Every row of the period.
    fn all(tenant: TenantId, period: Option<&Period>) -> ServiceResult<Self> {
        let (start, end) = match period {
            Some(p) => {
                let (start, end) = window(p)?;
                (Some(start), Some(end))
            }
            None => (None, None),
        };
        Ok(Self { tenant, start, end, after: None, limit: i64::MAX })
    }

    /// The rows one page holds (without the one read ahead).
    fn page_size(&self) -> usize {
        usize::try_from(self.limit - 1).unwrap_or(usize::MAX)
    }
}

/// A period as the times it spans: from the first day's midnight (UTC) to the end day's.
fn window(period: &Period) -> ServiceResult<(Timestamp, Timestamp)> {
    let invalid = || ServiceError::Invalid("a period is two dates, YYYY-MM-DD".into());
    let (start, end) = period.bounds_ms().ok_or_else(invalid)?;
    let time = |ms| jiff::Timestamp::from_millisecond(ms).map(Timestamp::from_jiff).map_err(|_| invalid());
    Ok((time(start)?, time(end)?))
}

/// Milliseconds since the Unix epoch, as plugins see times.
fn ms(t: Timestamp) -> i64 {
    t.as_jiff().as_millisecond()
}

/// Rows the SQL of a listing reads, whichever backend holds the transaction.
trait SqlRow:
    for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
    + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
    + Send
    + Unpin
{
}

impl<R> SqlRow for R where
    R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin
{
}

/// Every row `sql` reads for `l`.
async fn fetch<R: SqlRow>(tx: &mut TenantTx, sql: &'static str, l: &Listing) -> Result<Vec<R>, Error> {
    let (at, id) = (l.after.and_then(|c| c.at), l.after.map(|c| c.id));
    Ok(query!(tx, query_as, fetch_all, sql, l.tenant, l.start, l.end, at, id, l.limit)?)
}

/// Hands each row `sql` reads for `l` to `f` as it arrives, keeping none.
async fn each<R: SqlRow>(
    tx: &mut TenantTx,
    sql: &'static str,
    l: &Listing,
    mut f: impl FnMut(R) -> Result<(), Error> + Send,
) -> Result<(), Error> {
    let (at, id) = (l.after.and_then(|c| c.at), l.after.map(|c| c.id));
    on_conn!(tx.conn(), c => {
        let mut rows = sqlx::query_as::<_, R>(sql)
            .bind(l.tenant)
            .bind(l.start)
            .bind(l.end)
            .bind(at)
            .bind(id)
            .bind(l.limit)
            .fetch(&mut **c);
        while let Some(row) = rows.try_next().await? {
            f(row)?;
        }
        Ok(())
    })
}

/// A page of `rows` (read with one extra), each turned into what plugins see; the cursor of the
/// next page is the last row's place.
fn page_of<R, T>(
    mut rows: Vec<R>,
    l: &Listing,
    place: impl Fn(&R) -> Cursor,
    into: impl FnMut(R) -> T,
) -> Page<T> {
    let more = rows.len() > l.page_size();
    rows.truncate(l.page_size());
    let next_cursor = if more { rows.last().map(|r| place(r).encode()) } else { None };
    Page { rows: rows.into_iter().map(into).collect(), next_cursor }
}

/// Text as a dataset value; null when absent.
fn text(t: Option<String>) -> Value {
    t.map_or(Value::Null, Value::Text)
}

/// A time as a dataset value; null when absent.
fn time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::Time(ms(t)))
}

/// What one call reads, for the audit log.
#[derive(Clone, Copy, Debug)]
struct Read<'a> {
    /// `orders`, `quality`… or `aggregate`.
    call: &'static str,
    dataset: &'a str,
    period: Option<&'a Period>,
}

impl<'a> Read<'a> {
    /// A paged read: its dataset is the listing it reads.
    fn page(call: &'static str, period: Option<&'a Period>) -> Self {
        Self { call, dataset: call, period }
    }
}

impl DbServices {
    /// Runs `read` in a read transaction of the tenant, then audits it with the number of rows
    /// the plugin gets (`rows`).
    async fn report<T>(
        &self,
        scope: &Scope,
        what: Read<'_>,
        read: impl AsyncFnOnce(&mut TenantTx) -> Result<T, Error>,
        rows: impl FnOnce(&T) -> usize,
    ) -> ServiceResult<T> {
        let mut tx = self.read_tx(scope).await?;
        let found = read(&mut tx).await;
        let found = self.finish(tx, found).await?;
        self.audit_read(scope, what, rows(&found)).await?;
        Ok(found)
    }

    /// Writes a read to the tenant's audit log as `report_data.read`; the plugin gets nothing
    /// unless this succeeds.
    async fn audit_read(&self, scope: &Scope, what: Read<'_>, rows: usize) -> ServiceResult<()> {
        let changes = serde_json::json!({
            "plugin": scope.plugin.as_str(),
            "version": scope.version.to_string(),
            "read": what.call,
            "dataset": what.dataset,
            "period": what.period.map(|p| serde_json::json!({ "start": p.start, "end": p.end })),
            "rows": rows,
        });
        let event = Event::new("report_data.read", "report_data", what.dataset).changes(changes);
        let mut tx = self.tx(scope).await?;
        let done = audit::record(&mut tx, &actor(scope), event).await;
        self.finish(tx, done).await.map_err(|e| unavailable(format!("the read could not be audited: {e}")))
    }
}

fn page_rows<T>(page: &Page<T>) -> usize {
    page.rows.len()
}

#[async_trait]
impl ReportsReader for DbServices {
    async fn orders(
        &self,
        scope: &Scope,
        period: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<OrderRow>> {
        let l = Listing::page(scope.tenant, Some(period), page)?;
        let what = Read::page("orders", Some(period));
        self.report(scope, what, async |tx| orders::page(tx, &l).await, page_rows).await
    }

    async fn quality(
        &self,
        scope: &Scope,
        period: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<QualityRow>> {
        let l = Listing::page(scope.tenant, Some(period), page)?;
        let what = Read::page("quality", Some(period));
        self.report(scope, what, async |tx| orders::quality_page(tx, &l).await, page_rows).await
    }

    async fn dispensing(
        &self,
        scope: &Scope,
        period: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<DispensingRow>> {
        let l = Listing::page(scope.tenant, Some(period), page)?;
        let what = Read::page("dispensing", Some(period));
        self.report(scope, what, async |tx| orders::dispensing_page(tx, &l).await, page_rows).await
    }

    async fn stock_levels(&self, scope: &Scope, page: &PageRequest) -> ServiceResult<Page<StockRow>> {
        let l = Listing::page(scope.tenant, None, page)?;
        let what = Read::page("stock_levels", None);
        self.report(scope, what, async |tx| stock::levels_page(tx, &l).await, page_rows).await
    }

    async fn stock_movements(
        &self,
        scope: &Scope,
        period: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<MovementRow>> {
        let l = Listing::page(scope.tenant, Some(period), page)?;
        let what = Read::page("stock_movements", Some(period));
        self.report(scope, what, async |tx| stock::movements_page(tx, &l).await, page_rows).await
    }

    async fn purchase_orders(
        &self,
        scope: &Scope,
        period: &Period,
        page: &PageRequest,
    ) -> ServiceResult<Page<PurchaseOrderRow>> {
        let l = Listing::page(scope.tenant, Some(period), page)?;
        let what = Read::page("purchase_orders", Some(period));
        self.report(scope, what, async |tx| purchasing::page(tx, &l).await, page_rows).await
    }

    async fn aggregate(&self, scope: &Scope, query: &Query) -> ServiceResult<ResultSet> {
        aggregate::run(self, scope, query).await
    }
}

/// An engine's refusal of a query is the plugin's mistake; a row that does not fit is ours.
fn engine_error(e: engine::AggregateError) -> Error {
    match e {
        engine::AggregateError::Query(message) => {
            Error::Invalid { code: "invalid_query", message, fields: Vec::new() }
        }
        row @ engine::AggregateError::Row(_) => Error::Internal(row.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_no_page_gave() {
        let at = Timestamp::from_jiff(jiff::Timestamp::from_microsecond(1_767_225_600_123_456).unwrap());
        let cursor = Cursor { at: Some(at), id: Uuid::now_v7() };
        assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), cursor);
        let level = Cursor { at: None, id: Uuid::now_v7() };
        assert_eq!(Cursor::parse(&level.encode()).unwrap(), level);
        assert!(Cursor::parse("12:not-a-uuid").is_err());
        assert!(Cursor::parse("soon:0190a6b8-7c3e-7d4a-9b2f-1c2d3e4f5a6b").is_err());
    }

    #[test]
    fn a_period_spans_utc_midnights() {
        let (start, end) = window(&Period::new("2026-01-01", "2026-02-01")).unwrap();
        assert_eq!(start.to_string(), "2026-01-01T00:00:00Z");
        assert_eq!(end.to_string(), "2026-02-01T00:00:00Z");
        assert!(window(&Period::new("2026-02-30", "2026-03-01")).is_err());
    }
}
