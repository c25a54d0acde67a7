//! `ils plugin new NAME`: a plugin crate that builds, and passes its unit tests and its host
//! scenario, exactly as generated.
//!
//! The crate is standalone: its own `[workspace]`, so a workspace it is created inside does not
//! absorb it, and the SDK this `ils` carries written into it as `.ils-sdk/` ([`crate::sdk`]), a
//! path dependency, with a `Cargo.lock` of the versions that SDK is tested with. It needs nothing
//! but a Rust toolchain to build, and nothing of the ILS checkout. `--sdk PATH` depends on another
//! `plugin-sdk` instead, by absolute path (for those working on the SDK itself).

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use ils_host_api::PluginHost;
use ils_registry::PluginId;

use crate::{CliError, sdk};

/// What `ils plugin new` takes (the command's own help is on its variant in `ils-core`'s tree).
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin's id, also its crate name: 2–63 lowercase letters, digits and single dashes,
    /// starting with a letter (e.g. order-counter).
    pub name: String,
    /// The directory to create the crate in (default: ./NAME). It must not exist, or be empty.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Depend on this plugin SDK crate (a `plugin-sdk` directory, e.g. of an ILS checkout) by
    /// absolute path. Default: the SDK this `ils` carries, written into the crate as `.ils-sdk/`.
    #[arg(long, value_name = "PATH")]
    pub sdk: Option<PathBuf>,
}

/// Where the generated crate's `ils-plugin-sdk` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sdk {
    /// The SDK this `ils` carries, written into the crate ([`sdk::DEFAULT_DIR`]).
    Carried,
    /// A `plugin-sdk` directory given with `--sdk`, canonical.
    Given(PathBuf),
}

impl Sdk {
    /// The `path` of the `ils-plugin-sdk` dependency.
    fn dependency_path(&self) -> String {
        match self {
            Self::Carried => format!("{}/{}", sdk::DEFAULT_DIR, sdk::CRATE_DIR),
            Self::Given(dir) => dir.to_string_lossy().into_owned(),
        }
    }

    /// The comment above the dependency in the generated `Cargo.toml` (after its first `# `).
    fn note(&self) -> String {
        match self {
            Self::Carried => format!(
                "The plugin SDK, written here by `ils plugin new` (ils {}). Keep it in version control;\n\
                 # `ils plugin sdk` replaces it with the SDK of the `ils` you run it with.",
                sdk::VERSION
            ),
            Self::Given(_) => "The plugin SDK given to `ils plugin new --sdk`.".to_string(),
        }
    }
}

/// The generated crate's files: (path inside the crate, template).
const TEMPLATES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("template/Cargo.toml.tmpl")),
    ("ils-plugin.toml", include_str!("template/ils-plugin.toml.tmpl")),
    ("src/lib.rs", include_str!("template/lib.rs.tmpl")),
    ("tests/host/counts.toml", include_str!("template/counts.toml.tmpl")),
    ("README.md", include_str!("template/README.md.tmpl")),
    (".gitignore", include_str!("template/gitignore.tmpl")),
];

/// Names cargo refuses for a package or a library (keywords and the standard crates), and the
/// generated crate's own dependencies.
const RESERVED: &str = "abstract alloc as async await become box break const continue core crate do dyn else enum \
     extern false final fn for gen if impl in let loop macro match mod move mut override priv pub \
     ref return self static std struct super test trait true try type typeof unsafe unsized use \
     virtual where while yield ils-plugin-sdk serde serde-json";

/// The names derived from the plugin id that the templates use.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Names {
    /// The plugin id and crate name (`order-counter`).
    id: PluginId,
    /// The Rust type implementing `Plugin` (`OrderCounter`).
    type_name: String,
    /// The display name (`Order counter`).
    title: String,
}

