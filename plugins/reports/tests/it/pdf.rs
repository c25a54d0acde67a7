//! PDFs: their structure always; their text and pages with poppler's `pdftotext` and
//! `pdftoppm` when the machine has them (Debian's `poppler-utils`), skipped with a message when
//! not.

use std::path::Path;
use std::process::Command;

use ils_reports::Format;

use crate::memory::Memory;
use crate::stock::level;
use crate::{params, rendered};

const REPORTS: [&str; 5] = ["turnaround", "quality", "revenue", "stock", "suppliers"];

/// Stock with 120 items under their reorder point: a table over several pages.
fn long_stock() -> Memory {
    let mut m = Memory::default();
    for i in 0..120 {
        level(&mut m, &format!("SKU-{i:03}"), if i % 2 == 0 { "Main" } else { "Branch" }, 1, 10, Some(1250));
    }
    level(&mut m, "NEW-1", "Main", 0, 2, None);
    m
}

fn pdf(id: &str, source: &Memory) -> Vec<u8> {
    let out = rendered(id, &params("2026-03-01", "2026-04-01"), Format::Pdf, source);
    assert_eq!(out.content_type, "application/pdf");
    assert_eq!(out.file_name, format!("{id}-2026-03-01-to-2026-03-31.pdf"));
    out.body
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The page tree's `/Count`.
fn page_count(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    let at = text.find("/Type/Pages").expect("a page tree");
    let count = &text[at..].split("/Count ").nth(1).expect("a count");
    count.chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("a number")
}

#[test]
fn every_report_is_a_pdf_with_its_font_embedded_and_the_context_s_date() {
    for id in REPORTS {
        let pdf = pdf(id, &long_stock());
        assert!(pdf.starts_with(b"%PDF-"), "{id}");
        assert!(contains(&pdf, "/FontFile2"), "{id}: no embedded TrueType font");
        assert!(contains(&pdf, "+DejaVuSans"), "{id}: the font is not a DejaVu subset");
        assert!(contains(&pdf, "D:20260401093059"), "{id}: creation date is not the context's");
        assert!(page_count(&pdf) >= 1);
    }
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    assert_eq!(pdf("turnaround", &long_stock()), pdf("turnaround", &long_stock()));
}

#[test]
fn a_long_table_runs_over_pages() {
    let pdf = pdf("stock", &long_stock());
    // 121 rows at 13.5 pt on a 704 pt body, after the notes, the value table and the chart of
    // the items under their reorder point: four pages.
    assert_eq!(page_count(&pdf), 4);
}

fn tool(name: &str) -> bool {
    let found = Command::new(name).arg("-v").output().is_ok();
    if !found {
        eprintln!("skipped: {name} is not installed (Debian package poppler-utils)");
    }
    found
}

fn text_of(path: &Path, page: Option<usize>) -> String {
    let mut command = Command::new("pdftotext");
    if let Some(page) = page {
        command.args(["-f", &page.to_string(), "-l", &page.to_string()]);
    }
    let out = command.arg(path).arg("-").output().expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn poppler_reads_the_figures_the_header_on_every_page_and_page_n_of_m() {
    if !tool("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stock.pdf");
    std::fs::write(&path, pdf("stock", &long_stock())).unwrap();
    let pages = 4;
    let all = text_of(&path, None);
    // 60 items at 12.50 per location, one unit each: 750.00 a location, 1,500.00 in all.
    for figure in ["750.00", "1,500.00", "never received", "SKU-000", "SKU-119", "NEW-1"] {
        assert!(all.contains(figure), "{figure} missing from\n{all}");
    }
    for page in 1..=pages {
        let text = text_of(&path, Some(page));
        assert!(text.contains(&format!("Page {page} of {pages}")), "page {page}:\n{text}");
        assert!(text.contains("Northgate <Opticians> & Co"), "page {page} has no practice name");
        assert!(text.contains("Stock value and reorder") && text.contains("1 Mar 2026 – 31 Mar 2026"));
    }
    assert!(text_of(&path, Some(2)).contains("Under their reorder point (continued)"));
    // Every row once (its name is "Lens SKU-…").
    for i in 0..120 {
        assert_eq!(all.matches(&format!("Lens SKU-{i:03}")).count(), 1, "SKU-{i:03}");
    }
}

#[test]
fn poppler_reads_chart_text_drawn_with_the_embedded_font_and_renders_every_page() {
    if !tool("pdftotext") || !tool("pdftoppm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for id in REPORTS {
        let path = dir.path().join(format!("{id}.pdf"));
        let pdf = pdf(id, &long_stock());
        std::fs::write(&path, &pdf).unwrap();
        let out = Command::new("pdftoppm")
            .args(["-r", "24", "-png"])
            .arg(&path)
            .arg(dir.path().join(id))
            .output()
            .unwrap();
        assert!(out.status.success(), "{id}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{id}: pdftoppm complained: {}", String::from_utf8_lossy(&out.stderr));
        let images = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(&format!("{id}-")))
            .count();
        assert_eq!(images, page_count(&pdf), "{id}: a page did not render");
    }
    // The chart's title and axis names are text in the PDF, not outlines.
    let text = text_of(&dir.path().join("turnaround.pdf"), None);
    assert!(text.contains("Turnaround by week placed") && text.contains("Week"), "{text}");
}
