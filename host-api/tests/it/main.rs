//! The plugin host with real wasmtime and real `wasm32-wasip2` components (built on first use
//! by `support::guest`).

#![allow(clippy::unwrap_used, missing_docs)]

mod adversarial;
mod compat;
mod example;
mod install;
mod isolation;
mod platform_0_2;
mod platform_0_3;
mod support;
