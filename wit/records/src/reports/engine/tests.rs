//! The engine against answers worked out by hand.

use super::*;
use crate::reports::{Money, OrderStep, Period};

const DAY: i64 = DAY_MS;
/// 2026-01-01T00:00:00Z.
const JAN_1: i64 = 20_454 * DAY;

fn order(number: &str, lens: &str, created: i64, shipped: Option<i64>, price: i64) -> OrderRow {
    let step = |at_ms: i64, to: &str, station: Option<&str>| OrderStep {
        at_ms,
        from_status: None,
        to_status: to.into(),
        station: station.map(Into::into),
        quality_issue: None,
    };
    let mut timeline =
        vec![step(created, "pending", None), step(created + 1, "in_production", Some("surfacing"))];
    timeline.extend(shipped.map(|at| step(at, "shipped", None)));
    OrderRow {
        id: format!("id-{number}"),
        number: number.into(),
        reason: "new".into(),
        original_order_id: None,
        routing: "in_house".into(),
        counterpart: None,
        lens_type: lens.into(),
        material: "plastic".into(),
        coatings: vec![],
        priority: "normal".into(),
        status: if shipped.is_some() { "shipped" } else { "in_production" }.into(),
        created_at_ms: created,
        due_on: "2026-12-31".into(),
        shipped_at_ms: shipped,
        completed_at_ms: None,
        price: Money { minor: price, currency: "GBP".into() },
        timeline,
    }
}

fn query(group_by: &[&str], measures: Vec<Measure>) -> Query {
    Query {
        dataset: "orders".into(),
        period: Period::new("2026-01-01", "2028-01-01"),
        filters: vec![],
        group_by: group_by.iter().map(|g| g.to_string()).collect(),
        measures,
        order_by: vec![],
        limit: 100,
    }
}

fn orders_dataset() -> &'static Dataset {
    Dataset::named("orders").unwrap()
}

/// Single vision turnarounds 1, 2, 3, 4 days; progressives 2, 4, 7, 10 and one still open.
fn sample() -> Vec<OrderRow> {
    let mut rows = Vec::new();
    for (i, days) in [1, 2, 3, 4].into_iter().enumerate() {
        let created = JAN_1 + i as i64 * DAY;
        rows.push(order(&format!("S{i}"), "single_vision", created, Some(created + days * DAY), 1_000));
    }
    for (i, days) in [2, 4, 7, 10].into_iter().enumerate() {
        let created = JAN_1 + i as i64 * DAY;
        rows.push(order(&format!("P{i}"), "progressive", created, Some(created + days * DAY), 5_000));
    }
    rows.push(order("P9", "progressive", JAN_1, None, 5_000));
    rows
}

fn run(q: &Query, rows: &[OrderRow]) -> ResultSet {
    aggregate(orders_dataset(), rows.iter().map(order_fields), q).unwrap()
}

fn text(t: &str) -> Value {
    Value::Text(t.into())
}

#[test]
fn medians_of_an_even_count_and_p90_interpolate_between_ranks() {
    let q = query(
        &["lens_type"],
        vec![
            Measure::Count,
            Measure::Percentile("turnaround_days".into(), 0.5),
            Measure::Percentile("turnaround_days".into(), 0.9),
        ],
    );
    let result = run(&q, &sample());
    assert_eq!(
        result.columns,
        ["lens_type", "count", "percentile(turnaround_days,0.5)", "percentile(turnaround_days,0.9)"]
    );
    // Progressives: 2, 4, 7, 10 (the open order counts, but has no turnaround). Median: between
    // 4 and 7 → 5.5; p90: rank 0.9 × 3 = 2.7, 7 + 0.7 × (10 − 7) = 9.1.
    // Single vision: 1, 2, 3, 4 → 2.5; rank 2.7 → 3 + 0.7 × 1 = 3.7.
    let close = |v: &Value, want: f64| matches!(v, Value::Float(f) if (f - want).abs() < 1e-9);
    assert_eq!(result.rows[0][..2], [text("progressive"), Value::Int(5)]);
    assert!(close(&result.rows[0][2], 5.5) && close(&result.rows[0][3], 9.1), "{:?}", result.rows[0]);
    assert_eq!(result.rows[1][..2], [text("single_vision"), Value::Int(4)]);
    assert!(close(&result.rows[1][2], 2.5) && close(&result.rows[1][3], 3.7), "{:?}", result.rows[1]);
    assert!(!result.truncated);
}

