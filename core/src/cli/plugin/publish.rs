//! `ils plugin keygen`: a publisher's ed25519 signing key. `ils plugin publish PATH`: sign a
//! package with it and upload it to a registry (`POST /api/v1/registry/packages`), where it
//! waits for review.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use clap::Args;
use ils_plugin_cli::CliError;
use ils_plugin_cli::build::{self, LocalHost};
use ils_registry::signing::PrivateKey;
use ils_registry::store::{COMPONENT_FILE, MANIFEST_FILE};
use ils_registry::{Descriptor, Manifest};

/// `ils plugin keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the private key (PKCS#8 PEM, readable by you only). It must not exist.
    #[arg(long, value_name = "FILE", default_value = "ils-publisher.pem")]
    pub out: PathBuf,
}

/// `ils plugin publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// A package directory (ils-plugin.toml + plugin.wasm, as `ils plugin build` writes it), or
    /// a plugin crate, which is built first.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The ILS server whose registry to publish to (`https://ils.example.com`).
    #[arg(long, env = "ILS_REGISTRY_URL", value_name = "URL")]
    pub registry: String,
    /// A publishing token (`ils_p_…`) or a session token (`ils_s_…`).
    #[arg(long, env = "ILS_REGISTRY_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: String,
    /// The private key to sign with (`ils plugin keygen` writes one).
    #[arg(long, env = "ILS_SIGNING_KEY", value_name = "FILE")]
    pub key: PathBuf,
    /// The publisher to publish as, when your account belongs to several.
    #[arg(long, value_name = "SLUG")]
    pub publisher: Option<String>,
}

/// Runs `ils plugin keygen`.
#[allow(clippy::print_stdout)]
pub fn keygen(args: KeygenArgs) -> Result<(), CliError> {
    let key = PrivateKey::generate();
    let pem = key.to_pem().map_err(|e| CliError::failed(e.to_string()))?;
    write_private(&args.out, pem.as_bytes())?;
    let public = key.public();
    println!("wrote {} (keep it secret; it signs your packages)", args.out.display());
    println!("key id:     {}", public.key_id());
    println!("public key: {}", public.to_base64());
    println!(
        "register it: POST /api/v1/registry/publishers/{{publisher}}/keys {{\"name\":…,\"public_key\":…}}"
    );
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    file.write_all(bytes).map_err(|e| CliError::failed(format!("{}: {e}", path.display())))
}

/// The package a path names: the directory itself, or the crate built first.
pub(crate) async fn package_dir(path: &Path) -> Result<PathBuf, CliError> {
    if path.join(COMPONENT_FILE).is_file() {
        Ok(path.to_path_buf())
    } else if path.join("Cargo.toml").is_file() {
        Ok(build::build(path, None, &LocalHost::new()?).await?.package_dir)
    } else {
        Err(CliError::usage(format!(
            "{} is neither a package ({MANIFEST_FILE} + {COMPONENT_FILE}) nor a plugin crate (Cargo.toml)",
            path.display()
        )))
    }
}

/// Runs `ils plugin publish`.
#[allow(clippy::print_stdout)]
pub async fn publish(args: PublishArgs) -> Result<(), CliError> {
    let key_pem = std::fs::read_to_string(&args.key)
        .map_err(|e| CliError::usage(format!("{}: {e}", args.key.display())))?;
    let key = PrivateKey::from_pem(&key_pem)
        .map_err(|e| CliError::usage(format!("{}: {e}", args.key.display())))?;
    let dir = package_dir(&args.path).await?;
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
    };
    let manifest_text = String::from_utf8(read(MANIFEST_FILE)?)
        .map_err(|_| CliError::usage(format!("{MANIFEST_FILE} is not UTF-8")))?;
    let component = read(COMPONENT_FILE)?;
    let manifest =
        Manifest::from_toml(&manifest_text).map_err(|e| CliError::usage(format!("{MANIFEST_FILE}: {e}")))?;
    let digest = Descriptor::of_package(&manifest, &manifest_text, &component).digest();
    let body = serde_json::json!({
        "publisher": args.publisher,
        "manifest": manifest_text,
        "component": base64::engine::general_purpose::STANDARD.encode(&component),
        "key_id": key.public().key_id(),
        "signature": key.sign(&digest),
    });
    let url = format!("{}/api/v1/registry/packages", args.registry.trim_end_matches('/'));
    ils_core::state::install_tls_provider();
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(args.token.trim())
        .json(&body)
        .send()
        .await
        .map_err(|e| CliError::failed(format!("{url}: {e}")))?;
    let status = response.status();
    let answer: serde_json::Value = response.json().await.unwrap_or_default();
    if !status.is_success() {
        let code = answer["code"].as_str().unwrap_or("error");
        let detail = answer["detail"].as_str().unwrap_or("no detail");
        return Err(CliError::failed(format!(
            "the registry refused {} {}: {code}: {detail}",
            manifest.id, manifest.version
        )));
    }
    println!(
        "published {} {} ({digest}), signed with key {}: {}",
        manifest.id,
        manifest.version,
        key.public().key_id(),
        answer["status"].as_str().unwrap_or("unknown")
    );
    if answer["status"] == "pending" {
        println!(
            "it waits for a platform admin's review; see it at GET /api/v1/registry/plugins/{}/versions/{}",
            manifest.id, manifest.version
        );
    }
    Ok(())
}
