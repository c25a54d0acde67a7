//! The host's reads for reporting plugins, called as the plugin host calls them
//! (`Plugins::services`), on both backends: paged orders, quality failures, stock and purchase
//! orders (every row once across pages, another tenant's never), aggregates that agree with
//! what the test computes from its own seed, one audit row per call; the tenant directory;
//! examinations as an NHS claim reads them; kv paging after a key and compare-and-set, atomic
//! under concurrency and still held by the kv quotas.
//!
//! Orders are seeded with SQL (their timelines need chosen times); stock and purchasing through
//! the API, their times then set as the database owner. `ILS_REPORT_ORDERS=100000` makes
//! `a_busy_year_of_orders_aggregates_as_the_seed_says` seed a busy lab's year and print how long
//! the aggregate took.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use ils_core::ids::TenantId;
use ils_host_api::Scope;
use ils_host_api::services::{HostServices, PageRequest, Period, Query, ResultSet, ServiceError};
use ils_records::reports::engine;
use ils_records::reports::{Filter, Measure, Op, Value};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::harness::{Tenant, TestApp, db_test};
use crate::seed::{DAY_MS, HOUR_MS, JAN_1, Seeded, plan_orders, plan_year, seed_orders};
use crate::stock::{adjust, item, location};

const PLUGIN: &str = "report-reader";

fn services(app: &TestApp) -> &HostServices {
    app.state.plugins.services()
}

fn scope(tenant: &Tenant) -> Scope {
    Scope {
        tenant: tenant.id.parse().unwrap(),
        plugin: ils_registry::PluginId::new(PLUGIN).unwrap(),
        version: "1.2.0".parse().unwrap(),
        caller: None,
    }
}

pub(crate) fn tenant_id(tenant: &Tenant) -> TenantId {
    tenant.id.parse().unwrap()
}

fn january() -> Period {
    Period::new("2026-01-01", "2026-02-01")
}

/// Runs `sql` as the database owner (no row-level security).
pub(crate) async fn owner(app: &TestApp, sql: String) {
    use sqlx::Connection as _;
    let url = app.inspect_url();
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
}

/// A SQL literal of an id, as the backend stores it.
pub(crate) fn id_literal(app: &TestApp, text: &str) -> String {
    let uuid: Uuid = text.parse().expect("an id");
    if app.db_path().is_some() { format!("X'{}'", uuid.simple()) } else { format!("'{uuid}'") }
}

