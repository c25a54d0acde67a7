//! One call to an extension point and what it returned: the protocol between the host
//! ([`crate::host`]) and each version's bindings ([`crate::bindings`]), which turn a [`Call`] into
//! that version's export call and its answer into a [`Reply`].

use bytes::Bytes;
use ils_records::{
    DeviceReading, DeviceStep, Event, Measurement, RecallAdvice, Recommendation, ReportFormat, ReportInfo,
    ReportOutput, SmsMessage,
};
use ils_registry::ExtensionPoint;

/// One call to an extension point.
pub(crate) enum Call {
    Event(Event),
    Job { name: String, at_ms: i64 },
    Http(http::Request<Bytes>),
    Decode { device: String, data: Vec<u8> },
    EncodeJob { device: String, job: String },
    ListReports,
    Render { id: String, params: String, format: ReportFormat },
    Recommend { kind: String, input: String },
    Sms(SmsMessage),
    Advise { patient_id: String, born_on: Option<String>, examined_on: String },
    Read { device: String, data: Vec<u8> },
    Session { device: String, step: SessionCall },
}

/// One step of a live device session (`device-link`, platform 0.3): the session's state as the
/// last step left it, and what moves it on.
#[derive(Debug, Clone)]
pub enum SessionCall {
    /// The device has just connected.
    Open,
    /// Bytes the device sent.
    Feed {
        /// The state the last step returned.
        state: Vec<u8>,
        /// The bytes, in order.
        bytes: Vec<u8>,
    },
    /// The time the last step asked for passed with no bytes.
    Wake {
        /// The state the last step returned.
        state: Vec<u8>,
    },
    /// A job (the order as JSON) to send to the device.
    SendJob {
        /// The state the last step returned.
        state: Vec<u8>,
        /// The order, as `equipment-driver.encode-job` takes it.
        job: String,
    },
}

impl Call {
    pub(crate) fn point(&self) -> (ExtensionPoint, &'static str) {
        match self {
            Self::Event(_) => (ExtensionPoint::EventHandler, "event-handler.handle"),
            Self::Job { .. } => (ExtensionPoint::Scheduled, "scheduled.run"),
            Self::Http(_) => (ExtensionPoint::Http, "incoming-handler.handle"),
            Self::Decode { .. } => (ExtensionPoint::EquipmentDriver, "equipment-driver.decode"),
            Self::EncodeJob { .. } => (ExtensionPoint::EquipmentDriver, "equipment-driver.encode-job"),
            Self::ListReports => (ExtensionPoint::ReportProvider, "report-provider.list-reports"),
            Self::Render { .. } => (ExtensionPoint::ReportProvider, "report-provider.render"),
            Self::Recommend { .. } => (ExtensionPoint::Recommender, "recommender.recommend"),
            Self::Sms(_) => (ExtensionPoint::Sms, "sms.send"),
            Self::Advise { .. } => (ExtensionPoint::RecallAdvisor, "recall-advisor.advise"),
            Self::Read { .. } => (ExtensionPoint::DeviceLink, "device-link.read"),
            Self::Session { step, .. } => (
                ExtensionPoint::DeviceLink,
                match step {
                    SessionCall::Open => "device-link.open",
                    SessionCall::Feed { .. } => "device-link.feed",
                    SessionCall::Wake { .. } => "device-link.wake",
                    SessionCall::SendJob { .. } => "device-link.send-job",
                },
            ),
        }
    }

    pub(crate) fn input_len(&self) -> usize {
        match self {
            Self::Event(e) => e.payload.len() + e.kind.len() + e.id.len(),
            Self::Job { name, .. } => name.len(),
            Self::Http(r) => r.body().len() + r.uri().to_string().len(),
            Self::Decode { data, .. } => data.len(),
            Self::EncodeJob { job, .. } => job.len(),
            Self::ListReports => 0,
            Self::Render { params, .. } => params.len(),
            Self::Recommend { input, .. } => input.len(),
            Self::Sms(m) => m.to.len() + m.body.len() + m.reference.len(),
            Self::Advise { patient_id, .. } => patient_id.len() + 20,
            Self::Read { data, .. } => data.len(),
            Self::Session { step, .. } => match step {
                SessionCall::Open => 0,
                SessionCall::Feed { state, bytes } => state.len() + bytes.len(),
                SessionCall::Wake { state } => state.len(),
                SessionCall::SendJob { state, job } => state.len() + job.len(),
            },
        }
    }
}

/// What a call returned.
pub(crate) enum Reply {
    Unit,
    Http(http::Response<Bytes>),
    Measurements(Vec<Measurement>),
    Bytes(Vec<u8>),
    Reports(Vec<ReportInfo>),
    Report(ReportOutput),
    Recommendations(Vec<Recommendation>),
    Text(String),
    Advice(Option<RecallAdvice>),
    Reading(DeviceReading),
    Step(DeviceStep),
}
