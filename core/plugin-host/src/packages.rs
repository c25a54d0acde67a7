//! Where plugin packages live, and how one gets there.
//!
//! A package is two files, its manifest and its component, named by the package digest
//! (`ils_registry::package`). [`PackageStore`] keeps them by that digest; [`DatabaseStore`]
//! (the default) keeps them in the `plugin_packages` table, so every node on one database reads
//! the same packages with no shared disk, and [`DirStore`] keeps them in a registry directory
//! (docs/adr/020-packages-in-the-database.md). A node compiles what it reads into its own cache.
//!
//! [`Plugins::check_and_store`] is the one way in: the host compiles and checks the component
//! against its manifest before anything is stored.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use ils_host_api::PluginVersion;
use ils_registry::package::FORMAT;
use ils_registry::{Descriptor, Digest, Manifest, PackageRecord, PluginId, Registry, RegistryError};
use semver::Version;

use crate::{PackageStorage, Plugins, PluginsConfig};
use ils_kernel::error::{Error, Result};
use ils_storage::types::Timestamp;
use ils_storage::{Db, execute, on_conn};

/// A package's two files, as a store keeps them.
#[derive(Clone, PartialEq, Eq)]
pub struct PackageFiles {
    /// The manifest (`ils-plugin.toml`), as written.
    pub manifest_text: String,
    /// The WebAssembly component (`plugin.wasm`).
    pub component: Vec<u8>,
}

impl std::fmt::Debug for PackageFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageFiles")
            .field("manifest_bytes", &self.manifest_text.len())
            .field("component_bytes", &self.component.len())
            .finish()
    }
}

impl PackageFiles {
    /// The record of these files as the package `id` `version`: its digest covers the id, the
    /// version and the bytes of both files.
    pub fn record(&self, id: &PluginId, version: &Version) -> PackageRecord {
        let descriptor = Descriptor {
            format: FORMAT,
            id: id.clone(),
            version: version.clone(),
            manifest: Digest::of(self.manifest_text.as_bytes()),
            component: Digest::of(&self.component),
        };
        PackageRecord { digest: descriptor.digest(), descriptor, signatures: Vec::new() }
    }

    /// The package's size in bytes: manifest plus component.
    pub fn size(&self) -> u64 {
        (self.manifest_text.len() + self.component.len()) as u64
    }
}

/// Where packages are kept, by digest. A version is immutable: a store refuses another
/// package with the id and version of one it holds.
#[async_trait]
pub trait PackageStore: Send + Sync + std::fmt::Debug {
    /// Stores `files` as the package `record` describes (`record` is `files.record(..)`).
    /// Storing the same package again changes nothing; another package with the same id and
    /// version is `version_exists` (409).
    async fn put(&self, record: &PackageRecord, files: &PackageFiles) -> Result<()>;

    /// The files of the package `digest` names, as stored, or `None`. Not checked: whoever
    /// runs them computes the digest of what was read ([`PackageFiles::record`]).
    async fn get(&self, digest: &Digest) -> Result<Option<PackageFiles>>;

    /// The digest of the package stored as `id` `version`, if any.
    async fn digest_of(&self, id: &PluginId, version: &Version) -> Result<Option<Digest>>;
}

/// The refusal of a version that is stored with other content.
fn version_exists(id: &PluginId, version: &Version) -> Error {
    Error::conflict(
        "version_exists",
        format!("{id} {version} is already stored with other content; give the new build a new version"),
    )
}

/// A package refused before it was stored (`invalid_package`, 422).
pub(crate) fn invalid_package(message: impl Into<String>) -> Error {
    Error::Invalid { code: "invalid_package", message: message.into(), fields: Vec::new() }
}

/// Packages in the database's `plugin_packages` table (the default store).
#[derive(Clone, Debug)]
pub struct DatabaseStore {
    db: Db,
}

