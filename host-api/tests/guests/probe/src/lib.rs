//! A plugin that misbehaves on request, for the host's tests and benchmark.
//!
//! Events (`probe.<what>`): `noop`, `loop` (forever), `grow` (allocate forever), `recurse`
//! (without end), `panic`, `compute` (payload: iterations), `publish`, `kv-set` (payload
//! `{"key":…,"value":…}`), `many-handles` (open resources until refused), `remember` (fails if
//! an earlier call's memory is still there; payload: bytes of memory to dirty for the next call).
//! Scheduled jobs: each run stores its time at `job/NAME`.
//! Routes: `/kv/KEY`, `/secret/NAME`, `/config`, `/patient/ID`, `/fetch?URL`, `/big?BYTES`, `/panic`,
//! `/order/ID`, `/annotate/ID`, `/stock/SKU`, `/status/CODE` (answers with that status),
//! `/kv-set?KEY` (KEY percent-encoded; answers 204, or the host's error: 400 invalid, 503
//! unavailable, 403 otherwise), `/publish?BYTES` (publishes `probe.padded` with a payload of
//! about BYTES; the same answers), `/kv-fill?PREFIX&COUNT&BYTES` (stores COUNT values of BYTES
//! bytes under `PREFIX0`, `PREFIX1`, …) and `/publish-many?COUNT` (publishes COUNT `probe.many`
//! events): both stop at the first error and answer 200 with `{"done": N, "error": …}`, where
//! `error` is null or `{"kind": "invalid"|"too-large"|"unavailable"|…, "message": …}`.
//! Platform 0.2 routes: `/now`, `/tenant` (`id name kind`), `/cas?KEY&EXPECTED&NEW` (`-` for
//! none; answers `true`/`false`), `/keys?PREFIX&AFTER&LIMIT` (`-` for no cursor; answers the keys
//! and the next cursor as JSON), `/rx/ID` (powers in eighths), `/exam/ID`,
//! `/orders-count?START&END` (an aggregate), `/file?NAME` (stores `hello` as text/plain; answers
//! the file's JSON), `/notify?ROLE` (answers how many were queued), `/progress?N` (reports
//! 1..=N of N).
//! Platform 0.3: `sms.send` answers `probe-{reference}-{characters}`, refuses `+440000000000`
//! and finds the gateway down for `+449999999999`; `recall-advisor.advise` answers 18 months
//! when given a date of birth.

use std::hint::black_box;

use ils_plugin_sdk::host::{
    clinical, config, context, events, files, inventory, kv, notify, orders, progress, reports, secrets,
};
use ils_plugin_sdk::{
    Error, Event, Plugin, RecallAdvice, RenderedReport, ReportFormat, ReportInfo, ReportOutput, Request,
    Response, SmsError, SmsMessage, export_plugin, http,
};

/// The compute-heavy function of the benchmark, the same code natively and in wasm.
pub fn compute(iterations: u64) -> u64 {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut acc: u64 = 0;
    for i in 0..iterations {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc = acc.wrapping_add(x.rotate_left((i % 63) as u32) ^ i);
    }
    acc
}

/// Recursion without end. Values stay in wasm locals, so the wasm call stack (not Rust's
/// shadow stack in linear memory) is what runs out.
fn recurse(depth: u64) -> u64 {
    if black_box(depth) == u64::MAX { 0 } else { recurse(depth + 1).wrapping_add(black_box(depth)) }
}

/// `%XX` escapes decoded (the probe's test keys are ASCII, so bytes are chars).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(char::from(byte));
                i += 3;
            }
            None => {
                out.push(char::from(bytes[i]));
                i += 1;
            }
        }
    }
    out
}

/// The probe plugin.
pub struct Probe;

const PERIOD_SCHEMA: &str = r#"{"type":"object","required":["period"],"additionalProperties":false,
"properties":{"period":{"type":"object","required":["start","end"],"additionalProperties":false,
"properties":{"start":{"type":"string","pattern":"^\\d{4}-\\d{2}-\\d{2}$"},"end":{"type":"string","pattern":"^\\d{4}-\\d{2}-\\d{2}$"}}}}}"#;

