//! Subcommands of the `ils` binary that have their own modules.
//!
//! - [`plugin`]: `ils plugin …` — `new`, `build` and `test` from [`ils_plugin_cli`], `install`
//!   and `invoke` (on this installation's catalogue) here.
//! - [`bridge`]: `ils bridge run` and `ils bridge status`, the on-site bridge to devices.
//! - [`installation`]: what an installation is; `ils init` and `ils serve --init` make one, every
//!   other command refuses to run without one.

pub mod bridge;
pub mod installation;
pub mod plugin;
