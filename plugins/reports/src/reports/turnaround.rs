//! Lab turnaround: how many days orders take from being placed to being shipped — the median
//! and 90th percentile by lens type, by lab and by week.
//!
//! Turnaround is the `orders` dataset's `turnaround_days`: from creation to the first `shipped`
//! step (or `completed` for an order never shipped). Orders placed in the period and still open
//! have none; they are counted and left out, never taken as zero.

use std::collections::HashMap;

use ils_records::reports::{Measure, Op};

use crate::error::ReportError;
use crate::params::PeriodParams;
use crate::source::{Answer, Ask, Context, Source, float, int, text};
use ils_documents::{Cell, Chart, ChartKind, Column, Document, Section, Series, Table};

/// The report's id.
pub const ID: &str = "turnaround";
/// Its title.
pub const TITLE: &str = "Lab turnaround";
/// What it shows.
pub const DESCRIPTION: &str =
    "Days from order to shipment: median and 90th percentile by lens type, by lab and by week.";

/// Its parameters: the period in which orders were placed.
pub type Params = PeriodParams;

const FIELD: &str = "turnaround_days";

/// Reads the period's orders and builds the report.
pub fn build(source: &dyn Source, ctx: &Context, params: &Params) -> Result<Document, ReportError> {
    let period = params.period.to_records();
    let median = Measure::Percentile(FIELD.into(), 0.5);
    let p90 = Measure::Percentile(FIELD.into(), 0.9);
    let shipped = |group: &[&str]| {
        Ask::new("orders", &period).filter(FIELD, Op::NotNull, vec![]).group(group).measures(vec![
            Measure::Count,
            median.clone(),
            p90.clone(),
        ])
    };
    let overall = shipped(&[]).run(source)?;
    let by_lens = shipped(&["lens_type"]).order_desc("count").run(source)?;
    let by_lab = shipped(&["counterpart"]).order_desc("count").run(source)?;
    let by_week = shipped(&["created_at:week"]).run(source)?;
    let open = Ask::new("orders", &period)
        .filter(FIELD, Op::IsNull, vec![])
        .measures(vec![Measure::Count])
        .run(source)?;

    let total = Figures::read(&overall, &median, &p90, None)?.into_iter().next();
    let open = match open.rows.first() {
        Some(row) => int(&row[open.measure(&Measure::Count)?])?.unwrap_or(0),
        None => 0,
    };
    let weeks = Figures::read(&by_week, &median, &p90, Some("created_at:week"))?;
    let by_week: HashMap<&str, &Figures> = weeks.iter().map(|f| (f.group.as_str(), f)).collect();
    let categories = params.period.weeks();
    let series = |name: &str, pick: fn(&Figures) -> Option<f64>| Series {
        name: name.into(),
        values: categories.iter().map(|w| by_week.get(w.as_str()).and_then(|f| pick(f))).collect(),
    };
    let chart = Chart {
        title: "Turnaround by week placed".into(),
        kind: ChartKind::Line,
        x_label: "Week".into(),
        y_label: "Days".into(),
        categories: categories.clone(),
        series: vec![series("Median", |f| f.median), series("90th percentile", |f| f.p90)],
    };

    let still_open = format!("Still open, and left out: {}.", super::count(open, "order"));
    let summary = match &total {
        Some(t) => format!(
            "Turnaround runs from an order being placed to its first shipment (or its completion, if it never \
             shipped). Shipped: {} placed in the period, median {} days, 90th percentile {} days. {still_open}",
            super::count(t.count, "order"),
            Cell::decimal_or(t.median, 1, "-").display(),
            Cell::decimal_or(t.p90, 1, "-").display(),
        ),
        None => format!("No order placed in the period has shipped yet. {still_open}"),
    };
    let lens = Figures::read(&by_lens, &median, &p90, Some("lens_type"))?;
    let mut lens = table("By lens type", "Lens type", &lens, super::humanize, "Not recorded");
    let lab = Figures::read(&by_lab, &median, &p90, Some("counterpart"))?;
    let mut lab = table("By lab", "Lab", &lab, str::to_string, "None (in house)");
    if let Some(t) = &total {
        lens.rows.push(t.row("All lens types".into()));
        lab.rows.push(t.row("All labs".into()));
    }
    let week = table("By week placed", "Week", &weeks, str::to_string, "Not recorded");
    let sections = vec![
        Section::Text(summary),
        Section::Chart(chart),
        Section::Table(lens),
        Section::Table(lab),
        Section::Table(week),
    ];
    Ok(super::document(TITLE, ctx, &params.period, sections))
}

/// One group's figures.
struct Figures {
    group: String,
    count: i64,
    median: Option<f64>,
    p90: Option<f64>,
}

impl Figures {
    fn read(
        answer: &Answer,
        median: &Measure,
        p90: &Measure,
        group: Option<&str>,
    ) -> Result<Vec<Self>, ReportError> {
        let group = group.map(|g| answer.col(g)).transpose()?;
        let (count, m, p) = (answer.measure(&Measure::Count)?, answer.measure(median)?, answer.measure(p90)?);
        answer
            .rows
            .iter()
            .map(|row| {
                Ok(Self {
                    group: match group {
                        Some(g) => text(&row[g])?.unwrap_or_default(),
                        None => String::new(),
                    },
                    count: int(&row[count])?.unwrap_or(0),
                    median: float(&row[m])?,
                    p90: float(&row[p])?,
                })
            })
            // An overall answer over no rows may still hold one row of nulls.
            .filter(|f: &Result<Self, ReportError>| f.as_ref().map_or(true, |f| f.count > 0))
            .collect()
    }

    fn row(&self, label: String) -> Vec<Cell> {
        vec![
            Cell::Text(label),
            Cell::Int(self.count),
            Cell::decimal_or(self.median, 1, "none"),
            Cell::decimal_or(self.p90, 1, "none"),
        ]
    }
}

fn table(title: &str, group: &str, figures: &[Figures], label: impl Fn(&str) -> String, none: &str) -> Table {
    Table {
        title: title.into(),
        columns: vec![
            Column::text(group),
            Column::number("Orders shipped"),
            Column::number("Median").unit("days"),
            Column::number("90th percentile").unit("days"),
        ],
        rows: figures
            .iter()
            .map(|f| f.row(if f.group.is_empty() { none.into() } else { label(&f.group) }))
            .collect(),
    }
}
