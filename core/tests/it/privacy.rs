//! Privacy (issue 15, docs/adr/039): a subject-access export holds every record of the patient
//! and nothing of another; erasure at the end of retention restricts, then removes the records and
//! keeps a tombstone; platform staff read the platform audit without patients' values; consents
//! are recorded with their history; purged audit entries are archived first; and another practice
//! reaches none of it.

use std::io::Read as _;

use serde_json::{Value, json};

use crate::harness::{Actor, Tenant, TestApp, db_test};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// A patient whose every value is distinctive, so a test can look for it anywhere.
fn distinctive(tag: &str) -> Value {
    json!({
        "first_name": format!("Zebedee{tag}"), "last_name": format!("Quartermaine{tag}"),
        "date_of_birth": "1950-07-14", "email": format!("zq{}@example.org", tag.to_lowercase()),
        "phone": format!("07700 9{tag}00"), "address": format!("{tag} Marmalade Lane, Fenchester"),
        "postcode": "ZZ9 9ZZ", "medical_notes": format!("Keratoconus note {tag}"),
    })
}

/// Everything a practice holds on one patient, created over the API; the ids.
struct Held {
    patient: String,
    examination: String,
    prescription: String,
    order: String,
    consent: String,
    /// A letter attached to the record: its file's id.
    letter: String,
}

async fn patient_with_records(app: &TestApp, ecp: &Actor, tag: &str) -> Held {
    let patient = id(app.post("/api/v1/patients", Some(&ecp.token), distinctive(tag)).await.ok(201));
    let exam = json!({ "examined_on": "2026-11-01", "visual_acuity": { "right": "6/6", "left": "6/9" },
        "notes": format!("Exam note {tag}") });
    let exam = app.post(&format!("/api/v1/patients/{patient}/examinations"), Some(&ecp.token), exam).await;
    let rx = json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
        "right": { "sphere": "+1.50" }, "left": { "sphere": "+1.25" }, "pd_right_mm": 32, "pd_left_mm": 31.5,
        "notes": format!("Rx note {tag}") });
    let rx = id(app
        .post(&format!("/api/v1/patients/{patient}/prescriptions"), Some(&ecp.token), rx)
        .await
        .ok(201));
    let order = json!({
        "patient_id": patient, "prescription_id": rx,
        "lens": { "type": "single_vision", "material": "plastic", "index": 1.5 },
        "frame": { "description": format!("Frame {tag}") }, "due_on": "2099-01-15",
        "price": { "amount_minor": 8900, "currency": "GBP" }, "notes": format!("Order note {tag}"),
    });
    let order = id(app.post("/api/v1/orders", Some(&ecp.token), order).await.ok(201));
    let consent = json!({ "kind": "marketing", "choice": "granted", "source": "paper_form",
        "wording": format!("Offers by post ({tag})") });
    let consent = id(app
        .post(&format!("/api/v1/patients/{patient}/consents"), Some(&ecp.token), consent)
        .await
        .ok(201));
    let letter = app
        .client
        .post(format!("{}/api/v1/patients/{patient}/attachments", app.base))
        .query(&[("name", format!("letter {tag}.pdf"))])
        .bearer_auth(&ecp.token)
        .body(format!("%PDF-1.7\n% Referral for {tag}\n%%EOF\n"))
        .send()
        .await
        .unwrap();
    let letter = TestApp::read(letter).await.ok(201)["file"]["id"].as_str().unwrap().to_owned();
    Held { patient, examination: id(exam.ok(201)), prescription: rx, order, consent, letter }
}

/// The id of the one attachment listed in an export's `attachments.json`.
fn attachment_id(files: &std::collections::BTreeMap<String, String>) -> String {
    let listed: Value = serde_json::from_str(&files["attachments.json"]).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    listed[0]["id"].as_str().unwrap().to_owned()
}

