//! Reminders: an appointment's reminder the day before it, and "your glasses are ready" when the
//! practice receives the order back — each once, by the patient's channel, and nothing to a
//! patient who chose no reminders.

use serde_json::{Value, json};

use crate::fakes::{Mail, SmtpSink};
use crate::harness::{TestApp, db_test};
use ils_core::jobs::reminders::{appointment_reminders, order_ready};
use ils_storage::types::Timestamp;

async fn patient(app: &TestApp, token: &str, first: &str, extra: Value) -> String {
    let mut body = json!({ "first_name": first, "last_name": "Reminded", "date_of_birth": "1975-06-07" });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.post("/api/v1/patients", Some(token), body).await.ok(201)["id"].as_str().unwrap().to_owned()
}

fn mails(sink: &SmtpSink, to: &str, subject: &str) -> Vec<Mail> {
    sink.mails()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.contains(to)) && m.header("Subject").starts_with(subject))
        .collect()
}

/// An order for `patient` (with a prescription), made and shipped by the practice's own lab;
/// its id and job number.
async fn shipped_order(app: &TestApp, token: &str, patient: &str) -> (String, String) {
    let rx = json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
        "right": { "sphere": "+1.50" }, "left": { "sphere": "+1.25" }, "pd_right_mm": 32, "pd_left_mm": 31.5 });
    let rx =
        app.post(&format!("/api/v1/patients/{patient}/prescriptions"), Some(token), rx).await.ok(201)["id"]
            .clone();
    let order = app
        .post("/api/v1/orders", Some(token), crate::orders::order_body(patient, rx.as_str().unwrap()))
        .await;
    let order = order.ok(201).clone();
    let order_id = order["id"].as_str().unwrap().to_owned();
    for to in ["in_production", "quality_check", "shipped"] {
        app.post(&format!("/api/v1/orders/{order_id}/transitions"), Some(token), json!({ "to": to }))
            .await
            .ok(200);
    }
    (order_id, order["number"].as_str().unwrap().to_owned())
}

fn instant(rfc3339: &str) -> Timestamp {
    Timestamp::from_jiff(rfc3339.parse().unwrap())
}

db_test!(
    async fn appointments_are_reminded_once_the_day_before_and_glasses_ready_once_when_received(backend) {
        let sink = SmtpSink::start(false).await;
        let app = TestApp::with_mail(backend, &sink).await;
        let practice = app.tenant("northgate").await;
        let token = &practice.admin.token;
        let diary = crate::diary::set_up(&app, &practice).await;
        let ann = patient(&app, token, "Ann", json!({ "email": "ann@remind.example" })).await;
        let bob = patient(&app, token, "Bob", json!({ "email": "bob@remind.example" })).await;
        let dee = patient(&app, token, "Dee", json!({ "email": "dee@remind.example", "phone": "07700 900456" })).await;
        let cat = patient(&app, token, "Cat", json!({ "email": "cat@remind.example" })).await;
        let choose = |choice: &str| json!({ "kind": "recall_channel", "choice": choice, "source": "phone", "wording": "How should we remind you?" });
        app.post(&format!("/api/v1/patients/{bob}/consents"), Some(token), choose("none")).await.ok(201);
        app.post(&format!("/api/v1/patients/{dee}/consents"), Some(token), choose("sms")).await.ok(201);
        for (who, day, time) in [(&ann, 1, "10:00"), (&bob, 1, "11:00"), (&dee, 1, "14:00"), (&cat, 3, "10:00")] {
            let booking = crate::diary::booking(&diary, who, "sight test", &diary.priya, &crate::diary::at(day, time));
            app.post("/api/v1/appointments", Some(token), booking).await.ok(201);
        }

        // From 15:00 today, a day ahead: Ann by e-mail; Dee's text recorded (no SMS provider); Bob
        // chose none; Cat's is two days later. Twice, or twice at once: once.
        let now = instant(&crate::diary::at(0, "15:00"));
        assert_eq!(appointment_reminders(&app.state, now).await.unwrap(), 1);
        let (a, b) = tokio::join!(appointment_reminders(&app.state, now), appointment_reminders(&app.state, now));
        assert_eq!((a.unwrap(), b.unwrap()), (0, 0));
        let reminder = TestApp::eventually(15, || async {
            mails(&sink, "ann@remind.example", "Your appointment at Tenant northgate").pop()
        })
        .await;
        let text = reminder.text();
        assert!(text.contains("Dear Ann Reminded") && text.contains("sight test") && text.contains("with Priya Shah"), "{text}");
        assert!(reminder.header("Subject").ends_with("at 10:00"), "{}", reminder.header("Subject"));
        for nobody in ["bob@", "dee@", "cat@"] {
            assert!(mails(&sink, nobody, "").is_empty(), "{nobody}");
        }

        // Glasses ready: an order for Ann, made and shipped, then received at the practice.
        let (order_id, number) = shipped_order(&app, token, &ann).await;
        assert!(mails(&sink, "ann@remind.example", "Your glasses are ready").is_empty(), "not before it is back");
        app.post(&format!("/api/v1/orders/{order_id}/transitions"), Some(token), json!({ "to": "completed" })).await.ok(200);
        let ready = TestApp::eventually(15, || async {
            mails(&sink, "ann@remind.example", "Your glasses are ready at Tenant northgate").pop()
        })
        .await;
        assert!(ready.text().contains(&number), "{}", ready.text());
        // The job run again (a retry, a second event): nothing more.
        let (tenant, order_uuid) = (practice.id.parse().unwrap(), order_id.parse().unwrap());
        order_ready(&app.state, tenant, order_uuid).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(mails(&sink, "ann@remind.example", "Your glasses are ready").len(), 1);

        // Both are in Ann's subject-access export.
        let export = app.post(&format!("/api/v1/patients/{ann}/exports"), Some(token), json!({})).await;
        let file = export.ok(201)["file"]["id"].as_str().unwrap().to_owned();
        let zip = app.client.get(format!("{}/api/v1/files/{file}", app.base)).bearer_auth(token).send().await.unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes().await.unwrap().to_vec())).unwrap();
        let mut listed = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("reminders.json").unwrap(), &mut listed).unwrap();
        let kinds: Vec<String> = serde_json::from_str::<Value>(&listed).unwrap().as_array().unwrap().iter()
            .map(|r| r["kind"].as_str().unwrap().to_owned()).collect();
        assert_eq!(kinds, ["order_ready", "appointment"]);
    }
);

