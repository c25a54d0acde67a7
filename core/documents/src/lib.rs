//! One document model and its renderers, shared by the ILS host and its plugins: a [`Document`]
//! (a title, whose it is, sections of charts, tables and text) rendered as CSV, HTML or PDF by
//! pure functions, so the same document gives the same bytes.
//!
//! The crate reads nothing from the machine — no system fonts (DejaVu Sans is compiled in), no
//! clock, no threads — so it builds for `wasm32-wasip2` plugins as for the host. Why these
//! renderers: `docs/adr/026-report-rendering.md`.
//!
//! - The model: a [`Document`] of [`Section`]s — [`Chart`]s, [`Table`]s of typed [`Cell`]s, text.
//! - [`render()`] one document in one [`Format`]; [`render`](mod@render)'s modules for each:
//!   CSV (RFC 4180), HTML (inline SVG), PDF (krilla, embedded fonts), charts (plotters' SVG).
//!
//! ```
//! use ils_documents::{Cell, Column, Document, Format, Section, Table, render};
//!
//! let document = Document {
//!     title: "Stock value".into(),
//!     practice_name: "Northgate Opticians".into(),
//!     period: "1 Jan 2026 – 31 Mar 2026".into(),
//!     generated_at: "2026-04-01 09:30 UTC".into(),
//!     generated_at_ms: 1_775_035_859_000,
//!     sections: vec![Section::Table(Table {
//!         title: "By location".into(),
//!         columns: vec![Column::text("Location"), Column::number("Value").unit("GBP")],
//!         rows: vec![vec![Cell::Text("Main".into()), Cell::Money { minor: 125_000, currency: "GBP".into() }]],
//!     })],
//! };
//! let csv = render(&document, Format::Csv)?;
//! assert_eq!(csv, b"Location,Value (GBP)\r\nMain,1250.00\r\n");
//! assert!(render(&document, Format::Pdf)?.starts_with(b"%PDF-"));
//! # Ok::<(), ils_documents::RenderError>(())
//! ```

mod document;
mod error;
mod fonts;
pub mod render;

pub use document::{
    Align, Cell, Chart, ChartKind, Column, Document, Section, Series, Table, major_f64, major_units,
    minor_digits,
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
