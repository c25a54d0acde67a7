//! What a new version of a plugin asks for beyond the previous approved one: the capability
//! diff a reviewer reads before approving, and that decides whether a version may be approved
//! without review (a diff that adds nothing).
//!
//! ```
//! use ils_registry::{Manifest, diff::ManifestDiff};
//! let old = Manifest::from_toml(r#"
//!     id = "notes"
//!     name = "Notes"
//!     version = "1.0.0"
//!     publisher = "Example Ltd"
//!     platform = "^0.2"
//!     provides = ["event-handler"]
//!     capabilities = ["orders-read"]
//!     events = ["order.created"]
//! "#).unwrap();
//! let new = Manifest::from_toml(r#"
//!     id = "notes"
//!     name = "Notes"
//!     version = "1.1.0"
//!     publisher = "Example Ltd"
//!     platform = "^0.2"
//!     provides = ["event-handler"]
//!     capabilities = ["orders-read", "orders-annotate"]
//!     events = ["order.created"]
//! "#).unwrap();
//! let diff = ManifestDiff::between(Some(&old), &new);
//! assert_eq!(diff.capabilities.added, vec!["orders-annotate"]);
//! assert!(!diff.adds_nothing());
//! assert!(ManifestDiff::between(Some(&old), &old).adds_nothing());
//! ```

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::manifest::{Manifest, ManifestLimits, Page};

/// Names added and removed between two versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    /// In the new version, not in the previous one.
    pub added: Vec<String>,
    /// In the previous version, not in the new one.
    pub removed: Vec<String>,
}

impl Change {
    fn of(old: impl IntoIterator<Item = String>, new: impl IntoIterator<Item = String>) -> Self {
        let old: BTreeSet<String> = old.into_iter().collect();
        let new: BTreeSet<String> = new.into_iter().collect();
        Self {
            added: new.difference(&old).cloned().collect(),
            removed: old.difference(&new).cloned().collect(),
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// A limit the new version asks to raise (a missing limit means the plan's, the widest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LimitChange {
    /// `timeout_ms` or `memory_mib`.
    pub limit: String,
    /// The previous version's value; none for the plan's.
    pub from: Option<u64>,
    /// The new version's value; none for the plan's.
    pub to: Option<u64>,
}

/// How the configuration schema changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaChange {
    /// Whether the schema differs at all.
    pub changed: bool,
    /// Top-level properties added and removed.
    pub properties: Change,
    /// Required properties added and removed.
    pub required: Change,
}

/// What a new version asks for beyond the previous approved version of the same plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManifestDiff {
    /// The version compared against; none for a plugin's first version (everything is new).
    pub previous: Option<String>,
    /// Capabilities (what a tenant admin consents to).
    pub capabilities: Change,
    /// Outbound hosts.
    pub outbound_hosts: Change,
    /// Subscribed events.
    pub events: Change,
    /// Extension points it implements.
    pub provides: Change,
    /// Scheduled jobs (`name cron`).
    pub schedules: Change,
    /// Console pages (`title path`) and their actions (`title path: label POST path roles`), so a
    /// new button, or one offered to more roles, is seen in review.
    pub pages: Change,
    /// Limits raised.
    pub widened_limits: Vec<LimitChange>,
    /// The configuration schema.
    pub config_schema: SchemaChange,
    /// The `ils:platform` requirement, when it changed (`^0.1` → `^0.2`).
    pub platform: Option<Change>,
}

fn names<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|i| i.to_string()).collect()
}

