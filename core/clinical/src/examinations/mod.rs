//! Eye examinations: visual acuity, the final refraction, intra-ocular pressure and notes. A
//! draft is finalised once; a finalised examination never changes and its refraction can become
//! the patient's prescription. A refraction is typed in, or measured by a refractor and read by a
//! driver plugin ([`reading::record_reading`]).

pub mod reading;
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

/// Pupillary distances measured at an examination, in mm to 0.1, and the working distance the
/// near values were measured at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PupillaryDistance {
    /// Binocular distance PD, mm (40–85).
    #[serde(default)]
    pub distance_mm: Option<f64>,
    /// Right monocular distance PD, mm (20–45).
    #[serde(default)]
    pub right_mm: Option<f64>,
    /// Left monocular distance PD, mm (20–45).
    #[serde(default)]
    pub left_mm: Option<f64>,
    /// Binocular near PD, mm (35–85).
    #[serde(default)]
    pub near_mm: Option<f64>,
    /// Working distance for near, cm (10–100).
    #[serde(default)]
    pub working_distance_cm: Option<u16>,
}

impl PupillaryDistance {
    /// Each value checked against its range and to 0.1 mm; an error names the field under
    /// `field` (`pd.near_mm`).
    pub fn checked(self, field: &str) -> Result<Self> {
        let mm = |name: &str, v: Option<f64>, range: std::ops::RangeInclusive<f64>| match v {
            Some(v) if !range.contains(&v) || ((v * 10.0).round() - v * 10.0).abs() > 1e-6 => {
                Err(Error::invalid_field(
                    &format!("{field}.{name}"),
                    format!("{v} mm is out of range ({}–{} mm, to 0.1 mm)", range.start(), range.end()),
                ))
            }
            v => Ok(v.map(|v| (v * 10.0).round() / 10.0)),
        };
        if let Some(cm) = self.working_distance_cm.filter(|cm| !(10..=100).contains(cm)) {
            return Err(Error::invalid_field(
                &format!("{field}.working_distance_cm"),
                format!("{cm} cm is out of range (10–100 cm)"),
            ));
        }
        Ok(Self {
            distance_mm: mm("distance_mm", self.distance_mm, 40.0..=85.0)?,
            right_mm: mm("right_mm", self.right_mm, 20.0..=45.0)?,
            left_mm: mm("left_mm", self.left_mm, 20.0..=45.0)?,
            near_mm: mm("near_mm", self.near_mm, 35.0..=85.0)?,
            working_distance_cm: self.working_distance_cm,
        })
    }

    /// Nothing measured.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
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
    /// Pupillary distances, typed in or measured by a refractor.
    pub pd: PupillaryDistance,
    /// Free-text notes (up to 10,000 characters); empty when none.
    pub notes: String,
    /// Who examined.
    pub examined_by: Option<UserId>,
    /// Finalised at (then it never changes).
    pub finalised_at: Option<Timestamp>,
    /// When the examination was first recorded (UTC); a draft's later edits do not change it.
    pub created_at: Timestamp,
}