/// A time as a literal both backends read as the same instant.
pub(crate) fn literal(ms: i64) -> String {
    let t = jiff::Timestamp::from_millisecond(ms).unwrap();
    format!("'{}'", t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
}

/// PostgreSQL's `percentile_cont`, as the test works it out.
pub(crate) fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = p * (values.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    values[lo] + (values[hi] - values[lo]) * (rank - lo as f64)
}

fn turnaround_query(period: Period) -> Query {
    Query {
        dataset: "orders".into(),
        period,
        filters: vec![],
        group_by: vec!["lens_type".into()],
        measures: vec![
            Measure::Count,
            Measure::Percentile("turnaround_days".into(), 0.5),
            Measure::Percentile("turnaround_days".into(), 0.9),
        ],
        order_by: vec![],
        limit: 100,
    }
}

/// Checks an aggregate of `turnaround_query` against the seed: per lens type, the count and
/// the median and p90 of the turnarounds the seed planned.
fn assert_turnarounds_match(result: &ResultSet, orders: &[Seeded]) {
    let mut by_lens: BTreeMap<&str, Vec<&Seeded>> = BTreeMap::new();
    for o in orders {
        by_lens.entry(o.lens_type).or_default().push(o);
    }
    assert_eq!(result.rows.len(), by_lens.len(), "{:?}", result.rows);
    for (row, (lens, seeded)) in result.rows.iter().zip(&by_lens) {
        let days: Vec<f64> = seeded.iter().filter_map(|o| o.turnaround_days()).collect();
        assert_eq!(row[0], Value::Text((*lens).into()));
        assert_eq!(row[1], Value::Int(seeded.len() as i64), "{lens}");
        for (column, p) in [(2, 0.5), (3, 0.9)] {
            let Value::Float(got) = row[column] else { panic!("{lens}: {:?}", row[column]) };
            let want = percentile(days.clone(), p);
            assert!((got - want).abs() < 1e-6, "{lens} p{p}: got {got}, want {want}");
        }
    }
}

/// The `report_data.read` rows of the tenant's audit log.
/// The tenant's report reads in the order they were made (the log lists the newest first).
async fn report_audit(app: &TestApp, tenant: &Tenant) -> Vec<Json> {
    let audit = app.get("/api/v1/audit?action=report_data.read&limit=200", &tenant.admin.token).await;
    audit.ok(200)["items"].as_array().unwrap().iter().rev().cloned().collect()
}

db_test!(
    async fn orders_page_once_each_and_aggregate_as_the_seed_says_for_their_tenant_only(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha-lab").await;
        let b = app.tenant("beta-lab").await;
        let ours = plan_orders(40, JAN_1 + 8 * HOUR_MS, &["single_vision", "progressive", "bifocal"]);
        let theirs = plan_orders(9, JAN_1 + 9 * HOUR_MS, &["trifocal"]);
        seed_orders(&app.db, tenant_id(&a), &ours).await;
        seed_orders(&app.db, tenant_id(&b), &theirs).await;
        let reports = &services(&app).reports;

        // Seven at a time: every order of January exactly once, oldest first, none of B's.
        let mut seen = Vec::new();
        let mut cursor = None;
        let mut pages = 0;
        loop {
            let page = reports.orders(&scope(&a), &january(), &PageRequest { cursor, limit: 7 }).await.unwrap();
            pages += 1;
            seen.extend(page.rows);
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(pages, 6);
        let ids: Vec<String> = seen.iter().map(|o| o.id.clone()).collect();
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ours.len(), "each order once");
        let want: HashSet<String> = ours.iter().map(|o| o.id.to_string()).collect();
        assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), want, "A's orders and only them");
        assert!(seen.windows(2).all(|w| w[0].created_at_ms <= w[1].created_at_ms), "oldest first");

        // What a row carries: the timeline, shipping from it, the reason and routing as reports spell them.
        let failed = &ours[1];
        let row = seen.iter().find(|o| o.id == failed.id.to_string()).unwrap();
        assert_eq!((row.routing.as_str(), row.reason.as_str()), ("external", "new"));
        assert_eq!(row.counterpart.as_deref(), Some("Vision Practice"));
        assert_eq!(row.coatings, ["hard_coat"]);
        assert_eq!(row.price.minor, failed.price_minor);
        assert_eq!(row.shipped_at_ms, failed.shipped);
        assert_eq!(row.timeline.first().map(|s| s.to_status.as_str()), Some("pending"));
        assert!(row.timeline.iter().any(|s| s.quality_issue.as_deref() == Some("coating_defect")));

        // The aggregate agrees with the seed, and with the engine run over the paged rows.
        let query = turnaround_query(january());
        let result = reports.aggregate(&scope(&a), &query).await.unwrap();
        assert_eq!(result.columns, ["lens_type", "count", "percentile(turnaround_days,0.5)", "percentile(turnaround_days,0.9)"]);
        assert_turnarounds_match(&result, &ours);
        let dataset = ils_records::reports::Dataset::named("orders").unwrap();
        let from_pages = engine::aggregate(dataset, seen.iter().map(engine::order_fields), &query).unwrap();
        assert_eq!(result, from_pages, "one dataset row whichever way it is read");
        let mut every_field = query.clone();
        every_field.group_by = vec!["number".into(), "routing".into(), "counterpart".into(), "station".into(),
            "status".into(), "shipped_at".into(), "completed_at".into(), "turnaround_days".into()];
        let by_order = reports.aggregate(&scope(&a), &every_field).await.unwrap();
        let by_order_from_pages = engine::aggregate(dataset, seen.iter().map(engine::order_fields), &every_field).unwrap();
        assert_eq!(by_order, by_order_from_pages);

        // B sees its own: nine trifocals, none of A's.
        let theirs_result = reports.aggregate(&scope(&b), &query).await.unwrap();
        assert_turnarounds_match(&theirs_result, &theirs);
        let b_page = reports.orders(&scope(&b), &january(), &PageRequest { cursor: None, limit: 500 }).await.unwrap();
        assert!(b_page.rows.iter().all(|o| !want.contains(&o.id)));

        // Filters and buckets reach the database's rows: open orders by week.
        let mut open = query.clone();
        open.filters = vec![Filter { field: "shipped_at".into(), op: Op::IsNull, values: vec![] },
                            Filter { field: "completed_at".into(), op: Op::IsNull, values: vec![] }];
        open.group_by = vec!["created_at:week".into()];
        open.measures = vec![Measure::Count];
        let weeks = reports.aggregate(&scope(&a), &open).await.unwrap();
        let open_count: i64 = weeks.rows.iter().map(|r| match r[1] { Value::Int(n) => n, _ => 0 }).sum();
        assert_eq!(open_count, ours.iter().filter(|o| o.turnaround_days().is_none()).count() as i64);
        assert_eq!(weeks.rows[0][0], Value::Text("2026-W01".into()));

        // A cursor from nowhere, a bad period and a bad query are the plugin's mistakes.
        let forged = PageRequest { cursor: Some("yesterday".into()), limit: 5 };
        assert!(matches!(reports.orders(&scope(&a), &january(), &forged).await, Err(ServiceError::Invalid(_))));
        let mut bad = query.clone();
        bad.measures = vec![Measure::Sum("lens_type".into())];
        assert!(matches!(reports.aggregate(&scope(&a), &bad).await, Err(ServiceError::Invalid(_))));

        // Every successful call is in A's audit log (six pages, three aggregates), none in B's but B's own.
        let audit = report_audit(&app, &a).await;
        assert_eq!(audit.len(), 6 + 3);
        assert_eq!(audit[0]["entity_id"], "orders");
        assert_eq!(audit[0]["changes"]["plugin"], PLUGIN);
        assert_eq!(audit[0]["changes"]["version"], "1.2.0");
        assert_eq!(audit[0]["changes"]["rows"], 7);
        assert_eq!(audit[0]["changes"]["period"], json!({ "start": "2026-01-01", "end": "2026-02-01" }));
        assert_eq!(audit[6]["changes"]["read"], "aggregate");
        assert_eq!(audit[6]["changes"]["rows"], 3);
        assert_eq!(audit[6]["request_id"], format!("plugin:{PLUGIN}@1.2.0"));
        assert_eq!(report_audit(&app, &b).await.len(), 2);
    }
);

