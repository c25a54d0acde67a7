//! The README's examples, so they stay true.

use serde_json::json;

use crate::{call, patient, practice};

#[test]
fn the_eligibility_example() {
    let mock = practice();
    mock.add_patient(patient("p-42", "2008-03-15"));
    let facts = json!({"full_time_education": true, "benefits": ["universal_credit"],
        "universal_credit_within_limits": true, "certificates": ["hc3"], "hc3_contribution_pence": 2500,
        "diabetes": false, "housebound": false});
    assert_eq!(call("PUT", "/patients/p-42/facts", Some(facts)).0, 200);
    let (status, body) = call(
        "POST",
        "/eligibility",
        Some(json!({"patient_id": "p-42", "on": "2025-06-01", "last_sight_test": "2024-06-02"})),
    );
    assert_eq!(status, 200);
    assert_eq!((body["facts_recorded"].as_bool(), body["age"].as_u64()), (Some(true), Some(17)));
    assert_eq!(
        body["sight_test"]["reasons"][0],
        json!({"category": "under_19_full_time_education", "words": "Aged 16, 17 or 18 and in full-time education"})
    );
    assert_eq!(body["sight_test"]["reasons"][1]["category"], "benefit:universal_credit");
    assert_eq!(body["voucher"]["partial"], false, "HC3 does not count when a full category applies");
    assert_eq!(
        body["retest"],
        json!({"interval": {"months": 24, "why": "aged 16 to 69: 2 years"}, "allowed_from": "2026-06-02", "due": false})
    );
}

#[test]
fn the_band_example() {
    let _mock = practice();
    let (status, body) = call(
        "POST",
        "/band",
        Some(json!({"right": {"sphere": "+5.00", "cylinder": "+2.00", "axis": 90, "prism": 1.5},
                    "left": {"sphere": "+1.00"}, "lens_type": "varifocal", "on": "2024-06-01"})),
    );
    assert_eq!(status, 200);
    assert_eq!(body["band"]["band"], "F");
    assert_eq!(body["band"]["right"], json!({"sphere": "+7.00", "cylinder": "+2.00", "band": "B"}));
    assert_eq!(body["band"]["prism_lenses"], 1);
    assert!(
        body["band"]["explanation"]
            .as_str()
            .unwrap()
            .starts_with("Right reads sphere 7.00 cylinder 2.00 (band B)")
    );
    assert_eq!(body["year"], "2024-25");
    assert_eq!(body["value"], json!(null));
    assert_eq!(
        body["missing"][0],
        json!({"item": "band_f", "year": "2024-25", "message": "value for band F in 2024-25 not entered yet"})
    );
    assert_eq!(body["missing"][1]["item"], "prism_other");
}
