//! Who an invocation runs for (`ils:platform/context`): the tenant and, for HTTP routes, the
//! signed-in caller.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A tenant: one company (practice, lab, supplier or both). The host's own tenant id, carried
/// typed across the plugin boundary; a plugin sees its text (`context.tenant-id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
#[serde(transparent)]
pub struct TenantId(Uuid);

impl TenantId {
    /// A new, time-ordered id (UUIDv7).
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for TenantId {
    fn default() -> Self {
        Self::new()
    }
}

impl From<Uuid> for TenantId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for TenantId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// A signed-in user of the tenant on whose behalf the plugin runs (HTTP routes only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// The user's id in ILS (an API key's calls carry `api-key:<id>`).
    pub user_id: String,
    /// The user's roles in this tenant, as ILS spells them (`ecp`, `company_admin`, …).
    pub roles: Vec<String>,
}

/// The tenant an invocation runs for, as a report prints it (`context.current-tenant`, 0.2.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Its display name (the practice's or lab's name).
    pub name: String,
    /// `ecp`, `lab`, `supplier` or `hybrid`.
    pub kind: String,
}

/// The role names ILS gives users, exactly as `Caller::roles` carries them.
pub const ROLES: [&str; 6] = ["ecp", "dispenser", "lab_tech", "engineer", "supplier", "company_admin"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_uuids_in_text_and_json() {
        let id = TenantId::new();
        assert_eq!(id.to_string().parse::<TenantId>(), Ok(id));
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{id}\""));
        assert_eq!(TenantId::from(id.as_uuid()), id);
        assert!("bright-eyes".parse::<TenantId>().is_err());
    }

    /// Core stores and documents its `TenantId` with these; this one must serve in its place.
    #[cfg(all(feature = "sqlx", feature = "openapi"))]
    #[test]
    fn tenant_ids_are_stored_and_documented_as_uuids() {
        fn stored<T>()
        where
            T: sqlx::Type<sqlx::Postgres> + sqlx::Type<sqlx::Sqlite>,
            for<'q> T: sqlx::Encode<'q, sqlx::Postgres> + sqlx::Encode<'q, sqlx::Sqlite>,
            for<'r> T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Decode<'r, sqlx::Sqlite>,
        {
        }
        stored::<TenantId>();
        let schema = serde_json::to_value(<TenantId as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!((schema["type"].as_str(), schema["format"].as_str()), (Some("string"), Some("uuid")));
    }
}
