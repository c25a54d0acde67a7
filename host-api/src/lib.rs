//! placeholder
#![allow(missing_docs)]
mod bindings;
mod cache;
mod cap;
pub mod engine;
pub mod error;
pub mod extension;
pub mod host;
pub mod ids;
mod inspect;
pub mod limits;
pub mod memory;
pub mod metrics;
pub mod services;
mod state;
