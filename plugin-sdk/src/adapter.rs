//! Bridges the generated export traits to [`crate::Plugin`]. Used by [`crate::export_plugin!`].

use std::marker::PhantomData;

use crate::__bindings::exports::ils::platform0_2_0 as x;
use crate::__bindings::exports::ils::platform0_3_0 as x3;
use crate::__bindings::exports::wasi::http::incoming_handler;
use crate::__bindings::ils::platform0_2_0::types::PluginError;
use crate::__bindings::wasi::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use crate::{Plugin, Request};

/// Implements every export for `T`.
#[doc(hidden)]
pub struct Adapter<T>(PhantomData<T>);

impl<T: Plugin> x::event_handler::Guest for Adapter<T> {
    fn handle(event: x::event_handler::Event) -> Result<(), PluginError> {
        T::handle_event(event.into()).map_err(Into::into)
    }
}

impl<T: Plugin> x::scheduled::Guest for Adapter<T> {
    fn run(job: String, scheduled_at: i64) -> Result<(), PluginError> {
        T::run_job(&job, scheduled_at).map_err(Into::into)
    }
}

impl<T: Plugin> x::equipment_driver::Guest for Adapter<T> {
    fn decode(device: String, data: Vec<u8>) -> Result<Vec<x::equipment_driver::Measurement>, PluginError> {
        let list = T::decode(&device, &data)?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    fn encode_job(device: String, job: String) -> Result<Vec<u8>, PluginError> {
        T::encode_job(&device, &job).map_err(Into::into)
    }
}

impl<T: Plugin> x::report_provider::Guest for Adapter<T> {
    fn list_reports() -> Vec<x::report_provider::ReportInfo> {
        T::list_reports().into_iter().map(Into::into).collect()
    }

    fn render(
        id: String,
        params: String,
        format: x::report_provider::ReportFormat,
    ) -> Result<x::report_provider::ReportOutput, PluginError> {
        Ok(T::render_report_output(&id, &params, format.into())?.into())
    }
}

impl<T: Plugin> x::recommender::Guest for Adapter<T> {
    fn recommend(kind: String, input: String) -> Result<Vec<x::recommender::Recommendation>, PluginError> {
        Ok(T::recommend(&kind, &input)?.into_iter().map(Into::into).collect())
    }
}

impl<T: Plugin> x3::sms::Guest for Adapter<T> {
    fn send(message: x3::sms::Message) -> Result<String, x3::sms::SmsError> {
        T::send_sms(message.into()).map_err(Into::into)
    }
}

impl<T: Plugin> x3::recall_advisor::Guest for Adapter<T> {
    fn advise(
        patient_id: String,
        born_on: Option<String>,
        examined_on: String,
    ) -> Option<x3::recall_advisor::Advice> {
        T::advise_recall(&patient_id, born_on.as_deref(), &examined_on).map(Into::into)
    }
}

impl<T: Plugin> x3::device_link::Guest for Adapter<T> {
    fn read(device: String, data: Vec<u8>) -> Result<x3::device_link::Reading, PluginError> {
        Ok(T::read_device(&device, &data)?.into())
    }

    fn open(device: String) -> Result<x3::device_link::Step, PluginError> {
        Ok(T::open_session(&device)?.into())
    }

    fn feed(device: String, state: Vec<u8>, bytes: Vec<u8>) -> Result<x3::device_link::Step, PluginError> {
        Ok(T::feed_session(&device, &state, &bytes)?.into())
    }

    fn wake(device: String, state: Vec<u8>) -> Result<x3::device_link::Step, PluginError> {
        Ok(T::wake_session(&device, &state)?.into())
    }

    fn send_job(device: String, state: Vec<u8>, job: String) -> Result<x3::device_link::Step, PluginError> {
        Ok(T::send_job_in_session(&device, &state, &job)?.into())
    }
}

impl<T: Plugin> incoming_handler::Guest for Adapter<T> {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let method = match request.method() {
            Method::Get => "GET".to_string(),
            Method::Head => "HEAD".into(),
            Method::Post => "POST".into(),
            Method::Put => "PUT".into(),
            Method::Delete => "DELETE".into(),
            Method::Connect => "CONNECT".into(),
            Method::Options => "OPTIONS".into(),
            Method::Trace => "TRACE".into(),
            Method::Patch => "PATCH".into(),
            Method::Other(m) => m,
        };
        let path = request.path_with_query().unwrap_or_else(|| "/".into());
        let headers = request
            .headers()
            .entries()
            .into_iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let mut body = Vec::new();
        if let Ok(incoming) = request.consume()
            && let Ok(stream) = incoming.stream()
        {
            while let Ok(chunk) = stream.blocking_read(64 * 1024) {
                body.extend_from_slice(&chunk);
            }
        }
        let response = T::handle_http(Request { method, path, headers, body });
        let fields: Vec<(String, Vec<u8>)> =
            response.headers.iter().map(|(n, v)| (n.clone(), v.as_bytes().to_vec())).collect();
        let out = OutgoingResponse::new(Fields::from_list(&fields).unwrap_or_else(|_| Fields::new()));
        let _ = out.set_status_code(response.status);
        let Ok(out_body) = out.body() else { return };
        ResponseOutparam::set(response_out, Ok(out));
        if let Ok(stream) = out_body.write() {
            for chunk in response.body.chunks(4096) {
                if stream.blocking_write_and_flush(chunk).is_err() {
                    // The host stopped reading (the body is over its limit): stop writing.
                    break;
                }
            }
        }
        let _ = OutgoingBody::finish(out_body, None);
    }
}
