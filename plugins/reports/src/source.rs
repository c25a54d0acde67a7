//! Where reports read from, and what else they are told.
//!
//! A report reads only aggregates: a busy lab places 100,000 orders a year and the host hands a
//! plugin at most 8 MiB per call, so no report pages through rows. Each report asks a handful of
//! grouped queries (`orders` by week, `quality` by issue…) and gets back at most a few hundred
//! groups.

use ils_records::reports::{
    Filter, MAX_GROUPS, Measure, Op, Period, Query, ResultSet, Value, measure_column,
};

use crate::error::{ReportError, SourceError};

/// The tenant's data, as far as reports read it.
///
/// The plugin implements it with `ils:platform/reports.aggregate`; a bench or a test implements
/// it directly.
pub trait Source {
    /// Runs an aggregate query over one of the tenant's datasets
    /// ([`ils_records::reports::DATASETS`]).
    fn aggregate(&self, query: &Query) -> Result<ResultSet, SourceError>;
}

/// What a report is told besides its parameters: whose it is and when it is made. Passed in,
/// never read from a clock, so the same inputs render the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The practice's or lab's name, printed on every page.
    pub practice_name: String,
    /// When the report is generated, milliseconds since the Unix epoch (shown in UTC, and the
    /// PDF's creation date).
    pub generated_at_ms: i64,
}

/// A query being built.
pub(crate) struct Ask(Query);

impl Ask {
    /// Every row of `dataset` in `period`, one group, no measures yet.
    pub(crate) fn new(dataset: &str, period: &Period) -> Self {
        Self(Query {
            dataset: dataset.into(),
            period: period.clone(),
            filters: Vec::new(),
            group_by: Vec::new(),
            measures: Vec::new(),
            order_by: Vec::new(),
            limit: MAX_GROUPS,
        })
    }

    pub(crate) fn filter(mut self, field: &str, op: Op, values: Vec<Value>) -> Self {
        self.0.filters.push(Filter { field: field.into(), op, values });
        self
    }

    pub(crate) fn group(mut self, fields: &[&str]) -> Self {
        self.0.group_by.extend(fields.iter().map(|f| f.to_string()));
        self
    }

    pub(crate) fn measures(mut self, measures: Vec<Measure>) -> Self {
        self.0.measures.extend(measures);
        self
    }

    pub(crate) fn order_desc(mut self, column: &str) -> Self {
        self.0.order_by.push((column.into(), true));
        self
    }

    pub(crate) fn limit(mut self, limit: u32) -> Self {
        self.0.limit = limit;
        self
    }

    /// Runs it; more groups than the limit is an error (reports ask for bounded groupings).
    pub(crate) fn run(self, source: &dyn Source) -> Result<Answer, ReportError> {
        let answer = self.run_truncated(source)?;
        if answer.truncated {
            return Err(ReportError::Data(format!("more than {} groups", answer.limit)));
        }
        Ok(answer)
    }

    /// Runs it; the answer says whether groups were left out.
    pub(crate) fn run_truncated(self, source: &dyn Source) -> Result<Answer, ReportError> {
        let set = source.aggregate(&self.0)?;
        let answer =
            Answer { columns: set.columns, rows: set.rows, truncated: set.truncated, limit: self.0.limit };
        for row in &answer.rows {
            if row.len() != answer.columns.len() {
                return Err(ReportError::Data("a row's length differs from the columns'".into()));
            }
        }
        Ok(answer)
    }
}

/// An aggregate query's answer, read by column name.
pub(crate) struct Answer {
    columns: Vec<String>,
    pub(crate) rows: Vec<Vec<Value>>,
    pub(crate) truncated: bool,
    limit: u32,
}

impl Answer {
    /// The index of a group column (`lens_type`, `created_at:week`) or a measure's column.
    pub(crate) fn col(&self, name: &str) -> Result<usize, ReportError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| ReportError::Data(format!("no column {name:?} in the answer")))
    }

    /// The index of a measure's column.
    pub(crate) fn measure(&self, measure: &Measure) -> Result<usize, ReportError> {
        self.col(&measure_column(measure))
    }
}

/// A group value as text; none for null.
pub(crate) fn text(value: &Value) -> Result<Option<String>, ReportError> {
    match value {
        Value::Null => Ok(None),
        Value::Text(t) => Ok(Some(t.clone())),
        other => Err(ReportError::Data(format!("expected text, got {other:?}"))),
    }
}

/// A count, sum of whole numbers or minimum as an integer; none for null. A float with no
/// fraction is accepted (a backend may sum integers as numeric).
pub(crate) fn int(value: &Value) -> Result<Option<i64>, ReportError> {
    match value {
        Value::Null => Ok(None),
        Value::Int(i) => Ok(Some(*i)),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(*f as i64)),
        other => Err(ReportError::Data(format!("expected a whole number, got {other:?}"))),
    }
}

/// A real number (average, percentile); none for null.
pub(crate) fn float(value: &Value) -> Result<Option<f64>, ReportError> {
    match value {
        Value::Null => Ok(None),
        Value::Int(i) => Ok(Some(*i as f64)),
        Value::Float(f) if f.is_finite() => Ok(Some(*f)),
        other => Err(ReportError::Data(format!("expected a number, got {other:?}"))),
    }
}
