//! Scenario files for `ils plugin test`: `tests/host/*.toml` in a plugin crate.
//!
//! A scenario runs for one tenant against fresh in-memory services. Its steps run in order; each
//! does at most one thing (deliver an event, call a route, run a job, configure the tenant) and
//! then checks what it expects.
//!
//! ```toml
//! name = "counts order events"          # default: the file name
//! tenant = "practice-a"                 # default: test-tenant
//! config = { greeting = "hello" }       # the tenant's configuration, checked against config_schema
//! secrets = { api_token = "t0ken" }     # the tenant's secrets
//! orders = [{ id = "o-1", status = "in-production" }]  # orders the plugin may read
//!
//! [[step]]
//! name = "a new order"                  # default: what the step does ("event order.created")
//! event = "order.created"               # deliver an event (the manifest must subscribe to it) …
//! payload = { order_id = "o-1" }        #   its JSON payload (a TOML string is sent as is)
//! id = "ev-1"                           #   optional event id; at_ms = 0: optional time
//! expect_kv = { "count/created" = "1" } # kv values afterwards (UTF-8 text)
//! expect_kv_missing = ["other/key"]     # kv keys that must not exist
//! expect_published = ["counted"]        # kinds the plugin published during the step, in order
//!
//! [[step]]
//! request = "POST /notes"               # … or call a route: METHOD PATH
//! json = { text = "hi" }                #   a JSON body (or body = "text"; headers = { … })
//! caller = { user = "u-1", roles = ["admin"] }  # the signed-in user, if any
//! expect_status = 201                   #   default: any 2xx
//! expect_json = { ok = true }           #   the body, as JSON, equal to this
//! expect_body_contains = "ok"           #   a substring of the body
//!
//! [[step]]
//! job = "nightly"                       # … or run a scheduled job (at_ms optional)
//! expect_error = "timeout"              # the call must fail with this in its message ("" = any)
//!
//! [[step]]
//! config = { greeting = "bye" }         # … or change the configuration and/or secrets
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ils_host_api::services::{Order, OrderStatus};
use ils_registry::Manifest;
use serde::Deserialize;
use serde_json::Value;

/// The tenant a scenario runs for when it names none.
pub const DEFAULT_TENANT: &str = "test-tenant";

/// A scenario file, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// What the runner calls it: `name` in the file, else the file's stem.
    pub name: String,
    /// The file it came from, named in every message about the scenario.
    pub file: PathBuf,
    /// The tenant it runs for: a UUID, or a name the runner turns into a stable one.
    pub tenant: String,
    /// The tenant's configuration before the first step.
    pub config: Option<Value>,
    /// The tenant's secrets before the first step.
    pub secrets: BTreeMap<String, String>,
    /// The tenant's orders before the first step.
    pub orders: Vec<Order>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step: what it does, then what it expects.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Shown in the runner's output: given, else [`Action::describe`].
    pub name: String,
    /// The one thing the step does before its checks.
    pub action: Action,
    /// What it checks afterwards.
    pub expect: Expect,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Delivers an event.
    Event {
        /// Kind, such as `order.created`.
        kind: String,
        /// Event id (default: derived from the scenario and step).
        id: Option<String>,
        /// JSON payload, as sent.
        payload: String,
        /// When it happened, ms since the epoch.
        at_ms: i64,
    },
    /// Calls one of the plugin's routes.
    Request {
        /// The method, the first word of `request = "METHOD PATH"`.
        method: http::Method,
        /// Path (and query) relative to the plugin's mount point.
        path: String,
        /// Request headers, names lowercased; a `json` body adds `content-type: application/json`.
        headers: Vec<(String, String)>,
        /// The request body: `json` serialised, or `body` as text, or empty.
        body: Vec<u8>,
        /// The signed-in user: id and roles.
        caller: Option<(String, Vec<String>)>,
    },
    /// Runs a scheduled job.
    Job {
        /// The job's name (declared in the manifest's `schedules`).
        name: String,
        /// When it was scheduled, ms since the epoch.
        at_ms: i64,
    },
    /// Sets the tenant's configuration and/or secrets.
    Configure {
        /// The new configuration.
        config: Option<Value>,
        /// Secrets to set.
        secrets: BTreeMap<String, String>,
    },
    /// Does nothing, so the step only checks kv (`expect_kv`, `expect_kv_missing`).
    Check,
}

