//! The status page the console frames (manifest `[[pages]]`, route `GET /page`): what
//! `GET /status` says, for people. The console shows it in a sandbox whose policy allows inline
//! style and nothing else, so it is one self-contained document with no script, every value
//! escaped. The buttons to start a sync or reconciliation are the console's (the page's manifest
//! actions), not the page's: the sandboxed frame cannot post with the person's session.

use ils_plugin_sdk::{Response, escape_html};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::status::{DriftLine, Listed, Matching, Push, ReconcileReport, SkippedLine, SyncReport};

/// The console page's route.
pub const PATH: &str = "/page";

/// Entries of each recent list the page shows (the status keeps more).
const SHOWN: usize = 10;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;padding:.5rem;color:#1b1f24;background:#fff}\
    h1{font-size:1.3rem;margin:.2rem 0 .6rem}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}\
    table{border-collapse:collapse;width:100%;margin:.3rem 0}caption{text-align:left;font-weight:600;padding:.2rem 0}\
    th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #c9ced6;vertical-align:top}\
    .n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#4f5863}\
    .bad{color:#a4161a;font-weight:600}.good{color:#1e6b34;font-weight:600}\
    .box{border:2px solid #a4161a;border-radius:.4rem;padding:.3rem .8rem;margin:.5rem 0}\
    .wrap{overflow-x:auto}ul{padding-left:1.2rem}code{overflow-wrap:anywhere}";

/// `GET /page`: the status document as HTML.
pub fn respond(document: &Value) -> Response {
    Response::html(200, &render(document))
}

/// The page shown when the status cannot be read.
pub fn unavailable(why: &str) -> Response {
    let mut html = head();
    html.push_str("<h1>Shopify sync</h1><div class=\"box\" role=\"alert\"><p>The status could not be read: ");
    html.push_str(&escape_html(why));
    html.push_str("</p></div></body></html>");
    Response::html(503, &html)
}

fn head() -> String {
    format!(
        "<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Shopify sync</title><style>{STYLE}</style></head><body>"
    )
}

fn typed<T: DeserializeOwned>(value: &Value) -> Option<T> {
    serde_json::from_value(value.clone()).ok()
}

fn list<T: DeserializeOwned>(value: &Value) -> Vec<T> {
    value.as_array().map(|items| items.iter().filter_map(typed).collect()).unwrap_or_default()
}

fn count(value: &Value) -> u64 {
    value.as_u64().unwrap_or(0)
}

/// The status document (`GET /status`) as the page.
pub fn render(document: &Value) -> String {
    let mut html = head();
    html.push_str("<h1>Shopify sync</h1>");
    shop(&mut html, document);
    running(&mut html, &document["running"]);
    matching(&mut html, document);
    let names = location_names(document);
    full_sync(&mut html, typed::<SyncReport>(&document["last_full_sync"]).as_ref());
    reconciliation(&mut html, typed::<ReconcileReport>(&document["last_reconciliation"]).as_ref(), &names);
    locations(&mut html, &document["locations"]);
    counters(&mut html, document);
    errors(&mut html, &document["recent_errors"]);
    pushes(&mut html, &list::<Push>(&document["recent_pushes"]), &names);
    skipped(&mut html, &list::<SkippedLine>(&document["recent_skipped_lines"]));
    html.push_str("</body></html>");
    html
}

fn shop(html: &mut String, document: &Value) {
    if let Some(why) = document["configuration_error"].as_str() {
        html.push_str("<div class=\"box\" role=\"alert\"><p>The plugin is not configured: ");
        html.push_str(&escape_html(why));
        html.push_str("</p></div>");
    }
    html.push_str("<p>Shop: ");
    match document["shop"].as_str() {
        Some(shop) => html.push_str(&format!("<strong id=\"shop\">{}</strong>", escape_html(shop))),
        None => html.push_str("<span class=\"muted\">not set</span>"),
    }
    match document["uninstalled_at_ms"].as_i64() {
        Some(at) => html.push_str(&format!(
            " — <span class=\"bad\">the app was uninstalled {}; nothing is synced until a full sync after reinstalling</span>",
            time(at)
        )),
        None => html.push_str(" — <span class=\"good\">installed</span>"),
    }
    html.push_str("</p>");
}

/// The live match table, and what it leaves unmatched as of its last matching.
fn matching(html: &mut String, document: &Value) {
    html.push_str("<h2 id=\"matching-heading\">Matching now</h2>");
    let Some(table) = document["match_table"].as_object() else {
        html.push_str("<p class=\"muted\" id=\"no-table\">No match table yet: run a full sync.</p>");
        return;
    };
    html.push_str(&format!(
        "<p id=\"match-table\">{} SKUs matched to ILS items, of {} Shopify variants ({}).</p>",
        table.get("matched").map_or(0, count),
        table.get("variants").map_or(0, count),
        table.get("at_ms").and_then(Value::as_i64).map_or_else(|| "date unknown".to_owned(), time),
    ));
    let Some(m) = typed::<Matching>(&document["matching"]) else { return };
    let lists = [
        (
            "unmatched-duplicated-in-shopify",
            "On several Shopify variants (not matched: give each its own SKU)",
            &m.duplicated_in_shopify,
        ),
        (
            "unmatched-duplicated-in-ils",
            "On several ILS items (not matched: give each its own SKU)",
            &m.duplicated_in_ils,
        ),
        ("unmatched-in-shopify", "In Shopify only", &m.missing_in_ils),
        ("unmatched-in-ils", "In ILS only", &m.missing_in_shopify),
    ];
    if lists.iter().all(|(_, _, l)| l.count == 0) {
        return;
    }
    html.push_str(&format!(
        "<p>SKUs not matched, as of the last {} ({}):</p><ul id=\"unmatched\">",
        escape_html(&m.cause),
        time(m.at_ms)
    ));
    for (id, label, listed) in lists.into_iter().filter(|(_, _, l)| l.count > 0) {
        html.push_str(&format!("<li id=\"{id}\">{label}: {}</li>", named(listed)));
    }
    html.push_str("</ul>");
}

/// A list's count and the SKUs it names.
fn named(listed: &Listed) -> String {
    let mut names: Vec<String> =
        listed.first.iter().map(|s| format!("<code>{}</code>", escape_html(s))).collect();
    if listed.count > listed.first.len() {
        names.push(format!("and {} more", listed.count - listed.first.len()));
    }
    format!("{} ({})", listed.count, names.join(", "))
}

fn running(html: &mut String, run: &Value) {
    let Some(kind) = run["kind"].as_str() else { return };
    let what = if kind == "reconcile" { "A reconciliation" } else { "A full sync" };
    html.push_str(&format!(
        "<p role=\"status\" id=\"running\">{what} is running (started {}): {}, {} of {} items.</p>",
        run["started_at_ms"].as_i64().map_or_else(String::new, time),
        escape_html(run["phase"].as_str().unwrap_or_default()),
        count(&run["progress"]["done"]),
        count(&run["progress"]["total"]),
    ));
}

/// How a finished run ended.
fn ended(completed: bool, stopped: Option<&String>, finished: Option<i64>) -> String {
    match (completed, stopped, finished) {
        (true, _, Some(at)) => format!("<span class=\"good\">completed</span> {}", time(at)),
        (true, _, None) => "<span class=\"good\">completed</span>".to_owned(),
        (false, Some(why), _) => format!("<span class=\"bad\">stopped: {}</span>", escape_html(why)),
        (false, None, _) => "<span class=\"muted\">still running</span>".to_owned(),
    }
}

/// One row of figures: a label, a count, and the first SKUs named.
fn figure_row(html: &mut String, id: &str, label: &str, listed: &Listed) {
    let mut names: Vec<String> =
        listed.first.iter().map(|s| format!("<code>{}</code>", escape_html(s))).collect();
    if listed.count > listed.first.len() {
        names.push(format!("and {} more", listed.count - listed.first.len()));
    }
    let named = names.join(", ");
    html.push_str(&format!(
        "<tr id=\"{id}\"><th scope=\"row\">{label}</th><td class=\"n\">{}</td><td>{named}</td></tr>",
        listed.count
    ));
}

fn plain_row(html: &mut String, id: &str, label: &str, value: usize) {
    html.push_str(&format!(
        "<tr id=\"{id}\"><th scope=\"row\">{label}</th><td class=\"n\">{value}</td><td></td></tr>"
    ));
}

fn full_sync(html: &mut String, report: Option<&SyncReport>) {
    html.push_str("<h2 id=\"sync-heading\">Last full sync</h2>");
    let Some(r) = report else {
        html.push_str("<p class=\"muted\" id=\"no-sync\">No full sync yet.</p>");
        return;
    };
    html.push_str(&format!(
        "<p id=\"sync-outcome\">Started {}; {}.</p>",
        time(r.at_ms),
        ended(r.completed, r.stopped.as_ref(), r.finished_at_ms)
    ));
    html.push_str(
        "<div class=\"wrap\"><table aria-labelledby=\"sync-heading\"><thead><tr><th scope=\"col\">What</th>\
         <th scope=\"col\" class=\"n\">How many</th><th scope=\"col\">SKUs</th></tr></thead><tbody>",
    );
    plain_row(html, "sync-matched", "SKUs matched", r.matched);
    plain_row(html, "sync-pushed", "Quantities set in Shopify to ILS's", r.pushed);
    plain_row(html, "sync-equal", "Already equal", r.already_equal);
    figure_row(html, "sync-missing-in-ils", "Unmatched: in Shopify only", &r.missing_in_ils);
    figure_row(html, "sync-missing-in-shopify", "Unmatched: in ILS only", &r.missing_in_shopify);
    figure_row(
        html,
        "sync-duplicated-in-shopify",
        "Duplicated in Shopify (not matched)",
        &r.duplicated_in_shopify,
    );
    figure_row(html, "sync-duplicated-in-ils", "Duplicated in ILS (not matched)", &r.duplicated_in_ils);
    plain_row(html, "sync-empty-shopify", "Shopify variants without a SKU", r.empty_sku_in_shopify);
    plain_row(html, "sync-empty-ils", "ILS items without a SKU", r.empty_sku_in_ils);
    figure_row(
        html,
        "sync-not-stocked",
        "Not stocked in Shopify where ILS holds some",
        &r.not_stocked_in_shopify,
    );
    figure_row(html, "sync-untracked", "Not tracked by Shopify", &r.untracked_in_shopify);
    figure_row(html, "sync-failed", "Failed", &r.failed);
    html.push_str(&format!(
        "</tbody></table></div><p class=\"muted\">{} Shopify variants and {} ILS items compared.</p>",
        r.shopify_variants, r.ils_items
    ));
}

/// ILS location id → its name, from the status's mapped locations.
fn location_names(document: &Value) -> Vec<(String, String)> {
    document["locations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| {
            let id = l["ils_location_id"].as_str()?;
            Some((id.to_owned(), l["ils_location_name"].as_str().unwrap_or(id).to_owned()))
        })
        .collect()
}

fn location_name<'a>(names: &'a [(String, String)], id: &'a str) -> &'a str {
    names.iter().find(|(i, _)| i == id).map_or(id, |(_, name)| name)
}

fn reconciliation(html: &mut String, report: Option<&ReconcileReport>, names: &[(String, String)]) {
    html.push_str("<h2 id=\"reconcile-heading\">Last reconciliation</h2>");
    let Some(r) = report else {
        html.push_str("<p class=\"muted\" id=\"no-reconciliation\">No reconciliation yet.</p>");
        return;
    };
    html.push_str(&format!(
        "<p id=\"reconcile-outcome\">Started {}; {}. {} matched items checked; {} differed.</p>",
        time(r.at_ms),
        ended(r.completed, r.stopped.as_ref(), r.finished_at_ms),
        r.checked,
        r.drift_count
    ));
    if !r.drift.is_empty() {
        html.push_str(
            "<div class=\"wrap\"><table id=\"drift\"><caption>Drift by location and SKU</caption><thead><tr>\
             <th scope=\"col\">Location</th><th scope=\"col\">SKU</th><th scope=\"col\" class=\"n\">ILS</th>\
             <th scope=\"col\" class=\"n\">Shopify</th><th scope=\"col\">Fixed</th></tr></thead><tbody>",
        );
        for d in &r.drift {
            drift_row(html, d, names);
        }
        html.push_str("</tbody></table></div>");
        if r.drift_count > r.drift.len() {
            html.push_str(&format!("<p class=\"muted\">And {} more.</p>", r.drift_count - r.drift.len()));
        }
    }
    html.push_str("<ul>");
    for (label, listed) in [
        ("Not stocked in Shopify where ILS holds some", &r.not_stocked_in_shopify),
        ("Not tracked by Shopify", &r.untracked_in_shopify),
        ("Failed", &r.failed),
    ] {
        if listed.count > 0 {
            let names: Vec<String> = listed.first.iter().map(|s| escape_html(s)).collect();
            html.push_str(&format!("<li>{label}: {} ({})</li>", listed.count, names.join(", ")));
        }
    }
    if !r.unmapped_locations.is_empty() {
        let ids: Vec<String> = r.unmapped_locations.iter().map(|s| escape_html(s)).collect();
        html.push_str(&format!("<li>Shopify locations not mapped to ILS: {}</li>", ids.join(", ")));
    }
    html.push_str("</ul>");
}

fn drift_row(html: &mut String, d: &DriftLine, names: &[(String, String)]) {
    html.push_str(&format!(
        "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
        escape_html(location_name(names, &d.ils_location_id)),
        escape_html(&d.sku),
        d.ils_quantity,
        d.shopify_quantity,
        if d.fixed { "<span class=\"good\">yes</span>" } else { "<span class=\"bad\">no</span>" },
    ));
}

fn locations(html: &mut String, locations: &Value) {
    let Some(all) = locations.as_array().filter(|l| !l.is_empty()) else { return };
    html.push_str(
        "<h2 id=\"locations-heading\">Locations</h2><div class=\"wrap\"><table aria-labelledby=\"locations-heading\">\
         <thead><tr><th scope=\"col\">ILS location</th><th scope=\"col\">Shopify location</th>\
         <th scope=\"col\">Drift at the last reconciliation</th></tr></thead><tbody>",
    );
    for l in all {
        let ils =
            l["ils_location_name"].as_str().or_else(|| l["ils_location_id"].as_str()).unwrap_or_default();
        let drift = match l["drift_at_last_reconciliation"].as_object() {
            Some(d) => format!(
                "{} found, {} fixed",
                d.get("found").map_or(0, count),
                d.get("fixed").map_or(0, count)
            ),
            None => "<span class=\"muted\">not reconciled yet</span>".to_owned(),
        };
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{drift}</td></tr>",
            escape_html(ils),
            escape_html(l["shopify_location_id"].as_str().unwrap_or_default()),
        ));
    }
    html.push_str("</tbody></table></div>");
}