db_test!(
    async fn quality_failures_come_with_their_remakes(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha-lab").await;
        let b = app.tenant("beta-lab").await;
        let ours = plan_orders(30, JAN_1 + 8 * HOUR_MS, &["single_vision", "progressive"]);
        seed_orders(&app.db, tenant_id(&a), &ours).await;
        seed_orders(&app.db, tenant_id(&b), &plan_orders(12, JAN_1, &["bifocal"])).await;
        let reports = &services(&app).reports;
        let period = Period::new("2026-01-01", "2026-03-01");
        let failures: Vec<&Seeded> = ours.iter().filter(|o| o.failure.is_some()).collect();

        let mut rows = Vec::new();
        let mut cursor = None;
        loop {
            let page = reports.quality(&scope(&a), &period, &PageRequest { cursor, limit: 3 }).await.unwrap();
            rows.extend(page.rows);
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(rows.len(), failures.len());
        for row in &rows {
            let seeded = ours.iter().find(|o| o.id.to_string() == row.order_id).expect("one of A's orders");
            let (issue, when) = seeded.failure.unwrap();
            assert_eq!((row.issue.as_str(), row.at_ms), (issue, when));
            assert_eq!(row.station.as_deref(), Some("inspection"), "found at inspection");
            assert_eq!(row.remake_order_id, seeded.remade_by.map(|r| r.to_string()));
        }

        let query = Query {
            dataset: "quality".into(),
            period,
            filters: vec![],
            group_by: vec!["issue".into()],
            measures: vec![Measure::Count, Measure::Sum("remade".into())],
            order_by: vec![("count".into(), true)],
            limit: 10,
        };
        let result = reports.aggregate(&scope(&a), &query).await.unwrap();
        let count = |issue: &str| failures.iter().filter(|o| o.failure.unwrap().0 == issue).count() as i64;
        let remade = |issue: &str| {
            failures.iter().filter(|o| o.failure.unwrap().0 == issue && o.remade_by.is_some()).count() as i64
        };
        let mut want = vec![
            vec![Value::Text("coating_defect".into()), Value::Int(count("coating_defect")), Value::Int(remade("coating_defect"))],
            vec![Value::Text("wrong_power".into()), Value::Int(count("wrong_power")), Value::Int(remade("wrong_power"))],
        ];
        want.sort_by_key(|r| match r[1] { Value::Int(n) => -n, _ => 0 });
        assert_eq!(result.rows, want);
        assert_eq!(report_audit(&app, &a).await.len(), failures.len().div_ceil(3) + 1);
    }
);

/// A purchase order of `lines` (item, quantity, unit price) to `supplier`, sent.
pub(crate) async fn purchase(
    app: &TestApp,
    token: &str,
    supplier: &str,
    store: &str,
    lines: &[(&str, i64, i64)],
) -> String {
    let lines: Vec<Json> = lines
        .iter()
        .map(|(item, q, price)| json!({ "item_id": item, "quantity": q, "unit_price_minor": price }))
        .collect();
    let body = json!({ "supplier_id": supplier, "location_id": store, "currency": "GBP", "lines": lines });
    let id = app.post("/api/v1/purchase-orders", Some(token), body).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(&format!("/api/v1/purchase-orders/{id}/send"), Some(token), json!({})).await.ok(200);
    id
}

pub(crate) async fn receive(app: &TestApp, token: &str, order: &str, lines: &[(&str, i64)]) -> String {
    let lines: Vec<Json> = lines.iter().map(|(item, q)| json!({ "item_id": item, "quantity": q })).collect();
    let path = format!("/api/v1/purchase-orders/{order}/receipts");
    let receipt = app.post(&path, Some(token), json!({ "lines": lines })).await;
    receipt.ok(201)["id"].as_str().unwrap().to_owned()
}

/// Sets when a purchase order was raised and sent, and when a receipt arrived.
pub(crate) async fn set_times(
    app: &TestApp,
    order: &str,
    created: i64,
    sent: i64,
    receipt: &str,
    received: i64,
) {
    let id = |text: &str| id_literal(app, text);
    owner(
        app,
        format!(
            "UPDATE purchase_orders SET created_at = {}, sent_at = {} WHERE id = {}",
            literal(created),
            literal(sent),
            id(order)
        ),
    )
    .await;
    owner(
        app,
        format!("UPDATE goods_receipts SET received_at = {} WHERE id = {}", literal(received), id(receipt)),
    )
    .await;
}

db_test!(
    async fn stock_is_valued_at_the_last_received_price_and_purchase_lines_have_lead_times_and_fill_rates(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha-lab").await;
        let b = app.tenant("beta-lab").await;
        let token = a.admin.token.as_str();
        let store = location(&app, token, "Store").await;
        let lens = item(&app, token, "LENS", 5).await;
        let frame = item(&app, token, "FRAME", 0).await;
        let case = item(&app, token, "CASE", 5).await;
        let lens_co = crate::purchasing::supplier(&app, token, "Lens Co").await;
        let frame_co = crate::purchasing::supplier(&app, token, "Frame Co").await;
        let first = purchase(&app, token, &lens_co, &store, &[(&lens, 10, 100), (&frame, 4, 900)]).await;
        let first_receipt = receive(&app, token, &first, &[(&lens, 10), (&frame, 2)]).await;
        let second = purchase(&app, token, &frame_co, &store, &[(&lens, 5, 120)]).await;
        let second_receipt = receive(&app, token, &second, &[(&lens, 5)]).await;
        adjust(&app, token, &case, &store, 3).await.ok(201);
        adjust(&app, token, &lens, &store, -2).await.ok(201);
        // Raised on Jan 2 and sent the next day, received 3.5 days later; the second sent on Jan 10
        // at noon and received two days later.
        set_times(&app, &first, JAN_1 + DAY_MS + 9 * HOUR_MS, JAN_1 + 2 * DAY_MS + 9 * HOUR_MS, &first_receipt,
                  JAN_1 + 5 * DAY_MS + 21 * HOUR_MS).await;
        set_times(&app, &second, JAN_1 + 9 * DAY_MS, JAN_1 + 9 * DAY_MS + 12 * HOUR_MS, &second_receipt,
                  JAN_1 + 11 * DAY_MS + 12 * HOUR_MS).await;
        let b_store = location(&app, &b.admin.token, "Back room").await;
        let b_item = item(&app, &b.admin.token, "THEIRS", 0).await;
        adjust(&app, &b.admin.token, &b_item, &b_store, 7).await.ok(201);
        let reports = &services(&app).reports;

        // Levels: a page at a time, every level once, the lens at the later receipt's price.
        let first_page = reports.stock_levels(&scope(&a), &PageRequest { cursor: None, limit: 2 }).await.unwrap();
        assert_eq!(first_page.rows.len(), 2);
        let rest = PageRequest { cursor: first_page.next_cursor.clone(), limit: 2 };
        let second_page = reports.stock_levels(&scope(&a), &rest).await.unwrap();
        assert_eq!((second_page.rows.len(), second_page.next_cursor.as_deref()), (1, None));
        let levels: Vec<_> = first_page.rows.into_iter().chain(second_page.rows).collect();
        let level = |sku: &str| levels.iter().find(|l| l.sku == sku).unwrap();
        assert_eq!((level("LENS").on_hand, level("LENS").unit_value.as_ref().map(|m| m.minor)), (13, Some(120)));
        assert_eq!((level("FRAME").on_hand, level("FRAME").unit_value.as_ref().map(|m| m.minor)), (2, Some(900)));
        assert_eq!((level("CASE").on_hand, level("CASE").unit_value.clone()), (3, None));
        assert_eq!(level("CASE").location_name, "Store");

        let stock_value = Query {
            dataset: "stock_levels".into(),
            period: Period::new("2000-01-01", "2000-01-02"),
            filters: vec![],
            group_by: vec![],
            measures: vec![Measure::Count, Measure::Sum("value_minor".into()), Measure::Sum("below_reorder".into())],
            order_by: vec![],
            limit: 10,
        };
        let value = reports.aggregate(&scope(&a), &stock_value).await.unwrap();
        // 13 × 120 + 2 × 900; the case has no price; only the case is under its reorder point.
        assert_eq!(value.rows, [[Value::Int(3), Value::Int(1_560 + 1_800), Value::Int(1)]]);

        // Movements: receipts and adjustments, valued at today's unit value; B's are not here.
        let all_time = Period::new("2000-01-01", "2100-01-01");
        let moves = reports.stock_movements(&scope(&a), &all_time, &PageRequest { cursor: None, limit: 50 }).await.unwrap();
        assert_eq!(moves.rows.len(), 5);
        assert!(moves.rows.iter().all(|m| m.sku != "THEIRS"));
        let damaged = moves.rows.iter().find(|m| m.delta == -2).unwrap();
        assert_eq!((damaged.kind.as_str(), damaged.quantity_after, damaged.value.as_ref().map(|v| v.minor)), ("adjustment", 13, Some(-240)));
        let by_sku = Query {
            dataset: "stock_movements".into(),
            period: all_time.clone(),
            group_by: vec!["sku".into()],
            measures: vec![Measure::Sum("delta".into()), Measure::Sum("value_minor".into())],
            ..stock_value.clone()
        };
        let moved = reports.aggregate(&scope(&a), &by_sku).await.unwrap();
        assert_eq!(moved.rows, [
            vec![Value::Text("CASE".into()), Value::Int(3), Value::Null],
            vec![Value::Text("FRAME".into()), Value::Int(2), Value::Int(1_800)],
            vec![Value::Text("LENS".into()), Value::Int(13), Value::Int(1_560)],
        ]);

        // Purchase orders of January, one a page, with their lines and receipts.
        let page = reports.purchase_orders(&scope(&a), &january(), &PageRequest { cursor: None, limit: 1 }).await.unwrap();
        let po = &page.rows[0];
        assert_eq!((po.id.as_str(), po.supplier_name.as_str(), po.status.as_str()), (first.as_str(), "Lens Co", "partially_received"));
        assert_eq!(po.sent_at_ms, Some(JAN_1 + 2 * DAY_MS + 9 * HOUR_MS));
        assert_eq!(po.lines.iter().map(|l| (l.sku.as_str(), l.quantity, l.received, l.unit_price_minor)).collect::<Vec<_>>(),
                   [("LENS", 10, 10, 100), ("FRAME", 4, 2, 900)]);
        assert_eq!(po.receipts.len(), 1);
        assert_eq!(po.receipts[0].received_at_ms, JAN_1 + 5 * DAY_MS + 21 * HOUR_MS);
        let mut received = po.receipts[0].lines.clone();
        received.sort();
        let mut want = vec![(lens.clone(), 10), (frame.clone(), 2)];
        want.sort();
        assert_eq!(received, want);
        let next = PageRequest { cursor: page.next_cursor.clone(), limit: 1 };
        let page = reports.purchase_orders(&scope(&a), &january(), &next).await.unwrap();
        assert_eq!((page.rows[0].id.as_str(), page.next_cursor.as_deref()), (second.as_str(), None));

        // Lines: lead time from sending to the first receipt of the item, and what share arrived.
        let lines = Query {
            dataset: "purchase_lines".into(),
            period: january(),
            group_by: vec!["supplier".into()],
            measures: vec![Measure::Count, Measure::Avg("lead_time_days".into()), Measure::Avg("fill_rate".into()),
                           Measure::Min("first_receipt_at".into())],
            ..stock_value.clone()
        };
        let by_supplier = reports.aggregate(&scope(&a), &lines).await.unwrap();
        assert_eq!(by_supplier.rows, [
            vec![Value::Text("Frame Co".into()), Value::Int(1), Value::Float(2.0), Value::Float(1.0),
                 Value::Time(JAN_1 + 11 * DAY_MS + 12 * HOUR_MS)],
            vec![Value::Text("Lens Co".into()), Value::Int(2), Value::Float(3.5), Value::Float(0.75),
                 Value::Time(JAN_1 + 5 * DAY_MS + 21 * HOUR_MS)],
        ]);

        // B's reads hold only B's stock.
        let b_value = reports.aggregate(&scope(&b), &stock_value).await.unwrap();
        assert_eq!(b_value.rows, [[Value::Int(1), Value::Null, Value::Int(0)]]);
        let b_lines = reports.aggregate(&scope(&b), &lines).await.unwrap();
        assert!(b_lines.rows.is_empty());
        assert_eq!(report_audit(&app, &a).await.len(), 2 + 1 + 1 + 1 + 2 + 1);
    }
);

/// A catalogue version of [`PLUGIN`] that `tenant` has enabled: what kv rows hang from.
async fn enable_plugin(app: &TestApp, tenant: &Tenant) {
    owner(
        app,
        format!(
            "INSERT INTO plugin_catalogue (plugin_id, version, digest, manifest, min_plan, added_at)
        VALUES ('{PLUGIN}', '1.2.0', '{}', '', 'free', {}) ON CONFLICT DO NOTHING",
            "a".repeat(64),
            literal(JAN_1)
        ),
    )
    .await;
    let mut tx = app.db.tenant(tenant.id.parse().unwrap()).await.unwrap();
    let enable = ils_core::plugins::store::Enable {
        plugin: PLUGIN,
        version: "1.2.0",
        track: None,
        capabilities: "kv reports-read".into(),
        config: "{}".into(),
        by: None,
    };
    ils_core::plugins::store::enable(&mut tx, &enable).await.unwrap();
    tx.commit().await.unwrap();
}

db_test!(
    async fn kv_keys_page_after_a_key_and_compare_and_set_lets_one_writer_win(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha-lab").await;
        let b = app.tenant("beta-lab").await;
        enable_plugin(&app, &a).await;
        enable_plugin(&app, &b).await;
        let kv = services(&app).kv.clone();
        let s = scope(&a);
        for key in ["a/5", "a/1", "a/3", "b/1", "a/2", "a/4", "a%"] {
            kv.set(&s, key, key.as_bytes().to_vec()).await.unwrap();
        }
        kv.set(&scope(&b), "a/0", b"theirs".to_vec()).await.unwrap();

        // Two at a time after the last key seen; `%` is a key's character, not a pattern.
        let mut pages = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let keys = kv.list_keys(&s, "a/", after.as_deref(), 2).await.unwrap();
            if keys.is_empty() {
                break;
            }
            after = keys.last().cloned();
            pages.push(keys);
        }
        assert_eq!(pages, [vec!["a/1", "a/2"], vec!["a/3", "a/4"], vec!["a/5"]]);
        assert_eq!(kv.list_keys(&s, "a", None, 2).await.unwrap(), ["a%", "a/1"], "bytewise: '%' sorts before '/'");
        assert_eq!(kv.list_keys(&scope(&b), "a/", None, 10).await.unwrap(), ["a/0"]);

        // Compare-and-set: absent → 1; a second "absent" loses; 1 → 2; a stale 1 loses; 2 → deleted.
        assert!(kv.compare_and_set(&s, "lock", None, Some(b"1".to_vec())).await.unwrap());
        assert!(!kv.compare_and_set(&s, "lock", None, Some(b"x".to_vec())).await.unwrap());
        assert_eq!(kv.get(&s, "lock").await.unwrap().as_deref(), Some(&b"1"[..]));
        assert!(kv.compare_and_set(&s, "lock", Some(b"1"), Some(b"2".to_vec())).await.unwrap());
        assert!(!kv.compare_and_set(&s, "lock", Some(b"1"), Some(b"3".to_vec())).await.unwrap());
        assert!(kv.compare_and_set(&s, "lock", Some(b"2"), None).await.unwrap());
        assert_eq!(kv.get(&s, "lock").await.unwrap(), None);
        assert!(!kv.compare_and_set(&scope(&b), "a/1", Some(b"a/1"), None).await.unwrap(), "A's value is not B's");

        // Racing writers: eight claim one key and exactly one wins; four count to forty by CAS.
        let claims = (0..8u8).map(|i| {
            let (kv, s) = (kv.clone(), s.clone());
            tokio::spawn(async move { kv.compare_and_set(&s, "claim", None, Some(vec![i])).await.unwrap() })
        });
        let won = futures_util::future::join_all(claims).await.into_iter().filter(|w| *w.as_ref().unwrap()).count();
        assert_eq!(won, 1);
        let counters = (0..4).map(|_| {
            let (kv, s) = (kv.clone(), s.clone());
            tokio::spawn(async move {
                for _ in 0..10 {
                    loop {
                        let old = kv.get(&s, "count").await.unwrap();
                        let n = old.as_deref().map_or(0, |v| u64::from_le_bytes(v.try_into().unwrap()));
                        let new = (n + 1).to_le_bytes().to_vec();
                        if kv.compare_and_set(&s, "count", old.as_deref(), Some(new)).await.unwrap() {
                            break;
                        }
                    }
                }
            })
        });
        for c in futures_util::future::join_all(counters).await {
            c.unwrap();
        }
        let count = kv.get(&s, "count").await.unwrap().unwrap();
        assert_eq!(u64::from_le_bytes(count.try_into().unwrap()), 40);

        // The kv quotas hold for compare-and-set: at the key quota, a new key is refused.
        owner(&app, format!(
            "UPDATE plugin_usage SET kv_keys_quota = kv_keys WHERE plugin_id = '{PLUGIN}'
                AND tenant_id = (SELECT id FROM tenants WHERE slug = 'alpha-lab')"
        )).await;
        let refused = kv.compare_and_set(&s, "one-more", None, Some(b"1".to_vec())).await;
        assert!(matches!(&refused, Err(ServiceError::Invalid(m)) if m.starts_with("quota:")), "{refused:?}");
        assert_eq!(kv.get(&s, "one-more").await.unwrap(), None);
        assert!(kv.compare_and_set(&s, "claim", Some(&kv.get(&s, "claim").await.unwrap().unwrap()), Some(vec![9])).await.unwrap(),
                "an overwrite adds no key");
    }
);

