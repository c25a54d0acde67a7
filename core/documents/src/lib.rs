//! One document model and its renderers, shared by the ILS host and its plugins: a
//! [`Document`] — a title, whose it is, perhaps a letterhead and a period, and sections of
//! charts, tables, labelled fields, barcodes and text — rendered as CSV, HTML or PDF by pure
//! functions, so the same document gives the same bytes. The reports plugin builds reports with
//! it; the host builds lab job tickets and purchase orders.
//!
//! The crate reads nothing from the machine — no system fonts (DejaVu Sans is compiled in), no
//! clock, no threads — so it builds for `wasm32-wasip2` plugins as for the host. Why these
//! renderers: `docs/adr/026-report-rendering.md`; business documents and barcodes:
//! `docs/adr/037-business-documents.md`.
//!
//! - The model: a [`Document`] of [`Section`]s — [`Chart`]s, [`Table`]s of typed [`Cell`]s,
//!   [`Field`]s, a [`Barcode`] (Code 128, checked when made), text — and its [`Letterhead`].
//! - [`render()`] one document in one [`Format`]; [`render`](mod@render)'s modules for each:
//!   CSV (RFC 4180), HTML (inline SVG), PDF (krilla, embedded fonts), charts (plotters' SVG).
//!
//! ```
//! use ils_documents::{Barcode, Cell, Column, Document, Field, Format, Letterhead, Section, Table, render};
//!
//! let ticket = Document {
//!     title: "Job ticket J000123".into(),
//!     organisation: "Northgate Lab".into(),
//!     letterhead: Some(Letterhead {
//!         address: vec!["Unit 4, Riverside Estate".into(), "Leeds LS1 4AB".into()],
//!         phone: Some("0113 496 0000".into()),
//!         email: None,
//!     }),
//!     period: None,
//!     generated_at: "2026-04-01 09:30 UTC".into(),
//!     generated_at_ms: 1_775_035_859_000,
//!     sections: vec![
//!         Section::Barcode(Barcode::code128("J000123")?),
//!         Section::Fields(vec![Field::new("Practice", "Bright Eyes Opticians"), Field::new("Due", "3 Apr 2026")]),
//!         Section::Table(Table {
//!             title: "Lenses".into(),
//!             columns: vec![Column::text("Eye"), Column::text("Lens"), Column::number("Quantity")],
//!             rows: vec![vec![Cell::Text("Right".into()), Cell::Text("1.6 varifocal".into()), Cell::Int(1)]],
//!         }),
//!     ],
//! };
//! assert!(render(&ticket, Format::Pdf)?.starts_with(b"%PDF-"));
//! let html = String::from_utf8(render(&ticket, Format::Html)?)?;
//! assert!(html.contains(r#"role="img" aria-label="Barcode J000123""#));
//! assert_eq!(render(&ticket, Format::Csv)?, b"Eye,Lens,Quantity\r\nRight,1.6 varifocal,1\r\n");
//!
//! // A value Code 128 cannot carry is refused when the barcode is made.
//! assert!(Barcode::code128("J00é123").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod barcode;
mod document;
mod error;
mod fonts;
pub mod render;

pub use barcode::{Barcode, InvalidBarcode};
pub use document::{
    Align, Cell, Chart, ChartKind, Column, Document, Field, Letterhead, Section, Series, Table, major_f64,
    major_units, minor_digits,
};
pub use error::RenderError;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The document's tables as CSV.
    Csv,
    /// A self-contained HTML page.
    Html,
    /// An A4 PDF.
    Pdf,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Csv, Format::Html, Format::Pdf];

    /// Its media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
        }
    }

    /// Its file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Html => "html",
            Self::Pdf => "pdf",
        }
    }
}

/// `document` as `format`.
pub fn render(document: &Document, format: Format) -> Result<Vec<u8>, RenderError> {
    match format {
        Format::Csv => Ok(render::csv::render(document)),
        Format::Html => render::html::render(document),
        Format::Pdf => render::pdf::render(document),
    }
}
