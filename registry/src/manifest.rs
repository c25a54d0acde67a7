//! The plugin manifest (`ils-plugin.toml`): parsed, checked against its JSON Schema and turned into
//! typed values. A [`Manifest`] exists only in a valid state.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::outbound::OutboundHost;

/// The JSON Schema every manifest is validated against (draft 2020-12).
pub const MANIFEST_SCHEMA: &str = include_str!("../schema/manifest.schema.json");

/// A plugin id: lowercase letters, digits and single dashes, 2 to 63 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PluginId(String);

impl PluginId {
    /// Parses a plugin id.
    pub fn new(id: impl Into<String>) -> Result<Self, ManifestError> {
        let id = id.into();
        let mut last_dash = true;
        let valid = (2..=63).contains(&id.len())
            && id.starts_with(|c: char| c.is_ascii_lowercase())
            && !id.ends_with('-')
            && id.chars().all(|c| {
                let ok = c.is_ascii_lowercase() || c.is_ascii_digit() || (c == '-' && !last_dash);
                last_dash = c == '-';
                ok
            });
        if valid { Ok(Self(id)) } else { Err(ManifestError::Invalid(format!("invalid plugin id {id:?}"))) }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PluginId {
    type Error = ManifestError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<PluginId> for String {
    fn from(id: PluginId) -> Self {
        id.0
    }
}

impl fmt::Display for PluginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An extension point a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExtensionPoint {
    /// `ils:platform/event-handler`: receives subscribed events.
    EventHandler,
    /// `ils:platform/scheduled`: runs scheduled jobs.
    Scheduled,
    /// `wasi:http/incoming-handler`: HTTP routes and inbound webhooks.
    Http,
    /// `ils:platform/equipment-driver`.
    EquipmentDriver,
    /// `ils:platform/report-provider`.
    ReportProvider,
    /// `ils:platform/recommender`.
    Recommender,
    /// `ils:platform/sms` (platform 0.3): sends patients' text messages.
    Sms,
    /// `ils:platform/recall-advisor` (platform 0.3): advises recall periods.
    RecallAdvisor,
    /// `ils:platform/device-link` (platform 0.3): reads captures with warnings and runs live
    /// device sessions whose state the host keeps.
    DeviceLink,
}

/// A host capability a plugin may request. Each one unlocks one import (see `wit/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// Read tenant-set secrets (`ils:platform/secrets`).
    Secrets,
    /// Key-value storage scoped to tenant and plugin (`ils:platform/kv`).
    Kv,
    /// Publish events (`ils:platform/events`).
    EventsPublish,
    /// Read orders (`ils:platform/orders`).
    OrdersRead,
    /// Add notes to orders (`ils:platform/orders.annotate`).
    OrdersAnnotate,
    /// Move orders through their lifecycle (`ils:platform/orders.transition`).
    OrdersTransition,
    /// Read patients and prescriptions, audited (`ils:platform/clinical`).
    ClinicalRead,
    /// Read stock (`ils:platform/inventory`).
    InventoryRead,
    /// Move stock, once per idempotency key (`ils:platform/inventory.record-movements`, platform
    /// 0.2).
    InventoryWrite,
    /// Outbound HTTP to the manifest's hosts (`wasi:http/outgoing-handler`).
    HttpOutbound,
    /// Read orders, quality, stock and purchasing for reports, audited (`ils:platform/reports`,
    /// platform 0.2).
    ReportsRead,
    /// Store files in the tenant's file store (`ils:platform/files`, platform 0.2).
    FilesWrite,
    /// E-mail the tenant's staff by role (`ils:platform/notify`, platform 0.2).
    NotifyEmail,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Capability; 13] = [
        Self::Secrets,
        Self::Kv,
        Self::EventsPublish,
        Self::OrdersRead,
        Self::OrdersAnnotate,
        Self::OrdersTransition,
        Self::ClinicalRead,
        Self::InventoryRead,
        Self::InventoryWrite,
        Self::HttpOutbound,
        Self::ReportsRead,
        Self::FilesWrite,
        Self::NotifyEmail,
    ];

    /// The name used in manifests and consent screens.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secrets => "secrets",
            Self::Kv => "kv",
            Self::EventsPublish => "events-publish",
            Self::OrdersRead => "orders-read",
            Self::OrdersAnnotate => "orders-annotate",
            Self::OrdersTransition => "orders-transition",
            Self::ClinicalRead => "clinical-read",
            Self::InventoryRead => "inventory-read",
            Self::InventoryWrite => "inventory-write",
            Self::HttpOutbound => "http-outbound",
            Self::ReportsRead => "reports-read",
            Self::FilesWrite => "files-write",
            Self::NotifyEmail => "notify-email",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scheduled job of the plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// The job's name, passed to `scheduled.run`.
    pub name: String,
    /// A five-field cron expression (UTC), interpreted by the host's scheduler.
    pub cron: String,
}

/// Limits the plugin asks for; the host applies the tighter of these and the plan's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestLimits {
    /// Wall-clock budget per invocation, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Linear memory ceiling, in MiB.
    pub memory_mib: Option<u64>,
}

