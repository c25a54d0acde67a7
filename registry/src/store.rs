//! The content-addressed package store, under one directory opened with `cap-std`: nothing a
//! package contains can name a path outside it.
//!
//! ```text
//! <root>/blobs/sha256/<hex>            manifest and component bytes, immutable
//! <root>/packages/<id>/<version>.json  a PackageRecord (descriptor, digest, signatures)
//! <root>/tmp/                          writes land here first, then are renamed into place
//! ```

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::Path;

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use semver::Version;

use crate::manifest::{Manifest, ManifestError, PluginId};
use crate::package::{Descriptor, Digest, FORMAT, PackageRecord};

/// The manifest's file name inside a package directory.
pub const MANIFEST_FILE: &str = "ils-plugin.toml";
/// The component's file name inside a package directory.
pub const COMPONENT_FILE: &str = "plugin.wasm";

/// The first eight bytes of a WebAssembly component (magic, then the component-layer version).
const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The manifest was refused.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The component file is not a WebAssembly component.
    #[error("not a WebAssembly component (a wasm32-wasip2 build produces one)")]
    NotAComponent,
    /// The plugin needs an `ils:platform` version this host does not run.
    #[error("plugin needs ils:platform {wanted}, this host runs {supported}")]
    UnsupportedPlatform {
        /// The manifest's range.
        wanted: String,
        /// The versions this host links.
        supported: String,
    },
    /// The same id and version is installed with different content; versions are immutable.
    #[error("{id} {version} is already installed with different content")]
    VersionConflict {
        /// Plugin id.
        id: PluginId,
        /// The version, already installed with different content.
        version: Version,
    },
    /// No such package.
    #[error("package {0} not found")]
    NotFound(String),
    /// A stored blob or record no longer matches its digest.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// File system failure.
    #[error("registry storage: {0}")]
    Io(#[from] std::io::Error),
}

/// A package with its parsed manifest.
#[derive(Debug, Clone)]
pub struct Package {
    /// What is stored.
    pub record: PackageRecord,
    /// The checked manifest.
    pub manifest: Manifest,
}

/// The package store.
pub struct Registry {
    root: Dir,
    platforms: Vec<Version>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("platforms", &self.platforms).finish_non_exhaustive()
    }
}

impl Registry {
    /// Opens (creating if needed) the store at `path`. `platforms` are the `ils:platform`
    /// versions the host links; packages needing none of them are refused.
    pub fn open(path: &Path, platforms: &[Version]) -> Result<Self, RegistryError> {
        std::fs::create_dir_all(path)?;
        let root = Dir::open_ambient_dir(path, ambient_authority())?;
        for dir in ["blobs/sha256", "packages", "tmp"] {
            root.create_dir_all(dir)?;
        }
        Ok(Self { root, platforms: platforms.to_vec() })
    }

    /// Installs a package directory holding `ils-plugin.toml` and `plugin.wasm`.
    pub fn install_from_path(&self, dir: &Path) -> Result<Package, RegistryError> {
        self.install_files(&dir.join(MANIFEST_FILE), &dir.join(COMPONENT_FILE))
    }

    /// Installs a package from a manifest file and a component file.
    pub fn install_files(&self, manifest: &Path, component: &Path) -> Result<Package, RegistryError> {
        let text = std::fs::read_to_string(manifest)?;
        let bytes = std::fs::read(component)?;
        self.install(&text, &bytes)
    }

    /// Installs a package from its manifest text and component bytes. Installing the same
    /// content again is a no-op; the same id and version with other content is refused.
    pub fn install(&self, manifest_text: &str, component: &[u8]) -> Result<Package, RegistryError> {
        let manifest = Manifest::from_toml(manifest_text)?;
        if !component.starts_with(&COMPONENT_HEADER) {
            return Err(RegistryError::NotAComponent);
        }
        if !self.platforms.iter().any(|v| manifest.platform.matches(v)) {
            let supported = self.platforms.iter().map(Version::to_string).collect::<Vec<_>>().join(", ");
            return Err(RegistryError::UnsupportedPlatform {
                wanted: manifest.platform.to_string(),
                supported,
            });
        }
        let descriptor = Descriptor {
            format: FORMAT,
            id: manifest.id.clone(),
            version: manifest.version.clone(),
            manifest: self.put_blob(manifest_text.as_bytes())?,
            component: self.put_blob(component)?,
        };
        let record = PackageRecord { digest: descriptor.digest(), descriptor, signatures: Vec::new() };
        let path = record_path(&manifest.id, &manifest.version);
        match self.read_record(&path) {
            Ok(existing) if existing.digest == record.digest => {}
            Ok(_) => {
                return Err(RegistryError::VersionConflict { id: manifest.id, version: manifest.version });
            }
            Err(RegistryError::NotFound(_)) => {
                self.root.create_dir_all(format!("packages/{}", manifest.id))?;
                let json = serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?;
                self.write_atomic(&path, &json)?;
            }
            Err(e) => return Err(e),
        }
        Ok(Package { record, manifest })
    }

