//! `ils plugin build [PATH]`: the component, checked, as an installable package.
//!
//! 1. `ils-plugin.toml` must be a valid manifest for an `ils:platform` this host runs.
//! 2. `cargo build --target wasm32-wasip2 --profile plugin --lib` in the crate (the target is
//!    added with rustup when missing); `cargo metadata` says where the `.wasm` lands, so
//!    `CARGO_TARGET_DIR` and workspaces are honoured (`Output`, in the source, explains a shared one).
//! 3. The real [`PluginHost`] installs the component with the manifest: an import the manifest
//!    does not declare, or a platform the host does not run, fails the build.
//! 4. The package directory (`ils-plugin.toml` + `plugin.wasm`) is written and installed into a
//!    scratch [`Registry`], which is what `ils plugin install` does with it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::Args;
use ils_host_api::fakes::FakeServices;
use ils_host_api::{EngineConfig, HostConfig, PluginEngine, PluginHost, PluginVersion};
use ils_registry::store::{COMPONENT_FILE, MANIFEST_FILE};
use ils_registry::{Digest, Manifest, Registry};
use serde::Deserialize;

use crate::CliError;

/// The target plugins are built for.
pub const WASM_TARGET: &str = "wasm32-wasip2";
/// The cargo profile plugins are built with (the generated crate defines it).
pub const PROFILE: &str = "plugin";

/// What `ils plugin build` takes (the command's own help is on its variant in `ils-core`'s tree).
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The plugin crate: the directory holding Cargo.toml and ils-plugin.toml.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Where to write the package. Default: TARGET_DIR/ils-package/ID.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Runs `ils plugin build`: [`build`], then prints the summary and where the package is.
#[allow(clippy::print_stdout)]
pub async fn run(args: BuildArgs) -> Result<(), CliError> {
    let local = LocalHost::new()?;
    let built = build(&args.path, args.out.as_deref(), &local).await?;
    println!("{}", built.summary());
    println!("package: {}", built.package_dir.display());
    Ok(())
}

/// A built, checked and packaged plugin.
#[derive(Debug)]
pub struct Built {
    /// The crate directory, canonical, so scenario paths can be shown relative to it.
    pub crate_dir: PathBuf,
    /// The manifest, checked for a platform this host runs.
    pub manifest: Manifest,
    /// The component's bytes, as written to the package's `plugin.wasm`.
    pub component: Vec<u8>,
    /// Where `ils-plugin.toml` and `plugin.wasm` were written: what `ils plugin install` takes.
    pub package_dir: PathBuf,
    /// What the host made of it (platform, SDK stamp).
    pub installed: PluginVersion,
}

impl Built {
    /// One line: id, version, size, platform, SDK.
    pub fn summary(&self) -> String {
        format!(
            "built {} {} ({} KiB component, ils:platform {}, {}); checked by the plugin host",
            self.manifest.id,
            self.manifest.version,
            self.component.len().div_ceil(1024),
            self.installed.platform(),
            self.installed.sdk().unwrap_or("no SDK stamp"),
        )
    }
}

/// Builds the crate at `path`, checks the component with `local`'s host and writes the package
/// (to `out`, or `TARGET_DIR/ils-package/ID`).
pub async fn build(path: &Path, out: Option<&Path>, local: &LocalHost) -> Result<Built, CliError> {
    let crate_dir = path
        .canonicalize()
        .map_err(|e| CliError::usage(format!("cannot open the plugin crate {}: {e}", path.display())))?;
    let (manifest_text, manifest) = read_manifest(&crate_dir)?;
    ensure_wasm_target(&crate_dir)?;
    let metadata = Metadata::of(&crate_dir)?;
    let lib = metadata.cdylib(&crate_dir)?;
    let output = Output::new(&metadata.target_directory, &lib, &crate_dir);
    output.forget_if_foreign();
    let package_dir = match out {
        Some(dir) => dir.to_path_buf(),
        None => metadata.target_directory.join("ils-package").join(manifest.id.as_str()),
    };
    // A failed build leaves no package behind, so an older one cannot be installed by mistake.
    remove_package(&package_dir);
    cargo_build(&crate_dir)?;
    let component = output.read()?;
    let installed = local
        .host(&FakeServices::new())?
        .install(&component, manifest.clone())
        .await
        .map_err(|e| CliError::usage(format!("the plugin host refuses the component: {e}")))?;
    write_package(&package_dir, &manifest_text, &component)?;
    local.check_package(&package_dir)?;
    Ok(Built { crate_dir, manifest, component, package_dir, installed })
}

