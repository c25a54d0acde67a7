//! Integration tests: the test files under `tests/data`, driven through the public API.

#![allow(clippy::unwrap_used, missing_docs)]

mod device_link;
mod files;
mod job;
mod plugin;
mod session;

use std::path::PathBuf;

/// A test file's bytes.
pub fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.dcs` test file, by name.
pub fn dcs_files() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".dcs"))
        .collect();
    names.sort();
    names
}
