//! Subcommands of the `ils` binary that have their own modules.
//!
//! - [`plugin`]: `ils plugin …` — `new`, `build` and `test` from [`ils_plugin_cli`], `install`
//!   and `invoke` (on this installation's catalogue) here.
//! - [`installation`]: what an installation is; `ils init` and `ils serve --init` make one, every
//!   other command refuses to run without one.

pub mod installation;
pub mod plugin;
