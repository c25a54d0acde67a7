//! The printed barcode reads back as its value: the PDF page rendered at 300 dpi by poppler,
//! every pixel row through the bars decoded with the Code 128 table, and the bars' sizes
//! measured against what a scanner needs.

use std::path::Path;
use std::process::Command;

use ils_documents::{Barcode, Document, Format};

use crate::code128::{Read, read};
use crate::{job_ticket, purchase_order, rendered, tool};

const DPI: f64 = 300.0;
const PX_PER_MM: f64 = DPI / 25.4;

/// Page 1 of `document`'s PDF in grey at 300 dpi, as rows of dark (`true`) and light pixels,
/// and the grey levels.
fn page_pixels(document: &Document, name: &str, dir: &Path) -> (Vec<Vec<bool>>, Vec<Vec<u8>>) {
    let pdf = dir.join("document.pdf");
    std::fs::write(&pdf, rendered(document, Format::Pdf, name)).expect("the PDF written");
    let out = Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(dir.join("page"))
        .output()
        .expect("pdftoppm runs");
    assert!(out.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&out.stderr));
    let pgm = std::fs::read(dir.join("page.pgm")).expect("a PGM");
    // P5, width, height, maximum, one whitespace byte, then the pixels.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let end = at + pgm[at..].iter().position(u8::is_ascii_whitespace).expect("a PGM header");
        fields.push(String::from_utf8_lossy(&pgm[at..end]).to_string());
        at = end;
    }
    assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P5", "255"));
    let width: usize = fields[1].parse().expect("a width");
    let grey: Vec<Vec<u8>> = pgm[at + 1..].chunks(width).map(<[u8]>::to_vec).collect();
    let dark = grey.iter().map(|row| row.iter().map(|&p| p < 128).collect()).collect();
    (dark, grey)
}

/// Every row that reads as a barcode, with its number.
fn reads(rows: &[Vec<bool>]) -> Vec<(usize, Read)> {
    rows.iter().enumerate().filter_map(|(y, row)| read(row).map(|r| (y, r))).collect()
}

/// Bar and space widths in modules, from barcoders' bits.
fn module_runs(modules: &[bool]) -> Vec<usize> {
    modules.chunk_by(|a, b| a == b).map(<[bool]>::len).collect()
}

#[test]
fn a_job_ticket_s_printed_barcode_reads_back_as_the_job_number_at_a_scannable_size() {
    if !tool("pdftoppm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (rows, grey) = page_pixels(&job_ticket("J000123"), "job-ticket", dir.path());
    let reads = reads(&rows);
    assert!(!reads.is_empty(), "no row reads as a barcode");
    assert!(reads.iter().all(|(_, r)| r.value == "J000123"), "{reads:?}");

    // The bars are at least 12 mm tall: that many rows read, one after another.
    let (top, bottom) = (reads[0].0, reads[reads.len() - 1].0);
    assert_eq!(reads.len(), bottom - top + 1, "a row within the bars does not read");
    assert!(reads.len() as f64 >= 12.0 * PX_PER_MM, "{} rows: under 12 mm", reads.len());

    let (_, middle) = &reads[reads.len() / 2];
    // A module is at least 0.25 mm.
    assert!(middle.module_px >= 0.25 * PX_PER_MM, "module {} px", middle.module_px);
    // The bars and spaces are barcoders' modules, each a whole number of modules wide.
    let barcode = Barcode::code128("J000123").unwrap();
    let measured: Vec<usize> =
        middle.runs_px.iter().map(|px| (*px as f64 / middle.module_px).round() as usize).collect();
    assert_eq!(measured, module_runs(barcode.modules()));

    // Quiet zones of at least 10 modules, blank on every row of the bars (the pixel at a bar's
    // edge may be grey).
    let quiet = (10.0 * middle.module_px).ceil() as usize;
    assert!(middle.quiet_px.0 >= quiet && middle.quiet_px.1 >= quiet, "{:?}", middle.quiet_px);
    for row in &grey[top..=bottom] {
        let before = &row[middle.left - quiet..middle.left - 1];
        let after = &row[middle.right + 1..middle.right + quiet];
        assert!(before.iter().chain(after).all(|&p| p == 255), "a mark in a quiet zone");
    }
}

#[test]
fn a_purchase_order_s_barcode_reads_back_on_a_page_full_of_text() {
    if !tool("pdftoppm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (rows, _) = page_pixels(&purchase_order(40), "purchase-order-barcode", dir.path());
    let reads = reads(&rows);
    assert!(reads.len() as f64 >= 12.0 * PX_PER_MM, "{} rows read", reads.len());
    assert!(reads.iter().all(|(_, r)| r.value == "PO-000012"), "{reads:?}");
}
