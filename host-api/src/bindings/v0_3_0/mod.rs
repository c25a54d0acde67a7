//! `ils:platform@0.3.0` (`wit/v0.3.0`), the current version: 0.2.0 and two extension points more,
//! `sms` and `recall-advisor`. Its imports and its other exports are 0.2.0's interfaces by name
//! (`ils:platform/kv@0.2.0`), so a 0.3.0 plugin links with 0.2.0's linker and is driven through
//! 0.2.0's `Points` for everything but the two new exports, which are found here.

#![allow(missing_docs, clippy::all)]

use semver::Version;
use wasmtime::component::InstancePre;

use super::v0_2_0;
use crate::call::{Call, Reply, SessionCall};
use crate::error::InvokeError;
use crate::state::StoreState;

/// The WIT package version these bindings were generated from.
pub(crate) const VERSION: Version = Version::new(0, 3, 0);

wasmtime::component::bindgen!({
    path: ["../wit/v0.2.0", "../wit/v0.3.0"],
    world: "ils:platform/plugin@0.3.0",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:http/types": wasmtime_wasi_http::p2::bindings::http::types,
        "wasi:http/outgoing-handler": wasmtime_wasi_http::p2::bindings::http::outgoing_handler,
        "ils:platform/types@0.2.0": v0_2_0::ils::platform::types,
        "ils:platform/context@0.2.0": v0_2_0::ils::platform::context,
        "ils:platform/log@0.2.0": v0_2_0::ils::platform::log,
        "ils:platform/config@0.2.0": v0_2_0::ils::platform::config,
        "ils:platform/secrets@0.2.0": v0_2_0::ils::platform::secrets,
        "ils:platform/kv@0.2.0": v0_2_0::ils::platform::kv,
        "ils:platform/events@0.2.0": v0_2_0::ils::platform::events,
        "ils:platform/orders@0.2.0": v0_2_0::ils::platform::orders,
        "ils:platform/clinical@0.2.0": v0_2_0::ils::platform::clinical,
        "ils:platform/inventory@0.2.0": v0_2_0::ils::platform::inventory,
        "ils:platform/reports@0.2.0": v0_2_0::ils::platform::reports,
        "ils:platform/files@0.2.0": v0_2_0::ils::platform::files,
        "ils:platform/notify@0.2.0": v0_2_0::ils::platform::notify,
        "ils:platform/progress@0.2.0": v0_2_0::ils::platform::progress,
    },
    require_store_data_send: true,
});

use exports::ils::platform0_3_0::{device_link, recall_advisor, sms};

/// A pre-linked 0.3.0 plugin: 0.2.0's extension points, and the two 0.3.0 added.
#[derive(Clone)]
pub(crate) struct Points {
    base: v0_2_0::Points,
    sms: sms::GuestIndices,
    recall_advisor: recall_advisor::GuestIndices,
    device_link: device_link::GuestIndices,
}

impl Points {
    /// Finds every export, old and new, in a component linked with 0.2.0's linker.
    pub(crate) fn new(pre: InstancePre<StoreState>) -> wasmtime::Result<Self> {
        Ok(Self {
            sms: sms::GuestIndices::new(&pre)?,
            recall_advisor: recall_advisor::GuestIndices::new(&pre)?,
            device_link: device_link::GuestIndices::new(&pre)?,
            base: v0_2_0::PluginPre::new(pre).and_then(v0_2_0::Points::new)?,
        })
    }
}

