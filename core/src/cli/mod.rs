//! Subcommands of the `ils` binary that have their own modules.
//!
//! - [`plugin`]: `ils plugin …` — `new`, `build` and `test` from [`ils_plugin_cli`], `install`
//!   and `invoke` (on this installation's catalogue) here.

pub mod plugin;
