//! The `reports` plugin as a lab meets it, on both backends: the real component installed and
//! enabled, a lab's orders, failed checks, remakes, stock and purchase orders seeded through
//! core, and each of its five reports rendered over HTTP as CSV, HTML and PDF. The test works
//! out every figure it checks from its own seed: the CSV tables match exactly, the HTML and the
//! PDF's text (read with poppler's `pdftotext`) show them, and every PDF page renders with
//! `pdftoppm` with its fonts embedded (`pdffonts`).
//!
//! `ILS_REPORT_PAGES=docs/reports` keeps the first page of each report there as a PNG (how the
//! pictures in `docs/reports/` are made).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::guests::install;
use crate::harness::{Tenant, TestApp, db_test};
use crate::pdf::read_pdf;
use crate::report_reads::{percentile, purchase, receive, set_times, tenant_id};
use crate::seed::{DAY_MS, HOUR_MS, JAN_1, Seeded, plan_orders, seed_orders};
use crate::stock::{adjust, item, location};

/// The plugin's manifest, as shipped.
const REPORTS: &str = include_str!("../../../plugins/reports/ils-plugin.toml");

const LENSES: [&str; 3] = ["single_vision", "progressive", "bifocal"];
/// The orders' reports cover January and February 2026.
const ORDERS_PERIOD: (&str, &str) = ("2026-01-01", "2026-03-01");
const FEB_1: i64 = JAN_1 + 31 * DAY_MS;
const MAR_1: i64 = FEB_1 + 28 * DAY_MS;

async fn enable_reports(app: &TestApp, tenant: &Tenant) {
    let body = json!({ "version": "0.1.0", "consent": ["reports-read", "files-write"] });
    app.put("/api/v1/tenant/plugins/reports", &tenant.admin.token, body).await.ok(200);
}

/// A report rendered over HTTP, the file's bytes (the client follows the answer's redirect).
async fn render(app: &TestApp, tenant: &Tenant, report: &str, format: &str, period: (&str, &str)) -> Vec<u8> {
    let body = json!({ "format": format, "params": { "period": { "start": period.0, "end": period.1 } } });
    let url = format!("{}/api/v1/reports/reports/{report}/render?wait=120", app.base);
    let answer =
        app.client.post(url).bearer_auth(&tenant.admin.token).json(&body).send().await.expect("render");
    let status = answer.status();
    let bytes = answer.bytes().await.expect("body").to_vec();
    assert_eq!(status, 200, "{report} as {format}: {}", String::from_utf8_lossy(&bytes));
    bytes
}

/// The lines of the CSV table titled `title` (header first). A report of one table writes it
/// without its title.
fn table(csv: &str, title: &str) -> Vec<String> {
    let lines = |block: &str| block.split("\r\n").filter(|l| !l.is_empty()).map(str::to_owned).collect();
    if !csv.trim_end().contains("\r\n\r\n") {
        return lines(csv);
    }
    for block in csv.split("\r\n\r\n") {
        let mut lines = block.split("\r\n").filter(|l| !l.is_empty());
        if lines.next() == Some(title) {
            return lines.map(str::to_owned).collect();
        }
    }
    panic!("no table {title:?} in\n{csv}");
}

/// A table's header, its rows in any order, and its closing total row.
#[track_caller]
fn assert_table(csv: &str, title: &str, header: &str, mut rows: Vec<String>, total: Option<String>) {
    let mut got = table(csv, title);
    assert_eq!(got.remove(0), header, "{title}");
    if let Some(total) = total {
        assert_eq!(got.pop().as_ref(), Some(&total), "{title}'s total row");
    }
    got.sort();
    rows.sort();
    assert_eq!(got, rows, "{title}");
}

