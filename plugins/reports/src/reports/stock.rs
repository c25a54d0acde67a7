//! Stock: what the stock is worth at each location now, the items under their reorder point
//! (charted, the largest shortfalls first), and the period's movements by kind.
//!
//! Stock is valued at each item's last received unit price (`stock_levels.value_minor`). An item
//! never received has no price: it is shown as not valued, in its own rows, and never counted
//! as zero. Values are summed per currency.

use std::collections::BTreeSet;

use ils_records::reports::{Measure, Op, Value};

use crate::error::ReportError;
use crate::params::PeriodParams;
use crate::source::{Answer, Ask, Context, Source, int, text};
use ils_documents::{Cell, Chart, ChartKind, Column, Document, Section, Series, Table};

/// The report's id.
pub const ID: &str = "stock";
/// Its title.
pub const TITLE: &str = "Stock value and reorder";
/// What it shows.
pub const DESCRIPTION: &str =
    "Stock value by location now, items under their reorder point, and the period's stock movements.";

/// Its parameters: the period for the movements (levels and values are as of now).
pub type Params = PeriodParams;

/// The most items listed under their reorder point.
pub const MAX_REORDER_ROWS: u32 = 1000;

const NOT_VALUED: &str = "not valued: never received";

/// Reads stock levels and the period's movements and builds the report.
pub fn build(source: &dyn Source, ctx: &Context, params: &Params) -> Result<Document, ReportError> {
    let period = params.period.to_records();
    let levels = || Ask::new("stock_levels", &period);
    let value = Measure::Sum("value_minor".into());
    let units = Measure::Sum("on_hand".into());
    let valued = levels()
        .filter("value_minor", Op::NotNull, vec![])
        .group(&["location", "currency"])
        .measures(vec![Measure::Count, units.clone(), value.clone()])
        .run(source)?;
    let unvalued = levels()
        .filter("value_minor", Op::IsNull, vec![])
        .group(&["location"])
        .measures(vec![Measure::Count, units.clone()])
        .run(source)?;
    let on_hand = Measure::Min("on_hand".into());
    let reorder_point = Measure::Min("reorder_point".into());
    let unit_value = Measure::Min("unit_value_minor".into());
    let below = levels()
        .filter("below_reorder", Op::Eq, vec![Value::Int(1)])
        .group(&["sku", "name", "location", "currency"])
        .measures(vec![on_hand.clone(), reorder_point.clone(), unit_value.clone()])
        .limit(MAX_REORDER_ROWS)
        .run_truncated(source)?;

    let (values, currencies) = value_table(&valued, &unvalued, &units, &value)?;
    let reorder = reorder_table(&below, &on_hand, &reorder_point, &unit_value)?;
    // Movements carry no currency of their own: they are valued in the stock's one currency.
    let currency = match currencies.len() {
        1 => currencies.into_iter().next(),
        _ => None,
    };
    let movements = movements_table(source, &period, currency.as_deref())?;

    let mut sections = vec![Section::Text(
        "Stock is valued at each item's last received unit price. Items never received have no price: they are \
         listed as not valued, never counted as zero. Levels and values are as of the generation time; movements \
         are those in the period."
            .into(),
    )];
    sections.push(Section::Table(values));
    if below.truncated {
        sections.push(Section::Text(format!(
            "More than {MAX_REORDER_ROWS} items are under their reorder point; the first {MAX_REORDER_ROWS} by SKU are listed."
        )));
    }
    match reorder_chart(&reorder) {
        Some(chart) => sections.push(Section::Chart(chart)),
        None => sections.push(Section::Text("No item is under its reorder point.".into())),
    }
    sections.push(Section::Table(reorder));
    sections.push(Section::Table(movements));
    Ok(super::document(TITLE, ctx, &params.period, sections))
}

/// Stock at a location (or all of them) in one currency, or not valued.
struct Holding {
    location: String,
    /// None for items never received.
    currency: Option<String>,
    items: i64,
    units: i64,
    /// None for items never received.
    minor: Option<i64>,
}

