//! Eye examinations: visual acuity, the final refraction, intra-ocular pressure and notes. A
//! draft is finalised once; a finalised examination never changes and its refraction can become
//! the patient's prescription. A refraction is typed in, or measured by a refractor and read by a
//! driver plugin ([`record_refraction`]).

mod service;
pub mod store;

use ils_kernel::{Error, Result};
use ils_storage::ids::{ExaminationId, PatientId, UserId};
use ils_storage::types::Timestamp;
use serde::{Deserialize, Serialize};

use crate::prescriptions::EyeView;

pub use service::{
    ExaminationValues, MeasuredEye, Prescribe, RecordRefraction, finalise, list_for_patient, prescribe, read,
    record, record_refraction, update,
};
pub use store::{NewExamination, get, insert};

/// Visual acuity as recorded: Snellen `6/n` (n from the standard chart: 3, 4, 5, 6, 7.5, 9, 12,
/// 18, 24, 36, 60), or `CF` (counting fingers), `HM` (hand movements), `PL` / `NPL`
/// ((no) perception of light).
pub fn parse_acuity(field: &str, text: &str) -> Result<String> {
    const CHART: [&str; 11] = ["3", "4", "5", "6", "7.5", "9", "12", "18", "24", "36", "60"];
    let text = text.trim().to_uppercase();
    let ok = match text.split_once('/') {
        Some(("6", n)) => CHART.contains(&n),
        Some(_) => false,
        None => matches!(text.as_str(), "CF" | "HM" | "PL" | "NPL"),
    };
    if ok {
        Ok(text)
    } else {
        Err(Error::invalid_field(
            field,
            format!("{text:?} is not a visual acuity (6/6, 6/9 … 6/60, CF, HM, PL, NPL)"),
        ))
    }
}

/// Per-eye values.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pair<T> {
    /// Right eye.
    pub right: Option<T>,
    /// Left eye.
    pub left: Option<T>,
}

/// An examination as the API shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Examination {
    /// The examination's id (UUIDv7, so ids sort by the time it was recorded).
    pub id: ExaminationId,
    /// The id of the patient examined.
    pub patient_id: PatientId,
    /// When (YYYY-MM-DD).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub examined_on: jiff::civil::Date,
    /// Visual acuity per eye.
    pub visual_acuity: Pair<String>,
    /// Intra-ocular pressure per eye, mmHg.
    pub iop_mmhg: Pair<i32>,
    /// Final refraction per eye (minus-cylinder form), if measured.
    pub refraction: Option<Pair<EyeView>>,
    /// Free-text notes (up to 10,000 characters); empty when none.
    pub notes: String,
    /// Who examined.
    pub examined_by: Option<UserId>,
    /// Finalised at (then it never changes).
    pub finalised_at: Option<Timestamp>,
    /// When the examination was first recorded (UTC); a draft's later edits do not change it.
    pub created_at: Timestamp,
}
