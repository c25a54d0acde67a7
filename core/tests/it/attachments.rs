//! Attachments (docs/adr/041-attachments.md): files on a patient's record and on an order, taken
//! by what their bytes are (not their name or declared type), up to a size cap; downloads are
//! reads of the record — its permission, and audited; another tenant reaches none of it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::files::{Auth, download};
use crate::harness::{TestApp, db_test};

/// A one-page PDF's first bytes: enough for anything that reads its signature.
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
/// A PNG's signature and header chunk.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Uploads `body` as `name` to `path` (`/patients/{id}` or `/orders/{id}`), declaring `declared`.
async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    name: &str,
    declared: &str,
    body: Vec<u8>,
) -> crate::harness::Resp {
    let url = format!("{}/api/v1{path}/attachments", app.base);
    let response = app
        .client
        .post(url)
        .query(&[("name", name), ("description", "Referral from Dr Shah")])
        .bearer_auth(token)
        .header("content-type", declared)
        .body(body)
        .send()
        .await
        .unwrap();
    TestApp::read(response).await
}

async fn patient(app: &TestApp, token: &str, last_name: &str) -> String {
    let body = json!({ "first_name": "Ann", "last_name": last_name, "date_of_birth": "1961-04-02" });
    app.post("/api/v1/patients", Some(token), body).await.ok(201)["id"].as_str().unwrap().to_owned()
}

fn audit_actions(entries: &Value) -> Vec<String> {
    entries["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

db_test!(
    async fn a_patients_attachments_are_kept_by_what_they_are_and_every_download_is_a_read(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let ecp = app.member(&tenant, "olive", "ecp").await;
        let tech = app.member(&tenant, "tess", "lab_tech").await;
        let id = patient(&app, &ecp.token, "Lee").await;
        let path = format!("/patients/{id}");

        let letter = upload(&app, &ecp.token, &path, "referral.pdf", "application/pdf", PDF.to_vec()).await;
        let letter = letter.ok(201).clone();
        assert_eq!(letter["file"]["content_type"], "application/pdf");
        assert_eq!(letter["file"]["name"], "referral.pdf");
        assert_eq!(letter["description"], "Referral from Dr Shah");
        assert_eq!(letter["patient_id"], id.as_str());
        // A photo declared as JPEG is kept as what it is.
        let photo = upload(&app, &ecp.token, &path, "fundus.jpg", "image/jpeg", PNG.to_vec()).await;
        assert_eq!(photo.ok(201)["file"]["content_type"], "image/png");

        // What is not a document or a photo is refused, whatever it is called or declared.
        let program = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec();
        upload(&app, &ecp.token, &path, "referral.pdf", "application/pdf", program).await.problem(422, "unsupported_attachment");
        let page = b"<html><script>alert(1)</script></html>".to_vec();
        upload(&app, &ecp.token, &path, "form.pdf", "application/pdf", page).await.problem(422, "unsupported_attachment");
        let mut big = PDF.to_vec();
        big.resize(10 * 1024 * 1024 + 1, b' ');
        let refused = upload(&app, &ecp.token, &path, "scan.pdf", "application/pdf", big).await;
        refused.problem(422, "attachment_too_large");
        assert_eq!(refused.body["errors"][0]["field"], "file", "{}", refused.body);
        upload(&app, &ecp.token, &path, "../../etc/passwd", "application/pdf", PDF.to_vec()).await.problem(422, "invalid_input");

        let listed = app.get(&format!("/api/v1{path}/attachments"), &ecp.token).await.ok(200).clone();
        let names: Vec<&str> = listed.as_array().unwrap().iter().map(|a| a["file"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["fundus.jpg", "referral.pdf"], "newest first; nothing refused was kept");

        // A download is a read of the record: audited on the patient, for those who may read it.
        let file = letter["file"]["id"].as_str().unwrap();
        let (status, headers, body) = download(&app, file, Auth::Bearer(&ecp.token)).await;
        assert_eq!((status.as_u16(), &body[..]), (200, PDF));
        assert_eq!(headers["content-type"], "application/pdf");
        let audit = app.get(&format!("/api/v1/audit?entity_id={id}"), &tenant.admin.token).await.ok(200).clone();
        let actions = audit_actions(&audit);
        assert_eq!(actions[0], "patient.attachment_read", "{actions:?}");
        assert_eq!(audit["items"][0]["actor_id"], ecp.user_id.as_str());
        assert!(actions.contains(&"patient.attachment_added".to_owned()));
        assert_eq!(download(&app, file, Auth::Bearer(&tech.token)).await.0.as_u16(), 403, "a lab technician reads no patient's record");
        upload(&app, &tech.token, &path, "x.pdf", "application/pdf", PDF.to_vec()).await.problem(403, "forbidden");

        // Another practice reaches nothing of it.
        let other = app.tenant("other").await;
        upload(&app, &other.admin.token, &path, "x.pdf", "application/pdf", PDF.to_vec()).await.problem(404, "not_found");
        app.get(&format!("/api/v1{path}/attachments"), &other.admin.token).await.problem(404, "not_found");
        assert_eq!(download(&app, file, Auth::Bearer(&other.admin.token)).await.0.as_u16(), 404);

        // A deleted record is restricted: nothing more is attached to it.
        app.call(Method::DELETE, &format!("/api/v1{path}"), Some(&tenant.admin.token), None).await;
        upload(&app, &tenant.admin.token, &path, "late.pdf", "application/pdf", PDF.to_vec()).await.problem(409, "patient_deleted");
    }
);

db_test!(
    async fn an_orders_attachments_are_read_as_the_order_is(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = &tenant.admin.token;
        let patient = patient(&app, token, "Lee").await;
        let rx = json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
            "right": { "sphere": "+1.50" }, "left": { "sphere": "+1.25" }, "pd_right_mm": 32, "pd_left_mm": 31.5 });
        let rx = app.post(&format!("/api/v1/patients/{patient}/prescriptions"), Some(token), rx).await.ok(201)["id"].clone();
        let order = json!({ "patient_id": patient, "prescription_id": rx,
            "lens": { "type": "single_vision", "material": "plastic", "index": 1.5, "coatings": [] },
            "frame": { "description": "Own frame" }, "due_on": "2099-01-15", "priority": "normal",
            "price": { "amount_minor": 5000, "currency": "GBP" } });
        let order = app.post("/api/v1/orders", Some(token), order).await.ok(201)["id"].as_str().unwrap().to_owned();
        let path = format!("/orders/{order}");
        let photo = upload(&app, token, &path, "frame.png", "image/png", PNG.to_vec()).await.ok(201).clone();
        assert_eq!(photo["order_id"], order.as_str());
        let listed = app.get(&format!("/api/v1{path}/attachments"), token).await.ok(200).clone();
        assert_eq!(listed.as_array().unwrap().len(), 1);
        let tech = app.member(&tenant, "tess", "lab_tech").await;
        let file = photo["file"]["id"].as_str().unwrap();
        assert_eq!(download(&app, file, Auth::Bearer(&tech.token)).await.0.as_u16(), 200, "the lab reads its orders");
        let audit = app.get(&format!("/api/v1/audit?entity_id={order}&action=order.attachment_read"), token).await;
        assert_eq!(audit.ok(200)["items"][0]["actor_id"], tech.user_id.as_str());
        let other = app.tenant("other").await;
        app.get(&format!("/api/v1{path}/attachments"), &other.admin.token).await.problem(404, "not_found");
        upload(&app, &other.admin.token, &path, "x.png", "image/png", PNG.to_vec()).await.problem(404, "not_found");
    }
);
