//! Install-time checks on a component: every import must be declared by the manifest (beyond
//! the WASI baseline every Rust guest has), and every `ils:platform` name and the SDK stamp
//! must name a version this host runs. wasmtime's linker matches versions loosely (`0.1.7`
//! resolves to `0.1.0`), so this check is ours and runs before linking.

use ils_registry::{Capability, Manifest};
use semver::Version;
use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::wasmparser::{Parser, Payload};

use crate::error::InstallError;

/// The custom section the SDK writes into every plugin.
pub const SDK_STAMP_SECTION: &str = "ils:sdk";

/// What install learned about a component.
#[derive(Debug, Clone)]
pub(crate) struct Inspection {
    /// The `ils:platform` version it targets.
    pub(crate) platform: Version,
    /// The SDK stamp (`ils-plugin-sdk/0.1.0 ils:platform@0.1.0`), if built with the SDK.
    pub(crate) sdk: Option<String>,
    /// Every interface it imports, as the component names them (`ils:platform/kv@0.1.0`).
    pub(crate) imports: Vec<String>,
}

/// WASI interfaces the Rust standard library may import; they carry no authority here (no
/// preopened directories, no environment, stdio captured by the host).
const WASI_BASELINE: &[&str] = &[
    "wasi:io/poll",
    "wasi:io/error",
    "wasi:io/streams",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    // Types only; the authority is `outgoing-handler`. Exporting HTTP routes needs them.
    "wasi:http/types",
];

/// Newest WASI 0.2 patch the host's WASI implementation links.
const WASI_PATCH: u64 = 12;

/// The capability an import needs: `Ok(None)` always allowed, `Ok(Some(c))` needs `c`,
/// `Err(())` never allowed.
fn needs(interface: &str) -> Result<Option<&'static [Capability]>, ()> {
    use Capability::*;
    Ok(match interface {
        "ils:platform/types"
        | "ils:platform/context"
        | "ils:platform/log"
        | "ils:platform/config"
        | "ils:platform/progress" => None,
        "ils:platform/secrets" => Some(&[Secrets]),
        "ils:platform/kv" => Some(&[Kv]),
        "ils:platform/events" => Some(&[EventsPublish]),
        "ils:platform/orders" => Some(&[OrdersRead, OrdersAnnotate, OrdersTransition]),
        "ils:platform/clinical" => Some(&[ClinicalRead]),
        "ils:platform/inventory" => Some(&[InventoryRead, InventoryWrite]),
        "ils:platform/reports" => Some(&[ReportsRead]),
        "ils:platform/files" => Some(&[FilesWrite]),
        "ils:platform/notify" => Some(&[NotifyEmail]),
        "wasi:http/outgoing-handler" => Some(&[HttpOutbound]),
        i if WASI_BASELINE.contains(&i) => None,
        _ => return Err(()),
    })
}

fn split(name: &str) -> (&str, Option<&str>) {
    match name.split_once('@') {
        Some((iface, version)) => (iface, Some(version)),
        None => (name, None),
    }
}

/// Checks a compiled component against its manifest and the host's supported versions.
pub(crate) fn inspect(
    engine: &Engine,
    component: &Component,
    bytes: &[u8],
    manifest: &Manifest,
    supported: &[Version],
) -> Result<Inspection, InstallError> {
    let supported_text = || supported.iter().map(Version::to_string).collect::<Vec<_>>().join(", ");
    let unsupported =
        |target: String| InstallError::UnsupportedVersion { target, supported: supported_text() };
    let runs = |v: &Version| host_runs(supported, v);
    // Every `ils:platform` version the component names; the newest is the one it targets.
    let mut named: Vec<(String, Version)> = Vec::new();
    let mut see_platform = |name: &str, version: Option<&str>| -> Result<(), InstallError> {
        let v = version.and_then(|v| Version::parse(v).ok()).ok_or_else(|| unsupported(name.to_string()))?;
        if !runs(&v) {
            return Err(unsupported(name.to_string()));
        }
        named.push((name.to_string(), v));
        Ok(())
    };

    let ty = component.component_type();
    let mut imports = Vec::new();
    for (name, _) in ty.imports(engine) {
        imports.push(name.to_owned());
        let (interface, version) = split(name);
        if interface.starts_with("ils:platform/") {
            see_platform(name, version)?;
        } else if interface.starts_with("wasi:") {
            let v = version.and_then(|v| Version::parse(v).ok());
            if !v.is_some_and(|v| v.major == 0 && v.minor == 2 && v.patch <= WASI_PATCH && v.pre.is_empty()) {
                return Err(InstallError::UnsupportedVersion {
                    target: name.to_string(),
                    supported: format!("wasi 0.2.0 to 0.2.{WASI_PATCH}"),
                });
            }
        }
        match needs(interface) {
            Ok(None) => {}
            Ok(Some(any_of)) if any_of.iter().any(|c| manifest.capabilities.contains(c)) => {}
            Ok(Some(any_of)) => {
                return Err(InstallError::UndeclaredImport {
                    import: name.to_string(),
                    needs: Some(any_of[0]),
                });
            }
            Err(()) => return Err(InstallError::UndeclaredImport { import: name.to_string(), needs: None }),
        }
    }
    for (name, _) in ty.exports(engine) {
        let (interface, version) = split(name);
        if interface.starts_with("ils:platform/") {
            see_platform(name, version)?;
        }
    }

    let platform = named.iter().map(|(_, v)| v).max().cloned();
    if let Some(p) = &platform {
        if !manifest.platform.matches(p) {
            return Err(unsupported(format!(
                "ils:platform@{p} (manifest allows ils:platform {})",
                manifest.platform
            )));
        }
        // One version per component, counting the interfaces a version takes unchanged from an
        // earlier one: a mix of anything else would be linked against neither.
        if let Some((name, v)) = named.iter().find(|(_, v)| !lane_includes(p, v)) {
            return Err(InstallError::Invalid(format!(
                "{name} mixes ils:platform versions: the component also uses {p}, which does not include {v}; build it against one"
            )));
        }
    }

    let sdk = sdk_stamp(bytes)?;
    if let Some(stamp) = &sdk {
        let target = stamp.split_whitespace().find_map(|w| w.strip_prefix("ils:platform@"));
        let stamped = match target.and_then(|v| Version::parse(v).ok()) {
            Some(v) if runs(&v) => v,
            _ => return Err(unsupported(format!("SDK stamp {stamp:?}"))),
        };
        if let Some(p) = &platform
            && (p.major, p.minor) != (stamped.major, stamped.minor)
        {
            return Err(InstallError::Invalid(format!(
                "the SDK stamp says ils:platform@{stamped} but the component uses {p}"
            )));
        }
    }
    let platform = platform.ok_or_else(|| InstallError::Exports("no ils:platform export".into()))?;
    imports.sort();
    Ok(Inspection { platform, sdk, imports })
}

