//! A transmission as measurements.
//!
//! Names are `{lm|rm|rt}.{what}`: `rt.far_final.sphere` (D), `.cylinder` (D), `.axis` (deg) for
//! refraction lines (`lens`, `objective`, `far_subjective`, `far_final`, `near_subjective`,
//! `near_final`); `rt.add_final` (D); `rt.acuity_final` and `rt.uncorrected_acuity_final`
//! (unit `decimal`); `rt.pd_final` (mm; binocular on side both, monocular on each eye);
//! `rt.working_distance` (cm). `_subjective` replaces `_final` for lower-case codes.

use ils_plugin_sdk::{Measurement, Side};

use crate::output::{Eye, Reading, RefractionKind, Stage, Transmission};
use crate::prescription::PrescriptionDraft;

fn side(eye: Eye) -> Side {
    match eye {
        Eye::Right => Side::Right,
        Eye::Left => Side::Left,
        Eye::Both => Side::Both,
    }
}

fn stage(s: Stage) -> &'static str {
    match s {
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
    for block in &transmission.blocks {
        let p = block.instrument.prefix();
        for line in &block.lines {
            match &line.reading {
                Reading::Refraction { kind, eye, sphere, cylinder, axis } => {
                    let what = match kind {
                        RefractionKind::Lens => "lens".to_string(),
                        RefractionKind::Objective => "objective".to_string(),
                        RefractionKind::Far(s) => format!("far_{}", stage(*s)),
                        RefractionKind::Near(s) => format!("near_{}", stage(*s)),
                    };
                    let s = side(*eye);
                    out.extend(sphere.map(|v| m(format!("{p}.{what}.sphere"), v.dioptres(), "D", s)));
                    out.extend(cylinder.map(|v| m(format!("{p}.{what}.cylinder"), v.dioptres(), "D", s)));
                    out.extend(axis.map(|v| m(format!("{p}.{what}.axis"), f64::from(v), "deg", s)));
                }
                Reading::Add { stage: st, eye, add } => {
                    out.push(m(format!("{p}.add_{}", stage(*st)), add.dioptres(), "D", side(*eye)));
                }
                Reading::Acuity { stage: st, corrected, eye, decimal } => {
                    let what = if *corrected { "acuity" } else { "uncorrected_acuity" };
                    out.push(m(format!("{p}.{what}_{}", stage(*st)), *decimal, "decimal", side(*eye)));
                }
                Reading::Pd { stage: st, binocular, right, left } => {
                    let name = format!("{p}.pd_{}", stage(*st));
                    out.extend(binocular.map(|v| m(name.clone(), v, "mm", Side::Both)));
                    out.extend(right.map(|v| m(name.clone(), v, "mm", Side::Right)));
                    out.extend(left.map(|v| m(name.clone(), v, "mm", Side::Left)));
                }
                Reading::WorkingDistance(cm) => {
                    out.push(m(format!("{p}.working_distance"), *cm, "cm", Side::Both))
                }
            }
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
