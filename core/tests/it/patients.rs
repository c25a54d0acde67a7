//! Patients: registration with NHS number checks, search, audited reads, restriction on delete,
//! tenant isolation and roles.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, db_test};

fn patient(last: &str, nhs: Option<&str>) -> Value {
    json!({ "first_name": "Ann", "last_name": last, "date_of_birth": "1980-02-29", "nhs_number": nhs,
            "email": "Ann@Example.com", "postcode": "sw1a 1aa", "medical_notes": "Type 2 diabetes" })
}

db_test!(
    async fn patients_are_registered_found_read_with_audit_and_restricted_on_delete(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let ecp = app.member(&tenant, "olive", "ecp").await;
        let created = app.post("/api/v1/patients", Some(&ecp.token), patient("Smith", Some("943 476 5919"))).await;
        let created = created.ok(201).clone();
        assert_eq!(created["customer_number"], "P000001");
        assert_eq!(created["nhs_number"], "9434765919");
        assert_eq!(created["email"], "ann@example.com");
        assert_eq!(created["postcode"], "SW1A 1AA");
        let id = created["id"].as_str().unwrap().to_owned();
        let second = app.post("/api/v1/patients", Some(&ecp.token), patient("Smithson", None)).await;
        assert_eq!(second.ok(201)["customer_number"], "P000002");
        let mut third = patient("Jones", None);
        third["customer_number"] = json!("J-77");
        third["date_of_birth"] = json!("2015-06-01");
        app.post("/api/v1/patients", Some(&ecp.token), third).await.ok(201);

        let names = |resp: &Value| -> Vec<String> {
            resp["items"].as_array().unwrap().iter().map(|p| p["last_name"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(names(app.get("/api/v1/patients?name=smi", &ecp.token).await.ok(200)), vec!["Smith", "Smithson"]);
        assert_eq!(names(app.get("/api/v1/patients?name=SMITHS", &ecp.token).await.ok(200)), vec!["Smithson"]);
        assert_eq!(names(app.get("/api/v1/patients?name=%25", &ecp.token).await.ok(200)), Vec::<String>::new(), "% is literal");
        assert_eq!(names(app.get("/api/v1/patients?nhs_number=9434765919", &ecp.token).await.ok(200)), vec!["Smith"]);
        assert_eq!(names(app.get("/api/v1/patients?date_of_birth=2015-06-01", &ecp.token).await.ok(200)), vec!["Jones"]);
        assert_eq!(names(app.get("/api/v1/patients?customer_number=J-77", &ecp.token).await.ok(200)), vec!["Jones"]);

        let read = app.get(&format!("/api/v1/patients/{id}"), &ecp.token).await;
        assert_eq!(read.ok(200)["medical_notes"], "Type 2 diabetes");
        let audit = app.get("/api/v1/audit?entity_type=patient&limit=200", &tenant.admin.token).await;
        let audit = audit.ok(200)["items"].as_array().unwrap().clone();
        let reads: Vec<&Value> = audit.iter().filter(|e| e["action"] == "patient.read").collect();
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0]["entity_id"], id);
        assert_eq!(reads[0]["actor_id"], ecp.user_id);
        let searched = audit.iter().filter(|e| e["action"] == "patient.searched").count();
        assert_eq!(searched, 6, "every search is audited with the ids it returned");

        let mut changed = patient("Smith-Jones", Some("9434765919"));
        changed["phone"] = json!("020 7946 0000");
        let updated = app.call(Method::PUT, &format!("/api/v1/patients/{id}"), Some(&ecp.token), Some(changed)).await;
        assert_eq!(updated.ok(200)["last_name"], "Smith-Jones");
        let audit = app.get(&format!("/api/v1/audit?entity_id={id}&action=patient.updated"), &tenant.admin.token).await;
        assert_eq!(audit.ok(200)["items"][0]["changes"]["last_name"], json!({ "from": "Smith", "to": "Smith-Jones" }));

        app.delete(&format!("/api/v1/patients/{id}"), &ecp.token).await.ok(204);
        app.get(&format!("/api/v1/patients/{id}"), &ecp.token).await.problem(404, "not_found");
        assert!(names(app.get("/api/v1/patients?name=smith-j", &ecp.token).await.ok(200)).is_empty());
        app.get("/api/v1/patients?include_deleted=true", &ecp.token).await.problem(403, "forbidden");
        let kept = app.get(&format!("/api/v1/patients/{id}"), &tenant.admin.token).await;
        assert!(kept.ok(200)["deleted_at"].is_string(), "kept, restricted to admins");
        app.call(Method::PUT, &format!("/api/v1/patients/{id}"), Some(&tenant.admin.token), Some(patient("X", None)))
            .await
            .problem(409, "patient_deleted");
        let events = app.get("/api/v1/events?type=patient.created", &ecp.token).await;
        assert_eq!(events.ok(200)["items"].as_array().unwrap().len(), 3);
    }
);

db_test!(
    async fn nhs_numbers_are_checked_and_unique_per_practice(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let wrong = app.post("/api/v1/patients", Some(&a.admin.token), patient("Smith", Some("9434765918"))).await;
        wrong.problem(422, "invalid_input");
        assert!(wrong.body["detail"].as_str().unwrap().contains("check digit is wrong"), "{}", wrong.body);
        assert_eq!(wrong.body["errors"][0]["field"], "nhs_number");
        app.post("/api/v1/patients", Some(&a.admin.token), patient("Smith", Some("123"))).await.problem(422, "invalid_input");
        app.post("/api/v1/patients", Some(&a.admin.token), patient("Smith", Some("9434765919"))).await.ok(201);
        app.post("/api/v1/patients", Some(&a.admin.token), patient("Other", Some("9434765919")))
            .await
            .problem(409, "nhs_number_taken");
        app.post("/api/v1/patients", Some(&b.admin.token), patient("Smith", Some("9434765919"))).await.ok(201);
        let mut future = patient("Future", None);
        future["date_of_birth"] = json!("2999-01-01");
        app.post("/api/v1/patients", Some(&a.admin.token), future).await.problem(422, "invalid_input");
        let mut taken = patient("Dup", None);
        taken["customer_number"] = json!("P000001");
        app.post("/api/v1/patients", Some(&a.admin.token), taken).await.problem(409, "customer_number_taken");
        app.get("/api/v1/patients?nhs_number=1234567890", &a.admin.token).await.problem(422, "invalid_input");
    }
);

db_test!(
    async fn another_practices_patients_answer_404_and_lab_staff_see_none(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let b_patient = app.post("/api/v1/patients", Some(&b.admin.token), patient("Secret", None)).await;
        let b_id = b_patient.ok(201)["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/patients/{b_id}");
        app.get(&path, &a.admin.token).await.problem(404, "not_found");
        app.call(Method::PUT, &path, Some(&a.admin.token), Some(patient("Hacked", None))).await.problem(404, "not_found");
        app.delete(&path, &a.admin.token).await.problem(404, "not_found");
        assert!(app.get("/api/v1/patients?name=secret", &a.admin.token).await.ok(200)["items"].as_array().unwrap().is_empty());
        assert_eq!(app.get(&path, &b.admin.token).await.ok(200)["last_name"], "Secret");

        let tech = app.member(&b, "tim", "lab_tech").await;
        app.get("/api/v1/patients", &tech.token).await.problem(403, "forbidden");
        app.get(&path, &tech.token).await.problem(403, "forbidden");
        app.post("/api/v1/patients", Some(&tech.token), patient("X", None)).await.problem(403, "forbidden");
        let dispenser = app.member(&b, "dee", "dispenser").await;
        app.get(&path, &dispenser.token).await.ok(200);
    }
);

fn rx(right: Value, left: Value) -> Value {
    json!({ "kind": "spectacles", "right": right, "left": left, "issued_on": "2026-01-10",
            "prescriber": "O. Optom (GOC 01-12345)", "pd_right_mm": 31.5, "pd_left_mm": 32 })
}

db_test!(
    async fn prescriptions_are_checked_stored_in_minus_form_and_shown_in_either(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = tenant.admin.token.clone();
        let p = app.post("/api/v1/patients", Some(&token), patient("Smith", None)).await;
        let pid = p.ok(201)["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/patients/{pid}/prescriptions");
        let body = rx(
            json!({ "sphere": "+2.00", "cylinder": "+1.00", "axis": 180, "add": "+2.25",
                    "prism_horizontal": { "amount": 2.0, "base": "in" }, "prism_vertical": { "amount": 1.5, "base": "up" } }),
            json!({ "sphere": "-1.50", "cylinder": "-0.75", "axis": 45, "add": "+2.25" }),
        );
        let created = app.post(&path, Some(&token), body).await;
        let created = created.ok(201).clone();
        assert_eq!(created["right"]["written"], "+3.00/-1.00×90", "stored in minus-cylinder form");
        assert_eq!(created["left"]["written"], "-1.50/-0.75×45");
        assert_eq!(created["right"]["prism_compound"], json!([2.5, 36.9]));
        assert_eq!(created["pd_right_mm"], 31.5);
        assert_eq!(created["restricted_for_sale"], false);
        let id = created["id"].as_str().unwrap();
        let plus = app.get(&format!("/api/v1/prescriptions/{id}?cylinder_form=plus"), &token).await;
        let plus = plus.ok(200).clone();
        assert_eq!(plus["right"]["written"], "+2.00/+1.00×180");
        assert_eq!(plus["left"]["written"], "-2.25/+0.75×135");
        assert_eq!(plus["cylinder_form"], "plus");
        let listed = app.get(&format!("{path}?cylinder_form=minus"), &token).await;
        assert_eq!(listed.ok(200)[0]["left"]["sphere"], "-1.50");
        let audit = app.get("/api/v1/audit?action=prescription.read", &token).await;
        assert_eq!(audit.ok(200)["items"][0]["entity_id"], id);
        let events = app.get("/api/v1/events?type=prescription.created", &token).await;
        assert_eq!(events.ok(200)["items"][0]["data"]["prescription_id"], id);

        // An old spectacle prescription is flagged for the sale restriction.
        let mut old = rx(json!({ "sphere": "-1.00" }), json!({ "sphere": "-1.00" }));
        old["issued_on"] = json!("2020-03-01");
        assert_eq!(app.post(&path, Some(&token), old).await.ok(201)["restricted_for_sale"], true);
    }
);

db_test!(
    async fn invalid_prescriptions_are_refused_with_the_rule_broken(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = tenant.admin.token.clone();
        let p = app.post("/api/v1/patients", Some(&token), patient("Smith", None)).await;
        let path = format!("/api/v1/patients/{}/prescriptions", p.ok(201)["id"].as_str().unwrap());
        let plain = json!({ "sphere": "-1.00" });
        let cases = [
            (rx(json!({ "sphere": "-1.00", "cylinder": "-0.50" }), plain.clone()), "right.axis", "needs an axis"),
            (rx(plain.clone(), json!({ "sphere": "-1.00", "axis": 90 })), "left.axis", "without a cylinder"),
            (rx(json!({ "sphere": "2.00" }), plain.clone()), "right.sphere", "explicit sign"),
            (rx(json!({ "sphere": "+50.00" }), plain.clone()), "right.sphere", "beyond"),
            (rx(json!({ "sphere": "+1.10" }), plain.clone()), "right.sphere", "0.25 D steps"),
            (rx(plain.clone(), json!({ "sphere": "+1.00", "add": "+6.00" })), "left.add", "outside"),
            (rx(plain.clone(), json!({ "sphere": "+1.00", "cylinder": "-1.00", "axis": 200 })), "left.axis", "outside 1–180"),
        ];
        for (body, field, words) in cases {
            let resp = app.post(&path, Some(&token), body).await;
            resp.problem(422, "invalid_input");
            assert_eq!(resp.body["errors"][0]["field"], field, "{}", resp.body);
            assert!(resp.body["detail"].as_str().unwrap().contains(words), "{}", resp.body);
        }
        let mut cl = rx(plain.clone(), plain.clone());
        cl["kind"] = json!("contact_lenses");
        let resp = app.post(&path, Some(&token), cl.clone()).await;
        resp.problem(422, "invalid_input");
        assert_eq!(resp.body["errors"][0]["field"], "expires_on");
        cl["expires_on"] = json!("2027-01-10");
        app.post(&path, Some(&token), cl).await.ok(201);
        let mut bad_pd = rx(plain.clone(), plain.clone());
        bad_pd["pd_left_mm"] = json!(60);
        app.post(&path, Some(&token), bad_pd).await.problem(422, "invalid_input");
        // Dates within sane bounds: nothing issued in the future, nothing before 1900.
        for (date, words) in [("1850-06-01", "before 1900"), ("0001-01-01", "before 1900"), ("2999-01-01", "in the future")] {
            let mut dated = rx(plain.clone(), plain.clone());
            dated["issued_on"] = json!(date);
            let resp = app.post(&path, Some(&token), dated).await;
            resp.problem(422, "invalid_input");
            assert_eq!(resp.body["errors"][0]["field"], "issued_on");
            assert!(resp.body["detail"].as_str().unwrap().contains(words), "{}", resp.body);
        }
        // Prescribers are names: one visible line, no direction overrides.
        let mut prescriber = rx(plain.clone(), plain.clone());
        prescriber["prescriber"] = json!("O. \u{202E}motpO");
        let resp = app.post(&path, Some(&token), prescriber).await;
        resp.problem(422, "invalid_input");
        assert_eq!(resp.body["errors"][0]["field"], "prescriber");
    }
);

db_test!(
    async fn another_practices_prescriptions_answer_404(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let p = app.post("/api/v1/patients", Some(&b.admin.token), patient("Secret", None)).await;
        let b_patient = p.ok(201)["id"].as_str().unwrap().to_owned();
        let plain = json!({ "sphere": "-1.00" });
        let created = app.post(&format!("/api/v1/patients/{b_patient}/prescriptions"), Some(&b.admin.token), rx(plain.clone(), plain.clone())).await;
        let b_rx = created.ok(201)["id"].as_str().unwrap().to_owned();
        app.get(&format!("/api/v1/prescriptions/{b_rx}"), &a.admin.token).await.problem(404, "not_found");
        app.get(&format!("/api/v1/patients/{b_patient}/prescriptions"), &a.admin.token).await.problem(404, "not_found");
        app.post(&format!("/api/v1/patients/{b_patient}/prescriptions"), Some(&a.admin.token), rx(plain.clone(), plain))
            .await
            .problem(404, "not_found");
        let tech = app.member(&b, "tim", "lab_tech").await;
        app.get(&format!("/api/v1/prescriptions/{b_rx}"), &tech.token).await.problem(403, "forbidden");
        assert_eq!(app.get(&format!("/api/v1/patients/{b_patient}/prescriptions"), &b.admin.token).await.ok(200).as_array().unwrap().len(), 1);
    }
);

db_test!(
    async fn an_examination_is_finalised_once_and_its_refraction_becomes_the_prescription(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let ecp = app.member(&tenant, "olive", "ecp").await;
        let dispenser = app.member(&tenant, "dee", "dispenser").await;
        let p = app.post("/api/v1/patients", Some(&ecp.token), patient("Smith", None)).await;
        let pid = p.ok(201)["id"].as_str().unwrap().to_owned();
        let exam = json!({
            "examined_on": "2026-11-01",
            "visual_acuity": { "right": "6/6", "left": "6/9" },
            "iop_mmhg": { "right": 15, "left": 16 },
            "refraction": { "right": { "sphere": "+2.00", "cylinder": "+1.00", "axis": 180, "add": "+2.00" },
                            "left": { "sphere": "-1.50", "cylinder": "-0.75", "axis": 45, "add": "+2.00" } },
            "notes": "Fundi healthy",
        });
        let path = format!("/api/v1/patients/{pid}/examinations");
        app.post(&path, Some(&dispenser.token), exam.clone()).await.problem(403, "forbidden");
        let exam_body = exam.clone();
        let created = app.post(&path, Some(&ecp.token), exam).await;
        let created = created.ok(201).clone();
        assert_eq!(created["refraction"]["right"]["written"], "+3.00/-1.00×90");
        assert_eq!(created["examined_by"], ecp.user_id);
        let id = created["id"].as_str().unwrap().to_owned();
        let prescribe = json!({ "kind": "spectacles", "prescriber": "O. Optom (GOC 01-12345)" });
        app.post(&format!("/api/v1/examinations/{id}/prescription"), Some(&ecp.token), prescribe.clone())
            .await
            .problem(409, "not_finalised");
        // A draft can be corrected; a finalised examination cannot.
        let mut corrected = exam_body.clone();
        corrected["iop_mmhg"] = json!({ "right": 17, "left": 16 });
        corrected["notes"] = json!("Fundi healthy; IOP rechecked");
        let exam_path = format!("/api/v1/examinations/{id}");
        app.call(Method::PUT, &exam_path, Some(&dispenser.token), Some(corrected.clone())).await.problem(403, "forbidden");
        let mut bad = corrected.clone();
        bad["iop_mmhg"]["left"] = json!(200);
        app.call(Method::PUT, &exam_path, Some(&ecp.token), Some(bad)).await.problem(422, "invalid_input");
        let changed = app.call(Method::PUT, &exam_path, Some(&ecp.token), Some(corrected.clone())).await;
        assert_eq!(changed.ok(200)["iop_mmhg"]["right"], 17);
        assert_eq!(changed.body["notes"], "Fundi healthy; IOP rechecked");
        let finalised = app.post(&format!("/api/v1/examinations/{id}/finalise"), Some(&ecp.token), json!({})).await;
        assert!(finalised.ok(200)["finalised_at"].is_string());
        app.call(Method::PUT, &exam_path, Some(&ecp.token), Some(corrected)).await.problem(409, "already_finalised");
        app.post(&format!("/api/v1/examinations/{id}/finalise"), Some(&ecp.token), json!({}))
            .await
            .problem(409, "already_finalised");
        let rx = app.post(&format!("/api/v1/examinations/{id}/prescription"), Some(&ecp.token), prescribe).await;
        let rx = rx.ok(201).clone();
        assert_eq!(rx["examination_id"], id);
        assert_eq!(rx["issued_on"], "2026-11-01");
        assert_eq!(rx["left"]["written"], "-1.50/-0.75×45");
        assert_eq!(rx["right"]["add"], "+2.00");
        // Dispensers read examinations; reads are audited; the event announces the finalisation.
        let listed = app.get(&path, &dispenser.token).await;
        assert_eq!(listed.ok(200)[0]["visual_acuity"]["left"], "6/9");
        app.get(&format!("/api/v1/examinations/{id}"), &dispenser.token).await.ok(200);
        let audit = app.get("/api/v1/audit?action=examination.read", &tenant.admin.token).await;
        assert_eq!(audit.ok(200)["items"][0]["actor_id"], dispenser.user_id);
        let events = app.get("/api/v1/events?type=examination.finalised", &ecp.token).await;
        assert_eq!(events.ok(200)["items"][0]["data"]["has_refraction"], true);
    }
);

db_test!(
    async fn examination_values_are_checked_and_other_practices_get_404(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let p = app.post("/api/v1/patients", Some(&b.admin.token), patient("Secret", None)).await;
        let b_patient = p.ok(201)["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/patients/{b_patient}/examinations");
        for (bad, field) in [
            (json!({ "examined_on": "2026-11-01", "visual_acuity": { "right": "6/7" } }), "visual_acuity.right"),
            (json!({ "examined_on": "2026-11-01", "iop_mmhg": { "left": 99 } }), "iop_mmhg.left"),
            (json!({ "examined_on": "2999-01-01" }), "examined_on"),
            (json!({ "examined_on": "2026-11-01", "refraction": { "right": { "sphere": "+1.00", "axis": 90 }, "left": { "sphere": "+1.00" } } }), "right.axis"),
        ] {
            let resp = app.post(&path, Some(&b.admin.token), bad).await;
            resp.problem(422, "invalid_input");
            assert_eq!(resp.body["errors"][0]["field"], field);
        }
        let exam = app.post(&path, Some(&b.admin.token), json!({ "examined_on": "2026-11-01", "visual_acuity": { "right": "CF" } })).await;
        let b_exam = exam.ok(201)["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/examinations/{b_exam}/finalise"), Some(&b.admin.token), json!({})).await.ok(200);
        app.post(&format!("/api/v1/examinations/{b_exam}/prescription"), Some(&b.admin.token), json!({ "kind": "spectacles", "prescriber": "X" }))
            .await
            .problem(409, "no_refraction");

        let token = Some(a.admin.token.as_str());
        app.get(&format!("/api/v1/examinations/{b_exam}"), &a.admin.token).await.problem(404, "not_found");
        app.call(Method::PUT, &format!("/api/v1/examinations/{b_exam}"), token, Some(json!({ "examined_on": "2026-11-01" })))
            .await
            .problem(404, "not_found");
        app.post(&format!("/api/v1/examinations/{b_exam}/finalise"), token, json!({})).await.problem(404, "not_found");
        app.post(&format!("/api/v1/examinations/{b_exam}/prescription"), token, json!({ "kind": "spectacles", "prescriber": "X" }))
            .await
            .problem(404, "not_found");
        app.get(&path, &a.admin.token).await.problem(404, "not_found");
        app.post(&path, token, json!({ "examined_on": "2026-11-01" })).await.problem(404, "not_found");
    }
);

