//! `ils plugin test [PATH]`: builds the plugin, then runs its scenarios ([`crate::scenario`])
//! through the real plugin host, printing each step like a test runner.
//!
//! Each scenario gets fresh in-memory services and a host sharing one engine and one compile
//! cache; every capability the manifest declares is granted, with the default (Free plan)
//! limits. The first failing step stops its scenario; the remaining scenarios still run.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clap::Args;
use ils_host_api::fakes::FakeServices;
use ils_host_api::{Caller, Event, Grants, InvocationContext, PluginHost, PluginVersion, TenantId};
use ils_registry::PluginId;
use serde_json::Value;
use tracing::instrument::WithSubscriber as _;
use tracing_subscriber::layer::{Context, SubscriberExt as _};

use crate::CliError;
use crate::build::{self, Built, LocalHost};
use crate::scenario::{Action, Expect, Scenario, Step};

/// Where scenarios live in a plugin crate.
pub const SCENARIO_DIR: &str = "tests/host";
/// Response bodies shown in a failure are cut to this many bytes.
const SHOWN_BODY: usize = 400;

/// What `ils plugin test` takes (the command's own help is on its variant in `ils-core`'s tree).
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The plugin crate: the directory holding Cargo.toml and ils-plugin.toml.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Run only this scenario file (repeatable). Default: every PATH/tests/host/*.toml.
    #[arg(long, value_name = "FILE")]
    pub scenario: Vec<PathBuf>,
    /// Print the plugin's log lines under every step (by default only under a failing one).
    #[arg(long)]
    pub show_logs: bool,
}

/// Runs `ils plugin test`: checks the scenario files before the build, then runs each scenario;
/// a failed step is an [`EXIT_FAILED`](crate::EXIT_FAILED) error.
#[allow(clippy::print_stdout)]
pub async fn run(args: TestArgs) -> Result<(), CliError> {
    // Scenario mistakes show before a possibly long build.
    let files = if args.scenario.is_empty() { scenario_files(&args.path)? } else { args.scenario };
    let scenarios = files.iter().map(|file| Scenario::load(file)).collect::<Result<Vec<_>, _>>();
    let scenarios = scenarios.map_err(|e| CliError::usage(e.to_string()))?;

    let local = LocalHost::new()?;
    let built = build::build(&args.path, None, &local).await?;
    println!("{}", built.summary());
    for scenario in &scenarios {
        scenario.check_config(&built.manifest).map_err(|e| CliError::usage(e.to_string()))?;
    }

    println!("\nrunning {} scenario(s)", scenarios.len());
    let mut tally = Tally::default();
    for scenario in &scenarios {
        run_scenario(&local, &built, scenario, args.show_logs, &mut tally).await?;
    }
    let verdict = if tally.failures.is_empty() { "ok" } else { "FAILED" };
    if !tally.failures.is_empty() {
        println!("\nfailures:");
        for failure in &tally.failures {
            println!("    {failure}");
        }
    }
    println!(
        "\ntest result: {verdict}. {} passed; {} failed; {} skipped",
        tally.passed,
        tally.failures.len(),
        tally.skipped
    );
    match tally.failures.as_slice() {
        [] => Ok(()),
        [one] => Err(CliError::failed(format!("1 step failed: {one}"))),
        many => Err(CliError::failed(format!("{} steps failed: {}", many.len(), many.join("; ")))),
    }
}

/// `DIR/tests/host/*.toml`, sorted.
fn scenario_files(crate_dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let dir = crate_dir.join(SCENARIO_DIR);
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        CliError::usage(format!(
            "no scenarios: cannot read {}: {e} (add scenario files there; `ils plugin new` makes one)",
            dir.display()
        ))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| CliError::usage(format!("reading {}: {e}", dir.display())))?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(CliError::usage(format!("no scenarios: {} has no *.toml files", dir.display())));
    }
    files.sort();
    Ok(files)
}

#[derive(Default)]
struct Tally {
    passed: usize,
    skipped: usize,
    failures: Vec<String>,
}

/// One scenario on fresh services; stops at its first failing step.
#[allow(clippy::print_stdout)]
async fn run_scenario(
    local: &LocalHost,
    built: &Built,
    scenario: &Scenario,
    show_logs: bool,
    tally: &mut Tally,
) -> Result<(), CliError> {
    let file = scenario.file.canonicalize().unwrap_or_else(|_| scenario.file.clone());
    let file = file.strip_prefix(&built.crate_dir).unwrap_or(&scenario.file);
    println!("\nscenario {} ({})", scenario.name, file.display());
    let services = FakeServices::new();
    let host = local.host(&services)?;
    // Compiled once by the build; this install loads it from the cache.
    let plugin = host
        .install(&built.component, built.manifest.clone())
        .await
        .map_err(|e| CliError::usage(format!("the plugin host refuses the component: {e}")))?;
    let run = Run {
        host,
        plugin,
        services,
        tenant: scenario_tenant(&scenario.tenant),
        plugin_id: built.manifest.id.clone(),
        scenario,
    };
    if let Some(config) = &scenario.config {
        run.services.set_config(&run.tenant, &run.plugin_id, config.clone());
    }
    for (name, value) in &scenario.secrets {
        run.services.set_secret(&run.tenant, &run.plugin_id, name, value);
    }
    for order in &scenario.orders {
        run.services.add_order(&run.tenant, order.clone());
    }

    for (i, step) in scenario.steps.iter().enumerate() {
        let number = i + 1;
        let logs = PluginLogs::default();
        let problems = run.step(number, step).with_subscriber(logs.subscriber()).await;
        let logs = logs.lines();
        if problems.is_empty() {
            println!("  step {number}: {} ... ok", step.name);
            if show_logs {
                print_logs(&logs);
            }
            tally.passed += 1;
            continue;
        }
        println!("  step {number}: {} ... FAILED", step.name);
        for problem in &problems {
            for line in problem.lines() {
                println!("      {line}");
            }
        }
        print_logs(&logs);
        tally.failures.push(format!("{} step {number} \"{}\"", file.display(), step.name));
        let rest = &scenario.steps[number..];
        for (j, skipped) in rest.iter().enumerate() {
            println!("  step {}: {} ... skipped", number + 1 + j, skipped.name);
        }
        tally.skipped += rest.len();
        break;
    }
    Ok(())
}

/// The tenant a scenario names, as the host carries it: the UUID it is, or one made from the
/// name (the same name is the same tenant), which is what the plugin sees as its tenant id.
fn scenario_tenant(name: &str) -> TenantId {
    name.parse().unwrap_or_else(|_| {
        use sha2::Digest as _;
        let mut bytes = [0; 16];
        bytes.copy_from_slice(&sha2::Sha256::digest(name.as_bytes())[..16]);
        TenantId::from(uuid::Builder::from_custom_bytes(bytes).into_uuid())
    })
}

/// A scenario in progress.
struct Run<'a> {
    host: PluginHost,
    plugin: PluginVersion,
    services: FakeServices,
    tenant: TenantId,
    plugin_id: PluginId,
    scenario: &'a Scenario,
}

impl Run<'_> {
    fn ctx(&self) -> InvocationContext {
        InvocationContext::new(self.tenant).with_grants(Grants::all())
    }

    /// Runs one step; what went wrong, if anything.
    async fn step(&self, number: usize, step: &Step) -> Vec<String> {
        let published_before = self.services.published(&self.tenant).len();
        let mut problems = match &step.action {
            Action::Event { kind, id, payload, at_ms } => {
                let event = Event {
                    id: id.clone().unwrap_or_else(|| format!("{}-{number}", self.scenario.name)),
                    kind: kind.clone(),
                    occurred_at_ms: *at_ms,
                    payload: payload.clone(),
                };
                let result = self.host.invoke_event(&self.plugin, self.ctx(), event).await;
                check_outcome(result.map_err(|e| e.to_string()), &step.expect)
            }
            Action::Job { name, at_ms } => {
                let result = self.host.run_job(&self.plugin, self.ctx(), name, *at_ms).await;
                check_outcome(result.map_err(|e| e.to_string()), &step.expect)
            }
            Action::Request { method, path, headers, body, caller } => {
                let mut request =
                    http::Request::builder().method(method.clone()).uri(format!("http://plugin.local{path}"));
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                let request = match request.body(body.clone().into()) {
                    Ok(request) => request,
                    Err(e) => return vec![format!("cannot build the request: {e}")],
                };
                let mut ctx = self.ctx();
                if let Some((user_id, roles)) = caller {
                    ctx = ctx.with_caller(Caller { user_id: user_id.clone(), roles: roles.clone() });
                }
                match self.host.handle_http(&self.plugin, ctx, request).await {
                    Ok(response) => check_response(response.status().as_u16(), response.body(), &step.expect),
                    Err(e) => vec![format!("the call failed: {e}")],
                }
            }
            Action::Configure { config, secrets } => {
                if let Some(config) = config {
                    self.services.set_config(&self.tenant, &self.plugin_id, config.clone());
                }
                for (name, value) in secrets {
                    self.services.set_secret(&self.tenant, &self.plugin_id, name, value);
                }
                Vec::new()
            }
            Action::Check => Vec::new(),
        };
        problems.extend(self.check_kv(&step.expect));
        if let Some(wanted) = &step.expect.published {
            let published = self.services.published(&self.tenant);
            let kinds: Vec<&str> = published.iter().skip(published_before).map(|e| e.kind.as_str()).collect();
            problems.extend(check_published(&kinds, wanted, self.plugin_id.as_str()));
        }
        problems
    }

    fn check_kv(&self, expect: &Expect) -> Vec<String> {
        let mut problems = Vec::new();
        for (key, wanted) in &expect.kv {
            match self.services.kv_value(&self.tenant, &self.plugin_id, key) {
                Some(value) if value == wanted.as_bytes() => {}
                Some(value) => problems.push(format!(
                    "kv {key:?}: expected {wanted:?}, found {:?}",
                    String::from_utf8_lossy(&value)
                )),
                None => problems.push(format!("kv {key:?}: expected {wanted:?}, but there is no such key")),
            }
        }
        for key in &expect.kv_missing {
            if let Some(value) = self.services.kv_value(&self.tenant, &self.plugin_id, key) {
                problems.push(format!(
                    "kv {key:?}: expected no such key, found {:?}",
                    String::from_utf8_lossy(&value)
                ));
            }
        }
        problems
    }
}

/// The plugin's log lines (`host::log`) during one step. While a step runs, the host's own
/// tracing goes here too and is dropped: the step's outcome already says what it would.
#[derive(Clone, Default)]
struct PluginLogs(Arc<Mutex<Vec<String>>>);

impl PluginLogs {
    /// A subscriber that records the plugin's lines, for the duration of one step.
    fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        tracing_subscriber::registry().with(self.clone())
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().map(|lines| lines.clone()).unwrap_or_default()
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PluginLogs {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        // The host logs plugin lines with this target (ils_host_api's `log` capability).
        if event.metadata().target() != "plugin" {
            return;
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        if let Ok(mut lines) = self.0.lock() {
            lines.push(format!("{} {}", event.metadata().level(), message.0));
        }
    }
}

/// The `message` field of an event.
struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

#[allow(clippy::print_stdout)]
fn print_logs(lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    println!("      plugin log:");
    for line in lines {
        println!("        {line}");
    }
}

/// An event's or a job's outcome against `expect_error`.
fn check_outcome(result: Result<(), String>, expect: &Expect) -> Vec<String> {
    match (result, &expect.error) {
        (Ok(()), None) => Vec::new(),
        (Ok(()), Some(wanted)) if wanted.is_empty() => vec!["expected the call to fail; it succeeded".into()],
        (Ok(()), Some(wanted)) => vec![format!("expected the call to fail with {wanted:?}; it succeeded")],
        (Err(e), None) => vec![format!("the call failed: {e}")],
        (Err(e), Some(wanted)) if e.contains(wanted.as_str()) => Vec::new(),
        (Err(e), Some(wanted)) => {
            vec![format!("expected the call to fail with {wanted:?}; it failed with: {e}")]
        }
    }
}

/// The kinds published during a step against `expect_published`; a wanted kind matches with
/// or without the host's `plugin.<id>.` prefix.
fn check_published(kinds: &[&str], wanted: &[String], plugin: &str) -> Vec<String> {
    let prefix = format!("plugin.{plugin}.");
    let matches = kinds.len() == wanted.len()
        && kinds.iter().zip(wanted).all(|(kind, want)| {
            *kind == want.as_str() || kind.strip_prefix(prefix.as_str()) == Some(want.as_str())
        });
    if matches {
        Vec::new()
    } else {
        vec![format!("expected published events {wanted:?}, the plugin published {kinds:?}")]
    }
}

/// A route's response against the step's expectations.
fn check_response(status: u16, body: &[u8], expect: &Expect) -> Vec<String> {
    let mut problems = Vec::new();
    match expect.status {
        Some(wanted) if wanted != status => problems.push(format!("expected status {wanted}, got {status}")),
        None if !(200..300).contains(&status) => {
            problems.push(format!("expected a 2xx status, got {status}"))
        }
        _ => {}
    }
    if let Some(wanted) = &expect.json {
        match serde_json::from_slice::<Value>(body) {
            Ok(found) if &found == wanted => {}
            Ok(found) => problems.push(format!("expected JSON {wanted}\n   found JSON {found}")),
            Err(e) => problems.push(format!("expected JSON {wanted}, but the body is not JSON ({e})")),
        }
    }
    if let Some(wanted) = &expect.body_contains
        && !String::from_utf8_lossy(body).contains(wanted.as_str())
    {
        problems.push(format!("expected the body to contain {wanted:?}"));
    }
    if !problems.is_empty() {
        problems.push(format!("body: {}", shown(body)));
    }
    problems
}

/// The body as text, cut short.
fn shown(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() <= SHOWN_BODY {
        return text.into_owned();
    }
    let mut cut = SHOWN_BODY;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} bytes)", &text[..cut], body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect() -> Expect {
        Expect::default()
    }

    #[test]
    fn responses_are_checked_against_every_expectation() {
        assert!(check_response(204, b"", &expect()).is_empty());
        assert_eq!(check_response(404, b"not found", &expect())[0], "expected a 2xx status, got 404");
        let wanted = Expect {
            status: Some(200),
            json: Some(serde_json::json!({"a": 1})),
            body_contains: Some("\"a\"".into()),
            ..expect()
        };
        assert!(check_response(200, br#"{ "a": 1 }"#, &wanted).is_empty());
        let problems = check_response(500, br#"{"a":2}"#, &wanted);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("expected status 200, got 500"));
        assert!(problems[1].contains(r#"found JSON {"a":2}"#));
        assert_eq!(problems[2], r#"body: {"a":2}"#);
    }

    #[test]
    fn expected_errors_must_happen() {
        let fails = Expect { error: Some("order_id".into()), ..expect() };
        assert!(check_outcome(Err("plugin error: missing order_id".into()), &fails).is_empty());
        assert!(!check_outcome(Err("plugin error: other".into()), &fails).is_empty());
        assert!(!check_outcome(Ok(()), &fails).is_empty());
        assert!(!check_outcome(Err("boom".into()), &expect()).is_empty());
        assert!(
            check_outcome(Err("boom".into()), &Expect { error: Some(String::new()), ..expect() }).is_empty()
        );
    }

    #[test]
    fn published_kinds_match_with_or_without_the_host_prefix() {
        let kinds = ["plugin.demo.counted", "plugin.demo.flushed"];
        assert!(
            check_published(&kinds, &["counted".into(), "plugin.demo.flushed".into()], "demo").is_empty()
        );
        assert!(!check_published(&kinds, &["counted".into()], "demo").is_empty());
        assert!(!check_published(&kinds, &["flushed".into(), "counted".into()], "demo").is_empty());
        assert!(check_published(&[], &[], "demo").is_empty());
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = "é".repeat(SHOWN_BODY);
        assert!(shown(body.as_bytes()).ends_with(&format!("… ({} bytes)", body.len())));
    }
}
