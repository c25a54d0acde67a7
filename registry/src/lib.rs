//! Plugin packages for ILS: the manifest every plugin ships, the package format, and the
//! content-addressed store the host installs packages into.
//!
//! A package is a manifest (`ils-plugin.toml`) plus a WebAssembly component, named by the
//! SHA-256 of a small descriptor that names both (see [`package`]). The [`Registry`] keeps
//! packages under one directory opened with `cap-std`. Publishers sign a package's digest
//! ([`signing`]); a reviewer reads what a new version asks for beyond the last approved one
//! ([`diff`]); the plugin host (`ils-host-api`) and the embedding application use
//! [`Manifest`] to decide what a plugin may do.
//!
//! ```
//! use ils_registry::{Manifest, Registry};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let manifest = r#"
//!     id = "hello"
//!     name = "Hello"
//!     version = "0.1.0"
//!     publisher = "Example Ltd"
//!     platform = "^0.2"
//!     provides = ["http"]
//! "#;
//! assert_eq!(Manifest::from_toml(manifest)?.id.as_str(), "hello");
//!
//! let dir = tempfile::tempdir()?;
//! let registry = Registry::open(dir.path(), &[semver::Version::new(0, 2, 0)])?;
//! // A component starts with the component-layer header; a real one comes from
//! // `cargo build --target wasm32-wasip2`.
//! let component = b"\0asm\x0d\x00\x01\x00";
//! let package = registry.install(manifest, component)?;
//! assert_eq!(registry.list()?, vec![package.record]);
//! # Ok(()) }
//! ```

pub mod diff;
pub mod manifest;
pub mod outbound;
pub mod package;
pub mod signing;
pub mod store;

pub use manifest::{
    Capability, ExtensionPoint, Manifest, ManifestError, ManifestLimits, Page, PageAction, PluginId,
    RecommendationKind, Schedule,
};
pub use outbound::{AllowedOrigin, OutboundHost};
pub use package::{Descriptor, Digest, PackageRecord};
pub use store::{Package, Registry, RegistryError};
