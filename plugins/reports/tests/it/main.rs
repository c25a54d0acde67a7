//! The reports end to end: hand-made data in an in-memory source, each report rendered through
//! `ils_reports::render` in every format, the figures checked against answers worked out here.

mod catalogue;
mod memory;
mod pdf;
mod quality;
mod revenue;
mod stock;
mod suppliers;
mod turnaround;

use ils_reports::{Context, Format, Rendered, Source, render};

/// The practice, with markup in its name: every format must show it as text.
pub(crate) const PRACTICE: &str = "Northgate <Opticians> & Co";

pub(crate) fn ctx() -> Context {
    // 2026-04-01T09:30:59Z
    Context { practice_name: PRACTICE.into(), generated_at_ms: 1_775_035_859_000 }
}

pub(crate) fn params(start: &str, end: &str) -> String {
    format!(r#"{{"period": {{"start": "{start}", "end": "{end}"}}}}"#)
}

/// The report in `format`; kept in the folder `ILS_REPORTS_KEEP` names, when set, to look at.
pub(crate) fn rendered(id: &str, params: &str, format: Format, source: &dyn Source) -> Rendered {
    let out =
        render(id, params, format, source, &ctx()).unwrap_or_else(|e| panic!("{id} as {format:?}: {e}"));
    if let Ok(dir) = std::env::var("ILS_REPORTS_KEEP") {
        std::fs::write(std::path::Path::new(&dir).join(&out.file_name), &out.body).expect("kept");
    }
    out
}

pub(crate) fn csv(id: &str, params: &str, source: &dyn Source) -> String {
    let out = rendered(id, params, Format::Csv, source);
    assert_eq!(out.content_type, "text/csv; charset=utf-8");
    String::from_utf8(out.body).expect("UTF-8")
}

/// The report as HTML, checked for balance; its PDF rendered too.
pub(crate) fn html(id: &str, params: &str, source: &dyn Source) -> String {
    assert!(rendered(id, params, Format::Pdf, source).body.starts_with(b"%PDF-"));
    let out = rendered(id, params, Format::Html, source);
    assert_eq!(out.content_type, "text/html; charset=utf-8");
    let html = String::from_utf8(out.body).expect("UTF-8");
    assert_well_formed(&html);
    html
}

/// The lines of the CSV table titled `title` (header first), without their CRLFs.
pub(crate) fn csv_table<'a>(csv: &'a str, title: &str) -> Vec<&'a str> {
    for block in csv.split("\r\n\r\n") {
        let mut lines = block.split("\r\n").filter(|l| !l.is_empty());
        if lines.next() == Some(title) {
            return lines.collect();
        }
    }
    panic!("no table {title:?} in\n{csv}");
}

/// Balanced tags, no markup from data, the header on the page.
pub(crate) fn assert_well_formed(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en-GB\">"));
    assert!(html.ends_with("</html>\n"));
    for tag in [
        "html", "head", "body", "header", "main", "table", "thead", "tbody", "tr", "section", "figure", "svg",
    ] {
        let open = html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count();
        let close = html.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}> opened {open} times, closed {close}");
    }
    assert!(!html.contains("<Opticians>") && !html.contains("<script"), "markup from data in the page");
    assert!(html.contains("Northgate &lt;Opticians&gt; &amp; Co"));
    assert!(html.contains("counter(page)") && html.contains("counter(pages)"));
}
