//! Revenue: the price of the orders placed in the period, by month and lens type, cancelled
//! orders left out.
//!
//! Amounts are summed per currency and never converted or added across currencies: a tenant
//! normally prices in one currency, and when its orders carry several each gets its own chart
//! and tables.

use std::collections::{BTreeMap, BTreeSet};

use ils_records::reports::{Measure, Op, Value};

use crate::error::ReportError;
use crate::params::PeriodParams;
use crate::source::{Ask, Context, Source, int, text};
use ils_documents::{Cell, Chart, ChartKind, Column, Document, Section, Series, Table, major_f64};

/// The report's id.
pub const ID: &str = "revenue";
/// Its title.
pub const TITLE: &str = "Revenue";
/// What it shows.
pub const DESCRIPTION: &str = "Order value by month and lens type, cancelled orders excluded, per currency.";

/// Its parameters: the period in which orders were placed.
pub type Params = PeriodParams;

/// Lens types charted on their own; the rest are one "Other" series.
const MAX_SERIES: usize = 6;

/// One month and lens type in one currency: orders and their total price.
#[derive(Default, Clone, Copy)]
struct Sum {
    orders: i64,
    minor: i64,
}

/// Reads the period's orders and builds the report.
pub fn build(source: &dyn Source, ctx: &Context, params: &Params) -> Result<Document, ReportError> {
    let period = params.period.to_records();
    let price = Measure::Sum("price_minor".into());
    let answer = Ask::new("orders", &period)
        .filter("status", Op::Ne, vec![Value::Text("cancelled".into())])
        .group(&["currency", "created_at:month", "lens_type"])
        .measures(vec![Measure::Count, price.clone()])
        .run(source)?;
    let cancelled = Ask::new("orders", &period)
        .filter("status", Op::Eq, vec![Value::Text("cancelled".into())])
        .measures(vec![Measure::Count])
        .run(source)?;
    let cancelled = match cancelled.rows.first() {
        Some(row) => int(&row[cancelled.measure(&Measure::Count)?])?.unwrap_or(0),
        None => 0,
    };

    let (c, m, l) = (answer.col("currency")?, answer.col("created_at:month")?, answer.col("lens_type")?);
    let (count, sum) = (answer.measure(&Measure::Count)?, answer.measure(&price)?);
    // currency → (month, lens type) → sum
    let mut by_currency: BTreeMap<String, BTreeMap<(String, String), Sum>> = BTreeMap::new();
    let mut unpriced = 0;
    for row in &answer.rows {
        let orders = int(&row[count])?.unwrap_or(0);
        let (Some(currency), Some(minor)) = (text(&row[c])?, int(&row[sum])?) else {
            unpriced += orders;
            continue;
        };
        let key = (text(&row[m])?.unwrap_or_default(), text(&row[l])?.unwrap_or_default());
        let entry = by_currency.entry(currency).or_default().entry(key).or_default();
        entry.orders += orders;
        entry.minor += minor;
    }

    let mut sections = Vec::new();
    let mut note = format!(
        "Orders placed in the period, at their price. Cancelled, and left out: {}.",
        super::count(cancelled, "order")
    );
    if unpriced > 0 {
        note.push_str(&format!(
            " Without a price or currency, and left out: {}.",
            super::count(unpriced, "order")
        ));
    }
    if by_currency.len() > 1 {
        let codes: Vec<&str> = by_currency.keys().map(String::as_str).collect();
        note.push_str(&format!(
            " Orders were priced in {}: each currency is reported on its own, never converted or added to another.",
            codes.join(", ")
        ));
    }
    sections.push(Section::Text(note));
    let months = params.period.months();
    for (currency, sums) in &by_currency {
        sections.extend(currency_sections(currency, sums, &months));
    }
    if by_currency.is_empty() {
        // No currency to name: the months with nothing in them.
        sections.push(Section::Table(by_month_table("", &BTreeMap::new(), &months)));
    }
    Ok(super::document(TITLE, ctx, &params.period, sections))
}

fn currency_sections(
    currency: &str,
    sums: &BTreeMap<(String, String), Sum>,
    months: &[String],
) -> Vec<Section> {
    // Lens types by revenue, largest first; beyond MAX_SERIES they share one series.
    let mut lens_totals: BTreeMap<&str, i64> = BTreeMap::new();
    for ((_, lens), s) in sums {
        *lens_totals.entry(lens.as_str()).or_default() += s.minor;
    }
    let mut lenses: Vec<(&str, i64)> = lens_totals.into_iter().collect();
    lenses.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let named: BTreeSet<&str> = lenses.iter().take(MAX_SERIES).map(|(l, _)| *l).collect();
    let mut series: Vec<Series> = lenses
        .iter()
        .take(MAX_SERIES)
        .map(|(lens, _)| Series {
            name: label(lens),
            values: months
                .iter()
                .map(|month| {
                    sums.get(&(month.clone(), lens.to_string())).map(|s| major_f64(s.minor, currency))
                })
                .collect(),
        })
        .collect();
    if lenses.len() > MAX_SERIES {
        series.push(Series {
            name: "Other".into(),
            values: months
                .iter()
                .map(|month| {
                    let other: i64 = sums
                        .iter()
                        .filter(|((m, l), _)| m == month && !named.contains(l.as_str()))
                        .map(|(_, s)| s.minor)
                        .sum();
                    Some(major_f64(other, currency))
                })
                .collect(),
        });
    }
    let chart = Chart {
        title: format!("Revenue by month ({currency})"),
        kind: if series.len() > 1 { ChartKind::GroupedBar } else { ChartKind::Bar },
        x_label: "Month".into(),
        y_label: currency.into(),
        categories: months.to_vec(),
        series,
    };
    let detail = Table {
        title: format!("By month and lens type ({currency})"),
        columns: vec![
            Column::text("Month"),
            Column::text("Lens type"),
            Column::number("Orders"),
            Column::number("Revenue").unit(currency),
        ],
        rows: sums
            .iter()
            .map(|((month, lens), s)| {
                vec![
                    Cell::Text(month.clone()),
                    Cell::Text(label(lens)),
                    Cell::Int(s.orders),
                    Cell::Money { minor: s.minor, currency: currency.into() },
                ]
            })
            .collect(),
    };
    vec![
        Section::Chart(chart),
        Section::Table(by_month_table(currency, sums, months)),
        Section::Table(detail),
    ]
}

/// Every month of the period, those without orders too, and the total.
fn by_month_table(currency: &str, sums: &BTreeMap<(String, String), Sum>, months: &[String]) -> Table {
    let money = |minor| Cell::Money { minor, currency: currency.into() };
    let mut total = Sum::default();
    let mut rows: Vec<Vec<Cell>> = months
        .iter()
        .map(|month| {
            let s = sums.iter().filter(|((m, _), _)| m == month).fold(Sum::default(), |a, (_, s)| Sum {
                orders: a.orders + s.orders,
                minor: a.minor + s.minor,
            });
            total.orders += s.orders;
            total.minor += s.minor;
            vec![Cell::Text(month.clone()), Cell::Int(s.orders), money(s.minor)]
        })
        .collect();
    rows.push(vec![Cell::Text("All months".into()), Cell::Int(total.orders), money(total.minor)]);
    let (title, revenue) = match currency {
        "" => ("By month".to_string(), Column::number("Revenue")),
        code => (format!("By month ({code})"), Column::number("Revenue").unit(code)),
    };
    Table { title, columns: vec![Column::text("Month"), Column::number("Orders"), revenue], rows }
}

fn label(lens: &str) -> String {
    if lens.is_empty() { "Not recorded".into() } else { super::humanize(lens) }
}
