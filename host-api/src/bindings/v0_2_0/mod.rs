//! `ils:platform@0.2.0` (`wit/v0.2.0`), the current version: the generated bindings, the
//! `Host` impls that do the work (older versions delegate to them, converting their types), and
//! the conversions to the shared records.

#![allow(missing_docs, clippy::all)]

mod convert;
mod host;

use semver::Version;
use wasmtime::component::Linker;

use crate::cap::Cap;
use crate::state::StoreState;

/// The WIT package version these bindings were generated from.
pub(crate) const VERSION: Version = Version::new(0, 2, 0);

wasmtime::component::bindgen!({
    path: "../wit/v0.2.0",
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
    use crate::cap::{
        clinical, config, context, events, files, inventory, kv, log, notify, orders, progress, reports,
        secrets,
    };
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
    p::reports::add_to_linker::<_, Cap<reports::ReportsCap>>(linker, |s| &mut s.reports)?;
    p::files::add_to_linker::<_, Cap<files::FilesCap>>(linker, |s| &mut s.files)?;
    p::notify::add_to_linker::<_, Cap<notify::NotifyCap>>(linker, |s| &mut s.notify)?;
    p::progress::add_to_linker::<_, Cap<progress::ProgressCap>>(linker, |s| &mut s.progress)?;
    Ok(())
}

impl super::http::HttpPlugin for Plugin {
    type Pre = PluginPre<StoreState>;

    async fn instantiate(pre: &Self::Pre, store: &mut wasmtime::Store<StoreState>) -> wasmtime::Result<Self> {
        pre.instantiate_async(store).await
    }

    async fn handle(
        &self,
        store: &mut wasmtime::Store<StoreState>,
        request: wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostIncomingRequest>,
        out: wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostResponseOutparam>,
    ) -> wasmtime::Result<()> {
        self.wasi_http_incoming_handler().call_handle(store, request, out).await
    }
}

/// Instantiates the plugin in `store` and calls one extension point. `Err` is a trap (or a
/// host failure); `Ok(Err)` is the plugin's own error or an output over the limit.
pub(crate) async fn call(
    pre: &PluginPre<StoreState>,
    store: &mut wasmtime::Store<StoreState>,
    call: crate::host::Call,
) -> wasmtime::Result<Result<crate::host::Reply, crate::error::InvokeError>> {
    use crate::error::InvokeError;
    use crate::host::{Call, Reply};
    use crate::limits::Limit;

    let max_out = store.data().inv.limits.output_bytes;
    let too_big =
        |n: usize| if n > max_out { Err(InvokeError::LimitExceeded(Limit::Output)) } else { Ok(()) };
    if let Call::Http(request) = call {
        return super::http::serve::<Plugin>(pre, store, request, max_out).await;
    }
    let plugin = pre.instantiate_async(&mut *store).await?;
    Ok(match call {
        Call::Event(event) => {
            let event = event.into();
            plugin
                .ils_platform_event_handler()
                .call_handle(&mut *store, &event)
                .await?
                .map(|()| Reply::Unit)
                .map_err(Into::into)
        }
        Call::Job { name, at_ms } => plugin
            .ils_platform_scheduled()
            .call_run(&mut *store, &name, at_ms)
            .await?
            .map(|()| Reply::Unit)
            .map_err(Into::into),
        Call::Decode { device, data } => {
            let r = plugin.ils_platform_equipment_driver().call_decode(&mut *store, &device, &data).await?;
            match r {
                Ok(m) => too_big(m.len() * 64)
                    .map(|()| Reply::Measurements(m.into_iter().map(Into::into).collect())),
                Err(e) => Err(e.into()),
            }
        }
        Call::EncodeJob { device, job } => {
            let r =
                plugin.ils_platform_equipment_driver().call_encode_job(&mut *store, &device, &job).await?;
            match r {
                Ok(bytes) => too_big(bytes.len()).map(|()| Reply::Bytes(bytes)),
                Err(e) => Err(e.into()),
            }
        }
        Call::ListReports => {
            let list = plugin.ils_platform_report_provider().call_list_reports(&mut *store).await?;
            Ok(Reply::Reports(list.into_iter().map(Into::into).collect()))
        }
        Call::Render { id, params, format } => {
            let r = plugin
                .ils_platform_report_provider()
                .call_render(&mut *store, &id, &params, format.into())
                .await?;
            use exports::ils::platform::report_provider::ReportOutput as O;
            match r {
                Ok(O::Inline(report)) => too_big(report.body.len())
                    .map(|()| Reply::Report(ils_records::ReportOutput::Inline(report.into()))),
                Ok(O::Stored(id)) => Ok(Reply::Report(ils_records::ReportOutput::Stored(id))),
                Err(e) => Err(e.into()),
            }
        }
        Call::Recommend { kind, input } => {
            let r = plugin.ils_platform_recommender().call_recommend(&mut *store, &kind, &input).await?;
            match r {
                Ok(list) => Ok(Reply::Recommendations(list.into_iter().map(Into::into).collect())),
                Err(e) => Err(e.into()),
            }
        }
        Call::Http(_) => unreachable!("handled above"),
    })
}
