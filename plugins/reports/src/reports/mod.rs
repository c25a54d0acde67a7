//! The reports: what each reads, computes and shows. One module per report, each with its
//! [`Params`](turnaround::Params) and a `build` from a [`Source`](crate::Source) to a
//! [`Document`].

pub mod quality;
pub mod revenue;
pub mod stock;
pub mod suppliers;
pub mod turnaround;

use crate::params::DateRange;
use crate::source::Context;
use ils_documents::{Document, Section};

/// ILS roles, as `ils:platform` names them.
pub mod roles {
    /// A lab technician.
    pub const LAB_TECH: &str = "lab_tech";
    /// The company's administrator.
    pub const COMPANY_ADMIN: &str = "company_admin";
}

/// A report the plugin offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMeta {
    /// Its stable id, used to render it.
    pub id: &'static str,
    /// Its title.
    pub title: &'static str,
    /// One sentence on what it shows.
    pub description: &'static str,
    /// The formats it renders to.
    pub formats: Vec<crate::Format>,
    /// The ILS roles that may list and render it.
    pub roles: Vec<&'static str>,
    /// The JSON Schema (2020-12) of its parameters.
    pub params_schema: String,
    /// Whether the host may schedule it. None may yet: their period is fixed dates, so a
    /// schedule would render the same period every time.
    pub schedulable: bool,
}

/// A report's page and file header, around its sections.
pub(crate) fn document(title: &str, ctx: &Context, period: &DateRange, sections: Vec<Section>) -> Document {
    Document {
        title: title.into(),
        organisation: ctx.practice_name.clone(),
        letterhead: None,
        period: Some(period.display()),
        generated_at: generated_at(ctx.generated_at_ms),
        generated_at_ms: ctx.generated_at_ms,
        sections,
    }
}

/// `2026-04-01 09:30 UTC`.
fn generated_at(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(at) => format!("{} UTC", jiff::tz::TimeZone::UTC.to_datetime(at).strftime("%Y-%m-%d %H:%M")),
        Err(_) => "an unknown time".into(),
    }
}

/// The most categories a chart shows; the tables beside it have them all.
pub(crate) const MAX_BARS: usize = 12;

/// `1 order`, `21,255 orders`: a count and its noun (which takes an `s` in the plural).
pub(crate) fn count(n: i64, noun: &str) -> String {
    let number = ils_documents::Cell::Int(n).display();
    if n == 1 { format!("1 {noun}") } else { format!("{number} {noun}s") }
}

/// An ILS code as people read it: `coating_defect` is `Coating defect`.
pub(crate) fn humanize(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words_and_times_in_utc() {
        assert_eq!(humanize("coating_defect"), "Coating defect");
        assert_eq!(humanize(""), "");
        assert_eq!(count(1, "order"), "1 order");
        assert_eq!(count(0, "order"), "0 orders");
        assert_eq!(count(21_255, "order"), "21,255 orders");
        // 2026-04-01T09:30:59Z
        assert_eq!(generated_at(1_775_035_859_000), "2026-04-01 09:30 UTC");
    }
}
