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
        return http::serve(pre, store, request, max_out).await;
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
            match r {
                Ok(report) => too_big(report.body.len()).map(|()| Reply::Report(report.into())),
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

mod http {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full, Limited};
    use wasmtime_wasi_http::WasiHttpView;
    use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};

    use super::PluginPre;
    use crate::error::InvokeError;
    use crate::host::Reply;
    use crate::limits::Limit;
    use crate::state::StoreState;

    /// Hands a request to `wasi:http/incoming-handler` and reads the response while the guest
    /// writes it, stopping at `max_out` bytes.
    pub(super) async fn serve(
        pre: &PluginPre<StoreState>,
        store: &mut wasmtime::Store<StoreState>,
        request: http::Request<Bytes>,
        max_out: usize,
    ) -> wasmtime::Result<Result<Reply, InvokeError>> {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let request = request.map(|b| Full::new(b).map_err(|never| -> ErrorCode { match never {} }));
        let req = store.data_mut().http().new_incoming_request(Scheme::Http, request)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let plugin = pre.instantiate_async(&mut *store).await?;
        // The call borrows the store until it is dropped, at the end of this block.
        let response = {
            let call = plugin.wasi_http_incoming_handler().call_handle(&mut *store, req, out);
            let read = async {
                let response = match receiver.await {
                    Ok(Ok(response)) => response,
                    Ok(Err(code)) => {
                        return Err(InvokeError::Plugin {
                            message: format!("HTTP handler failed: {code:?}"),
                            retryable: false,
                        });
                    }
                    Err(_) => {
                        return Err(InvokeError::Plugin {
                            message: "HTTP handler set no response".into(),
                            retryable: false,
                        });
                    }
                };
                let (parts, body) = response.into_parts();
                match Limited::new(body, max_out).collect().await {
                    Ok(body) => Ok(http::Response::from_parts(parts, body.to_bytes())),
                    Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                        Err(InvokeError::LimitExceeded(Limit::Output))
                    }
                    Err(e) => Err(InvokeError::Plugin {
                        message: format!("HTTP response body: {e}"),
                        retryable: false,
                    }),
                }
            };
            tokio::pin!(call, read);
            // Read the response while the guest writes it. A trap ends the wait at once: the
            // response sender lives in the store, so the reader alone would never finish.
            let mut returned = false;
            let response = loop {
                tokio::select! {
                    called = &mut call, if !returned => {
                        called?;
                        returned = true;
                    }
                    response = &mut read => break response,
                }
            };
            // An over-long body is reported as such even if the guest then trips over the closed stream.
            if let Err(InvokeError::LimitExceeded(l)) = response {
                return Ok(Err(InvokeError::LimitExceeded(l)));
            }
            if !returned {
                call.await?;
            }
            response
        };
        if let Some(status) = store.data().refused_status {
            return Ok(Err(crate::answer::refused(status)));
        }
        Ok(response.map(Reply::Http))
    }
}