/// What a step checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expect {
    /// The response status (requests; default any 2xx).
    pub status: Option<u16>,
    /// The response body as JSON (requests).
    pub json: Option<Value>,
    /// A substring of the response body (requests).
    pub body_contains: Option<String>,
    /// The call fails with this in its message (events and jobs; empty: any failure).
    pub error: Option<String>,
    /// kv values afterwards, compared as UTF-8 text (a TOML number or boolean as written).
    pub kv: BTreeMap<String, String>,
    /// kv keys that must not exist afterwards.
    pub kv_missing: Vec<String>,
    /// The kinds of the events the plugin published during the step, in order (as the plugin
    /// names them, or with the host's `plugin.<id>.` prefix).
    pub published: Option<Vec<String>>,
}

/// A scenario file that cannot be run as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError(pub String);

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    tenant: Option<String>,
    config: Option<Value>,
    #[serde(default)]
    secrets: BTreeMap<String, String>,
    #[serde(default)]
    orders: Vec<RawOrder>,
    #[serde(default, rename = "step")]
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrder {
    id: String,
    reference: Option<String>,
    status: Option<String>,
    due_date: Option<String>,
    created_at_ms: Option<i64>,
    details: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: Option<String>,
    event: Option<String>,
    id: Option<String>,
    payload: Option<Value>,
    at_ms: Option<i64>,
    request: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
    json: Option<Value>,
    caller: Option<RawCaller>,
    job: Option<String>,
    config: Option<Value>,
    secrets: Option<BTreeMap<String, String>>,
    expect_status: Option<u16>,
    expect_json: Option<Value>,
    expect_body_contains: Option<String>,
    expect_error: Option<String>,
    #[serde(default)]
    expect_kv: BTreeMap<String, Value>,
    #[serde(default)]
    expect_kv_missing: Vec<String>,
    expect_published: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCaller {
    user: String,
    #[serde(default)]
    roles: Vec<String>,
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(file: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| ScenarioError(format!("cannot read {}: {e}", file.display())))?;
        Self::parse(file, &text)
    }

    /// Parses and checks a scenario; `file` names it in messages.
    pub fn parse(file: &Path, text: &str) -> Result<Self, ScenarioError> {
        let at = |message: String| ScenarioError(format!("{}: {message}", file.display()));
        let raw: RawScenario = toml::from_str(text).map_err(|e| at(e.to_string()))?;
        if raw.steps.is_empty() {
            return Err(at("no steps: add [[step]] tables".into()));
        }
        let steps = raw
            .steps
            .into_iter()
            .enumerate()
            .map(|(i, step)| Step::from_raw(step).map_err(|m| at(format!("step {}: {m}", i + 1))))
            .collect::<Result<Vec<_>, _>>()?;
        let name = raw.name.unwrap_or_else(|| {
            file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
        });
        let tenant = raw.tenant.unwrap_or_else(|| DEFAULT_TENANT.to_string());
        if tenant.trim().is_empty() {
            return Err(at("tenant is empty".into()));
        }
        let orders = raw
            .orders
            .into_iter()
            .map(|order| order.into_order(&tenant).map_err(|m| at(format!("orders: {m}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let (config, secrets) = (raw.config, raw.secrets);
        Ok(Self { name, file: file.to_path_buf(), tenant, config, secrets, orders, steps })
    }

    /// Checks every configuration the scenario sets against the manifest's `config_schema`, as
    /// ILS does when a tenant admin saves one.
    pub fn check_config(&self, manifest: &Manifest) -> Result<(), ScenarioError> {
        let setup = self.config.iter().map(|c| ("config".to_string(), c));
        let steps = self.steps.iter().enumerate().filter_map(|(i, s)| match &s.action {
            Action::Configure { config: Some(c), .. } => Some((format!("step {} config", i + 1), c)),
            _ => None,
        });
        for (place, config) in setup.chain(steps) {
            manifest.validate_config(config).map_err(|e| {
                ScenarioError(format!("{}: {place} does not match the manifest: {e}", self.file.display()))
            })?;
        }
        Ok(())
    }
}

impl Step {
    fn from_raw(raw: RawStep) -> Result<Self, String> {
        let given = [
            raw.event.is_some(),
            raw.request.is_some(),
            raw.job.is_some(),
            raw.config.is_some() || raw.secrets.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err("give at most one of event, request, job, config/secrets".into());
        }
        let only = |present: bool, field: &str, with: &str| {
            if present { Err(format!("{field} goes with {with}")) } else { Ok(()) }
        };
        let is_request = raw.request.is_some();
        let is_call = raw.event.is_some() || raw.job.is_some();
        only(raw.event.is_none() && (raw.payload.is_some() || raw.id.is_some()), "payload/id", "event")?;
        only(!is_call && raw.at_ms.is_some(), "at_ms", "event or job")?;
        let request_fields = !raw.headers.is_empty() || raw.body.is_some() || raw.json.is_some();
        only(!is_request && (request_fields || raw.caller.is_some()), "headers/body/json/caller", "request")?;
        let response_checks =
            raw.expect_status.is_some() || raw.expect_json.is_some() || raw.expect_body_contains.is_some();
        only(!is_request && response_checks, "expect_status/expect_json/expect_body_contains", "request")?;
        only(!is_call && raw.expect_error.is_some(), "expect_error", "event or job")?;
        let published = raw.expect_published.is_some();
        only(!is_call && !is_request && published, "expect_published", "event, job or request")?;

        let at_ms = raw.at_ms.unwrap_or(0);
        let action = if let Some(kind) = raw.event {
            let payload = match raw.payload {
                None => "{}".to_string(),
                Some(Value::String(text)) => text,
                Some(value) => value.to_string(),
            };
            Action::Event { kind, id: raw.id, payload, at_ms }
        } else if let Some(request) = raw.request {
            parse_request(&request, raw.headers, raw.body, raw.json, raw.caller)?
        } else if let Some(name) = raw.job {
            Action::Job { name, at_ms }
        } else if raw.config.is_some() || raw.secrets.is_some() {
            Action::Configure { config: raw.config, secrets: raw.secrets.unwrap_or_default() }
        } else {
            Action::Check
        };
        let kv = raw
            .expect_kv
            .into_iter()
            .map(|(key, value)| match value {
                Value::String(text) => Ok((key, text)),
                Value::Number(_) | Value::Bool(_) => Ok((key, value.to_string())),
                _ => Err(format!("expect_kv.{key}: give the value as text")),
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        let expect = Expect {
            status: raw.expect_status,
            json: raw.expect_json,
            body_contains: raw.expect_body_contains,
            error: raw.expect_error,
            kv,
            kv_missing: raw.expect_kv_missing,
            published: raw.expect_published,
        };
        if action == Action::Check && expect.kv.is_empty() && expect.kv_missing.is_empty() {
            return Err("does nothing: give an event, request, job or config/secrets, or expect_kv".into());
        }
        let name = raw.name.unwrap_or_else(|| action.describe());
        Ok(Self { name, action, expect })
    }
}

impl RawOrder {
    /// An order of `tenant`, which is its practice and its lab alike.
    fn into_order(self, tenant: &str) -> Result<Order, String> {
        let status = match self.status.as_deref() {
            None => OrderStatus::Pending,
            Some(status) => parse_status(status).ok_or_else(|| {
                format!(
                    "order {}: unknown status {status:?} (pending, in-production, quality-check, \
                     shipped, completed, on-hold, cancelled)",
                    self.id
                )
            })?,
        };
        Ok(Order {
            reference: self.reference.unwrap_or_else(|| self.id.clone()),
            id: self.id,
            status,
            practice_id: tenant.to_string(),
            lab_id: tenant.to_string(),
            created_at_ms: self.created_at_ms.unwrap_or(0),
            due_date: self.due_date,
            details: self.details.unwrap_or_else(|| Value::Object(Default::default())),
        })
    }
}

/// An order status by its WIT name.
fn parse_status(status: &str) -> Option<OrderStatus> {
    Some(match status {
        "pending" => OrderStatus::Pending,
        "in-production" => OrderStatus::InProduction,
        "quality-check" => OrderStatus::QualityCheck,
        "shipped" => OrderStatus::Shipped,
        "completed" => OrderStatus::Completed,
        "on-hold" => OrderStatus::OnHold,
        "cancelled" => OrderStatus::Cancelled,
        _ => return None,
    })
}

fn parse_request(
    line: &str,
    headers: BTreeMap<String, String>,
    body: Option<String>,
    json: Option<Value>,
    caller: Option<RawCaller>,
) -> Result<Action, String> {
    let (method, path) = line
        .trim()
        .split_once(' ')
        .ok_or_else(|| format!("request {line:?}: write it as METHOD PATH, such as \"GET /counts\""))?;
    let method = http::Method::from_bytes(method.as_bytes())
        .ok()
        .filter(|_| method.bytes().all(|b| b.is_ascii_uppercase()))
        .ok_or_else(|| format!("request {line:?}: {method:?} is not an HTTP method (GET, POST, …)"))?;
    let path = path.trim();
    if !path.starts_with('/') || path.contains(char::is_whitespace) {
        return Err(format!("request {line:?}: the path must start with / and have no spaces"));
    }
    let mut headers: Vec<(String, String)> =
        headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    let body = match (body, json) {
        (Some(_), Some(_)) => return Err("give body or json, not both".into()),
        (Some(text), None) => text.into_bytes(),
        (None, Some(value)) => {
            if !headers.iter().any(|(k, _)| k == "content-type") {
                headers.push(("content-type".into(), "application/json".into()));
            }
            value.to_string().into_bytes()
        }
        (None, None) => Vec::new(),
    };
    for (name, value) in &headers {
        if http::HeaderName::from_bytes(name.as_bytes()).is_err()
            || http::HeaderValue::from_str(value).is_err()
        {
            return Err(format!("header {name:?}: not a valid HTTP header"));
        }
    }
    let caller = caller.map(|c| (c.user, c.roles));
    Ok(Action::Request { method, path: path.to_string(), headers, body, caller })
}

impl Action {
    /// A short description, the default step name.
    pub fn describe(&self) -> String {
        match self {
            Self::Event { kind, .. } => format!("event {kind}"),
            Self::Request { method, path, .. } => format!("{method} {path}"),
            Self::Job { name, .. } => format!("job {name}"),
            Self::Configure { .. } => "configure".to_string(),
            Self::Check => "check".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(Path::new("tests/host/s.toml"), text)
    }

    #[test]
    fn a_full_scenario_parses_into_steps() {
        let s = parse(
            r#"
tenant = "practice-a"
config = { greeting = "hi" }

[[step]]
event = "order.created"
payload = { order_id = "o-1" }
expect_kv = { "count/created" = 1 }

[[step]]
name = "served"
request = "POST /notes?x=1"
json = { text = "hi" }
caller = { user = "u-1", roles = ["admin"] }
expect_status = 201
expect_json = { ok = true }

[[step]]
job = "nightly"
at_ms = 5
expect_error = ""

[[step]]
secrets = { token = "t" }

[[step]]
name = "published"
event = "order.shipped"
expect_published = ["notified"]

[[orders]]
id = "o-1"
status = "in-production"
"#,
        )
        .unwrap();
        assert_eq!((s.name.as_str(), s.tenant.as_str()), ("s", "practice-a"));
        assert_eq!(s.steps.len(), 5);
        assert_eq!(s.steps[4].expect.published, Some(vec!["notified".to_string()]));
        assert_eq!((s.orders[0].id.as_str(), s.orders[0].status), ("o-1", OrderStatus::InProduction));
        assert_eq!((s.orders[0].reference.as_str(), s.orders[0].practice_id.as_str()), ("o-1", "practice-a"));
        assert_eq!(s.steps[0].name, "event order.created");
        assert_eq!(
            s.steps[0].action,
            Action::Event {
                kind: "order.created".into(),
                id: None,
                payload: r#"{"order_id":"o-1"}"#.into(),
                at_ms: 0
            }
        );
        assert_eq!(s.steps[0].expect.kv["count/created"], "1");
        let Action::Request { method, path, headers, body, caller } = &s.steps[1].action else { panic!() };
        assert_eq!(
            (method.as_str(), path.as_str(), body.as_slice()),
            ("POST", "/notes?x=1", &br#"{"text":"hi"}"#[..])
        );
        assert_eq!(headers, &[("content-type".to_string(), "application/json".to_string())]);
        assert_eq!(caller, &Some(("u-1".to_string(), vec!["admin".to_string()])));
        assert_eq!(s.steps[2].action, Action::Job { name: "nightly".into(), at_ms: 5 });
        assert_eq!(s.steps[2].expect.error.as_deref(), Some(""));
        assert!(
            matches!(&s.steps[3].action, Action::Configure { config: None, secrets } if secrets["token"] == "t")
        );
    }

    #[test]
    fn mistakes_are_reported_with_the_file_and_step() {
        let cases = [
            ("[[step]]\nevent = \"a\"\nrequest = \"GET /\"", "step 1: give at most one"),
            (
                "[[step]]\nrequest = \"GET /\"\n[[step]]\nevent = \"a\"\nexpect_status = 200",
                "step 2: expect_status",
            ),
            ("[[step]]\nrequest = \"/counts\"", "METHOD PATH"),
            ("[[step]]\nrequest = \"get /counts\"", "not an HTTP method"),
            ("[[step]]\nrequest = \"GET counts\"", "must start with /"),
            ("[[step]]\nname = \"idle\"", "does nothing"),
            ("[[step]]\nevent = \"a\"\nexpect_staus = 200", "unknown field"),
            ("name = \"x\"", "no steps"),
            (
                "[[step]]\nrequest = \"GET /\"\n[[orders]]\nid = \"o\"\nstatus = \"lost\"",
                "orders: order o: unknown status",
            ),
            ("[[step]]\nconfig = {}\nexpect_published = []", "step 1: expect_published goes with"),
            ("[[step]]\nevent = \"a\"\npayload = [", "tests/host/s.toml"),
        ];
        for (text, wanted) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with("tests/host/s.toml: "), "{err}");
            assert!(err.contains(wanted), "{wanted:?} not in {err:?}");
        }
    }

    #[test]
    fn configurations_are_checked_against_the_manifest() {
        let manifest = Manifest::from_toml(
            r#"
id = "demo"
name = "Demo"
version = "0.1.0"
publisher = "Me"
platform = "^0.2"
provides = ["http"]
[config_schema]
type = "object"
additionalProperties = false
properties.greeting = { type = "string" }
"#,
        )
        .unwrap();
        let ok = parse("config = { greeting = \"hi\" }\n[[step]]\nrequest = \"GET /\"").unwrap();
        ok.check_config(&manifest).unwrap();
        let bad = parse("[[step]]\nconfig = { greeting = 7 }").unwrap();
        let err = bad.check_config(&manifest).unwrap_err().to_string();
        assert!(err.contains("step 1 config") && err.contains("/greeting"), "{err}");
    }
}
