//! What a document says, before it is CSV, HTML or PDF: a title, whose it is, perhaps a
//! letterhead and a period, and sections of charts, tables, fields, barcodes and text. Every
//! renderer takes a [`Document`] and nothing else.

use crate::barcode::Barcode;

/// A report or business document, before it is rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Its title (`Lab turnaround`, `Purchase order PO-000012`).
    pub title: String,
    /// The practice or lab whose document it is: at the top of every page and the PDF's author.
    pub organisation: String,
    /// The organisation's address and contact, under its name on the first page: business
    /// documents have one, reports leave it out.
    pub letterhead: Option<Letterhead>,
    /// The period it covers, as people read it (`1 Jan 2026 – 31 Mar 2026`); a business
    /// document has none.
    pub period: Option<String>,
    /// When it was generated, as people read it (`2026-04-01 09:30 UTC`).
    pub generated_at: String,
    /// When it was generated, for the PDF's metadata (UTC).
    pub generated_at_ms: i64,
    /// Its content, in order.
    pub sections: Vec<Section>,
}

impl Document {
    /// The tables, in order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.sections.iter().filter_map(|s| match s {
            Section::Table(t) => Some(t),
            _ => None,
        })
    }
}

/// Where the organisation is and how to reach it. Keep it to a few short lines: each is cut to
/// the page's width, not wrapped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Letterhead {
    /// Address lines, in order (`12 High Street`, `Leeds LS1 4AB`).
    pub address: Vec<String>,
    /// A telephone number, as people dial it.
    pub phone: Option<String>,
    /// An e-mail address.
    pub email: Option<String>,
}

impl Letterhead {
    /// The phone and e-mail on one line (`Tel 0113 496 0000 · orders@lab.example`), if either.
    pub fn contact(&self) -> Option<String> {
        let phone = self.phone.as_ref().map(|p| format!("Tel {p}"));
        let parts: Vec<String> = phone.into_iter().chain(self.email.clone()).collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

/// One part of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Section {
    /// A chart.
    Chart(Chart),
    /// A table.
    Table(Table),
    /// Labelled values in two columns (`Order number` `PO-000012`); after a table, its totals.
    Fields(Vec<Field>),
    /// A barcode, its value printed under it.
    Barcode(Barcode),
    /// A paragraph: how a figure is computed, what was left out.
    Text(String),
}

/// A labelled value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// What the value is (`Deliver to`).
    pub label: String,
    /// The value; it wraps, and a line break in it starts a new line (an address).
    pub value: String,
}

impl Field {
    /// `label`: `value`.
    pub fn new(label: &str, value: &str) -> Self {
        Self { label: label.into(), value: value.into() }
    }
}

/// The shape of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// One bar per category (one series).
    Bar,
    /// A line per series over the categories; a missing value breaks the line.
    Line,
    /// One bar per series side by side in each category.
    GroupedBar,
}

/// A chart of series over categories.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Its title.
    pub title: String,
    /// Its shape.
    pub kind: ChartKind,
    /// What the categories are (`Week`).
    pub x_label: String,
    /// What the values are, with their unit (`Days`).
    pub y_label: String,
    /// The categories along the x axis, in order. Keep them short: chart text is measured by
    /// estimate, not by the font.
    pub categories: Vec<String>,
    /// The series; each has one value per category.
    pub series: Vec<Series>,
}

/// One series of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// One value per category; none where there is no value (no bar, a gap in a line).
    pub values: Vec<Option<f64>>,
}

/// Where a column's content sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its heading.
    pub name: String,
    /// Where its cells sit.
    pub align: Align,
    /// The unit of its values, shown after the heading (`days`, `%`, `GBP`).
    pub unit: Option<String>,
}

impl Column {
    /// A column of text.
    pub fn text(name: &str) -> Self {
        Self { name: name.into(), align: Align::Left, unit: None }
    }

    /// A column of numbers.
    pub fn number(name: &str) -> Self {
        Self { name: name.into(), align: Align::Right, unit: None }
    }

    /// The same column with a unit.
    pub fn unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// The heading with its unit: `Median (days)`.
    pub fn heading(&self) -> String {
        match &self.unit {
            Some(unit) => format!("{} ({unit})", self.name),
            None => self.name.clone(),
        }
    }
}

/// A table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Its title.
    pub title: String,
    /// Its columns.
    pub columns: Vec<Column>,
    /// Its rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

/// A value in a table, typed so each renderer writes it its way (CSV plain, HTML and PDF for
/// reading).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A real number written with a fixed number of decimal places.
    Decimal {
        /// The value.
        value: f64,
        /// Decimal places.
        places: u8,
    },
    /// An amount of money.
    Money {
        /// Minor units.
        minor: i64,
        /// ISO 4217 code.
        currency: String,
    },
    /// A ratio shown as a percentage (`0.125` is 12.5 %).
    Percent {
        /// The ratio.
        ratio: f64,
        /// Decimal places of the percentage.
        places: u8,
    },
    /// No value, and why (`never received`): the reason is shown in HTML and PDF; CSV leaves the
    /// field empty.
    Missing(String),
}