/// Downloads a file's bytes.
async fn download(app: &TestApp, file: &str, token: &str) -> (u16, Vec<u8>) {
    let response =
        app.client.get(format!("{}/api/v1/files/{file}", app.base)).bearer_auth(token).send().await.unwrap();
    (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
}

/// The files of a zip, by name, as text.
fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut files = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        // JSON and HTML are UTF-8; the PDF is read as text only for its signature.
        files.insert(file.name().unwrap().into_owned(), String::from_utf8_lossy(&bytes).into_owned());
    }
    files
}

fn ids(json: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(json).unwrap();
    value.as_array().unwrap().iter().map(id).collect()
}

async fn practice(app: &TestApp, slug: &str) -> (Tenant, Actor) {
    let tenant = app.tenant(slug).await;
    let ecp = app.member(&tenant, "olive", "ecp").await;
    (tenant, ecp)
}

db_test!(
    async fn a_subject_access_export_holds_every_record_of_the_patient_and_nothing_of_another(backend) {
        let app = TestApp::spawn(backend).await;
        let (tenant, ecp) = practice(&app, "acme").await;
        let ann = patient_with_records(&app, &ecp, "Ann").await;
        let bob = patient_with_records(&app, &ecp, "Bob").await;
        let diary = crate::diary::set_up(&app, &tenant).await;
        let mut appointments = Vec::new();
        for (who, time) in [(&ann, "10:00"), (&bob, "11:00")] {
            let booking = crate::diary::booking(&diary, &who.patient, "sight test", &diary.priya, &crate::diary::at(1, time));
            appointments.push(id(app.post("/api/v1/appointments", Some(&ecp.token), booking).await.ok(201)));
        }
        for (who, due_on) in [(&ann, "2098-03-01"), (&bob, "2098-04-01")] {
            let recall = json!({ "due_on": due_on, "reason": format!("annual {}", who.patient) });
            app.put(&format!("/api/v1/patients/{}/recall", who.patient), &ecp.token, recall).await.ok(200);
        }
        app.get(&format!("/api/v1/patients/{}", ann.patient), &ecp.token).await.ok(200);
        let dispenser = app.member(&tenant, "dan", "dispenser").await;
        app.get("/api/v1/patients?name=Quartermaine", &dispenser.token).await.ok(200);

        let export = app.post(&format!("/api/v1/patients/{}/exports", ann.patient), Some(&dispenser.token), json!({})).await;
        let export = export.ok(201).clone();
        assert_eq!(export["patient_id"], ann.patient.as_str());
        assert_eq!(export["file"]["content_type"], "application/zip");
        let file = export["file"]["id"].as_str().unwrap().to_owned();
        let (status, bytes) = download(&app, &file, &ecp.token).await;
        assert_eq!(status, 200);
        let files = unzip(&bytes);
        let names: Vec<String> = files.keys().cloned().collect();
        let letter = format!("attachments/{}-letter Ann.pdf", attachment_id(&files));
        let mut expected: Vec<String> = [
            "access_log.json", "appointments.json", "attachments.json", "consents.json", "examinations.json", "files.json", "manifest.json",
            "orders.json", "patient.json", "prescriptions.json", "recall.json", "reminders.json", "sales.json", "summary.html", "summary.pdf",
        ]
        .map(String::from)
        .to_vec();
        expected.push(letter);
        expected.sort();
        assert_eq!(names, expected);
        let attached = &files[&format!("attachments/{}-letter Ann.pdf", attachment_id(&files))];
        assert!(attached.contains("Referral for Ann") && !attached.contains("Bob"), "the letter's own bytes");
        let patient: Value = serde_json::from_str(&files["patient.json"]).unwrap();
        assert_eq!(patient["id"], ann.patient.as_str());
        assert_eq!(patient["last_name"], "QuartermaineAnn");
        assert_eq!(patient["medical_notes"], "Keratoconus note Ann");
        assert_eq!(ids(&files["examinations.json"]), [ann.examination.as_str()]);
        assert_eq!(ids(&files["prescriptions.json"]), [ann.prescription.as_str()]);
        assert_eq!(ids(&files["orders.json"]), [ann.order.as_str()]);
        assert_eq!(ids(&files["consents.json"]), [ann.consent.as_str()]);
        assert_eq!(ids(&files["appointments.json"]), [appointments[0].as_str()]);
        let recall: Value = serde_json::from_str(&files["recall.json"]).unwrap();
        assert_eq!((recall["due_on"].as_str(), recall["basis"].as_str()), (Some("2098-03-01"), Some("date")));
        let booked: Value = serde_json::from_str(&files["appointments.json"]).unwrap();
        assert_eq!((booked[0]["clinician_name"].as_str(), booked[0]["status"].as_str()), (Some("Priya Shah"), Some("booked")));
        let orders: Value = serde_json::from_str(&files["orders.json"]).unwrap();
        assert_eq!(orders[0]["timeline"][0]["to_status"], "pending", "each order with its timeline");
        let manifest: Value = serde_json::from_str(&files["manifest.json"]).unwrap();
        assert_eq!(manifest["format"], "ils-subject-access/1");
        assert_eq!(manifest["records"]["orders.json"], 1);
        // Who read the record, when: the practitioner's read and the dispenser's search.
        let access: Value = serde_json::from_str(&files["access_log.json"]).unwrap();
        let seen: Vec<(String, String)> = access.as_array().unwrap().iter()
            .map(|a| (a["action"].as_str().unwrap().to_owned(), a["actor_name"].as_str().unwrap_or("").to_owned()))
            .collect();
        for expected in [("patient.created", "olive"), ("patient.read", "olive"), ("patient.searched", "dan"),
                         ("prescription.created", "olive"), ("consent.recorded", "olive")] {
            assert!(seen.iter().any(|(a, n)| a == expected.0 && n == expected.1), "{expected:?} in {seen:?}");
        }
        assert!(files["summary.html"].contains("Records held on ZebedeeAnn QuartermaineAnn"));
        assert!(files["summary.html"].contains("Tenant acme") && files["summary.html"].contains("Keratoconus note Ann"));
        assert!(files["summary.html"].contains("Appointments") && files["summary.html"].contains("Priya Shah"));
        assert!(files["summary.pdf"].starts_with("%PDF-"), "a PDF summary");
        // Nothing of Bob's, anywhere in the export.
        for (name, text) in &files {
            for bob_value in [&bob.patient, &bob.examination, &bob.prescription, &bob.order, &bob.consent, &appointments[1], &"2098-04-01".to_owned(),
                              &"ZebedeeBob".to_owned(), &"Frame Bob".to_owned(), &"Bob Marmalade".to_owned()] {
                assert!(!text.contains(bob_value.as_str()), "{bob_value} in {name}");
            }
        }

        // The request and the download are in the patient's trail; the export is listed.
        let trail = app.get(&format!("/api/v1/audit?entity_id={}", ann.patient), &tenant.admin.token).await;
        let actions: Vec<String> = trail.ok(200)["items"].as_array().unwrap().iter()
            .map(|e| e["action"].as_str().unwrap().to_owned()).collect();
        assert!(actions.contains(&"patient.exported".to_owned()), "{actions:?}");
        assert!(actions.contains(&"patient.export_downloaded".to_owned()), "{actions:?}");
        let listed = app.get(&format!("/api/v1/patients/{}/exports", ann.patient), &ecp.token).await;
        assert_eq!(listed.ok(200)[0]["file"]["id"], file.as_str());

        // Lab staff may not read records: neither ask for an export nor download one.
        let tech = app.member(&tenant, "tess", "lab_tech").await;
        app.post(&format!("/api/v1/patients/{}/exports", ann.patient), Some(&tech.token), json!({}))
            .await
            .problem(403, "forbidden");
        assert_eq!(download(&app, &file, &tech.token).await.0, 404);
    }
);

