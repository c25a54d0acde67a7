use ils_reports::records::Value::{Int, Text, Time};

use crate::memory::{Memory, ms, row};
use crate::{csv, csv_table, html, params};

fn data() -> Memory {
    let mut m = Memory::default();
    let mut order = |day: &str, lens: &str, status: &str, minor: i64, currency: &str| {
        m.add(
            "orders",
            row(&[
                ("created_at", Time(ms(day))),
                ("lens_type", Text(lens.into())),
                ("status", Text(status.into())),
                ("price_minor", Int(minor)),
                ("currency", Text(currency.into())),
            ]),
        )
    };
    order("2026-01-10", "single_vision", "completed", 1250, "GBP");
    order("2026-01-11", "single_vision", "shipped", 2599, "GBP");
    order("2026-01-12", "varifocal", "pending", 15000, "GBP");
    order("2026-01-13", "varifocal", "cancelled", 99999, "GBP");
    order("2026-02-28", "single_vision", "completed", 1000, "GBP");
    order("2026-02-14", "bifocal", "completed", 5000, "EUR");
    order("2026-03-01", "single_vision", "completed", 777, "GBP");
    m
}

#[test]
fn revenue_sums_prices_by_month_and_lens_type_without_cancelled_orders() {
    let csv = csv("revenue", &params("2026-01-01", "2026-03-01"), &data());
    // January: 12.50 + 25.99 + 150.00 = 188.49 (the cancelled 999.99 left out); February: 10.00.
    assert_eq!(
        csv_table(&csv, "By month (GBP)"),
        ["Month,Orders,Revenue (GBP)", "2026-01,3,188.49", "2026-02,1,10.00", "All months,4,198.49"]
    );
    assert_eq!(
        csv_table(&csv, "By month and lens type (GBP)"),
        [
            "Month,Lens type,Orders,Revenue (GBP)",
            "2026-01,Single vision,2,38.49",
            "2026-01,Varifocal,1,150.00",
            "2026-02,Single vision,1,10.00",
        ]
    );
}

#[test]
fn two_currencies_are_reported_apart_and_never_added() {
    let source = data();
    let csv = csv("revenue", &params("2026-01-01", "2026-03-01"), &source);
    assert_eq!(
        csv_table(&csv, "By month (EUR)"),
        ["Month,Orders,Revenue (EUR)", "2026-01,0,0.00", "2026-02,1,50.00", "All months,1,50.00"]
    );
    assert!(!csv.contains("248.49"), "GBP and EUR added together");
    let html = html("revenue", &params("2026-01-01", "2026-03-01"), &source);
    assert!(html.contains("Orders were priced in EUR, GBP: each currency is reported on its own"));
    assert!(html.contains("Cancelled, and left out: 1 order."));
    assert!(html.contains("Revenue by month (GBP)") && html.contains("Revenue by month (EUR)"));
    assert!(html.contains("<td class=\"num\">188.49</td>"));
    // Every query over orders excludes nothing by accident: cancelled are filtered, not dropped later.
    let queries = source.queries.borrow();
    assert!(queries.iter().all(|q| q.dataset == "orders"));
}

#[test]
fn a_period_without_orders_still_lists_its_months() {
    let csv = csv("revenue", &params("2025-01-01", "2025-03-01"), &data());
    // One table, so no title row.
    assert_eq!(csv, "Month,Orders,Revenue\r\n2025-01,0,0.00\r\n2025-02,0,0.00\r\nAll months,0,0.00\r\n");
}