impl Holding {
    fn row(self) -> Vec<Cell> {
        let value = match (self.minor, &self.currency) {
            (Some(minor), Some(currency)) => Cell::Money { minor, currency: currency.clone() },
            _ => Cell::Missing(NOT_VALUED.into()),
        };
        vec![
            Cell::Text(if self.location.is_empty() { "Not recorded".into() } else { self.location }),
            self.currency.map_or(Cell::Missing("none".into()), Cell::Text),
            Cell::Int(self.items),
            Cell::Int(self.units),
            value,
        ]
    }
}

/// Value by location and currency, the not-valued items in their own rows, totals last; and
/// the currencies seen.
fn value_table(
    valued: &Answer,
    unvalued: &Answer,
    units: &Measure,
    value: &Measure,
) -> Result<(Table, BTreeSet<String>), ReportError> {
    let (loc, cur, count, on_hand, sum) = (
        valued.col("location")?,
        valued.col("currency")?,
        valued.measure(&Measure::Count)?,
        valued.measure(units)?,
        valued.measure(value)?,
    );
    let mut holdings = Vec::new();
    for row in &valued.rows {
        holdings.push(Holding {
            location: text(&row[loc])?.unwrap_or_default(),
            currency: text(&row[cur])?,
            items: int(&row[count])?.unwrap_or(0),
            units: int(&row[on_hand])?.unwrap_or(0),
            minor: Some(int(&row[sum])?.unwrap_or(0)),
        });
    }
    let (loc, count, on_hand) =
        (unvalued.col("location")?, unvalued.measure(&Measure::Count)?, unvalued.measure(units)?);
    for row in &unvalued.rows {
        holdings.push(Holding {
            location: text(&row[loc])?.unwrap_or_default(),
            currency: None,
            items: int(&row[count])?.unwrap_or(0),
            units: int(&row[on_hand])?.unwrap_or(0),
            minor: None,
        });
    }
    // By location; valued rows (by currency) before the not-valued one.
    holdings.sort_by(|a, b| {
        (&a.location, a.minor.is_none(), &a.currency).cmp(&(&b.location, b.minor.is_none(), &b.currency))
    });

    let currencies: BTreeSet<String> =
        holdings.iter().filter(|h| h.minor.is_some()).filter_map(|h| h.currency.clone()).collect();
    let total = |currency: Option<&String>| {
        let of = holdings
            .iter()
            .filter(|h| h.minor.is_some() == currency.is_some() && h.currency.as_ref() == currency);
        let (items, units, minor) =
            of.fold((0, 0, 0), |t, h| (t.0 + h.items, t.1 + h.units, t.2 + h.minor.unwrap_or(0)));
        Holding {
            location: "All locations".into(),
            currency: currency.cloned(),
            items,
            units,
            minor: currency.map(|_| minor),
        }
    };
    let mut totals: Vec<Holding> = currencies.iter().map(|c| total(Some(c))).collect();
    let not_valued = total(None);
    if not_valued.items > 0 {
        totals.push(not_valued);
    }
    let table = Table {
        title: "Stock value by location".into(),
        columns: vec![
            Column::text("Location"),
            Column::text("Currency"),
            Column::number("Items"),
            Column::number("Units on hand"),
            Column::number("Value"),
        ],
        rows: holdings.into_iter().chain(totals).map(Holding::row).collect(),
    };
    Ok((table, currencies))
}

fn reorder_table(
    below: &Answer,
    on_hand: &Measure,
    reorder_point: &Measure,
    unit_value: &Measure,
) -> Result<Table, ReportError> {
    let (sku, name, loc, cur) =
        (below.col("sku")?, below.col("name")?, below.col("location")?, below.col("currency")?);
    let (have, point, price) =
        (below.measure(on_hand)?, below.measure(reorder_point)?, below.measure(unit_value)?);
    let mut rows = Vec::new();
    for row in &below.rows {
        let have = int(&row[have])?.unwrap_or(0);
        let point = int(&row[point])?.unwrap_or(0);
        let value = match (int(&row[price])?, text(&row[cur])?) {
            (Some(minor), Some(currency)) => Cell::Money { minor, currency },
            _ => Cell::Missing("never received".into()),
        };
        rows.push(vec![
            Cell::Text(text(&row[sku])?.unwrap_or_default()),
            Cell::Text(text(&row[name])?.unwrap_or_default()),
            Cell::Text(text(&row[loc])?.unwrap_or_default()),
            Cell::Int(have),
            Cell::Int(point),
            Cell::Int(point - have),
            value,
        ]);
    }
    Ok(Table {
        title: "Under their reorder point".into(),
        columns: vec![
            Column::text("SKU"),
            Column::text("Name"),
            Column::text("Location"),
            Column::number("On hand"),
            Column::number("Reorder point"),
            Column::number("Shortfall"),
            Column::number("Unit value"),
        ],
        rows,
    })
}