db_test!(
    async fn erasure_at_the_retention_date_restricts_then_removes_the_records_and_keeps_a_tombstone(backend) {
        let app = TestApp::spawn(backend).await;
        let (tenant, ecp) = practice(&app, "acme").await;
        let ann = patient_with_records(&app, &ecp, "Ann").await;
        let export = app.post(&format!("/api/v1/patients/{}/exports", ann.patient), Some(&ecp.token), json!({})).await;
        let export_file = export.ok(201)["file"]["id"].as_str().unwrap().to_owned();
        // Ann is in the diary too, seen from an appointment (which names its examination).
        let diary = crate::diary::set_up(&app, &tenant).await;
        let booking = crate::diary::booking(&diary, &ann.patient, "sight test", &diary.priya, &crate::diary::at(1, "10:00"));
        let booked = app.post("/api/v1/appointments", Some(&ecp.token), booking).await;
        let appointment = booked.ok(201)["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/appointments/{appointment}/examination"), Some(&ecp.token), json!({})).await.ok(201);
        let recall = json!({ "due_on": "2099-01-01", "reason": "diabetic: annual" });
        app.put(&format!("/api/v1/patients/{}/recall", ann.patient), &ecp.token, recall).await.ok(200);
        // She paid for a sight test at the till: the practice keeps that for its VAT records.
        let test = json!({ "kind": "sight_test", "description": "Sight test", "quantity": 1, "unit_price_minor": 2500 });
        let sale = app.post("/api/v1/sales", Some(&tenant.admin.token), json!({ "patient_id": ann.patient, "lines": [test] })).await;
        let sale = sale.ok(201)["id"].as_str().unwrap().to_owned();
        // A refractor in the room filled her examination through the site's bridge.
        crate::guests::install(&app, "nidek_rs232", crate::guests::NIDEK, "free").await;
        app.put("/api/v1/tenant/plugins/nidek-rs232", &tenant.admin.token, json!({ "version": "0.1.0", "consent": [] })).await.ok(200);
        app.post("/api/v1/devices", Some(&tenant.admin.token), json!({ "name": "phoropter-1", "plugin": "nidek-rs232", "model": "rt-5100" })).await.ok(201);
        app.put("/api/v1/devices/phoropter-1/examination", &ecp.token, json!({ "examination_id": ann.examination })).await.ok(200);
        let sessions = ils_devices::Sessions::new(app.db.clone(), std::sync::Arc::clone(&app.state.plugins));
        let ctx = ils_kernel::TenantCtx::system(tenant.id.parse().unwrap());
        let transmission = include_bytes!("../../../plugins/fake-devices/recordings/refractor-rt5100.txt");
        sessions.apply(&ctx, "phoropter-1", 1, ils_devices::Entry::Link(true)).await.unwrap();
        sessions.apply(&ctx, "phoropter-1", 2, ils_devices::Entry::Bytes(transmission.to_vec())).await.unwrap();
        let log = app.get("/api/v1/devices/phoropter-1/log", &ecp.token).await.ok(200).clone();
        assert_eq!(log[0]["examination_id"], ann.examination.as_str(), "{log}");
        let record = app.get(&format!("/api/v1/patients/{}", ann.patient), &ecp.token).await.ok(200).clone();
        let retain_until: jiff::civil::Date = record["retain_until"].as_str().unwrap().parse().unwrap();
        let privacy = &app.state.privacy;

        // On the retention date itself the record is still kept.
        assert_eq!(privacy.sweep(retain_until, 30).await.unwrap().restricted, 0);
        let restricted_on = retain_until.tomorrow().unwrap();
        let swept = privacy.sweep(restricted_on, 30).await.unwrap();
        assert_eq!((swept.restricted, swept.erased), (1, 0));
        let path = format!("/api/v1/patients/{}", ann.patient);
        app.get(&path, &ecp.token).await.problem(403, "patient_restricted");
        app.get(&path, &tenant.admin.token).await.problem(403, "patient_restricted");
        app.get(&format!("{path}/prescriptions"), &ecp.token).await.problem(403, "patient_restricted");
        app.get(&format!("{path}/consents"), &ecp.token).await.problem(403, "patient_restricted");
        let found = app.get("/api/v1/patients?name=Quartermaine", &ecp.token).await;
        assert_eq!(found.ok(200)["items"].as_array().unwrap().len(), 0, "hidden from searches");
        app.post(&format!("{path}/exports"), Some(&ecp.token), json!({})).await.problem(403, "patient_restricted");
        app.post(&format!("{path}/exports"), Some(&tenant.admin.token), json!({})).await.ok(201);

        // After the grace, erased: records gone, the order kept without the patient, a tombstone.
        let day_before = retain_until.checked_add(jiff::Span::new().days(30)).unwrap();
        assert_eq!(privacy.sweep(day_before, 30).await.unwrap().erased, 0);
        let erase_on = day_before.tomorrow().unwrap();
        assert_eq!(privacy.sweep(erase_on, 30).await.unwrap().erased, 1);
        app.get(&path, &tenant.admin.token).await.problem(404, "not_found");
        app.get(&format!("/api/v1/prescriptions/{}", ann.prescription), &ecp.token).await.problem(404, "not_found");
        app.get(&format!("/api/v1/examinations/{}", ann.examination), &ecp.token).await.problem(404, "not_found");
        assert_eq!(download(&app, &export_file, &tenant.admin.token).await.0, 404, "its exports are gone too");
        let order = app.get(&format!("/api/v1/orders/{}", ann.order), &ecp.token).await.ok(200).clone();
        assert_eq!(order["patient_id"], Value::Null);
        assert_eq!(order["prescription_id"], Value::Null);
        assert_eq!(order["notes"], "");
        assert_eq!(order["price"]["amount_minor"], 8900, "the business record stays");
        let tombstone = app.get(&format!("{path}/tombstone"), &ecp.token).await.ok(200).clone();
        assert_eq!(tombstone["patient_id"], ann.patient.as_str());
        assert_eq!(tombstone["retain_until"], retain_until.to_string());
        assert_eq!(tombstone["restricted_on"], restricted_on.to_string());
        assert_eq!(
            tombstone["removed"],
            json!({ "examinations": 2, "prescriptions": 1, "consents": 1, "exports": 2, "attachments": 1,
                    "orders_unlinked": 1, "appointments": 1, "recalls": 1, "reminders": 0, "sales_unlinked": 1 })
        );
        let kept = app.get(&format!("/api/v1/sales/{sale}"), &tenant.admin.token).await.ok(200).clone();
        assert_eq!((kept["patient_id"].clone(), kept["total_minor"].as_i64()), (Value::Null, Some(2500)), "the sale stays, unnamed");
        app.get(&format!("/api/v1/appointments/{appointment}"), &ecp.token).await.problem(404, "not_found");
        assert_eq!(download(&app, &ann.letter, &tenant.admin.token).await.0, 404, "its attachments are gone");
        let erased = app.get(&format!("/api/v1/audit?action=patient.erased&entity_id={}", ann.patient), &tenant.admin.token).await;
        assert_eq!(erased.ok(200)["items"][0]["actor_kind"], "system");
        // The refractor points nowhere, and its log keeps nothing about her examination.
        assert_eq!(app.get("/api/v1/devices", &ecp.token).await.ok(200)[0]["examination_id"], Value::Null);
        let log = app.get("/api/v1/devices/phoropter-1/log", &ecp.token).await.ok(200).clone();
        assert!(log.as_array().unwrap().iter().all(|l| l["examination_id"].is_null() && l["kind"] != "reading"), "{log}");
        assert!(!log.as_array().unwrap().is_empty(), "the device's own lines stay: {log}");
        let tombstone_text = tombstone.to_string();
        assert!(!tombstone_text.contains("Quartermaine") && !tombstone_text.contains("1950"), "{tombstone_text}");
        // A second sweep changes nothing.
        assert_eq!(privacy.sweep(erase_on, 30).await.unwrap(), Default::default());
    }
);