#[test]
fn percentile_cont_matches_postgresql_at_the_edges() {
    assert_eq!(percentile_cont(&mut [], 0.5), None);
    assert_eq!(percentile_cont(&mut [3.0], 0.9), Some(3.0));
    let mut ten: Vec<f64> = (1..=10).rev().map(f64::from).collect();
    assert_eq!(percentile_cont(&mut ten, 0.0), Some(1.0));
    assert_eq!(percentile_cont(&mut ten, 1.0), Some(10.0));
    assert!((percentile_cont(&mut ten, 0.9).unwrap() - 9.1).abs() < 1e-9);
}

#[test]
fn nulls_count_as_rows_but_are_left_out_of_measures() {
    let q = query(
        &[],
        vec![
            Measure::Count,
            Measure::Avg("turnaround_days".into()),
            Measure::Min("shipped_at".into()),
            Measure::CountDistinct("shipped_at".into()),
            Measure::Sum("price_minor".into()),
        ],
    );
    let rows: Vec<OrderRow> = sample().into_iter().filter(|o| o.lens_type == "progressive").collect();
    let result = run(&q, &rows);
    // Five orders, four shipped: (2 + 4 + 7 + 10) / 4 = 5.75; the first shipped on Jan 3.
    assert_eq!(
        result.rows,
        [[
            Value::Int(5),
            Value::Float(5.75),
            Value::Time(JAN_1 + 2 * DAY),
            Value::Int(4),
            Value::Int(25_000)
        ]]
    );
}

#[test]
fn sums_keep_their_field_kind_and_an_empty_query_answers_one_row() {
    let q = query(&[], vec![Measure::Sum("price_minor".into()), Measure::Sum("turnaround_days".into())]);
    let result = run(&q, &sample());
    assert_eq!(result.rows, [[Value::Int(29_000), Value::Float(33.0)]]);

    let mut q = query(&[], vec![Measure::Count, Measure::Sum("price_minor".into())]);
    q.period = Period::new("2030-01-01", "2030-02-01");
    assert_eq!(run(&q, &sample()).rows, [[Value::Int(0), Value::Null]]);
    let mut grouped = q.clone();
    grouped.group_by = vec!["lens_type".into()];
    assert!(run(&grouped, &sample()).rows.is_empty());
}

#[test]
fn time_buckets_name_days_iso_weeks_months_and_years_in_utc() {
    // 2026-12-31T23:59:59.999Z, 2027-01-01T00:00Z and 2027-01-04 (a Monday).
    let end_of_2026 = 20_819 * DAY - 1;
    let rows = [
        order("A", "single_vision", end_of_2026, None, 1),
        order("B", "single_vision", end_of_2026 + 1, None, 1),
        order("C", "single_vision", end_of_2026 + 1 + 3 * DAY, None, 1),
    ];
    let buckets = |bucket: &str| -> Vec<Value> {
        let group = format!("created_at:{bucket}");
        run(&query(&[&group], vec![Measure::Count]), &rows).rows.into_iter().map(|r| r[0].clone()).collect()
    };
    assert_eq!(buckets("day"), [text("2026-12-31"), text("2027-01-01"), text("2027-01-04")]);
    // 2027-01-01 is a Friday of 2026's 53rd week.
    assert_eq!(buckets("week"), [text("2026-W53"), text("2027-W01")]);
    assert_eq!(buckets("month"), [text("2026-12"), text("2027-01")]);
    assert_eq!(buckets("year"), [text("2026"), text("2027")]);
}

#[test]
fn filters_compare_typed_values_and_null_fails_every_test_but_is_null() {
    let with = |filters: Vec<Filter>| {
        let mut q = query(&[], vec![Measure::Count]);
        q.filters = filters;
        run(&q, &sample()).rows[0][0].clone()
    };
    let f = |field: &str, op: Op, values: Vec<Value>| Filter { field: field.into(), op, values };
    assert_eq!(with(vec![f("lens_type", Op::Eq, vec![text("progressive")])]), Value::Int(5));
    assert_eq!(
        with(vec![f("lens_type", Op::InList, vec![text("bifocal"), text("single_vision")])]),
        Value::Int(4)
    );
    assert_eq!(with(vec![f("shipped_at", Op::IsNull, vec![])]), Value::Int(1));
    assert_eq!(with(vec![f("shipped_at", Op::NotNull, vec![])]), Value::Int(8));
    // Null is neither equal nor unequal to 3.
    assert_eq!(with(vec![f("turnaround_days", Op::Ne, vec![Value::Int(3)])]), Value::Int(7));
    assert_eq!(with(vec![f("turnaround_days", Op::Ge, vec![Value::Float(4.0)])]), Value::Int(4));
    // A time compares with a time or with milliseconds.
    let jan_3 = JAN_1 + 2 * DAY;
    assert_eq!(with(vec![f("created_at", Op::Lt, vec![Value::Time(jan_3)])]), Value::Int(5));
    assert_eq!(with(vec![f("created_at", Op::Lt, vec![Value::Int(jan_3)])]), Value::Int(5));
    assert_eq!(
        with(vec![
            f("price_minor", Op::Gt, vec![Value::Int(1_000)]),
            f("created_at", Op::Ge, vec![Value::Int(jan_3)])
        ]),
        Value::Int(2)
    );
}