impl DatabaseStore {
    /// The store in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl PackageStore for DatabaseStore {
    async fn put(&self, record: &PackageRecord, files: &PackageFiles) -> Result<()> {
        // Either constraint (digest, or plugin and version) makes the insert do nothing; the
        // stored digest of the version then tells the same package from another one.
        const INSERT: &str =
            "INSERT INTO plugin_packages (digest, plugin_id, version, manifest, component, size, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
        let (id, version) = (&record.descriptor.id, &record.descriptor.version);
        let size = i64::try_from(files.size()).map_err(|_| invalid_package("the package is too large"))?;
        let mut tx = self.db.system().await?;
        let inserted = execute!(
            tx.conn(),
            INSERT,
            record.digest.hex(),
            id.as_str(),
            version.to_string(),
            files.manifest_text.as_str(),
            files.component.as_slice(),
            size,
            Timestamp::now()
        )?;
        if inserted == 0 {
            let stored = stored_digest(tx.conn(), id, version).await?;
            if stored.as_deref() != Some(record.digest.hex().as_str()) {
                return Err(version_exists(id, version));
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get(&self, digest: &Digest) -> Result<Option<PackageFiles>> {
        const SQL: &str = "SELECT manifest, component FROM plugin_packages WHERE digest = $1";
        let mut tx = self.db.system_read().await?;
        let row: Option<(String, Vec<u8>)> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
            .bind(digest.hex())
            .fetch_optional(&mut **c)
            .await)?;
        tx.commit().await?;
        Ok(row.map(|(manifest_text, component)| PackageFiles { manifest_text, component }))
    }

    async fn digest_of(&self, id: &PluginId, version: &Version) -> Result<Option<Digest>> {
        let mut tx = self.db.system_read().await?;
        let stored = stored_digest(tx.conn(), id, version).await?;
        tx.commit().await?;
        stored.map(|hex| Digest::try_from(format!("sha256:{hex}")).map_err(Error::Internal)).transpose()
    }
}

async fn stored_digest(
    conn: &mut ils_storage::Conn,
    id: &PluginId,
    version: &Version,
) -> Result<Option<String>> {
    const SQL: &str = "SELECT digest FROM plugin_packages WHERE plugin_id = $1 AND version = $2";
    Ok(on_conn!(conn, c => sqlx::query_scalar(SQL)
        .bind(id.as_str())
        .bind(version.to_string())
        .fetch_optional(&mut **c)
        .await)?)
}

/// Packages in a registry directory (`ils_registry::Registry`, content-addressed, opened with
/// `cap-std`).
#[derive(Clone, Debug)]
pub struct DirStore {
    registry: Arc<Registry>,
}

impl DirStore {
    /// Opens (creating if needed) the store at `path`; `platforms` are the `ils:platform`
    /// versions this host links.
    pub fn open(path: &Path, platforms: &[Version]) -> Result<Self> {
        let registry = Registry::open(path, platforms)
            .map_err(|e| Error::Internal(format!("package store at {}: {e}", path.display())))?;
        Ok(Self { registry: Arc::new(registry) })
    }

    /// Runs `f` on the registry on a blocking thread (it reads and writes files).
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Registry) -> Result<T, RegistryError> + Send + 'static,
    ) -> Result<T, RegistryError> {
        let registry = self.registry.clone();
        tokio::task::spawn_blocking(move || f(&registry))
            .await
            .unwrap_or_else(|e| Err(RegistryError::Io(std::io::Error::other(e))))
    }
}

fn store_error(e: RegistryError) -> Error {
    match e {
        RegistryError::VersionConflict { id, version } => version_exists(&id, &version),
        e @ (RegistryError::Manifest(_)
        | RegistryError::NotAComponent
        | RegistryError::UnsupportedPlatform { .. }) => invalid_package(e.to_string()),
        other => Error::Internal(format!("package store: {other}")),
    }
}

#[async_trait]
impl PackageStore for DirStore {
    async fn put(&self, record: &PackageRecord, files: &PackageFiles) -> Result<()> {
        let (files, digest) = (files.clone(), record.digest.clone());
        let stored = self
            .with(move |r| r.install(&files.manifest_text, &files.component))
            .await
            .map_err(store_error)?;
        if stored.record.digest != digest {
            return Err(Error::Internal(format!(
                "package store: stored as {}, expected {digest}",
                stored.record.digest
            )));
        }
        Ok(())
    }

    async fn get(&self, digest: &Digest) -> Result<Option<PackageFiles>> {
        let digest = digest.clone();
        self.with(move |r| {
            let Some(record) = r.find(&digest)? else { return Ok(None) };
            let manifest = r.blob(&record.descriptor.manifest)?;
            let manifest_text = String::from_utf8(manifest)
                .map_err(|_| RegistryError::Corrupt(format!("the manifest of {digest} is not UTF-8")))?;
            Ok(Some(PackageFiles { manifest_text, component: r.blob(&record.descriptor.component)? }))
        })
        .await
        .map_err(|e| Error::Unavailable(format!("package store: {e}")))
    }

    async fn digest_of(&self, id: &PluginId, version: &Version) -> Result<Option<Digest>> {
        let (id, version) = (id.clone(), version.clone());
        match self.with(move |r| r.get(&id, &version)).await {
            Ok(package) => Ok(Some(package.record.digest)),
            Err(RegistryError::NotFound(_)) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }
}

/// The store a process uses, and the registry directory of an installation from before
/// packages moved into the store.
#[derive(Debug)]
pub(crate) struct Packages {
    store: Arc<dyn PackageStore>,
    legacy: Option<PathBuf>,
}

impl Packages {
    /// The store `config` names.
    pub(crate) fn open(db: &Db, config: &PluginsConfig) -> Result<Self> {
        let platforms = ils_host_api::PluginHost::supported_platforms();
        let (store, legacy): (Arc<dyn PackageStore>, _) = match &config.store {
            PackageStorage::Database => (Arc::new(DatabaseStore::new(db.clone())), Some(config.dir.clone())),
            PackageStorage::Dir(path) => {
                let legacy = (*path != config.dir).then(|| config.dir.clone());
                (Arc::new(DirStore::open(path, &platforms)?), legacy)
            }
        };
        Ok(Self { store, legacy })
    }

