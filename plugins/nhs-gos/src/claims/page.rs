//! The claims page the console shows (manifest `[[pages]]`, route `/pages/claims`): the claims
//! still to submit, and this month's totals by status. Plain HTML with its own small style; the
//! console frames it in a sandbox, so it carries no script.

use ils_plugin_sdk::{Response, escape_html};

use super::summary::summarise;
use super::{Claim, Status, store};
use crate::date::today;
use crate::error::ApiError;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;padding:.5rem;color:#1b1f24}\
    table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .4rem;\
    border-bottom:1px solid #c9ced6}h2{font-size:1.1rem}.muted{color:#4f5863}";

fn pounds(pence: u64) -> String {
    format!("£{}.{:02}", pence / 100, pence % 100)
}

fn row(claim: &Claim) -> String {
    let value = claim.value.as_ref().map(|v| pounds(u64::from(v.total.0))).unwrap_or_else(|| "—".to_owned());
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        escape_html(claim.fields.form.name()),
        escape_html(claim.status.code()),
        escape_html(&claim.created_on.to_string()),
        escape_html(&value),
    )
}

/// `GET /pages/claims`.
pub fn claims() -> Result<Response, ApiError> {
    let all = store::all()?;
    let to_submit: Vec<&Claim> =
        all.iter().filter(|c| matches!(c.status, Status::Draft | Status::Ready | Status::Rejected)).collect();
    let month = today().month_key();
    let summary = summarise(&month, &store::in_month(&month)?);
    let mut html = format!(
        "<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>NHS claims</title>\
         <style>{STYLE}</style></head><body><h2>Claims to submit ({})</h2>",
        to_submit.len()
    );
    if to_submit.is_empty() {
        html.push_str("<p class=\"muted\">Nothing to submit.</p>");
    } else {
        html.push_str("<table><thead><tr><th scope=\"col\">Form</th><th scope=\"col\">Status</th><th scope=\"col\">Created</th><th scope=\"col\">Value</th></tr></thead><tbody>");
        for claim in &to_submit {
            html.push_str(&row(claim));
        }
        html.push_str("</tbody></table>");
    }
    html.push_str(&format!("<h2>{} so far</h2><table><tbody>", escape_html(&summary.month)));
    for (status, tally) in &summary.by_status {
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{} claims</td><td>{}</td></tr>",
            escape_html(status),
            tally.count,
            pounds(tally.value_pence)
        ));
    }
    html.push_str("</tbody></table></body></html>");
    Ok(Response::html(200, &html))
}
