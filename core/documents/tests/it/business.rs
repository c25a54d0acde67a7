//! A purchase order as a PDF and HTML: what a reader sees, and that nothing from data becomes
//! markup.

use ils_documents::{Barcode, Cell, Column, Document, Field, Format, Letterhead, Section, Table, render};

use crate::{purchase_order, rendered, text_of, tool};

#[test]
fn poppler_reads_the_letterhead_the_fields_every_line_and_page_2_of_2() {
    if !tool("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("po.pdf");
    std::fs::write(&path, rendered(&purchase_order(40), Format::Pdf, "purchase-order")).unwrap();
    let all = text_of(&path, None);
    for text in [
        "Northgate Lab",
        "Unit 4, Riverside Estate",
        "Leeds LS1 4AB",
        "Tel 0113 496 0000 · orders@northgate-lab.example",
        "Purchase order PO-000012",
        "Hoya Lens UK Ltd",
        "Goods in, Unit 4, Riverside Estate",
        "1 Apr 2026",
        "Total (GBP)",
        "1,000.00",
    ] {
        assert!(all.contains(text), "{text:?} missing from\n{all}");
    }
    // The order number: in the barcode's caption, the field and the title.
    assert!(all.matches("PO-000012").count() >= 3, "{all}");
    for i in 1..=40 {
        assert_eq!(all.matches(&format!("Lens line {i:02},")).count(), 1, "line {i}:\n{all}");
    }
    let (first, second) = (text_of(&path, Some(1)), text_of(&path, Some(2)));
    assert!(first.contains("Page 1 of 2") && second.contains("Page 2 of 2"), "{first}\n{second}");
    assert!(!all.contains("of 3"), "{all}");
    assert!(second.contains("Order lines (continued)") && second.contains("Lens line 40"));
    // The letterhead is on the first page; the name is on every page.
    assert!(second.contains("Northgate Lab") && !second.contains("Leeds LS1 4AB"), "{second}");
    // No period: no empty line where a report has it.
    assert!(first.contains("Generated 2026-04-01 09:30 UTC"));
}

#[test]
fn the_same_document_gives_the_same_bytes() {
    let document = purchase_order(40);
    assert_eq!(render(&document, Format::Pdf).unwrap(), render(&document, Format::Pdf).unwrap());
    assert_eq!(render(&document, Format::Html).unwrap(), render(&document, Format::Html).unwrap());
}

/// Every string a caller supplies, each a `<script>` naming where it was put.
fn hostile() -> Document {
    let s = |place: &str| format!("<script>{place}</script>");
    Document {
        title: s("title"),
        organisation: s("organisation"),
        letterhead: Some(Letterhead {
            address: vec![s("address")],
            phone: Some(s("phone")),
            email: Some(s("email")),
        }),
        period: Some(s("period")),
        generated_at: s("generated"),
        generated_at_ms: 0,
        sections: vec![
            Section::Barcode(Barcode::code128("<script>").expect("printable ASCII")),
            Section::Fields(vec![Field::new(&s("label"), &s("value"))]),
            Section::Table(Table {
                title: s("table"),
                columns: vec![Column::text(&s("column")).unit(&s("unit"))],
                rows: vec![vec![Cell::Text(s("cell"))], vec![Cell::Missing(s("missing"))]],
            }),
            Section::Text(s("text")),
        ],
    }
}

#[test]
fn html_draws_the_barcode_as_labelled_svg_and_escapes_every_data_string() {
    let html = String::from_utf8(rendered(&hostile(), Format::Html, "hostile")).unwrap();
    assert!(!html.contains("<script"), "markup from data in\n{html}");
    for place in [
        "title",
        "organisation",
        "address",
        "phone",
        "email",
        "period",
        "generated",
        "label",
        "value",
        "table",
        "column",
        "unit",
        "cell",
        "missing",
        "text",
    ] {
        assert!(html.contains(&format!("&lt;script&gt;{place}&lt;/script&gt;")), "{place} not shown escaped");
    }
    let barcode = Barcode::code128("<script>").unwrap();
    assert!(html.contains(r#"role="img" aria-label="Barcode &lt;script&gt;""#), "{html}");
    assert!(html.contains("<figcaption>&lt;script&gt;</figcaption>"));
    // Its bars, one rectangle each, at the PDF's size in points.
    let width = barcode.total_modules() as f32 * Barcode::MODULE_PT;
    assert!(html.contains(&format!(r#"width="{width}pt" height="40pt""#)), "{html}");
    assert_eq!(html.matches("<rect x=").count(), barcode.bars().len());
}

#[test]
fn a_business_document_s_html_has_its_letterhead_and_fields_but_no_period() {
    let html = String::from_utf8(rendered(&purchase_order(3), Format::Html, "purchase-order")).unwrap();
    assert!(html.contains(
        "<address>Unit 4, Riverside Estate<br>Leeds LS1 4AB<br>Tel 0113 496 0000 · orders@northgate-lab.example</address>"
    ));
    assert!(html.contains("<dt>Supplier</dt><dd>Hoya Lens UK Ltd</dd>"));
    assert!(html.contains("<p class=\"meta\">Generated 2026-04-01 09:30 UTC</p>"), "{html}");
    // The print header's title has no " · " and nothing after it.
    assert!(html.contains("@top-right { content: \"Purchase order PO-000012\";"), "{html}");
}
