//! `ils plugin install PATH`: add a package to this installation's catalogue (a platform admin's
//! step). `ils plugin invoke PLUGIN --tenant SLUG …`: call one extension point of a tenant's
//! enabled plugin, with the tenant's real configuration, secrets and data (local testing).

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use ils_core::Error;
use ils_core::tenants::{PlanSlug, Slug};
use ils_host_api::Caller;
use ils_plugin_cli::CliError;
use ils_plugin_host::Plugins;
use ils_plugin_host::catalogue;
use ils_plugin_host::invoke::{Call, Reply};

/// `ils plugin install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// A package directory (ils-plugin.toml + plugin.wasm, as `ils plugin build` writes it), or
    /// a plugin crate, which is built first.
    pub path: PathBuf,
    /// The plan it is offered from: it is included in that plan and every plan ranked above
    /// (free, pro, premium, enterprise, or one a platform admin created).
    #[arg(long, default_value = "free", value_parser = crate::parse_plan)]
    pub plan: PlanSlug,
    #[command(flatten)]
    pub db: crate::DbArgs,
}

/// `ils plugin invoke`.
#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The plugin's id.
    pub plugin: String,
    /// The tenant (its handle) whose enabled plugin to call.
    #[arg(long)]
    pub tenant: String,
    /// For `http`: the role the caller has (the plugin sees it).
    #[arg(long, default_value = "company_admin")]
    pub role: String,
    #[command(subcommand)]
    pub call: InvokeCall,
    #[command(flatten)]
    pub db: crate::DbArgs,
}

/// The extension point to call.
#[derive(Debug, Subcommand)]
pub enum InvokeCall {
    /// Deliver an event (not recorded): `event order.created --payload '{"order_id":"o-1"}'`.
    Event {
        /// The event type.
        kind: String,
        /// Its payload (JSON).
        #[arg(long, default_value = "{}")]
        payload: String,
    },
    /// Send a request to the plugin's routes: `http GET /orders`.
    Http {
        /// HTTP method, in any case (`get`, `POST`).
        method: String,
        /// Path (and query) relative to the plugin.
        path: String,
        /// Request body.
        #[arg(long)]
        body: Option<String>,
    },
    /// Run a scheduled job now.
    Job {
        /// The schedule's name.
        name: String,
    },
    /// Decode device output read from FILE (`-` for standard input).
    Decode {
        /// The device, as the driver names it.
        device: String,
        /// File of raw device output; `-` reads standard input.
        file: PathBuf,
    },
    /// Encode a job (JSON) for a device.
    Encode {
        /// The device, as the driver names it.
        device: String,
        /// The job (JSON).
        job: String,
    },
}

fn failure(f: crate::Failure) -> CliError {
    CliError { message: f.0, code: f.1 }
}

fn domain(e: Error) -> CliError {
    match e {
        Error::Invalid { .. } | Error::Conflict { .. } | Error::NotFound(_) | Error::Forbidden { .. } => {
            CliError::usage(e.to_string())
        }
        Error::Plugin { failure: ils_kernel::PluginFailure::Missing, .. } => CliError::usage(e.to_string()),
        other => CliError::failed(other.to_string()),
    }
}

/// The plugin runtime over the data directory's database and registry.
async fn runtime(db_args: &crate::DbArgs) -> Result<(ils_core::db::Db, Plugins), CliError> {
    let db = db_args.open().await.map_err(failure)?;
    let sealer =
        ils_core::config::load_sealer(std::env::var("ILS_SECRET_KEY").ok().as_deref(), &db_args.data_dir)
            .map_err(|e| CliError::failed(e.to_string()))?;
    let metrics = Arc::new(ils_core::http::metrics::Metrics::new());
    // The CLI sends no e-mail: a plugin asking to is told no mail server is configured.
    let files = ils_core::files::Files::new(db.clone(), db_args.files().open());
    let core = ils_core::state::core_services(&db, &files, false, 1);
    let plugins = Plugins::new(db.clone(), sealer, metrics, db_args.plugins(), core);
    Ok((db, plugins))
}

/// Runs `ils plugin install`.
#[allow(clippy::print_stdout)]
pub async fn install(args: InstallArgs) -> Result<(), CliError> {
    let dir = super::publish::package_dir(&args.path).await?;
    let (db, plugins) = runtime(&args.db).await?;
    let added = catalogue::add(&db, &plugins, &dir, &args.plan).await.map_err(domain)?;
    db.close().await;
    println!(
        "installed {} {} (sha256 {}), offered from the {} plan up",
        added.id, added.version, added.digest, added.min_plan
    );
    println!("a tenant admin enables it with PUT /api/v1/tenant/plugins/{}", added.id);
    Ok(())
}

/// Runs `ils plugin invoke`.
#[allow(clippy::print_stdout)]
pub async fn invoke(args: InvokeArgs) -> Result<(), CliError> {
    let call = match args.call {
        InvokeCall::Event { kind, payload } => {
            let payload = serde_json::from_str(&payload)
                .map_err(|e| CliError::usage(format!("--payload is not JSON: {e}")))?;
            Call::Event { kind, payload }
        }
        InvokeCall::Http { method, path, body } => {
            let method = method
                .to_uppercase()
                .parse()
                .map_err(|_| CliError::usage(format!("{method:?} is not an HTTP method")))?;
            let path = if path.starts_with('/') { path } else { format!("/{path}") };
            Call::Http { method, path, body: body.unwrap_or_default().into_bytes() }
        }
        InvokeCall::Job { name } => Call::Job { name },
        InvokeCall::Decode { device, file } => {
            let data = if file.as_os_str() == "-" {
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut data)
                    .map_err(|e| CliError::usage(format!("standard input: {e}")))?;
                data
            } else {
                std::fs::read(&file).map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?
            };
            Call::Decode { device, data }
        }
        InvokeCall::Encode { device, job } => Call::EncodeJob { device, job },
    };
    let slug = Slug::parse(&args.tenant).map_err(|e| CliError::usage(format!("--tenant: {e}")))?;
    let (db, plugins) = runtime(&args.db).await?;
    let tenant = ils_core::tenants::active_by_slug(&db, &slug)
        .await
        .map_err(domain)?
        .ok_or_else(|| CliError::usage(format!("no active tenant {:?}", args.tenant)))?;
    let caller = Caller { user_id: "ils-cli".into(), roles: vec![args.role] };
    let reply = plugins.invoke(tenant, &args.plugin, Some(caller), call).await;
    // A failed call is metered too.
    let flushed = plugins.metering().flush().await;
    db.close().await;
    let reply = reply.map_err(domain)?;
    flushed.map_err(domain)?;
    match reply {
        Reply::Done => println!("ok"),
        Reply::Http { status, body } => println!("{status}\n{body}"),
        Reply::Bytes { bytes } => println!("{}", String::from_utf8_lossy(&bytes)),
        other => println!("{}", serde_json::to_string_pretty(&other).unwrap_or_default()),
    }
    Ok(())
}
