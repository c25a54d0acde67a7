//! A [`Source`] over hand-made rows, evaluating queries the way the platform documents them:
//! the period on the dataset's period field (half-open, UTC), every filter (a comparison with a
//! null is false, as in SQL), groups with time buckets, measures with nulls left out (but
//! `count`), `percentile` interpolated like PostgreSQL's `percentile_cont`, order and limit.
//! A field the dataset does not have is an error, so a report's typo fails its test.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use ils_reports::records::{
    Dataset, FieldKind, Filter, Measure, Op, Query, ResultSet, Value, measure_column,
};
use ils_reports::{Source, SourceError};
use jiff::civil::Date;
use jiff::tz::TimeZone;

pub type Row = BTreeMap<String, Value>;

#[derive(Default)]
pub struct Memory {
    rows: BTreeMap<String, Vec<Row>>,
    pub queries: RefCell<Vec<Query>>,
}

impl Memory {
    pub fn add(&mut self, dataset: &str, row: Row) {
        let known = Dataset::named(dataset).expect("a dataset");
        for field in row.keys() {
            assert!(known.field(field).is_some(), "{dataset} has no field {field}");
        }
        self.rows.entry(dataset.into()).or_default().push(row);
    }
}

/// A row from `(field, value)` pairs.
pub fn row(fields: &[(&str, Value)]) -> Row {
    fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

pub fn ms(date: &str) -> i64 {
    let date: Date = date.parse().expect("a date");
    date.to_zoned(TimeZone::UTC).expect("in range").timestamp().as_millisecond()
}

impl Source for Memory {
    fn aggregate(&self, q: &Query) -> Result<ResultSet, SourceError> {
        self.queries.borrow_mut().push(q.clone());
        let dataset = Dataset::named(&q.dataset)
            .ok_or_else(|| SourceError::Invalid(format!("no dataset {}", q.dataset)))?;
        let check = |field: &str| {
            let name = field.split(':').next().unwrap_or(field);
            dataset
                .field(name)
                .map(|_| ())
                .ok_or_else(|| SourceError::Invalid(format!("{} has no field {field}", q.dataset)))
        };
        q.filters.iter().try_for_each(|f| check(&f.field))?;
        q.group_by.iter().try_for_each(|g| check(g))?;
        for m in &q.measures {
            if let Some(field) = measure_field(m) {
                check(field)?;
            }
        }
        let (start, end) = (ms(&q.period.start), ms(&q.period.end));
        let empty = Vec::new();
        let rows = self.rows.get(&q.dataset).unwrap_or(&empty).iter().filter(|row| {
            let in_period = match dataset.period_field {
                Some(field) => matches!(row.get(field), Some(Value::Time(t)) if (start..end).contains(t)),
                None => true,
            };
            in_period && q.filters.iter().all(|f| holds(f, row))
        });

        let mut groups: BTreeMap<Vec<Key>, Vec<&Row>> = BTreeMap::new();
        for row in rows {
            let key = q.group_by.iter().map(|g| bucket(g, row)).collect();
            groups.entry(key).or_default().push(row);
        }
        if q.group_by.is_empty() && groups.is_empty() {
            groups.insert(Vec::new(), Vec::new());
        }
        let mut columns = q.group_by.clone();
        columns.extend(q.measures.iter().map(measure_column));
        let mut out: Vec<Vec<Value>> = groups
            .into_iter()
            .map(|(key, rows)| {
                let mut values: Vec<Value> = key.into_iter().map(Key::into_value).collect();
                values.extend(q.measures.iter().map(|m| measure(m, &rows, dataset)));
                values
            })
            .collect();
        for (column, desc) in q.order_by.iter().rev() {
            let i = columns
                .iter()
                .position(|c| c == column)
                .ok_or_else(|| SourceError::Invalid(format!("no column {column}")))?;
            out.sort_by(|a, b| {
                let o = compare(&a[i], &b[i]).unwrap_or(Ordering::Equal);
                if *desc { o.reverse() } else { o }
            });
        }
        let truncated = out.len() > q.limit as usize;
        out.truncate(q.limit as usize);
        Ok(ResultSet { columns, rows: out, truncated })
    }
}

fn measure_field(m: &Measure) -> Option<&str> {
    match m {
        Measure::Count => None,
        Measure::CountDistinct(f)
        | Measure::Sum(f)
        | Measure::Avg(f)
        | Measure::Min(f)
        | Measure::Max(f)
        | Measure::Percentile(f, _) => Some(f),
    }
}

/// A group key: text or whole numbers (group fields are never real numbers), null first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Null,
    Int(i64),
    Text(String),
}