    /// Every installed package, by id then version.
    pub fn list(&self) -> Result<Vec<PackageRecord>, RegistryError> {
        let mut out = Vec::new();
        for plugin in self.root.read_dir("packages")? {
            let plugin = plugin?;
            let Some(id) = plugin.file_name().to_str().map(str::to_owned) else { continue };
            for version in self.root.read_dir(format!("packages/{id}"))? {
                let name = version?.file_name();
                if let Some(name) = name.to_str().filter(|n| n.ends_with(".json")) {
                    out.push(self.read_record(&format!("packages/{id}/{name}"))?);
                }
            }
        }
        out.sort_by(|a, b| {
            (&a.descriptor.id, &a.descriptor.version).cmp(&(&b.descriptor.id, &b.descriptor.version))
        });
        Ok(out)
    }

    /// One installed package.
    pub fn get(&self, id: &PluginId, version: &Version) -> Result<Package, RegistryError> {
        let record = self.read_record(&record_path(id, version))?;
        let text = String::from_utf8(self.blob(&record.descriptor.manifest)?)
            .map_err(|_| RegistryError::Corrupt(format!("manifest of {id} {version} is not UTF-8")))?;
        Ok(Package { record, manifest: Manifest::from_toml(&text)? })
    }

    /// The component bytes of a package, checked against its digest.
    pub fn component(&self, package: &Package) -> Result<Vec<u8>, RegistryError> {
        self.blob(&package.record.descriptor.component)
    }

    /// Removes a package; blobs no other package uses are deleted.
    pub fn remove(&self, id: &PluginId, version: &Version) -> Result<(), RegistryError> {
        let path = record_path(id, version);
        match self.root.remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(RegistryError::NotFound(format!("{id} {version}")));
            }
            Err(e) => return Err(e.into()),
        }
        let live: BTreeSet<String> = self
            .list()?
            .iter()
            .flat_map(|r| [r.descriptor.manifest.hex(), r.descriptor.component.hex()])
            .collect();
        for blob in self.root.read_dir("blobs/sha256")? {
            let name = blob?.file_name();
            if let Some(name) = name.to_str().filter(|n| !live.contains(*n)) {
                self.root.remove_file(format!("blobs/sha256/{name}"))?;
            }
        }
        Ok(())
    }

    /// The package whose digest is `digest`, if installed. Looks through every record: meant
    /// for loading a version once per process, not for a hot path.
    pub fn find(&self, digest: &Digest) -> Result<Option<PackageRecord>, RegistryError> {
        Ok(self.list()?.into_iter().find(|r| r.digest == *digest))
    }

    /// A stored blob (a manifest's or a component's bytes), checked against its digest.
    pub fn blob(&self, digest: &Digest) -> Result<Vec<u8>, RegistryError> {
        let bytes = match self.root.read(format!("blobs/sha256/{}", digest.hex())) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(RegistryError::Corrupt(format!("missing blob {digest}")));
            }
            Err(e) => return Err(e.into()),
        };
        if Digest::of(&bytes) != *digest {
            return Err(RegistryError::Corrupt(format!("blob {digest} does not match its digest")));
        }
        Ok(bytes)
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<Digest, RegistryError> {
        let digest = Digest::of(bytes);
        let path = format!("blobs/sha256/{}", digest.hex());
        if !self.root.try_exists(&path)? {
            self.write_atomic(&path, bytes)?;
        }
        Ok(digest)
    }

    fn read_record(&self, path: &str) -> Result<PackageRecord, RegistryError> {
        let bytes = match self.root.read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(RegistryError::NotFound(path.to_string()));
            }
            Err(e) => return Err(e.into()),
        };
        let record: PackageRecord =
            serde_json::from_slice(&bytes).map_err(|e| RegistryError::Corrupt(format!("{path}: {e}")))?;
        if record.descriptor.digest() != record.digest {
            return Err(RegistryError::Corrupt(format!("{path}: digest does not match the descriptor")));
        }
        Ok(record)
    }

    fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<(), RegistryError> {
        let tmp = format!("tmp/{}", Digest::of(path.as_bytes()).hex());
        self.root.write(&tmp, bytes)?;
        self.root.rename(&tmp, &self.root, path)?;
        Ok(())
    }
}

