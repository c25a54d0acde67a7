//! Build script of `ils-storage`: the migrations are embedded by `sqlx::migrate!`, so a new or
//! changed migration file must rebuild the crate.
#![allow(clippy::print_stdout, reason = "cargo reads build-script instructions from stdout")]

fn main() {
    println!("cargo::rerun-if-changed=../../migrations");
}
