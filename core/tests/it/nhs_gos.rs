//! The NHS GOS plugin through the real host and the real app: enabled for a practice, its claim
//! goes from draft to paid over HTTP (refused while a check fails, rejected, corrected and
//! resubmitted), its eligibility reads the patient from ILS, and another practice sees none of it.

use serde_json::{Value, json};

use crate::guests::{NHS_GOS, install};
use crate::harness::{TestApp, db_test};

db_test!(
    async fn a_sight_test_claim_goes_from_draft_to_paid_over_http(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "nhs_gos", NHS_GOS, "free").await;
        let practice = app.tenant("bright-eyes").await;
        let other = app.tenant("other-practice").await;
        let enable = json!({ "version": "0.1.0", "consent": ["kv", "clinical-read", "orders-read"],
            "config": { "contractor_number": "C1234", "performer_number": "P5678" } });
        for tenant in [&practice, &other] {
            app.put("/api/v1/tenant/plugins/nhs-gos", &tenant.admin.token, enable.clone()).await.ok(200);
        }
        let optom = app.member(&practice, "olive", "ecp").await;
        let tech = app.member(&practice, "tom", "lab_tech").await;
        let patient = app.post("/api/v1/patients", Some(&optom.token), json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" })).await;
        let patient = patient.ok(201)["id"].as_str().unwrap().to_owned();
        let gos = |path: &str| format!("/api/v1/plugins/nhs-gos{path}");
        let today = jiff::Zoned::now().date();
        let test_date = today.saturating_sub(jiff::Span::new().days(1)).to_string();

        // Eligibility from the patient's age on the test date, read from ILS by the plugin.
        app.put(&gos(&format!("/patients/{patient}/facts")), &optom.token, json!({})).await.ok(200);
        let eligibility = app.post(&gos("/eligibility"), Some(&optom.token), json!({ "patient_id": patient, "on": test_date })).await;
        let eligibility = eligibility.ok(200).clone();
        assert_eq!(eligibility["sight_test"]["eligible"], true, "{eligibility}");
        assert!(eligibility.to_string().contains("60"), "aged 60 or over: {eligibility}");

        // The fee for this financial year is entered by a company admin (the plugin ships only the
        // values its sources give, each with its source).
        let year = if today.month() >= 4 { today.year() } else { today.year() - 1 };
        let year = format!("{year}-{:02}", (year + 1) % 100);
        let fee = json!({ "items": { "sight_test_fee": { "pence": 2413, "source": "DHSC letter (test)" } } });
        let refused = app.put(&gos(&format!("/values/{year}")), &optom.token, fee.clone()).await;
        assert_eq!(refused.status, 403, "only company admins change values: {}", refused.body);
        app.put(&gos(&format!("/values/{year}")), &practice.admin.token, fee).await.ok(200);

        // A claim missing its last sight-test date cannot be made ready; the problem says why.
        let signatures = json!({ "patient": { "by": "patient", "date": test_date },
            "performer": { "name": "O. Optom", "date": test_date }, "contractor": { "name": "Bright Eyes Ltd", "date": test_date } });
        let claim = app.post(&gos("/claims"), Some(&optom.token), json!({ "form": "gos1", "patient_id": patient, "test_date": test_date, "signatures": signatures })).await;
        let claim = claim.ok(201).clone();
        assert_eq!(claim["status"], "draft", "{claim}");
        let id = claim["id"].as_str().unwrap().to_owned();
        let moves = gos(&format!("/claims/{id}/transitions"));
        let refused = app.post(&moves, Some(&optom.token), json!({ "to": "ready" })).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.to_string().to_lowercase().contains("last sight"), "{}", refused.body);

        let patch = json!({ "last_sight_test": "2024-09-01" });
        let patched = app.call(reqwest::Method::PATCH, &gos(&format!("/claims/{id}")), Some(&optom.token), Some(patch)).await;
        patched.ok(200);
        for (to, extra) in [("ready", json!({})), ("submitted", json!({})), ("rejected", json!({ "reason": "performer not on the list" })), ("draft", json!({})), ("ready", json!({})), ("submitted", json!({})), ("accepted", json!({})), ("paid", json!({ "amount_pence": 2413 }))] {
            let mut body = extra;
            body["to"] = json!(to);
            let moved = app.post(&moves, Some(&optom.token), body).await;
            assert_eq!(moved.ok(200)["status"], to, "{}", moved.body);
        }
        let invalid = app.post(&moves, Some(&optom.token), json!({ "to": "draft" })).await;
        assert_eq!(invalid.status, 409, "{}", invalid.body);

        let month = &test_date[..7];
        let summary = app.get(&gos(&format!("/summary?month={month}")), &practice.admin.token).await;
        let summary = summary.ok(200).clone();
        assert_eq!(summary["by_status"]["paid"]["count"], 1, "{summary}");

        // Lab staff do not see claims; another practice, on the same plugin, sees none of these.
        let forbidden = app.get(&gos("/claims"), &tech.token).await;
        assert_eq!(forbidden.status, 403, "{}", forbidden.body);
        let theirs = app.get(&gos("/claims"), &other.admin.token).await;
        assert_eq!(theirs.ok(200)["claims"], json!([]));
        app.get(&gos(&format!("/claims/{id}")), &other.admin.token).await.ok(404);
        let their_facts = app.put(&gos(&format!("/patients/{patient}/facts")), &other.admin.token, json!({})).await;
        assert_eq!(their_facts.status, 404, "another practice's patient: {}", their_facts.body);

        // Events that make a claim likely propose drafts: a finalised examination (GOS 1, the
        // patient being eligible that day) and a new order (GOS 3, filled from the order).
        let exam = app.post(&format!("/api/v1/patients/{patient}/examinations"), Some(&optom.token), json!({ "examined_on": test_date })).await;
        let exam = exam.ok(201)["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/examinations/{exam}/finalise"), Some(&optom.token), json!({})).await.ok(200);
        let rx = json!({ "kind": "spectacles", "issued_on": test_date, "prescriber": "O. Optom",
            "right": { "sphere": "+7.00", "cylinder": "-1.00", "axis": 90 }, "left": { "sphere": "+6.50" }, "pd_right_mm": 32, "pd_left_mm": 31.5 });
        let rx = app.post(&format!("/api/v1/patients/{patient}/prescriptions"), Some(&optom.token), rx).await;
        let rx = rx.ok(201)["id"].as_str().unwrap().to_owned();
        let order = json!({ "patient_id": patient, "prescription_id": rx,
            "lens": { "type": "single_vision", "material": "plastic", "index": 1.5, "coatings": [], "tint": null },
            "frame": { "description": "Round 48-20" }, "due_on": "2099-01-15", "price": { "amount_minor": 9900, "currency": "GBP" } });
        app.post("/api/v1/orders", Some(&optom.token), order).await.ok(201);
        let proposals = TestApp::eventually(30, || async {
            let body = app.get(&gos("/proposals"), &optom.token).await.ok(200).clone();
            let forms: Vec<Value> = body["proposals"].as_array().unwrap().iter().map(|c| c["fields"]["form"].clone()).collect();
            (forms.contains(&json!("gos1")) && forms.contains(&json!("gos3"))).then_some(body)
        })
        .await;
        let proposals = proposals["proposals"].as_array().unwrap();
        assert_eq!(proposals.len(), 2, "{proposals:?}");
        assert!(proposals.iter().all(|c| c["fields"]["patient_id"] == patient.as_str() && c["status"] == "draft"), "{proposals:?}");
        let gos3 = proposals.iter().find(|c| c["fields"]["form"] == "gos3").unwrap();
        assert_eq!(gos3["fields"]["prescription_id"], rx.as_str(), "filled from the order event: {gos3}");
        assert_eq!(gos3["fields"]["glasses"]["right"]["sphere"], "+7.00", "powers from the order: {gos3}");
        let theirs = app.get(&gos("/proposals"), &other.admin.token).await;
        assert_eq!(theirs.ok(200)["proposals"], json!([]));
    }
);

