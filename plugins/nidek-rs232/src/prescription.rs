//! A draft prescription from the refractor's final values, in the shape core's
//! `POST /patients/{id}/prescriptions` takes (`PrescriptionInput`).
//!
//! Rules chosen (README, "Draft prescription"):
//! - Final far values (`FR`, `FL`, or `FB` for both) make the eyes; the last line for an eye
//!   wins, across every `@RT` block. An eye without one, or without a sphere, is an error.
//! - The add is the final add (`A`); without one, the final near sphere minus the final far
//!   sphere when that is positive (near = sphere + add); otherwise there is no add.
//! - Only `@RT` final values count: an autorefractor's (`@RM`) or a subjective PD is never the
//!   prescription's. PDs are the final `PD` line's monocular values (the near PD, `NP`, is not
//!   used). A binocular PD alone is not split in two: it goes into `notes` for the clinician.
//! - `issued_on` is the header's date when it has one, else left out; `prescriber` is empty:
//!   the clinician completes and signs the draft. Powers keep the device's cylinder form.

use ils_optics::Power;
use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::output::{Distance, Eye, Instrument, Reading, Stage, Transmission};

/// One eye, as core's `EyeInput`; powers are written with their sign and two decimals
/// (`+10.00`, `+0.12` for an eighth).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EyeDraft {
    /// Sphere, in the device's cylinder form.
    pub sphere: Power,
    /// Cylinder, absent for none.
    pub cylinder: Option<Power>,
    /// Axis 1–180, with a cylinder.
    pub axis: Option<u16>,
    /// Reading addition.
    pub add: Option<Power>,
}

/// A prescription to be completed by the clinician, as core's `PrescriptionInput`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrescriptionDraft {
    /// Always `spectacles`.
    pub kind: &'static str,
    /// Right eye.
    pub right: EyeDraft,
    /// Left eye.
    pub left: EyeDraft,
    /// Right monocular PD, mm.
    pub pd_right_mm: Option<f64>,
    /// Left monocular PD, mm.
    pub pd_left_mm: Option<f64>,
    /// The examination date (`YYYY-MM-DD`) from the header, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<String>,
    /// Empty: the clinician fills it in.
    pub prescriber: String,
    /// Where the draft came from, and a binocular PD not split.
    pub notes: Option<String>,
}

#[derive(Default)]
struct Finals {
    far: Option<(Option<Power>, Option<Power>, Option<u16>)>,
    near: Option<Power>,
    add: Option<Power>,
}

fn sides(eye: Eye) -> &'static [usize] {
    match eye {
        Eye::Right => &[0],
        Eye::Left => &[1],
        Eye::Both => &[0, 1],
    }
}

/// The draft prescription from a parsed transmission.
pub fn draft(transmission: &Transmission) -> Result<PrescriptionDraft> {
    let mut eyes = [Finals::default(), Finals::default()];
    let mut pd = None;
    let refractor = transmission.blocks.iter().filter(|b| b.instrument == Instrument::Refractor);
    for line in refractor.flat_map(|b| &b.lines) {
        match &line.reading {
            Reading::Refraction {
                stage: Stage::Final,
                distance: Distance::Far,
                eye,
                sphere,
                cylinder,
                axis,
            } => {
                for &i in sides(*eye) {
                    if let Some(e) = eyes.get_mut(i) {
                        e.far = Some((*sphere, *cylinder, *axis));
                    }
                }
            }
            Reading::Refraction { stage: Stage::Final, distance: Distance::Near, eye, sphere, .. } => {
                for &i in sides(*eye) {
                    if let Some(e) = eyes.get_mut(i) {
                        e.near = sphere.or(e.near);
                    }
                }
            }
            Reading::Add { stage: Stage::Final, eye, add } => {
                for &i in sides(*eye) {
                    if let Some(e) = eyes.get_mut(i) {
                        e.add = Some(*add);
                    }
                }
            }
            Reading::Pd { stage: Stage::Final, distance: Distance::Far, binocular, right, left } => {
                pd = Some((*binocular, *right, *left))
            }
            _ => {}
        }
    }
    let [right, left] = eyes;
    let eye = |finals: Finals, name: &str| -> Result<EyeDraft> {
        let Some((Some(sphere), cylinder, axis)) = finals.far else {
            return Err(Error::new(ErrorKind::Prescription(format!(
                "no final far sphere for the {name} eye"
            ))));
        };
        let add = finals.add.or_else(|| finals.near.map(|n| n - sphere).filter(|a| *a > Power::PLANO));
        Ok(EyeDraft { sphere, cylinder, axis: cylinder.and(axis), add })
    };
    let (right, left) = (eye(right, "right")?, eye(left, "left")?);
    let model =
        transmission.header.as_ref().and_then(|h| h.model.clone()).unwrap_or_else(|| "refractor".into());
    let mut notes = format!("Draft from the NIDEK {model} final refraction.");
    let (pd_right_mm, pd_left_mm) = match pd {
        Some((_, Some(r), Some(l))) => (Some(r), Some(l)),
        Some((Some(binocular), _, _)) => {
            notes.push_str(&format!(" Binocular PD {binocular:.1} mm."));
            (None, None)
        }
        _ => (None, None),
    };
    Ok(PrescriptionDraft {
        kind: "spectacles",
        right,
        left,
        pd_right_mm,
        pd_left_mm,
        issued_on: transmission.header.as_ref().and_then(|h| h.date.clone()),
        prescriber: String::new(),
        notes: Some(notes),
    })
}
