//! Write ILS plugins in Rust.
//!
//! A plugin is a `wasm32-wasip2` component that ILS runs for each tenant that enabled it. With
//! this crate a plugin is one type implementing [`Plugin`] — every method has a default, so
//! implement only the extension points your manifest `provides` — and one
//! [`export_plugin!`] line. Host capabilities are plain functions in [`host`] and [`http`];
//! compiled for your machine instead of wasm, they talk to a [`testing::MockHost`], so
//! `cargo test` exercises your logic without wasm or ILS.
//!
//! The records plugins and ILS exchange ([`Event`], [`Measurement`], orders, prescriptions…)
//! are the `ils-records` types the host uses too; prescription powers are
//! [`ils_optics::Power`]s, exact eighths of a dioptre.
//!
//! ```
//! use ils_plugin_sdk::{export_plugin, host::kv, Error, Event, OrderEvent, Plugin, Request, Response};
//!
//! struct Counter;
//!
//! impl Plugin for Counter {
//!     fn handle_event(event: Event) -> Result<(), Error> {
//!         let order: OrderEvent = event.payload_as()?;
//!         kv::set(&format!("seen/{}", order.order_id), event.kind.as_bytes())?;
//!         Ok(())
//!     }
//!
//!     fn handle_http(request: Request) -> Response {
//!         match request.route() {
//!             "/count" => Response::json(&kv::list_keys("seen/", 1000).map(|k| k.len()).unwrap_or(0)),
//!             _ => Response::not_found(),
//!         }
//!     }
//! }
//!
//! export_plugin!(Counter);
//!
//! // Native test mode:
//! let mock = ils_plugin_sdk::testing::MockHost::install();
//! let event = Event { id: "e1".into(), kind: "order.created".into(), occurred_at_ms: 0,
//!                     payload: r#"{"order_id":"o-1"}"#.into() };
//! Counter::handle_event(event).unwrap();
//! assert_eq!(mock.kv("seen/o-1").as_deref(), Some(&b"order.created"[..]));
//! assert_eq!(Counter::handle_http(ils_plugin_sdk::testing::MockHost::get("/count")).body, b"1");
//! ```
//!
//! Build the component with `cargo build --target wasm32-wasip2 --profile plugin`; the SDK
//! stamps its version and the `ils:platform` version into it (custom section `ils:sdk`) so the
//! host can refuse a plugin it cannot run before instantiating it.

#[doc(hidden)]
#[path = "bindings.rs"]
pub mod __bindings;
mod adapter;
mod convert;
mod error;
pub mod host;
pub mod http;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
mod types;

pub use error::{Error, HostError};
pub use ils_records::{
    DeviceReading, DeviceStep, DraftPurchaseOrder, Event, Figure, FileInfo, Happening, Measurement,
    ProposedAction, PurchaseLine, RecallAdvice, Recommendation, RenderedReport, ReportFormat, ReportInfo,
    ReportOutput, ShapeSource, ShapesSent, Side, SmsError, SmsMessage, TracedShape,
};
pub use types::*;

#[doc(hidden)]
pub use adapter::Adapter as __Adapter;

/// The `ils:platform` version this SDK targets.
pub const PLATFORM_VERSION: &str = "0.3.0";

/// What [`export_plugin!`] writes into the component's `ils:sdk` custom section.
#[doc(hidden)]
pub const __STAMP: &[u8] =
    concat!("ils-plugin-sdk/", env!("CARGO_PKG_VERSION"), " ils:platform@0.3.0").as_bytes();

