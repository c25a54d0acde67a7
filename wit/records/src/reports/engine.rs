//! The aggregate engine: one [`Query`] over the rows of one [`Dataset`], in memory, the same for
//! every embedder (core feeds it rows from the database, the test fakes from memory), so a
//! query means the same thing wherever it runs.
//!
//! A query is checked and prepared once ([`Aggregator::new`]), then rows stream through it
//! ([`Aggregator::push`]) and only one accumulator per group and measure is kept. Semantics
//! follow SQL: a filter on a null value is false (but for `is_null`), nulls are left out of every
//! measure but `count`, a query without groups answers one row even over no rows, and
//! `percentile` is PostgreSQL's `percentile_cont`.
//!
//! ```
//! use ils_records::reports::{Dataset, Measure, Period, Query, Value, engine};
//!
//! let dataset = Dataset::named("quality").unwrap();
//! let failure = |issue: &str, at_ms: i64| vec![
//!     Value::Text("J1".into()), Value::Text(issue.into()), Value::Null,
//!     Value::Text("progressive".into()), Value::Time(at_ms), Value::Int(0),
//! ];
//! let query = Query {
//!     dataset: "quality".into(),
//!     period: Period::new("2026-01-01", "2027-01-01"),
//!     filters: vec![],
//!     group_by: vec!["issue".into()],
//!     measures: vec![Measure::Count],
//!     order_by: vec![("count".into(), true)],
//!     limit: 10,
//! };
//! let day = 86_400_000;
//! let rows = [failure("scratch", 20_454 * day), failure("power", 20_455 * day),
//!             failure("scratch", 20_456 * day)];
//! let result = engine::aggregate(dataset, rows, &query)?;
//! assert_eq!(result.columns, ["issue", "count"]);
//! assert_eq!(result.rows[0], [Value::Text("scratch".into()), Value::Int(2)]);
//! # Ok::<(), engine::AggregateError>(())
//! ```

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use super::civil::{self, DAY_MS};
use super::{Dataset, FieldKind, Filter, MAX_GROUPS, Measure, Op, OrderRow, Query, ResultSet, Value};

/// Why a query or a row could not be aggregated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AggregateError {
    /// The query asks for something the dataset cannot answer (the plugin's mistake).
    Query(String),
    /// A row does not fit the dataset (the embedder's bug).
    Row(String),
}

impl std::fmt::Display for AggregateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Query(why) => write!(f, "invalid query: {why}"),
            Self::Row(why) => write!(f, "a row does not fit its dataset: {why}"),
        }
    }
}

impl std::error::Error for AggregateError {}

fn invalid<T>(why: impl Into<String>) -> Result<T, AggregateError> {
    Err(AggregateError::Query(why.into()))
}

/// Runs `query` over `rows` (each with the dataset's fields, in its order).
pub fn aggregate(
    dataset: &Dataset,
    rows: impl IntoIterator<Item = Vec<Value>>,
    query: &Query,
) -> Result<ResultSet, AggregateError> {
    let mut aggregator = Aggregator::new(dataset, query)?;
    for row in rows {
        aggregator.push(row)?;
    }
    Ok(aggregator.finish())
}

/// The `orders` dataset's row for one order (core's database rows and the fakes agree on it).
pub fn order_fields(o: &OrderRow) -> Vec<Value> {
    let text = |t: &str| Value::Text(t.to_owned());
    let time = |t: Option<i64>| t.map_or(Value::Null, Value::Time);
    let station = o.timeline.last().and_then(|s| s.station.as_deref());
    vec![
        text(&o.number),
        text(&o.reason),
        text(&o.routing),
        o.counterpart.as_deref().map_or(Value::Null, text),
        text(&o.lens_type),
        text(&o.material),
        text(&o.priority),
        text(&o.status),
        station.map_or(Value::Null, text),
        text(&o.price.currency),
        Value::Int(o.price.minor),
        Value::Time(o.created_at_ms),
        time(o.shipped_at_ms),
        time(o.completed_at_ms),
        turnaround_days(o.created_at_ms, o.shipped_at_ms, o.completed_at_ms)
            .map_or(Value::Null, Value::Float),
    ]
}

