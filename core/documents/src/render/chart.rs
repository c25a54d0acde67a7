//! Charts as SVG, drawn by plotters' SVG backend.
//!
//! Plotters has no font backend on wasm (its `ttf` feature needs system fonts, its `ab_glyph`
//! one is left out on wasm32), so text sizes are *estimated* and only the SVG backend can draw
//! text at all: it writes `<text>` and leaves the glyphs to whoever shows the SVG (the browser,
//! or usvg with the embedded font for the PDF). So the areas for labels are set explicitly,
//! category labels are shortened, and only as many are written as fit.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::prelude::*;

use crate::document::{Chart, ChartKind};
use crate::error::RenderError;

/// The SVG's size in pixels; the PDF scales it to the text width.
pub const WIDTH: u32 = 720;
/// See [`WIDTH`].
pub const HEIGHT: u32 = 340;

/// Series colours: the Okabe–Ito palette, told apart by colour-blind readers.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(120, 120, 120),
];

/// The plot's width in pixels, about (the SVG less the y label area and margins).
const PLOT_WIDTH: usize = 620;
/// Pixels a character of a tick label takes, estimated (plotters cannot measure on wasm).
const CHAR_WIDTH: usize = 8;
/// Category labels are cut to between this many characters…
const MIN_LABEL: usize = 10;
/// …and this many, as room allows.
const MAX_LABEL: usize = 24;

/// The chart as an SVG document.
pub fn svg(chart: &Chart) -> Result<String, RenderError> {
    let mut out = String::new();
    draw(chart, &mut out).map_err(|e| RenderError(format!("chart {:?}: {e}", chart.title)))?;
    Ok(out)
}

fn draw(chart: &Chart, out: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(out, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    // As many characters as each category has room for; fewer labels when that is too few.
    let room = PLOT_WIDTH / chart.categories.len().max(1) / CHAR_WIDTH;
    let categories = Categories::new(&chart.categories, room.saturating_sub(1).clamp(MIN_LABEL, MAX_LABEL));
    let values = || chart.series.iter().flat_map(|s| s.values.iter().flatten().copied());
    let low = values().fold(0.0_f64, f64::min);
    let high = values().fold(0.0_f64, f64::max);
    // Headroom above the tallest bar for the legend box.
    let headroom = if chart.series.len() > 1 { 1.3 } else { 1.08 };
    let (low, high) = if high - low <= f64::EPSILON { (low, low + 1.0) } else { (low, high * headroom) };
    let span = high - low;

    let mut ctx = ChartBuilder::on(&root)
        .caption(&chart.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(84)
        .build_cartesian_2d(categories.clone(), low..high)?;
    let fit = (PLOT_WIDTH / (categories.longest() * CHAR_WIDTH + 16)).max(1);
    let y_format = |y: &f64| tick(*y, span);
    ctx.configure_mesh()
        .disable_x_mesh()
        .x_labels(fit)
        .y_labels(6)
        .y_label_formatter(&y_format)
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .max_light_lines(0)
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()?;

    let count = chart.series.len().max(1);
    for (s, series) in chart.series.iter().enumerate() {
        let colour = PALETTE[s % PALETTE.len()];
        match chart.kind {
            ChartKind::Bar | ChartKind::GroupedBar => {
                let width = 0.8 / count as f64;
                let bars = series.values.iter().enumerate().filter_map(|(i, v)| {
                    let left = i as f64 + 0.1 + s as f64 * width;
                    v.map(|v| Rectangle::new([(left, 0.0_f64.max(low)), (left + width, v)], colour.filled()))
                });
                ctx.draw_series(bars)?
                    .label(series.name.as_str())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
            }
            ChartKind::Line => {
                let points: Vec<Option<(f64, f64)>> =
                    series.values.iter().enumerate().map(|(i, v)| v.map(|v| (i as f64 + 0.5, v))).collect();
                // A missing value breaks the line: one line per run of values.
                for run in points.split(Option::is_none) {
                    let run: Vec<(f64, f64)> = run.iter().flatten().copied().collect();
                    if run.len() > 1 {
                        ctx.draw_series(LineSeries::new(run, colour.stroke_width(2)))?;
                    }
                }
                let dots = points.iter().flatten().map(|p| Circle::new(*p, 3, colour.filled()));
                ctx.draw_series(dots)?.label(series.name.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
                });
            }
        }
    }
    if chart.series.len() > 1 {
        ctx.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(160, 160, 160))
            .label_font(("sans-serif", 14))
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// A y-axis tick: as many decimals as the axis' span needs, thousands grouped.
fn tick(value: f64, span: f64) -> String {
    let places = if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.places$}");
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if grouped.chars().all(|c| c == '0') && frac.is_none_or(|f| f.chars().all(|c| c == '0')) {
        ""
    } else {
        sign
    };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// An x axis of named categories: category `i` spans `[i, i + 1)`, its label at `i + 0.5`.
#[derive(Clone)]
struct Categories {
    labels: Vec<String>,
}

impl Categories {
    fn new(labels: &[String], max: usize) -> Self {
        Self { labels: labels.iter().map(|l| shorten(l, max)).collect() }
    }

    fn longest(&self) -> usize {
        self.labels.iter().map(|l| l.chars().count()).max().unwrap_or(1).max(1)
    }
}

fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let mut short: String = label.chars().take(max - 1).collect();
        short.push('…');
        short
    }
}

