//! Claims over HTTP: create, edit, check, the status cycle with edit-and-resubmit, the summary.

use serde_json::{Value, json};

use crate::{call, days_ago, enter_values, practice};

fn signatures(on: &str) -> Value {
    json!({
        "patient": {"by": "patient", "date": on},
        "performer": {"name": "A Optom", "date": on},
        "contractor": {"name": "Eyes Ltd", "date": on}
    })
}

/// A complete GOS 1 for `p-old`, tested 5 days ago, first test.
fn gos1() -> Value {
    let on = days_ago(5).to_string();
    json!({"form": "gos1", "patient_id": "p-old", "test_date": on, "last_sight_test": "first_test", "signatures": signatures(&on)})
}

fn create(body: Value) -> String {
    let (status, claim) = call("POST", "/claims", Some(body));
    assert_eq!(status, 201, "{claim}");
    claim["id"].as_str().unwrap().to_string()
}

fn to(id: &str, body: Value) -> (u16, Value) {
    call("POST", &format!("/claims/{id}/transitions"), Some(body))
}

#[test]
fn a_claim_goes_from_draft_to_paid_through_a_rejection() {
    let mock = practice();
    enter_values(&mock);
    let id = create(gos1());
    let (_, c) = call("GET", &format!("/claims/{id}"), None);
    assert_eq!(
        (c["status"].as_str(), c["fields"]["contractor_number"].as_str()),
        (Some("draft"), Some("C123"))
    );

    let (status, c) = to(&id, json!({"to": "ready"}));
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["fields"]["eligibility"], "aged_60_or_over");
    assert_eq!(c["value"]["total"], 2413);
    assert_eq!(c["value"]["lines"], json!([{"what": "The NHS sight test fee", "pence": 2413}]));
    let (status, c) = to(&id, json!({"to": "submitted"}));
    assert_eq!((status, c["submitted_on"].clone()), (200, json!(today_text())));

    let (status, body) = to(&id, json!({"to": "rejected"}));
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (400, Some("a rejection needs the reason NHSBSA gave"))
    );
    let (status, c) = to(&id, json!({"to": "rejected", "reason": "performer number not on list"}));
    assert_eq!((status, c["rejection_reason"].as_str()), (200, Some("performer number not on list")));

    let (status, body) = call("PATCH", &format!("/claims/{id}"), Some(json!({"performer_number": "P999"})));
    assert_eq!(status, 409);
    assert!(body["error"]["message"].as_str().unwrap().contains("only a draft can"));

    let (status, c) = to(&id, json!({"to": "draft"}));
    assert_eq!((status, c["resubmissions"].as_u64()), (200, Some(1)));
    let (status, c) = call("PATCH", &format!("/claims/{id}"), Some(json!({"performer_number": "P999"})));
    assert_eq!((status, c["fields"]["performer_number"].as_str()), (200, Some("P999")));
    assert_eq!(c["fields"]["patient_id"], "p-old", "a patch keeps what it does not mention");

    for step in ["ready", "submitted", "accepted"] {
        let (status, c) = to(&id, json!({"to": step}));
        assert_eq!(status, 200, "{step}: {c}");
    }
    let (status, c) = to(&id, json!({"to": "paid"}));
    assert_eq!((status, c["paid"].as_u64()), (200, Some(2413)));
    let history: Vec<&str> =
        c["history"].as_array().unwrap().iter().map(|h| h["to"].as_str().unwrap()).collect();
    assert_eq!(
        history,
        ["ready", "submitted", "rejected", "draft", "ready", "submitted", "accepted", "paid"]
    );
    assert_eq!(c["history"][0]["by"], "u-ecp");

    let (status, body) = to(&id, json!({"to": "draft"}));
    assert_eq!(status, 409);
    assert_eq!(
        body["error"]["message"],
        format!(
            "claim {id} is paid and cannot move to draft; from paid it can move to nothing (it is finished)"
        )
    );
}

fn today_text() -> String {
    nhs_gos::date::today().to_string()
}

#[test]
fn invalid_moves_are_refused_with_where_the_claim_can_go() {
    let _mock = practice();
    let id = create(gos1());
    for bad in ["submitted", "accepted", "rejected", "paid", "draft"] {
        let (status, body) = to(&id, json!({"to": bad}));
        assert_eq!(status, 409, "{bad}");
        assert!(
            body["error"]["message"].as_str().unwrap().ends_with("from draft it can move to ready"),
            "{body}"
        );
    }
    assert_eq!(to(&id, json!({"to": "archived"})).0, 400);
}

#[test]
fn a_claim_that_fails_its_checks_stays_a_draft_and_lists_each_problem() {
    let mock = practice();
    enter_values(&mock);
    let mut body = gos1();
    body["last_sight_test"] = Value::Null;
    body["signatures"]["contractor"] = Value::Null;
    let id = create(body);
    let (status, err) = to(&id, json!({"to": "ready"}));
    assert_eq!(status, 422);
    assert_eq!(err["error"]["code"], "checks_failed");
    assert_eq!(err["error"]["message"], format!("claim {id} cannot be made ready: 2 checks failed"));
    assert_eq!(
        err["error"]["problems"],
        json!([
            "The contractor has not signed.",
            "The date of the last sight test is blank: enter it, or mark it as the first test or not known."
        ])
    );
    assert_eq!(call("GET", &format!("/claims/{id}"), None).1["status"], "draft");
    let (status, dry) = call("GET", &format!("/claims/{id}/checks"), None);
    assert_eq!(
        (status, dry["ok"].as_bool(), dry["problems"].as_array().map(Vec::len)),
        (200, Some(false), Some(2))
    );
}