    pub(crate) fn store(&self) -> &dyn PackageStore {
        self.store.as_ref()
    }

    /// The files of `id` `version`, which the catalogue names by `digest`: from the store, or
    /// else copied into it from the old registry directory. `Err` says why not, in words.
    pub(crate) async fn fetch(
        &self,
        id: &PluginId,
        version: &Version,
        digest: &Digest,
    ) -> Result<PackageFiles, String> {
        let files = match self.store.get(digest).await.map_err(words)? {
            Some(files) => files,
            None => self.import(id, version, digest).await?,
        };
        let read = files.record(id, version).digest;
        if read != *digest {
            return Err(format!(
                "the stored package's digest {read} does not match the catalogue's {digest}: its bytes were changed"
            ));
        }
        Ok(files)
    }

    /// Copies a package from the registry directory of an installation from before migration
    /// 0012 into the store.
    async fn import(
        &self,
        id: &PluginId,
        version: &Version,
        digest: &Digest,
    ) -> Result<PackageFiles, String> {
        let missing = || format!("the package store has no package {digest}");
        let Some(dir) = self.legacy.clone().filter(|d| d.is_dir()) else { return Err(missing()) };
        let (key, want) = ((id.clone(), version.clone()), digest.clone());
        let from = dir.clone();
        let found = tokio::task::spawn_blocking(move || -> Result<Option<PackageFiles>, RegistryError> {
            let registry = Registry::open(&from, &ils_host_api::PluginHost::supported_platforms())?;
            let package = match registry.get(&key.0, &key.1) {
                Ok(p) if p.record.digest == want => p,
                Ok(_) | Err(RegistryError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e),
            };
            let manifest_text = String::from_utf8(registry.blob(&package.record.descriptor.manifest)?)
                .map_err(|_| RegistryError::Corrupt("manifest is not UTF-8".into()))?;
            let component = registry.blob(&package.record.descriptor.component)?;
            Ok(Some(PackageFiles { manifest_text, component }))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{}: {e}", dir.display()))?;
        let Some(files) = found else { return Err(missing()) };
        // The bytes are checked against the catalogue by the caller either way; a copy that fails
        // (SQLite's one writer busy with the caller's transaction) is tried again on the next load.
        match self.store.put(&files.record(id, version), &files).await {
            Ok(()) => {
                tracing::info!(plugin = %id, %version, %digest, from = %dir.display(), "package imported into the package store")
            }
            Err(error) => {
                tracing::warn!(plugin = %id, %version, %digest, from = %dir.display(), %error, "package read from the old registry directory, not yet copied into the package store")
            }
        }
        Ok(files)
    }
}

/// A store's failure in words, without the prefix of the error's kind.
fn words(e: Error) -> String {
    match e {
        Error::Unavailable(why) | Error::Internal(why) => why,
        other => other.to_string(),
    }
}

/// What [`Plugins::check_and_store`] produced.
#[derive(Debug)]
pub struct Stored {
    /// The package's record: descriptor, digest, (no) signatures.
    pub record: PackageRecord,
    /// The manifest, parsed.
    pub manifest: Manifest,
    /// The manifest as it was written (what the digest covers).
    pub manifest_text: String,
    /// The component, compiled and checked by this node's host.
    pub version: PluginVersion,
    /// Bytes of the package: manifest plus component.
    pub size: u64,
}

impl Plugins {
    /// The package store this process uses.
    pub async fn packages(&self) -> Result<&dyn PackageStore> {
        Ok(self.package_source().await?.store())
    }

    /// Parses the manifest, compiles and checks the component with the host (refusing what the
    /// host refuses, as `invalid_package`), and stores the package; idempotent for the same
    /// bytes; `version_exists` (409) when the (id, version) is stored with other content.
    pub async fn check_and_store(&self, manifest_text: &str, component: &[u8]) -> Result<Stored> {
        let manifest = Manifest::from_toml(manifest_text)
            .map_err(|e| invalid_package(format!("{}: {e}", ils_registry::store::MANIFEST_FILE)))?;
        let files = PackageFiles { manifest_text: manifest_text.to_owned(), component: component.to_vec() };
        let record = files.record(&manifest.id, &manifest.version);
        let store = self.packages().await?;
        // Checked before compiling as well as by `put`: the refusal a publisher needs first.
        if store.digest_of(&manifest.id, &manifest.version).await?.is_some_and(|d| d != record.digest) {
            return Err(version_exists(&manifest.id, &manifest.version));
        }
        let version = self
            .host()
            .await?
            .install(component, manifest.clone())
            .await
            .map_err(|e| invalid_package(format!("the plugin host refused the component: {e}")))?;
        store.put(&record, &files).await?;
        Ok(Stored { size: files.size(), record, manifest, manifest_text: files.manifest_text, version })
    }
}
