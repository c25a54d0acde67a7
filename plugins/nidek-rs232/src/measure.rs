//! A transmission as measurements, named `{stage}.{what}` for what the value is and who gave it.
//!
//! The stage is the block's for `@LM` (`lensmeter`) and `@RM` (`objective`, and `O` lines
//! anywhere); in `@RT` it is the code's letter case: `subjective` (lower) or `final` (upper).
//! An autorefractor's PD is `objective.pd`, never `final.pd`.
//!
//! | Name | Unit | Side |
//! |---|---|---|
//! | `{stage}.sphere`, `.cylinder`, `.axis` (far) | D, D, deg | the line's eye |
//! | `{stage}.near.sphere`, `.near.cylinder`, `.near.axis` | D, D, deg | the line's eye |
//! | `{stage}.add` | D | the line's eye |
//! | `{stage}.acuity`, `{stage}.uncorrected_acuity` | `decimal` | the line's eye |
//! | `{stage}.pd`, `{stage}.near_pd` | mm | both (binocular), right and left (monocular) |
//! | `working_distance` | cm | both |
//!
//! So `final.sphere`, `subjective.near.axis`, `lensmeter.add`, `objective.pd`.

use ils_plugin_sdk::{DeviceReading, Measurement, Side};

use crate::output::{Distance, Eye, Reading, Stage, Transmission};
use crate::prescription::PrescriptionDraft;

/// What a capture gave: its measurements, and a warning for each line the driver skipped, each
/// starting `line N: ` (`line 7: unknown code "XY" ("XY 12.5"), skipped`).
pub fn read(transmission: Transmission) -> DeviceReading {
    DeviceReading { measurements: measurements(&transmission), warnings: transmission.warnings }
}

fn side(eye: Eye) -> Side {
    match eye {
        Eye::Right => Side::Right,
        Eye::Left => Side::Left,
        Eye::Both => Side::Both,
    }
}

fn stage(s: Stage) -> &'static str {
    match s {
        Stage::Lensmeter => "lensmeter",
        Stage::Objective => "objective",
        Stage::Subjective => "subjective",
        Stage::Final => "final",
    }
}

fn m(name: String, value: f64, unit: &str, side: Side) -> Measurement {
    Measurement { name, value, unit: unit.into(), side }
}

/// Every value in the transmission, in order.
pub fn measurements(transmission: &Transmission) -> Vec<Measurement> {
    let mut out = Vec::new();
    for line in transmission.blocks.iter().flat_map(|b| &b.lines) {
        match &line.reading {
            Reading::Refraction { stage: st, distance, eye, sphere, cylinder, axis } => {
                let p = match distance {
                    Distance::Far => stage(*st).to_string(),
                    Distance::Near => format!("{}.near", stage(*st)),
                };
                let s = side(*eye);
                out.extend(sphere.map(|v| m(format!("{p}.sphere"), v.dioptres(), "D", s)));
                out.extend(cylinder.map(|v| m(format!("{p}.cylinder"), v.dioptres(), "D", s)));
                out.extend(axis.map(|v| m(format!("{p}.axis"), f64::from(v), "deg", s)));
            }
            Reading::Add { stage: st, eye, add } => {
                out.push(m(format!("{}.add", stage(*st)), add.dioptres(), "D", side(*eye)));
            }
            Reading::Acuity { stage: st, corrected, eye, decimal } => {
                let what = if *corrected { "acuity" } else { "uncorrected_acuity" };
                out.push(m(format!("{}.{what}", stage(*st)), *decimal, "decimal", side(*eye)));
            }
            Reading::Pd { stage: st, distance, binocular, right, left } => {
                let what = match distance {
                    Distance::Far => "pd",
                    Distance::Near => "near_pd",
                };
                let name = format!("{}.{what}", stage(*st));
                out.extend(binocular.map(|v| m(name.clone(), v, "mm", Side::Both)));
                out.extend(right.map(|v| m(name.clone(), v, "mm", Side::Right)));
                out.extend(left.map(|v| m(name.clone(), v, "mm", Side::Left)));
            }
            Reading::WorkingDistance(cm) => out.push(m("working_distance".into(), *cm, "cm", Side::Both)),
        }
    }
    out
}

/// The draft prescription's values as measurements: `sphere`, `cylinder`, `axis`, `add` and
/// `pd` on each eye (what `decode` returns for a device name ending `/prescription`).
pub fn prescription_measurements(draft: &PrescriptionDraft) -> Vec<Measurement> {
    let mut out = Vec::new();
    for (eye, s, pd) in
        [(&draft.right, Side::Right, draft.pd_right_mm), (&draft.left, Side::Left, draft.pd_left_mm)]
    {
        out.push(m("sphere".into(), eye.sphere.dioptres(), "D", s));
        out.extend(eye.cylinder.map(|v| m("cylinder".into(), v.dioptres(), "D", s)));
        out.extend(eye.axis.map(|v| m("axis".into(), f64::from(v), "deg", s)));
        out.extend(eye.add.map(|v| m("add".into(), v.dioptres(), "D", s)));
        out.extend(pd.map(|v| m("pd".into(), v, "mm", s)));
    }
    out
}
