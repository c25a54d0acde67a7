//! Business documents end to end: a purchase order and a job ticket rendered as PDF and HTML,
//! the PDF read back with poppler (`pdftotext`, and `pdftoppm` for the barcode's pixels) when the
//! machine has it (Debian's `poppler-utils`), skipped with a message when not — except under
//! CI, where `scripts/test` installs it and a missing reader fails.

mod barcode;
mod business;
mod code128;

use std::path::Path;
use std::process::Command;

use ils_documents::{Barcode, Cell, Column, Document, Field, Format, Letterhead, Section, Table, render};

/// `document` as `format`; kept in the folder `ILS_DOCUMENTS_KEEP` names, when set, to look at.
pub(crate) fn rendered(document: &Document, format: Format, name: &str) -> Vec<u8> {
    let body = render(document, format).unwrap_or_else(|e| panic!("{name}: {e}"));
    if let Ok(dir) = std::env::var("ILS_DOCUMENTS_KEEP") {
        std::fs::write(Path::new(&dir).join(format!("{name}.{}", format.extension())), &body).expect("kept");
    }
    body
}

/// Whether poppler's `name` is installed; says the test is skipped when it is not.
pub(crate) fn tool(name: &str) -> bool {
    let found = Command::new(name).arg("-v").output().is_ok();
    if !found {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(!ci, "CI=true but {name} (Debian package poppler-utils) is not installed");
        eprintln!("skipped: {name} is not installed (Debian package poppler-utils)");
    }
    found
}

/// The PDF's text, or one page's, as `pdftotext` reads it.
pub(crate) fn text_of(path: &Path, page: Option<usize>) -> String {
    let mut command = Command::new("pdftotext");
    if let Some(page) = page {
        command.args(["-f", &page.to_string(), "-l", &page.to_string()]);
    }
    let out = command.arg(path).arg("-").output().expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

pub(crate) fn letterhead() -> Letterhead {
    Letterhead {
        address: vec!["Unit 4, Riverside Estate".into(), "Leeds LS1 4AB".into()],
        phone: Some("0113 496 0000".into()),
        email: Some("orders@northgate-lab.example".into()),
    }
}

/// A purchase order of `lines` lens lines, its number as a barcode, its total after the table.
pub(crate) fn purchase_order(lines: usize) -> Document {
    let gbp = |minor| Cell::Money { minor, currency: "GBP".into() };
    let rows = (1..=lines)
        .map(|i| {
            let quantity = 1 + i as i64 % 3;
            vec![
                Cell::Text(format!("HOY-{i:04}")),
                Cell::Text(format!("Lens line {i:02}, 1.6 single vision")),
                Cell::Int(quantity),
                gbp(1250),
                gbp(1250 * quantity),
            ]
        })
        .collect();
    let total: i64 = (1..=lines).map(|i| 1250 * (1 + i as i64 % 3)).sum();
    Document {
        title: "Purchase order PO-000012".into(),
        organisation: "Northgate Lab".into(),
        letterhead: Some(letterhead()),
        period: None,
        generated_at: "2026-04-01 09:30 UTC".into(),
        generated_at_ms: 1_775_035_859_000,
        sections: vec![
            Section::Barcode(Barcode::code128("PO-000012").expect("a valid value")),
            Section::Fields(vec![
                Field::new("Order number", "PO-000012"),
                Field::new("Supplier", "Hoya Lens UK Ltd"),
                Field::new("Deliver to", "Northgate Lab\nGoods in, Unit 4, Riverside Estate\nLeeds LS1 4AB"),
                Field::new("Ordered", "1 Apr 2026"),
            ]),
            Section::Table(Table {
                title: "Order lines".into(),
                columns: vec![
                    Column::text("SKU"),
                    Column::text("Description"),
                    Column::number("Quantity"),
                    Column::number("Unit price").unit("GBP"),
                    Column::number("Line total").unit("GBP"),
                ],
                rows,
            }),
            Section::Fields(vec![Field::new(
                "Total (GBP)",
                &Cell::Money { minor: total, currency: "GBP".into() }.display(),
            )]),
        ],
    }
}

/// A lab's job ticket for job `job`.
pub(crate) fn job_ticket(job: &str) -> Document {
    Document {
        title: format!("Job ticket {job}"),
        organisation: "Northgate Lab".into(),
        letterhead: Some(letterhead()),
        period: None,
        generated_at: "2026-04-01 09:30 UTC".into(),
        generated_at_ms: 1_775_035_859_000,
        sections: vec![
            Section::Barcode(Barcode::code128(job).expect("a valid value")),
            Section::Fields(vec![
                Field::new("Practice", "Bright Eyes Opticians"),
                Field::new("Patient reference", "BE-4471"),
                Field::new("Due", "3 Apr 2026"),
            ]),
        ],
    }
}