/// The crate's manifest, as text and checked, for a platform this host runs.
fn read_manifest(crate_dir: &Path) -> Result<(String, Manifest), CliError> {
    let path = crate_dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CliError::usage(format!(
            "cannot read {}: {e} (a plugin crate has its manifest beside Cargo.toml; `ils plugin new` \
             writes one)",
            path.display()
        ))
    })?;
    let manifest =
        Manifest::from_toml(&text).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    let platforms = PluginHost::supported_platforms();
    if !platforms.iter().any(|v| manifest.platform.matches(v)) {
        let runs = platforms.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        return Err(CliError::usage(format!(
            "{}: platform {} matches no ils:platform this host runs ({runs})",
            path.display(),
            manifest.platform
        )));
    }
    Ok((text, manifest))
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn spawn_error(program: &str, e: std::io::Error) -> CliError {
    CliError::usage(format!("cannot run {program}: {e} (is Rust installed? https://rustup.rs)"))
}

/// Makes sure the `wasm32-wasip2` standard library is installed, adding it with rustup if not.
fn ensure_wasm_target(crate_dir: &Path) -> Result<(), CliError> {
    let listed =
        Command::new("rustup").args(["target", "list", "--installed"]).current_dir(crate_dir).output();
    match listed {
        Ok(out) if out.status.success() => {
            if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == WASM_TARGET) {
                return Ok(());
            }
            eprintln!("the {WASM_TARGET} target is missing: running `rustup target add {WASM_TARGET}`");
            let added = Command::new("rustup")
                .args(["target", "add", WASM_TARGET])
                .current_dir(crate_dir)
                .status()
                .map_err(|e| spawn_error("rustup", e))?;
            if added.success() {
                Ok(())
            } else {
                Err(CliError::usage(format!("`rustup target add {WASM_TARGET}` failed ({added})")))
            }
        }
        // No rustup (a distribution's Rust): fine if that toolchain has the target.
        _ => {
            let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
            let libdir = Command::new(rustc)
                .args(["--print", "target-libdir", "--target", WASM_TARGET])
                .current_dir(crate_dir)
                .output()
                .map_err(|e| spawn_error("rustc", e))?;
            let dir = String::from_utf8_lossy(&libdir.stdout).trim().to_string();
            if libdir.status.success() && Path::new(&dir).is_dir() {
                Ok(())
            } else {
                Err(CliError::usage(format!(
                    "the {WASM_TARGET} target is not installed and rustup is not available to add it"
                )))
            }
        }
    }
}

