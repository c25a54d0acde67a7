//! The reports plugin's reports and renderers, without the plugin: five reports over a tenant's
//! orders, quality checks, stock and purchase orders, each rendered as CSV, HTML or PDF.
//!
//! The plugin glue calls three functions: [`catalogue`] (what it lists), [`params_schema`] (what
//! the host checks parameters against) and [`render()`] (one report, one format). Everything
//! underneath is pure: a report reads aggregates through a [`Source`] and builds a
//! [`Document`](documents::Document); [`ils_documents`]' renderers turn it into bytes.
//!
//! - [`source`]: the reads ([`Source::aggregate`]) and the [`Context`] (practice, time).
//! - [`params`]: parameters and their JSON Schema.
//! - [`reports`]: turnaround, quality, revenue, stock, suppliers.
//! - [`documents`]: the document model and its renderers (CSV, HTML, PDF), shared with the host
//!   (`core/documents`).
//!
//! ```
//! use ils_reports::records::{Query, ResultSet, measure_column};
//! use ils_reports::{Context, Format, Source, SourceError, render};
//!
//! /// A tenant with no data: every query answers no groups.
//! struct Empty;
//! impl Source for Empty {
//!     fn aggregate(&self, q: &Query) -> Result<ResultSet, SourceError> {
//!         let mut columns = q.group_by.clone();
//!         columns.extend(q.measures.iter().map(measure_column));
//!         Ok(ResultSet { columns, rows: vec![], truncated: false })
//!     }
//! }
//!
//! let ctx = Context { practice_name: "Northgate Opticians".into(), generated_at_ms: 1_775_035_859_000 };
//! let params = r#"{"period": {"start": "2026-01-01", "end": "2026-04-01"}}"#;
//! let csv = render("quality", params, Format::Csv, &Empty, &ctx).unwrap();
//! assert_eq!(csv.content_type, "text/csv; charset=utf-8");
//! assert_eq!(csv.file_name, "quality-2026-01-01-to-2026-03-31.csv");
//! assert!(csv.body.starts_with(b"By issue\r\nIssue,Failures,Remakes,Failure rate (%),Remake rate (%)\r\n"));
//! ```

pub mod error;
pub mod params;
pub mod plugin;
pub mod reports;
pub mod source;

pub use error::{ReportError, SourceError};
/// The document model and renderers the reports are built with.
pub use ils_documents as documents;
pub use ils_documents::Format;
/// The platform's report records (queries, answers, datasets), as [`Source`] takes them.
pub use ils_records::reports as records;
pub use reports::ReportMeta;
pub use source::{Context, Source};

/// A rendered report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Its media type (`application/pdf`).
    pub content_type: &'static str,
    /// A file name: the report's id and period, `turnaround-2026-01-01-to-2026-03-31.pdf`.
    pub file_name: String,
    /// The content.
    pub body: Vec<u8>,
}

/// Every report, as the plugin lists them.
pub fn catalogue() -> Vec<ReportMeta> {
    use reports::roles::{COMPANY_ADMIN, LAB_TECH};
    use reports::{quality, revenue, stock, suppliers, turnaround};
    let meta = |id, title, description, roles: &[&'static str]| ReportMeta {
        id,
        title,
        description,
        formats: Format::ALL.to_vec(),
        roles: roles.to_vec(),
        params_schema: params_schema(id).unwrap_or_default(),
        schedulable: false,
    };
    vec![
        meta(turnaround::ID, turnaround::TITLE, turnaround::DESCRIPTION, &[LAB_TECH, COMPANY_ADMIN]),
        meta(quality::ID, quality::TITLE, quality::DESCRIPTION, &[LAB_TECH, COMPANY_ADMIN]),
        meta(revenue::ID, revenue::TITLE, revenue::DESCRIPTION, &[COMPANY_ADMIN]),
        meta(stock::ID, stock::TITLE, stock::DESCRIPTION, &[COMPANY_ADMIN]),
        meta(suppliers::ID, suppliers::TITLE, suppliers::DESCRIPTION, &[COMPANY_ADMIN]),
    ]
}

/// The JSON Schema (2020-12) of report `id`'s parameters; none for an unknown report.
pub fn params_schema(id: &str) -> Option<String> {
    use reports::{quality, revenue, stock, suppliers, turnaround};
    let title = match id {
        turnaround::ID => turnaround::TITLE,
        quality::ID => quality::TITLE,
        revenue::ID => revenue::TITLE,
        stock::ID => stock::TITLE,
        suppliers::ID => suppliers::TITLE,
        _ => return None,
    };
    Some(params::period_schema(title).to_string())
}

/// Renders report `id` with `params_json` (an object valid against its schema) in `format`,
/// reading through `source`.
pub fn render(
    id: &str,
    params_json: &str,
    format: Format,
    source: &dyn Source,
    ctx: &Context,
) -> Result<Rendered, ReportError> {
    use reports::{quality, revenue, stock, suppliers, turnaround};
    let (document, period) = match id {
        turnaround::ID => {
            let p: turnaround::Params = params::parse(params_json)?;
            (turnaround::build(source, ctx, &p)?, p.period)
        }
        quality::ID => {
            let p: quality::Params = params::parse(params_json)?;
            (quality::build(source, ctx, &p)?, p.period)
        }
        revenue::ID => {
            let p: revenue::Params = params::parse(params_json)?;
            (revenue::build(source, ctx, &p)?, p.period)
        }
        stock::ID => {
            let p: stock::Params = params::parse(params_json)?;
            (stock::build(source, ctx, &p)?, p.period)
        }
        suppliers::ID => {
            let p: suppliers::Params = params::parse(params_json)?;
            (suppliers::build(source, ctx, &p)?, p.period)
        }
        other => return Err(ReportError::UnknownReport(other.into())),
    };
    let body = ils_documents::render(&document, format)?;
    let file_name = format!("{id}-{}-to-{}.{}", period.start(), period.last_day(), format.extension());
    Ok(Rendered { content_type: format.content_type(), file_name, body })
}
