//! What `ils:platform@0.2.0` adds, through the probe (built with the SDK, so against 0.2.0) on
//! the fake services: the clock and the tenant in `context`, kv compare-and-set and cursors,
//! eighths and examinations, report reads, files, notify and progress — each per tenant, and
//! each refused without its capability.

use std::sync::{Arc, Mutex};

use ils_host_api::services::{Examination, Eye, Money, OrderRow, Prescription, Tenant};
use ils_host_api::{Progress, ProgressSink};
use ils_optics::Power;
use ils_registry::Capability;

use crate::support::*;

async fn get_text(
    t: &TestHost,
    plugin: &ils_host_api::PluginVersion,
    ctx: ils_host_api::InvocationContext,
    path: &str,
) -> (u16, String) {
    let r = t.host.handle_http(plugin, ctx, get(path)).await.expect("route");
    (r.status().as_u16(), text(&r))
}

#[tokio::test]
async fn the_clock_and_the_tenant_come_from_the_host() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let fixed = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    assert_eq!(get_text(&t, &plugin, ctx("a").at(fixed), "/now").await, (200, fixed.to_string()));
    t.services.set_tenant(Tenant {
        id: tenant("a"),
        name: "Bright Eyes Opticians".into(),
        kind: "ecp".into(),
    });
    let (status, body) = get_text(&t, &plugin, ctx("a"), "/tenant").await;
    assert_eq!((status, body), (200, format!("{} Bright Eyes Opticians ecp", tenant("a"))));
    let (_, other) = get_text(&t, &plugin, ctx("b"), "/tenant").await;
    assert!(other.starts_with(&tenant("b").to_string()) && !other.contains("Bright Eyes"), "{other}");
}

#[tokio::test]
async fn kv_compare_and_set_wins_once_and_cursors_page_without_gaps() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let call = |path: &'static str| get_text(&t, &plugin, ctx("a"), path);
    assert_eq!(call("/cas?claim&-&first").await.1, "true", "absent, so set");
    assert_eq!(call("/cas?claim&-&second").await.1, "false", "no longer absent");
    assert_eq!(call("/kv/claim").await.1, "first");
    assert_eq!(call("/cas?claim&first&-").await.1, "true", "matched, so deleted");
    assert_eq!(call("/kv/claim").await.1, "");
    // Another tenant's equal key is another key.
    assert_eq!(get_text(&t, &plugin, ctx("b"), "/cas?claim&-&b").await.1, "true");

    for i in 0..5 {
        let path = format!("/kv-set?job%2F{i}");
        assert_eq!(t.host.handle_http(&plugin, ctx("a"), get(&path)).await.unwrap().status(), 204);
    }
    let mut seen = Vec::new();
    let mut after = "-".to_string();
    loop {
        let (_, body) = get_text(&t, &plugin, ctx("a"), &format!("/keys?job%2F&{after}&2")).await;
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        seen.extend(page["keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()));
        match page["next"].as_str() {
            Some(next) => after = next.replace('/', "%2F"),
            None => break,
        }
    }
    assert_eq!(seen, ["job/0", "job/1", "job/2", "job/3", "job/4"]);
}

#[tokio::test]
async fn powers_arrive_as_exact_eighths_and_examinations_are_read_and_audited() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let eye = Eye {
        sphere: Power::from_eighths(-9),
        cylinder: Some(Power::from_eighths(-2)),
        axis: Some(90),
        add: Some(Power::from_eighths(17)),
    };
    let rx = Prescription {
        id: "rx-1".into(),
        patient_id: "p-1".into(),
        issued_on: "2026-03-01".into(),
        expires_on: None,
        right: eye,
        left: eye,
    };
    t.services.add_prescription(&tenant("a"), rx);
    assert_eq!(get_text(&t, &plugin, ctx("a"), "/rx/rx-1").await, (200, "-9 Some(-2) Some(17)".into()));
    t.services.add_examination(
        &tenant("a"),
        Examination {
            id: "ex-1".into(),
            patient_id: "p-1".into(),
            examined_on: "2026-03-01".into(),
            finalised_at_ms: Some(1),
            performed_by: Some("u-1".into()),
            performer_name: Some("Dr Ada Lovelace".into()),
            last_sight_test_on: Some("2024-02-01".into()),
            refraction_right: Some(eye),
            refraction_left: None,
            prescription_id: Some("rx-1".into()),
        },
    );
    let (status, body) = get_text(&t, &plugin, ctx("a"), "/exam/ex-1").await;
    assert_eq!((status, body.as_str()), (200, "2026-03-01 Dr Ada Lovelace 2024-02-01"));
    assert_eq!(get_text(&t, &plugin, ctx("b"), "/exam/ex-1").await.0, 404, "another tenant's examination");
    let audit = t.services.audit_log(&tenant("a"));
    assert!(audit.iter().any(|e| e.entity == "examination" && e.id == "ex-1"), "{audit:?}");
    let denied = ctx_with("a", &[Capability::Kv]);
    assert_eq!(get_text(&t, &plugin, denied, "/exam/ex-1").await.0, 403);
}

