use ils_reports::records::Value::{Float, Int, Null, Text, Time};

use crate::memory::{Memory, ms, row};
use crate::{csv, html, params};

fn data() -> Memory {
    let mut m = Memory::default();
    let mut line =
        |supplier: &str, number: &str, status: &str, ordered: i64, received: i64, lead: Option<f64>| {
            m.add(
                "purchase_lines",
                row(&[
                    ("created_at", Time(ms("2026-02-10"))),
                    ("supplier", Text(supplier.into())),
                    ("number", Text(number.into())),
                    ("status", Text(status.into())),
                    ("ordered", Int(ordered)),
                    ("received", Int(received)),
                    ("lead_time_days", lead.map_or(Null, Float)),
                ]),
            )
        };
    // Lensco: 2 orders, 4 lines, lead times 2, 4, 6 (one line not received), 90 of 100 units.
    line("Lensco", "PO-1", "received", 50, 50, Some(2.0));
    line("Lensco", "PO-1", "received", 20, 20, Some(4.0));
    line("Lensco", "PO-2", "partially_received", 20, 20, Some(6.0));
    line("Lensco", "PO-2", "partially_received", 10, 0, None);
    // =Frames <b>Ltd</b>: one order, one line, fully received in 3 days.
    line("=Frames <b>Ltd</b>", "PO-3", "received", 8, 8, Some(3.0));
    // Left out: a draft and a cancelled order.
    line("Lensco", "PO-4", "draft", 100, 0, None);
    line("=Frames <b>Ltd</b>", "PO-5", "cancelled", 100, 0, None);
    m
}

#[test]
fn the_scorecard_gives_lead_time_percentiles_and_fill_rate_by_supplier() {
    let csv = csv("suppliers", &params("2026-02-01", "2026-03-01"), &data());
    // Lensco lead times 2, 4, 6: median 4, p90 rank 1.8 → 4 + 0.8 × 2 = 5.6. Fill 90 / 100.
    // One table, so no title row.
    assert_eq!(
        csv.split_terminator("\r\n").collect::<Vec<_>>(),
        [
            "Supplier,Orders,Lines,Lead time median (days),Lead time p90 (days),Units ordered,Units received,Fill rate (%)",
            "Lensco,2,4,4.0,5.6,100,90,90.0",
            "'=Frames <b>Ltd</b>,1,1,3.0,3.0,8,8,100.0",
        ]
    );
}

#[test]
fn the_page_charts_lead_times_and_escapes_supplier_names() {
    let html = html("suppliers", &params("2026-02-01", "2026-03-01"), &data());
    assert!(html.contains("<td>=Frames &lt;b&gt;Ltd&lt;/b&gt;</td>"), "{html}");
    assert!(!html.contains("<b>Ltd"));
    assert!(html.contains("Lead time by supplier"));
    assert!(html.contains("<td class=\"num\">90.0%</td>"));
}

#[test]
fn the_chart_shows_the_twelve_busiest_suppliers_and_the_table_all_of_them() {
    let mut m = Memory::default();
    for s in 0..15 {
        for l in 0..=s {
            m.add(
                "purchase_lines",
                row(&[
                    ("created_at", Time(ms("2026-02-10"))),
                    ("supplier", Text(format!("Supplier {s:02}"))),
                    ("number", Text(format!("PO-{s}-{l}"))),
                    ("status", Text("received".into())),
                    ("ordered", Int(1)),
                    ("received", Int(1)),
                    ("lead_time_days", Float(2.0)),
                ]),
            );
        }
    }
    let html = html("suppliers", &params("2026-02-01", "2026-03-01"), &m);
    assert!(html.contains("Lead time by supplier (the 12 with most lines)"));
    // Twelve median bars and the legend's swatch; suppliers 00–02, with the fewest lines, are in
    // the table only.
    let chart = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()];
    assert_eq!(chart.matches("fill=\"#0072B2\"").count(), 13, "{chart}");
    assert!(html.contains("<td>Supplier 00</td>") && html.contains("<td>Supplier 14</td>"));
}
