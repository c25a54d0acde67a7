//! A document's tables as CSV (RFC 4180).
//!
//! The rules:
//! - Fields are separated by commas; lines end with CRLF, the last one too.
//! - A field holding a comma, a double quote, CR or LF is quoted, its quotes doubled.
//! - Each table starts with a header row of its column headings, units in brackets
//!   (`Median (days)`).
//! - Numbers are written as computed, without grouping: whole numbers as they are, decimals with
//!   their fixed places, money in major units of its currency (`12.50`, never `£`), percentages
//!   as the percentage with fixed places (`12.50` in a `(%)` column). A missing value is an
//!   empty field.
//! - A text field starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, so a
//!   spreadsheet shows a supplier called `=HYPERLINK(…)` instead of running it (OWASP's advice
//!   on CSV injection). Numbers are never changed.
//! - A document with one table is just that table. With several, each is preceded by a row
//!   holding only its title, and tables are separated by one empty line.
//! - Charts, text, fields and barcodes are left out: every charted figure is also in a table,
//!   and a business document's CSV is its lines.

use crate::document::{Cell, Document, Table};

/// The document's tables as CSV.
pub fn render(document: &Document) -> Vec<u8> {
    let tables: Vec<&Table> = document.tables().collect();
    let titled = tables.len() > 1;
    let mut out = String::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        if titled {
            line(&mut out, [text_field(&table.title)]);
        }
        line(&mut out, table.columns.iter().map(|c| text_field(&c.heading())));
        for row in &table.rows {
            line(
                &mut out,
                row.iter().map(|cell| match cell {
                    Cell::Text(t) => text_field(t),
                    other => other.plain(),
                }),
            );
        }
    }
    out.into_bytes()
}

fn line(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        quote(out, &field);
    }
    out.push_str("\r\n");
}

/// Text as a spreadsheet should show it, not evaluate it.
fn text_field(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() }
}

fn quote(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Column, Section};

    fn doc(tables: Vec<Table>) -> Document {
        Document {
            title: "T".into(),
            organisation: "P".into(),
            letterhead: None,
            period: Some("p".into()),
            generated_at: "g".into(),
            generated_at_ms: 0,
            sections: tables.into_iter().map(Section::Table).collect(),
        }
    }

    fn table(title: &str, rows: Vec<Vec<Cell>>) -> Table {
        Table {
            title: title.into(),
            columns: vec![Column::text("Name"), Column::number("Value").unit("GBP")],
            rows,
        }
    }

    #[test]
    fn fields_with_commas_quotes_or_line_breaks_are_quoted_and_lines_end_in_crlf() {
        let rows = vec![
            vec![
                Cell::Text("Smith, Jones & \"Co\"".into()),
                Cell::Money { minor: 1250, currency: "GBP".into() },
            ],
            vec![Cell::Text("two\nlines".into()), Cell::Missing("never received".into())],
        ];
        let csv = String::from_utf8(render(&doc(vec![table("Only", rows)]))).unwrap();
        assert_eq!(csv, "Name,Value (GBP)\r\n\"Smith, Jones & \"\"Co\"\"\",12.50\r\n\"two\nlines\",\r\n");
    }

    #[test]
    fn several_tables_are_titled_and_separated_by_an_empty_line() {
        let a = table("By lab", vec![vec![Cell::Text("A".into()), Cell::Int(1)]]);
        let b = table("By week", vec![]);
        let csv = String::from_utf8(render(&doc(vec![a, b]))).unwrap();
        assert_eq!(csv, "By lab\r\nName,Value (GBP)\r\nA,1\r\n\r\nBy week\r\nName,Value (GBP)\r\n");
    }

    #[test]
    fn text_a_spreadsheet_would_evaluate_is_defused_but_negative_numbers_are_not() {
        let rows = vec![vec![Cell::Text("=HYPERLINK(\"x\")".into()), Cell::Int(-3)]];
        let csv = String::from_utf8(render(&doc(vec![table("T", rows)]))).unwrap();
        assert!(csv.ends_with("\"'=HYPERLINK(\"\"x\"\")\",-3\r\n"), "{csv}");
    }
}