/// A page the plugin contributes to the console: one of its routes, shown in a sandboxed frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Its title in the console.
    pub title: String,
    /// The plugin route that renders it (HTML), from `/`.
    pub path: String,
    /// The roles that see it (role names as the API spells them); empty for all staff.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Buttons the console shows above the page, each POSTing to one of the plugin's routes as
    /// the person who pressed it (ADR 031).
    #[serde(default)]
    pub actions: Vec<PageAction>,
}

/// A button on a plugin page: the console renders and checks it, and calls the plugin's route
/// with POST as the viewer (the page's frame itself cannot post with the person's session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageAction {
    /// The button's text, 1–40 characters.
    pub label: String,
    /// The plugin route it POSTs to, from `/`.
    pub path: String,
    /// The roles that see and may press it; empty for everyone who sees the page. Each must be
    /// one of the page's roles when the page names any.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A kind of recommendation the plugin gives (`provides recommender`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendationKind {
    /// The kind (`lens`, `reorder`, `anomalies`), passed to `recommender.recommend`.
    pub kind: String,
    /// Its title in the console.
    pub title: String,
    /// The roles that may ask for it (role names as the API spells them); empty for all staff.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The on-disk shape, before the checks that make a [`Manifest`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    id: PluginId,
    name: String,
    version: Version,
    publisher: String,
    #[serde(default)]
    description: String,
    platform: VersionReq,
    provides: BTreeSet<ExtensionPoint>,
    #[serde(default)]
    capabilities: BTreeSet<Capability>,
    #[serde(default)]
    outbound: Option<RawOutbound>,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    schedules: Vec<Schedule>,
    #[serde(default)]
    pages: Vec<Page>,
    #[serde(default)]
    recommendations: Vec<RecommendationKind>,
    #[serde(default)]
    limits: ManifestLimits,
    #[serde(default)]
    config_schema: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutbound {
    hosts: Vec<String>,
}

/// A checked plugin manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The plugin's id.
    pub id: PluginId,
    /// Display name.
    pub name: String,
    /// The plugin's version.
    pub version: Version,
    /// Who publishes it.
    pub publisher: String,
    /// What it does.
    pub description: String,
    /// The `ils:platform` versions it runs on.
    pub platform: VersionReq,
    /// The extension points it implements.
    pub provides: BTreeSet<ExtensionPoint>,
    /// The capabilities it requests.
    pub capabilities: BTreeSet<Capability>,
    /// Allowed outbound origins (non-empty only with [`Capability::HttpOutbound`]).
    pub outbound_hosts: Vec<OutboundHost>,
    /// Subscribed event kinds (`order.created`, `order.*`).
    pub events: Vec<String>,
    /// Scheduled jobs.
    pub schedules: Vec<Schedule>,
    /// Pages for the console.
    pub pages: Vec<Page>,
    /// Kinds of recommendation given (non-empty exactly when it provides `recommender`).
    pub recommendations: Vec<RecommendationKind>,
    /// Requested limits.
    pub limits: ManifestLimits,
    /// JSON Schema of the tenant configuration (`{"type":"object"}` when absent).
    pub config_schema: Value,
}

/// Why a manifest was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not TOML.
    #[error("manifest is not valid TOML: {0}")]
    Toml(String),
    /// Breaks the manifest JSON Schema; every violation is listed.
    #[error("manifest does not match its schema: {}", .0.join("; "))]
    Schema(Vec<String>),
    /// Well-formed but inconsistent.
    #[error("invalid manifest: {0}")]
    Invalid(String),
}

fn manifest_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Value =
            serde_json::from_str(MANIFEST_SCHEMA).expect("the bundled manifest schema is JSON");
        jsonschema::validator_for(&schema).expect("the bundled manifest schema is a valid JSON Schema")
    })
}

