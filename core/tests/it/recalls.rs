//! Recalls over HTTP and through the sweep: an examination sets the next due date (by age, or
//! the clinician's period), a date can be set by hand, the due list names who is due, and the
//! sweep sends each stage once, by the channel the patient chose, to nobody who chose none or
//! has booked — run twice, or twice at once, it sends nothing twice.

use jiff::civil::Date;
use serde_json::{Value, json};

use crate::fakes::{Mail, SmtpSink};
use crate::harness::{TestApp, db_test};
use ils_core::jobs::recalls::{Swept, sweep};

fn today() -> Date {
    jiff::Zoned::now().date()
}

fn days(from: Date, n: i64) -> Date {
    from.checked_add(jiff::Span::new().days(n)).unwrap()
}

async fn patient(app: &TestApp, token: &str, body: Value) -> String {
    app.post("/api/v1/patients", Some(token), body).await.ok(201)["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn exam(app: &TestApp, token: &str, patient: &str, on: &str) -> String {
    let exam = json!({ "examined_on": on, "visual_acuity": { "right": "6/6", "left": "6/6" } });
    let made = app.post(&format!("/api/v1/patients/{patient}/examinations"), Some(token), exam).await;
    made.ok(201)["id"].as_str().unwrap().to_owned()
}

async fn recall(app: &TestApp, token: &str, patient: &str) -> Value {
    app.get(&format!("/api/v1/patients/{patient}/recall"), token).await.ok(200).clone()
}

async fn set_recall(app: &TestApp, token: &str, patient: &str, due_on: Date) {
    let body = json!({ "due_on": due_on.to_string(), "reason": "set for the test" });
    app.put(&format!("/api/v1/patients/{patient}/recall"), token, body).await.ok(200);
}

/// The recall mails the sink has for `to`.
fn mails_to(sink: &SmtpSink, to: &str) -> Vec<Mail> {
    sink.mails().into_iter().filter(|m| m.to.iter().any(|t| t.contains(to))).collect()
}

db_test!(
    async fn finalising_an_examination_sets_the_recall_by_age_or_by_the_clinicians_period(backend) {
        let app = TestApp::spawn(backend).await;
        let practice = app.tenant("northgate").await;
        let ecp = app.member(&practice, "olive", "ecp").await;
        let token = &ecp.token;
        let ann = patient(&app, token, json!({ "first_name": "Ann", "last_name": "Adams", "date_of_birth": "1990-01-01" })).await;
        let vi = patient(&app, token, json!({ "first_name": "Vi", "last_name": "Vale", "date_of_birth": "1950-01-01" })).await;
        let tom = patient(&app, token, json!({ "first_name": "Tom", "last_name": "Tait", "date_of_birth": "2015-06-01" })).await;
        app.get(&format!("/api/v1/patients/{ann}/recall"), token).await.problem(404, "not_found");

        // Ann, 36: two years. Tom, 11: one. Vi, 76, but the clinician says six months.
        let ann_exam = exam(&app, token, &ann, "2026-08-31").await;
        app.post(&format!("/api/v1/examinations/{ann_exam}/finalise"), Some(token), json!({})).await.ok(200);
        let ann_recall = recall(&app, token, &ann).await;
        assert_eq!(ann_recall["due_on"], "2028-08-31");
        assert_eq!((ann_recall["basis"].as_str(), ann_recall["months"].as_i64()), (Some("age"), Some(24)));
        assert_eq!(ann_recall["examination_id"], ann_exam.as_str());
        assert_eq!(ann_recall["reason"], "aged 16 to 69: 2 years");
        let tom_exam = exam(&app, token, &tom, "2026-11-02").await;
        app.post(&format!("/api/v1/examinations/{tom_exam}/finalise"), Some(token), json!({})).await.ok(200);
        assert_eq!(recall(&app, token, &tom).await["due_on"], "2027-11-02");

        // A bad period is refused and loses nothing: the examination is still a draft.
        let vi_exam = exam(&app, token, &vi, "2026-08-31").await;
        for (bad, status) in [("0", 422), ("121", 422), ("six", 400), ("-3", 400)] {
            let path = format!("/api/v1/examinations/{vi_exam}/finalise?recall_months={bad}");
            let refused = app.post(&path, Some(token), json!({})).await;
            assert_eq!(refused.status, status, "{bad}: {:?}", refused.body);
        }
        let draft = app.get(&format!("/api/v1/examinations/{vi_exam}"), token).await.ok(200).clone();
        assert_eq!(draft["finalised_at"], Value::Null);
        app.get(&format!("/api/v1/patients/{vi}/recall"), token).await.problem(404, "not_found");
        let path = format!("/api/v1/examinations/{vi_exam}/finalise?recall_months=6");
        app.post(&path, Some(token), json!({})).await.ok(200);
        let vi_recall = recall(&app, token, &vi).await;
        // 31 August + 6 months has no 31st: the recall rolls forward, never back.
        assert_eq!(vi_recall["due_on"], "2027-03-01");
        assert_eq!((vi_recall["basis"].as_str(), vi_recall["set_by"].as_str()), (Some("clinician"), Some(ecp.user_id.as_str())));

        // A date by hand replaces it; one in the past is refused.
        let path = format!("/api/v1/patients/{vi}/recall");
        let past = app.put(&path, token, json!({ "due_on": days(today(), -1).to_string() })).await;
        past.problem(422, "invalid_input");
        app.put(&path, token, json!({ "due_on": "2027-31-01" })).await.problem(422, "invalid_input");
        app.put(&path, token, json!({ "due_on": "2027-01-15", "colour": "red" })).await.problem(422, "invalid_body");
        let set = app.put(&path, token, json!({ "due_on": "2027-01-15", "reason": "diabetic: annual" })).await;
        let set = set.ok(200).clone();
        assert_eq!((set["due_on"].as_str(), set["basis"].as_str(), set["reason"].as_str()), (Some("2027-01-15"), Some("date"), Some("diabetic: annual")));
        assert_eq!(recall(&app, token, &vi).await["due_on"], "2027-01-15");

        // Each is in the patient's audit trail.
        let trail = app.get(&format!("/api/v1/audit?entity_id={vi}"), &practice.admin.token).await;
        let actions: Vec<String> = trail.ok(200)["items"].as_array().unwrap().iter()
            .map(|e| e["action"].as_str().unwrap().to_owned()).collect();
        assert_eq!(actions.iter().filter(|a| *a == "recall.set").count(), 2, "{actions:?}");
        assert!(actions.contains(&"patient.recall_read".to_owned()), "{actions:?}");
    }
);

db_test!(
    async fn the_sweep_sends_each_stage_once_by_the_chosen_channel_and_not_to_who_booked_or_opted_out(backend) {
        let sink = SmtpSink::start(false).await;
        let app = TestApp::with_mail(backend, &sink).await;
        let practice = app.tenant("northgate").await;
        let token = &practice.admin.token;
        let settings = json!({ "phone": "01632 960 001" });
        app.put("/api/v1/tenant/settings", token, settings).await.ok(200);
        let person = |first: &str, email: Option<&str>, extra: Value| {
            let mut body = json!({ "first_name": first, "last_name": "Recall", "date_of_birth": "1980-02-03", "email": email });
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        let ann = patient(&app, token, person("Ann", Some("ann@recall.example"), json!({}))).await;
        let bob = patient(&app, token, person("Bob", Some("bob@recall.example"), json!({}))).await;
        let cat = patient(&app, token, person("Cat", None, json!({ "address": "1 High Street, York" }))).await;
        let dee = patient(&app, token, person("Dee", Some("dee@recall.example"), json!({ "phone": "07700 900123" }))).await;
        let eve = patient(&app, token, person("Eve", Some("eve@recall.example"), json!({}))).await;
        let fay = patient(&app, token, person("Fay", Some("fay@recall.example"), json!({}))).await;
        let choose = |choice: &str| json!({ "kind": "recall_channel", "choice": choice, "source": "paper_form", "wording": "How should we remind you?" });
        app.post(&format!("/api/v1/patients/{bob}/consents"), Some(token), choose("none")).await.ok(201);
        app.post(&format!("/api/v1/patients/{dee}/consents"), Some(token), choose("sms")).await.ok(201);
        let due = days(today(), 10);
        for who in [&ann, &bob, &cat, &dee, &eve] {
            set_recall(&app, token, who, due).await;
        }
        set_recall(&app, token, &fay, days(today(), 60)).await;
        // Eve has booked already.
        let diary = crate::diary::set_up(&app, &practice).await;
        let booking = crate::diary::booking(&diary, &eve, "sight test", &diary.priya, &crate::diary::at(2, "10:00"));
        app.post("/api/v1/appointments", Some(token), booking).await.ok(201);

        // The "due" stage: Ann by e-mail, Cat's letter to post, Dee's text with no SMS provider.
        let first = sweep(&app.state, today()).await.unwrap();
        assert_eq!(first, Swept { emailed: 1, texted: 0, to_post: 1, not_sent: 1 });
        assert_eq!(sweep(&app.state, today()).await.unwrap(), Swept::default(), "nothing twice");
        let mail = TestApp::eventually(15, || async { mails_to(&sink, "ann@recall.example").pop() }).await;
        assert_eq!(mail.header("Subject"), "Your eye examination at Tenant northgate is due");
        let text = mail.text();
        let due_words = due.strftime("%-d %B %Y").to_string();
        assert!(text.contains("Dear Ann Recall") && text.contains(&due_words) && text.contains("01632 960 001"), "{text}");
        for nobody in ["bob@", "eve@", "fay@", "dee@"] {
            assert!(mails_to(&sink, nobody).is_empty(), "{nobody}");
        }

        // The due list: who is due, what went, and who booked.
        let list = app.get("/api/v1/recalls", token).await.ok(200).clone();
        let row = |id: &str| list.as_array().unwrap().iter().find(|r| r["patient_id"] == id).cloned();
        assert_eq!(row(&ann).unwrap()["last_outcome"], "queued");
        assert_eq!(row(&cat).unwrap()["last_outcome"], "to_post");
        assert_eq!(row(&dee).unwrap()["last_outcome"], "no_sms_provider");
        assert_eq!(row(&bob).unwrap()["last_stage"], Value::Null, "Bob chose no recalls");
        assert!(row(&eve).unwrap()["booked_for"].is_string(), "Eve has booked");
        assert!(row(&fay).is_none(), "Fay is not due for weeks");
        let later = app.get(&format!("/api/v1/recalls?through={}", days(today(), 90)), token).await;
        assert!(later.ok(200).as_array().unwrap().iter().any(|r| r["patient_id"] == fay.as_str()));
        app.get("/api/v1/recalls?through=soon", token).await.problem(422, "invalid_input");

        // Four weeks past the due date, the first reminders (and Fay's "due"); two sweeps at once
        // send each once.
        let reminder_day = days(due, 28);
        let (a, b) = tokio::join!(sweep(&app.state, reminder_day), sweep(&app.state, reminder_day));
        let (a, b) = (a.unwrap(), b.unwrap());
        let both = Swept { emailed: a.emailed + b.emailed, texted: a.texted + b.texted, to_post: a.to_post + b.to_post, not_sent: a.not_sent + b.not_sent };
        assert_eq!(both, Swept { emailed: 2, texted: 0, to_post: 1, not_sent: 1 }, "{a:?} {b:?}");
        TestApp::eventually(15, || async { mails_to(&sink, "fay@recall.example").pop() }).await;
        let reminders = TestApp::eventually(15, || async {
            let mails = mails_to(&sink, "ann@recall.example");
            (mails.len() >= 2).then_some(mails)
        })
        .await;
        assert!(reminders.iter().any(|m| m.header("Subject").starts_with("A reminder from Tenant northgate")));
        let notices = recall(&app, token, &ann).await["notices"].clone();
        let stages: Vec<&str> = notices.as_array().unwrap().iter().map(|n| n["stage"].as_str().unwrap()).collect();
        assert_eq!(stages, ["first_reminder", "due"]);

        // A new due date starts again: the final stage for the old one never goes.
        set_recall(&app, token, &ann, days(today(), 400)).await;
        assert_eq!(sweep(&app.state, days(due, 60)).await.unwrap().emailed, 0);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(mails_to(&sink, "ann@recall.example").len(), 2);
    }
);

db_test!(
    async fn recalls_are_the_practices_own_and_set_by_clinicians(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let b_patient = patient(&app, &b.admin.token, json!({ "first_name": "Bea", "last_name": "Beta", "date_of_birth": "1970-01-01" })).await;
        set_recall(&app, &b.admin.token, &b_patient, days(today(), 5)).await;
        let path = format!("/api/v1/patients/{b_patient}/recall");
        app.get(&path, &a.admin.token).await.problem(404, "not_found");
        app.put(&path, &a.admin.token, json!({ "due_on": days(today(), 9).to_string() })).await.problem(404, "not_found");
        assert_eq!(app.get("/api/v1/recalls", &a.admin.token).await.ok(200).clone(), json!([]));
        assert_eq!(recall(&app, &b.admin.token, &b_patient).await["due_on"], days(today(), 5).to_string(), "unchanged");

        // Dispensers see the due list and a recall; only clinicians (and admins) set one; lab
        // staff do neither.
        let dispenser = app.member(&b, "dora", "dispenser").await;
        let tech = app.member(&b, "tess", "lab_tech").await;
        assert_eq!(app.get("/api/v1/recalls", &dispenser.token).await.ok(200).as_array().unwrap().len(), 1);
        app.get(&path, &dispenser.token).await.ok(200);
        app.put(&path, &dispenser.token, json!({ "due_on": days(today(), 9).to_string() })).await.problem(403, "forbidden");
        app.get("/api/v1/recalls", &tech.token).await.problem(403, "forbidden");
        app.get(&path, &tech.token).await.problem(403, "forbidden");
    }
);