impl Key {
    fn into_value(self) -> Value {
        match self {
            Key::Null => Value::Null,
            Key::Int(i) => Value::Int(i),
            Key::Text(t) => Value::Text(t),
        }
    }
}

fn bucket(group: &str, row: &Row) -> Key {
    let (field, unit) = match group.split_once(':') {
        Some((f, u)) => (f, Some(u)),
        None => (group, None),
    };
    match (row.get(field), unit) {
        (None | Some(Value::Null), _) => Key::Null,
        (Some(Value::Time(t)), Some(unit)) => {
            let day = jiff::Timestamp::from_millisecond(*t).expect("a time").to_zoned(TimeZone::UTC).date();
            Key::Text(match unit {
                "day" => day.to_string(),
                "week" => {
                    let w = day.iso_week_date();
                    format!("{:04}-W{:02}", w.year(), w.week())
                }
                "month" => format!("{:04}-{:02}", day.year(), day.month()),
                "year" => format!("{:04}", day.year()),
                other => panic!("no bucket {other}"),
            })
        }
        (Some(Value::Text(t)), None) => Key::Text(t.clone()),
        (Some(Value::Int(i) | Value::Time(i)), None) => Key::Int(*i),
        (Some(other), _) => panic!("cannot group by {other:?}"),
    }
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        (Value::Null, _) | (_, Value::Null) => None,
        (a, b) => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn holds(filter: &Filter, row: &Row) -> bool {
    let value = row.get(&filter.field).unwrap_or(&Value::Null);
    let first = filter.values.first();
    let cmp = || first.and_then(|v| compare(value, v));
    match filter.op {
        Op::IsNull => matches!(value, Value::Null),
        Op::NotNull => !matches!(value, Value::Null),
        Op::Eq => cmp() == Some(Ordering::Equal),
        Op::Ne => matches!(cmp(), Some(o) if o != Ordering::Equal),
        Op::Lt => cmp() == Some(Ordering::Less),
        Op::Le => matches!(cmp(), Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => cmp() == Some(Ordering::Greater),
        Op::Ge => matches!(cmp(), Some(Ordering::Greater | Ordering::Equal)),
        Op::InList => filter.values.iter().any(|v| compare(value, v) == Some(Ordering::Equal)),
    }
}

fn measure(m: &Measure, rows: &[&Row], dataset: &Dataset) -> Value {
    let Some(field) = measure_field(m) else {
        return Value::Int(rows.len() as i64);
    };
    let values: Vec<&Value> =
        rows.iter().filter_map(|r| r.get(field)).filter(|v| !matches!(v, Value::Null)).collect();
    let numbers: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
    let whole = dataset.field(field) == Some(FieldKind::Int);
    if values.is_empty() && !matches!(m, Measure::CountDistinct(_)) {
        return Value::Null;
    }
    match m {
        Measure::Count => unreachable!(),
        Measure::CountDistinct(_) => {
            let distinct: BTreeSet<String> = values.iter().map(|v| format!("{v:?}")).collect();
            Value::Int(distinct.len() as i64)
        }
        Measure::Sum(_) if whole => Value::Int(numbers.iter().sum::<f64>() as i64),
        Measure::Sum(_) => Value::Float(numbers.iter().sum()),
        Measure::Avg(_) => Value::Float(numbers.iter().sum::<f64>() / numbers.len() as f64),
        Measure::Min(_) | Measure::Max(_) => {
            let pick = if matches!(m, Measure::Min(_)) { Ordering::Less } else { Ordering::Greater };
            let best = values.iter().copied().reduce(|a, b| if compare(b, a) == Some(pick) { b } else { a });
            best.cloned().unwrap_or(Value::Null)
        }
        Measure::Percentile(_, fraction) => {
            let mut sorted = numbers;
            sorted.sort_by(f64::total_cmp);
            let rank = fraction * (sorted.len() - 1) as f64;
            let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
            Value::Float(sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64))
        }
    }
}