/// The probe's reports (see the crate docs).
fn reports() -> Vec<ReportInfo> {
    use ReportFormat::{Csv, Html};
    let mut summary =
        ReportInfo::new("kv-summary", "Stored keys", "The plugin's kv keys for the tenant", vec![Csv, Html]);
    summary.roles = vec!["company_admin".into()];
    summary.params_schema = Some(PERIOD_SCHEMA.into());
    summary.schedulable = true;
    vec![
        summary,
        ReportInfo::new("slow", "Slow", "Takes `ms` milliseconds in five steps", vec![Csv]),
        ReportInfo::new("stored", "Stored", "Stores itself as a file", vec![Csv]),
        ReportInfo::new("broken", "Broken", "Always fails", vec![Csv]),
    ]
}

fn kv_summary(params: &serde_json::Value, format: ReportFormat) -> Result<RenderedReport, Error> {
    let tenant = context::tenant()?;
    let keys = kv::list_keys("", 1000)?;
    let (start, end) =
        (params["period"]["start"].as_str().unwrap_or(""), params["period"]["end"].as_str().unwrap_or(""));
    Ok(match format {
        ReportFormat::Html => RenderedReport {
            content_type: "text/html; charset=utf-8".into(),
            file_name: "kv-summary.html".into(),
            body: format!("<h1>{}</h1><p>{start} to {end}</p><p>{} keys</p>", tenant.name, keys.len())
                .into_bytes(),
        },
        _ => RenderedReport {
            content_type: "text/csv".into(),
            file_name: "kv-summary.csv".into(),
            body: format!("tenant,start,end,keys\n{},{start},{end},{}\n", tenant.name, keys.len())
                .into_bytes(),
        },
    })
}

fn csv(name: &str, body: String) -> RenderedReport {
    RenderedReport { content_type: "text/csv".into(), file_name: name.into(), body: body.into_bytes() }
}

impl Plugin for Probe {
    fn list_reports() -> Vec<ReportInfo> {
        reports()
    }

    fn send_sms(message: SmsMessage) -> Result<String, SmsError> {
        match message.to.as_str() {
            "+440000000000" => Err(SmsError::Rejected(format!("{} is not a number", message.to))),
            "+449999999999" => Err(SmsError::Unavailable("the gateway is down".into())),
            _ => Ok(format!("probe-{}-{}", message.reference, message.body.chars().count())),
        }
    }

    fn advise_recall(patient_id: &str, born_on: Option<&str>, examined_on: &str) -> Option<RecallAdvice> {
        let born = born_on?;
        Some(RecallAdvice { months: 18, reason: format!("{patient_id} born {born}, seen {examined_on}") })
    }

    fn render_report_output(id: &str, params: &str, format: ReportFormat) -> Result<ReportOutput, Error> {
        let params: serde_json::Value = serde_json::from_str(params)?;
        match id {
            "kv-summary" => kv_summary(&params, format).map(ReportOutput::Inline),
            "slow" => {
                let ms = params["ms"].as_u64().unwrap_or(0);
                for step in 1..=5 {
                    let until = std::time::Instant::now() + std::time::Duration::from_millis(ms / 5);
                    while std::time::Instant::now() < until {
                        black_box(compute(1000));
                    }
                    progress::report(step, 5, &format!("step {step}"));
                }
                Ok(ReportOutput::Inline(csv("slow.csv", "slept\n".into())))
            }
            "stored" => {
                let file = files::put("stored.csv", "text/csv", b"stored,by,the,plugin\n")?;
                Ok(ReportOutput::Stored(file.id))
            }
            "broken" => Err(Error::new("the broken report always fails")),
            other => Err(Error::new(format!("no report {other}"))),
        }
    }