fn counters(html: &mut String, document: &Value) {
    html.push_str(
        "<h2 id=\"counters-heading\">Counters</h2><div class=\"wrap\"><table id=\"counters\" aria-labelledby=\"counters-heading\"><tbody>",
    );
    for (label, value) in [
        ("Webhooks handled", &document["webhooks"]["handled"]),
        ("Webhooks that were duplicates", &document["webhooks"]["duplicates"]),
        ("Webhooks refused (signature, shop or headers)", &document["webhooks"]["refused"]),
        ("Stock movements recorded in ILS", &document["movements"]["applied"]),
        ("Stock movements ILS already had", &document["movements"]["already_applied"]),
        ("Quantities set in Shopify", &document["quantities_pushed"]),
    ] {
        html.push_str(&format!(
            "<tr><th scope=\"row\">{label}</th><td class=\"n\">{}</td></tr>",
            count(value)
        ));
    }
    html.push_str("</tbody></table></div>");
}

fn errors(html: &mut String, errors: &Value) {
    html.push_str("<h2 id=\"errors-heading\">Recent errors</h2>");
    let all = errors.as_array().map(Vec::as_slice).unwrap_or_default();
    if all.is_empty() {
        html.push_str("<p class=\"muted\" id=\"no-errors\">None.</p>");
        return;
    }
    html.push_str("<ul id=\"errors\">");
    for e in all.iter().take(SHOWN) {
        html.push_str(&format!(
            "<li>{}: {}</li>",
            e["at_ms"].as_i64().map_or_else(String::new, time),
            escape_html(e["message"].as_str().unwrap_or_default())
        ));
    }
    html.push_str("</ul>");
}