#[test]
fn without_this_years_fee_the_claim_value_is_reported_empty() {
    let _mock = practice();
    let id = create(gos1());
    let (status, err) = to(&id, json!({"to": "ready"}));
    assert_eq!(status, 422);
    let year = days_ago(5).financial_year();
    assert!(
        err["error"]["problems"].as_array().unwrap().contains(&json!(format!(
            "The claim value is empty: value for the NHS sight test fee in {year} not entered yet."
        ))),
        "{err}"
    );
}

#[test]
fn a_gos3_is_valued_from_its_band_and_capped_at_the_retail_price() {
    let mock = practice();
    enter_values(&mock);
    let on = days_ago(3).to_string();
    let body = json!({
        "form": "gos3", "patient_id": "p-child", "prescription_date": days_ago(20), "supply_date": on,
        "glasses": {"right": {"sphere": "-7.00", "prism": 2}, "left": {"sphere": "-1.00"}},
        "retail_price_pence": 20000,
        "signatures": {"patient": {"by": "parent_guardian", "printed_name": "Jo Parent", "date": on},
                       "contractor": {"name": "Eyes Ltd", "date": on}}
    });
    let id = create(body);
    let (status, c) = to(&id, json!({"to": "ready"}));
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["fields"]["eligibility"], "under_16");
    assert_eq!(c["value"]["total"], 6400 + 1400);
    call("PATCH", &format!("/claims/{id}"), None);
    to(&id, json!({"to": "draft"}));
    call("PATCH", &format!("/claims/{id}"), Some(json!({"retail_price_pence": 5000})));
    let (_, c) = to(&id, json!({"to": "ready"}));
    assert_eq!(c["value"]["total"], 5000);
}

#[test]
fn only_drafts_are_deleted_and_unknown_claims_are_404() {
    let mock = practice();
    enter_values(&mock);
    let id = create(gos1());
    let other = create(gos1());
    to(&other, json!({"to": "ready"}));
    assert_eq!(call("DELETE", &format!("/claims/{other}"), None).0, 409);
    assert_eq!(call("DELETE", &format!("/claims/{id}"), None).0, 204);
    assert_eq!(call("GET", &format!("/claims/{id}"), None).0, 404);
    assert_eq!(call("GET", "/claims/../values", None).0, 404);
    assert_eq!(call("POST", "/claims", Some(json!({"form": "gos1", "patient_id": "p-nobody"}))).0, 400);
}

#[test]
fn claims_are_listed_by_status_and_form() {
    let mock = practice();
    enter_values(&mock);
    let a = create(gos1());
    create(gos1());
    create(json!({"form": "gos4", "supply_date": "2020-01-15"}));
    to(&a, json!({"to": "ready"}));
    let count = |q: &str| call("GET", &format!("/claims{q}"), None).1["claims"].as_array().unwrap().len();
    assert_eq!(count(""), 3);
    assert_eq!(count("?status=ready"), 1);
    assert_eq!(count("?form=gos1&status=draft"), 1);
    assert_eq!(count("?form=gos4"), 1);
    assert_eq!(count("?patient_id=p-old"), 2);
    assert_eq!(count(&format!("?month={}", days_ago(5).month_key())), 2);
    assert_eq!(count("?month=2020-01"), 1);
    assert_eq!(call("GET", "/claims?month=2020-1", None).0, 400);
    assert_eq!(mock.kv(&format!("idx/status/draft/{a}")), None, "the index entry moved with the status");
    assert!(mock.kv(&format!("idx/status/ready/{a}")).is_some());
    assert_eq!(call("GET", "/claims?status=lost", None).0, 400);
}

#[test]
fn the_monthly_summary_counts_and_values_by_form_and_status() {
    let mock = practice();
    enter_values(&mock);
    let month = days_ago(5).month_key();
    let paid = create(gos1());
    for step in ["ready", "submitted", "accepted"] {
        to(&paid, json!({"to": step}));
    }
    to(&paid, json!({"to": "paid", "amount_pence": 2000}));
    let ready = create(gos1());
    to(&ready, json!({"to": "ready"}));
    create(gos1());
    let (status, s) = call("GET", &format!("/summary?month={month}"), None);
    assert_eq!(status, 200);
    assert_eq!(s["by_form"]["gos1"]["paid"], json!({"count": 1, "value_pence": 2000}));
    assert_eq!(s["by_form"]["gos1"]["ready"], json!({"count": 1, "value_pence": 2413}));
    assert_eq!(s["by_form"]["gos1"]["draft"], json!({"count": 1, "value_pence": 0}));
    assert_eq!(s["by_form"]["gos3"]["paid"], json!({"count": 0, "value_pence": 0}));
    assert_eq!(s["total"], json!({"count": 3, "value_pence": 4413}));
    assert_eq!(call("GET", "/summary?month=1999-01", None).1["total"]["count"], 0);
    assert_eq!(call("GET", "/summary?month=May", None).0, 400);
}

#[test]
fn a_listing_stops_at_a_page_and_says_so() {
    let _mock = practice();
    for _ in 0..201 {
        create(json!({"form": "gos4", "supply_date": "2020-02-01"}));
    }
    let (status, body) = call("GET", "/claims?month=2020-02", None);
    assert_eq!(status, 200);
    assert_eq!((body["claims"].as_array().unwrap().len(), &body["truncated"]), (200, &json!(true)));
    let (_, body) = call("GET", "/claims?month=2020-02&form=gos1", None);
    assert_eq!((body["claims"].as_array().unwrap().len(), &body["truncated"]), (0, &json!(false)));
}