impl Names {
    fn parse(name: &str) -> Result<Self, CliError> {
        let id = PluginId::new(name).map_err(|_| {
            CliError::usage(format!(
                "invalid plugin name {name:?}: a plugin id is 2–63 lowercase letters, digits and single \
                 dashes, starting with a letter and not ending with a dash (e.g. order-counter)"
            ))
        })?;
        if RESERVED.split_whitespace().any(|reserved| reserved == name) {
            return Err(CliError::usage(format!(
                "invalid plugin name {name:?}: it is a Rust keyword or the name of a crate the plugin \
                 depends on, so cargo cannot build a crate of that name; choose another"
            )));
        }
        let words: Vec<&str> = name.split('-').collect();
        let type_name = words.iter().map(|w| capitalise(w)).collect::<String>();
        let title = capitalise(&words.join(" "));
        Ok(Self { id, type_name, title })
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Runs `ils plugin new`: writes the crate, seeds its `Cargo.lock`, and prints the next steps.
#[allow(clippy::print_stdout)]
pub fn run(args: NewArgs) -> Result<(), CliError> {
    let names = Names::parse(&args.name)?;
    let sdk = match args.sdk.as_deref() {
        Some(given) => Sdk::Given(sdk_dir(given)?),
        None => Sdk::Carried,
    };
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(names.id.as_str()));
    refuse_non_empty(&dir)?;
    let platform = platform_range();
    let files = render(&names, &sdk, &platform);
    write_files(&dir, &files)?;
    let lock = match &sdk {
        Sdk::Carried => {
            sdk::write(&dir.join(sdk::DEFAULT_DIR))?;
            write_files(&dir, &[("Cargo.lock", sdk::lockfile().to_string())])?;
            true
        }
        Sdk::Given(path) => seed_lockfile(path, &dir),
    };

    println!("created plugin {} in {}", names.id, dir.display());
    match &sdk {
        Sdk::Carried => println!(
            "  with ils-plugin-sdk {} in {}/: the SDK this ils carries (`ils plugin sdk` replaces it)",
            sdk::VERSION,
            sdk::DEFAULT_DIR
        ),
        Sdk::Given(path) => println!("  depends on ils-plugin-sdk at {}", path.display()),
    }
    if lock {
        println!("  Cargo.lock: the dependency versions the SDK is tested with");
    }
    println!();
    println!("next:");
    println!("  cd {}", dir.display());
    println!("  cargo test          # unit tests against the SDK's mock host");
    println!("  ils plugin build    # the component, checked by the real host, as a package");
    println!("  ils plugin test     # tests/host/*.toml through the real host");
    Ok(())
}

/// The `--sdk` directory, canonical, once it is known to be the plugin SDK crate.
fn sdk_dir(path: &Path) -> Result<PathBuf, CliError> {
    let hint = "check the --sdk path, or leave it out to use the SDK this ils carries";
    let dir = path
        .canonicalize()
        .map_err(|e| CliError::usage(format!("plugin SDK not found at {}: {e} ({hint})", path.display())))?;
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    if !manifest.contains("name = \"ils-plugin-sdk\"") {
        return Err(CliError::usage(format!(
            "{} is not the plugin SDK (its Cargo.toml does not name ils-plugin-sdk; {hint})",
            dir.display()
        )));
    }
    Ok(dir)
}

/// Refuses a directory that exists with something in it.
fn refuse_non_empty(dir: &Path) -> Result<(), CliError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(CliError::usage(format!(
                    "{} already exists and is not empty; choose another --dir or remove it",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            Err(CliError::usage(format!("{} exists and is not a directory", dir.display())))
        }
        Err(e) => Err(CliError::usage(format!("cannot use {}: {e}", dir.display()))),
    }
}

/// `^MAJOR.MINOR` of the newest `ils:platform` this host runs.
fn platform_range() -> String {
    match PluginHost::supported_platforms().iter().max() {
        Some(v) => format!("^{}.{}", v.major, v.minor),
        None => "^0.3".to_string(),
    }
}

/// The files with their placeholders filled.
fn render(names: &Names, sdk: &Sdk, platform: &str) -> Vec<(&'static str, String)> {
    TEMPLATES
        .iter()
        .map(|(path, template)| {
            let text = template
                .replace("{{id}}", names.id.as_str())
                .replace("{{type}}", &names.type_name)
                .replace("{{title}}", &names.title)
                .replace("{{platform}}", platform)
                .replace("{{sdk_note}}", &sdk.note())
                .replace("{{sdk}}", &toml_string(&sdk.dependency_path()));
            (*path, text)
        })
        .collect()
}

/// `text` as the inside of a TOML basic string.
fn toml_string(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn write_files(dir: &Path, files: &[(&str, String)]) -> Result<(), CliError> {
    let io =
        |path: &Path, e: std::io::Error| CliError::usage(format!("cannot write {}: {e}", path.display()));
    for (relative, text) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        // `create_new`: never overwrite, even if something appeared since the emptiness check.
        let mut file =
            OpenOptions::new().write(true).create_new(true).open(&path).map_err(|e| io(&path, e))?;
        file.write_all(text.as_bytes()).map_err(|e| io(&path, e))?;
    }
    Ok(())
}

/// For `--sdk`: copies the SDK workspace's `Cargo.lock`, so the plugin starts on the dependency versions the
/// SDK is tested with (and builds offline when those are cached). Cargo drops the entries the
/// plugin does not use on its first build. Best effort: without it cargo resolves afresh.
fn seed_lockfile(sdk: &Path, dir: &Path) -> bool {
    let Some(lock) = sdk.parent().map(|workspace| workspace.join("Cargo.lock")) else { return false };
    match std::fs::read_to_string(&lock) {
        Ok(text) if text.contains("name = \"ils-plugin-sdk\"") => {
            std::fs::write(dir.join("Cargo.lock"), text).is_ok()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_plugin_id() {
        let names = Names::parse("order-counter-2").unwrap();
        assert_eq!(names.type_name, "OrderCounter2");
        assert_eq!(names.title, "Order counter 2");
    }

    #[test]
    fn bad_names_are_refused_with_the_rule() {
        for bad in ["Demo", "a", "x-", "a--b", "a_b", "9lives", "../evil"] {
            let err = Names::parse(bad).unwrap_err();
            assert_eq!(err.code, crate::EXIT_USAGE);
            assert!(err.message.contains("lowercase letters"), "{bad}: {err}");
        }
        assert!(Names::parse("test").unwrap_err().message.contains("keyword"));
        assert!(Names::parse("ils-plugin-sdk").is_err());
    }

    #[test]
    fn every_placeholder_is_filled() {
        let names = Names::parse("demo-counter").unwrap();
        let quoted = Sdk::Given(PathBuf::from("/sdk \"quoted\""));
        for sdk in [Sdk::Carried, quoted] {
            for (path, text) in render(&names, &sdk, "^0.2") {
                assert!(!text.contains("{{"), "{path} has an unfilled placeholder");
            }
        }
        let files = render(&names, &Sdk::Given(PathBuf::from(r"C:\sdk")), "^0.2");
        let cargo = &files.iter().find(|(p, _)| *p == "Cargo.toml").unwrap().1;
        assert!(cargo.contains(r#"path = "C:\\sdk""#), "{cargo}");
        let files = render(&names, &Sdk::Carried, "^0.2");
        let cargo: toml::Table = files.iter().find(|(p, _)| *p == "Cargo.toml").unwrap().1.parse().unwrap();
        assert_eq!(cargo["dependencies"]["ils-plugin-sdk"]["path"].as_str(), Some(".ils-sdk/plugin-sdk"));
        assert_eq!(cargo["workspace"]["exclude"].as_array().unwrap()[0].as_str(), Some(".ils-sdk"));
        let manifest = &files.iter().find(|(p, _)| *p == "ils-plugin.toml").unwrap().1;
        let manifest = ils_registry::Manifest::from_toml(manifest).unwrap();
        assert_eq!(manifest.id.as_str(), "demo-counter");
    }
}