impl Cell {
    /// A decimal, or missing with `why` when there is no value.
    pub fn decimal_or(value: Option<f64>, places: u8, why: &str) -> Self {
        match value {
            Some(value) => Self::Decimal { value, places },
            None => Self::Missing(why.into()),
        }
    }

    /// A percentage of `part / whole`, or missing with `why` when `whole` is zero.
    pub fn percent_of(part: i64, whole: i64, places: u8, why: &str) -> Self {
        if whole == 0 {
            Self::Missing(why.into())
        } else {
            Self::Percent { ratio: part as f64 / whole as f64, places }
        }
    }

    /// The value as a CSV field holds it: numbers without grouping, money in major units,
    /// percentages as the percentage number (`12.50`), missing values empty.
    pub fn plain(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Int(i) => i.to_string(),
            Self::Decimal { value, places } => fixed(*value, *places),
            Self::Money { minor, currency } => major_units(*minor, currency, false),
            Self::Percent { ratio, places } => fixed(ratio * 100.0, *places),
            Self::Missing(_) => String::new(),
        }
    }

    /// The value as people read it: digits grouped in thousands, `%` after percentages, the
    /// reason for a missing value.
    pub fn display(&self) -> String {
        match self {
            Self::Text(t) | Self::Missing(t) => t.clone(),
            Self::Int(i) => group_thousands(&i.to_string()),
            Self::Decimal { value, places } => group_thousands(&fixed(*value, *places)),
            Self::Money { minor, currency } => major_units(*minor, currency, true),
            Self::Percent { ratio, places } => format!("{}%", fixed(ratio * 100.0, *places)),
        }
    }
}

/// `value` with `places` decimals; never `-0.0`.
fn fixed(value: f64, places: u8) -> String {
    let text = format!("{value:.*}", usize::from(places));
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_string()
    } else {
        text
    }
}

/// The number of decimal places of a currency's minor unit (ISO 4217): 2 for GBP, 0 for JPY, 3
/// for KWD; 2 for a code the standard does not list.
pub fn minor_digits(currency: &str) -> u32 {
    iso_currency::Currency::from_code(currency).and_then(|c| c.exponent()).map_or(2, u32::from)
}

/// Minor units as a decimal in major units, exactly (integer arithmetic): `1250` GBP is `12.50`.
pub fn major_units(minor: i64, currency: &str, grouped: bool) -> String {
    let digits = minor_digits(currency);
    let scale = 10u64.pow(digits);
    let (whole, fraction) = (minor.unsigned_abs() / scale, minor.unsigned_abs() % scale);
    let whole = if grouped { group_thousands(&whole.to_string()) } else { whole.to_string() };
    let sign = if minor < 0 { "-" } else { "" };
    if digits == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction:0width$}", width = digits as usize)
    }
}

/// Minor units in major units as a float, for charts.
pub fn major_f64(minor: i64, currency: &str) -> f64 {
    minor as f64 / 10f64.powi(minor_digits(currency) as i32)
}

/// `-1234567.89` as `-1,234,567.89`.
fn group_thousands(number: &str) -> String {
    let (sign, rest) = number.strip_prefix('-').map_or(("", number), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(minor: i64, currency: &str) -> Cell {
        Cell::Money { minor, currency: currency.into() }
    }

    #[test]
    fn money_is_written_in_major_units_exactly_by_the_currency_s_minor_unit() {
        assert_eq!(money(1250, "GBP").plain(), "12.50");
        assert_eq!(money(-5, "GBP").plain(), "-0.05");
        assert_eq!(money(123_456_789, "GBP").plain(), "1234567.89");
        assert_eq!(money(123_456_789, "GBP").display(), "1,234,567.89");
        assert_eq!(money(1500, "JPY").plain(), "1500");
        assert_eq!(money(1500, "KWD").plain(), "1.500");
    }

    #[test]
    fn numbers_read_with_grouped_thousands_and_csv_keeps_them_plain() {
        assert_eq!(Cell::Int(1_234_567).display(), "1,234,567");
        assert_eq!(Cell::Int(-1000).display(), "-1,000");
        assert_eq!(Cell::Int(999).display(), "999");
        assert_eq!(Cell::Int(1_234_567).plain(), "1234567");
        assert_eq!(Cell::Decimal { value: 1234.5, places: 1 }.display(), "1,234.5");
    }

    #[test]
    fn percentages_are_the_percentage_with_fixed_places_and_never_minus_zero() {
        let cell = Cell::percent_of(1, 8, 2, "no orders");
        assert_eq!(cell.plain(), "12.50");
        assert_eq!(cell.display(), "12.50%");
        assert_eq!(Cell::percent_of(1, 0, 2, "no orders"), Cell::Missing("no orders".into()));
        assert_eq!(Cell::Decimal { value: -0.0001, places: 2 }.plain(), "0.00");
    }
}
