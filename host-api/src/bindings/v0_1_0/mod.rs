//! `ils:platform@0.1.0` (`wit/v0.1.0`), frozen: the generated bindings, the adapters from its
//! `Host` traits to the version-independent capabilities, and the type conversions.

#![allow(missing_docs, clippy::all)]

mod convert;
mod host;

use semver::Version;
use wasmtime::component::Linker;

use crate::cap::Cap;
use crate::state::StoreState;

/// The WIT package version these bindings were generated from.
pub(crate) const VERSION: Version = Version::new(0, 1, 0);

wasmtime::component::bindgen!({
    path: "../wit/v0.1.0",
    world: "ils:platform/plugin",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:http/types": wasmtime_wasi_http::p2::bindings::http::types,
        "wasi:http/outgoing-handler": wasmtime_wasi_http::p2::bindings::http::outgoing_handler,
    },
    require_store_data_send: true,
});

/// Adds this version's `ils:platform` interfaces to a linker that already has WASI and wasi:http.
pub(crate) fn add_to_linker(linker: &mut Linker<StoreState>) -> wasmtime::Result<()> {
    use crate::cap::{clinical, config, context, events, inventory, kv, log, orders, secrets};
    use ils::platform as p;
    p::types::add_to_linker::<_, wasmtime::component::HasSelf<StoreState>>(linker, |s| s)?;
    p::context::add_to_linker::<_, Cap<context::ContextCap>>(linker, |s| &mut s.context)?;
    p::log::add_to_linker::<_, Cap<log::LogCap>>(linker, |s| &mut s.log)?;
    p::config::add_to_linker::<_, Cap<config::ConfigCap>>(linker, |s| &mut s.config)?;
    p::secrets::add_to_linker::<_, Cap<secrets::SecretsCap>>(linker, |s| &mut s.secrets)?;
    p::kv::add_to_linker::<_, Cap<kv::KvCap>>(linker, |s| &mut s.kv)?;
    p::events::add_to_linker::<_, Cap<events::EventsCap>>(linker, |s| &mut s.events)?;
    p::orders::add_to_linker::<_, Cap<orders::OrdersCap>>(linker, |s| &mut s.orders)?;
    p::clinical::add_to_linker::<_, Cap<clinical::ClinicalCap>>(linker, |s| &mut s.clinical)?;
    p::inventory::add_to_linker::<_, Cap<inventory::InventoryCap>>(linker, |s| &mut s.inventory)?;
    Ok(())
}

glue!(|answer, too_big| match answer {
    Ok(report) =>
        too_big(report.body.len()).map(|()| Reply::Report(ils_records::ReportOutput::Inline(report.into()))),
    Err(e) => Err(e.into()),
});
