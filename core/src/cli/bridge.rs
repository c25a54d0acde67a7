//! `ils bridge`: the on-site bridge between a lab's or practice's devices and ILS
//! ([`ils_bridge`], docs/adr/049-live-devices.md). `run` moves bytes until interrupted; `status`
//! reads what a running (or stopped) bridge last wrote down.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// The bridge's commands.
#[derive(Subcommand)]
pub enum BridgeCommand {
    /// Connect the configured devices to ILS until interrupted (Ctrl-C or SIGTERM).
    Run(BridgeArgs),
    /// Show the bridge's connection, devices, what waits for ILS and the last errors.
    Status(BridgeArgs),
}

/// Where the bridge's configuration is, and what the flags change in it.
#[derive(Args)]
pub struct BridgeArgs {
    /// The bridge's TOML configuration (server, key file, data directory, devices).
    #[arg(long, env = "ILS_BRIDGE_CONFIG")]
    config: PathBuf,
    /// ILS's base URL, instead of the file's `server`.
    #[arg(long)]
    server: Option<String>,
    /// The journal's and status's directory, instead of the file's `data_dir`.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Why a bridge command failed, and its exit code: 2 for a configuration refused, 1 otherwise.
pub struct BridgeFailure(pub String, pub u8);

impl From<ils_bridge::Error> for BridgeFailure {
    fn from(e: ils_bridge::Error) -> Self {
        let code = if matches!(e, ils_bridge::Error::Config(_)) { 2 } else { 1 };
        Self(e.to_string(), code)
    }
}

impl From<ils_bridge::ConfigError> for BridgeFailure {
    fn from(e: ils_bridge::ConfigError) -> Self {
        Self(e.to_string(), 2)
    }
}

/// Runs one bridge command; `status` prints its table on standard output.
#[allow(clippy::print_stdout)]
pub async fn run(command: BridgeCommand) -> Result<(), BridgeFailure> {
    match command {
        BridgeCommand::Run(args) => {
            let config = args.config()?;
            ils_bridge::run(config, ils_core::server::shutdown_signal()).await?;
            Ok(())
        }
        BridgeCommand::Status(args) => {
            let config = args.config()?;
            println!("{}", ils_bridge::status(config.data_dir())?);
            Ok(())
        }
    }
}

impl BridgeArgs {
    fn config(&self) -> Result<ils_bridge::Config, ils_bridge::ConfigError> {
        let overrides =
            ils_bridge::Overrides { server: self.server.clone(), key: None, data_dir: self.data_dir.clone() };
        ils_bridge::Config::load_with(&self.config, &overrides)
    }
}
