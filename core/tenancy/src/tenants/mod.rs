//! Tenants: the companies on the platform (practices, labs, suppliers), their status and plan.

mod service;
mod store;

use ils_kernel::{Error, Result};
use ils_storage::ids::TenantId;
use ils_storage::text_enum;
use ils_storage::types::Timestamp;
use serde::Serialize;

pub use service::{UpdateTenant, change_settings, create_with_admin, update_tenant, update_tenant_in};
pub use store::{by_slug, create, get, get_own, list, set_settings, settings, update};

/// A tenant's own settings (company admins change them). The API reads a change into a request
/// type of its own and builds this from it.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantSettings {
    /// Power steps prescriptions are recorded in: `quarter` (0.25 D, the default) or `eighth`
    /// (0.125 D as well, for labs that work in eighths).
    pub rx_steps: Steps,
    /// The postal address printed under the tenant's name on its documents (purchase orders,
    /// job tickets): up to 6 lines, 400 characters.
    #[serde(default)]
    pub address: String,
    /// The telephone number printed on its documents.
    #[serde(default)]
    pub phone: Option<String>,
    /// The e-mail address printed on its documents, where suppliers and patients reply.
    #[serde(default)]
    pub contact_email: Option<String>,
}

impl TenantSettings {
    /// The address as printed, one line each.
    pub fn address_lines(&self) -> Vec<String> {
        self.address.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
    }

    /// Checks and tidies the letterhead: the address at most 6 non-empty lines and 400
    /// characters, the phone up to 30 characters, the e-mail an address.
    pub fn checked(mut self) -> Result<Self> {
        let lines: Vec<String> = self.address_lines();
        if lines.len() > 6 {
            return Err(Error::invalid_field("address", "must be at most 6 lines"));
        }
        self.address = lines.join("\n");
        if self.address.chars().count() > 400 {
            return Err(Error::invalid_field("address", "must be at most 400 characters"));
        }
        self.phone = ils_kernel::input::optional_text("phone", self.phone.as_deref(), 30)?;
        self.contact_email = match self.contact_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(email) => Some(ils_kernel::input::Email::parse("contact_email", email)?.as_str().to_owned()),
            None => None,
        };
        Ok(self)
    }
}

text_enum! {
    /// Which power steps a tenant records (a per-lab setting: some labs also work in eighths).
    #[derive(Default)]
    pub enum Steps {
        /// 0.25 D (the default).
        #[default]
        Quarter = "quarter",
        /// 0.125 D as well (.12, .37, .62, .87).
        Eighth = "eighth",
    }
}

impl From<Steps> for ils_optics::Steps {
    fn from(steps: Steps) -> Self {
        match steps {
            Steps::Quarter => ils_optics::Steps::Quarter,
            Steps::Eighth => ils_optics::Steps::Eighth,
        }
    }
}

text_enum! {
    /// What kind of company a tenant is.
    pub enum TenantKind {
        /// An eye-care practice.
        Ecp = "ecp",
        /// A spectacle lens laboratory.
        Lab = "lab",
        /// A supplier of frames, lenses or consumables.
        Supplier = "supplier",
        /// A practice with its own lab.
        Hybrid = "hybrid",
    }
}

text_enum! {
    /// Whether a tenant may operate.
    pub enum TenantStatus {
        /// Created, not yet active.
        Pending = "pending",
        /// Active: its members act in it with their roles.
        Active = "active",
        /// Stopped by the platform: its users cannot act.
        Suspended = "suspended",
    }
}

/// The handle of a plan (`free`, `pro`, …): the same form as a tenant's slug. Plans are data a
/// platform admin edits (`plans` table; their figures and plugins are `ils-plugin-host`'s);
/// a well-formed handle may still name no plan, which the database's foreign key refuses.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, sqlx::Type)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct PlanSlug(String);

