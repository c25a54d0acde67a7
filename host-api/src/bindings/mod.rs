//! Generated bindings, one module per `ils:platform` version the host links. Private: the rest
//! of the crate converts to its own types in `convert.rs` of each version.

pub(crate) mod v0_1_0;

use semver::Version;

/// The `ils:platform` versions this host links, newest last.
pub(crate) fn supported() -> Vec<Version> {
    vec![v0_1_0::VERSION]
}
