//! Compiled components on disk, keyed by the component's SHA-256 and a digest of everything
//! that makes compiled code compatible with this engine (wasmtime version, target, flags,
//! tunables such as the memory reservation). Compilation happens at install, off the request
//! path; a restart loads the cached code instead of compiling again.

use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest as _, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::error::InstallError;

/// Feeds `Hash` output into SHA-256, so the key is stable across Rust releases.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        // Only `write` matters here; the digest is read with `finalize`.
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Where compiled components live.
#[derive(Debug, Clone)]
pub(crate) struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    /// A cache under `root`, in a subdirectory specific to this engine's configuration.
    pub(crate) fn new(root: &Path, engine: &Engine) -> std::io::Result<Self> {
        let mut h = Sha256Hasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut h);
        h.write(env!("CARGO_PKG_VERSION").as_bytes());
        let key = hex::encode(&h.0.finalize()[..12]);
        let dir = root.join(format!("engine-{key}"));
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// The component for `bytes`, from the cache or compiled now (and then cached).
    pub(crate) fn load_or_compile(&self, engine: &Engine, bytes: &[u8]) -> Result<Component, InstallError> {
        let path = self.dir.join(format!("{}.cwasm", hex::encode(Sha256::digest(bytes))));
        if path.exists() {
            match load(engine, &path) {
                Ok(c) => return Ok(c),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cached component unusable; recompiling")
                }
            }
        }
        let compiled =
            engine.precompile_component(bytes).map_err(|e| InstallError::Invalid(format!("{e:#}")))?;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let tmp = path.with_extension(format!(
            "tmp{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&tmp, &compiled)?;
        std::fs::rename(&tmp, &path)?;
        load(engine, &path).map_err(|e| InstallError::Invalid(format!("{e:#}")))
    }
}

/// Loads precompiled code.
#[allow(unsafe_code)]
fn load(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: `deserialize_file` trusts its input to be wasmtime's own output. Files in this
    // directory are written only by `load_or_compile` above, from `precompile_component` on an
    // engine with the same compatibility key (part of the directory name), and wasmtime checks
    // the version and configuration embedded in the file before using it. The directory is the
    // host's own, never inside the registry or reachable from a package.
    unsafe { Component::deserialize_file(engine, path) }
}
