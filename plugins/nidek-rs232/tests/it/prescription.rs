use ils_plugin_sdk::{Plugin, Side};
use nidek_rs232::{NidekRs232, draft_prescription, prescription_json};
use serde_json::json;

use crate::data;

#[test]
fn the_final_refraction_becomes_a_draft_prescription() {
    let json: serde_json::Value =
        serde_json::from_str(&prescription_json(&data("rt5100-full.txt")).unwrap()).unwrap();
    assert_eq!(
        json,
        json!({
            "kind": "spectacles",
            "right": {"sphere": "+10.00", "cylinder": "-5.00", "axis": 90, "add": "+2.00"},
            "left": {"sphere": "+9.50", "cylinder": "-4.75", "axis": 85, "add": "+2.00"},
            "pd_right_mm": 32.5,
            "pd_left_mm": 31.5,
            "issued_on": "2026-11-21",
            "prescriber": "",
            "notes": "Draft from the NIDEK RT-5100 final refraction."
        })
    );
}

#[test]
fn without_an_add_line_near_minus_far_is_the_add() {
    let draft = draft_prescription(&data("rt5100-near-only.txt")).unwrap();
    assert_eq!(
        (w(draft.right.sphere).as_deref(), w(draft.right.add).as_deref()),
        (Some("-0.25"), Some("+2.00"))
    );
    assert_eq!((draft.left.cylinder, draft.left.axis), (None, None));
    assert_eq!((draft.pd_right_mm, draft.pd_left_mm), (None, None), "a binocular PD is not split");
    assert_eq!(
        draft.notes.as_deref(),
        Some("Draft from the NIDEK RT-5100 final refraction. Binocular PD 62.0 mm.")
    );
    assert_eq!(draft.issued_on.as_deref(), Some("2016-05-23"));
}

#[test]
fn a_near_sphere_not_above_the_far_one_gives_no_add() {
    let data = b"\x02@RT\rFB+ 1.00\rNR+ 1.00\rNL+ 0.75\r\x04";
    let draft = draft_prescription(data).unwrap();
    assert_eq!((draft.right.add, draft.left.add), (None, None));
    assert_eq!(draft.issued_on, None);
    assert!(!prescription_json(data).unwrap().contains("issued_on"), "left out, not null");
}

#[test]
fn the_last_final_line_for_an_eye_wins() {
    let data = b"\x02@RT\rFR+ 1.00\rFL+ 1.00\r\x02@RT\rFR+ 1.25- 0.50180\r\x04";
    let draft = draft_prescription(data).unwrap();
    assert_eq!(
        (w(draft.right.sphere).as_deref(), w(draft.right.cylinder).as_deref(), draft.right.axis),
        (Some("+1.25"), Some("-0.50"), Some(180))
    );
    assert_eq!(w(draft.left.sphere).as_deref(), Some("+1.00"));
}

#[test]
fn subjective_values_alone_make_no_prescription() {
    let err = draft_prescription(b"\x02@RT\rfR+ 1.00\rfL+ 1.00\rFR+ 1.00\r").unwrap_err();
    assert_eq!(err.to_string(), "prescription: no final far sphere for the left eye");
    let err = draft_prescription(&data("rt5100-plano.txt").replace_zero_sphere()).unwrap_err();
    assert_eq!(err.to_string(), "prescription: no final far sphere for the right eye");
}

#[test]
fn a_capture_with_unknown_lines_still_gives_its_draft_prescription() {
    let json: serde_json::Value =
        serde_json::from_str(&prescription_json(&data("rt5100-unknown-and-lower.txt")).unwrap()).unwrap();
    assert_eq!(
        json,
        json!({
            "kind": "spectacles",
            "right": {"sphere": "-1.50", "cylinder": "-0.50", "axis": 170, "add": "+2.25"},
            "left": {"sphere": "-1.25", "cylinder": "-0.25", "axis": 10, "add": "+2.25"},
            "pd_right_mm": 31.5,
            "pd_left_mm": 31.5,
            "issued_on": "2026-12-03",
            "prescriber": "",
            "notes": "Draft from the NIDEK RT-5100 final refraction."
        })
    );
}

#[test]
fn an_autorefractor_pd_is_never_the_prescriptions() {
    let data = b"\x02@RM\rPD64.0 32.5 31.5\r\x02@RT\rFR+ 1.00\rFL+ 1.00\rpD63.0 31.0 32.0\r\x04";
    let draft = draft_prescription(data).unwrap();
    assert_eq!((draft.pd_right_mm, draft.pd_left_mm), (None, None));
    assert_eq!(draft.notes.as_deref(), Some("Draft from the NIDEK refractor final refraction."));
    let list = nidek_rs232::decode_output(data).unwrap();
    assert!(list.iter().any(|m| m.name == "objective.pd" && m.value == 64.0), "{list:?}");
    assert!(list.iter().all(|m| m.name != "final.pd"), "{list:?}");
}

#[test]
fn decode_gives_the_prescription_for_a_prescription_device() {
    let list = NidekRs232::decode("nidek-rt5100/prescription", &data("rt5100-full.txt")).unwrap();
    let got: Vec<(&str, f64, Side)> = list.iter().map(|m| (m.name.as_str(), m.value, m.side)).collect();
    assert_eq!(
        got,
        [
            ("sphere", 10.0, Side::Right),
            ("cylinder", -5.0, Side::Right),
            ("axis", 90.0, Side::Right),
            ("add", 2.0, Side::Right),
            ("pd", 32.5, Side::Right),
            ("sphere", 9.5, Side::Left),
            ("cylinder", -4.75, Side::Left),
            ("axis", 85.0, Side::Left),
            ("add", 2.0, Side::Left),
            ("pd", 31.5, Side::Left),
        ]
    );
}

trait BlankSphere {
    fn replace_zero_sphere(self) -> Vec<u8>;
}

impl BlankSphere for Vec<u8> {
    /// The right final line with its sphere field blank.
    fn replace_zero_sphere(self) -> Vec<u8> {
        String::from_utf8(self).unwrap().replace("FR  0.00  0.00  0", "FR        0.00  0").into_bytes()
    }
}

/// A power as the draft's JSON writes it.
fn w(power: impl Into<Option<ils_optics::Power>>) -> Option<String> {
    power.into().map(|p| p.to_string())
}
