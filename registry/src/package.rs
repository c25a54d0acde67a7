//! The package format: what a plugin package is, and how it is named by its content.
//!
//! A package is two blobs, its manifest (`ils-plugin.toml`, UTF-8 TOML) and its component
//! (a `wasm32-wasip2` WebAssembly component), plus a small **descriptor** that names both by
//! SHA-256:
//!
//! ```json
//! {"format":1,"id":"order-notes","version":"0.1.0",
//!  "manifest":"sha256:…","component":"sha256:…"}
//! ```
//!
//! The package's digest is the SHA-256 of the descriptor's canonical JSON (keys in that order,
//! no spaces). Signatures (ed25519, later) sign that digest, so one signature covers manifest
//! and component; review records and yanks refer to it too. The stored [`PackageRecord`] keeps
//! the descriptor, its digest, and a list of signatures that is empty until publishing exists.

use semver::Version;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::manifest::PluginId;

/// The descriptor format this crate writes.
pub const FORMAT: u32 = 1;

/// A SHA-256 digest, written `sha256:<64 hex digits>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest([u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// The 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl TryFrom<String> for Digest {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        let hex = text.strip_prefix("sha256:").ok_or_else(|| format!("{text:?} is not sha256:<hex>"))?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex, &mut bytes).map_err(|e| format!("{text:?}: {e}"))?;
        Ok(Self(bytes))
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> Self {
        d.to_string()
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

/// What a package is made of; its canonical JSON is what the package digest covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    /// Descriptor format, [`FORMAT`].
    pub format: u32,
    /// The plugin's id.
    pub id: PluginId,
    /// The plugin's version.
    pub version: Version,
    /// Digest of the manifest bytes.
    pub manifest: Digest,
    /// Digest of the component bytes.
    pub component: Digest,
}

impl Descriptor {
    /// The descriptor of a package made of `manifest_text` (which parsed as `manifest`) and
    /// `component`: what its digest, and so a publisher's signature, covers.
    pub fn of_package(manifest: &crate::Manifest, manifest_text: &str, component: &[u8]) -> Self {
        Self {
            format: FORMAT,
            id: manifest.id.clone(),
            version: manifest.version.clone(),
            manifest: Digest::of(manifest_text.as_bytes()),
            component: Digest::of(component),
        }
    }

    /// The package digest: SHA-256 of the canonical JSON of the descriptor.
    pub fn digest(&self) -> Digest {
        // Struct fields serialize in declaration order and serde_json writes no spaces: canonical.
        let json = serde_json::to_vec(self).expect("a descriptor always serializes");
        Digest::of(&json)
    }
}

/// A publisher's signature over a package digest ([`crate::signing`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Signature algorithm; `ed25519` is the only one planned.
    pub algorithm: String,
    /// The signing key's id (publisher key fingerprint).
    pub key_id: String,
    /// The signature, hex.
    pub signature: String,
}

/// A package as the registry stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRecord {
    /// What the package is made of; `digest` is computed from it.
    pub descriptor: Descriptor,
    /// `descriptor.digest()`, kept for lookups and checked on every read.
    pub digest: Digest,
    /// Publisher signatures over `digest` (empty until publishing exists).
    #[serde(default)]
    pub signatures: Vec<Signature>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_round_trip_and_are_content_addressed() {
        let d = Digest::of(b"abc");
        assert_eq!(d.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let text = d.to_string();
        assert_eq!(Digest::try_from(text).unwrap(), d);
        assert!(Digest::try_from("md5:00".to_string()).is_err());
        assert!(Digest::try_from("sha256:zz".to_string()).is_err());
    }

    #[test]
    fn the_package_digest_covers_manifest_and_component() {
        let id = PluginId::new("demo").unwrap();
        let a = Descriptor {
            format: FORMAT,
            id,
            version: Version::new(1, 0, 0),
            manifest: Digest::of(b"m"),
            component: Digest::of(b"c"),
        };
        let mut b = a.clone();
        b.component = Digest::of(b"c2");
        assert_ne!(a.digest(), b.digest());
        assert_eq!(a.digest(), a.clone().digest());
    }
}
