use ils_reports::records::Value::{Int, Null, Text, Time};

use crate::memory::{Memory, ms, row};
use crate::{csv, csv_table, html, params};

/// 40 orders placed in January; four failures in January (one more in February).
fn data() -> Memory {
    let mut m = Memory::default();
    for day in 1..=40 {
        let date = format!("2026-01-{:02}", (day % 31) + 1);
        m.add("orders", row(&[("created_at", Time(ms(&date))), ("status", Text("shipped".into()))]));
    }
    m.add("orders", row(&[("created_at", Time(ms("2026-02-01"))), ("status", Text("shipped".into()))]));
    let mut failure = |day: &str, issue: &str, station: Option<&str>, remade: i64| {
        m.add(
            "quality",
            row(&[
                ("at", Time(ms(day))),
                ("issue", Text(issue.into())),
                ("station", station.map_or(Null, |s| Text(s.into()))),
                ("remade", Int(remade)),
            ]),
        )
    };
    failure("2026-01-03", "coating_defect", Some("coating"), 1);
    failure("2026-01-09", "coating_defect", Some("coating"), 1);
    failure("2026-01-21", "coating_defect", Some("coating"), 0);
    failure("2026-01-22", "wrong_power", None, 1);
    failure("2026-02-02", "wrong_power", Some("surfacing"), 1);
    m
}

#[test]
fn failure_and_remake_rates_are_over_the_orders_placed_in_the_period() {
    let csv = csv("quality", &params("2026-01-01", "2026-02-01"), &data());
    // Coating defect: 3 of 40 orders failed (7.50 %), 2 remade (5.00 %); wrong power 1 and 1 (2.50 %).
    assert_eq!(
        csv_table(&csv, "By issue"),
        [
            "Issue,Failures,Remakes,Failure rate (%),Remake rate (%)",
            "Coating defect,3,2,7.50,5.00",
            "Wrong power,1,1,2.50,2.50",
            "All issues,4,3,10.00,7.50",
        ]
    );
    assert_eq!(
        csv_table(&csv, "By station"),
        [
            "Station,Failures,Remakes,Failure rate (%),Remake rate (%)",
            "Coating,3,2,7.50,5.00",
            "Not recorded,1,1,2.50,2.50",
            "All stations,4,3,10.00,7.50",
        ]
    );
}

#[test]
fn the_page_explains_the_rates_and_charts_them_by_issue() {
    let html = html("quality", &params("2026-01-01", "2026-02-01"), &data());
    assert!(
        html.contains("4 failed checks and 3 remakes raised for them, against 40 orders placed in the period: a failure rate of 10.00% and a remake rate of 7.50%."),
        "{html}"
    );
    assert!(html.contains("Failures by issue") && html.contains("% of orders"));
    assert!(html.contains("<td class=\"num\">7.50%</td>"));
}

#[test]
fn without_orders_there_is_no_rate_rather_than_a_division_by_zero() {
    let mut m = Memory::default();
    m.add(
        "quality",
        row(&[("at", Time(ms("2026-03-03"))), ("issue", Text("scratch".into())), ("remade", Int(0))]),
    );
    let csv = csv("quality", &params("2026-03-01", "2026-04-01"), &m);
    assert_eq!(csv_table(&csv, "By issue")[1], "Scratch,1,0,,");
}