/// Whether a component targeting `newest` may name `other` too: the same minor lane, or an
/// interface 0.3 takes unchanged from 0.2 (`wit/v0.3.0` includes 0.2.0's worlds).
fn lane_includes(newest: &Version, other: &Version) -> bool {
    let lane = |v: &Version| (v.major, v.minor);
    lane(newest) == lane(other) || (lane(newest) == (0, 3) && lane(other) == (0, 2))
}

/// Whether a host linking `supported` runs a component built against `v`: same minor lane, a
/// patch the host already has (a newer patch may use functions this host lacks), no pre-release.
fn host_runs(supported: &[Version], v: &Version) -> bool {
    v.pre.is_empty()
        && supported.iter().any(|s| s.major == v.major && s.minor == v.minor && v.patch <= s.patch)
}

/// The SDK stamp, from a custom section at any nesting level (it lives in the core module).
fn sdk_stamp(bytes: &[u8]) -> Result<Option<String>, InstallError> {
    let mut stamp = None;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| InstallError::Invalid(e.to_string()))?;
        if let Payload::CustomSection(s) = payload
            && s.name() == SDK_STAMP_SECTION
        {
            let text = std::str::from_utf8(s.data())
                .map_err(|_| InstallError::Invalid("SDK stamp is not UTF-8".into()))?;
            stamp = Some(text.trim_end_matches('\0').to_string());
        }
    }
    Ok(stamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_map_to_capabilities() {
        assert_eq!(needs("ils:platform/log"), Ok(None));
        assert_eq!(needs("wasi:io/streams"), Ok(None));
        assert_eq!(needs("ils:platform/kv"), Ok(Some(&[Capability::Kv][..])));
        assert_eq!(needs("wasi:http/outgoing-handler"), Ok(Some(&[Capability::HttpOutbound][..])));
        assert_eq!(needs("ils:platform/reports"), Ok(Some(&[Capability::ReportsRead][..])));
        assert_eq!(needs("ils:platform/files"), Ok(Some(&[Capability::FilesWrite][..])));
        assert_eq!(needs("ils:platform/notify"), Ok(Some(&[Capability::NotifyEmail][..])));
        assert_eq!(needs("ils:platform/progress"), Ok(None));
        assert_eq!(needs("wasi:sockets/tcp"), Err(()));
        assert_eq!(needs("acme:evil/backdoor"), Err(()));
    }

    #[test]
    fn only_versions_the_host_links_are_accepted() {
        let host = [Version::new(0, 1, 2)];
        let runs = |v: &str| host_runs(&host, &Version::parse(v).unwrap());
        assert!(runs("0.1.0") && runs("0.1.2"));
        assert!(!runs("0.1.3"), "a newer patch may need functions this host lacks");
        assert!(!runs("0.2.0") && !runs("1.1.0") && !runs("0.0.9"));
        assert!(!runs("0.1.1-rc.1"));
    }

    #[test]
    fn names_split_at_the_version() {
        assert_eq!(split("ils:platform/kv@0.1.0"), ("ils:platform/kv", Some("0.1.0")));
        assert_eq!(split("plain"), ("plain", None));
    }
}
