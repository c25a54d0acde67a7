//! The plugin as a report provider: claims by month and status, as CSV or an HTML page.
//!
//! One row per month of the period, form and status that has claims: the count and their value
//! (what was paid once paid, else the value worked out when the claim became ready), the same
//! figures the claims page's monthly summary shows ([`crate::claims::summary`]).

use ils_plugin_sdk::host::context;
use ils_plugin_sdk::{Error, RenderedReport, ReportFormat, ReportInfo};
use serde::Deserialize;

use crate::claims::store;
use crate::claims::summary::{Summary, summarise};
use crate::date::Date;

/// The report's id.
pub const CLAIMS_BY_MONTH: &str = "claims-by-month";

const SCHEMA: &str = r#"{
  "type": "object", "required": ["period"], "additionalProperties": false,
  "properties": { "period": { "type": "object", "required": ["start", "end"], "additionalProperties": false,
    "description": "The months to cover: every month from start's to the one before end's day",
    "properties": { "start": { "type": "string", "format": "date" }, "end": { "type": "string", "format": "date" } } } }
}"#;

/// What the plugin offers.
pub fn offered() -> Vec<ReportInfo> {
    let mut info = ReportInfo::new(
        CLAIMS_BY_MONTH,
        "NHS claims by month and status",
        "GOS 1, 3, 4 and 6 claims of each month: how many, and their value, by status",
        vec![ReportFormat::Csv, ReportFormat::Html],
    );
    info.roles = vec!["company_admin".into(), "ecp".into(), "dispenser".into()];
    info.params_schema = Some(SCHEMA.into());
    info.schedulable = true;
    vec![info]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    period: Period,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Period {
    start: String,
    end: String,
}

/// The months `[start, end)` touches, `YYYY-MM`, at most ten years of them.
fn months(start: Date, end: Date) -> Vec<String> {
    let (mut y, mut m) = (start.year(), start.month());
    let mut out = Vec::new();
    let last = (end.year(), end.month());
    while (y, m) < last || ((y, m) == last && end.day() > 1) {
        out.push(format!("{y:04}-{m:02}"));
        if out.len() >= 120 {
            break;
        }
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

fn pounds(pence: u64) -> String {
    format!("{}.{:02}", pence / 100, pence % 100)
}

/// Rows of (month, form, status, count, value in pence), only where there are claims.
fn rows(summaries: &[Summary]) -> Vec<(String, &'static str, &'static str, u32, u64)> {
    let mut out = Vec::new();
    for s in summaries {
        for (form, statuses) in &s.by_form {
            for (status, tally) in statuses {
                if tally.count > 0 {
                    out.push((s.month.clone(), *form, *status, tally.count, tally.value_pence));
                }
            }
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Renders the report.
pub fn render(id: &str, params: &str, format: ReportFormat) -> Result<RenderedReport, Error> {
    if id != CLAIMS_BY_MONTH {
        return Err(Error::new(format!("no report {id}")));
    }
    let params: Params = serde_json::from_str(params)?;
    let start = Date::parse(&params.period.start).map_err(|e| Error::new(e.to_string()))?;
    let end = Date::parse(&params.period.end).map_err(|e| Error::new(e.to_string()))?;
    let claims = store::all().map_err(|e| Error::new(e.to_string()))?;
    let summaries: Vec<Summary> = months(start, end).iter().map(|m| summarise(m, &claims)).collect();
    let rows = rows(&summaries);
    match format {
        ReportFormat::Csv => {
            let mut csv = String::from("month,form,status,claims,value_gbp\r\n");
            for (month, form, status, count, pence) in &rows {
                csv.push_str(&format!("{month},{form},{status},{count},{}\r\n", pounds(*pence)));
            }
            Ok(RenderedReport {
                content_type: "text/csv; charset=utf-8".into(),
                file_name: format!("nhs-claims-{}-{}.csv", params.period.start, params.period.end),
                body: csv.into_bytes(),
            })
        }
        _ => {
            let practice = context::tenant().map(|t| t.name).unwrap_or_default();
            let mut html = format!(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>NHS claims by month</title>\
                 <style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;\
                 padding:2px 8px}}td.n{{text-align:right}}</style></head><body><h1>{}</h1><h2>NHS claims by month and \
                 status</h2><p>{} to {}</p><table><thead><tr><th>Month</th><th>Form</th><th>Status</th><th>Claims</th>\
                 <th>Value (£)</th></tr></thead><tbody>",
                escape(&practice),
                escape(&params.period.start),
                escape(&params.period.end)
            );
            for (month, form, status, count, pence) in &rows {
                html.push_str(&format!(
                    "<tr><td>{month}</td><td>{form}</td><td>{status}</td><td class=\"n\">{count}</td><td class=\"n\">{}</td></tr>",
                    pounds(*pence)
                ));
            }
            let total: u64 = summaries.iter().map(|s| s.total.value_pence).sum();
            let count: u32 = summaries.iter().map(|s| s.total.count).sum();
            html.push_str(&format!(
                "</tbody><tfoot><tr><th colspan=\"3\">Total</th><td class=\"n\">{count}</td><td class=\"n\">{}</td></tr></tfoot></table></body></html>",
                pounds(total)
            ));
            Ok(RenderedReport {
                content_type: "text/html; charset=utf-8".into(),
                file_name: format!("nhs-claims-{}-{}.html", params.period.start, params.period.end),
                body: html.into_bytes(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_covers_the_months_it_touches() {
        let d = |t: &str| Date::parse(t).unwrap();
        assert_eq!(months(d("2026-01-01"), d("2026-04-01")), ["2026-01", "2026-02", "2026-03"]);
        assert_eq!(months(d("2025-12-15"), d("2026-01-02")), ["2025-12", "2026-01"]);
        assert!(months(d("2026-02-01"), d("2026-01-01")).is_empty());
    }
}