db_test!(
    async fn an_examination_reads_with_its_performer_previous_test_refraction_and_prescription(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant_of_kind("alpha-eyes", ils_core::tenants::TenantKind::Ecp).await;
        let b = app.tenant("beta-lab").await;
        let optom = app.member(&a, "olive", "ecp").await;
        let token = Some(optom.token.as_str());
        let patient = json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" });
        let patient = app.post("/api/v1/patients", token, patient).await.ok(201)["id"].as_str().unwrap().to_owned();
        let examine = async |on: &str, refraction: Option<Json>, finalise: bool| {
            let mut body = json!({ "examined_on": on });
            if let Some(r) = refraction {
                body["refraction"] = r;
            }
            let path = format!("/api/v1/patients/{patient}/examinations");
            let id = app.post(&path, token, body).await.ok(201)["id"].as_str().unwrap().to_owned();
            if finalise {
                app.post(&format!("/api/v1/examinations/{id}/finalise"), token, json!({})).await.ok(200);
            }
            id
        };
        let first = examine("2024-03-01", None, true).await;
        examine("2025-06-01", None, false).await;
        let refraction = json!({ "right": { "sphere": "+2.00", "cylinder": "+1.00", "axis": 180, "add": "+2.00" },
                                 "left": { "sphere": "-1.50", "add": "+2.00" } });
        let latest = examine("2025-09-01", Some(refraction), true).await;
        let prescribe = json!({ "kind": "spectacles", "prescriber": "O. Optom" });
        let rx = app.post(&format!("/api/v1/examinations/{latest}/prescription"), token, prescribe).await;
        let rx = rx.ok(201)["id"].as_str().unwrap().to_owned();
        let clinical = &services(&app).clinical;

        let exam = clinical.examination(&scope(&a), &latest).await.unwrap();
        assert_eq!((exam.patient_id.as_str(), exam.examined_on.as_str()), (patient.as_str(), "2025-09-01"));
        assert!(exam.finalised_at_ms.is_some());
        assert_eq!(exam.performed_by.as_deref(), Some(optom.user_id.as_str()));
        assert_eq!(exam.performer_name.as_deref(), Some("olive"));
        assert_eq!(exam.last_sight_test_on.as_deref(), Some("2024-03-01"), "the draft in between is no sight test");
        let right = exam.refraction_right.unwrap();
        // Kept in minus-cylinder form: +2.00/+1.00×180 is +3.00/−1.00×90.
        assert_eq!((right.sphere.to_string(), right.cylinder.map(|c| c.to_string()), right.axis), ("+3.00".into(), Some("-1.00".into()), Some(90)));
        assert_eq!(right.add.map(|a| a.to_string()).as_deref(), Some("+2.00"));
        let left = exam.refraction_left.unwrap();
        assert_eq!((left.sphere.to_string(), left.cylinder, left.axis), ("-1.50".into(), None, None));
        assert_eq!(exam.prescription_id.as_deref(), Some(rx.as_str()));

        let oldest = clinical.examination(&scope(&a), &first).await.unwrap();
        assert_eq!((oldest.last_sight_test_on, oldest.refraction_right, oldest.prescription_id), (None, None, None));

        // Another tenant, or no such examination: not found, and nothing audited for it.
        assert_eq!(clinical.examination(&scope(&b), &latest).await, Err(ServiceError::NotFound));
        assert_eq!(clinical.examination(&scope(&a), "nonsense").await, Err(ServiceError::NotFound));
        let audit = app.get("/api/v1/audit?action=examination.read&limit=50", &a.admin.token).await;
        // In the order they were made (the log lists the newest first).
        let plugin_reads: Vec<Json> = audit.ok(200)["items"].as_array().unwrap().iter().rev()
            .filter(|e| e["changes"]["plugin"] == PLUGIN).cloned().collect();
        assert_eq!(plugin_reads.len(), 2);
        assert_eq!(plugin_reads[0]["entity_id"], latest);
        assert_eq!(plugin_reads[0]["changes"]["patient_id"], patient);

        // The tenant a plugin runs for, by name and kind.
        let tenant = services(&app).tenants.tenant(&scope(&a)).await.unwrap();
        assert_eq!((tenant.id.to_string(), tenant.name.as_str(), tenant.kind.as_str()), (a.id.clone(), "Tenant alpha-eyes", "ecp"));
    }
);

