//! The plugin: `recommender` on `ils:platform@0.2.0`, three kinds (its manifest,
//! `ils-plugin.toml`, names them and the roles that may ask):
//!
//! - `lens` ([`lens`]): material, design and thickness for a prescription in a frame — pure
//!   optics on the input, no reads;
//! - `frames` ([`frames`]): the frames the practice stocks that suit a prescription, ranked by
//!   what similar prescriptions chose (`inventory-read`; `reports-read` and `clinical-read` for
//!   the practice's orders with their prescriptions);
//! - `reorder` ([`reorder`]): reorder points and quantities per item and location from the
//!   tenant's stock ledger and purchase orders (`reports-read`, `inventory-read`), each due one
//!   proposing a draft purchase order;
//! - `anomalies` ([`anomalies`]): turnaround and quality failures drifting from normal, per
//!   station and lens type, from the tenant's orders and quality checks (`reports-read`).
//!
//! Every number comes from this crate's computations on the tenant's own data; each
//! recommendation carries them as figures, and its explanation in words — reworded by the
//! tenant's own language model when it configured one ([`phrasing`]), its numbers checked.

pub mod anomalies;
pub mod frames;
pub mod lens;
pub mod phrasing;
pub mod reorder;

use ils_plugin_sdk::{Error, Figure, Plugin, Recommendation};

use crate::{Explanation, RecoError};

/// A refusal the caller can act on (not retryable: the input or the history must change).
pub(crate) fn refused(e: RecoError) -> Error {
    Error::new(e.to_string())
}

/// Reads `input` as `T`, naming what is wrong.
pub(crate) fn input<T: serde::de::DeserializeOwned>(kind: &str, input: &str) -> Result<T, Error> {
    let mut reader = serde_json::Deserializer::from_str(input);
    serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." { String::new() } else { format!(" at {at}") };
        Error::new(format!("{kind}: the input does not fit{at}: {}", e.inner()))
    })
}

/// The explanation's lines as one text.
pub(crate) fn words(explanation: &Explanation) -> String {
    explanation.lines().join(" ")
}

/// A figure rounded for people: two decimals.
pub(crate) fn figure(name: &str, value: f64, unit: &str) -> Figure {
    Figure::new(name, (value * 100.0).round() / 100.0, unit)
}

/// A day in milliseconds.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// The UTC day of an instant.
pub(crate) fn date_of(ms: i64) -> Result<jiff::civil::Date, Error> {
    let at =
        jiff::Timestamp::from_millisecond(ms).map_err(|e| Error::new(format!("a time out of range: {e}")))?;
    Ok(at.to_zoned(jiff::tz::TimeZone::UTC).date())
}

/// The UTC day of an instant as a period bound (`2026-12-05`).
pub(crate) fn day_text(ms: i64) -> Result<String, Error> {
    Ok(date_of(ms)?.to_string())
}

/// The start of tomorrow (UTC) from the invocation's clock: where histories end, so that today's
/// rows count.
pub(crate) fn history_end() -> i64 {
    (ils_plugin_sdk::host::context::now_ms().div_euclid(DAY_MS) + 1) * DAY_MS
}

/// The plugin.
pub struct Recommender;

impl Plugin for Recommender {
    fn recommend(kind: &str, input: &str) -> Result<Vec<Recommendation>, Error> {
        let mut found = match kind {
            "lens" => lens::recommend(input),
            "frames" => frames::recommend(input),
            "reorder" => reorder::recommend(input),
            "anomalies" => anomalies::recommend(input),
            other => Err(Error::new(format!("this plugin gives no recommendations of kind {other:?}"))),
        }?;
        phrasing::phrase(&mut found);
        Ok(found)
    }
}

ils_plugin_sdk::export_plugin!(Recommender);
