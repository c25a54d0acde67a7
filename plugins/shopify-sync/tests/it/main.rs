//! End to end through the public API: a signed delivery is verified, parsed, and turned into
//! stock movements that apply once however often and in whatever form the order arrives.

#![allow(clippy::unwrap_used, missing_docs)]

mod deliveries;
mod orders;
mod plugin;

use std::path::Path;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