db_test!(
    async fn platform_staff_read_the_platform_audit_without_any_patient_value(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let (tenant, ecp) = practice(&app, "acme").await;
        let ann = patient_with_records(&app, &ecp, "Ann").await;
        let mut changed = distinctive("Xyl");
        changed["nhs_number"] = json!("943 476 5919");
        app.put(&format!("/api/v1/patients/{}", ann.patient), &ecp.token, changed).await.ok(200);
        app.get("/api/v1/patients?name=ZebedeeXyl", &ecp.token).await.ok(200);
        let secrets = ["ZebedeeAnn", "QuartermaineAnn", "ZebedeeXyl", "QuartermaineXyl", "1950-07-14", "9434765919",
            "zqann@example.org", "zqxyl@example.org", "07700 9Ann00", "Marmalade Lane", "ZZ9 9ZZ", "Keratoconus",
            "Exam note", "Rx note", "Order note", "Offers by post"];

        let mut platform = String::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/platform/audit?limit=200&cursor={c}"),
                None => "/api/v1/platform/audit?limit=200".to_owned(),
            };
            let page = app.get(&path, &root.token).await.ok(200).clone();
            platform.push_str(&page.to_string());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        for secret in secrets {
            assert!(!platform.contains(secret), "{secret} shown to platform staff");
        }
        assert!(platform.contains("patient.updated") && platform.contains("[redacted]"));
        assert!(platform.contains(&ann.patient), "ids stay, so staff can follow a record");

        let own = app.get("/api/v1/audit?limit=200", &tenant.admin.token).await.ok(200).to_string();
        for secret in ["QuartermaineAnn", "QuartermaineXyl", "9434765919", "Keratoconus note Xyl", "ZebedeeXyl"] {
            assert!(own.contains(secret), "the practice's own audit keeps {secret}");
        }
    }
);

