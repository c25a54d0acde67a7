//! NHS General Ophthalmic Services (England) for ILS: who may have an NHS sight test or a
//! voucher, when a re-test is due, which voucher band a prescription is in and what it is worth,
//! and GOS 1, 3, 4 and 6 claims from draft to paid.
//!
//! The rules are pure functions, each in its own module and tested at its edges:
//!
//! - [`eligibility`]: sight test and voucher eligibility from a patient's facts and age.
//! - [`interval`]: minimum re-test intervals and early re-test reason codes.
//! - [`band`]: voucher bands from a prescription, supplements, complex lenses.
//! - [`values`]: voucher values and fees per financial year, as data an admin updates.
//! - [`claims`]: claims, their status cycle and their pre-submission checks.
//!
//! The plugin glue on top: [`api`] (HTTP routes), [`proposals`] (draft claims from events),
//! [`report`] (claims by month and status, as a report),
//! [`claims::prefill`] (voucher claims filled from the order and prescription in ILS),
//! [`facts`] (patient facts in kv). Decisions on the points DOMAIN.md leaves open are listed in
//! the README, each with the test at its edge.
//!
//! ```
//! use nhs_gos::band::{calculate, Band, BandRequest, Eye, LensType};
//!
//! // +5.00/+2.00×90 is +7.00/−2.00×180: sphere read 7.00, cylinder 2.00, band B; varifocal F.
//! let right: Eye = serde_json::from_str(r#"{"sphere": "+5.00", "cylinder": "+2.00", "axis": 90}"#).unwrap();
//! let left: Eye = serde_json::from_str(r#"{"sphere": "+1.00"}"#).unwrap();
//! let result = calculate(&BandRequest { right, left, lens_type: LensType::Varifocal, ..Default::default() });
//! assert_eq!(result.band, Band::F);
//! ```

pub mod api;
pub mod band;
pub mod claims;
pub mod date;
pub mod eligibility;
pub mod error;
pub mod facts;
pub mod interval;
pub mod proposals;
pub mod report;
pub mod values;

use ils_plugin_sdk::{
    Error, Event, Plugin, RecallAdvice, RenderedReport, ReportFormat, ReportInfo, Request, Response,
    export_plugin,
};

/// The plugin.
pub struct NhsGos;

impl Plugin for NhsGos {
    fn handle_event(event: Event) -> Result<(), Error> {
        proposals::handle(&event)
    }

    fn handle_http(request: Request) -> Response {
        api::handle(&request)
    }

    fn list_reports() -> Vec<ReportInfo> {
        report::offered()
    }

    fn render_report(id: &str, params: &str, format: ReportFormat) -> Result<RenderedReport, Error> {
        report::render(id, params, format)
    }

    fn advise_recall(patient_id: &str, born_on: Option<&str>, examined_on: &str) -> Option<RecallAdvice> {
        let interval = interval::recall_advice(patient_id, born_on, examined_on)?;
        Some(RecallAdvice { months: u8::try_from(interval.months).ok()?, reason: interval.why.to_string() })
    }
}

export_plugin!(NhsGos);