    fn handle_event(event: Event) -> Result<(), Error> {
        match event.kind.trim_start_matches("probe.") {
            "noop" => Ok(()),
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = black_box(n.wrapping_add(1));
                }
            }
            "grow" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(black_box(vec![1u8; 1 << 20]));
                }
            }
            "recurse" => {
                black_box(recurse(0));
                Ok(())
            }
            "panic" => panic!("probe asked to panic"),
            "compute" => {
                let n: u64 = event.payload.trim().parse().map_err(|_| Error::new("payload: iterations"))?;
                black_box(compute(n));
                Ok(())
            }
            "remember" => {
                static SEEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
                if SEEN.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    return Err(Error::new("an earlier call's memory is still there"));
                }
                let n: usize = event.payload.trim().parse().unwrap_or(0);
                black_box(vec![0xa5u8; n]);
                Ok(())
            }
            "publish" => Ok(events::publish("done", &serde_json::json!({"tenant": context::tenant_id()}))?),
            "kv-set" => {
                let v: serde_json::Value = serde_json::from_str(&event.payload)?;
                let key = v["key"].as_str().unwrap_or("k");
                let value = v["value"].as_str().unwrap_or("");
                Ok(kv::set(key, value.as_bytes())?)
            }
            "many-handles" => {
                // Each call leaves a response handle in the host's resource table.
                loop {
                    let _ = black_box(kv::get("x"));
                    let r = black_box(ils_plugin_sdk::__bindings::wasi::http::types::Fields::new());
                    std::mem::forget(r);
                }
            }
            other => Err(Error::new(format!("unknown probe {other}"))),
        }
    }

    fn run_job(name: &str, scheduled_at_ms: i64) -> Result<(), Error> {
        Ok(kv::set(&format!("job/{name}"), scheduled_at_ms.to_string().as_bytes())?)
    }

    fn handle_http(request: Request) -> Response {
        let path = request.path.clone();
        let (route, arg) = match path.trim_start_matches('/').split_once(['/', '?']) {
            Some((r, a)) => (r.to_string(), a.to_string()),
            None => (path.trim_start_matches('/').to_string(), String::new()),
        };
        let answer = |r: Result<String, ils_plugin_sdk::HostError>| match r {
            Ok(body) => Response::text(200, &body),
            Err(e) => Response::text(
                if matches!(e, ils_plugin_sdk::HostError::NotFound) { 404 } else { 403 },
                &e.to_string(),
            ),
        };
        match route.as_str() {
            "kv" => answer(
                kv::get(&arg)
                    .map(|v| v.map(|v| String::from_utf8_lossy(&v).into_owned()).unwrap_or_default()),
            ),
            "secret" => answer(secrets::get(&arg).map(|v| v.unwrap_or_default())),
            "config" => Response::text(200, &config::raw()),
            "patient" => {
                answer(clinical::patient(&arg).map(|p| format!("{} {}", p.given_name, p.family_name)))
            }
            "fetch" => match http::get(&arg) {
                Ok(r) => Response::text(
                    200,
                    &format!("upstream {}: {}", r.status, String::from_utf8_lossy(&r.body)),
                ),
                Err(e) => Response::text(502, &e.to_string()),
            },
            "order" => answer(orders::status(&arg)),
            "annotate" => answer(orders::annotate(&arg, "probe was here").map(|()| "noted".into())),
            "stock" => answer(
                inventory::stock_by_sku(&arg).map(|l| l.iter().map(|l| l.on_hand).sum::<i64>().to_string()),
            ),
            "panic" => panic!("probe route asked to panic"),
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = black_box(n.wrapping_add(1));
                }
            }
            "compute" => Response::text(200, &black_box(compute(arg.parse().unwrap_or(0))).to_string()),
            "big" => Response { status: 200, headers: vec![], body: vec![b'x'; arg.parse().unwrap_or(0)] },
            "status" => Response::text(arg.parse().unwrap_or(500), "the status asked for"),
            "kv-set" => done(kv::set(&percent_decode(&arg), b"probe")),
            "now" => Response::text(200, &context::now_ms().to_string()),
            "tenant" => answer(context::tenant().map(|t| format!("{} {} {}", t.id, t.name, t.kind))),
            "cas" => {
                let parts: Vec<String> = arg.split('&').map(percent_decode).collect();
                let opt =
                    |i: usize| parts.get(i).filter(|p| p.as_str() != "-").map(|p| p.as_bytes().to_vec());
                let key = parts.first().cloned().unwrap_or_default();
                answer(kv::compare_and_set(&key, opt(1).as_deref(), opt(2).as_deref()).map(|b| b.to_string()))
            }
            "keys" => {
                let parts: Vec<String> = arg.split('&').map(percent_decode).collect();
                let after = parts.get(1).filter(|p| p.as_str() != "-").cloned();
                let limit = parts.get(2).and_then(|n| n.parse().ok()).unwrap_or(10);
                answer(
                    kv::list_keys_after(&parts[0], after.as_deref(), limit).map(|p| {
                        serde_json::json!({ "keys": p.keys, "next": p.next_start_after }).to_string()
                    }),
                )
            }
            "rx" => answer(clinical::prescription(&arg).map(|rx| {
                let e = rx.right;
                format!(
                    "{} {:?} {:?}",
                    e.sphere.eighths(),
                    e.cylinder.map(|c| c.eighths()),
                    e.add.map(|a| a.eighths())
                )
            })),
            "exam" => answer(clinical::examination(&arg).map(|x| {
                format!(
                    "{} {} {}",
                    x.examined_on,
                    x.performer_name.unwrap_or_default(),
                    x.last_sight_test_on.unwrap_or_default()
                )
            })),
            "orders-count" => {
                let (start, end) = arg.split_once('&').unwrap_or_default();
                let query = reports::Query {
                    dataset: "orders".into(),
                    period: reports::Period::new(start, end),
                    filters: vec![],
                    group_by: vec![],
                    measures: vec![reports::Measure::Count],
                    order_by: vec![],
                    limit: 1,
                };
                answer(
                    reports::aggregate(&query)
                        .map(|r| format!("{:?}", r.rows.first().and_then(|row| row.first()))),
                )
            }
            "dispensing" => {
                let (start, end) = arg.split_once('&').unwrap_or_default();
                let period = reports::Period::new(start, end);
                let page = reports::PageRequest { cursor: None, limit: 10 };
                answer(reports::dispensing(&period, &page).map(|p| p.rows.len().to_string()))
            }
            "file" => answer(
                files::put(&percent_decode(&arg), "text/plain", b"hello")
                    .map(|f| serde_json::json!({ "id": f.id, "name": f.name, "size": f.size }).to_string()),
            ),
            "notify" => {
                let email = notify::Email {
                    subject: "Probe".into(),
                    text: "From the probe.".into(),
                    html: None,
                    file_links: vec![],
                };
                answer(notify::email_roles(&[arg.as_str()], &email).map(|n| n.to_string()))
            }
            "progress" => {
                let n: u32 = arg.parse().unwrap_or(0);
                for i in 1..=n {
                    progress::report(i, n, "step");
                }
                Response::text(200, "reported")
            }
            "publish" => {
                let pad = "x".repeat(arg.parse().unwrap_or(0));
                done(events::publish("padded", &serde_json::json!({ "pad": pad })))
            }
            "kv-fill" => {
                let mut parts = arg.split('&');
                let prefix = percent_decode(parts.next().unwrap_or_default());
                let count: usize = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                let value = vec![b'v'; parts.next().and_then(|n| n.parse().ok()).unwrap_or(0)];
                tally((0..count).map(|i| kv::set(&format!("{prefix}{i}"), &value)))
            }
            "publish-many" => {
                let count: usize = arg.parse().unwrap_or(0);
                tally((0..count).map(|i| events::publish("many", &serde_json::json!({ "n": i }))))
            }
            _ => Response::not_found(),
        }
    }
}

