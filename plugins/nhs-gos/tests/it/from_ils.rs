//! Voucher claims filled from ILS: the order's powers and lens type, the prescription's date.

use ils_optics::Power;
use ils_plugin_sdk::host::clinical::{Eye, Prescription};
use ils_plugin_sdk::host::kv;
use ils_plugin_sdk::host::orders::{Order, OrderStatus};
use ils_plugin_sdk::testing::MockHost;
use ils_plugin_sdk::{Event, Plugin};
use nhs_gos::NhsGos;
use serde_json::{Value, json};

use crate::{call, days_ago, enter_values, practice};

/// ILS's order as its API shows it (the parts the plugin reads, and some it does not).
fn order(id: &str, patient: Option<&str>, prescription: Option<&str>, lens: &str) -> Order {
    let mut o = Order::new(id, OrderStatus::Pending);
    o.reference = "J000042".into();
    o.details = json!({
        "id": id, "number": "J000042", "patient_id": patient, "prescription_id": prescription,
        "routing": "to_lab", "reason": "new",
        "rx": {
            "right": {"sphere": "-7.00", "cylinder": null, "axis": null, "add": null,
                      "prism_horizontal": {"amount": 2.0, "base": "in"}, "prism_vertical": null,
                      "prism_compound": [2.0, 0.0], "written": "-7.00 2.00Δ in"},
            "left": {"sphere": "-1.00", "cylinder": "-0.50", "axis": 90, "add": null,
                     "prism_horizontal": null, "prism_vertical": null, "prism_compound": null,
                     "written": "-1.00/-0.50×90"}
        },
        "lens": {"type": lens, "material": "plastic", "index": 1.6, "coatings": [], "tint": null},
        "frame": {"description": "Acme 52-18"}, "status": "pending", "overdue": false
    });
    if patient.is_none() {
        o.details.as_object_mut().unwrap().remove("patient_id");
    }
    o
}

/// A prescription of `patient` issued 20 days ago: -7.00 / -1.00, no add.
fn prescription(id: &str, patient: &str) -> Prescription {
    Prescription {
        id: id.into(),
        patient_id: patient.into(),
        issued_on: days_ago(20).to_string(),
        expires_on: None,
        right: Eye { sphere: d("-7.00"), ..Eye::default() },
        left: Eye { sphere: d("-1.00"), cylinder: Some(d("-0.50")), axis: Some(90), add: None },
    }
}

/// A power as written.
fn d(text: &str) -> Power {
    Power::parse("power", text, ils_optics::Steps::Eighth).unwrap()
}

/// A GOS 3 for `p-child` supplied 3 days ago, signed, with `extra` fields; no powers typed.
fn gos3(extra: Value) -> Value {
    let on = days_ago(3).to_string();
    let mut body = json!({
        "form": "gos3", "supply_date": on, "retail_price_pence": 20000,
        "signatures": {"patient": {"by": "parent_guardian", "printed_name": "Jo Parent", "date": on},
                       "contractor": {"name": "Eyes Ltd", "date": on}}
    });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    body
}

fn seeded() -> MockHost {
    let mock = practice();
    enter_values(&mock);
    mock.add_full_order(order("o-1", Some("p-child"), Some("rx-1"), "single_vision"));
    mock.add_prescription(prescription("rx-1", "p-child"));
    mock
}

#[test]
fn a_gos3_from_an_order_is_banded_and_valued_without_typing_the_powers() {
    let _mock = seeded();
    let (status, c) = call("POST", "/claims", Some(gos3(json!({"order_id": "o-1"}))));
    assert_eq!(status, 201, "{c}");
    let f = &c["fields"];
    assert_eq!((f["patient_id"].as_str(), f["prescription_id"].as_str()), (Some("p-child"), Some("rx-1")));
    assert_eq!(f["prescription_date"], days_ago(20).to_string());
    assert_eq!(f["glasses"]["right"]["sphere"], "-7.00");
    assert_eq!(f["glasses"]["right"]["prism"], 2.0);
    assert_eq!(f["glasses"]["lens_type"], "single_vision");

    let (status, c) = call(
        "POST",
        &format!("/claims/{}/transitions", c["id"].as_str().unwrap()),
        Some(json!({"to": "ready"})),
    );
    assert_eq!(status, 200, "{c}");
    // Band B (-7.00) plus one single-vision prism supplement, at the values entered.
    assert_eq!(c["value"]["total"], 6400 + 1400);
}