/// The items furthest under their reorder point: on hand beside the reorder point, the largest
/// shortfalls first; none when no item is under.
fn reorder_chart(reorder: &Table) -> Option<Chart> {
    let mut items: Vec<(i64, &str, i64, i64)> = reorder
        .rows
        .iter()
        .filter_map(|row| match (&row[0], &row[3], &row[4], &row[5]) {
            (Cell::Text(sku), Cell::Int(have), Cell::Int(point), Cell::Int(short)) => {
                Some((*short, sku.as_str(), *have, *point))
            }
            _ => None,
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    items.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let shown = items.len().min(super::MAX_BARS);
    let title = if shown < items.len() {
        format!("The {shown} items furthest under their reorder point")
    } else {
        "Items under their reorder point".into()
    };
    let items = &items[..shown];
    Some(Chart {
        title,
        kind: ChartKind::GroupedBar,
        x_label: "SKU".into(),
        y_label: "Units".into(),
        categories: items.iter().map(|i| i.1.to_string()).collect(),
        series: vec![
            Series { name: "On hand".into(), values: items.iter().map(|i| Some(i.2 as f64)).collect() },
            Series { name: "Reorder point".into(), values: items.iter().map(|i| Some(i.3 as f64)).collect() },
        ],
    })
}

fn movements_table(
    source: &dyn Source,
    period: &ils_records::reports::Period,
    currency: Option<&str>,
) -> Result<Table, ReportError> {
    let delta = Measure::Sum("delta".into());
    let value = Measure::Sum("value_minor".into());
    let ask = |op| Ask::new("stock_movements", period).filter("value_minor", op, vec![]).group(&["kind"]);
    let valued = ask(Op::NotNull).measures(vec![Measure::Count, delta.clone(), value.clone()]).run(source)?;
    let unvalued = ask(Op::IsNull).measures(vec![Measure::Count, delta.clone()]).run(source)?;
    let mut rows: Vec<(String, bool, Vec<Cell>)> = Vec::new();
    for (answer, has_value) in [(&valued, true), (&unvalued, false)] {
        let (kind, count, units) =
            (answer.col("kind")?, answer.measure(&Measure::Count)?, answer.measure(&delta)?);
        for row in &answer.rows {
            let kind = text(&row[kind])?.unwrap_or_default();
            let value = match (has_value, currency) {
                (false, _) => Cell::Missing(NOT_VALUED.into()),
                (true, Some(currency)) => {
                    let minor = int(&row[answer.measure(&value)?])?.unwrap_or(0);
                    Cell::Money { minor, currency: currency.into() }
                }
                (true, None) => Cell::Missing("currency unknown".into()),
            };
            let cells = vec![
                Cell::Text(super::humanize(&kind)),
                Cell::Int(int(&row[count])?.unwrap_or(0)),
                Cell::Int(int(&row[units])?.unwrap_or(0)),
                value,
            ];
            rows.push((kind, !has_value, cells));
        }
    }
    rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let value = match currency {
        Some(code) => Column::number("Value").unit(code),
        None => Column::number("Value"),
    };
    Ok(Table {
        title: "Movements in the period".into(),
        columns: vec![Column::text("Kind"), Column::number("Movements"), Column::number("Net units"), value],
        rows: rows.into_iter().map(|(_, _, cells)| cells).collect(),
    })
}