fn pushes(html: &mut String, pushes: &[Push], names: &[(String, String)]) {
    html.push_str("<h2 id=\"pushes-heading\">Recent pushes to Shopify</h2>");
    if pushes.is_empty() {
        html.push_str("<p class=\"muted\" id=\"no-pushes\">None.</p>");
        return;
    }
    html.push_str(
        "<div class=\"wrap\"><table id=\"pushes\" aria-labelledby=\"pushes-heading\"><thead><tr><th scope=\"col\">When</th>\
         <th scope=\"col\">Why</th><th scope=\"col\">SKU</th><th scope=\"col\">Location</th>\
         <th scope=\"col\" class=\"n\">Shopify had</th><th scope=\"col\" class=\"n\">Set to</th><th scope=\"col\">Outcome</th></tr></thead><tbody>",
    );
    for p in pushes.iter().take(SHOWN) {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            time(p.at_ms),
            escape_html(why(&p.trigger)),
            escape_html(&p.sku),
            escape_html(location_name(names, &p.ils_location_id)),
            p.from,
            p.to,
            escape_html(&p.outcome),
        ));
    }
    html.push_str("</tbody></table></div>");
}

/// What caused a push, for people.
fn why(trigger: &str) -> &str {
    match trigger {
        "full_sync" => "full sync",
        "reconcile" => "reconciliation",
        "stock.changed" => "ILS stock changed",
        "inventory_levels/update" => "changed in Shopify",
        other => other,
    }
}

