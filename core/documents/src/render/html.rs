//! A document as one self-contained HTML5 page: no scripts, no external resources, charts and
//! barcodes as inline SVG, and print CSS that puts the organisation and title at the top of
//! every page and "Page N of M" at the bottom (`@page` margin boxes with the `page` and `pages`
//! counters).
//!
//! Every piece of text from data is escaped; text placed in CSS (the page header) is written as
//! CSS escapes. A Content-Security-Policy forbids scripts even if something slipped through.

use crate::barcode::Barcode;
use crate::document::{Align, Cell, Document, Field, Letterhead, Section, Table};
use crate::error::RenderError;
use crate::render::chart;

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; font-size: 10pt; color: #1a1a1a; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
header { border-bottom: 1px solid #999; margin-bottom: 1.5rem; }
header .organisation { font-weight: bold; margin: 0; }
header.letterhead .organisation { font-size: 1.3rem; }
header address { font-style: normal; color: #444; margin: 0.2rem 0 0.8rem; }
h1 { font-size: 1.6rem; margin: 0.2rem 0; }
header .meta { color: #555; margin: 0 0 0.6rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 0.5rem; }
figure { margin: 1rem 0; }
svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 0.25rem 0.5rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
th { border-bottom: 1px solid #666; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.missing { color: #777; font-style: italic; }
tbody tr:nth-child(even) { background: #f6f6f6; }
p.note { color: #333; }
dl.fields { display: grid; grid-template-columns: fit-content(40%) 1fr; gap: 0.2rem 1rem; margin: 1rem 0; }
dl.fields dt { font-weight: bold; }
dl.fields dd { margin: 0; white-space: pre-line; overflow-wrap: anywhere; }
figure.barcode { display: inline-block; text-align: center; }
figure.barcode svg { max-width: none; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
  header { margin-bottom: 1rem; }
  thead { display: table-header-group; }
  tr, figure, dl.fields { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"#;

/// The document as an HTML page.
pub fn render(document: &Document) -> Result<Vec<u8>, RenderError> {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str(&format!(
        "<title>{} — {}</title>\n",
        escape(&document.title),
        escape(&document.organisation)
    ));
    out.push_str("<style>");
    out.push_str(STYLE);
    out.push_str(&format!(
        "@page {{ size: A4; margin: 18mm 15mm 18mm;\n  @top-left {{ content: {}; font-size: 8pt; color: #555; }}\n  @top-right {{ content: {}; font-size: 8pt; color: #555; }}\n  @bottom-right {{ content: \"Page \" counter(page) \" of \" counter(pages); font-size: 8pt; }}\n}}\n",
        css_string(&document.organisation),
        css_string(&match &document.period {
            Some(period) => format!("{} · {period}", document.title),
            None => document.title.clone(),
        }),
    ));
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str(if document.letterhead.is_some() {
        "<header class=\"letterhead\">\n"
    } else {
        "<header>\n"
    });
    out.push_str(&format!("<p class=\"organisation\">{}</p>\n", escape(&document.organisation)));
    if let Some(letterhead) = &document.letterhead {
        address(&mut out, letterhead);
    }
    out.push_str(&format!("<h1>{}</h1>\n", escape(&document.title)));
    let meta = match &document.period {
        Some(period) => format!("{} · generated {}", escape(period), escape(&document.generated_at)),
        None => format!("Generated {}", escape(&document.generated_at)),
    };
    out.push_str(&format!("<p class=\"meta\">{meta}</p>\n</header>\n<main>\n"));
    for section in &document.sections {
        match section {
            Section::Fields(f) => fields(&mut out, f),
            Section::Barcode(b) => barcode(&mut out, b),
            Section::Chart(c) => {
                out.push_str(&format!("<figure aria-label=\"{}\">\n", escape(&c.title)));
                out.push_str(&chart::svg(c)?);
                out.push_str("</figure>\n");
            }
            Section::Table(t) => table(&mut out, t),
            Section::Text(text) => out.push_str(&format!("<p class=\"note\">{}</p>\n", escape(text))),
        }
    }
    out.push_str("</main>\n</body>\n</html>\n");
    Ok(out.into_bytes())
}

/// The letterhead's lines, one `<br>` apart.
fn address(out: &mut String, letterhead: &Letterhead) {
    let lines: Vec<String> =
        letterhead.address.iter().cloned().chain(letterhead.contact()).map(|l| escape(&l)).collect();
    if !lines.is_empty() {
        out.push_str(&format!("<address>{}</address>\n", lines.join("<br>")));
    }
}

fn fields(out: &mut String, fields: &[Field]) {
    out.push_str("<dl class=\"fields\">\n");
    for field in fields {
        out.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", escape(&field.label), escape(&field.value)));
    }
    out.push_str("</dl>\n");
}

/// The bars as an SVG in points, the size the PDF prints them, the value under it.
fn barcode(out: &mut String, barcode: &Barcode) {
    let (width, height) = (barcode.total_modules() as f32 * Barcode::MODULE_PT, Barcode::HEIGHT_PT);
    let value = escape(barcode.value());
    out.push_str(&format!(
        "<figure class=\"barcode\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Barcode {value}\" width=\"{width}pt\" height=\"{height}pt\" viewBox=\"0 0 {width} {height}\" shape-rendering=\"crispEdges\">"
    ));
    out.push_str(&format!("<rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>"));
    for (start, modules) in barcode.bars() {
        let (x, w) = (start as f32 * Barcode::MODULE_PT, modules as f32 * Barcode::MODULE_PT);
        out.push_str(&format!("<rect x=\"{x}\" width=\"{w}\" height=\"{height}\"/>"));
    }
    out.push_str(&format!("</svg>\n<figcaption>{value}</figcaption>\n</figure>\n"));
}

fn table(out: &mut String, table: &Table) {
    out.push_str(&format!("<section>\n<h2>{}</h2>\n<table>\n<thead><tr>", escape(&table.title)));
    for column in &table.columns {
        let class = if column.align == Align::Right { " class=\"num\"" } else { "" };
        out.push_str(&format!("<th scope=\"col\"{class}>{}</th>", escape(&column.heading())));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let right = table.columns.get(i).is_some_and(|c| c.align == Align::Right);
            let class = match (right, matches!(cell, Cell::Missing(_))) {
                (true, true) => " class=\"num missing\"",
                (true, false) => " class=\"num\"",
                (false, true) => " class=\"missing\"",
                (false, false) => "",
            };
            out.push_str(&format!("<td{class}>{}</td>", escape(&cell.display())));
        }
        out.push_str("</tr>\n");
    }
    if table.rows.is_empty() {
        out.push_str(&format!(
            "<tr><td colspan=\"{}\" class=\"missing\">No data in this period.</td></tr>\n",
            table.columns.len().max(1)
        ));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// Text for HTML content or a double-quoted attribute.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text as a CSS string literal: anything but letters, digits, spaces and harmless punctuation
/// as a hex escape, so no quote, backslash or `</style>` can end it.
fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        if c.is_alphanumeric() || matches!(c, ' ' | '.' | ',' | '-' | '·' | '–' | '(' | ')') {
            out.push(c);
        } else {
            out.push_str(&format!("\\{:x} ", u32::from(c)));
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_html_and_for_css() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        let css = css_string("Smith's \"Lab\" </style>\\");
        assert_eq!(css, "\"Smith\\27 s \\22 Lab\\22  \\3c \\2f style\\3e \\5c \"");
    }
}