/// What the schema (at most 5 actions, labels of 1–40 characters, paths from `/`) cannot say of
/// a page's actions: a label with something to read, each path
/// once, and no action for a role that cannot see its page.
fn check_actions(page: &Page) -> Result<(), ManifestError> {
    let invalid = |m: String| Err(ManifestError::Invalid(m));
    let mut paths = BTreeSet::new();
    for action in &page.actions {
        let chars = action.label.trim().chars().count();
        if !(1..=40).contains(&chars) || chars != action.label.chars().count() {
            return invalid(format!(
                "page {:?}: action label {:?} must be 1 to 40 characters without leading or trailing spaces",
                page.path, action.label
            ));
        }
        if !action.path.starts_with('/') {
            return invalid(format!("page {:?}: action path {:?} must start with /", page.path, action.path));
        }
        if !paths.insert(&action.path) {
            return invalid(format!("page {:?}: action path {:?} is declared twice", page.path, action.path));
        }
        if let Some(role) = action.roles.iter().find(|r| !page.roles.is_empty() && !page.roles.contains(r)) {
            return invalid(format!(
                "page {:?}: action {:?} is for role {role:?}, which does not see the page",
                page.path, action.label
            ));
        }
    }
    Ok(())
}

impl Manifest {
    /// Parses and checks a manifest written in TOML.
    pub fn from_toml(text: &str) -> Result<Self, ManifestError> {
        let value: Value = toml::from_str(text).map_err(|e| ManifestError::Toml(e.to_string()))?;
        Self::from_json(value)
    }

    /// Checks a manifest given as JSON (the TOML document's data model).
    pub fn from_json(value: Value) -> Result<Self, ManifestError> {
        let errors: Vec<String> =
            manifest_validator().iter_errors(&value).map(|e| format!("{}: {e}", e.instance_path())).collect();
        if !errors.is_empty() {
            return Err(ManifestError::Schema(errors));
        }
        let raw: RawManifest =
            serde_json::from_value(value).map_err(|e| ManifestError::Invalid(e.to_string()))?;
        Self::check(raw)
    }

