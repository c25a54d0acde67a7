//! The host's side of `report-provider` over real HTTP, on both backends, with the probe as the
//! provider: the reports a role may see and render, parameters checked against the report's
//! schema, a quick render answered with its file, a slow one as a run with progress, a report
//! the plugin stores itself, a failing one; schedules (company admins) that render the period
//! before each run once per node; and another tenant's runs and files are never found.

use std::time::Duration;

use serde_json::{Value, json};

use crate::guests::{PROBE, enable_probe, install};
use crate::harness::{Resp, Tenant, TestApp, db_test};

const PERIOD: &str = r#"{"start": "2026-01-01", "end": "2026-02-01"}"#;

fn period() -> Value {
    serde_json::from_str(PERIOD).expect("period")
}

async fn render(app: &TestApp, token: &str, report: &str, body: Value, wait: u32) -> Resp {
    app.post(&format!("/api/v1/reports/probe/{report}/render?wait={wait}"), Some(token), body).await
}

async fn setup(app: &TestApp) -> (Tenant, Tenant) {
    install(app, "probe", PROBE, "free").await;
    let (a, b) = (app.tenant("reports-a").await, app.tenant("reports-b").await);
    enable_probe(app, &a).await;
    enable_probe(app, &b).await;
    (a, b)
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().expect("list").iter().filter_map(|r| r["id"].as_str()).collect()
}

db_test!(
    async fn reports_render_for_their_roles_and_stay_with_their_tenant(backend) {
        let app = TestApp::spawn(backend).await;
        let (a, b) = setup(&app).await;
        let tech = app.member(&a, "tech", "lab_tech").await;

        // What each role sees.
        let all = app.get("/api/v1/reports", &a.admin.token).await;
        assert_eq!(ids(all.ok(200)), ["kv-summary", "slow", "stored", "broken"]);
        let summary = &all.body[0];
        assert_eq!((summary["plugin_id"].as_str(), summary["schedulable"].as_bool()), (Some("probe"), Some(true)));
        assert_eq!(summary["params_schema"]["required"], json!(["period"]));
        let theirs = app.get("/api/v1/reports", &tech.token).await;
        assert_eq!(ids(theirs.ok(200)), ["slow", "stored", "broken"], "kv-summary is for company admins");

        // A user without the role.
        render(&app, &tech.token, "kv-summary", json!({ "format": "csv", "params": { "period": period() } }), 10)
            .await
            .problem(403, "report_not_allowed");
        // Parameters, formats and names checked before the plugin runs.
        render(&app, &a.admin.token, "kv-summary", json!({ "format": "csv", "params": {} }), 10)
            .await
            .problem(422, "invalid_input");
        render(&app, &a.admin.token, "kv-summary", json!({ "format": "pdf", "params": { "period": period() } }), 10)
            .await
            .problem(422, "invalid_input");
        render(&app, &a.admin.token, "no-such-report", json!({ "format": "csv" }), 10).await.problem(404, "not_found");
        // A plugin this server does not have is "not installed" (issue 15), not "not enabled".
        app.post("/api/v1/reports/order-notes/x/render", Some(&a.admin.token), json!({ "format": "csv" }))
            .await
            .problem(404, "plugin_not_installed");

        // Quick: the answer is the file (the client follows the 303), with the tenant's name.
        let csv = render(&app, &a.admin.token, "kv-summary", json!({ "format": "csv", "params": { "period": period() } }), 10).await;
        assert_eq!(csv.status, 200, "{}", csv.body);
        assert_eq!(csv.headers["content-type"], "text/csv");
        assert_eq!(csv.body.as_str(), Some("tenant,start,end,keys\nTenant reports-a,2026-01-01,2026-02-01,0\n"));

        // Slow: a run to follow, with the plugin's progress, ending in a file.
        let started = render(&app, &tech.token, "slow", json!({ "format": "csv", "params": { "ms": 1500 } }), 0).await;
        let run = started.ok(202).clone();
        let location = started.headers["location"].to_str().unwrap().to_owned();
        assert_eq!(location, format!("/api/v1/reports/runs/{}", run["id"].as_str().unwrap()));
        assert_eq!(run["status"], "running");
        let done = poll(&app, &tech.token, &location).await;
        assert_eq!((done["status"].as_str(), done["done"].as_i64(), done["total"].as_i64()), (Some("done"), Some(5), Some(5)));
        let file = format!("/api/v1/files/{}", done["file_id"].as_str().expect("file"));
        assert_eq!(app.get(&file, &tech.token).await.ok(200).as_str(), Some("slept\n"));

        // A render's budget is the report's, not the plan's per call: with Pro's calls cut to
        // 300 ms, a report of 1.5 s still ends (the same call as an HTTP route would be stopped).
        let root = app.platform_admin().await.0.token;
        app.patch("/api/v1/platform/plans/pro", &root, json!({ "timeout_ms": 300 })).await.ok(200);
        let long = render(&app, &tech.token, "slow", json!({ "format": "csv", "params": { "ms": 1500 } }), 10).await;
        assert_eq!((long.status, long.body.as_str()), (200, Some("slept\n")), "{}", long.body);

        // A report the plugin stored itself, and one that fails.
        let stored = render(&app, &a.admin.token, "stored", json!({ "format": "csv" }), 10).await;
        assert_eq!(stored.ok(200).as_str(), Some("stored,by,the,plugin\n"));
        let broken = render(&app, &a.admin.token, "broken", json!({ "format": "csv" }), 10).await;
        broken.problem(502, "report_failed");
        assert!(broken.body["detail"].as_str().unwrap().contains("always fails"), "{}", broken.body);

        // Another tenant finds neither the runs nor their files.
        let runs = app.get("/api/v1/reports/runs", &a.admin.token).await;
        assert_eq!(runs.ok(200).as_array().unwrap().len(), 5);
        assert!(app.get("/api/v1/reports/runs", &b.admin.token).await.ok(200).as_array().unwrap().is_empty());
        app.get(&location, &b.admin.token).await.problem(404, "not_found");
        app.get(&file, &b.admin.token).await.problem(404, "not_found");
    }
);

