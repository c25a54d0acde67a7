//! Text messages through the `sms-gateway` plugin (docs/adr/046): the real component, enabled for
//! a practice, against a fake gateway on loopback that speaks the plugin's contract over HTTPS
//! with its own certificate and sends one message per idempotency key. Recalls and appointment
//! reminders go by text to patients who chose it — once, even when the gateway's answer is lost
//! and the job runs again as it would after a restart — while a practice without a provider
//! records its texts as not sent.

use ils_core::jobs::recalls::{Swept, sweep};
use ils_core::jobs::reminders::appointment_reminders;
use ils_core::jobs::sms::{SendSms, work};
use ils_fake_sms::FakeSms;
use serde_json::{Value, json};

use crate::guests::install;
use crate::harness::{Backend, Tenant, TestApp, db_test, jobs_of_kind};

const MANIFEST: &str = include_str!("../../../plugins/sms-gateway/ils-plugin.toml");
const GATEWAY: &str = "api.sms.example.com";
const KEY: &str = "sms-key-0123";

struct Texting {
    app: TestApp,
    fake: FakeSms,
    practice: Tenant,
}

impl Texting {
    /// ILS with the gateway plugin enabled for `northgate`, reaching the fake as `GATEWAY`.
    async fn open(backend: Backend) -> Self {
        let fake = FakeSms::start(GATEWAY, KEY).await.expect("fake gateway");
        let (addr, cert) = (fake.addr(), fake.cert_der().to_vec());
        let app = TestApp::spawn_with(backend, move |config| {
            let o = &mut config.plugins.outbound_overrides;
            o.connect_to.insert((GATEWAY.to_string(), 443), addr);
            o.extra_roots.push(cert);
        })
        .await;
        install(&app, "ils_sms_gateway", MANIFEST, "free").await;
        let practice = app.tenant("northgate").await;
        let token = practice.admin.token.clone();
        let config = json!({ "gateway_host": GATEWAY, "sender": "Northgate" });
        let body = json!({ "version": "0.1.0", "consent": ["secrets", "http-outbound"], "config": config });
        app.put("/api/v1/tenant/plugins/sms-gateway", &token, body).await.ok(200);
        app.put("/api/v1/tenant/plugins/sms-gateway/secrets/api_key", &token, json!({ "value": KEY }))
            .await
            .ok(204);
        Texting { app, fake, practice }
    }
}

async fn patient(app: &TestApp, token: &str, first: &str, phone: &str) -> String {
    let body =
        json!({ "first_name": first, "last_name": "Texted", "date_of_birth": "1980-02-03", "phone": phone });
    let id = app.post("/api/v1/patients", Some(token), body).await.ok(201)["id"].as_str().unwrap().to_owned();
    let choice = json!({ "kind": "recall_channel", "choice": "sms", "source": "paper_form", "wording": "How should we remind you?" });
    app.post(&format!("/api/v1/patients/{id}/consents"), Some(token), choice).await.ok(201);
    id
}

fn today() -> jiff::civil::Date {
    ils_clinical::today()
}

db_test!(
    async fn a_recall_and_a_reminder_go_by_text_once_even_when_the_answer_is_lost_and_the_job_runs_again(backend) {
        let t = Texting::open(backend).await;
        let (app, token) = (&t.app, &t.practice.admin.token);
        app.put("/api/v1/tenant/settings", token, json!({ "phone": "01632 960 001" })).await.ok(200);
        let dee = patient(app, token, "Dee", "07700 900123").await;
        let due = today().checked_add(jiff::Span::new().days(10)).unwrap();
        let recall = json!({ "due_on": due.to_string(), "reason": "routine" });
        app.put(&format!("/api/v1/patients/{dee}/recall"), token, recall).await.ok(200);

        // The gateway sends the first attempt but its answer is lost: the job is tried again with
        // the same reference, and the gateway sends nothing new.
        t.fake.lose_answers(1);
        assert_eq!(sweep(&app.state, today()).await.unwrap(), Swept { texted: 1, ..Swept::default() });
        assert_eq!(sweep(&app.state, today()).await.unwrap(), Swept::default(), "recorded once");
        TestApp::eventually(20, || async { (t.fake.requests() >= 2).then_some(()) }).await;
        let sent = t.fake.delivered();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].to, "+447700900123", "a UK number in E.164");
        assert_eq!(sent[0].from, "Northgate");
        let due_words = due.strftime("%-d %B %Y").to_string();
        assert!(sent[0].body.starts_with("Dear Dee Texted, Your next eye examination is due on"), "{}", sent[0].body);
        assert!(sent[0].body.contains(&due_words) && sent[0].body.contains("01632 960 001"), "{}", sent[0].body);
        assert!(sent[0].reference.starts_with("recall-"), "{}", sent[0].reference);
        let notices = app.get(&format!("/api/v1/patients/{dee}/recall"), token).await.ok(200)["notices"].clone();
        assert_eq!((notices[0]["channel"].as_str(), notices[0]["outcome"].as_str()), (Some("sms"), Some("queued")));

        // After a restart the queue runs the job once more (it never saw it finish): still one text.
        let job = jobs_of_kind(&app.db, "send_sms", 10).await.pop().expect("the send_sms job");
        let args: SendSms = serde_json::from_str(job.encoded_args.get()).unwrap();
        work(&app.state, args).await.expect("run again");
        assert_eq!(t.fake.delivered().len(), 1);

        // An appointment tomorrow: its reminder by text too, once.
        let diary = crate::diary::set_up(app, &t.practice).await;
        let booking = crate::diary::booking(&diary, &dee, "sight test", &diary.priya, &crate::diary::at(1, "10:00"));
        app.post("/api/v1/appointments", Some(token), booking).await.ok(201);
        let now = ils_storage::types::Timestamp::from_jiff(crate::diary::at(0, "15:00").parse().unwrap());
        assert_eq!(appointment_reminders(&app.state, now).await.unwrap(), 1);
        assert_eq!(appointment_reminders(&app.state, now).await.unwrap(), 0);
        let texts = TestApp::eventually(20, || async {
            let sent = t.fake.delivered();
            (sent.len() == 2).then_some(sent)
        })
        .await;
        assert!(texts[1].body.contains("reminder of your sight test") && texts[1].body.contains("10:00"), "{}", texts[1].body);
        assert!(texts[1].reference.starts_with("reminder-"), "{}", texts[1].reference);
    }
);

db_test!(
    async fn a_practice_without_a_provider_records_its_texts_as_not_sent_and_sends_none(backend) {
        let t = Texting::open(backend).await;
        let other = t.app.tenant("southgate").await;
        let token = &other.admin.token;
        let eve = patient(&t.app, token, "Eve", "07700 900999").await;
        let due = today().checked_add(jiff::Span::new().days(5)).unwrap();
        t.app.put(&format!("/api/v1/patients/{eve}/recall"), token, json!({ "due_on": due.to_string(), "reason": "routine" })).await.ok(200);
        assert_eq!(sweep(&t.app.state, today()).await.unwrap(), Swept { not_sent: 1, ..Swept::default() });
        let recall: Value = t.app.get(&format!("/api/v1/patients/{eve}/recall"), token).await.ok(200).clone();
        assert_eq!(recall["notices"][0]["outcome"], "no_sms_provider", "northgate's provider is not southgate's");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(t.fake.requests(), 0);
    }
);
