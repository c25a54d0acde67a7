//! What platform staff see of a tenant's audit entries: the shape of every change, and the values
//! only of fields known to carry no personal data about a tenant's patients or customers.
//!
//! An allow-list, not a deny-list: a field added tomorrow to a patient record (or to anything a
//! tenant keeps) is redacted until someone decides it is safe and adds it here. Keys keep their
//! place, so "which fields changed" stays readable; only the values become [`REDACTED`].
//! Platform events (no tenant: sign-ins, platform administration) are shown as they are.

use super::AuditEntry;

/// What a hidden value reads as.
pub const REDACTED: &str = "[redacted]";

/// Field names whose values are safe to show platform staff: identifiers (UUIDs), states,
/// technical facts about plugins, files and jobs, and counts. Names and free text are absent on
/// purpose — `name` is a patient search term in `patient.searched`, `reason` and `note` are
/// free text staff type.
const SAFE: &[&str] = &[
    "action",
    "attempts",
    "automatic",
    "capabilities",
    "consent",
    "content_type",
    "count",
    "counts",
    "deleted",
    "enabled",
    "event_types",
    "exported",
    "from_status",
    "from_version",
    "kind",
    "links",
    "min_plan",
    "plan",
    "plugin_id",
    "priority",
    "recipients",
    "returned",
    "role",
    "roles",
    "routing",
    "scopes",
    "sent",
    "sha256",
    "size",
    "station",
    "status",
    "to_status",
    "to_version",
    "track",
    "version",
];

/// Whether values under the field `key` may be shown: ids (`id`, `…_id`, `…_ids`) and [`SAFE`].
fn is_safe(key: &str) -> bool {
    key == "id" || key.ends_with("_id") || key.ends_with("_ids") || SAFE.contains(&key)
}

/// The entry as platform staff may read it: for a tenant's entry, every value not under a safe
/// field is [`REDACTED`]; a platform event is unchanged.
pub fn for_platform(mut entry: AuditEntry) -> AuditEntry {
    if entry.tenant_id.is_some() {
        redact(&mut entry.changes, false);
    }
    entry
}

/// Redacts every value of `value` not under a safe field; `shown` says a safe field encloses it.
fn redact(value: &mut serde_json::Value, shown: bool) {
    use serde_json::Value;
    match value {
        Value::Object(fields) => {
            for (key, inner) in fields.iter_mut() {
                redact(inner, shown || is_safe(key));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| redact(item, shown)),
        Value::Null => {}
        other if !shown => *other = Value::String(REDACTED.to_owned()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::audit::ActorKind;
    use ils_storage::ids::{AuditId, TenantId};
    use ils_storage::types::Timestamp;

    fn entry(tenant: Option<TenantId>, changes: serde_json::Value) -> AuditEntry {
        AuditEntry {
            id: AuditId::new(),
            tenant_id: tenant,
            at: Timestamp::now(),
            actor_kind: ActorKind::User,
            actor_id: None,
            action: "patient.updated".into(),
            entity_type: "patient".into(),
            entity_id: None,
            changes,
            request_id: None,
            ip: None,
        }
    }

    #[test]
    fn a_tenants_values_are_hidden_but_ids_states_and_shape_stay() {
        let changes = json!({
            "first_name": {"from": "Ann", "to": "Anne"},
            "nhs_number": "9434765919", "patient_id": "0190…", "status": "active",
            "returned": ["a", "b"], "notes": ["x", {"deep": 3}], "deleted": null,
        });
        let seen = for_platform(entry(Some(TenantId::new()), changes)).changes;
        assert_eq!(
            seen,
            json!({
                "first_name": {"from": REDACTED, "to": REDACTED},
                "nhs_number": REDACTED, "patient_id": "0190…", "status": "active",
                "returned": ["a", "b"], "notes": [REDACTED, {"deep": REDACTED}], "deleted": null,
            })
        );
    }

    #[test]
    fn platform_events_are_shown_as_they_are() {
        let changes = json!({ "email": "ghost@nowhere.example" });
        assert_eq!(for_platform(entry(None, changes.clone())).changes, changes);
    }
}
