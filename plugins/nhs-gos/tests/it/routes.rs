//! Facts, eligibility, band, values: status codes and JSON shapes.

use serde_json::json;

use crate::{call, practice};

#[test]
fn patient_facts_are_stored_per_patient() {
    let _mock = practice();
    let (status, body) = call("GET", "/patients/p-old/facts", None);
    assert_eq!((status, &body["recorded"]), (200, &json!(false)));

    let facts = json!({"diabetes": true, "benefits": ["income_support"], "certificates": ["hc2"]});
    let (status, body) = call("PUT", "/patients/p-old/facts", Some(facts));
    assert_eq!(status, 200);
    assert_eq!(body["facts"]["diabetes"], true);

    let (_, body) = call("GET", "/patients/p-old/facts", None);
    assert_eq!(body["recorded"], true);
    assert_eq!(body["facts"]["benefits"], json!(["income_support"]));
    assert_eq!(body["facts"]["glaucoma"], false);
}

#[test]
fn facts_for_an_unknown_patient_or_with_unknown_fields_are_refused() {
    let _mock = practice();
    let (status, body) = call("PUT", "/patients/p-nobody/facts", Some(json!({"diabetes": true})));
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, body) = call("PUT", "/patients/p-old/facts", Some(json!({"diabetic": true})));
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid")));
    assert!(body["error"]["message"].as_str().unwrap().contains("diabetic"));
    let (status, _) = call("PUT", "/patients/..%2f/facts", Some(json!({})));
    assert_eq!(status, 400);
}

#[test]
fn eligibility_names_the_category_and_checks_the_interval() {
    let _mock = practice();
    let (status, body) = call(
        "POST",
        "/eligibility",
        Some(json!({"patient_id": "p-old", "on": "2025-06-01", "last_sight_test": "2024-06-02"})),
    );
    assert_eq!(status, 200);
    assert_eq!(body["age"], 75);
    assert_eq!(body["sight_test"]["eligible"], true);
    assert_eq!(body["sight_test"]["reasons"][0]["category"], "aged_60_or_over");
    assert_eq!(body["sight_test"]["reasons"][0]["words"], "Aged 60 or over on the test date");
    assert_eq!(body["voucher"]["eligible"], false);
    assert_eq!(body["retest"]["due"], false);
    assert_eq!(body["retest"]["allowed_from"], "2025-06-02");
    assert_eq!(body["facts_recorded"], false);

    let (status, body) = call("POST", "/eligibility", Some(json!({"patient_id": "p-child"})));
    assert_eq!(status, 200);
    assert_eq!(body["voucher"]["reasons"][0]["category"], "under_16");

    assert_eq!(call("POST", "/eligibility", Some(json!({"patient_id": "p-x"}))).0, 404);
    assert_eq!(call("POST", "/eligibility", None).0, 400);
    let (status, body) =
        call("POST", "/eligibility", Some(json!({"patient_id": "p-old", "on": "1940-01-01"})));
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("before the patient's date of birth"));
}

#[test]
fn band_reports_the_band_value_and_what_is_missing() {
    let _mock = practice();
    let rx = json!({
        "right": {"sphere": "+5.00", "cylinder": "+2.00", "axis": 90, "prism": 1.0},
        "left": {"sphere": "+1.00"},
        "on": "2023-10-01"
    });
    let (status, body) = call("POST", "/band", Some(rx));
    assert_eq!(status, 200);
    assert_eq!(body["band"]["band"], "B");
    assert_eq!(body["band"]["right"]["sphere"], "+7.00");
    assert_eq!(body["year"], "2023-24");
    assert_eq!(body["value"]["total"], 6320 + 1345);

    let (_, body) = call(
        "POST",
        "/band",
        Some(
            json!({"right": {"sphere": -7.0}, "left": {"sphere": -1.0}, "on": "2024-06-01", "lens_type": "varifocal"}),
        ),
    );
    assert_eq!(body["band"]["band"], "F");
    assert_eq!(body["value"], json!(null));
    assert_eq!(body["missing"][0]["message"], "value for band F in 2024-25 not entered yet");

    let (status, body) = call("POST", "/band", Some(json!({"right": {"sphere": 60}, "left": {"sphere": 0}})));
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid")));
}

