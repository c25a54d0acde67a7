//! The plugin SDK this `ils` carries, and `ils plugin sdk [--out DIR]`, which writes it out.
//!
//! The build packs `plugin-sdk`, the workspace crates it uses and the `ils:platform` WIT into the
//! binary, with standalone manifests (no `workspace = true` left) and a `Cargo.lock` cut from the
//! workspace's (the build script of this crate says how). `ils plugin new` writes that SDK into
//! the new crate as `.ils-sdk/` and depends on it by relative path, so the crate builds on any
//! machine with a Rust toolchain, offline once its crates are cached, and checks into git whole;
//! run in a plugin crate, `ils plugin sdk` replaces its `.ils-sdk/` with the SDK of the `ils` at
//! hand (docs/adr/021).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::CliError;

mod packed {
    include!(concat!(env!("OUT_DIR"), "/sdk_files.rs"));
}

/// The SDK's version: the version of the `ils` that carries it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where `ils plugin new` puts the SDK inside a plugin crate, and where `ils plugin sdk` writes
/// it by default.
pub const DEFAULT_DIR: &str = ".ils-sdk";

/// The file that marks a directory as an SDK `ils` wrote, and says which `ils` wrote it.
pub const MARKER: &str = "ils-sdk.toml";

/// The SDK crate inside the SDK directory: what a plugin's `ils-plugin-sdk` path points to.
pub const CRATE_DIR: &str = "plugin-sdk";

/// What `ils plugin sdk` takes (the command's own help is on its variant in `ils-core`'s tree).
#[derive(Debug, Args)]
pub struct SdkArgs {
    /// The directory to write the SDK to. It must not exist, be empty, or hold an SDK an earlier
    /// `ils` wrote (which is replaced).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DIR)]
    pub out: PathBuf,
}

/// Runs `ils plugin sdk`: writes the SDK and says what it replaced.
#[allow(clippy::print_stdout)]
pub fn run(args: SdkArgs) -> Result<(), CliError> {
    let previous = write(&args.out)?;
    let dir = args.out.display();
    match previous {
        Some(old) if old == VERSION => println!("rewrote ils-plugin-sdk {VERSION} in {dir}"),
        Some(old) => println!("replaced ils-plugin-sdk {old} with {VERSION} in {dir}"),
        None => println!("wrote ils-plugin-sdk {VERSION} to {dir}"),
    }
    println!("  a plugin uses it with: ils-plugin-sdk = {{ path = \"{dir}/{CRATE_DIR}\" }}");
    Ok(())
}

/// The `Cargo.lock` a new plugin starts from: the packages the SDK and the generated crate need,
/// at the versions the SDK is tested with.
pub fn lockfile() -> &'static str {
    packed::LOCK
}

/// The paths of the SDK's files, relative to the SDK directory (without the marker).
pub fn files() -> impl Iterator<Item = &'static str> {
    packed::FILES.iter().map(|(path, _)| *path)
}

/// Writes the SDK to `dir`, replacing an SDK an earlier `ils` wrote there; returns that one's
/// version. Refuses a directory holding anything else. The new SDK is written beside `dir` first
/// and moved into place, so a failure leaves the old one whole.
pub fn write(dir: &Path) -> Result<Option<String>, CliError> {
    let previous = previous_version(dir)?;
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io =
        |path: &Path, e: std::io::Error| CliError::usage(format!("cannot write {}: {e}", path.display()));
    std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
    let staging =
        tempfile::Builder::new().prefix(".ils-sdk-new-").tempdir_in(&parent).map_err(|e| io(&parent, e))?;
    for (relative, bytes) in packed::FILES {
        let path = staging.path().join(relative);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| io(folder, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
    }
    let marker = staging.path().join(MARKER);
    std::fs::write(&marker, marker_text()).map_err(|e| io(&marker, e))?;

    if previous.is_some() {
        std::fs::remove_dir_all(dir).map_err(|e| io(dir, e))?;
    } else if dir.is_dir() {
        // Empty (`previous_version` refused anything else): `rename` needs it gone on some systems.
        std::fs::remove_dir(dir).map_err(|e| io(dir, e))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        io(dir, e)
    })?;
    Ok(previous)
}