fn kebab<T: Serialize>(item: &T) -> String {
    match serde_json::to_value(item) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn widened(limit: &str, old: Option<u64>, new: Option<u64>) -> Option<LimitChange> {
    let wider = match (old, new) {
        (Some(_), None) => true,
        (Some(a), Some(b)) => b > a,
        (None, _) => false,
    };
    wider.then(|| LimitChange { limit: limit.to_owned(), from: old, to: new })
}

fn limits(old: &ManifestLimits, new: &ManifestLimits) -> Vec<LimitChange> {
    [
        widened("timeout_ms", old.timeout_ms, new.timeout_ms),
        widened("memory_mib", old.memory_mib, new.memory_mib),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn schema_keys(schema: &Value, field: &str) -> Vec<String> {
    match schema.get(field) {
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

fn schema(old: &Value, new: &Value) -> SchemaChange {
    SchemaChange {
        changed: old != new,
        properties: Change::of(schema_keys(old, "properties"), schema_keys(new, "properties")),
        required: Change::of(schema_keys(old, "required"), schema_keys(new, "required")),
    }
}

/// One line per page and one per action of a page.
fn page_lines(pages: &[Page]) -> Vec<String> {
    let mut lines = Vec::new();
    for page in pages {
        lines.push(format!("{} {}", page.title, page.path));
        for action in &page.actions {
            let roles =
                if action.roles.is_empty() { "all who see it".to_owned() } else { action.roles.join(", ") };
            lines.push(format!(
                "{} {}: {} POST {} ({roles})",
                page.title, page.path, action.label, action.path
            ));
        }
    }
    lines
}

impl ManifestDiff {
    /// The diff of `new` against `previous` (the newest approved version before it), or
    /// against nothing for a first version.
    pub fn between(previous: Option<&Manifest>, new: &Manifest) -> Self {
        let empty = Manifest {
            id: new.id.clone(),
            name: String::new(),
            version: new.version.clone(),
            publisher: String::new(),
            description: String::new(),
            platform: new.platform.clone(),
            provides: BTreeSet::new(),
            capabilities: BTreeSet::new(),
            outbound_hosts: Vec::new(),
            events: Vec::new(),
            schedules: Vec::new(),
            pages: Vec::new(),
            recommendations: Vec::new(),
            limits: ManifestLimits::default(),
            config_schema: Value::Null,
        };
        let old = previous.unwrap_or(&empty);
        Self {
            previous: previous.map(|m| m.version.to_string()),
            capabilities: Change::of(names(&old.capabilities), names(&new.capabilities)),
            outbound_hosts: Change::of(names(&old.outbound_hosts), names(&new.outbound_hosts)),
            events: Change::of(old.events.clone(), new.events.clone()),
            provides: Change::of(old.provides.iter().map(kebab), new.provides.iter().map(kebab)),
            schedules: Change::of(
                old.schedules.iter().map(|s| format!("{} {}", s.name, s.cron)),
                new.schedules.iter().map(|s| format!("{} {}", s.name, s.cron)),
            ),
            pages: Change::of(page_lines(&old.pages), page_lines(&new.pages)),
            widened_limits: match previous {
                Some(old) => limits(&old.limits, &new.limits),
                None => Vec::new(),
            },
            config_schema: match previous {
                Some(old) => schema(&old.config_schema, &new.config_schema),
                None => SchemaChange::default(),
            },
            platform: match previous {
                Some(old) if old.platform != new.platform => Some(Change {
                    added: vec![new.platform.to_string()],
                    removed: vec![old.platform.to_string()],
                }),
                _ => None,
            },
        }
    }

    /// Whether the new version asks for nothing the previous one did not have: no capability,
    /// host, event, extension point, schedule or page added, no limit raised, the same
    /// configuration schema and platform. Only such a version may skip review (when its
    /// publisher is set to auto-approve), and a first version never does.
    pub fn adds_nothing(&self) -> bool {
        self.previous.is_some()
            && [
                &self.capabilities,
                &self.outbound_hosts,
                &self.events,
                &self.provides,
                &self.schedules,
                &self.pages,
            ]
            .iter()
            .all(|c| c.added.is_empty())
            && self.widened_limits.is_empty()
            && !self.config_schema.changed
            && self.platform.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(extra: &str) -> Manifest {
        with_events("\"order.created\"", extra)
    }

    fn with_events(events: &str, extra: &str) -> Manifest {
        Manifest::from_toml(&format!(
            "id = \"sync\"\nname = \"Sync\"\nversion = \"1.0.0\"\npublisher = \"P\"\nplatform = \"^0.2\"\n\
             provides = [\"http\", \"event-handler\"]\nevents = [{events}]\n{extra}"
        ))
        .unwrap()
    }

    #[test]
    fn a_first_version_shows_everything_as_added_and_never_adds_nothing() {
        let new = manifest("capabilities = [\"kv\"]\n");
        let diff = ManifestDiff::between(None, &new);
        assert_eq!(diff.capabilities.added, vec!["kv"]);
        assert_eq!(diff.provides.added, vec!["event-handler", "http"]);
        assert!(!diff.adds_nothing());
    }

    #[test]
    fn new_hosts_events_limits_and_schema_properties_are_listed() {
        let old = manifest(
            "capabilities = [\"http-outbound\"]\n\
             [outbound]\nhosts = [\"https://api.example.com\"]\n[limits]\ntimeout_ms = 1000\n",
        );
        let new = with_events(
            "\"order.created\", \"order.shipped\"",
            "capabilities = [\"http-outbound\"]\n\
             [outbound]\nhosts = [\"https://api.example.com\", \"https://files.example.com\"]\n[limits]\ntimeout_ms = 5000\n\
             [config_schema]\ntype = \"object\"\nrequired = [\"shop\"]\n[config_schema.properties.shop]\ntype = \"string\"\n",
        );
        let diff = ManifestDiff::between(Some(&old), &new);
        assert!(diff.capabilities.is_empty());
        assert_eq!(diff.outbound_hosts.added, vec!["https://files.example.com"]);
        assert_eq!(diff.events.added, vec!["order.shipped"]);
        assert_eq!(
            diff.widened_limits,
            vec![LimitChange { limit: "timeout_ms".into(), from: Some(1000), to: Some(5000) }]
        );
        assert!(diff.config_schema.changed);
        assert_eq!(diff.config_schema.properties.added, vec!["shop"]);
        assert_eq!(diff.config_schema.required.added, vec!["shop"]);
        assert!(!diff.adds_nothing());
    }

    #[test]
    fn a_page_action_added_or_given_to_more_roles_is_listed_for_review() {
        let page = "[[pages]]\ntitle = \"Shop\"\npath = \"/page\"\n";
        let old = manifest(&format!(
            "{page}actions = [{{ label = \"Sync now\", path = \"/sync\", roles = [\"company_admin\"] }}]\n"
        ));
        let new = manifest(&format!(
            "{page}actions = [{{ label = \"Sync now\", path = \"/sync\" }}, {{ label = \"Reconcile now\", path = \"/reconcile\" }}]\n"
        ));
        let diff = ManifestDiff::between(Some(&old), &new);
        assert_eq!(
            diff.pages.added,
            vec![
                "Shop /page: Reconcile now POST /reconcile (all who see it)",
                "Shop /page: Sync now POST /sync (all who see it)"
            ]
        );
        assert_eq!(diff.pages.removed, vec!["Shop /page: Sync now POST /sync (company_admin)"]);
        assert!(!diff.adds_nothing());
    }

    #[test]
    fn dropping_things_or_tightening_limits_adds_nothing() {
        let old = manifest("capabilities = [\"kv\", \"secrets\"]\n[limits]\nmemory_mib = 64\n");
        let new = manifest("capabilities = [\"kv\"]\n[limits]\nmemory_mib = 32\n");
        let diff = ManifestDiff::between(Some(&old), &new);
        assert_eq!(diff.capabilities.removed, vec!["secrets"]);
        assert!(diff.widened_limits.is_empty());
        assert!(diff.adds_nothing());
        // Lifting a limit altogether widens it to the plan's.
        let lifted = manifest("capabilities = [\"kv\"]\n");
        assert_eq!(ManifestDiff::between(Some(&new), &lifted).widened_limits.len(), 1);
    }
}
