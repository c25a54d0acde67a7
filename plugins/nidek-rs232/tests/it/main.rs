//! Integration tests: sample transmissions under `tests/data`, through the public API.

#![allow(clippy::unwrap_used, missing_docs)]

mod decode;
mod prescription;

/// A test file's bytes.
pub fn data(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
