//! Generated bindings, one module per `ils:platform` version the host links. Private: the
//! current version's (`latest`) `Host` impls call the capabilities; an older version's impls
//! call the current version's and convert (Zed's shape), and each version's `convert.rs`
//! converts its export types to the shared records (`ils-records`).

/// What every version's bindings do the same way, written once: how a plugin is instantiated
/// for HTTP, its extension points' exports found at install (`Points`), and `call`, which
/// instantiates it and calls one extension point (`Err` is a trap or
/// a host failure; `Ok(Err)` the plugin's own error or an output over the limit). Expanded in
/// each version's module, where `Plugin`, `PluginPre` and `exports` are that version's; the
/// versions differ only in what `render` returns, so each says how its answer becomes a reply:
/// `glue!(|answer, too_big| expression)`, with `too_big(bytes)` refusing an output over the
/// limit.
macro_rules! glue {
    (|$answer:ident, $too_big:ident| $render:expr) => {
        impl super::http::HttpPlugin for Plugin {
            type Pre = PluginPre<StoreState>;

            async fn instantiate(
                pre: &Self::Pre,
                store: &mut wasmtime::Store<StoreState>,
            ) -> wasmtime::Result<Self> {
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

        /// A pre-linked plugin with its extension points' exports found once, at install: a
        /// call loads (and type-checks) only the interface it calls, where `PluginPre` would
        /// check every export of the world on every instantiation.
        #[derive(Clone)]
        pub(crate) struct Points {
            pre: PluginPre<StoreState>,
            event_handler: exports::ils::platform::event_handler::GuestIndices,
            scheduled: exports::ils::platform::scheduled::GuestIndices,
            equipment_driver: exports::ils::platform::equipment_driver::GuestIndices,
            report_provider: exports::ils::platform::report_provider::GuestIndices,
            recommender: exports::ils::platform::recommender::GuestIndices,
        }

        impl Points {
            pub(crate) fn new(pre: PluginPre<StoreState>) -> wasmtime::Result<Self> {
                let instance = pre.instance_pre();
                Ok(Self {
                    event_handler: exports::ils::platform::event_handler::GuestIndices::new(instance)?,
                    scheduled: exports::ils::platform::scheduled::GuestIndices::new(instance)?,
                    equipment_driver: exports::ils::platform::equipment_driver::GuestIndices::new(instance)?,
                    report_provider: exports::ils::platform::report_provider::GuestIndices::new(instance)?,
                    recommender: exports::ils::platform::recommender::GuestIndices::new(instance)?,
                    pre,
                })
            }

            /// The linked component, to find a later version's exports in it.
            #[allow(dead_code)]
            pub(crate) fn instance_pre(&self) -> &wasmtime::component::InstancePre<StoreState> {
                self.pre.instance_pre()
            }
        }

        /// Instantiates the plugin in `store` and calls one extension point. `Err` is a trap (or
        /// a host failure); `Ok(Err)` is the plugin's own error or an output over the limit.
        pub(crate) async fn call(
            points: &Points,
            store: &mut wasmtime::Store<StoreState>,
            call: crate::call::Call,
        ) -> wasmtime::Result<Result<crate::call::Reply, crate::error::InvokeError>> {
            use crate::call::{Call, Reply};
            use crate::error::InvokeError;
            use crate::limits::Limit;

            let max_out = store.data().inv.limits.output_bytes;
            let $too_big =
                |n: usize| if n > max_out { Err(InvokeError::LimitExceeded(Limit::Output)) } else { Ok(()) };
            let call = match call {
                Call::Http(request) => {
                    return super::http::serve::<Plugin>(&points.pre, store, request, max_out).await;
                }
                // Extension points of a later version: the manifest check at install keeps them
                // out of reach, this answers if one is asked anyway.
                Call::Sms(_) | Call::Advise { .. } | Call::Read { .. } | Call::Session { .. } => {
                    return Ok(Err(InvokeError::NotProvided(call.point().0)));
                }
                call => call,
            };
            let instance = points.pre.instance_pre().instantiate_async(&mut *store).await?;
            let instance = &instance;
            Ok(match call {
                Call::Event(event) => {
                    let event = event.into();
                    points
                        .event_handler
                        .load(&mut *store, instance)?
                        .call_handle(&mut *store, &event)
                        .await?
                        .map(|()| Reply::Unit)
                        .map_err(Into::into)
                }
                Call::Job { name, at_ms } => points
                    .scheduled
                    .load(&mut *store, instance)?
                    .call_run(&mut *store, &name, at_ms)
                    .await?
                    .map(|()| Reply::Unit)
                    .map_err(Into::into),
                Call::Decode { device, data } => {
                    let r = points
                        .equipment_driver
                        .load(&mut *store, instance)?
                        .call_decode(&mut *store, &device, &data)
                        .await?;
                    match r {
                        Ok(m) => $too_big(m.len() * 64)
                            .map(|()| Reply::Measurements(m.into_iter().map(Into::into).collect())),
                        Err(e) => Err(e.into()),
                    }
                }
                Call::EncodeJob { device, job } => {
                    let r = points
                        .equipment_driver
                        .load(&mut *store, instance)?
                        .call_encode_job(&mut *store, &device, &job)
                        .await?;
                    match r {
                        Ok(bytes) => $too_big(bytes.len()).map(|()| Reply::Bytes(bytes)),
                        Err(e) => Err(e.into()),
                    }
                }
                Call::ListReports => {
                    let list = points
                        .report_provider
                        .load(&mut *store, instance)?
                        .call_list_reports(&mut *store)
                        .await?;
                    Ok(Reply::Reports(list.into_iter().map(Into::into).collect()))
                }
                Call::Render { id, params, format } => {
                    let $answer = points
                        .report_provider
                        .load(&mut *store, instance)?
                        .call_render(&mut *store, &id, &params, format.into())
                        .await?;
                    $render
                }
                Call::Recommend { kind, input } => {
                    let r = points
                        .recommender
                        .load(&mut *store, instance)?
                        .call_recommend(&mut *store, &kind, &input)
                        .await?;
                    match r {
                        Ok(list) => Ok(Reply::Recommendations(list.into_iter().map(Into::into).collect())),
                        Err(e) => Err(e.into()),
                    }
                }
                Call::Http(_)
                | Call::Sms(_)
                | Call::Advise { .. }
                | Call::Read { .. }
                | Call::Session { .. } => {
                    unreachable!("handled above")
                }
            })
        }
    };
}

mod http;
pub(crate) mod v0_1_0;
pub(crate) mod v0_2_0;
pub(crate) mod v0_3_0;

/// The version whose `Host` impls do the work. 0.3.0 added only exports: its imports are
/// 0.2.0's interfaces, unchanged, so 0.2.0's impls serve both.
pub(crate) use v0_2_0 as latest;

use semver::Version;

/// The `ils:platform` versions this host links, newest last.
pub(crate) fn supported() -> Vec<Version> {
    vec![v0_1_0::VERSION, v0_2_0::VERSION, v0_3_0::VERSION]
}

/// The versions as users read them: `0.1.x, 0.2.x`.
pub(crate) fn supported_text() -> String {
    supported().iter().map(|v| format!("{}.{}.x", v.major, v.minor)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    /// Released WIT versions are frozen: their files must match the recorded hashes.
    #[test]
    fn released_wit_is_unchanged() {
        for version in super::supported() {
            let name = format!("v{version}");
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit").join(&name);
            let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
            let mut checked = 0;
            for line in sums.lines() {
                let (hash, file) = line.split_once("  ").unwrap();
                let bytes = std::fs::read(dir.join(file)).unwrap();
                assert_eq!(
                    hex::encode(Sha256::digest(&bytes)),
                    hash,
                    "wit/{name}/{file} changed; add a new version instead"
                );
                checked += 1;
            }
            let on_disk = std::fs::read_dir(&dir)
                .unwrap()
                .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "wit"))
                .count()
                + std::fs::read_dir(dir.join("deps")).map_or(0, Iterator::count);
            assert_eq!(checked, on_disk, "every WIT file of {name} is listed in SHA256SUMS");
        }
    }
}