db_test!(
    async fn a_record_is_kept_ten_years_after_the_last_visit_or_to_the_25th_birthday(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let ecp = app.member(&tenant, "olive", "ecp").await;
        let register = |born: &str| json!({ "first_name": "Kim", "last_name": "Hale", "date_of_birth": born });
        let adult = app.post("/api/v1/patients", Some(&ecp.token), register("1961-04-02")).await.ok(201).clone();
        let child = app.post("/api/v1/patients", Some(&ecp.token), register("2015-06-01")).await.ok(201).clone();
        let registered = adult["created_at"].as_str().unwrap()[..10].to_owned();
        let ten_years_on = format!("{}{}", registered[..4].parse::<i32>().unwrap() + 10, &registered[4..]);
        assert_eq!(adult["last_visit_on"], Value::Null);
        assert_eq!(adult["retain_until"], ten_years_on.as_str(), "no visit yet: from registration");
        for (patient, seen) in [(&adult, "2026-11-02"), (&child, "2026-11-02")] {
            let exam = json!({ "examined_on": seen, "notes": "routine" });
            app.post(&format!("/api/v1/patients/{}/examinations", patient["id"].as_str().unwrap()), Some(&ecp.token), exam)
                .await
                .ok(201);
        }
        let rx = json!({ "kind": "spectacles", "issued_on": "2026-03-01", "prescriber": "O. Optom",
            "right": { "sphere": "-1.00" }, "left": { "sphere": "-1.00" } });
        app.post(&format!("/api/v1/patients/{}/prescriptions", adult["id"].as_str().unwrap()), Some(&ecp.token), rx)
            .await
            .ok(201);
        let adult = app.get(&format!("/api/v1/patients/{}", adult["id"].as_str().unwrap()), &ecp.token).await.ok(200).clone();
        assert_eq!(adult["last_visit_on"], "2026-11-02", "the latest of examinations and prescriptions");
        assert_eq!(adult["retain_until"], "2036-11-02");
        let child = app.get(&format!("/api/v1/patients/{}", child["id"].as_str().unwrap()), &ecp.token).await.ok(200).clone();
        assert_eq!(child["retain_until"], "2040-06-01", "a child's record is kept to the 25th birthday");
        // A deleted record keeps its retention date (restricted, not removed).
        app.delete(&format!("/api/v1/patients/{}", child["id"].as_str().unwrap()), &ecp.token).await.ok(204);
        let found = app.get("/api/v1/patients?name=hale&include_deleted=true", &tenant.admin.token).await.ok(200).clone();
        let kept = found["items"].as_array().unwrap().iter().find(|p| p["id"] == child["id"]).unwrap().clone();
        assert_eq!(kept["retain_until"], "2040-06-01");
        assert!(kept["deleted_at"].is_string());
    }
);