/// An order's turnaround in days: from creation to its first `shipped` step, or to `completed`
/// when it was never shipped; none while open.
pub fn turnaround_days(created_ms: i64, shipped_ms: Option<i64>, completed_ms: Option<i64>) -> Option<f64> {
    shipped_ms.or(completed_ms).map(|end| days_between(created_ms, end))
}

/// The days (fractional) from `start_ms` to `end_ms`.
pub fn days_between(start_ms: i64, end_ms: i64) -> f64 {
    (end_ms - start_ms) as f64 / DAY_MS as f64
}

/// A value as a group or distinct key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Null,
    Int(i64),
    /// An `f64`'s bits (-0.0 as 0.0, so the two are one group).
    Float(u64),
    Time(i64),
    Text(String),
}

impl Key {
    fn of(v: &Value) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::Text(t) => Self::Text(t.clone()),
            Value::Int(i) => Self::Int(*i),
            Value::Time(t) => Self::Time(*t),
            Value::Float(f) => Self::Float(if *f == 0.0 { 0.0_f64 } else { *f }.to_bits()),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Text(t) => Value::Text(t),
            Self::Int(i) => Value::Int(i),
            Self::Time(t) => Value::Time(t),
            Self::Float(bits) => Value::Float(f64::from_bits(bits)),
        }
    }
}

/// How values of one column sort: in their kind's order, nulls last (PostgreSQL's default).
fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Int(x) | Value::Time(x), Value::Int(y) | Value::Time(y)) => x.cmp(y),
        _ => a.as_f64().unwrap_or(f64::NAN).total_cmp(&b.as_f64().unwrap_or(f64::NAN)),
    }
}

/// A time bucket of `group_by`.
#[derive(Debug, Clone, Copy)]
enum Bucket {
    Day,
    Week,
    Month,
    Year,
}

impl Bucket {
    fn name(self, ms: i64) -> String {
        let day = civil::day_of(ms);
        match self {
            Self::Day => civil::day_name(day),
            Self::Week => civil::iso_week_name(day),
            Self::Month => civil::month_name(day),
            Self::Year => civil::year_name(day),
        }
    }
}

/// A filter, checked against its field's kind.
#[derive(Debug)]
struct Test {
    field: usize,
    op: Op,
    values: Vec<Value>,
}

impl Test {
    fn prepare(dataset: &Dataset, filter: &Filter) -> Result<Self, AggregateError> {
        let (field, kind) = field_of(dataset, &filter.field)?;
        let wanted = match filter.op {
            Op::IsNull | Op::NotNull => Some(0),
            Op::InList => None,
            _ => Some(1),
        };
        if wanted.is_some_and(|n| n != filter.values.len()) {
            return invalid(format!(
                "{:?} on {} takes {} value(s)",
                filter.op,
                filter.field,
                wanted.unwrap_or(0)
            ));
        }
        for v in &filter.values {
            if !comparable(kind, v) {
                return invalid(format!("{} is {kind:?}; it cannot be compared with {v:?}", filter.field));
            }
        }
        Ok(Self { field, op: filter.op, values: filter.values.clone() })
    }

    fn holds(&self, row: &[Value]) -> bool {
        let v = &row[self.field];
        let cmp = |w: &Value| compare_typed(v, w);
        match self.op {
            Op::IsNull => matches!(v, Value::Null),
            Op::NotNull => !matches!(v, Value::Null),
            Op::InList => self.values.iter().any(|w| cmp(w) == Some(Ordering::Equal)),
            Op::Eq => cmp(&self.values[0]) == Some(Ordering::Equal),
            Op::Ne => cmp(&self.values[0]).is_some_and(Ordering::is_ne),
            Op::Lt => cmp(&self.values[0]) == Some(Ordering::Less),
            Op::Le => cmp(&self.values[0]).is_some_and(Ordering::is_le),
            Op::Gt => cmp(&self.values[0]) == Some(Ordering::Greater),
            Op::Ge => cmp(&self.values[0]).is_some_and(Ordering::is_ge),
        }
    }
}