fn skipped(html: &mut String, lines: &[SkippedLine]) {
    if lines.is_empty() {
        return;
    }
    html.push_str("<h2 id=\"skipped-heading\">Order lines that moved no stock</h2><ul id=\"skipped\">");
    for l in lines.iter().take(SHOWN) {
        html.push_str(&format!(
            "<li>{}: order {}, line {}: {}</li>",
            time(l.at_ms),
            escape_html(&l.order_id),
            escape_html(&l.line_id),
            escape_html(&l.reason)
        ));
    }
    html.push_str("</ul>");
}

/// Unix ms as `2026-12-05 13:24 UTC` (the proleptic Gregorian calendar; days from civil, after
/// Howard Hinnant's algorithm).
pub fn time(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", of_day / 3600, of_day % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(time(0), "1970-01-01 00:00 UTC");
        assert_eq!(time(1_768_469_400_000), "2026-01-15 09:30 UTC");
        assert_eq!(time(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(time(-60_000), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn an_empty_status_says_what_is_missing() {
        let html = render(&json!({ "configuration_error": "shop_domain: <missing>", "installed": true }));
        assert!(html.contains("The plugin is not configured: shop_domain: &lt;missing&gt;"), "{html}");
        assert!(html.contains("No full sync yet.") && html.contains("No reconciliation yet."));
        assert!(!html.contains("<script"));
    }
}
