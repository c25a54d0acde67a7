//! Draft claims proposed from events.

use ils_plugin_sdk::host::kv;
use ils_plugin_sdk::{Event, Plugin};
use nhs_gos::NhsGos;
use serde_json::json;

use crate::{call, patient, practice};

/// 2025-05-10 12:00 UTC.
const MAY_10_2025: i64 = 1_746_878_400_000;

fn event(id: &str, kind: &str, payload: serde_json::Value) -> Event {
    Event { id: id.into(), kind: kind.into(), occurred_at_ms: MAY_10_2025, payload: payload.to_string() }
}

fn exam(id: &str, exam: &str, patient: &str) -> Event {
    event(
        id,
        "examination.finalised",
        json!({"examination_id": exam, "patient_id": patient, "has_refraction": true}),
    )
}

fn proposals() -> Vec<serde_json::Value> {
    let (status, body) = call("GET", "/proposals", None);
    assert_eq!(status, 200);
    body["proposals"].as_array().unwrap().clone()
}

#[test]
fn a_finalised_examination_proposes_a_gos1_once() {
    let _mock = practice();
    NhsGos::handle_event(exam("ev-1", "e-1", "p-old")).unwrap();
    NhsGos::handle_event(exam("ev-1", "e-1", "p-old")).unwrap();
    NhsGos::handle_event(exam("ev-2", "e-1", "p-old")).unwrap();
    let list = proposals();
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!(c["status"], "draft");
    assert_eq!(c["fields"]["form"], "gos1");
    assert_eq!(c["fields"]["patient_id"], "p-old");
    assert_eq!(c["fields"]["examination_id"], "e-1");
    assert_eq!(c["fields"]["test_date"], "2025-05-10");
    assert_eq!(c["fields"]["eligibility"], "aged_60_or_over");
    assert_eq!(c["fields"]["contractor_number"], "C123");
    assert_eq!(c["fields"]["performer_number"], "P456");
    assert_eq!(c["proposed_by"], "examination.finalised:ev-1");
    assert!(c["proposal_note"].as_str().unwrap().contains("Aged 60 or over"));
}

#[test]
fn a_housebound_patient_gets_a_gos6_and_a_voucher_hint() {
    let mock = practice();
    mock.add_patient(patient("p-home", "1990-03-03"));
    call("PUT", "/patients/p-home/facts", Some(json!({"housebound": true, "benefits": ["income_support"]})));
    NhsGos::handle_event(exam("ev-3", "e-3", "p-home")).unwrap();
    let list = proposals();
    assert_eq!(list[0]["fields"]["form"], "gos6");
    assert_eq!(list[0]["fields"]["eligibility"], "benefit:income_support");
    assert!(list[0]["proposal_note"].as_str().unwrap().contains("voucher (GOS 3)"));
}

#[test]
fn a_private_patient_gets_no_proposal() {
    let mock = practice();
    mock.add_patient(patient("p-adult", "1990-03-03"));
    NhsGos::handle_event(exam("ev-4", "e-4", "p-adult")).unwrap();
    assert!(proposals().is_empty());
    assert!(mock.logs().iter().any(|l| l.contains("not eligible")), "{:?}", mock.logs());
    // An unknown patient is logged, not retried forever.
    NhsGos::handle_event(exam("ev-5", "e-5", "p-gone")).unwrap();
    assert!(proposals().is_empty());
}

#[test]
fn a_new_order_proposes_a_gos3_and_a_remake_does_not() {
    let mock = practice();
    mock.add_order("o-1", "pending").add_order("o-2", "pending").add_order("o-3", "cancelled");
    let created = |id: &str, order: &str, reason: &str| {
        event(
            id,
            "order.created",
            json!({"order_id": order, "number": "J000001", "reason": reason,
            "original_order_id": null, "priority": "normal", "due_on": "2025-05-20"}),
        )
    };
    NhsGos::handle_event(created("ev-o1", "o-1", "new")).unwrap();
    NhsGos::handle_event(created("ev-o2", "o-2", "remake")).unwrap();
    NhsGos::handle_event(created("ev-o3", "o-3", "new")).unwrap();
    NhsGos::handle_event(created("ev-o4", "o-unknown", "new")).unwrap();
    let list = proposals();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["fields"]["form"], "gos3");
    assert_eq!(list[0]["fields"]["order_id"], "o-1");
    assert_eq!(list[0]["fields"]["patient_id"], json!(null));
    assert!(list[0]["proposal_note"].as_str().unwrap().contains("J000001"));

    mock.set_config(json!({"voucher_proposals_from_orders": false}));
    mock.add_order("o-5", "pending");
    NhsGos::handle_event(created("ev-o5", "o-5", "new")).unwrap();
    assert_eq!(proposals().len(), 1, "turned off in the configuration");
}

#[test]
fn events_fail_visibly_without_their_capabilities() {
    let mock = practice();
    mock.deny("orders-read");
    mock.add_order("o-1", "pending");
    let err =
        NhsGos::handle_event(event("ev-x", "order.created", json!({"order_id": "o-1", "reason": "new"})))
            .unwrap_err();
    assert!(err.message.contains("denied"), "{err}");
    assert_eq!(kv::get("seen/ev-x").unwrap(), None, "not marked seen, so a retry can succeed");
    let err = NhsGos::handle_event(event("ev-y", "examination.finalised", json!({"nope": 1}))).unwrap_err();
    assert!(err.message.contains("JSON"), "{err}");
}

#[test]
fn the_next_proposal_for_a_patient_fills_in_the_last_test() {
    let _mock = practice();
    NhsGos::handle_event(exam("ev-a", "e-a", "p-old")).unwrap();
    let later = Event { occurred_at_ms: MAY_10_2025 + 400 * 86_400_000, ..exam("ev-b", "e-b", "p-old") };
    NhsGos::handle_event(later).unwrap();
    let list = proposals();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["fields"]["last_sight_test"], json!(null));
    assert_eq!(list[1]["fields"]["test_date"], "2026-06-14");
    assert_eq!(list[1]["fields"]["last_sight_test"], "2025-05-10");
    assert!(
        list[1]["proposal_note"].as_str().unwrap().contains("previous NHS test proposed here (2025-05-10)")
    );
}
