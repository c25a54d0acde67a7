//! Build script of `ils-plugin-cli`: packs the plugin SDK into `ils` (docs/adr/021).
//!
//! What is packed follows from the workspace, not from a list kept here: `plugin-sdk`, every crate
//! it reaches through path dependencies, and the `wit/` directory (the WIT the SDK's bindings are
//! generated from), each with every file under it, laid out as in the repository so the relative
//! paths between them (`path = "../wit/v0.1.0"` in the SDK's bindings) hold in the copy too.
//!
//! Each packed manifest is made standalone: fields inherited from the workspace
//! (`version.workspace = true`, `serde.workspace = true`, `[lints] workspace = true`) get the
//! workspace's values, and path dependencies become paths between the packed crates. A
//! `Cargo.lock` for a new plugin is cut from the workspace's: the packages the generated crate's
//! dependencies reach, so a plugin builds with the versions the SDK is tested with.
//!
//! Out: `$OUT_DIR/sdk_files.rs`, a table of `(path, include_bytes!(file))` that `src/sdk.rs`
//! includes. `include_bytes!` makes cargo rebuild when a packed file changes; the
//! `rerun-if-changed` on each directory makes it rerun this script when a file is added or removed.
#![allow(clippy::print_stdout, reason = "cargo reads build-script instructions from stdout")]

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use toml::{Table, Value};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The crate the SDK starts from, relative to the workspace root.
const SDK_CRATE: &str = "plugin-sdk";
/// The WIT the SDK's bindings are generated from, relative to the workspace root.
const WIT_DIR: &str = "wit";
/// The generated plugin crate's manifest, whose dependencies seed the trimmed `Cargo.lock`.
const TEMPLATE_MANIFEST: &str = "src/template/Cargo.toml.tmpl";

fn main() -> Result<()> {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = here.join("../..").canonicalize()?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let version = std::env::var("CARGO_PKG_VERSION")?;

    let workspace_manifest = read_toml(&root.join("Cargo.toml"))?;
    let workspace = workspace_manifest.get("workspace").and_then(Value::as_table).ok_or("no [workspace]")?;
    let crates = sdk_crates(&root, workspace)?;

    // Directories to pack: `wit/` and each crate not already inside it.
    let mut dirs = vec![PathBuf::from(WIT_DIR)];
    for dir in crates.keys() {
        if !dirs.iter().any(|packed| dir.starts_with(packed)) {
            dirs.push(dir.clone());
        }
    }
    let mut files = BTreeMap::new();
    for dir in &dirs {
        println!("cargo::rerun-if-changed={}", root.join(dir).display());
        for entry in walkdir::WalkDir::new(root.join(dir))
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| !is_hidden_or_target(e.file_name().to_str().unwrap_or(".")))
        {
            let entry = entry?;
            if entry.file_type().is_file() {
                let relative = entry.path().strip_prefix(&root)?.to_path_buf();
                files.insert(slashed(&relative), entry.path().to_path_buf());
            }
        }
    }

    // The standalone manifests replace the workspace ones.
    for (dir, manifest) in &crates {
        let standalone = standalone_manifest(dir, manifest, workspace, &version)?;
        let path = out.join("sdk").join(dir).join("Cargo.toml");
        std::fs::create_dir_all(path.parent().ok_or("manifest path without parent")?)?;
        std::fs::write(&path, standalone)?;
        files.insert(slashed(&dir.join("Cargo.toml")), path);
    }

    println!("cargo::rerun-if-changed={}", root.join("Cargo.toml").display());
    println!("cargo::rerun-if-changed={}", root.join("Cargo.lock").display());
    println!("cargo::rerun-if-changed={TEMPLATE_MANIFEST}");
    let lock = trimmed_lock(&root.join("Cargo.lock"), &here.join(TEMPLATE_MANIFEST), &crates)?;
    let lock_path = out.join("sdk-Cargo.lock");
    std::fs::write(&lock_path, lock)?;

    let mut code =
        String::from("/// Every file of the packed SDK: its path inside the SDK directory and its bytes.\n");
    code.push_str("pub(crate) const FILES: &[(&str, &[u8])] = &[\n");
    for (relative, source) in &files {
        writeln!(code, "    ({relative:?}, include_bytes!({:?})),", source.display().to_string())?;
    }
    code.push_str("];\n\n/// The `Cargo.lock` a new plugin starts from.\n");
    writeln!(code, "pub(crate) const LOCK: &str = include_str!({:?});", lock_path.display().to_string())?;
    std::fs::write(out.join("sdk_files.rs"), code)?;
    Ok(())
}

