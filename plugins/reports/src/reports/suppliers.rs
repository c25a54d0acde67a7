//! Supplier scorecard: for each supplier, how many purchase orders and lines were raised in the
//! period, how long goods took to arrive (median and 90th percentile lead time) and how much of
//! what was ordered arrived (fill rate).
//!
//! Lead time is `purchase_lines.lead_time_days`, from the order being sent to its first receipt;
//! lines not yet received have none and are left out of it. Fill rate is units received over
//! units ordered, summed over the supplier's lines — not an average of per-line rates, so a
//! large line weighs more than a small one. Draft and cancelled orders were never (or no longer)
//! the supplier's to fill and are left out.

use ils_records::reports::{Measure, Op, Value};

use crate::error::ReportError;
use crate::params::PeriodParams;
use crate::source::{Ask, Context, Source, float, int, text};
use ils_documents::{Cell, Chart, ChartKind, Column, Document, Section, Series, Table};

/// The report's id.
pub const ID: &str = "suppliers";
/// Its title.
pub const TITLE: &str = "Supplier scorecard";
/// What it shows.
pub const DESCRIPTION: &str =
    "Lead time (median, 90th percentile) and fill rate by supplier, from purchase orders.";

/// Its parameters: the period in which purchase orders were raised.
pub type Params = PeriodParams;

/// Purchase order statuses counted: sent to the supplier and not cancelled.
pub const STATUSES: [&str; 3] = ["sent", "partially_received", "received"];

/// Reads the period's purchase order lines and builds the report.
pub fn build(source: &dyn Source, ctx: &Context, params: &Params) -> Result<Document, ReportError> {
    let period = params.period.to_records();
    let median = Measure::Percentile("lead_time_days".into(), 0.5);
    let p90 = Measure::Percentile("lead_time_days".into(), 0.9);
    let orders = Measure::CountDistinct("number".into());
    let ordered = Measure::Sum("ordered".into());
    let received = Measure::Sum("received".into());
    let answer = Ask::new("purchase_lines", &period)
        .filter("status", Op::InList, STATUSES.iter().map(|s| Value::Text((*s).into())).collect())
        .group(&["supplier"])
        .measures(vec![
            Measure::Count,
            orders.clone(),
            median.clone(),
            p90.clone(),
            ordered.clone(),
            received.clone(),
        ])
        .order_desc("count")
        .run(source)?;

    let (s, lines, pos, m, p, o, r) = (
        answer.col("supplier")?,
        answer.measure(&Measure::Count)?,
        answer.measure(&orders)?,
        answer.measure(&median)?,
        answer.measure(&p90)?,
        answer.measure(&ordered)?,
        answer.measure(&received)?,
    );
    let mut rows = Vec::new();
    let mut names = Vec::new();
    let (mut medians, mut p90s) = (Vec::new(), Vec::new());
    for row in &answer.rows {
        let name = text(&row[s])?.unwrap_or_else(|| "Not recorded".into());
        let (units_ordered, units_received) = (int(&row[o])?.unwrap_or(0), int(&row[r])?.unwrap_or(0));
        let (lead_median, lead_p90) = (float(&row[m])?, float(&row[p])?);
        rows.push(vec![
            Cell::Text(name.clone()),
            Cell::Int(int(&row[pos])?.unwrap_or(0)),
            Cell::Int(int(&row[lines])?.unwrap_or(0)),
            Cell::decimal_or(lead_median, 1, "nothing received"),
            Cell::decimal_or(lead_p90, 1, "nothing received"),
            Cell::Int(units_ordered),
            Cell::Int(units_received),
            Cell::percent_of(units_received, units_ordered, 1, "nothing ordered"),
        ]);
        names.push(name);
        medians.push(lead_median);
        p90s.push(lead_p90);
    }
    // The suppliers with the most lines (the answer is ordered by lines).
    let shown = names.len().min(super::MAX_BARS);
    let chart = Chart {
        title: if shown < names.len() {
            format!("Lead time by supplier (the {shown} with most lines)")
        } else {
            "Lead time by supplier".into()
        },
        kind: ChartKind::GroupedBar,
        x_label: "Supplier".into(),
        y_label: "Days".into(),
        categories: names[..shown].to_vec(),
        series: vec![
            Series { name: "Median".into(), values: medians[..shown].to_vec() },
            Series { name: "90th percentile".into(), values: p90s[..shown].to_vec() },
        ],
    };
    let table = Table {
        title: "By supplier".into(),
        columns: vec![
            Column::text("Supplier"),
            Column::number("Orders"),
            Column::number("Lines"),
            Column::number("Lead time median").unit("days"),
            Column::number("Lead time p90").unit("days"),
            Column::number("Units ordered"),
            Column::number("Units received"),
            Column::number("Fill rate").unit("%"),
        ],
        rows,
    };
    let note = "Purchase orders raised in the period and sent (drafts and cancelled orders left out). Lead time runs \
                from sending to the first receipt; fill rate is units received over units ordered.";
    let sections = vec![Section::Text(note.into()), Section::Chart(chart), Section::Table(table)];
    Ok(super::document(TITLE, ctx, &params.period, sections))
}