/// Whether a filter value may be compared with a field of `kind`: text with text, numbers with
/// numbers, and a time with a time or whole milliseconds.
fn comparable(kind: FieldKind, v: &Value) -> bool {
    matches!(
        (kind, v),
        (FieldKind::Text, Value::Text(_))
            | (FieldKind::Int | FieldKind::Float, Value::Int(_) | Value::Float(_))
            | (FieldKind::Time, Value::Time(_) | Value::Int(_))
    )
}

/// A row's value against a (checked) filter value; none when the row's value is null.
fn compare_typed(v: &Value, w: &Value) -> Option<Ordering> {
    match (v, w) {
        (Value::Null, _) => None,
        (Value::Text(x), Value::Text(y)) => Some(x.as_str().cmp(y)),
        (Value::Int(x) | Value::Time(x), Value::Int(y) | Value::Time(y)) => Some(x.cmp(y)),
        _ => v.as_f64()?.partial_cmp(&w.as_f64()?),
    }
}

fn field_of(dataset: &Dataset, name: &str) -> Result<(usize, FieldKind), AggregateError> {
    match dataset.fields.iter().position(|(n, _)| *n == name) {
        Some(i) => Ok((i, dataset.fields[i].1)),
        None => invalid(format!("{} has no field {name:?}", dataset.name)),
    }
}

/// A group column: a field, or a time field's bucket.
fn prepare_group(dataset: &Dataset, name: &str) -> Result<(usize, Option<Bucket>), AggregateError> {
    let Some((field, bucket)) = name.split_once(':') else {
        return Ok((field_of(dataset, name)?.0, None));
    };
    let (index, kind) = field_of(dataset, field)?;
    if kind != FieldKind::Time {
        return invalid(format!("{field} is not a time; only times are bucketed"));
    }
    let bucket = match bucket {
        "day" => Bucket::Day,
        "week" => Bucket::Week,
        "month" => Bucket::Month,
        "year" => Bucket::Year,
        other => return invalid(format!("no bucket {other:?}: day, week, month or year")),
    };
    Ok((index, Some(bucket)))
}

/// What a measure computes, prepared against its field.
#[derive(Debug, Clone, Copy)]
enum Compute {
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
    Percentile(f64),
}

#[derive(Debug, Clone, Copy)]
struct Prepared {
    compute: Compute,
    /// The field measured (none for `count`) and its kind.
    field: Option<(usize, FieldKind)>,
}

impl Prepared {
    fn of(dataset: &Dataset, measure: &Measure) -> Result<Self, AggregateError> {
        let (compute, name) = match measure {
            Measure::Count => return Ok(Self { compute: Compute::Count, field: None }),
            Measure::CountDistinct(f) => (Compute::CountDistinct, f),
            Measure::Sum(f) => (Compute::Sum, f),
            Measure::Avg(f) => (Compute::Avg, f),
            Measure::Min(f) => (Compute::Min, f),
            Measure::Max(f) => (Compute::Max, f),
            Measure::Percentile(f, p) if (0.0..=1.0).contains(p) => (Compute::Percentile(*p), f),
            Measure::Percentile(_, p) => {
                return invalid(format!("a percentile's fraction is 0 to 1, not {p}"));
            }
        };
        let (index, kind) = field_of(dataset, name)?;
        let numeric = matches!(kind, FieldKind::Int | FieldKind::Float);
        let ok = match compute {
            Compute::Sum => numeric,
            Compute::Avg | Compute::Percentile(_) => numeric || kind == FieldKind::Time,
            _ => true,
        };
        if !ok {
            return invalid(format!("{name} is {kind:?}; {measure:?} needs a number"));
        }
        Ok(Self { compute, field: Some((index, kind)) })
    }

    fn start(&self) -> Acc {
        match self.compute {
            Compute::Count => Acc::Count(0),
            Compute::CountDistinct => Acc::Distinct(HashSet::new()),
            Compute::Sum => Acc::Sum { int: 0, float: 0.0, seen: false },
            Compute::Avg => Acc::Avg { sum: 0.0, n: 0 },
            Compute::Min | Compute::Max => Acc::Extreme(Value::Null),
            Compute::Percentile(_) => Acc::Values(Vec::new()),
        }
    }
}