/// Calls one extension point: the new ones here, the rest as 0.2.0 does.
pub(crate) async fn call(
    points: &Points,
    store: &mut wasmtime::Store<StoreState>,
    call: Call,
) -> wasmtime::Result<Result<Reply, InvokeError>> {
    match call {
        Call::Sms(message) => {
            let instance = points.base.instance_pre().instantiate_async(&mut *store).await?;
            let message = sms::Message { to: message.to, body: message.body, reference: message.reference };
            let sent = points.sms.load(&mut *store, &instance)?.call_send(&mut *store, &message).await?;
            Ok(sent.map(Reply::Text).map_err(|e| match e {
                sms::SmsError::Rejected(message) => InvokeError::Plugin { message, retryable: false },
                sms::SmsError::Unavailable(message) => InvokeError::Plugin { message, retryable: true },
            }))
        }
        Call::Advise { patient_id, born_on, examined_on } => {
            let instance = points.base.instance_pre().instantiate_async(&mut *store).await?;
            let advice = points
                .recall_advisor
                .load(&mut *store, &instance)?
                .call_advise(&mut *store, &patient_id, born_on.as_deref(), &examined_on)
                .await?;
            Ok(Ok(Reply::Advice(
                advice.map(|a| ils_records::RecallAdvice { months: a.months, reason: a.reason }),
            )))
        }
        Call::Read { device, data } => {
            let instance = points.base.instance_pre().instantiate_async(&mut *store).await?;
            let link = points.device_link.load(&mut *store, &instance)?;
            let read = link.call_read(&mut *store, &device, &data).await?;
            Ok(read.map_err(Into::into).and_then(|r| {
                let size = r.measurements.len() * 64 + r.warnings.iter().map(String::len).sum::<usize>();
                within(store, size).map(|()| Reply::Reading(r.into()))
            }))
        }
        Call::Session { device, step } => {
            let instance = points.base.instance_pre().instantiate_async(&mut *store).await?;
            let link = points.device_link.load(&mut *store, &instance)?;
            let step = match step {
                SessionCall::Open => link.call_open(&mut *store, &device).await?,
                SessionCall::Feed { state, bytes } => {
                    link.call_feed(&mut *store, &device, &state, &bytes).await?
                }
                SessionCall::Wake { state } => link.call_wake(&mut *store, &device, &state).await?,
                SessionCall::SendJob { state, job } => {
                    link.call_send_job(&mut *store, &device, &state, &job).await?
                }
            };
            Ok(step.map_err(Into::into).and_then(|s| {
                within(store, s.state.len() + s.send.len() + s.happenings.len() * 64)
                    .map(|()| Reply::Step(s.into()))
            }))
        }
        call => v0_2_0::call(&points.base, store, call).await,
    }
}

/// An answer of `size` bytes is within the invocation's output limit.
fn within(store: &wasmtime::Store<StoreState>, size: usize) -> Result<(), InvokeError> {
    if size > store.data().inv.limits.output_bytes {
        return Err(InvokeError::LimitExceeded(crate::limits::Limit::Output));
    }
    Ok(())
}

ils_records::same_enum!(device_link::Side, ils_records::Side, [Right, Left, Both]);
ils_records::same_enum!(device_link::ShapeSource, ils_records::ShapeSource, [Frame, Pattern, DemoLens]);

impl From<device_link::Measurement> for ils_records::Measurement {
    fn from(m: device_link::Measurement) -> Self {
        Self { name: m.name, value: m.value, unit: m.unit, side: m.side.into() }
    }
}

impl From<device_link::Reading> for ils_records::DeviceReading {
    fn from(r: device_link::Reading) -> Self {
        Self { measurements: r.measurements.into_iter().map(Into::into).collect(), warnings: r.warnings }
    }
}

impl From<device_link::TracedShape> for ils_records::TracedShape {
    fn from(s: device_link::TracedShape) -> Self {
        Self { side: s.side.into(), source: s.source.into(), radii: s.radii, angles: s.angles }
    }
}

impl From<device_link::Happening> for ils_records::Happening {
    fn from(h: device_link::Happening) -> Self {
        use device_link::Happening as H;
        match h {
            H::Shapes(s) => Self::Shapes(ils_records::ShapesSent {
                job: s.job,
                shapes: s.shapes.into_iter().map(Into::into).collect(),
                dbl: s.dbl,
            }),
            H::Reading(r) => Self::Reading(r.into()),
            H::JobDelivered(job) => Self::JobDelivered(job),
            H::JobFailed((job, why)) => Self::JobFailed(job, why),
            H::Note(note) => Self::Note(note),
        }
    }
}

impl From<device_link::Step> for ils_records::DeviceStep {
    fn from(s: device_link::Step) -> Self {
        Self {
            state: s.state,
            send: s.send,
            happenings: s.happenings.into_iter().map(Into::into).collect(),
            wake_after_ms: s.wake_after_ms,
        }
    }
}