#[test]
fn a_varifocal_order_is_priced_in_the_bifocal_bands() {
    let mock = seeded();
    mock.add_full_order(order("o-2", Some("p-child"), Some("rx-1"), "progressive"));
    let (status, c) = call("POST", "/claims", Some(gos3(json!({"order_id": "o-2"}))));
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["fields"]["glasses"]["lens_type"], "varifocal");
    let id = c["id"].as_str().unwrap();
    let (_, checks) = call("GET", &format!("/claims/{id}/checks"), None);
    // Band F has no value entered in these tests: the check says so rather than guessing.
    assert!(checks["problems"].to_string().contains("band F"), "{checks}");
}

#[test]
fn what_the_user_typed_wins_over_ils() {
    let _mock = seeded();
    let typed = json!({"order_id": "o-1", "prescription_date": days_ago(30),
                       "glasses": {"right": {"sphere": "+1.00"}, "left": {"sphere": "+1.00"}}});
    let (status, c) = call("POST", "/claims", Some(gos3(typed)));
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["fields"]["prescription_date"], days_ago(30).to_string());
    assert_eq!(c["fields"]["glasses"]["right"]["sphere"], "+1.00");
}

#[test]
fn a_named_prescription_fills_the_prescription_date_and_powers() {
    let mock = seeded();
    let (status, c) = call("POST", "/claims", Some(gos3(json!({"prescription_id": "rx-1"}))));
    assert_eq!(status, 201, "{c}");
    let f = &c["fields"];
    assert_eq!(f["prescription_date"], days_ago(20).to_string());
    assert_eq!(f["patient_id"], "p-child", "the prescription's patient");
    assert_eq!(f["glasses"]["left"]["cylinder"], "-0.50");
    assert_eq!(f["glasses"]["lens_type"], "single_vision", "no add: single vision");
    let id = c["id"].as_str().unwrap().to_string();

    // Naming another prescription brings its date.
    let mut newer = prescription("rx-2", "p-child");
    newer.issued_on = days_ago(10).to_string();
    mock.add_prescription(newer);
    let (status, c) = call("PATCH", &format!("/claims/{id}"), Some(json!({"prescription_id": "rx-2"})));
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["fields"]["prescription_date"], days_ago(10).to_string());

    // With an add and no order, the lens type is not guessed.
    let mut reading = prescription("rx-3", "p-child");
    reading.right.add = Some(d("+2.00"));
    mock.add_prescription(reading);
    let (status, c) = call("POST", "/claims", Some(gos3(json!({"prescription_id": "rx-3"}))));
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["fields"]["glasses"], Value::Null);
    assert_eq!(c["fields"]["prescription_date"], days_ago(20).to_string());
}

#[test]
fn an_unknown_or_another_patients_prescription_or_order_is_refused() {
    let mock = seeded();
    mock.add_prescription(prescription("rx-old", "p-old"));
    let cases = [
        (json!({"prescription_id": "rx-9"}), "no prescription rx-9 in ILS"),
        (json!({"order_id": "o-9"}), "no order o-9 in ILS"),
        (json!({"patient_id": "p-child", "prescription_id": "rx-old"}), "belongs to another patient"),
    ];
    for (extra, message) in cases {
        let (status, body) = call("POST", "/claims", Some(gos3(extra.clone())));
        assert_eq!(status, 400, "{extra}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(message), "{body}");
    }
}

#[test]
fn without_the_capabilities_the_answer_names_the_one_missing() {
    let mock = seeded();
    mock.deny("orders-read");
    let (status, body) = call("POST", "/claims", Some(gos3(json!({"order_id": "o-1"}))));
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("capability_denied")), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reading order o-1 needs the orders-read capability")
    );

    let mock = seeded();
    mock.deny("clinical-read");
    let (status, body) = call("POST", "/claims", Some(gos3(json!({"prescription_id": "rx-1"}))));
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("capability_denied")), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reading prescription rx-1 needs the clinical-read capability"),
        "{body}"
    );
}