fn order(id: &str, created_at_ms: i64) -> OrderRow {
    OrderRow {
        id: id.into(),
        number: id.to_uppercase(),
        reason: "new".into(),
        original_order_id: None,
        routing: "in_house".into(),
        counterpart: None,
        lens_type: "single_vision".into(),
        material: "cr39".into(),
        coatings: vec![],
        priority: "normal".into(),
        status: "pending".into(),
        created_at_ms,
        due_on: "2026-02-01".into(),
        shipped_at_ms: None,
        completed_at_ms: None,
        price: Money { minor: 4_500, currency: "GBP".into() },
        timeline: vec![],
    }
}

#[tokio::test]
async fn report_reads_see_only_the_tenants_rows_and_need_reports_read() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let jan = 1_768_000_000_000; // 2026-01-09
    for i in 0..3 {
        t.services.add_report_order(&tenant("a"), order(&format!("a-{i}"), jan));
    }
    t.services.add_report_order(&tenant("b"), order("b-0", jan));
    let count = |tenant_ctx| get_text(&t, &plugin, tenant_ctx, "/orders-count?2026-01-01&2026-02-01");
    assert_eq!(count(ctx("a")).await, (200, "Some(Int(3))".into()));
    assert_eq!(count(ctx("b")).await, (200, "Some(Int(1))".into()));
    let (status, body) = count(ctx_with("a", &[Capability::Kv])).await;
    assert_eq!(status, 403);
    assert!(body.contains("reports-read"), "{body}");
    let (status, body) = get_text(&t, &plugin, ctx("a"), "/orders-count?2026-02-01&2026-01-01").await;
    assert_eq!(status, 403, "the probe answers 403 for any error");
    assert!(body.contains("before its end"), "{body}");
}

#[tokio::test]
async fn dispensing_is_clinical_data_and_needs_clinical_read_beside_reports_read() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let read = |tenant_ctx| get_text(&t, &plugin, tenant_ctx, "/dispensing?2026-01-01&2026-02-01");
    assert_eq!(read(ctx("a")).await, (200, "0".into()));
    let (status, body) = read(ctx_with("a", &[Capability::ReportsRead])).await;
    assert_eq!(status, 403);
    assert!(body.contains("clinical-read"), "{body}");
    let (status, body) = read(ctx_with("a", &[Capability::ClinicalRead])).await;
    assert_eq!(status, 403);
    assert!(body.contains("reports-read"), "{body}");
}

#[tokio::test]
async fn files_notify_and_progress_go_to_the_host_for_the_tenant() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let (status, body) = get_text(&t, &plugin, ctx("a"), "/file?turnaround.csv").await;
    assert_eq!(status, 200, "{body}");
    let files = t.services.files(&tenant("a"));
    assert_eq!(files.len(), 1);
    assert_eq!((files[0].0.name.as_str(), files[0].1.as_ref()), ("turnaround.csv", &b"hello"[..]));
    assert!(t.services.files(&tenant("b")).is_empty());
    assert_eq!(get_text(&t, &plugin, ctx("a"), "/file?..%2Fetc").await.0, 403, "no paths in names");
    assert_eq!(get_text(&t, &plugin, ctx_with("a", &[Capability::Kv]), "/file?x.txt").await.0, 403);

    assert_eq!(get_text(&t, &plugin, ctx("a"), "/notify?company_admin").await.0, 200);
    let emails = t.services.emails(&tenant("a"));
    assert_eq!((emails.len(), emails[0].0.as_slice()), (1, &["company_admin".to_string()][..]));
    assert_eq!(
        get_text(&t, &plugin, ctx("a"), "/notify?company-admin").await.0,
        403,
        "ILS spells roles with _"
    );
    assert_eq!(t.services.emails(&tenant("a")).len(), 1);

    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = {
        let seen = seen.clone();
        ProgressSink::new(move |p| seen.lock().unwrap().push(p))
    };
    assert_eq!(get_text(&t, &plugin, ctx("a").with_progress(sink), "/progress?3").await.0, 200);
    let steps: Vec<(u32, u32)> = seen.lock().unwrap().iter().map(|p| (p.done, p.total)).collect();
    assert_eq!(steps, [(1, 3), (2, 3), (3, 3)]);
    // Nobody waiting: reports go nowhere, and the call still succeeds.
    assert_eq!(get_text(&t, &plugin, ctx("a"), "/progress?3").await.0, 200);
}