async fn seen(app: &TestApp, token: &str) -> String {
    let body = json!({ "first_name": "Di", "last_name": "Betts", "date_of_birth": "1980-02-03" });
    app.post("/api/v1/patients", Some(token), body).await.ok(201)["id"].as_str().unwrap().to_owned()
}

/// Finalises an examination of 31 August 2026 with no period given; the patient's recall.
async fn finalised(app: &TestApp, token: &str, patient: &str) -> Value {
    let exam = crate::recalls::exam(app, token, patient, "2026-08-31").await;
    app.post(&format!("/api/v1/examinations/{exam}/finalise"), Some(token), json!({})).await.ok(200);
    app.get(&format!("/api/v1/patients/{patient}/recall"), token).await.ok(200).clone()
}

db_test!(
    async fn with_the_plugin_on_a_finalised_examination_recalls_by_the_nhs_interval_for_the_patients_conditions(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "nhs_gos", NHS_GOS, "free").await;
        let practice = app.tenant("bright-eyes").await;
        let other = app.tenant("other-practice").await;
        let enable = json!({ "version": "0.1.0", "consent": ["kv", "clinical-read", "orders-read"] });
        app.put("/api/v1/tenant/plugins/nhs-gos", &practice.admin.token, enable).await.ok(200);
        let token = &practice.admin.token;

        // Di, 46, has diabetes (recorded in the plugin): one year, by the NHS rule, naming the plugin.
        let di = seen(&app, token).await;
        app.put(&format!("/api/v1/plugins/nhs-gos/patients/{di}/facts"), token, json!({ "diabetes": true })).await.ok(200);
        let recall = finalised(&app, token, &di).await;
        assert_eq!((recall["months"].as_i64(), recall["due_on"].as_str()), (Some(12), Some("2027-08-31")), "{recall}");
        assert_eq!(recall["basis"], "age");
        assert_eq!(recall["reason"], "has diabetes: 1 year (NHS General Ophthalmic Services (England))");
        // No facts recorded: the age rule, from the plugin.
        let ed = seen(&app, token).await;
        let recall = finalised(&app, token, &ed).await;
        assert_eq!(recall["reason"], "aged 16 to 69: 2 years (NHS General Ophthalmic Services (England))");
        // Another practice, without the plugin: ILS's own default.
        let fay = seen(&app, &other.admin.token).await;
        let recall = finalised(&app, &other.admin.token, &fay).await;
        assert_eq!((recall["months"].as_i64(), recall["reason"].as_str()), (Some(24), Some("aged 16 to 69: 2 years")));
    }
);
