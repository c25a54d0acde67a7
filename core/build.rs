//! Build script of `ils-core`: turns on `cfg(ils_pg)` when `ILS_TEST_DATABASE_URL` names a
//! PostgreSQL server to test against.
//!
//! Every test that needs PostgreSQL is marked
//! `#[cfg_attr(not(ils_pg), ignore = "set ILS_TEST_DATABASE_URL to run the PostgreSQL variant")]`,
//! so without a database those tests are reported as *ignored*, never as silently passed.
//! `scripts/test` sets the variable when it finds a server; CI requires one.
#![allow(clippy::print_stdout, reason = "cargo reads build-script instructions from stdout")]

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ils_pg)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=ILS_TEST_DATABASE_URL");
    if std::env::var_os("ILS_TEST_DATABASE_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=ils_pg");
    }
}