impl PlanSlug {
    /// Checks the form (`field` is what an error names).
    pub fn parse_field(field: &str, value: &str) -> Result<Self> {
        if slug_form(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(Error::invalid_field(
                field,
                "must be 2–63 characters of lowercase letters, digits and '-', not starting with '-'",
            ))
        }
    }

    /// Checks the form of a plan's handle.
    pub fn parse(value: &str) -> Result<Self> {
        Self::parse_field("plan", value)
    }

    /// The handle as written, e.g. `pro`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PlanSlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PlanSlug {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if slug_form(&text) {
            Ok(Self(text))
        } else {
            Err(serde::de::Error::custom(
                "a plan is 2–63 characters of a-z, 0-9 and '-', not starting with '-'",
            ))
        }
    }
}

fn slug_form(value: &str) -> bool {
    (2..=63).contains(&value.len())
        && !value.starts_with('-')
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A tenant's short unique handle, used to register into it: 2–63 characters of `a-z`, `0-9`
/// and `-`, not starting with `-`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::Type)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct Slug(String);

impl Slug {
    /// Checks the form.
    pub fn parse(value: &str) -> Result<Self> {
        if slug_form(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(Error::invalid_field(
                "slug",
                "must be 2–63 characters of lowercase letters, digits and '-', not starting with '-'",
            ))
        }
    }

    /// The handle as written, e.g. `acme-optics`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant: one company (practice, lab, supplier or hybrid), whose data no other tenant sees.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    /// The tenant's id (UUIDv7, so ids sort by creation time).
    pub id: TenantId,
    /// Unique handle.
    pub slug: Slug,
    /// Display name.
    pub name: String,
    /// Kind of company.
    pub kind: TenantKind,
    /// Whether the tenant may operate; the platform sets it.
    pub status: TenantStatus,
    /// Its plan (`GET /platform/plans` lists them), which decides the plugins it may enable and
    /// their limits and quotas.
    pub plan: PlanSlug,
    /// When the tenant was created (UTC); never changes.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// The id of the active tenant with `slug` (public endpoints that name a tenant).
pub async fn active_by_slug(db: &ils_storage::Db, slug: &Slug) -> Result<Option<TenantId>> {
    let mut tx = db.system_read().await?;
    let tenant = by_slug(&mut tx, slug.as_str()).await?;
    tx.commit().await?;
    Ok(tenant.filter(|t| t.status == TenantStatus::Active).map(|t| t.id))
}

/// Checks a display name (a tenant's, a user's, an API key's): trimmed, 1–200 characters.
pub fn parse_name(field: &str, value: &str) -> Result<String> {
    ils_kernel::input::name(field, value)
}

/// A new tenant's fields.
#[derive(Clone, Debug)]
pub struct NewTenant {
    /// Its unique handle; a taken one is a `slug_taken` conflict.
    pub slug: Slug,
    /// Display name, already checked with [`parse_name`].
    pub name: String,
    /// What kind of company it is (decides, e.g., whether it takes lab orders).
    pub kind: TenantKind,
    /// The plan it starts on; `None` for the lowest-ranked plan. One that does not exist is an
    /// invalid `plan`.
    pub plan: Option<PlanSlug>,
}

/// Changes to a tenant; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct TenantPatch {
    /// New display name, already checked with [`parse_name`].
    pub name: Option<String>,
    /// New status: `suspended` stops the tenant's users and keys at once.
    pub status: Option<TenantStatus>,
    /// New plan, which decides the plugins the tenant may enable (the caller applies what the
    /// change means for its plugins: `ils_plugin_host::plans::update_tenant`).
    pub plan: Option<PlanSlug>,
}

/// A tenant's first administrator.
#[derive(Clone, Debug)]
pub struct FirstAdmin {
    /// E-mail address. An existing account is made admin and keeps its password.
    pub email: ils_kernel::input::Email,
    /// Display name (for a new account).
    pub name: String,
    /// Password (for a new account).
    pub password: Option<crate::auth::password::Password>,
}
