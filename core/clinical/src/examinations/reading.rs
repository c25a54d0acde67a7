//! A refractor's reading as a draft examination's refraction: the values a driver plugin read
//! (named `{stage}.{what}`: `final.sphere`, `subjective.axis`, `objective.pd`) become typed
//! powers and pupillary distances, taken from the final stage, else the subjective one, else bare
//! names (a driver without stages). An autorefractor's `objective.*` is never taken as a result.

use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::ExaminationId;

use super::service::{MeasuredEye, RecordRefraction, record_refraction};
use super::{Examination, PupillaryDistance};
use crate::rx::{Axis, Power, Steps};

/// One value a device measured, as its driver named it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured<'a> {
    /// Such as `final.sphere` or `working_distance`.
    pub name: &'a str,
    /// `right`, `left` or `both`.
    pub side: &'a str,
    /// The value, in the driver's unit for the name (D, degrees, mm, cm).
    pub value: f64,
}

/// What a reading gives a draft examination.
#[derive(Clone, Debug)]
pub struct DeviceRefraction {
    /// Right eye.
    pub right: MeasuredEye,
    /// Left eye.
    pub left: MeasuredEye,
    /// The pupillary distances and working distance measured.
    pub pd: PupillaryDistance,
}

/// The refraction in a reading; 422 when it holds no sphere for an eye, or a value that is not a
/// power or an axis (worded as for one typed in).
pub fn refraction(measurements: &[Measured<'_>]) -> Result<DeviceRefraction> {
    Ok(DeviceRefraction {
        right: measured_eye(measurements, "right")?,
        left: measured_eye(measurements, "left")?,
        pd: measured_pd(measurements),
    })
}

/// Fills draft examination `examination_id` from a reading, checked against the tenant's `steps`;
/// `source` (driver, device, warnings) goes in the audit entry. 409 once it is finalised.
pub async fn record_reading(
    uow: &mut UnitOfWork,
    examination_id: ExaminationId,
    measurements: &[Measured<'_>],
    source: serde_json::Value,
    steps: Steps,
) -> Result<Examination> {
    let DeviceRefraction { right, left, pd } = refraction(measurements)?;
    record_refraction(uow, RecordRefraction { examination_id, right, left, pd, source }, steps).await
}

/// A reading as written in an error: with a sign, two decimals, or three for what is not a
/// quarter step (`+1.25`, `-0.125`).
fn written(dioptres: f64) -> String {
    if (dioptres * 4.0).fract() == 0.0 { format!("{dioptres:+.2}") } else { format!("{dioptres:+.3}") }
}

/// A reading as a power; one that is not a power (not a multiple of 0.125 D) is an invalid
/// `field`, worded as for a power typed in.
fn power(field: &str, dioptres: f64) -> Result<Power> {
    Power::from_dioptres(dioptres)
        .ok_or_else(|| Error::invalid_field(field, format!("{:?} is not in 0.25 D steps", written(dioptres))))
}

/// The stage a refraction is taken from: the final one, else the subjective one, else (a driver
/// without stages, or the Nidek driver's `/prescription` form) bare names.
fn stage(measurements: &[Measured<'_>]) -> &'static str {
    ["final.", "subjective."]
        .into_iter()
        .find(|stage| measurements.iter().any(|m| m.name.strip_prefix(stage) == Some("sphere")))
        .unwrap_or("")
}

/// The last value named `name` for `side`: a device that measured twice sent the later one last.
fn value(measurements: &[Measured<'_>], name: &str, side: &str) -> Option<f64> {
    measurements.iter().rev().find(|m| m.name == name && m.side == side).map(|m| m.value)
}

/// One eye of the refraction: `sphere`, `cylinder`, `axis`, `add` for `side` (of the final stage,
/// else the subjective one), as typed values (checked against the tenant's steps by the service).
fn measured_eye(measurements: &[Measured<'_>], side: &str) -> Result<MeasuredEye> {
    let stage = stage(measurements);
    let value = |name: &str| value(measurements, &format!("{stage}{name}"), side);
    let field = |name: &str| format!("{side}.{name}");
    let sphere = value("sphere").ok_or_else(|| {
        Error::invalid_field("data", format!("the device output holds no {side} sphere (a final refraction)"))
    })?;
    let sphere = power(&field("sphere"), sphere)?;
    let cylinder = match value("cylinder").filter(|c| *c != 0.0) {
        #[allow(clippy::cast_possible_truncation)]
        Some(cyl) => Some((
            power(&field("cylinder"), cyl)?,
            value("axis").map(|a| Axis::new(&field("axis"), a.round() as i64)).transpose()?,
        )),
        None => None,
    };
    Ok(MeasuredEye {
        sphere,
        cylinder,
        add: value("add").filter(|a| *a > 0.0).map(|a| power(&field("add"), a)).transpose()?,
    })
}

/// The pupillary distances: the final (else subjective) stage's `pd` (binocular on `both`,
/// monocular per eye), `near_pd` and the `working_distance`. An autorefractor's `objective.pd` is
/// not taken.
fn measured_pd(measurements: &[Measured<'_>]) -> PupillaryDistance {
    let stage = stage(measurements);
    let pd = |name: &str, side: &str| value(measurements, &format!("{stage}{name}"), side);
    PupillaryDistance {
        distance_mm: pd("pd", "both"),
        right_mm: pd("pd", "right"),
        left_mm: pd("pd", "left"),
        near_mm: pd("near_pd", "both"),
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        working_distance_cm: value(measurements, "working_distance", "both")
            .filter(|cm| (0.0..=1000.0).contains(cm))
            .map(|cm| cm.round() as u16),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading<'a>(name: &'a str, side: &'a str, value: f64) -> Measured<'a> {
        Measured { name, side, value }
    }

    #[test]
    fn a_reading_becomes_typed_powers_without_a_text_round_trip() {
        let measurements = [
            reading("sphere", "right", -2.25),
            reading("cylinder", "right", -0.5),
            reading("axis", "right", 89.6),
            reading("add", "right", 0.0),
            reading("sphere", "left", 1.125),
        ];
        let right = measured_eye(&measurements, "right").unwrap();
        assert_eq!(right.sphere, Power::from_eighths(-18));
        let (cylinder, axis) = right.cylinder.unwrap();
        assert_eq!((cylinder, axis.map(Axis::degrees)), (Power::from_eighths(-4), Some(90)));
        assert_eq!(right.add, None);
        assert_eq!(measured_eye(&measurements, "left").unwrap().sphere, Power::from_eighths(9));
    }

    #[test]
    fn a_value_that_is_not_a_power_is_an_invalid_field_as_before() {
        let err = measured_eye(&[reading("sphere", "left", 1.1)], "left").unwrap_err();
        assert_eq!(err.to_string(), r#"left.sphere: "+1.100" is not in 0.25 D steps"#);
        let missing = measured_eye(&[reading("sphere", "left", 1.0)], "right").unwrap_err();
        let Error::Invalid { fields, .. } = missing else { panic!("not invalid: {missing:?}") };
        assert_eq!(fields[0].field, "data");
    }

    #[test]
    fn the_final_stage_wins_and_an_autorefractors_pd_is_not_taken() {
        let measurements = [
            reading("objective.sphere", "right", -3.0),
            reading("objective.pd", "both", 66.0),
            reading("final.sphere", "right", -2.0),
            reading("final.sphere", "left", -1.5),
            reading("final.near_pd", "both", 61.0),
        ];
        let read = refraction(&measurements).unwrap();
        assert_eq!(read.right.sphere, Power::from_eighths(-16));
        assert_eq!((read.pd.distance_mm, read.pd.near_mm), (None, Some(61.0)));
    }
}