db_test!(
    async fn consents_keep_every_change_and_show_the_current_choice(backend) {
        let app = TestApp::spawn(backend).await;
        let (_tenant, ecp) = practice(&app, "acme").await;
        let ann = patient_with_records(&app, &ecp, "Ann").await;
        let path = format!("/api/v1/patients/{}/consents", ann.patient);
        let sms = json!({ "kind": "recall_channel", "choice": "sms", "source": "phone", "wording": "Reminders by text" });
        app.post(&path, Some(&ecp.token), sms).await.ok(201);
        let withdrawn = json!({ "kind": "marketing", "choice": "withdrawn", "source": "email", "wording": "Stop offers" });
        let withdrawn = app.post(&path, Some(&ecp.token), withdrawn).await.ok(201).clone();
        assert_eq!(withdrawn["recorded_by"], ecp.user_id.as_str());
        let consents = app.get(&path, &ecp.token).await.ok(200).clone();
        assert_eq!(consents["marketing"]["choice"], "withdrawn");
        assert_eq!(consents["marketing"]["wording"], "Stop offers");
        assert_eq!(consents["recall_channel"]["choice"], "sms");
        let history: Vec<&str> = consents["history"].as_array().unwrap().iter().map(|c| c["choice"].as_str().unwrap()).collect();
        assert_eq!(history, ["withdrawn", "sms", "granted"]);
    }
);

