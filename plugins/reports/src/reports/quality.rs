//! Quality: failed quality checks and the remakes raised for them, by issue and by station, as
//! rates of the orders placed in the period.
//!
//! The failure rate is the period's failures (the `quality` dataset, by when each was
//! recorded) over the orders placed in the period (`orders`); the remake rate is the failures
//! that led to a remake over the same orders. A failure recorded in the period may belong to an
//! order placed before it: the rates compare a period's work with its failures, they do not
//! follow each order.

use ils_records::reports::Measure;

use crate::error::ReportError;
use crate::params::PeriodParams;
use crate::source::{Answer, Ask, Context, Source, int, text};
use ils_documents::{Cell, Chart, ChartKind, Column, Document, Section, Series, Table};

/// The report's id.
pub const ID: &str = "quality";
/// Its title.
pub const TITLE: &str = "Quality failures and remakes";
/// What it shows.
pub const DESCRIPTION: &str =
    "Failed quality checks and remakes by issue and by station, as rates of orders placed.";

/// Its parameters: the period.
pub type Params = PeriodParams;

const NO_ORDERS: &str = "no orders";

/// Reads the period's failures and order count and builds the report.
pub fn build(source: &dyn Source, ctx: &Context, params: &Params) -> Result<Document, ReportError> {
    let period = params.period.to_records();
    let orders = Ask::new("orders", &period).measures(vec![Measure::Count]).run(source)?;
    let orders = match orders.rows.first() {
        Some(row) => int(&row[orders.measure(&Measure::Count)?])?.unwrap_or(0),
        None => 0,
    };
    let failures = |group: &str| {
        Ask::new("quality", &period)
            .group(&[group])
            .measures(vec![Measure::Count, Measure::Sum("remade".into())])
            .order_desc("count")
            .run(source)
    };
    let by_issue = Failures::read(&failures("issue")?, "issue")?;
    let by_station = Failures::read(&failures("station")?, "station")?;

    let failed: i64 = by_issue.iter().map(|f| f.failures).sum();
    let remade: i64 = by_issue.iter().map(|f| f.remakes).sum();
    let summary = if orders == 0 {
        format!(
            "No orders were placed in the period, so no rates can be given; {} recorded.",
            super::count(failed, "failed check")
        )
    } else {
        format!(
            "{} and {} raised for them, against {} placed in the period: a failure rate of {} and a remake rate \
             of {}. Failures are counted when recorded, orders when placed.",
            super::count(failed, "failed check"),
            super::count(remade, "remake"),
            super::count(orders, "order"),
            Cell::percent_of(failed, orders, 2, NO_ORDERS).display(),
            Cell::percent_of(remade, orders, 2, NO_ORDERS).display(),
        )
    };
    // The most frequent issues (the answer is ordered by count).
    let charted = &by_issue[..by_issue.len().min(super::MAX_BARS)];
    let chart = Chart {
        title: if charted.len() < by_issue.len() {
            format!("Failures by issue (the {} most frequent)", charted.len())
        } else {
            "Failures by issue".into()
        },
        kind: ChartKind::Bar,
        x_label: "Issue".into(),
        y_label: "% of orders".into(),
        categories: charted.iter().map(|f| label(&f.group)).collect(),
        series: vec![Series {
            name: "Failure rate".into(),
            values: charted
                .iter()
                .map(|f| (orders > 0).then(|| 100.0 * f.failures as f64 / orders as f64))
                .collect(),
        }],
    };
    let all = Failures { group: String::new(), failures: failed, remakes: remade };
    let mut issues = table("By issue", "Issue", &by_issue, orders);
    issues.rows.push(all.row("All issues".into(), orders));
    let mut stations = table("By station", "Station", &by_station, orders);
    stations.rows.push(all.row("All stations".into(), orders));
    let sections =
        vec![Section::Text(summary), Section::Chart(chart), Section::Table(issues), Section::Table(stations)];
    Ok(super::document(TITLE, ctx, &params.period, sections))
}

struct Failures {
    group: String,
    failures: i64,
    remakes: i64,
}

impl Failures {
    fn read(answer: &Answer, group: &str) -> Result<Vec<Self>, ReportError> {
        let (g, count, remade) = (
            answer.col(group)?,
            answer.measure(&Measure::Count)?,
            answer.measure(&Measure::Sum("remade".into()))?,
        );
        answer
            .rows
            .iter()
            .map(|row| {
                Ok(Self {
                    group: text(&row[g])?.unwrap_or_default(),
                    failures: int(&row[count])?.unwrap_or(0),
                    remakes: int(&row[remade])?.unwrap_or(0),
                })
            })
            .collect()
    }

    fn row(&self, label: String, orders: i64) -> Vec<Cell> {
        vec![
            Cell::Text(label),
            Cell::Int(self.failures),
            Cell::Int(self.remakes),
            Cell::percent_of(self.failures, orders, 2, NO_ORDERS),
            Cell::percent_of(self.remakes, orders, 2, NO_ORDERS),
        ]
    }
}

fn table(title: &str, group: &str, failures: &[Failures], orders: i64) -> Table {
    Table {
        title: title.into(),
        columns: vec![
            Column::text(group),
            Column::number("Failures"),
            Column::number("Remakes"),
            Column::number("Failure rate").unit("%"),
            Column::number("Remake rate").unit("%"),
        ],
        rows: failures
            .iter()
            .map(|f| {
                let label =
                    if f.group.is_empty() { "Not recorded".into() } else { super::humanize(&f.group) };
                f.row(label, orders)
            })
            .collect(),
    }
}

fn label(group: &str) -> String {
    if group.is_empty() { "Not recorded".into() } else { super::humanize(group) }
}
