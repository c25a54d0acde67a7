//! `ils plugin …`: the command tree.
//!
//! `new`, `sdk`, `build` and `test` — the plugin author's loop, which needs no database — live in
//! [`ils_plugin_cli`]; `install` and `invoke` work on this installation's catalogue and tenants,
//! so they stay here ([`install`]).
//!
//! Exit status, for scripts and CI: 0 success; 1 a scenario step failed; 2 bad usage or input
//! (a bad name, an invalid manifest or scenario) or a build that failed or was refused.

use clap::Subcommand;
use ils_plugin_cli::{CliError, EXIT_STATUS_HELP, build, new, scenario_run, sdk};

pub mod install;
pub mod publish;

/// `ils plugin …`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Create a plugin crate: manifest, code with unit tests, a host test scenario, a README, and
    /// the plugin SDK this ils carries (.ils-sdk/), so it builds with nothing but a Rust toolchain.
    #[command(after_help = EXIT_STATUS_HELP)]
    New(new::NewArgs),
    /// Write the plugin SDK this ils carries (plugin-sdk, the crates it uses, the ils:platform WIT)
    /// to a directory; in a plugin crate, replace its .ils-sdk/ with this ils's SDK.
    #[command(after_help = EXIT_STATUS_HELP)]
    Sdk(sdk::SdkArgs),
    /// Build the component and write an installable package (ils-plugin.toml + plugin.wasm),
    /// after the real plugin host has checked it.
    #[command(after_help = EXIT_STATUS_HELP)]
    Build(build::BuildArgs),
    /// Build, then run the component in the real plugin host (in-memory services, every declared
    /// capability granted) against the scenarios in tests/host/*.toml.
    #[command(after_help = EXIT_STATUS_HELP)]
    Test(scenario_run::TestArgs),
    /// Add a package (or a plugin crate, built first) to this installation's catalogue, offered
    /// to tenants from a plan up (platform admins).
    #[command(after_help = EXIT_STATUS_HELP)]
    Install(install::InstallArgs),
    /// Make an ed25519 signing key for publishing; prints the public key to register with
    /// your publisher.
    #[command(after_help = EXIT_STATUS_HELP)]
    Keygen(publish::KeygenArgs),
    /// Sign a package (or a plugin crate, built first) and publish it to a registry, where it
    /// waits for a platform admin's review.
    #[command(after_help = EXIT_STATUS_HELP)]
    Publish(publish::PublishArgs),
    /// Call an extension point of a tenant's enabled plugin, with the tenant's real
    /// configuration, secrets and data (local testing).
    #[command(after_help = EXIT_STATUS_HELP)]
    Invoke(install::InvokeArgs),
}

/// Runs a plugin command.
pub async fn run(command: PluginCommand) -> Result<(), CliError> {
    match command {
        PluginCommand::New(args) => new::run(args),
        PluginCommand::Sdk(args) => sdk::run(args),
        PluginCommand::Build(args) => build::run(args).await,
        PluginCommand::Test(args) => scenario_run::run(args).await,
        PluginCommand::Install(args) => install::install(args).await,
        PluginCommand::Invoke(args) => install::invoke(args).await,
        PluginCommand::Keygen(args) => publish::keygen(args),
        PluginCommand::Publish(args) => publish::publish(args).await,
    }
}

impl From<CliError> for crate::Failure {
    fn from(error: CliError) -> Self {
        crate::Failure(error.message, error.code)
    }
}