impl Ranged for Categories {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let n = self.labels.len().max(1) as f64;
        limit.0 + ((f64::from(limit.1 - limit.0)) * value / n).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Labels only (no light grid lines), every k-th when they would not fit.
        if hint.weight().allow_light_points() || self.labels.is_empty() {
            return Vec::new();
        }
        let step = self.labels.len().div_ceil(hint.max_num_points().max(1));
        (0..self.labels.len()).step_by(step).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.labels.len().max(1) as f64
    }
}

impl ValueFormatter<f64> for Categories {
    fn format_ext(&self, value: &f64) -> String {
        let i = value.floor();
        if i >= 0.0 { self.labels.get(i as usize).cloned().unwrap_or_default() } else { String::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Series;

    fn chart(kind: ChartKind, series: Vec<Series>) -> Chart {
        Chart {
            title: "Turnaround <by> week".into(),
            kind,
            x_label: "Week".into(),
            y_label: "Days".into(),
            categories: vec!["2026-W01".into(), "2026-W02".into(), "2026-W03".into()],
            series,
        }
    }

    fn series(name: &str, values: &[Option<f64>]) -> Series {
        Series { name: name.into(), values: values.to_vec() }
    }

    #[test]
    fn a_line_chart_has_a_title_axis_labels_category_ticks_and_a_legend() {
        let svg = svg(&chart(
            ChartKind::Line,
            vec![
                series("Median", &[Some(2.0), None, Some(3.5)]),
                series("90th percentile", &[Some(4.0), Some(6.0), Some(7.0)]),
            ],
        ))
        .unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        for text in [
            "Turnaround &lt;by&gt; week",
            "\nWeek\n",
            "\nDays\n",
            "2026-W01",
            "2026-W03",
            "Median",
            "90th percentile",
        ] {
            assert!(svg.contains(text), "{text} missing from {svg}");
        }
        // The gap leaves the median as dots and its legend's line; the 90th percentile is a line.
        assert_eq!(svg.matches("stroke=\"#0072B2\" stroke-width=\"2\"").count(), 1, "{svg}");
        assert_eq!(svg.matches("stroke=\"#E69F00\" stroke-width=\"2\"").count(), 2, "{svg}");
    }

    #[test]
    fn a_grouped_bar_chart_draws_a_bar_per_value_and_long_labels_are_shortened() {
        let mut c = chart(
            ChartKind::GroupedBar,
            vec![
                series("Single vision", &[Some(10.0), Some(20.0), None]),
                series("Varifocal", &[Some(5.0), None, Some(1.0)]),
            ],
        );
        c.categories[0] = "A category name far too long to fit".into();
        let svg = svg(&c).unwrap();
        // 4 bars + 2 legend swatches + background and legend boxes.
        assert!(svg.matches("<rect").count() >= 6, "{svg}");
        // Three categories have room for 24 characters each.
        assert!(svg.contains("A category name far too…"), "{svg}");
        assert!(!svg.contains("too long"));
    }

    #[test]
    fn an_empty_chart_still_draws() {
        let svg = svg(&chart(ChartKind::Bar, vec![series("Rate", &[None, None, None])])).unwrap();
        assert!(svg.contains("\nDays\n"));
    }

    #[test]
    fn ticks_have_the_decimals_the_span_needs() {
        assert_eq!(tick(12500.0, 20000.0), "12,500");
        assert_eq!(tick(2.5, 10.0), "2.5");
        assert_eq!(tick(0.25, 1.0), "0.25");
        assert_eq!(tick(-0.001, 1.0), "0.00");
    }
}
