//! Calling one extension point of a tenant's enabled plugin directly: `ils plugin invoke` (local
//! testing against the tenant's real data) and the equipment-driver endpoints (a lab sends a job
//! to a device driver, or posts device output and gets measurements back).

use ils_host_api::{Caller, DeviceStep, Measurement, SessionCall};
use ils_registry::ExtensionPoint;
use serde::Serialize;

use crate::Plugins;
use crate::runtime::{CallError, plugin_error};
use ils_kernel::error::{Error, Result};
use ils_storage::ids::{EventId, TenantId};

/// An extension point call.
#[derive(Clone, Debug)]
pub enum Call {
    /// Deliver an event (not recorded in the tenant's outbox).
    Event {
        /// Its type.
        kind: String,
        /// Its payload.
        payload: serde_json::Value,
    },
    /// An HTTP request to the plugin's routes.
    Http {
        /// Method.
        method: http::Method,
        /// Plugin-relative path and query.
        path: String,
        /// Body.
        body: Vec<u8>,
    },
    /// A scheduled job, now.
    Job {
        /// The schedule's name.
        name: String,
    },
    /// Decode device output (equipment drivers).
    Decode {
        /// The device (driver-specific name).
        device: String,
        /// What the device sent.
        data: Vec<u8>,
    },
    /// Encode a job for a device (equipment drivers).
    EncodeJob {
        /// The device.
        device: String,
        /// The job, as JSON text.
        job: String,
    },
    /// Read a whole capture, with a warning for each part skipped (`device-link`, platform 0.3);
    /// a driver without `device-link` decodes it, with no warnings.
    Read {
        /// The device (driver-specific name).
        device: String,
        /// What the device sent.
        data: Vec<u8>,
    },
    /// Move a live device session one step (`device-link`).
    Session {
        /// The device model, as the driver names it.
        device: String,
        /// The step.
        step: SessionCall,
    },
}

/// What a call returned.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// The event or job was handled.
    Done,
    /// An HTTP response.
    Http {
        /// Status.
        status: u16,
        /// Body (lossy UTF-8).
        body: String,
    },
    /// Measurements decoded from device output.
    Measurements {
        /// The measurements.
        measurements: Vec<MeasurementView>,
    },
    /// Bytes for a device.
    Bytes {
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A capture read: its values and what was skipped.
    Reading {
        /// The measurements.
        measurements: Vec<MeasurementView>,
        /// One line per part skipped.
        warnings: Vec<String>,
    },
    /// A device session after one step.
    Step {
        /// The step.
        step: DeviceStep,
    },
}

/// One measurement, as JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasurementView {
    /// What was measured (`sphere`, `pd`, `trace_hbox`…).
    pub name: String,
    /// Which eye: `right`, `left`, or `both` (or neither).
    pub side: String,
    /// The value.
    pub value: f64,
    /// Its unit (`D`, `mm`, `deg`…).
    pub unit: String,
}

impl From<Measurement> for MeasurementView {
    fn from(m: Measurement) -> Self {
        let side = match m.side {
            ils_host_api::Side::Right => "right",
            ils_host_api::Side::Left => "left",
            ils_host_api::Side::Both => "both",
        }
        .to_owned();
        Self { name: m.name, side, value: m.value, unit: m.unit }
    }
}

impl Plugins {
    /// Calls `call` on `tenant`'s enabled plugin `plugin`, with its grants, configuration and
    /// limits, through its breaker. 404 `plugin_not_installed` or `plugin_not_enabled` when there is none to call.
    pub async fn invoke(
        &self,
        tenant: TenantId,
        plugin: &str,
        caller: Option<Caller>,
        call: Call,
    ) -> Result<Reply> {
        let target = self.enabled(tenant, plugin).await?;
        let fail = |e: CallError| plugin_error(plugin, e);
        match call {
            Call::Event { kind, payload } => {
                let event = ils_host_api::Event {
                    id: EventId::new().to_string(),
                    kind,
                    occurred_at_ms: jiff::Timestamp::now().as_millisecond(),
                    payload: payload.to_string(),
                };
                self.call(&target, caller, |h, v, ctx| async move { h.invoke_event(&v, ctx, event).await })
                    .await
                    .map_err(fail)?;
                Ok(Reply::Done)
            }
            Call::Http { method, path, body } => {
                let request = http::Request::builder()
                    .method(method)
                    .uri(path)
                    .body(bytes::Bytes::from(body))
                    .map_err(|e| Error::invalid_field("path", e.to_string()))?;
                let response = self
                    .call(&target, caller, |h, v, ctx| async move { h.handle_http(&v, ctx, request).await })
                    .await
                    .map_err(fail)?;
                let status = response.status().as_u16();
                Ok(Reply::Http { status, body: String::from_utf8_lossy(response.body()).into_owned() })
            }
            Call::Job { name } => {
                let at = jiff::Timestamp::now().as_millisecond();
                self.call(&target, caller, |h, v, ctx| async move { h.run_job(&v, ctx, &name, at).await })
                    .await
                    .map_err(fail)?;
                Ok(Reply::Done)
            }
            Call::Decode { device, data } => {
                let measurements = self
                    .call(&target, caller, |h, v, ctx| async move { h.decode(&v, ctx, &device, data).await })
                    .await
                    .map_err(fail)?;
                Ok(Reply::Measurements { measurements: measurements.into_iter().map(Into::into).collect() })
            }
            Call::EncodeJob { device, job } => {
                let bytes =
                    self.call(&target, caller, |h, v, ctx| async move {
                        h.encode_job(&v, ctx, &device, &job).await
                    })
                    .await
                    .map_err(fail)?;
                Ok(Reply::Bytes { bytes })
            }
            Call::Read { device, data }
                if target.manifest().provides.contains(&ExtensionPoint::DeviceLink) =>
            {
                let reading =
                    self.call(&target, caller, |h, v, ctx| async move {
                        h.read_device(&v, ctx, &device, data).await
                    })
                    .await
                    .map_err(fail)?;
                let measurements = reading.measurements.into_iter().map(Into::into).collect();
                Ok(Reply::Reading { measurements, warnings: reading.warnings })
            }
            Call::Read { device, data } => {
                let measurements = self
                    .call(&target, caller, |h, v, ctx| async move { h.decode(&v, ctx, &device, data).await })
                    .await
                    .map_err(fail)?;
                let measurements = measurements.into_iter().map(Into::into).collect();
                Ok(Reply::Reading { measurements, warnings: Vec::new() })
            }
            Call::Session { device, step } => {
                let step =
                    self.call(&target, caller, |h, v, ctx| async move {
                        h.device_step(&v, ctx, &device, step).await
                    })
                    .await
                    .map_err(fail)?;
                Ok(Reply::Step { step })
            }
        }
    }
}