fn is_hidden_or_target(name: &str) -> bool {
    name.starts_with('.') || name == "target"
}

fn read_toml(path: &Path) -> Result<Table> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.parse::<Table>().map_err(|e| format!("{}: {e}", path.display()))?)
}

/// `path` with `/` between its components, as the packed SDK names its files on every platform.
fn slashed(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// `path` without `.` and `a/..` components.
fn normalised(path: &Path) -> PathBuf {
    let mut parts = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts
}

/// The path from directory `from` to `to`, both relative to the workspace root.
fn relative(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts = vec![".."; from.len() - common].into_iter().map(String::from).collect::<Vec<_>>();
    parts.extend(to[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

/// Every dependency table of a manifest, target-specific ones included, with its key path.
fn dependency_tables(manifest: &mut Table) -> Vec<&mut Table> {
    const KINDS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    let mut tables = Vec::new();
    let (targets, top): (Vec<_>, Vec<_>) = manifest.iter_mut().partition(|(key, _)| key.as_str() == "target");
    for (key, value) in top {
        if KINDS.contains(&key.as_str()) {
            tables.extend(value.as_table_mut());
        }
    }
    for (_, value) in targets {
        for (_, platform) in value.as_table_mut().into_iter().flat_map(|t| t.iter_mut()) {
            for (key, value) in platform.as_table_mut().into_iter().flat_map(|t| t.iter_mut()) {
                if KINDS.contains(&key.as_str()) {
                    tables.extend(value.as_table_mut());
                }
            }
        }
    }
    tables
}

/// Whether a dependency entry inherits from `[workspace.dependencies]`.
fn inherits(spec: &Value) -> bool {
    spec.get("workspace").and_then(Value::as_bool) == Some(true)
}

/// The crates the SDK is made of: `plugin-sdk` and every crate it reaches by path, keyed by
/// their directory relative to the workspace root, with their manifests as written.
fn sdk_crates(root: &Path, workspace: &Table) -> Result<BTreeMap<PathBuf, Table>> {
    let members = workspace.get("dependencies").and_then(Value::as_table).cloned().unwrap_or_default();
    let mut crates = BTreeMap::new();
    let mut todo = vec![PathBuf::from(SDK_CRATE)];
    while let Some(dir) = todo.pop() {
        if crates.contains_key(&dir) {
            continue;
        }
        let mut manifest = read_toml(&root.join(&dir).join("Cargo.toml"))?;
        for table in dependency_tables(&mut manifest) {
            for (name, spec) in table.iter() {
                let path = if inherits(spec) {
                    members.get(name).and_then(|s| s.get("path")).and_then(Value::as_str).map(PathBuf::from)
                } else {
                    spec.get("path").and_then(Value::as_str).map(|p| normalised(&dir.join(p)))
                };
                todo.extend(path);
            }
        }
        crates.insert(dir, manifest);
    }
    Ok(crates)
}

/// The manifest of the crate in `dir`, with what it inherits from `workspace` written out.
fn standalone_manifest(dir: &Path, manifest: &Table, workspace: &Table, version: &str) -> Result<String> {
    let mut manifest = manifest.clone();
    let empty = Table::new();
    let section = |name: &str| workspace.get(name).and_then(Value::as_table).unwrap_or(&empty);
    let (package, dependencies, lints) = (section("package"), section("dependencies"), section("lints"));

    if let Some(fields) = manifest.get_mut("package").and_then(Value::as_table_mut) {
        for (key, value) in fields.iter_mut() {
            if inherits(value) {
                *value =
                    package.get(key).cloned().ok_or_else(|| format!("workspace.package.{key} is missing"))?;
            }
        }
    }
    for table in dependency_tables(&mut manifest) {
        for (name, spec) in table.iter_mut() {
            if !inherits(spec) {
                continue;
            }
            let mut merged = match dependencies.get(name) {
                Some(Value::String(version)) => {
                    Table::from_iter([("version".into(), Value::String(version.clone()))])
                }
                Some(Value::Table(table)) => table.clone(),
                _ => return Err(format!("workspace.dependencies.{name} is missing").into()),
            };
            if let Some(Value::String(path)) = merged.get_mut("path") {
                *path = relative(dir, Path::new(path.as_str()));
            }
            for (key, value) in spec.as_table().into_iter().flatten() {
                match (key.as_str(), value) {
                    ("workspace", _) => {}
                    ("features", Value::Array(more)) => {
                        let features = merged.entry("features").or_insert_with(|| Value::Array(Vec::new()));
                        if let Value::Array(features) = features {
                            features.extend(more.iter().cloned());
                        }
                    }
                    _ => {
                        merged.insert(key.clone(), value.clone());
                    }
                }
            }
            *spec = Value::Table(merged);
        }
    }
    if manifest.get("lints").is_some_and(inherits) {
        manifest.insert("lints".into(), Value::Table(lints.clone()));
    }
    Ok(format!(
        "# Packed into `ils` {version} from the ILS workspace, with the fields it inherited from the\n\
         # workspace written out. `ils plugin sdk` rewrites this directory; do not edit it.\n\n{}",
        toml::to_string(&manifest)?
    ))
}

/// The names of the packages a manifest needs built: its non-optional normal and build
/// dependencies (plus dev-dependencies for the generated crate, whose tests run).
fn needed(manifest: &Table, with_dev: bool) -> BTreeSet<String> {
    let mut manifest = manifest.clone();
    let kinds: &[&str] = if with_dev {
        &["dependencies", "build-dependencies", "dev-dependencies"]
    } else {
        &["dependencies", "build-dependencies"]
    };
    let mut names = BTreeSet::new();
    // `dependency_tables` loses the kind, so keep only the wanted kinds first.
    for kind in ["dependencies", "build-dependencies", "dev-dependencies"] {
        if !kinds.contains(&kind) {
            manifest.remove(kind);
            for (_, platform) in
                manifest.get_mut("target").and_then(Value::as_table_mut).into_iter().flatten()
            {
                if let Some(platform) = platform.as_table_mut() {
                    platform.remove(kind);
                }
            }
        }
    }
    for table in dependency_tables(&mut manifest) {
        for (name, spec) in table.iter() {
            if spec.get("optional").and_then(Value::as_bool) != Some(true) {
                let package = spec.get("package").and_then(Value::as_str).unwrap_or(name);
                names.insert(package.to_string());
            }
        }
    }
    names
}

/// The workspace's `Cargo.lock` cut down to the packages the generated crate reaches.
fn trimmed_lock(lock: &Path, template: &Path, crates: &BTreeMap<PathBuf, Table>) -> Result<String> {
    let lock = read_toml(lock)?;
    let packages: Vec<&Table> = lock
        .get("package")
        .and_then(Value::as_array)
        .ok_or("Cargo.lock has no packages")?
        .iter()
        .filter_map(Value::as_table)
        .collect();
    let field = |p: &Table, key: &str| p.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    // What the SDK's own crates need, by package name (their lock entries also list optional
    // and dev dependencies the workspace uses).
    let mut own = BTreeMap::new();
    for manifest in crates.values() {
        let name = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .ok_or("package without name")?;
        own.insert(name.to_string(), needed(manifest, false));
    }

    let mut keep = BTreeSet::new();
    let mut todo: Vec<String> = needed(&read_toml(template)?, true).into_iter().collect();
    while let Some(wanted) = todo.pop() {
        // A dependency in a lock is `name`, `name version` or `name version (source)`.
        let mut words = wanted.split(' ');
        let name = words.next().unwrap_or_default();
        let version = words.next();
        let found = packages
            .iter()
            .enumerate()
            .filter(|(_, p)| field(p, "name") == name && version.is_none_or(|v| field(p, "version") == v));
        for (index, package) in found {
            if !keep.insert(index) {
                continue;
            }
            let dependencies = package.get("dependencies").and_then(Value::as_array).into_iter().flatten();
            let dependencies = dependencies.filter_map(Value::as_str).filter(|dependency| {
                let dependency_name = dependency.split(' ').next().unwrap_or_default();
                own.get(name).is_none_or(|needed| needed.contains(dependency_name))
            });
            todo.extend(dependencies.map(String::from));
        }
    }
    let mut trimmed = Table::new();
    trimmed.insert("version".into(), lock.get("version").cloned().unwrap_or(Value::Integer(4)));
    let kept = keep.into_iter().map(|index| Value::Table(packages[index].clone())).collect();
    trimmed.insert("package".into(), Value::Array(kept));
    Ok(format!(
        "# The versions the ILS plugin SDK is tested with, from the workspace `ils` was built in.\n\
         # Cargo keeps this file up to date from here on.\n{}",
        toml::to_string(&trimmed)?
    ))
}
