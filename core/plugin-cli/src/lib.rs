//! # ILS plugin CLI
//!
//! The plugin author's loop, as the `ils` binary runs it — everything of `ils plugin …` that needs
//! no database and no HTTP server:
//!
//! - `new NAME` writes a plugin crate that builds and passes its tests as generated ([`new`]),
//!   with the plugin SDK this binary carries written into it ([`sdk`]).
//! - `sdk [--out DIR]` writes that SDK out, or replaces an older one ([`sdk`]).
//! - `build [PATH]` compiles the crate to a `wasm32-wasip2` component, checks its manifest, has
//!   the real plugin host install it (so an import the manifest does not declare fails here, not
//!   in production) and writes a package directory that `ils plugin install` and
//!   `Registry::install_from_path` accept ([`build`]).
//! - `test [PATH]` builds, then runs the component in the real host with in-memory services
//!   against the crate's scenario files, `tests/host/*.toml` ([`scenario`], [`scenario_run`]).
//!
//! `ils plugin install` and `invoke` work on an installation's catalogue and tenants, so they stay
//! with the host (`ils-core`), which also owns the clap command tree: this crate gives it the
//! arguments of each command ([`new::NewArgs`], [`build::BuildArgs`], [`scenario_run::TestArgs`])
//! and the function that runs it.
//!
//! Exit status, for scripts and CI: 0 success; 1 a scenario step failed; 2 bad usage or input
//! (a bad name, an invalid manifest or scenario) or a build that failed or was refused.
//!
//! ```
//! use std::path::Path;
//! use ils_plugin_cli::scenario::{Action, Scenario};
//!
//! let scenario = Scenario::parse(
//!     Path::new("tests/host/counts.toml"),
//!     r#"
//!         [[step]]
//!         event = "order.created"
//!         payload = { order_id = "o-1" }
//!         expect_kv = { "count/created" = "1" }
//!     "#,
//! )?;
//! assert_eq!(scenario.name, "counts");
//! assert_eq!(scenario.tenant, "test-tenant");
//! assert!(matches!(scenario.steps[0].action, Action::Event { .. }));
//! # Ok::<(), ils_plugin_cli::scenario::ScenarioError>(())
//! ```

use std::fmt;

pub mod build;
pub mod new;
pub mod scenario;
pub mod scenario_run;
pub mod sdk;

/// The exit status of a failed scenario step (`ils plugin test`).
pub const EXIT_FAILED: u8 = 1;
/// The exit status of bad usage or input, or of a build that failed or was refused.
pub const EXIT_USAGE: u8 = 2;

/// The exit statuses in a sentence, for the `after_help` of every `ils plugin` command.
pub const EXIT_STATUS_HELP: &str = "Exit status: 0 success; 1 a scenario step failed (ils plugin test); \
2 bad usage or input (name, manifest, scenario file), or a build that failed or was refused.";

/// Why a plugin command failed, with its exit status ([`EXIT_FAILED`] or [`EXIT_USAGE`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// What to tell the user (printed as `error: …`).
    pub message: String,
    /// The process's exit status: [`EXIT_FAILED`] or [`EXIT_USAGE`].
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

impl std::error::Error for CliError {}
