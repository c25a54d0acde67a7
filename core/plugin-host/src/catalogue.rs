//! The catalogue: the plugin versions this installation offers its tenants, to the plans that
//! include each plugin (`crate::plans`). A platform admin adds a package (`ils plugin install`): it is compiled and checked by
//! the host (a component importing anything its manifest does not declare is refused), goes into
//! the package store, and is included in the plans from the one named up.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use ils_registry::store::{COMPONENT_FILE, MANIFEST_FILE};
use ils_registry::{Manifest, PluginId};
use semver::Version;
use serde::Serialize;

use crate::packages::invalid_package;
use crate::store::{self, CatalogueRow, EnablementRow};
use crate::{Breaker, CatalogueEntry, Enablement, Plugins, version_info};
use ils_kernel::audit::AuditCtx;
use ils_kernel::error::{Error, Result};
use ils_storage::types::Timestamp;
use ils_storage::{Db, TenantTx, query};
use ils_tenancy::tenants::PlanSlug;

/// The plan of the transaction's tenant, whose plugins it may enable.
pub async fn tenant_plan(tx: &mut TenantTx) -> Result<PlanSlug> {
    const SQL: &str = "SELECT plan FROM tenants WHERE id = $1";
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_scalar, fetch_one, SQL, tenant)?)
}

/// A package the catalogue now offers.
#[derive(Clone, Debug, Serialize)]
pub struct Added {
    /// Plugin id.
    pub id: String,
    /// Version.
    pub version: String,
    /// SHA-256 of the package.
    pub digest: String,
    /// The plan it is offered from: the plugin is included in it and every plan above.
    pub min_plan: PlanSlug,
}

/// Adds the package in `dir` (`ils-plugin.toml` and `plugin.wasm`) to the package store
/// ([`Plugins::check_and_store`]) and offers it from `min_plan` up: the plugin is included in
/// that plan and every plan ranked above it ([`crate::plans::include_from`]). Adding the same
/// package again only changes its recorded plan (and includes it in more plans, never fewer);
/// the same version with other content is refused (`version_exists`).
pub async fn add(db: &Db, plugins: &Plugins, dir: &Path, min_plan: &PlanSlug) -> Result<Added> {
    // Each file is read once: the store keeps these bytes and the host checks the same ones.
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| invalid_package(format!("{}: {e}", path.display())))
    };
    let manifest_text = String::from_utf8(read(MANIFEST_FILE)?)
        .map_err(|_| invalid_package(format!("{MANIFEST_FILE} is not UTF-8")))?;
    let stored = plugins.check_and_store(&manifest_text, &read(COMPONENT_FILE)?).await?;
    let row = CatalogueRow {
        plugin_id: stored.manifest.id.to_string(),
        version: stored.manifest.version.to_string(),
        digest: stored.record.digest.hex(),
        manifest: stored.manifest_text,
        min_plan: min_plan.clone(),
        yanked_at: None,
        yank_reason: None,
    };
    let mut tx = db.system().await?;
    crate::plans::require(&mut tx, "plan", min_plan).await?;
    if !store::catalogue_put(tx.conn(), &row).await? {
        return Err(Error::conflict(
            "version_exists",
            format!("{} {} is already in the catalogue with other content", row.plugin_id, row.version),
        ));
    }
    crate::plans::include_from(&mut tx, &AuditCtx::system(), min_plan, &row.plugin_id).await?;
    tx.commit().await?;
    Ok(Added { id: row.plugin_id, version: row.version, digest: row.digest, min_plan: row.min_plan })
}

/// One catalogue version, parsed.
#[derive(Debug)]
pub struct Offered {
    /// The catalogue row.
    pub row: CatalogueRow,
    /// Its manifest, parsed.
    pub manifest: Manifest,
}

/// The versions of `plugin` in the catalogue, newest first; one whose manifest no longer parses
/// is logged and left out.
pub async fn versions_of(tx: &mut TenantTx, plugin: &str) -> Result<Vec<Offered>> {
    let rows = store::catalogue_of(tx.conn(), plugin).await?;
    Ok(parse_sorted(rows))
}

fn parse_sorted(rows: Vec<CatalogueRow>) -> Vec<Offered> {
    let mut out: Vec<Offered> = rows
        .into_iter()
        .filter_map(|row| match Manifest::from_toml(&row.manifest) {
            Ok(manifest) => Some(Offered { row, manifest }),
            Err(error) => {
                tracing::error!(plugin = %row.plugin_id, version = %row.version, %error, "catalogue manifest unreadable");
                None
            }
        })
        .collect();
    out.sort_by(|a, b| b.manifest.version.cmp(&a.manifest.version));
    out
}

/// An enablement as a tenant sees it, its breaker's state read at this moment.
pub fn enablement_view(row: &EnablementRow) -> Enablement {
    let failures = u32::try_from(row.failures).unwrap_or(0);
    Enablement {
        plugin_id: row.plugin_id.clone(),
        version: row.version.clone(),
        track: row.track.clone(),
        yanked: row.yank_reason.clone(),
        enabled: row.enabled,
        disabled_by_plan: row.disabled_by_plan,
        capabilities: row.capabilities.split_whitespace().map(str::to_owned).collect(),
        enabled_at: row.enabled_at,
        updated_at: row.updated_at,
        breaker: Breaker {
            state: Breaker::at(Timestamp::now(), row.tripped_until),
            failures,
            open_until: row.tripped_until,
            last_error: row.last_error.clone(),
            last_error_at: row.last_error_at,
        },
    }
}

