use ils_reports::records::Value::{Float, Null, Text, Time};

use crate::memory::{Memory, ms, row};
use crate::{csv, csv_table, html, params};

/// Orders placed in January 2026 with known turnarounds, one still open, one placed before.
fn orders() -> Memory {
    let mut m = Memory::default();
    let mut order = |day: &str, lens: &str, lab: Option<&str>, days: Option<f64>| {
        m.add(
            "orders",
            row(&[
                ("created_at", Time(ms(day))),
                ("lens_type", Text(lens.into())),
                ("counterpart", lab.map_or(Null, |l| Text(l.into()))),
                ("status", Text(if days.is_some() { "shipped" } else { "in_production" }.into())),
                ("turnaround_days", days.map_or(Null, Float)),
            ]),
        )
    };
    // Single vision at Alpha: 1, 2, 3, 4, 10 days.
    order("2026-01-05", "single_vision", Some("Alpha Lab"), Some(1.0));
    order("2026-01-06", "single_vision", Some("Alpha Lab"), Some(2.0));
    order("2026-01-12", "single_vision", Some("Alpha Lab"), Some(3.0));
    order("2026-01-20", "single_vision", Some("Alpha Lab"), Some(4.0));
    order("2026-01-31", "single_vision", Some("Alpha Lab"), Some(10.0));
    // Varifocal: 5 and 9 at Beta, 7 in house.
    order("2026-01-07", "varifocal", Some("Beta <script>alert(1)</script>"), Some(5.0));
    order("2026-01-13", "varifocal", Some("Beta <script>alert(1)</script>"), Some(9.0));
    order("2026-01-14", "varifocal", None, Some(7.0));
    // Open: left out of every figure, counted in the summary.
    order("2026-01-15", "varifocal", Some("Alpha Lab"), None);
    // Placed before the period.
    order("2025-12-31", "single_vision", Some("Alpha Lab"), Some(100.0));
    m
}

const JANUARY: (&str, &str) = ("2026-01-01", "2026-02-01");

#[test]
fn medians_and_90th_percentiles_by_lens_type_and_lab_are_the_interpolated_ranks() {
    let source = orders();
    let csv = csv("turnaround", &params(JANUARY.0, JANUARY.1), &source);
    // Single vision 1,2,3,4,10: median rank 2 → 3; p90 rank 3.6 → 4 + 0.6 × 6 = 7.6.
    // Varifocal 5,7,9: median 7; p90 rank 1.8 → 7 + 0.8 × 2 = 8.6.
    // All 1,2,3,4,5,7,9,10: median rank 3.5 → 4.5; p90 rank 6.3 → 9 + 0.3 × 1 = 9.3.
    assert_eq!(
        csv_table(&csv, "By lens type"),
        [
            "Lens type,Orders shipped,Median (days),90th percentile (days)",
            "Single vision,5,3.0,7.6",
            "Varifocal,3,7.0,8.6",
            "All lens types,8,4.5,9.3",
        ]
    );
    // Beta 5, 9: median 7, p90 rank 0.9 → 5 + 0.9 × 4 = 8.6. In house: 7 alone.
    assert_eq!(
        csv_table(&csv, "By lab"),
        [
            "Lab,Orders shipped,Median (days),90th percentile (days)",
            "Alpha Lab,5,3.0,7.6",
            "Beta <script>alert(1)</script>,2,7.0,8.6",
            "None (in house),1,7.0,7.0",
            "All labs,8,4.5,9.3",
        ]
    );
    // ISO weeks: 5–6 Jan and 7 Jan are W02; 12–14 Jan W03; 20 Jan W04; 31 Jan W05.
    // W02: 1, 2, 5 → median 2, p90 rank 1.8 → 2 + 0.8 × 3 = 4.4. W03: 3, 9, 7 → 7; rank 1.8 → 7 + 0.8 × 2 = 8.6.
    assert_eq!(
        csv_table(&csv, "By week placed"),
        [
            "Week,Orders shipped,Median (days),90th percentile (days)",
            "2026-W02,3,2.0,4.4",
            "2026-W03,3,7.0,8.6",
            "2026-W04,1,4.0,4.0",
            "2026-W05,1,10.0,10.0",
        ]
    );
}

#[test]
fn the_page_shows_the_summary_the_weekly_chart_and_escapes_a_lab_s_name() {
    let source = orders();
    let html = html("turnaround", &params(JANUARY.0, JANUARY.1), &source);
    assert!(
        html.contains("Shipped: 8 orders placed in the period, median 4.5 days, 90th percentile 9.3 days."),
        "{html}"
    );
    assert!(html.contains("Still open, and left out: 1 order."));
    assert!(html.contains("<td>Beta &lt;script&gt;alert(1)&lt;/script&gt;</td>"));
    assert!(html.contains("<td class=\"num\">7.6</td>"));
    assert!(html.contains("1 Jan 2026 – 31 Jan 2026") && html.contains("2026-04-01 09:30 UTC"));
    // The chart runs over every week of January, W01 (no orders) included, with its legend.
    assert!(html.contains("Turnaround by week placed") && html.contains("90th percentile"));
    assert!(html.contains("\n2026-W01\n</text>"), "weeks from W01 on the axis");
}

#[test]
fn it_reads_only_aggregates_over_the_period() {
    let source = orders();
    csv("turnaround", &params(JANUARY.0, JANUARY.1), &source);
    let queries = source.queries.borrow();
    assert!(queries.len() <= 5, "{} queries", queries.len());
    assert!(
        queries
            .iter()
            .all(|q| q.dataset == "orders" && q.period.start == "2026-01-01" && q.period.end == "2026-02-01")
    );
}