/// Polls a run until it is no longer running.
async fn poll(app: &TestApp, token: &str, location: &str) -> Value {
    for _ in 0..300 {
        let run = app.get(location, token).await.ok(200).clone();
        if run["status"] != "running" {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the run at {location} did not end in 30 s");
}

db_test!(
    async fn schedules_render_the_period_before_each_run_once(backend) {
        let app = TestApp::spawn(backend).await;
        let (a, b) = setup(&app).await;
        let tech = app.member(&a, "tech", "lab_tech").await;
        let schedule = |every: &str, report: &str, roles: Value| {
            json!({ "plugin": "probe", "report": report, "format": "csv", "every": every, "roles": roles })
        };

        app.post("/api/v1/reports/schedules", Some(&tech.token), schedule("day", "kv-summary", json!(["company_admin"])))
            .await
            .problem(403, "forbidden");
        for (body, why) in [
            (schedule("fortnight", "kv-summary", json!(["company_admin"])), "no such frequency"),
            (schedule("day", "kv-summary", json!(["company-admin"])), "roles are spelt with _"),
            (schedule("day", "kv-summary", json!([])), "nobody to e-mail"),
            (schedule("day", "slow", json!(["company_admin"])), "not schedulable"),
        ] {
            let answer = app.post("/api/v1/reports/schedules", Some(&a.admin.token), body).await;
            assert_eq!(answer.status, 422, "{why}: {}", answer.body);
        }
        let made = app
            .post("/api/v1/reports/schedules", Some(&a.admin.token), schedule("month", "kv-summary", json!(["company_admin"])))
            .await;
        let made = made.ok(201).clone();
        let next: jiff::Timestamp = made["next_run_at"].as_str().unwrap().parse().unwrap();
        assert!(next > jiff::Timestamp::now(), "{made}");
        assert_eq!(ids(app.get("/api/v1/reports/schedules", &a.admin.token).await.ok(200)).len(), 1);
        assert!(app.get("/api/v1/reports/schedules", &b.admin.token).await.ok(200).as_array().unwrap().is_empty());

        // Its time comes: one run, on the month before; a second node at the same time runs nothing.
        let at = ils_core::db::types::Timestamp::from_jiff(next.checked_add(jiff::SignedDuration::from_secs(1)).unwrap());
        assert_eq!(app.state.reports.run_due(at).await.unwrap(), 1);
        assert_eq!(app.state.reports.run_due(at).await.unwrap(), 0);
        let runs = app.get("/api/v1/reports/runs", &a.admin.token).await.ok(200).clone();
        let run = &runs[0];
        assert_eq!((run["status"].as_str(), run["schedule_id"].as_str()), (Some("done"), made["id"].as_str()));
        let start = run["params"]["period"]["start"].as_str().unwrap();
        assert!(start.ends_with("-01"), "a whole month: {run}");
        let file = format!("/api/v1/files/{}", run["file_id"].as_str().unwrap());
        let body = app.get(&file, &a.admin.token).await.ok(200).as_str().unwrap().to_owned();
        assert!(body.contains(&format!(",{start},")), "{body}");

        app.delete(&format!("/api/v1/reports/schedules/{}", made["id"].as_str().unwrap()), &b.admin.token)
            .await
            .problem(404, "not_found");
        app.delete(&format!("/api/v1/reports/schedules/{}", made["id"].as_str().unwrap()), &a.admin.token)
            .await
            .ok(204);
    }
);