db_test!(
    async fn a_busy_year_of_orders_aggregates_as_the_seed_says(backend) {
        let n: usize = std::env::var("ILS_REPORT_ORDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(3_000);
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("busy-lab").await;
        // Spread over the year: 3 hours apart makes 2,920 a year, so scale the step to `n`.
        let orders = plan_year(n, &["single_vision", "progressive", "bifocal", "trifocal", "occupational"]);
        let seeding = Instant::now();
        seed_orders(&app.db, tenant_id(&a), &orders).await;
        let seeded = seeding.elapsed();
        let reports = &services(&app).reports;
        let year = Period::new("2026-01-01", "2027-01-01");
        let query = turnaround_query(year.clone());
        let mut took = Vec::new();
        let mut result = None;
        for _ in 0..3 {
            let started = Instant::now();
            result = Some(reports.aggregate(&scope(&a), &query).await.unwrap());
            took.push(started.elapsed());
        }
        assert_turnarounds_match(&result.unwrap(), &orders);
        let mut by_month = query.clone();
        by_month.group_by = vec!["created_at:month".into(), "lens_type".into()];
        let started = Instant::now();
        let months = reports.aggregate(&scope(&a), &by_month).await.unwrap();
        let by_month_took = started.elapsed();
        assert_eq!(months.rows.len(), 12 * 5);
        eprintln!(
            "{backend:?}: {n} orders seeded in {seeded:?}; aggregate (median and p90 turnaround by lens type) took {took:?}; by month and lens type {by_month_took:?}"
        );
    }
);