db_test!(
    async fn a_lab_that_works_in_eighths_records_eighth_steps_and_others_do_not(backend) {
        let app = TestApp::spawn(backend).await;
        let eighths = app.tenant("eighths").await;
        let quarters = app.tenant("quarters").await;
        let rx = json!({ "kind": "spectacles", "issued_on": "2026-03-01", "prescriber": "O. Optom",
            "right": { "sphere": "+1.12", "cylinder": "-0.37", "axis": 10 }, "left": { "sphere": "-0.62" } });
        let mut patients = Vec::new();
        for tenant in [&eighths, &quarters] {
            assert_eq!(app.get("/api/v1/tenant/settings", &tenant.admin.token).await.ok(200)["rx_steps"], "quarter");
            let p = app.post("/api/v1/patients", Some(&tenant.admin.token), patient("Hale", None)).await.ok(201)["id"].clone();
            patients.push(p.as_str().unwrap().to_owned());
        }
        let ecp = app.member(&eighths, "olive", "ecp").await;
        app.call(Method::PUT, "/api/v1/tenant/settings", Some(&ecp.token), Some(json!({ "rx_steps": "eighth" })))
            .await
            .problem(403, "forbidden");
        app.call(Method::PUT, "/api/v1/tenant/settings", Some(&eighths.admin.token), Some(json!({ "rx_steps": "sixteenth" })))
            .await
            .problem(422, "invalid_body");
        let set = app
            .call(Method::PUT, "/api/v1/tenant/settings", Some(&eighths.admin.token), Some(json!({ "rx_steps": "eighth" })))
            .await;
        assert_eq!(set.ok(200)["rx_steps"], "eighth");
        // The setting is the tenant's own: the other still records quarter steps only.
        let created = app.post(&format!("/api/v1/patients/{}/prescriptions", patients[0]), Some(&ecp.token), rx.clone()).await;
        assert_eq!(created.ok(201)["right"]["written"], "+1.12/-0.37×10");
        let refused = app.post(&format!("/api/v1/patients/{}/prescriptions", patients[1]), Some(&quarters.admin.token), rx).await;
        refused.problem(422, "invalid_input");
        assert!(refused.body["detail"].as_str().unwrap().contains("0.25"), "{}", refused.body);
        assert_eq!(app.get("/api/v1/tenant/settings", &quarters.admin.token).await.ok(200)["rx_steps"], "quarter");
        // The eighth-step prescription reads back and transposes.
        let list = app.get(&format!("/api/v1/patients/{}/prescriptions?cylinder_form=plus", patients[0]), &ecp.token).await.ok(200).clone();
        assert_eq!(list[0]["right"]["written"], "+0.75/+0.37×100");
    }
);