#[test]
fn results_sort_by_the_asked_columns_then_groups_and_stop_at_the_limit() {
    let mut q = query(&["lens_type", "created_at:day"], vec![Measure::Count]);
    q.order_by = vec![("count".into(), true)];
    q.limit = 2;
    let result = run(&q, &sample());
    // Jan 1 has one order of each lens type and an open progressive: 2 progressives first, then
    // the ties on 1 in group order.
    assert_eq!(result.rows[0], [text("progressive"), text("2026-01-01"), Value::Int(2)]);
    assert_eq!(result.rows[1], [text("progressive"), text("2026-01-02"), Value::Int(1)]);
    assert!(result.truncated);
}

#[test]
fn nulls_sort_last_ascending_and_first_descending() {
    let mut q = query(&["shipped_at:day"], vec![Measure::Count]);
    q.filters = vec![Filter { field: "lens_type".into(), op: Op::Eq, values: vec![text("progressive")] }];
    let days: Vec<Value> = run(&q, &sample()).rows.into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(days.last(), Some(&Value::Null));
    q.order_by = vec![("shipped_at:day".into(), true)];
    assert_eq!(run(&q, &sample()).rows[0][0], Value::Null);
}

#[test]
fn mistakes_in_a_query_are_named() {
    let fails =
        |q: Query| matches!(aggregate(orders_dataset(), Vec::new(), &q), Err(AggregateError::Query(_)));
    assert!(fails(query(&[], vec![Measure::Sum("lens_type".into())])), "sum of text");
    assert!(fails(query(&["lens_type:week"], vec![Measure::Count])), "bucket of text");
    assert!(fails(query(&["created_at:hour"], vec![Measure::Count])), "unknown bucket");
    assert!(fails(query(&["nhs_number"], vec![Measure::Count])), "unknown field");
    assert!(fails(query(&[], vec![])), "nothing asked");
    let mut q = query(&[], vec![Measure::Count]);
    q.order_by = vec![("sum(price_minor)".into(), false)];
    assert!(fails(q), "ordered by a column the result lacks");
    let mut q = query(&[], vec![Measure::Count]);
    q.filters = vec![Filter { field: "lens_type".into(), op: Op::Eq, values: vec![Value::Int(1)] }];
    assert!(fails(q), "text compared with a number");
    let mut q = query(&[], vec![Measure::Count]);
    q.filters = vec![Filter { field: "lens_type".into(), op: Op::Eq, values: vec![] }];
    assert!(fails(q), "eq without a value");
    let mut q = query(&[], vec![Measure::Count]);
    q.period = Period::new("2026-02-30", "2027-01-01");
    assert!(fails(q), "no such day");
}

#[test]
fn a_row_that_does_not_fit_its_dataset_is_the_embedders_bug() {
    let q = query(&[], vec![Measure::Count]);
    let short = vec![vec![Value::Null; 3]];
    assert!(matches!(aggregate(orders_dataset(), short, &q), Err(AggregateError::Row(_))));
    let mut row = order_fields(&sample()[0]);
    row[10] = text("1000");
    assert!(matches!(aggregate(orders_dataset(), vec![row], &q), Err(AggregateError::Row(_))));
}

#[test]
fn an_orders_row_takes_its_station_from_the_last_step_and_its_turnaround_from_shipping() {
    let shipped = order_fields(&sample()[4]);
    assert_eq!(shipped.len(), orders_dataset().fields.len());
    assert_eq!((&shipped[8], &shipped[14]), (&Value::Null, &Value::Float(2.0)));
    let open = order_fields(&sample()[8]);
    assert_eq!((&open[8], &open[14]), (&text("surfacing"), &Value::Null));
    assert_eq!(turnaround_days(0, None, Some(DAY / 2)), Some(0.5));
    assert_eq!(turnaround_days(0, Some(DAY), Some(3 * DAY)), Some(1.0));
    assert_eq!(turnaround_days(0, None, None), None);
}