db_test!(
    async fn a_practice_rewrites_a_message_previews_it_and_its_patients_receive_its_words(backend) {
        let sink = SmtpSink::start(false).await;
        let app = TestApp::with_mail(backend, &sink).await;
        let practice = app.tenant("northgate").await;
        let other = app.tenant("southside").await;
        let token = &practice.admin.token;
        let listed = app.get("/api/v1/message-templates", token).await.ok(200).clone();
        let kinds: Vec<&str> = listed.as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["recall_due", "recall_first_reminder", "recall_final", "appointment_reminder", "order_ready"]);
        assert!(listed.as_array().unwrap().iter().all(|t| t["custom"] == false));

        // A placeholder the message does not have is refused, naming those it may use.
        let words = |subject: &str, body: &str| json!({ "subject": subject, "body": body });
        let wrong = app.post("/api/v1/message-templates/order_ready/preview", Some(token), words("Ready", "Due {due_date}")).await;
        let wrong = wrong.problem(422, "invalid_input").body.clone();
        let message = wrong["errors"][0]["message"].as_str().unwrap();
        assert_eq!(wrong["errors"][0]["field"], "body");
        assert!(message.contains("{due_date}") && message.contains("{job_number}"), "{message}");
        let ours = words("{first_name}, your glasses are in", "Hi {first_name}, job {job_number} is in at {practice}. {practice_contact}.");
        let preview = app.post("/api/v1/message-templates/order_ready/preview", Some(token), ours.clone()).await;
        let preview = preview.ok(200).clone();
        assert_eq!(preview["subject"], "Ann, your glasses are in");
        assert_eq!(preview["text"], "Hi Ann, job J000123 is in at Bright Eyes Opticians. call us on 01632 960 001.");
        assert_eq!(app.get("/api/v1/message-templates", token).await.ok(200)[4]["custom"], false, "a preview saves nothing");
        let saved = app.put("/api/v1/message-templates/order_ready", token, ours).await.ok(200).clone();
        assert_eq!((saved["custom"].as_bool(), saved["subject"].as_str()), (Some(true), Some("{first_name}, your glasses are in")));
        app.put("/api/v1/message-templates/order_ready", token, words("One\ntwo", "x")).await.problem(422, "invalid_input");
        app.put("/api/v1/message-templates/no_such_message", token, words("a", "b")).await.problem(400, "invalid_path");

        // The other practice still has ILS's words; only admins change them.
        assert_eq!(app.get("/api/v1/message-templates", &other.admin.token).await.ok(200)[4]["custom"], false);
        let dispenser = app.member(&practice, "dora", "dispenser").await;
        app.get("/api/v1/message-templates", &dispenser.token).await.problem(403, "forbidden");
        app.put("/api/v1/message-templates/order_ready", &dispenser.token, words("a", "b")).await.problem(403, "forbidden");

        // Ann's glasses: her message is in the practice's words.
        let ann = patient(&app, token, "Ann", json!({ "email": "ann@words.example" })).await;
        let (order_id, number) = shipped_order(&app, token, &ann).await;
        app.post(&format!("/api/v1/orders/{order_id}/transitions"), Some(token), json!({ "to": "completed" })).await.ok(200);
        let mail = TestApp::eventually(15, || async { mails(&sink, "ann@words.example", "Ann, your glasses are in").pop() }).await;
        assert_eq!(mail.text().trim(), format!("Hi Ann, job {number} is in at Tenant northgate. contact us."));

        // Put back: ILS's words again.
        let back = app.delete("/api/v1/message-templates/order_ready", token).await.ok(200).clone();
        assert_eq!((back["custom"].as_bool(), back["subject"].as_str()), (Some(false), Some("Your glasses are ready at {practice}")));
    }
);