fn entry(
    id: &str,
    versions: &[Offered],
    included: bool,
    enablement: Option<&EnablementRow>,
) -> Option<CatalogueEntry> {
    // A yanked version is offered to no one new; the tenant on it still sees it.
    let on = enablement.map(|e| e.version.as_str());
    let versions: Vec<&Offered> =
        versions.iter().filter(|v| v.row.yanked_at.is_none() || on == Some(v.row.version.as_str())).collect();
    let newest = versions.first()?;
    Some(CatalogueEntry {
        id: id.to_owned(),
        name: newest.manifest.name.clone(),
        description: newest.manifest.description.clone(),
        publisher: newest.manifest.publisher.clone(),
        available: included && versions.iter().any(|v| v.row.yanked_at.is_none()),
        versions: versions.iter().map(|v| version_info(&v.manifest, &v.row)).collect(),
        enablement: enablement.map(enablement_view),
    })
}

/// The catalogue as the transaction's tenant sees it.
pub async fn entries(tx: &mut TenantTx) -> Result<Vec<CatalogueEntry>> {
    let plan = tenant_plan(tx).await?;
    let included: std::collections::HashSet<String> =
        crate::plans::plugins_of(tx.conn(), &plan).await?.into_iter().collect();
    let rows = store::catalogue_all(tx.conn()).await?;
    let enabled: HashMap<String, EnablementRow> =
        store::enablements(tx).await?.into_iter().map(|r| (r.plugin_id.clone(), r)).collect();
    let mut by_plugin: BTreeMap<String, Vec<CatalogueRow>> = BTreeMap::new();
    for row in rows {
        by_plugin.entry(row.plugin_id.clone()).or_default().push(row);
    }
    Ok(by_plugin
        .into_iter()
        .filter_map(|(id, rows)| entry(&id, &parse_sorted(rows), included.contains(&id), enabled.get(&id)))
        .collect())
}

/// One catalogue entry as the transaction's tenant sees it; `not_found` when the catalogue has
/// no version of `plugin`.
pub async fn entry_of(tx: &mut TenantTx, plugin: &str) -> Result<CatalogueEntry> {
    let plan = tenant_plan(tx).await?;
    let included = crate::plans::includes(tx.conn(), &plan, plugin).await?;
    let versions = versions_of(tx, plugin).await?;
    let enablement = store::enablement(tx, plugin).await?;
    entry(plugin, &versions, included, enablement.as_ref()).ok_or(Error::NotFound("plugin"))
}

/// Checks a plugin id from a path; an id that cannot exist is `not_found`, like an unknown one.
pub fn plugin_id(text: &str) -> Result<PluginId> {
    PluginId::new(text).map_err(|_| Error::NotFound("plugin"))
}

/// A semver range a tenant follows (`^1.2`, `~1.2.3`, `>=1.2, <2`), containing `version`.
pub fn track(text: &str, version: &Version) -> Result<semver::VersionReq> {
    let req = semver::VersionReq::parse(text.trim())
        .map_err(|e| Error::invalid_field("track", format!("{text:?} is not a semver range: {e}")))?;
    if !req.matches(version) {
        return Err(Error::invalid_field("track", format!("{req} does not contain the version {version}")));
    }
    Ok(req)
}

/// Checks a version from a request (`version` is the field an error names).
pub fn version(text: &str) -> Result<Version> {
    Version::parse(text)
        .map_err(|e| Error::invalid_field("version", format!("is not a semantic version: {e}")))
}

/// The whole catalogue as the platform sees it: every plugin with its versions and how many
/// tenants run it.
pub async fn platform_entries(conn: &mut ils_storage::Conn) -> Result<Vec<crate::PlatformEntry>> {
    let rows = store::catalogue_all(conn).await?;
    let mut enabled: HashMap<String, u32> = HashMap::new();
    for row in store::enabled_everywhere(conn).await? {
        *enabled.entry(row.plugin_id).or_default() += 1;
    }
    let mut by_plugin: BTreeMap<String, Vec<CatalogueRow>> = BTreeMap::new();
    for row in rows {
        by_plugin.entry(row.plugin_id.clone()).or_default().push(row);
    }
    Ok(by_plugin
        .into_iter()
        .filter_map(|(id, rows)| {
            let versions = parse_sorted(rows);
            let newest = versions.first()?;
            Some(crate::PlatformEntry {
                name: newest.manifest.name.clone(),
                publisher: newest.manifest.publisher.clone(),
                description: newest.manifest.description.clone(),
                versions: versions.iter().map(|v| version_info(&v.manifest, &v.row)).collect(),
                tenants_enabled: enabled.get(&id).copied().unwrap_or(0),
                id,
            })
        })
        .collect())
}
