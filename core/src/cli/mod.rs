//! Subcommands of the `ils` binary that have their own modules.
//!
//! - [`plugin`]: writing plugins — `ils plugin new`, `build` and `test`.

pub mod plugin;
