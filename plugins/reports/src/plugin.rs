//! The plugin: `report-provider` on `ils:platform@0.2.0`. Reads go through the host's
//! aggregates (`reports.aggregate`, capability `reports-read`); a report larger than
//! [`INLINE_BYTES`] is stored in the tenant's file store (`files-write`) and returned by id.

use ils_plugin_sdk::host::{context, files, reports};
use ils_plugin_sdk::{Error, HostError, Plugin, RenderedReport, ReportFormat, ReportInfo, ReportOutput};

use crate::records::{Query, ResultSet};
use crate::{Context, Format, ReportError, Source, SourceError};

/// The largest report returned inline; a larger one goes to the file store (the host refuses
/// outputs over a MiB).
pub const INLINE_BYTES: usize = 512 * 1024;

/// The host's aggregates.
struct Host;

impl Source for Host {
    fn aggregate(&self, q: &Query) -> Result<ResultSet, SourceError> {
        reports::aggregate(q).map_err(|e| match e {
            HostError::Denied(m) => SourceError::Denied(m),
            HostError::NotFound => SourceError::NotFound,
            HostError::Invalid(m) => SourceError::Invalid(m),
            HostError::TooLarge => SourceError::TooLarge,
            HostError::Unavailable(m) => SourceError::Unavailable(m),
            other => SourceError::Unavailable(other.to_string()),
        })
    }
}

fn format_of(f: ReportFormat) -> Format {
    match f {
        ReportFormat::Csv => Format::Csv,
        ReportFormat::Html => Format::Html,
        ReportFormat::Pdf => Format::Pdf,
    }
}

fn wit_format(f: Format) -> ReportFormat {
    match f {
        Format::Csv => ReportFormat::Csv,
        Format::Html => ReportFormat::Html,
        Format::Pdf => ReportFormat::Pdf,
    }
}

/// What the plugin lists: every report, schedulable (the host sets each run's period).
pub fn offered() -> Vec<ReportInfo> {
    crate::catalogue()
        .into_iter()
        .map(|m| ReportInfo {
            id: m.id.into(),
            title: m.title.into(),
            description: m.description.into(),
            formats: m.formats.into_iter().map(wit_format).collect(),
            roles: m.roles.into_iter().map(str::to_owned).collect(),
            params_schema: Some(m.params_schema),
            schedulable: true,
        })
        .collect()
}

fn plugin_error(e: ReportError) -> Error {
    if e.retryable() { Error::retryable(e.to_string()) } else { Error::new(e.to_string()) }
}

/// Renders one report with the tenant's name and the invocation's time.
pub fn render(id: &str, params: &str, format: ReportFormat) -> Result<ReportOutput, Error> {
    let ctx = Context { practice_name: context::tenant()?.name, generated_at_ms: context::now_ms() };
    let rendered = crate::render(id, params, format_of(format), &Host, &ctx).map_err(plugin_error)?;
    if rendered.body.len() <= INLINE_BYTES {
        return Ok(ReportOutput::Inline(RenderedReport {
            content_type: rendered.content_type.into(),
            file_name: rendered.file_name,
            body: rendered.body,
        }));
    }
    let file = files::put(&rendered.file_name, rendered.content_type, &rendered.body)?;
    Ok(ReportOutput::Stored(file.id))
}

/// The plugin.
pub struct Reports;

impl Plugin for Reports {
    fn list_reports() -> Vec<ReportInfo> {
        offered()
    }

    fn render_report_output(id: &str, params: &str, format: ReportFormat) -> Result<ReportOutput, Error> {
        render(id, params, format)
    }
}

ils_plugin_sdk::export_plugin!(Reports);