/// A plugin. Implement the methods for the extension points your manifest `provides`; the
/// defaults answer "not provided".
pub trait Plugin: 'static {
    /// Handles an event the manifest subscribes to. Return a retryable [`Error`] to be called again later.
    fn handle_event(event: Event) -> Result<(), Error> {
        let _ = event;
        Ok(())
    }

    /// Runs a scheduled job declared in the manifest.
    fn run_job(name: &str, scheduled_at_ms: i64) -> Result<(), Error> {
        let _ = (name, scheduled_at_ms);
        Ok(())
    }

    /// Serves a request to the plugin's routes (mounted at `/api/v1/plugins/{id}/`).
    fn handle_http(request: Request) -> Response {
        let _ = request;
        Response::not_found()
    }

    /// Decodes device output (equipment drivers).
    fn decode(device: &str, data: &[u8]) -> Result<Vec<Measurement>, Error> {
        let _ = (device, data);
        Err(Error::new("this plugin is not an equipment driver"))
    }

    /// Encodes a job for a device (equipment drivers).
    fn encode_job(device: &str, job: &str) -> Result<Vec<u8>, Error> {
        let _ = (device, job);
        Err(Error::new("this plugin is not an equipment driver"))
    }

    /// Reads a whole capture (`provides = ["device-link"]`, platform 0.3): every value it holds,
    /// named `{stage}.{what}` (`final.sphere`, `objective.pd`), and a warning for each part
    /// skipped because the driver does not know it. A part it knows but cannot read is an error.
    /// By default, [`Plugin::decode`]'s measurements and no warnings.
    fn read_device(device: &str, data: &[u8]) -> Result<DeviceReading, Error> {
        Self::decode(device, data).map(|measurements| DeviceReading { measurements, warnings: Vec::new() })
    }

    /// Starts a live session with a device that has just connected (`device-link`). The plugin
    /// keeps nothing between calls: everything the session must remember goes in the step's
    /// `state`, which the host stores and hands back to the next call.
    fn open_session(device: &str) -> Result<DeviceStep, Error> {
        let _ = device;
        Err(Error::new("this plugin runs no device sessions"))
    }

    /// Bytes a device sent, as they arrived, to the session in `state` (`device-link`).
    fn feed_session(device: &str, state: &[u8], bytes: &[u8]) -> Result<DeviceStep, Error> {
        let _ = (device, state, bytes);
        Err(Error::new("this plugin runs no device sessions"))
    }

    /// The time the last step's `wake_after_ms` asked for has passed with no bytes (`device-link`).
    fn wake_session(device: &str, state: &[u8]) -> Result<DeviceStep, Error> {
        let _ = (device, state);
        Err(Error::new("this plugin runs no device sessions"))
    }

    /// Sends a job (the order as JSON) to the device of the session in `state` (`device-link`).
    fn send_job_in_session(device: &str, state: &[u8], job: &str) -> Result<DeviceStep, Error> {
        let _ = (device, state, job);
        Err(Error::new("this plugin runs no device sessions"))
    }

    /// The reports this plugin offers.
    fn list_reports() -> Vec<ReportInfo> {
        Vec::new()
    }

    /// Renders a report.
    fn render_report(id: &str, params: &str, format: ReportFormat) -> Result<RenderedReport, Error> {
        let _ = (id, params, format);
        Err(Error::new("this plugin offers no reports"))
    }

    /// Renders a report that may be too large to return: store it with [`host::files::put`] and
    /// return [`ReportOutput::Stored`] with the file's id. By default, [`Plugin::render_report`]'s
    /// report inline.
    fn render_report_output(id: &str, params: &str, format: ReportFormat) -> Result<ReportOutput, Error> {
        Self::render_report(id, params, format).map(ReportOutput::Inline)
    }

    /// Recommendations of `kind` for `input` (JSON).
    fn recommend(kind: &str, input: &str) -> Result<Vec<Recommendation>, Error> {
        let _ = (kind, input);
        Err(Error::new("this plugin is not a recommender"))
    }

    /// Sends a patient's text message through the provider's gateway (`provides = ["sms"]`):
    /// the gateway's id for it. Give the gateway `message.reference` as its idempotency key, so
    /// the host's retry after a timeout never sends twice.
    fn send_sms(message: SmsMessage) -> Result<String, SmsError> {
        let _ = message;
        Err(SmsError::Rejected("this plugin does not send text messages".into()))
    }

    /// The recall period after an examination on `examined_on` of a patient born on `born_on`
    /// (both `YYYY-MM-DD`), if this plugin advises one (`provides = ["recall-advisor"]`).
    fn advise_recall(patient_id: &str, born_on: Option<&str>, examined_on: &str) -> Option<RecallAdvice> {
        let _ = (patient_id, born_on, examined_on);
        None
    }
}

/// Exports a [`Plugin`] type as the component's extension points and stamps the SDK version.
/// Use it once, at the crate root of the plugin.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            type __IlsPlugin = $crate::__Adapter<$plugin>;
    $crate::__bindings::__export_world!(__IlsPlugin with_types_in $crate::__bindings);

            #[unsafe(link_section = "ils:sdk")]
            #[used]
            static __ILS_SDK_STAMP: [u8; $crate::__STAMP.len()] = {
                let mut out = [0u8; $crate::__STAMP.len()];
                let mut i = 0;
                while i < out.len() {
                    out[i] = $crate::__STAMP[i];
                    i += 1;
                }
                out
            };
        };
    };
}