db_test!(
    async fn bad_privacy_input_is_answered_with_problems(backend) {
        let app = TestApp::spawn(backend).await;
        let (_tenant, ecp) = practice(&app, "acme").await;
        let ann = patient_with_records(&app, &ecp, "Ann").await;
        let path = format!("/api/v1/patients/{}/consents", ann.patient);
        let wrong_choice = json!({ "kind": "marketing", "choice": "sms", "source": "phone", "wording": "x" });
        let refused = app.post(&path, Some(&ecp.token), wrong_choice).await;
        refused.problem(422, "invalid_input");
        assert!(refused.body.to_string().contains("granted, withdrawn"), "{}", refused.body);
        let unknown = json!({ "kind": "telepathy", "choice": "sms", "source": "phone", "wording": "x" });
        app.post(&path, Some(&ecp.token), unknown).await.problem(422, "invalid_body");
        let blank = json!({ "kind": "marketing", "choice": "granted", "source": "phone", "wording": "  " });
        app.post(&path, Some(&ecp.token), blank).await.problem(422, "invalid_input");
        let missing = json!({ "kind": "marketing", "choice": "granted" });
        app.post(&path, Some(&ecp.token), missing).await.problem(422, "invalid_body");
        app.get("/api/v1/patients/not-a-uuid/consents", &ecp.token).await.problem(400, "invalid_path");
        app.post("/api/v1/patients/not-a-uuid/exports", Some(&ecp.token), json!({})).await.problem(400, "invalid_path");
        app.get(&format!("/api/v1/patients/{}/tombstone", ann.patient), &ecp.token).await.problem(404, "not_found");
    }
);