/// One measure's running state in one group.
#[derive(Debug)]
enum Acc {
    Count(i64),
    Distinct(HashSet<Key>),
    Sum { int: i128, float: f64, seen: bool },
    Avg { sum: f64, n: u64 },
    Extreme(Value),
    Values(Vec<f64>),
}

impl Acc {
    fn add(&mut self, compute: Compute, v: Option<&Value>) {
        if let Self::Count(n) = self {
            *n += 1;
            return;
        }
        let Some(v) = v.filter(|v| !matches!(v, Value::Null)) else { return };
        match self {
            Self::Count(_) => {}
            Self::Distinct(set) => {
                set.insert(Key::of(v));
            }
            Self::Sum { int, float, seen } => {
                *seen = true;
                match v {
                    Value::Int(i) => *int += i128::from(*i),
                    other => *float += other.as_f64().unwrap_or(0.0),
                }
            }
            Self::Avg { sum, n } => {
                *sum += v.as_f64().unwrap_or(0.0);
                *n += 1;
            }
            Self::Extreme(best) => {
                let wanted = if matches!(compute, Compute::Min) { Ordering::Less } else { Ordering::Greater };
                if matches!(best, Value::Null) || compare_values(v, best) == wanted {
                    *best = v.clone();
                }
            }
            Self::Values(values) => values.push(v.as_f64().unwrap_or(0.0)),
        }
    }

    fn finish(self, prepared: &Prepared) -> Value {
        let kind = prepared.field.map(|(_, k)| k);
        // An average or percentile of times is a time.
        let number = |f: f64| match kind {
            Some(FieldKind::Time) => Value::Time(f.round() as i64),
            _ => Value::Float(f),
        };
        match self {
            Self::Count(n) => Value::Int(n),
            Self::Distinct(set) => Value::Int(i64::try_from(set.len()).unwrap_or(i64::MAX)),
            Self::Sum { seen: false, .. } => Value::Null,
            Self::Sum { int, float, .. } => match kind {
                Some(FieldKind::Float) => Value::Float(float),
                _ => Value::Int(i64::try_from(int).unwrap_or(if int < 0 { i64::MIN } else { i64::MAX })),
            },
            Self::Avg { n: 0, .. } => Value::Null,
            Self::Avg { sum, n } => number(sum / n as f64),
            Self::Extreme(v) => v,
            Self::Values(mut values) => match prepared.compute {
                Compute::Percentile(p) => percentile_cont(&mut values, p).map_or(Value::Null, number),
                _ => Value::Null,
            },
        }
    }
}

/// PostgreSQL's `percentile_cont`: the value at rank `p × (n − 1)` of the sorted values,
/// interpolated linearly between the two closest ranks; none for no values.
pub fn percentile_cont(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = p * (values.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(values[lo] + (values[hi] - values[lo]) * (rank - lo as f64))
}

/// A prepared query, taking rows one at a time and keeping one accumulator per group and
/// measure.
#[derive(Debug)]
pub struct Aggregator<'d> {
    dataset: &'d Dataset,
    /// The period field's index and its `[start, end)` in milliseconds.
    period: Option<(usize, i64, i64)>,
    tests: Vec<Test>,
    groups: Vec<(usize, Option<Bucket>)>,
    measures: Vec<Prepared>,
    columns: Vec<String>,
    /// Result column indexes to sort by, descending or not.
    order: Vec<(usize, bool)>,
    limit: usize,
    found: HashMap<Vec<Key>, Vec<Acc>>,
}

