use ils_reports::records::Value::{self, Int, Null, Text, Time};

use crate::memory::{Memory, ms, row};
use crate::{csv, csv_table, html, params};

/// One item and location: on hand, reorder point, unit price (none: never received).
pub fn level(m: &mut Memory, sku: &str, location: &str, on_hand: i64, reorder_point: i64, unit: Option<i64>) {
    let currency = if unit.is_some() { Text("GBP".into()) } else { Null };
    m.add(
        "stock_levels",
        row(&[
            ("sku", Text(sku.into())),
            ("name", Text(format!("Lens {sku}"))),
            ("location", Text(location.into())),
            ("on_hand", Int(on_hand)),
            ("reorder_point", Int(reorder_point)),
            ("unit_value_minor", unit.map_or(Null, Int)),
            ("value_minor", unit.map_or(Null, |u| Int(u * on_hand))),
            ("currency", currency),
            ("below_reorder", Int(i64::from(on_hand < reorder_point))),
        ]),
    );
}

fn movement(m: &mut Memory, day: &str, kind: &str, delta: i64, value: Option<i64>) {
    let value: Value = value.map_or(Null, Int);
    m.add(
        "stock_movements",
        row(&[
            ("at", Time(ms(day))),
            ("kind", Text(kind.into())),
            ("delta", Int(delta)),
            ("value_minor", value),
        ]),
    );
}

fn data() -> Memory {
    let mut m = Memory::default();
    level(&mut m, "A", "Main", 10, 5, Some(250));
    level(&mut m, "B", "Main", 2, 5, Some(1000));
    level(&mut m, "C", "Main", 3, 4, None);
    level(&mut m, "A", "Branch", 1, 5, Some(250));
    movement(&mut m, "2026-03-02", "receipt", 10, Some(2500));
    movement(&mut m, "2026-03-05", "adjustment", -1, Some(-250));
    movement(&mut m, "2026-03-06", "adjustment", -2, None);
    movement(&mut m, "2026-04-02", "receipt", 99, Some(9900));
    m
}

#[test]
fn stock_is_valued_by_location_and_items_never_received_are_shown_as_not_valued() {
    let csv = csv("stock", &params("2026-03-01", "2026-04-01"), &data());
    // Main: A 10 × 2.50 + B 2 × 10.00 = 45.00 over 12 units; C (3 units) has no price. Branch: 1 × 2.50.
    assert_eq!(
        csv_table(&csv, "Stock value by location"),
        [
            "Location,Currency,Items,Units on hand,Value",
            "Branch,GBP,1,1,2.50",
            "Main,GBP,2,12,45.00",
            "Main,,1,3,",
            "All locations,GBP,3,13,47.50",
            "All locations,,1,3,",
        ]
    );
    assert_eq!(
        csv_table(&csv, "Under their reorder point"),
        [
            "SKU,Name,Location,On hand,Reorder point,Shortfall,Unit value",
            "A,Lens A,Branch,1,5,4,2.50",
            "B,Lens B,Main,2,5,3,10.00",
            "C,Lens C,Main,3,4,1,",
        ]
    );
    // The April receipt is outside the period.
    assert_eq!(
        csv_table(&csv, "Movements in the period"),
        [
            "Kind,Movements,Net units,Value (GBP)",
            "Adjustment,1,-1,-2.50",
            "Adjustment,1,-2,",
            "Receipt,1,10,25.00"
        ]
    );
}

#[test]
fn the_page_says_why_an_item_has_no_value() {
    let html = html("stock", &params("2026-03-01", "2026-04-01"), &data());
    assert!(html.contains("<td class=\"num missing\">not valued: never received</td>"), "{html}");
    assert!(html.contains("<td class=\"num missing\">never received</td>"));
    assert!(html.contains("<td class=\"num\">47.50</td>"));
}

#[test]
fn items_under_their_reorder_point_are_charted_largest_shortfall_first() {
    let page = html("stock", &params("2026-03-01", "2026-04-01"), &data());
    let chart = &page[page.find("<svg").expect("a chart")..page.find("</svg>").expect("its end")];
    assert!(chart.contains("Items under their reorder point") && chart.contains("Reorder point"), "{chart}");
    // Shortfalls: A 4, B 3, C 1 — drawn in that order along the x axis.
    let at = |sku: &str| chart.find(&format!(">\n{sku}\n</text>")).expect(sku);
    let (a, b, c) = (at("A"), at("B"), at("C"));
    assert!(a < b && b < c, "{chart}");

    let mut stocked = Memory::default();
    level(&mut stocked, "A", "Main", 10, 5, Some(250));
    let page = html("stock", &params("2026-03-01", "2026-04-01"), &stocked);
    assert!(page.contains("No item is under its reorder point.") && !page.contains("<svg"));
}

#[test]
fn a_long_reorder_list_is_cut_at_its_limit_and_says_so() {
    let mut m = Memory::default();
    for i in 0..1001 {
        level(&mut m, &format!("SKU-{i:04}"), "Main", 0, 1, Some(100));
    }
    let html = html("stock", &params("2026-03-01", "2026-04-01"), &m);
    assert!(
        html.contains(
            "More than 1000 items are under their reorder point; the first 1000 by SKU are listed."
        )
    );
    assert!(html.contains("SKU-0999") && !html.contains("SKU-1000"));
}