db_test!(
    async fn another_practice_cannot_export_read_consents_of_or_see_the_tombstone_of_a_patient(backend) {
        let app = TestApp::spawn(backend).await;
        let (tenant, ecp) = practice(&app, "acme").await;
        let (other, _) = practice(&app, "other").await;
        let ann = patient_with_records(&app, &ecp, "Ann").await;
        let export = app.post(&format!("/api/v1/patients/{}/exports", ann.patient), Some(&ecp.token), json!({})).await;
        let file = export.ok(201)["file"]["id"].as_str().unwrap().to_owned();
        let stranger = &other.admin.token;
        let path = format!("/api/v1/patients/{}", ann.patient);
        app.post(&format!("{path}/exports"), Some(stranger), json!({})).await.problem(404, "not_found");
        app.get(&format!("{path}/exports"), stranger).await.problem(404, "not_found");
        app.get(&format!("{path}/consents"), stranger).await.problem(404, "not_found");
        let consent = json!({ "kind": "marketing", "choice": "granted", "source": "phone", "wording": "x" });
        app.post(&format!("{path}/consents"), Some(stranger), consent).await.problem(404, "not_found");
        assert_eq!(download(&app, &file, stranger).await.0, 404);

        let today = jiff::civil::date(2200, 1, 1);
        app.state.privacy.sweep(today, 0).await.unwrap();
        app.get(&format!("{path}/tombstone"), &tenant.admin.token).await.ok(200);
        app.get(&format!("{path}/tombstone"), stranger).await.problem(404, "not_found");
    }
);

db_test!(
    async fn audit_entries_past_retention_are_archived_before_they_are_deleted(backend) {
        let app = TestApp::spawn(backend).await;
        let (tenant, ecp) = practice(&app, "acme").await;
        patient_with_records(&app, &ecp, "Ann").await;
        // The log is append-only: not even the owner deletes outside a purge.
        assert!(app.owner_execute("DELETE FROM audit_log").await.is_err());
        let before = app.get("/api/v1/audit?limit=200", &tenant.admin.token).await.ok(200)["items"]
            .as_array().unwrap().len();
        assert!(before > 5);

        let dir = tempfile::tempdir().unwrap();
        let cutoff = ils_core::db::types::Timestamp::now();
        let purged = ils_core::privacy::audit_retention::purge(&app.db, dir.path(), cutoff).await.unwrap().unwrap();
        assert_eq!(purged.exported, purged.deleted);
        let archive = std::fs::read_to_string(&purged.archive).unwrap();
        let lines: Vec<Value> = archive.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len() as u64, purged.exported);
        assert!(lines.iter().any(|e| e["action"] == "patient.created" && e["changes"]["customer_number"] == "P000001"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&purged.archive).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let after = app.get("/api/v1/audit?limit=200", &tenant.admin.token).await.ok(200).clone();
        assert_eq!(after["items"].as_array().unwrap().len(), 0, "{after}");
        let (root, _) = app.platform_admin().await;
        let log = app.get("/api/v1/platform/audit?action=audit.purged", &root.token).await.ok(200).clone();
        assert_eq!(log["items"][0]["changes"]["deleted"], purged.deleted);
        assert!(ils_core::privacy::audit_retention::purge(&app.db, dir.path(), cutoff).await.unwrap().is_none());
    }
);