    fn check(raw: RawManifest) -> Result<Self, ManifestError> {
        let invalid = |m: String| Err(ManifestError::Invalid(m));
        let hosts = match raw.outbound {
            Some(o) => o.hosts.iter().map(|h| OutboundHost::parse(h)).collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let wants_http = raw.capabilities.contains(&Capability::HttpOutbound);
        if wants_http == hosts.is_empty() {
            return invalid("capability http-outbound and [outbound] hosts go together".into());
        }
        let handles_events = raw.provides.contains(&ExtensionPoint::EventHandler);
        if handles_events == raw.events.is_empty() {
            return invalid(
                "provides event-handler needs subscribed events, and events need event-handler".into(),
            );
        }
        let scheduled = raw.provides.contains(&ExtensionPoint::Scheduled);
        if scheduled == raw.schedules.is_empty() {
            return invalid("provides scheduled needs schedules, and schedules need scheduled".into());
        }
        let mut names = BTreeSet::new();
        if let Some(dup) = raw.schedules.iter().find(|s| !names.insert(&s.name)) {
            return invalid(format!("schedule {:?} is declared twice", dup.name));
        }
        if !raw.pages.is_empty() && !raw.provides.contains(&ExtensionPoint::Http) {
            return invalid("pages are rendered by the plugin's routes: they need provides http".into());
        }
        let mut paths = BTreeSet::new();
        if let Some(dup) = raw.pages.iter().find(|p| !paths.insert(&p.path)) {
            return invalid(format!("page {:?} is declared twice", dup.path));
        }
        for page in &raw.pages {
            check_actions(page)?;
        }
        let recommends = raw.provides.contains(&ExtensionPoint::Recommender);
        if recommends == raw.recommendations.is_empty() {
            return invalid(
                "provides recommender needs [[recommendations]] kinds, and kinds need recommender".into(),
            );
        }
        let before_0_3 = [Version::new(0, 1, 0), Version::new(0, 2, 0)];
        let added_in_0_3 = [
            (ExtensionPoint::Sms, "sms"),
            (ExtensionPoint::RecallAdvisor, "recall-advisor"),
            (ExtensionPoint::DeviceLink, "device-link"),
        ];
        if let Some((_, name)) = added_in_0_3
            .iter()
            .find(|(p, _)| raw.provides.contains(p))
            .filter(|_| before_0_3.iter().any(|v| raw.platform.matches(v)))
        {
            return invalid(format!(
                "provides {name} came with ils:platform 0.3.0: set platform = \"^0.3\" (it is {:?})",
                raw.platform.to_string()
            ));
        }
        let mut kinds = BTreeSet::new();
        if let Some(dup) = raw.recommendations.iter().find(|r| !kinds.insert(&r.kind)) {
            return invalid(format!("recommendation kind {:?} is declared twice", dup.kind));
        }
        if let Some(h) = hosts.iter().flat_map(|h| h.config_keys()).find(|_| raw.config_schema.is_none()) {
            return invalid(format!("outbound host uses {{config.{h}}} but there is no config_schema"));
        }
        let config_schema = raw.config_schema.unwrap_or_else(|| serde_json::json!({"type": "object"}));
        if config_schema.get("type").and_then(Value::as_str) != Some("object") {
            return invalid("config_schema must describe an object (\"type\": \"object\")".into());
        }
        // Compile first: it rejects unknown drafts without panicking, then check against the meta-schema.
        if let Err(e) = jsonschema::validator_for(&config_schema) {
            return invalid(format!("config_schema is not a usable JSON Schema: {e}"));
        }
        if let Err(e) = jsonschema::meta::validate(&config_schema) {
            return invalid(format!("config_schema is not a valid JSON Schema: {e}"));
        }
        Ok(Self {
            id: raw.id,
            name: raw.name,
            version: raw.version,
            publisher: raw.publisher,
            description: raw.description,
            platform: raw.platform,
            provides: raw.provides,
            capabilities: raw.capabilities,
            outbound_hosts: hosts,
            events: raw.events,
            schedules: raw.schedules,
            pages: raw.pages,
            recommendations: raw.recommendations,
            limits: raw.limits,
            config_schema,
        })
    }

    /// Whether the plugin subscribes to events of `kind` (exact, or a `family.*` pattern).
    pub fn subscribes_to(&self, kind: &str) -> bool {
        self.events.iter().any(|pattern| match pattern.strip_suffix(".*") {
            Some(family) => kind.strip_prefix(family).is_some_and(|rest| rest.starts_with('.')),
            None => pattern == kind,
        })
    }

    /// Checks a tenant's configuration against the manifest's configuration schema.
    pub fn validate_config(&self, config: &Value) -> Result<(), ManifestError> {
        let validator = jsonschema::validator_for(&self.config_schema)
            .map_err(|e| ManifestError::Invalid(format!("config_schema: {e}")))?;
        let errors: Vec<String> =
            validator.iter_errors(config).map(|e| format!("{}: {e}", e.instance_path())).collect();
        if errors.is_empty() { Ok(()) } else { Err(ManifestError::Schema(errors)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const EXAMPLE: &str = r#"
id = "order-notes"
name = "Order notes"
version = "0.1.0"
publisher = "Example Optical Software Ltd"
description = "Keeps a note of each order's latest status."
platform = "^0.2"
provides = ["event-handler", "http"]
capabilities = ["kv", "http-outbound"]
events = ["order.*"]

[outbound]
hosts = ["https://hooks.example.com", "https://{config.notify_host}"]

[limits]
timeout_ms = 2000

[config_schema]
type = "object"
required = ["notify_host"]
properties.notify_host = { type = "string" }
"#;

    #[test]
    fn parses_a_complete_manifest() {
        let m = Manifest::from_toml(EXAMPLE).unwrap();
        assert_eq!(m.id.as_str(), "order-notes");
        assert_eq!(m.version, Version::new(0, 1, 0));
        assert!(m.platform.matches(&Version::new(0, 2, 3)));
        assert!(!m.platform.matches(&Version::new(0, 1, 0)) && !m.platform.matches(&Version::new(0, 3, 0)));
        assert!(m.capabilities.contains(&Capability::Kv));
        assert_eq!(m.outbound_hosts.len(), 2);
        assert_eq!(m.limits.timeout_ms, Some(2000));
        assert!(m.subscribes_to("order.created"));
        assert!(!m.subscribes_to("orders.created"));
        assert!(!m.subscribes_to("patient.created"));
    }

    #[test]
    fn schema_errors_name_the_field() {
        let text = EXAMPLE.replace("\"kv\"", "\"filesystem\"");
        let err = Manifest::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("/capabilities"), "{err}");
        let err = Manifest::from_toml(&EXAMPLE.replace("order-notes", "Order Notes")).unwrap_err();
        assert!(err.to_string().contains("/id"), "{err}");
        let err = Manifest::from_toml(&format!("surprise = 1\n{EXAMPLE}")).unwrap_err();
        assert!(err.to_string().contains("surprise"), "{err}");
    }

    #[test]
    fn inconsistent_manifests_are_refused() {
        let no_hosts = EXAMPLE.replace(", \"http-outbound\"", "");
        assert!(matches!(Manifest::from_toml(&no_hosts), Err(ManifestError::Invalid(_))));
        let no_events = EXAMPLE.replace("events = [\"order.*\"]", "");
        assert!(matches!(Manifest::from_toml(&no_events), Err(ManifestError::Invalid(_))));
        let bad_version = EXAMPLE.replace("version = \"0.1.0\"", "version = \"one\"");
        assert!(Manifest::from_toml(&bad_version).is_err());
        let bad_schema = EXAMPLE.replace("type = \"string\"", "type = \"text\"");
        assert!(matches!(Manifest::from_toml(&bad_schema), Err(ManifestError::Invalid(_))));
    }

    #[test]
    fn tenant_config_is_checked_against_the_plugin_schema() {
        let m = Manifest::from_toml(EXAMPLE).unwrap();
        m.validate_config(&serde_json::json!({"notify_host": "hooks.example.org"})).unwrap();
        let err = m.validate_config(&serde_json::json!({"notify_host": 7})).unwrap_err();
        assert!(err.to_string().contains("/notify_host"), "{err}");
        assert!(m.validate_config(&serde_json::json!({})).is_err());
    }

    const WITH_PAGE: &str = r#"
id = "shop-sync"
name = "Shop sync"
version = "0.1.0"
publisher = "ILS"
platform = "^0.2"
provides = ["http"]

[[pages]]
title = "Shop"
path = "/page"
roles = ["company_admin", "dispenser"]
actions = [
    { label = "Sync now", path = "/sync", roles = ["company_admin"] },
    { label = "Check", path = "/check" },
]
"#;

    fn page_error(text: &str) -> String {
        Manifest::from_toml(text).unwrap_err().to_string()
    }

    #[test]
    fn a_page_declares_its_actions_with_who_may_press_them() {
        let m = Manifest::from_toml(WITH_PAGE).unwrap();
        let actions = &m.pages[0].actions;
        assert_eq!(actions.len(), 2);
        assert_eq!(
            actions[0],
            PageAction {
                label: "Sync now".into(),
                path: "/sync".into(),
                roles: vec!["company_admin".into()]
            }
        );
        assert!(actions[1].roles.is_empty(), "absent roles: everyone who sees the page");
        let plain = WITH_PAGE.split("actions = [").next().unwrap();
        assert!(Manifest::from_toml(plain).unwrap().pages[0].actions.is_empty());
    }

    #[test]
    fn action_paths_labels_and_counts_are_checked() {
        let err = page_error(&WITH_PAGE.replace("path = \"/sync\"", "path = \"sync\""));
        assert!(err.contains("/pages/0/actions/0/path"), "{err}");
        let err = page_error(&WITH_PAGE.replace("\"Check\"", "\"\""));
        assert!(err.contains("/pages/0/actions/1/label"), "{err}");
        let long = "x".repeat(41);
        let err = page_error(&WITH_PAGE.replace("\"Check\"", &format!("\"{long}\"")));
        assert!(err.contains("/pages/0/actions/1/label"), "{err}");
        let forty = "é".repeat(40);
        Manifest::from_toml(&WITH_PAGE.replace("\"Check\"", &format!("\"{forty}\""))).unwrap();
        let err = page_error(&WITH_PAGE.replace("\"Check\"", "\"   \""));
        assert!(err.contains("1 to 40 characters"), "{err}");
        let six: Vec<String> =
            (0..6).map(|i| format!("{{ label = \"Do {i}\", path = \"/do/{i}\" }}")).collect();
        let many = WITH_PAGE
            .replace("{ label = \"Check\", path = \"/check\" },", &format!("{},", six[1..].join(", ")));
        let err = page_error(&many);
        assert!(err.contains("/pages/0/actions"), "{err}");
        let err = page_error(&WITH_PAGE.replace("\"/check\"", "\"/sync\""));
        assert!(err.contains("declared twice"), "{err}");
        let err = page_error(
            &WITH_PAGE.replace("label = \"Check\", path", "label = \"Check\", method = \"GET\", path"),
        );
        assert!(err.contains("method"), "{err}");
    }

    #[test]
    fn an_action_is_only_for_roles_that_see_its_page() {
        let err =
            page_error(&WITH_PAGE.replace("roles = [\"company_admin\"] }", "roles = [\"optometrist\"] }"));
        assert!(err.contains("optometrist") && err.contains("does not see the page"), "{err}");
        let open_page = WITH_PAGE.replace("roles = [\"company_admin\", \"dispenser\"]\n", "");
        Manifest::from_toml(&open_page.replace("[\"company_admin\"] }", "[\"optometrist\"] }")).unwrap();
    }

    #[test]
    fn plugin_ids_are_checked() {
        assert!(PluginId::new("nhs-gos").is_ok());
        for bad in ["", "a", "-x", "x-", "a--b", "Abc", "a_b", "a.b"] {
            assert!(PluginId::new(bad).is_err(), "{bad}");
        }
    }
}
