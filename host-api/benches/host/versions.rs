//! (d): many compiled versions installed at once — the memory each costs, and the first call of a
//! version never called before against a warm call.
//!
//! The versions are the probe with a custom section appended (`ils-bench-variant`, the version's
//! number): distinct bytes, so a distinct SHA-256, cache file, `Component` and `InstancePre` —
//! wasmtime shares nothing between them. Compiling 1,000 of them would take most of an hour on
//! this machine, and a custom section changes nothing in the compiled code, so the bench compiles
//! one variant, checks that a second one compiles to the same bytes, and writes that artifact
//! under each variant's hash: what a node restarting with 1,000 versions in its compile cache
//! finds. Installing then loads (maps) the file, inspects the component and pre-links it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ils_host_api::{PluginHost, PluginVersion};
use ils_registry::Manifest;
use sha2::{Digest as _, Sha256};

use crate::{MANIFEST, ctx, event};

/// What (d) measured.
pub struct Report {
    pub versions: usize,
    pub compile: Duration,
    pub same_artifact: bool,
    pub artifact_bytes: u64,
    pub install_p50: Duration,
    pub rss_installed: Rss,
    pub rss_called: Rss,
    pub first_call: (Duration, Duration),
    pub second_call: (Duration, Duration),
    pub cycled_call: (Duration, Duration),
}

/// Resident memory from `/proc/self/status`, in bytes: anonymous, file-backed, shared.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rss {
    pub anon: u64,
    pub file: u64,
    pub shmem: u64,
}

impl Rss {
    pub fn now() -> Self {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0)
                * 1024
        };
        Self { anon: field("RssAnon:"), file: field("RssFile:"), shmem: field("RssShmem:") }
    }

    pub fn total(&self) -> u64 {
        self.anon + self.file + self.shmem
    }

    /// Growth from `before`, per version.
    pub fn per(&self, before: &Self, n: usize) -> Self {
        let d = |a: u64, b: u64| a.saturating_sub(b) / n as u64;
        Self {
            anon: d(self.anon, before.anon),
            file: d(self.file, before.file),
            shmem: d(self.shmem, before.shmem),
        }
    }
}

/// The probe with a custom section holding `n`.
fn variant(bytes: &[u8], n: usize) -> Vec<u8> {
    fn leb(mut v: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let name = b"ils-bench-variant";
    let mut payload = Vec::new();
    leb(name.len(), &mut payload);
    payload.extend_from_slice(name);
    payload.extend_from_slice(&(n as u64).to_le_bytes());
    let mut out = bytes.to_vec();
    out.push(0);
    leb(payload.len(), &mut out);
    out.extend_from_slice(&payload);
    out
}

fn manifest(n: usize) -> Manifest {
    let text = MANIFEST.replace("version = \"1.0.0\"", &format!("version = \"2.0.{n}\""));
    Manifest::from_toml(&text).expect("manifest")
}

/// The one compiled artifact under the cache root (its subdirectory is the engine's key).
fn artifact(root: &Path) -> PathBuf {
    let dir = std::fs::read_dir(root).expect("cache").flatten().next().expect("engine dir").path();
    let mut files = std::fs::read_dir(&dir).expect("engine dir").flatten().map(|e| e.path());
    files.find(|p| p.extension().is_some_and(|x| x == "cwasm")).expect("cwasm")
}

/// Median and 99th percentile.
fn p50_p99(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

pub async fn run(host: &PluginHost, root: &Path, bytes: &[u8], versions: usize) -> Report {
    let engine = host.engine().wasmtime().clone();
    let started = Instant::now();
    let first = host.install(&variant(bytes, 0), manifest(0)).await.expect("install");
    let compile = started.elapsed();
    let path = artifact(root);
    let compiled = std::fs::read(&path).expect("artifact");
    let second = engine.precompile_component(&variant(bytes, 1)).expect("compile");
    let same_artifact = second == compiled;
    let dir = path.parent().expect("dir").to_path_buf();
    for n in 1..versions {
        let name = format!("{}.cwasm", hex::encode(Sha256::digest(variant(bytes, n))));
        std::fs::write(dir.join(name), if same_artifact { &compiled } else { &second }).expect("write");
    }

    let before = Rss::now();
    let mut installed: Vec<PluginVersion> = vec![first];
    let mut installs = Vec::new();
    for n in 1..versions {
        let variant = variant(bytes, n);
        let started = Instant::now();
        installed.push(host.install(&variant, manifest(n)).await.expect("install"));
        installs.push(started.elapsed());
    }
    let rss_installed = Rss::now();

    // Each version's first call, then at once its second: the difference is what being new
    // costs (code paged in, its memory image mapped into a pool slot). Then one more call of
    // every version in turn: warm, but each in a slot last used by another version.
    let (mut first_calls, mut second_calls, mut cycled_calls) = (Vec::new(), Vec::new(), Vec::new());
    // The first variant was called by nobody either, but its install compiled it: skip it.
    for plugin in &installed[1..] {
        for calls in [&mut first_calls, &mut second_calls] {
            let started = Instant::now();
            host.invoke_event(plugin, ctx(0), event("noop", "")).await.expect("call");
            calls.push(started.elapsed());
        }
    }
    let rss_called = Rss::now();
    for plugin in &installed[1..] {
        let started = Instant::now();
        host.invoke_event(plugin, ctx(0), event("noop", "")).await.expect("call");
        cycled_calls.push(started.elapsed());
    }
    Report {
        versions,
        compile,
        same_artifact,
        artifact_bytes: compiled.len() as u64,
        install_p50: p50_p99(installs).0,
        rss_installed: rss_installed.per(&before, versions - 1),
        rss_called: rss_called.per(&before, versions - 1),
        first_call: p50_p99(first_calls),
        second_call: p50_p99(second_calls),
        cycled_call: p50_p99(cycled_calls),
    }
}