/// `cargo build --target wasm32-wasip2 --profile plugin --lib`, output passed through.
fn cargo_build(crate_dir: &Path) -> Result<(), CliError> {
    let status = cargo()
        .args(["build", "--target", WASM_TARGET, "--profile", PROFILE, "--lib", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .current_dir(crate_dir)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| spawn_error("cargo", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(CliError::usage(format!("cargo build failed ({status}); see its output above")))
    }
}

/// What `cargo metadata --format-version 1 --no-deps` says, as far as the build needs it.
#[derive(Debug, Deserialize)]
struct Metadata {
    target_directory: PathBuf,
    packages: Vec<MetaPackage>,
}

#[derive(Debug, Deserialize)]
struct MetaPackage {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<MetaTarget>,
}

#[derive(Debug, Deserialize)]
struct MetaTarget {
    name: String,
    crate_types: Vec<String>,
}

impl Metadata {
    fn of(crate_dir: &Path) -> Result<Self, CliError> {
        let out = cargo()
            .args(["metadata", "--format-version", "1", "--no-deps", "--manifest-path"])
            .arg(crate_dir.join("Cargo.toml"))
            .current_dir(crate_dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| spawn_error("cargo", e))?;
        if !out.status.success() {
            return Err(CliError::usage(format!(
                "`cargo metadata` failed in {}: {}",
                crate_dir.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        serde_json::from_slice(&out.stdout)
            .map_err(|e| CliError::usage(format!("cannot read the output of `cargo metadata`: {e}")))
    }

    /// The name of the crate's `cdylib` target (what the `.wasm` file is called).
    fn cdylib(&self, crate_dir: &Path) -> Result<String, CliError> {
        let manifest = crate_dir.join("Cargo.toml");
        let package = self
            .packages
            .iter()
            .find(|p| p.manifest_path.canonicalize().is_ok_and(|p| p == manifest))
            .ok_or_else(|| {
                CliError::usage(format!("{} is not a package (a virtual workspace?)", manifest.display()))
            })?;
        package
            .targets
            .iter()
            .find(|t| t.crate_types.iter().any(|c| c == "cdylib"))
            .map(|t| t.name.replace('-', "_"))
            .ok_or_else(|| {
                CliError::usage(format!(
                    "package {} has no cdylib target: add `[lib] crate-type = [\"cdylib\", \"rlib\"]` to \
                     its Cargo.toml",
                    package.name
                ))
            })
    }
}

/// Where cargo puts the component, and which crate put it there.
///
/// Cargo names a `cdylib` without a hash, so another crate of the same name building into the
/// same target directory overwrites this one's `.wasm` while cargo still considers this crate
/// fresh: the build would package the other crate's component. So a marker beside the file
/// records the bytes and the crate of the last component `ils plugin build` took from there; when
/// the file no longer matches it, the file is removed and cargo rebuilds it from this crate.
struct Output {
    /// The uplifted component, `TARGET/wasm32-wasip2/plugin/LIB.wasm`.
    wasm: PathBuf,
    /// Cargo's own copy in `deps/`, which its freshness check looks at.
    deps_wasm: PathBuf,
    /// `LIB.wasm.ils-crate`: the component's digest and the crate directory.
    marker: PathBuf,
    /// What the marker should say about the current file for it to be this crate's.
    crate_dir: PathBuf,
}

impl Output {
    fn new(target_directory: &Path, lib: &str, crate_dir: &Path) -> Self {
        let dir = target_directory.join(WASM_TARGET).join(PROFILE);
        Self {
            wasm: dir.join(format!("{lib}.wasm")),
            deps_wasm: dir.join("deps").join(format!("{lib}.wasm")),
            marker: dir.join(format!("{lib}.wasm.ils-crate")),
            crate_dir: crate_dir.to_path_buf(),
        }
    }

    fn marker_text(&self, component: &[u8]) -> String {
        format!("{}\n{}\n", Digest::of(component).hex(), self.crate_dir.display())
    }

    /// Removes a component this crate's last `ils plugin build` did not produce.
    fn forget_if_foreign(&self) {
        let Ok(component) = std::fs::read(&self.wasm) else { return };
        let marker = std::fs::read_to_string(&self.marker).unwrap_or_default();
        if marker != self.marker_text(&component) {
            // Best effort: if a file cannot be removed, cargo reports the real problem.
            let _ = std::fs::remove_file(&self.deps_wasm);
            let _ = std::fs::remove_file(&self.wasm);
        }
    }

    /// The component cargo just built, recorded as this crate's.
    fn read(&self) -> Result<Vec<u8>, CliError> {
        let component = std::fs::read(&self.wasm).map_err(|e| {
            CliError::usage(format!(
                "cargo finished but the component {} cannot be read: {e}",
                self.wasm.display()
            ))
        })?;
        std::fs::write(&self.marker, self.marker_text(&component))
            .map_err(|e| CliError::usage(format!("cannot write {}: {e}", self.marker.display())))?;
        Ok(component)
    }
}

/// Removes the package files from `dir`, if there (best effort; the directory stays).
fn remove_package(dir: &Path) {
    for file in [MANIFEST_FILE, COMPONENT_FILE] {
        let _ = std::fs::remove_file(dir.join(file));
    }
}

/// Writes `ils-plugin.toml` and `plugin.wasm` into `dir`, replacing earlier ones.
fn write_package(dir: &Path, manifest: &str, component: &[u8]) -> Result<(), CliError> {
    let io =
        |path: &Path, e: std::io::Error| CliError::usage(format!("cannot write {}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let manifest_path = dir.join(MANIFEST_FILE);
    std::fs::write(&manifest_path, manifest).map_err(|e| io(&manifest_path, e))?;
    let component_path = dir.join(COMPONENT_FILE);
    std::fs::write(&component_path, component).map_err(|e| io(&component_path, e))?;
    Ok(())
}

/// A plugin host for one command: one engine, in-memory services, and a scratch directory for
/// the compile cache and a registry. Each [`LocalHost::host`] shares the compiled code.
#[derive(Debug)]
pub struct LocalHost {
    engine: PluginEngine,
    scratch: tempfile::TempDir,
}

impl LocalHost {
    /// A small engine (a few instances; the default per-plugin memory ceiling) and a scratch dir.
    pub fn new() -> Result<Self, CliError> {
        let engine = PluginEngine::new(EngineConfig::with_instances(8))
            .map_err(|e| CliError::usage(format!("cannot start the plugin engine: {e}")))?;
        let scratch = tempfile::Builder::new()
            .prefix("ils-plugin-")
            .tempdir()
            .map_err(|e| CliError::usage(format!("cannot create a scratch directory: {e}")))?;
        Ok(Self { engine, scratch })
    }

    /// A host over `services`, with private networks closed as in production.
    pub fn host(&self, services: &FakeServices) -> Result<PluginHost, CliError> {
        let config =
            HostConfig { cache_dir: self.scratch.path().join("cache"), allow_private_networks: false };
        PluginHost::new(self.engine.clone(), services.services(), config)
            .map_err(|e| CliError::usage(format!("cannot start the plugin host: {e}")))
    }

    /// Installs the package directory into a scratch registry, as `ils plugin install` will.
    fn check_package(&self, dir: &Path) -> Result<(), CliError> {
        let registry =
            Registry::open(&self.scratch.path().join("registry"), &PluginHost::supported_platforms())
                .and_then(|registry| registry.install_from_path(dir));
        registry
            .map(drop)
            .map_err(|e| CliError::usage(format!("the registry refuses {}: {e}", dir.display())))
    }
}