/// `1234567.5` as people read it in HTML and PDF: `1,234,567.5`.
fn grouped(plain: &str) -> String {
    let (sign, rest) = plain.strip_prefix('-').map_or(("", plain), |r| ("-", r));
    let (whole, fraction) = rest.split_once('.').map_or((rest, None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

fn pence(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn one(value: f64) -> String {
    format!("{value:.1}")
}

/// `single_vision` as the reports write it.
fn humanize(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Renders `report` in all three formats; returns the CSV after checking that the HTML and the
/// PDF show the tenant's name and each of `figures` (as people read them).
async fn render_all(
    app: &TestApp,
    tenant: &Tenant,
    report: &str,
    period: (&str, &str),
    figures: &[String],
) -> String {
    let csv = String::from_utf8(render(app, tenant, report, "csv", period).await).expect("CSV is UTF-8");
    let html = String::from_utf8(render(app, tenant, report, "html", period).await).expect("HTML is UTF-8");
    let pdf = render(app, tenant, report, "pdf", period).await;
    let name = format!("Tenant {}", tenant.slug);
    assert!(html.contains(&name) && html.contains("<svg"), "{report}: name or chart missing");
    assert!(pdf.starts_with(b"%PDF-"), "{report}: not a PDF");
    let text = read_pdf(&pdf, report);
    for figure in figures {
        assert!(html.contains(&format!(">{figure}<")), "{report}'s HTML lacks {figure}");
        if let Some(text) = &text {
            assert!(text.contains(figure.as_str()), "{report}'s PDF lacks {figure}:\n{text}");
        }
    }
    if let Some(text) = &text {
        assert!(text.contains(&name), "{report}'s PDF lacks the lab's name");
    }
    csv
}

/// Orders placed in the period.
fn placed(orders: &[Seeded]) -> Vec<&Seeded> {
    orders.iter().filter(|o| (JAN_1..MAR_1).contains(&o.created)).collect()
}

/// Median and 90th percentile turnaround of `orders` that have one: `(count, median, p90)`.
fn turnaround<'a>(orders: impl Iterator<Item = &'a &'a Seeded>) -> (usize, String, String) {
    let days: Vec<f64> = orders.filter_map(|o| o.turnaround_days()).collect();
    (days.len(), one(percentile(days.clone(), 0.5)), one(percentile(days, 0.9)))
}

async fn lab_turnaround(app: &TestApp, lab: &Tenant, orders: &[Seeded]) {
    let placed = placed(orders);
    let mut rows = Vec::new();
    let mut figures = Vec::new();
    for lens in LENSES {
        let (n, median, p90) = turnaround(placed.iter().filter(|o| o.lens_type == lens));
        rows.push(format!("{},{n},{median},{p90}", humanize(lens)));
        figures.extend([humanize(lens), median, p90]);
    }
    let (n, median, p90) = turnaround(placed.iter());
    let csv = render_all(app, lab, "turnaround", ORDERS_PERIOD, &figures).await;
    assert_table(
        &csv,
        "By lens type",
        "Lens type,Orders shipped,Median (days),90th percentile (days)",
        rows,
        Some(format!("All lens types,{n},{median},{p90}")),
    );
    // Every seeded order came from one practice.
    assert_table(
        &csv,
        "By lab",
        "Lab,Orders shipped,Median (days),90th percentile (days)",
        vec![format!("Vision Practice,{n},{median},{p90}")],
        Some(format!("All labs,{n},{median},{p90}")),
    );
}

async fn lab_quality(app: &TestApp, lab: &Tenant, orders: &[Seeded]) {
    let placed = placed(orders).len() as i64;
    let mut by_issue: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for o in orders {
        if let Some((issue, when)) = o.failure
            && (JAN_1..MAR_1).contains(&when)
        {
            let entry = by_issue.entry(issue).or_default();
            entry.0 += 1;
            entry.1 += i64::from(o.remade_by.is_some());
        }
    }
    let rate = |n: i64| format!("{:.2}", 100.0 * n as f64 / placed as f64);
    let row = |label: String, (failed, remade): (i64, i64)| {
        format!("{label},{failed},{remade},{},{}", rate(failed), rate(remade))
    };
    let total = by_issue.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let mut figures = Vec::new();
    for (issue, &(failed, _)) in &by_issue {
        figures.extend([humanize(issue), format!("{}%", rate(failed))]);
    }
    let csv = render_all(app, lab, "quality", ORDERS_PERIOD, &figures).await;
    let header = "Issue,Failures,Remakes,Failure rate (%),Remake rate (%)";
    let rows = by_issue.iter().map(|(issue, &n)| row(humanize(issue), n)).collect();
    assert_table(&csv, "By issue", header, rows, Some(row("All issues".into(), total)));
    // Every check fails at inspection.
    let header = "Station,Failures,Remakes,Failure rate (%),Remake rate (%)";
    assert_table(
        &csv,
        "By station",
        header,
        vec![row("Inspection".into(), total)],
        Some(row("All stations".into(), total)),
    );
}

async fn lab_revenue(app: &TestApp, lab: &Tenant, orders: &[Seeded]) {
    let placed = placed(orders);
    let month = |o: &&Seeded| if o.created < FEB_1 { "2026-01" } else { "2026-02" };
    let mut by_month: BTreeMap<&str, (i64, i64)> = BTreeMap::from([("2026-01", (0, 0)), ("2026-02", (0, 0))]);
    for o in &placed {
        let entry = by_month.entry(month(o)).or_default();
        entry.0 += 1;
        entry.1 += o.price_minor;
    }
    let total = by_month.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let rows = by_month.iter().map(|(m, (n, minor))| format!("{m},{n},{}", pence(*minor))).collect();
    let mut figures: Vec<String> = by_month.values().map(|(_, minor)| grouped(&pence(*minor))).collect();
    figures.push(grouped(&pence(total.1)));
    let csv = render_all(app, lab, "revenue", ORDERS_PERIOD, &figures).await;
    let total = Some(format!("All months,{},{}", total.0, pence(total.1)));
    assert_table(&csv, "By month (GBP)", "Month,Orders,Revenue (GBP)", rows, total);
}

/// The stock and purchasing the lab keeps: what the stock and supplier reports read.
struct Stock {
    /// (sku, on hand, reorder point, last received unit price in pence).
    items: Vec<(&'static str, i64, i64, Option<i64>)>,
}

async fn seed_stock(app: &TestApp, lab: &Tenant) -> Stock {
    let token = lab.admin.token.as_str();
    let store = location(app, token, "Store").await;
    let lens = item(app, token, "LENS", 5).await;
    let frame = item(app, token, "FRAME", 0).await;
    let case = item(app, token, "CASE", 5).await;
    let lens_co = crate::purchasing::supplier(app, token, "Lens Co").await;
    let frame_co = crate::purchasing::supplier(app, token, "Frame Co").await;
    // Lens Co: 10 lenses at £1.00 and 4 frames at £9.00, raised on Jan 2, sent the next day,
    // all the lenses and 2 frames received 3.5 days after. Frame Co: 5 lenses at £1.20, sent
    // Jan 10 at noon, received two days later.
    let first = purchase(app, token, &lens_co, &store, &[(&lens, 10, 100), (&frame, 4, 900)]).await;
    let first_receipt = receive(app, token, &first, &[(&lens, 10), (&frame, 2)]).await;
    let second = purchase(app, token, &frame_co, &store, &[(&lens, 5, 120)]).await;
    let second_receipt = receive(app, token, &second, &[(&lens, 5)]).await;
    adjust(app, token, &case, &store, 3).await.ok(201);
    adjust(app, token, &lens, &store, -2).await.ok(201);
    let sent = JAN_1 + 2 * DAY_MS + 9 * HOUR_MS;
    set_times(
        app,
        &first,
        JAN_1 + DAY_MS + 9 * HOUR_MS,
        sent,
        &first_receipt,
        sent + 3 * DAY_MS + 12 * HOUR_MS,
    )
    .await;
    let sent = JAN_1 + 9 * DAY_MS + 12 * HOUR_MS;
    set_times(app, &second, JAN_1 + 9 * DAY_MS, sent, &second_receipt, sent + 2 * DAY_MS).await;
    Stock {
        items: vec![("LENS", 10 + 5 - 2, 5, Some(120)), ("FRAME", 2, 0, Some(900)), ("CASE", 3, 5, None)],
    }
}

async fn lab_stock(app: &TestApp, lab: &Tenant, stock: &Stock) {
    // Movements happen today: the period is this month so far.
    let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC).date();
    let (start, end) = (today.first_of_month().to_string(), today.tomorrow().expect("tomorrow").to_string());
    let valued: Vec<_> = stock.items.iter().filter(|i| i.3.is_some()).collect();
    let units: i64 = valued.iter().map(|i| i.1).sum();
    let value: i64 = valued.iter().map(|i| i.1 * i.3.unwrap_or(0)).sum();
    let unvalued: Vec<_> = stock.items.iter().filter(|i| i.3.is_none()).collect();
    let unvalued_units: i64 = unvalued.iter().map(|i| i.1).sum();
    let low: Vec<String> = stock
        .items
        .iter()
        .filter(|i| i.1 < i.2)
        .map(|(sku, on_hand, reorder, price)| {
            let price = price.map(pence).unwrap_or_default();
            format!("{sku},Item {sku},Store,{on_hand},{reorder},{},{price}", reorder - on_hand)
        })
        .collect();
    let figures = vec![pence(value), "Item CASE".to_string()];
    let csv = render_all(app, lab, "stock", (&start, &end), &figures).await;
    let line = |location: &str| {
        (
            format!("{location},GBP,{},{units},{}", valued.len(), pence(value)),
            format!("{location},,{},{unvalued_units},", unvalued.len()),
        )
    };
    let (store_valued, store_unvalued) = line("Store");
    let (all_valued, all_unvalued) = line("All locations");
    let mut got = table(&csv, "Stock value by location");
    assert_eq!(got.remove(0), "Location,Currency,Items,Units on hand,Value");
    assert_eq!(got, [store_valued, store_unvalued, all_valued, all_unvalued]);
    assert_table(
        &csv,
        "Under their reorder point",
        "SKU,Name,Location,On hand,Reorder point,Shortfall,Unit value",
        low,
        None,
    );
    // Received: 10 + 5 lenses and 2 frames, valued at today's prices; adjusted: 2 lenses out
    // (valued), 3 cases in (no price).
    let lens_price = stock.items[0].3.unwrap_or(0);
    let received = 15 * lens_price + 2 * 900;
    assert_table(
        &csv,
        "Movements in the period",
        "Kind,Movements,Net units,Value (GBP)",
        vec![
            format!("Adjustment,1,-2,-{}", pence(2 * lens_price)),
            "Adjustment,1,3,".into(),
            format!("Receipt,3,17,{}", pence(received)),
        ],
        None,
    );
}

async fn lab_suppliers(app: &TestApp, lab: &Tenant) {
    // Lens Co: one order of two lines, both first received 3.5 days after sending; 14 units
    // ordered, 12 received. Frame Co: one line, 2 days, 5 of 5.
    let lens_fill = format!("{:.1}", 100.0 * 12.0 / 14.0);
    let rows =
        vec![format!("Lens Co,1,2,3.5,3.5,14,12,{lens_fill}"), "Frame Co,1,1,2.0,2.0,5,5,100.0".to_string()];
    let figures = vec!["Lens Co".into(), "Frame Co".into(), format!("{lens_fill}%")];
    let csv = render_all(app, lab, "suppliers", ("2026-01-01", "2026-02-01"), &figures).await;
    let header = "Supplier,Orders,Lines,Lead time median (days),Lead time p90 (days),Units ordered,Units received,Fill rate (%)";
    assert_table(&csv, "By supplier", header, rows, None);
}

db_test!(
    async fn each_report_renders_a_labs_seeded_figures_as_csv_html_and_pdf(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "ils_reports", REPORTS, "free").await;
        let lab = app.tenant("northgate-lab").await;
        let other = app.tenant("other-lab").await;
        enable_reports(&app, &lab).await;
        enable_reports(&app, &other).await;
        // 480 orders, 3 hours apart from Jan 1, 08:00: two months of a lab's work.
        let orders = plan_orders(480, JAN_1 + 8 * HOUR_MS, &LENSES);
        seed_orders(&app.db, tenant_id(&lab), &orders).await;
        seed_orders(&app.db, tenant_id(&other), &plan_orders(20, JAN_1, &["trifocal"])).await;
        let stock = seed_stock(&app, &lab).await;

        lab_turnaround(&app, &lab, &orders).await;
        lab_quality(&app, &lab, &orders).await;
        lab_revenue(&app, &lab, &orders).await;
        lab_stock(&app, &lab, &stock).await;
        lab_suppliers(&app, &lab).await;

        // The other lab's reports hold only its own orders.
        let theirs = String::from_utf8(render(&app, &other, "turnaround", "csv", ORDERS_PERIOD).await).unwrap();
        let lenses = table(&theirs, "By lens type");
        assert!(lenses[1].starts_with("Trifocal,") && lenses.len() == 3, "{theirs}");
        let value: Value = app.get("/api/v1/reports/runs", &other.admin.token).await.ok(200).clone();
        assert_eq!(value.as_array().map(Vec::len), Some(1));
    }
);
