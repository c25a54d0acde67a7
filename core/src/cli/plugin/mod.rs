//! `ils plugin …`: the plugin author's loop.
//!
//! - `new NAME` writes a plugin crate that builds and passes its tests as generated ([`new`]).
//! - `build [PATH]` compiles the crate to a `wasm32-wasip2` component, checks its manifest, has
//!   the real plugin host install it (so an import the manifest does not declare fails here, not
//!   in production) and writes a package directory that `ils plugin install` and
//!   `Registry::install_from_path` accept ([`build`]).
//! - `test [PATH]` builds, then runs the component in the real host with in-memory services
//!   against the crate's scenario files, `tests/host/*.toml` ([`scenario`], [`mod@test`]).
//!
//! Exit status, for scripts and CI: 0 success; 1 a scenario step failed; 2 bad usage or input
//! (a bad name, an invalid manifest or scenario) or a build that failed or was refused.

use std::fmt;

use clap::Subcommand;

pub mod build;
pub mod install;
pub mod new;
pub mod scenario;
pub mod test;

/// The exit status of a failed scenario step (`ils plugin test`).
pub const EXIT_FAILED: u8 = 1;
/// The exit status of bad usage or input, or of a build that failed or was refused.
pub const EXIT_USAGE: u8 = 2;

const EXIT_STATUS_HELP: &str = "Exit status: 0 success; 1 a scenario step failed (ils plugin test); \
2 bad usage or input (name, manifest, scenario file), or a build that failed or was refused.";

/// `ils plugin …`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Create a plugin crate: manifest, code with unit tests, a host test scenario and a README.
    #[command(after_help = EXIT_STATUS_HELP)]
    New(new::NewArgs),
    /// Build the component and write an installable package (ils-plugin.toml + plugin.wasm),
    /// after the real plugin host has checked it.
    #[command(after_help = EXIT_STATUS_HELP)]
    Build(build::BuildArgs),
    /// Build, then run the component in the real plugin host (in-memory services, every declared
    /// capability granted) against the scenarios in tests/host/*.toml.
    #[command(after_help = EXIT_STATUS_HELP)]
    Test(test::TestArgs),
    /// Add a package (or a plugin crate, built first) to this installation's catalogue, offered
    /// to tenants from a plan up (platform admins).
    #[command(after_help = EXIT_STATUS_HELP)]
    Install(install::InstallArgs),
    /// Call an extension point of a tenant's enabled plugin, with the tenant's real
    /// configuration, secrets and data (local testing).
    #[command(after_help = EXIT_STATUS_HELP)]
    Invoke(install::InvokeArgs),
}

/// Runs a plugin command.
pub async fn run(command: PluginCommand) -> Result<(), CliError> {
    match command {
        PluginCommand::New(args) => new::run(args),
        PluginCommand::Build(args) => build::run(args).await,
        PluginCommand::Test(args) => test::run(args).await,
        PluginCommand::Install(args) => install::install(args).await,
        PluginCommand::Invoke(args) => install::invoke(args).await,
    }
}

/// Why a plugin command failed, with its exit status ([`EXIT_FAILED`] or [`EXIT_USAGE`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// What to tell the user (printed as `error: …`).
    pub message: String,
    /// The exit status.
    pub code: u8,
}

impl CliError {
    /// Bad usage or input, or a build that failed or was refused (exit status 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self { message: message.into(), code: EXIT_USAGE }
    }

    /// Scenario steps failed (exit status 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self { message: message.into(), code: EXIT_FAILED }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<CliError> for crate::Failure {
    fn from(error: CliError) -> Self {
        crate::Failure(error.message, error.code)
    }
}
