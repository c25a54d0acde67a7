//! Patients and prescriptions as a plugin reads them (`ils:platform/clinical`), every read
//! audited by the host.

use ils_optics::Power;
use serde::{Deserialize, Serialize};

/// A patient, with only what plugins may need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patient {
    /// The patient's id in ILS.
    pub id: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// NHS number (ten digits, checked), when known.
    pub nhs_number: Option<String>,
}

/// One eye of a spectacle prescription, cylinder in minus form. The WIT carries powers as
/// hundredths of a dioptre; here they are exact [`Power`]s (an eighth, sent as `13`, is 0.125 D).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Eye {
    /// Sphere (in minus-cylinder form, like the cylinder).
    pub sphere: Power,
    /// Cylinder (minus form), if any.
    pub cylinder: Option<Power>,
    /// Axis in degrees, 1 to 180, when there is a cylinder.
    pub axis: Option<u16>,
    /// Reading addition, if any.
    pub add: Option<Power>,
}

/// A spectacle prescription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prescription {
    /// The prescription's id in ILS.
    pub id: String,
    /// The patient it belongs to.
    pub patient_id: String,
    /// Date issued, `YYYY-MM-DD`.
    pub issued_on: String,
    /// Date it expires, `YYYY-MM-DD`, when set.
    pub expires_on: Option<String>,
    /// Right eye.
    pub right: Eye,
    /// Left eye.
    pub left: Eye,
}

/// A sight test as the NHS GOS plugin reads it to fill a claim (`clinical.get-examination`,
/// 0.2.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Examination {
    /// The examination's id in ILS.
    pub id: String,
    /// The patient examined.
    pub patient_id: String,
    /// The day of the test, `YYYY-MM-DD`.
    pub examined_on: String,
    /// When it was finalised (milliseconds since the Unix epoch), none while a draft.
    pub finalised_at_ms: Option<i64>,
    /// The user who performed it.
    pub performed_by: Option<String>,
    /// Their name, as it goes on a claim.
    pub performer_name: Option<String>,
    /// The day of the patient's previous finalised examination in this practice, if any.
    pub last_sight_test_on: Option<String>,
    /// The refraction found, right eye.
    pub refraction_right: Option<Eye>,
    /// The refraction found, left eye.
    pub refraction_left: Option<Eye>,
    /// The prescription issued from it, if any.
    pub prescription_id: Option<String>,
}