// --- proposals from `order.created` ---

fn created(id: &str, payload: Value) -> Event {
    Event {
        id: id.into(),
        kind: "order.created".into(),
        occurred_at_ms: 1_746_878_400_000,
        payload: payload.to_string(),
    }
}

fn only_proposal() -> Value {
    let (_, body) = call("GET", "/proposals", None);
    let list = body["proposals"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{body}");
    list[0].clone()
}

#[test]
fn a_new_order_proposes_a_gos3_with_the_events_patient_and_prescription() {
    let mock = seeded();
    // The order's own copy says nothing of patient or prescription: the event's fields are used.
    mock.add_full_order(order("o-3", None, None, "bifocal"));
    let payload = json!({"order_id": "o-3", "number": "J000042", "reason": "new",
                         "patient_id": "p-child", "prescription_id": "rx-1"});
    NhsGos::handle_event(created("ev-1", payload)).unwrap();
    let c = only_proposal();
    let f = &c["fields"];
    assert_eq!((f["form"].as_str(), f["order_id"].as_str()), (Some("gos3"), Some("o-3")));
    assert_eq!((f["patient_id"].as_str(), f["prescription_id"].as_str()), (Some("p-child"), Some("rx-1")));
    assert_eq!(f["prescription_date"], days_ago(20).to_string());
    assert_eq!(f["glasses"]["lens_type"], "bifocal");
    let note = c["proposal_note"].as_str().unwrap();
    assert!(
        note.contains("J000042") && note.contains("bifocal") && note.contains("prescription date"),
        "{note}"
    );
    assert!(!note.contains("link the patient"), "{note}");
}

#[test]
fn without_the_new_fields_the_proposal_reads_them_from_the_order() {
    let _mock = seeded();
    NhsGos::handle_event(created("ev-2", json!({"order_id": "o-1", "number": "J000042", "reason": "new"})))
        .unwrap();
    let f = only_proposal()["fields"].clone();
    assert_eq!((f["patient_id"].as_str(), f["prescription_id"].as_str()), (Some("p-child"), Some("rx-1")));
    assert_eq!(f["prescription_date"], days_ago(20).to_string());
    assert_eq!(f["glasses"]["right"]["sphere"], "-7.00");
}

#[test]
fn a_proposal_without_patient_or_readable_prescription_says_what_is_left() {
    let mock = seeded();
    mock.add_full_order(order("o-lab", None, None, "single_vision"));
    NhsGos::handle_event(created(
        "ev-3",
        json!({"order_id": "o-lab", "reason": "new", "prescription_id": "rx-gone"}),
    ))
    .unwrap();
    let c = only_proposal();
    assert_eq!(c["fields"]["patient_id"], Value::Null);
    assert_eq!(c["fields"]["glasses"]["right"]["sphere"], "-7.00", "the order's powers still come");
    let note = c["proposal_note"].as_str().unwrap();
    assert!(note.contains("no prescription rx-gone in ILS"), "{note}");
    assert!(note.contains("link the patient") && note.contains("enter the prescription date"), "{note}");
}

#[test]
fn a_proposal_without_clinical_read_fails_visibly_and_is_retried() {
    let mock = seeded();
    mock.deny("clinical-read");
    let err = NhsGos::handle_event(created("ev-4", json!({"order_id": "o-1", "reason": "new"}))).unwrap_err();
    assert!(err.message.contains("clinical-read capability"), "{err}");
    assert_eq!(kv::get("seen/ev-4").unwrap(), None, "not marked seen");
    let (_, body) = call("GET", "/proposals", None);
    assert_eq!(body["proposals"], json!([]));
}