fn record_path(id: &PluginId, version: &Version) -> String {
    format!("packages/{id}/{version}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
id = "demo"
name = "Demo"
version = "1.0.0"
publisher = "Test"
platform = "^0.2"
provides = ["http"]
"#;

    fn component(body: &[u8]) -> Vec<u8> {
        [&COMPONENT_HEADER[..], body].concat()
    }

    fn registry() -> (tempfile::TempDir, Registry) {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(dir.path(), &[Version::new(0, 1, 0), Version::new(0, 2, 0)]).unwrap();
        (dir, reg)
    }

    #[test]
    fn install_list_get_and_remove() {
        let (_dir, reg) = registry();
        let pkg = reg.install(MANIFEST, &component(b"one")).unwrap();
        assert_eq!(pkg.manifest.id.as_str(), "demo");
        let v2 = MANIFEST.replace("1.0.0", "1.1.0");
        reg.install(&v2, &component(b"two")).unwrap();
        let listed: Vec<String> =
            reg.list().unwrap().iter().map(|r| r.descriptor.version.to_string()).collect();
        assert_eq!(listed, ["1.0.0", "1.1.0"]);

        let got = reg.get(&pkg.manifest.id, &Version::new(1, 0, 0)).unwrap();
        assert_eq!(got.record, pkg.record);
        assert_eq!(reg.component(&got).unwrap(), component(b"one"));

        reg.remove(&pkg.manifest.id, &Version::new(1, 0, 0)).unwrap();
        assert_eq!(reg.list().unwrap().len(), 1);
        assert!(matches!(reg.get(&pkg.manifest.id, &Version::new(1, 0, 0)), Err(RegistryError::NotFound(_))));
        assert!(matches!(
            reg.remove(&pkg.manifest.id, &Version::new(1, 0, 0)),
            Err(RegistryError::NotFound(_))
        ));
        // The removed version's component blob is gone, the other one is still readable.
        let blobs = reg.root.read_dir("blobs/sha256").unwrap().count();
        assert_eq!(blobs, 2);
        let v = reg.get(&pkg.manifest.id, &Version::new(1, 1, 0)).unwrap();
        assert_eq!(reg.component(&v).unwrap(), component(b"two"));
    }

    #[test]
    fn versions_are_immutable_but_reinstall_is_idempotent() {
        let (_dir, reg) = registry();
        let a = reg.install(MANIFEST, &component(b"one")).unwrap();
        let again = reg.install(MANIFEST, &component(b"one")).unwrap();
        assert_eq!(a.record.digest, again.record.digest);
        let err = reg.install(MANIFEST, &component(b"changed")).unwrap_err();
        assert!(matches!(err, RegistryError::VersionConflict { .. }), "{err}");
    }

    #[test]
    fn refuses_what_the_host_cannot_run() {
        let (_dir, reg) = registry();
        let err = reg.install(&MANIFEST.replace("^0.2", "^0.3"), &component(b"x")).unwrap_err();
        assert!(err.to_string().contains("ils:platform ^0.3"), "{err}");
        let err = reg.install(MANIFEST, b"\0asm\x01\0\0\0").unwrap_err();
        assert!(matches!(err, RegistryError::NotAComponent));
    }

    #[test]
    fn tampered_blobs_are_detected() {
        let (_dir, reg) = registry();
        let pkg = reg.install(MANIFEST, &component(b"one")).unwrap();
        let path = format!("blobs/sha256/{}", pkg.record.descriptor.component.hex());
        reg.root.write(&path, component(b"evil")).unwrap();
        assert!(matches!(reg.component(&pkg), Err(RegistryError::Corrupt(_))));
    }

    #[test]
    fn a_package_is_found_by_its_digest() {
        let (_dir, reg) = registry();
        let pkg = reg.install(MANIFEST, &component(b"one")).unwrap();
        let found = reg.find(&pkg.record.digest).unwrap().expect("installed");
        assert_eq!(found, pkg.record);
        assert_eq!(reg.blob(&found.descriptor.manifest).unwrap(), MANIFEST.as_bytes());
        assert_eq!(reg.find(&Digest::of(b"another")).unwrap(), None);
    }

    #[test]
    fn installs_from_a_package_directory() {
        let (_dir, reg) = registry();
        let src = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join(MANIFEST_FILE), MANIFEST).unwrap();
        std::fs::write(src.path().join(COMPONENT_FILE), component(b"dir")).unwrap();
        let pkg = reg.install_from_path(src.path()).unwrap();
        assert_eq!(reg.component(&pkg).unwrap(), component(b"dir"));
    }
}
