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
    /// Go ahead without asking: `event`, `job` and `http` other than GET and HEAD run the plugin
    /// on the tenant's real data, and what it writes stays written. Without it, the command
    /// asks on a terminal and refuses otherwise.
    #[arg(long)]
    pub yes: bool,
    #[command(subcommand)]
    pub call: InvokeCall,
    #[command(flatten)]
    pub db: crate::DbArgs,
}

/// The extension point to call.
#[derive(Debug, Subcommand)]
pub enum InvokeCall {
    /// Deliver an event (the event itself is not recorded, but what the plugin does with it
    /// is): `event order.created --payload '{"order_id":"o-1"}'`.
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
    // Before a crate is built: a forgotten --data-dir is refused at once.
    args.db.require_installation().await.map_err(failure)?;
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
    args.db.require_installation().await.map_err(failure)?;
    if writes(&call) {
        confirm(&args.plugin, &args.tenant, args.yes)?;
    }
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

/// Whether a call may write to the tenant's data: an event or a job, whose handlers may write
/// anything the plugin may; a request other than GET or HEAD.
fn writes(call: &Call) -> bool {
    match call {
        Call::Event { .. } | Call::Job { .. } => true,
        Call::Http { method, .. } => !matches!(method.as_str(), "GET" | "HEAD"),
        _ => false,
    }
}

/// Says that the call acts on the tenant's real data, then goes on with `--yes`, asks on a
/// terminal, and refuses (usage, exit code 2) when nobody can be asked.
fn confirm(plugin: &str, tenant: &str, yes: bool) -> Result<(), CliError> {
    eprintln!(
        "this runs {plugin} on {tenant}'s real data: whatever it writes (its kv, notes on orders, \
         stock movements, events, e-mail) is written for real, as if ILS had called it"
    );
    if yes {
        return Ok(());
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(CliError::usage(
            "refused: standard input is not a terminal to confirm on; pass --yes to go ahead".to_owned(),
        ));
    }
    eprint!("go ahead? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|e| CliError::usage(format!("standard input: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(CliError::usage("not confirmed: nothing was run".to_owned()))
    }
}