/// The version of the SDK in `dir`: `None` when `dir` does not exist or is empty; an error
/// when it holds something that is not an SDK `ils` wrote.
fn previous_version(dir: &Path) -> Result<Option<String>, CliError> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            if entries.count() == 0 {
                return Ok(None);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CliError::usage(format!("cannot use {}: {e}", dir.display()))),
    }
    let marker = std::fs::read_to_string(dir.join(MARKER)).ok();
    let version = marker
        .as_deref()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|table| table.get("ils").and_then(|v| v.as_str()).map(String::from));
    version.map(Some).ok_or_else(|| {
        CliError::usage(format!(
            "{} is not empty and holds no {MARKER}, so it is not an SDK `ils` wrote; choose another --out \
             or remove it",
            dir.display()
        ))
    })
}

/// The marker file: which `ils` wrote the SDK, for whom, and how to replace it.
fn marker_text() -> String {
    format!(
        "# The ILS plugin SDK (the crate `{CRATE_DIR}`, the crates it uses and the `ils:platform` WIT),\n\
         # written by `ils` {VERSION}. A plugin depends on it by path; `ils plugin sdk` replaces this\n\
         # directory with the SDK of the `ils` it is run with. Do not edit it: changes are lost then.\n\
         ils = \"{VERSION}\"\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packed_sdk_is_standalone() {
        let file = |wanted: &str| {
            let bytes = packed::FILES.iter().find(|(path, _)| *path == wanted).map(|(_, bytes)| *bytes);
            String::from_utf8(bytes.unwrap_or_else(|| panic!("{wanted} is not packed")).to_vec()).unwrap()
        };
        let sdk = file("plugin-sdk/Cargo.toml");
        assert!(!sdk.contains("workspace = true") && !sdk.contains(".workspace"), "{sdk}");
        assert!(sdk.contains(&format!("version = \"{VERSION}\"")), "{sdk}");
        let manifest: toml::Table = sdk.parse().unwrap();
        assert_eq!(manifest["dependencies"]["ils-records"]["path"].as_str(), Some("../wit/records"));
        assert!(manifest["lints"]["rust"].get("unsafe_code").is_some(), "{sdk}");
        assert!(file("plugin-sdk/src/bindings.rs").contains("../wit/v0.2.0"));
        assert!(files().any(|path| path == "wit/v0.2.0/worlds.wit"));
        for path in files().filter(|path| path.ends_with("Cargo.toml")) {
            assert!(!file(path).contains("workspace = true"), "{path} still inherits from the workspace");
        }
        assert!(
            !files().any(|path| path.contains("/target/") || path.split('/').any(|p| p.starts_with('.')))
        );
    }

    #[test]
    fn the_lockfile_holds_what_a_plugin_needs_and_nothing_only_the_host_uses() {
        let lock: toml::Table = lockfile().parse().unwrap();
        let names: Vec<&str> = lock["package"]
            .as_array()
            .unwrap()
            .iter()
            .map(|package| package["name"].as_str().unwrap())
            .collect();
        for needed in ["ils-plugin-sdk", "ils-optics", "ils-records", "wit-bindgen", "serde_json"] {
            assert!(names.contains(&needed), "{needed} is missing from {names:?}");
        }
        for host_only in ["sqlx", "utoipa", "wasmtime", "tokio"] {
            assert!(!names.contains(&host_only), "{host_only} is in the plugin's lockfile");
        }
    }

    #[test]
    fn writing_replaces_an_sdk_but_nothing_else() {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path().join("sdk");
        assert_eq!(write(&dir).unwrap(), None);
        assert!(dir.join("plugin-sdk/src/lib.rs").is_file());
        std::fs::write(dir.join("plugin-sdk/src/stale.rs"), "").unwrap();
        assert_eq!(write(&dir).unwrap().as_deref(), Some(VERSION));
        assert!(!dir.join("plugin-sdk/src/stale.rs").exists(), "a rewrite leaves no old file behind");

        let mine = work.path().join("mine");
        std::fs::create_dir(&mine).unwrap();
        std::fs::write(mine.join("notes.txt"), "keep").unwrap();
        let err = write(&mine).unwrap_err();
        assert!(err.message.contains("not an SDK"), "{err}");
        assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).unwrap(), "keep");
        let left: Vec<_> = std::fs::read_dir(work.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 2, "no staging directory is left behind: {left:?}");
    }
}