/// Runs host calls until one fails: 200 with how many worked and the error that stopped them.
fn tally(calls: impl Iterator<Item = Result<(), ils_plugin_sdk::HostError>>) -> Response {
    let mut done = 0;
    let mut error = serde_json::Value::Null;
    for call in calls {
        match call {
            Ok(()) => done += 1,
            Err(e) => {
                let kind = match &e {
                    ils_plugin_sdk::HostError::Invalid(_) => "invalid",
                    ils_plugin_sdk::HostError::TooLarge => "too-large",
                    ils_plugin_sdk::HostError::Unavailable(_) => "unavailable",
                    ils_plugin_sdk::HostError::NotFound => "not-found",
                    _ => "denied",
                };
                error = serde_json::json!({ "kind": kind, "message": e.to_string() });
                break;
            }
        }
    }
    Response::json(&serde_json::json!({ "done": done, "error": error }))
}

/// 204 for a host call that worked, else the host's error: 400 invalid, 503 unavailable, 403
/// otherwise.
fn done(result: Result<(), ils_plugin_sdk::HostError>) -> Response {
    match result {
        Ok(()) => Response { status: 204, headers: vec![], body: vec![] },
        Err(e) => {
            let status = match e {
                ils_plugin_sdk::HostError::Invalid(_) => 400,
                ils_plugin_sdk::HostError::Unavailable(_) => 503,
                _ => 403,
            };
            Response::text(status, &e.to_string())
        }
    }
}

export_plugin!(Probe);