impl<'d> Aggregator<'d> {
    /// Checks `query` against `dataset` and prepares it.
    pub fn new(dataset: &'d Dataset, query: &Query) -> Result<Self, AggregateError> {
        if query.dataset != dataset.name {
            return invalid(format!("the query is over {:?}, not {}", query.dataset, dataset.name));
        }
        if query.group_by.is_empty() && query.measures.is_empty() {
            return invalid("a query groups or measures something");
        }
        let period = match dataset.period_field {
            Some(name) => {
                let (start, end) = query
                    .period
                    .bounds_ms()
                    .ok_or_else(|| AggregateError::Query("a period is two dates, YYYY-MM-DD".into()))?;
                Some((field_of(dataset, name)?.0, start, end))
            }
            None => None,
        };
        let tests = query.filters.iter().map(|f| Test::prepare(dataset, f)).collect::<Result<_, _>>()?;
        let groups = query.group_by.iter().map(|g| prepare_group(dataset, g)).collect::<Result<_, _>>()?;
        let measures = query.measures.iter().map(|m| Prepared::of(dataset, m)).collect::<Result<_, _>>()?;
        let columns: Vec<String> =
            query.group_by.iter().cloned().chain(query.measures.iter().map(super::measure_column)).collect();
        let mut order = Vec::new();
        for (name, descending) in &query.order_by {
            match columns.iter().position(|c| c == name) {
                Some(i) => order.push((i, *descending)),
                None => {
                    return invalid(format!("no result column {name:?} to order by; there are {columns:?}"));
                }
            }
        }
        // Groups ascending break every tie, so the order is stable.
        order.extend((0..query.group_by.len()).map(|i| (i, false)));
        let limit = query.limit.clamp(1, MAX_GROUPS) as usize;
        Ok(Self { dataset, period, tests, groups, measures, columns, order, limit, found: HashMap::new() })
    }

    /// Adds one row (the dataset's fields, in order); rows outside the period or failing a
    /// filter are skipped.
    pub fn push(&mut self, row: Vec<Value>) -> Result<(), AggregateError> {
        self.check(&row)?;
        if let Some((i, start, end)) = self.period {
            match row[i] {
                Value::Time(t) if start <= t && t < end => {}
                _ => return Ok(()),
            }
        }
        if !self.tests.iter().all(|t| t.holds(&row)) {
            return Ok(());
        }
        let key: Vec<Key> = self
            .groups
            .iter()
            .map(|(i, bucket)| match (bucket, &row[*i]) {
                (Some(b), Value::Time(t)) => Key::Text(b.name(*t)),
                (_, v) => Key::of(v),
            })
            .collect();
        let measures = &self.measures;
        let accs = self.found.entry(key).or_insert_with(|| measures.iter().map(Prepared::start).collect());
        for (acc, m) in accs.iter_mut().zip(measures) {
            acc.add(m.compute, m.field.map(|(i, _)| &row[i]));
        }
        Ok(())
    }

    fn check(&self, row: &[Value]) -> Result<(), AggregateError> {
        if row.len() != self.dataset.fields.len() {
            return Err(AggregateError::Row(format!(
                "{} values for the {} fields of {}",
                row.len(),
                self.dataset.fields.len(),
                self.dataset.name
            )));
        }
        for ((name, kind), v) in self.dataset.fields.iter().zip(row) {
            let fits = matches!(
                (kind, v),
                (_, Value::Null)
                    | (FieldKind::Text, Value::Text(_))
                    | (FieldKind::Int, Value::Int(_))
                    | (FieldKind::Float, Value::Float(_))
                    | (FieldKind::Time, Value::Time(_))
            );
            if !fits {
                return Err(AggregateError::Row(format!("{name} is {kind:?}, not {v:?}")));
            }
        }
        Ok(())
    }

    /// The result: one row per group, sorted, at most `limit`.
    pub fn finish(mut self) -> ResultSet {
        if self.groups.is_empty() && self.found.is_empty() {
            // Like SQL, a query without groups answers one row even over no rows.
            self.found.insert(Vec::new(), self.measures.iter().map(Prepared::start).collect());
        }
        let measures = self.measures;
        let mut rows: Vec<Vec<Value>> = self
            .found
            .into_iter()
            .map(|(key, accs)| {
                let groups = key.into_iter().map(Key::into_value);
                groups.chain(accs.into_iter().zip(&measures).map(|(a, m)| a.finish(m))).collect()
            })
            .collect();
        let order = self.order;
        rows.sort_by(|a, b| {
            order
                .iter()
                .map(|&(i, desc)| {
                    let o = compare_values(&a[i], &b[i]);
                    if desc { o.reverse() } else { o }
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        let truncated = rows.len() > self.limit;
        rows.truncate(self.limit);
        ResultSet { columns: self.columns, rows, truncated }
    }
}

#[cfg(test)]
mod tests;