#[test]
fn values_are_readable_by_all_and_changed_only_by_a_company_admin() {
    let mock = practice();
    let (status, body) = call("GET", "/values", None);
    assert_eq!((status, body["years"].clone()), (200, json!(["2023-24", "2024-25", "2025-26"])));
    let (_, body) = call("GET", "/values/2024-25", None);
    assert_eq!(body["origin"], "shipped");
    assert_eq!(body["items"]["band_a"]["pence"], 4240);
    assert_eq!(body["items"]["band_a"]["source"], "DHSC letter on GOS voucher values from 1 April 2024");
    assert_eq!(body["items"]["band_b"], json!(null));
    assert_eq!(body["items"]["sight_test_fee"]["pence"], 2353);

    let update = json!({"items": {"band_a": {"pence": 4240, "source": "DHSC 2024"}, "band_b": {"pence": 6430, "source": "DHSC 2024"}}});
    let (status, body) = call("PUT", "/values/2024-25", Some(update.clone()));
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")));

    mock.set_caller("u-admin", &["company_admin"]);
    let (status, body) = call("PUT", "/values/2024-25", Some(update.clone()));
    assert_eq!(status, 200);
    assert_eq!((body["origin"].as_str(), &body["items"]["band_b"]["pence"]), (Some("entered"), &json!(6430)));
    assert_eq!(call("GET", "/values/2024-25", None).1["items"]["band_b"]["pence"], 6430);
    assert_eq!(call("PUT", "/values/2024-26", Some(update.clone())).0, 400);
    assert_eq!(call("PUT", "/values/2024-25", Some(json!({"items": {"band_b": {"pence": 1}}}))).0, 400);
    let (status, _) = call("PUT", "/values/2031-32", Some(update));
    assert_eq!(status, 200);
    assert_eq!(call("GET", "/values", None).1["years"].as_array().unwrap().len(), 4);
}

#[test]
fn unknown_routes_and_methods_answer_404_and_405() {
    let _mock = practice();
    let (status, body) = call("GET", "/nope", None);
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, body) = call("DELETE", "/values", None);
    assert_eq!((status, body["error"]["code"].as_str()), (405, Some("method_not_allowed")));
    assert_eq!(call("PUT", "/claims", Some(json!({}))).0, 405);
    assert_eq!(call("GET", "/claims/c000001/nope", None).0, 404);
    assert_eq!(call("GET", "/values/2024-25/band_a", None).0, 404);
}

#[test]
fn a_denied_capability_is_a_403_not_a_crash() {
    let mock = practice();
    mock.deny("kv");
    let (status, body) = call("GET", "/claims", None);
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("capability_denied")));
    mock.deny("clinical-read");
    assert_eq!(call("POST", "/eligibility", Some(json!({"patient_id": "p-old"}))).0, 403);
}

#[test]
fn garbage_never_panics() {
    let _mock = practice();
    for (method, path) in
        [("POST", "/band"), ("POST", "/claims"), ("PUT", "/patients/p-old/facts"), ("POST", "/eligibility")]
    {
        for body in [
            json!(null),
            json!([1, 2]),
            json!("x"),
            json!({"right": {"sphere": "1e400"}}),
            json!({"form": "gos9"}),
        ] {
            let (status, _) = call(method, path, Some(body));
            assert!((400..500).contains(&status), "{method} {path}: {status}");
        }
    }
}

#[test]
fn lab_and_supplier_staff_get_the_band_and_values_but_no_patient_data() {
    let mock = practice();
    for role in ["lab_tech", "engineer", "supplier"] {
        mock.set_caller("u-lab", &[role]);
        for (method, path) in
            [("GET", "/patients/p-old/facts"), ("GET", "/claims"), ("GET", "/summary"), ("GET", "/proposals")]
        {
            let (status, body) = call(method, path, None);
            assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{role} {path}");
        }
        assert_eq!(call("GET", "/values/2024-25", None).0, 200);
        assert_eq!(
            call("POST", "/band", Some(json!({"right": {"sphere": 1}, "left": {"sphere": 1}}))).0,
            200
        );
    }
    mock.set_caller("api-key:k1", &[]);
    assert_eq!(call("GET", "/claims", None).0, 403, "an API key carries no role the plugin can see");
    mock.set_caller("u-admin", &["company-admin"]);
    assert_eq!(call("GET", "/claims", None).0, 200, "the WIT docs' spelling of the role");
    let (status, _) = call("PUT", "/values/2024-25", Some(json!({"items": {}})));
    assert_eq!(status, 200);
}
