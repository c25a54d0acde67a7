//! Outbound HTTP (capability `http-outbound`), only to the hosts the manifest allows.

use std::time::Duration;

use crate::{HostError, Response};

/// Sends a request and waits for the whole response. `url` is `http(s)://host[:port]/path?query`.
/// Only the invocation's own deadline bounds the wait: see [`send_with_timeout`].
pub fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Response, HostError> {
    send_within(method, url, headers, body, None)
}

/// [`send`], giving up with [`HostError::Http`] when the whole response (its last byte) has not
/// arrived within `timeout` of sending: for a call whose failure the plugin can live with, so
/// that a slow server costs it `timeout`, not the invocation.
pub fn send_with_timeout(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<Response, HostError> {
    send_within(method, url, headers, body, Some(timeout))
}

fn send_within(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Option<Duration>,
) -> Result<Response, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wasm::send(method, url, headers, body, timeout);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::send(crate::testing::OutboundRequest {
        method: method.into(),
        url: url.into(),
        headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        body: body.to_vec(),
        timeout,
    })
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response, HostError> {
    send("GET", url, &[], &[])
}

/// `POST url` with a JSON body.
pub fn post_json(url: &str, value: &impl serde::Serialize) -> Result<Response, HostError> {
    let body = serde_json::to_vec(value).map_err(|e| HostError::Invalid(e.to_string()))?;
    send("POST", url, &[("content-type", "application/json")], &body)
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use std::time::Duration;

    use crate::__bindings::wasi::clocks::monotonic_clock;
    use crate::__bindings::wasi::http::outgoing_handler;
    use crate::__bindings::wasi::http::types::{
        Fields, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
    };
    use crate::__bindings::wasi::io::poll::{Pollable, poll};
    use crate::__bindings::wasi::io::streams::StreamError;
    use crate::{HostError, Response};

    fn err(e: impl std::fmt::Debug) -> HostError {
        HostError::Http(format!("{e:?}"))
    }

    /// Waits until `ready` is, or until `deadline` (a monotonic instant) passes.
    fn wait(ready: &Pollable, deadline: Option<(u64, Duration)>) -> Result<(), HostError> {
        let Some((at, timeout)) = deadline else {
            ready.block();
            return Ok(());
        };
        let timer = monotonic_clock::subscribe_instant(at);
        if poll(&[ready, &timer]).contains(&0) {
            Ok(())
        } else {
            Err(HostError::Http(format!("no complete answer within {} ms", timeout.as_millis())))
        }
    }

    /// The host's own timeouts for each wait, so it stops waiting too.
    fn options(timeout: Duration) -> Result<RequestOptions, HostError> {
        let options = RequestOptions::new();
        let ns = Some(u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX));
        options.set_connect_timeout(ns).map_err(err)?;
        options.set_first_byte_timeout(ns).map_err(err)?;
        options.set_between_bytes_timeout(ns).map_err(err)?;
        Ok(options)
    }

    pub(super) fn send(
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        timeout: Option<Duration>,
    ) -> Result<Response, HostError> {
        let (scheme, rest) =
            url.split_once("://").ok_or_else(|| HostError::Invalid("URL needs a scheme".into()))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let fields: Vec<(String, Vec<u8>)> =
            headers.iter().map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())).collect();
        let request = OutgoingRequest::new(Fields::from_list(&fields).map_err(err)?);
        let method = match method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "PATCH" => Method::Patch,
            "HEAD" => Method::Head,
            other => Method::Other(other.into()),
        };
        request.set_method(&method).map_err(err)?;
        let scheme = if scheme == "https" { Scheme::Https } else { Scheme::Http };
        request.set_scheme(Some(&scheme)).map_err(err)?;
        request.set_authority(Some(authority)).map_err(err)?;
        request.set_path_with_query(Some(path)).map_err(err)?;
        let deadline = timeout.map(|t| {
            let ns = u64::try_from(t.as_nanos()).unwrap_or(u64::MAX);
            (monotonic_clock::now().saturating_add(ns), t)
        });
        let outgoing = request.body().map_err(err)?;
        let pending = outgoing_handler::handle(request, timeout.map(options).transpose()?).map_err(err)?;
        {
            let stream = outgoing.write().map_err(err)?;
            for chunk in body.chunks(4096) {
                stream.blocking_write_and_flush(chunk).map_err(err)?;
            }
        }
        OutgoingBody::finish(outgoing, None).map_err(err)?;
        wait(&pending.subscribe(), deadline)?;
        let response = match pending.get() {
            Some(Ok(Ok(r))) => r,
            Some(Ok(Err(code))) => return Err(err(code)),
            _ => return Err(HostError::Http("no response".into())),
        };
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let incoming = response.consume().map_err(err)?;
        let mut body = Vec::new();
        {
            let stream = incoming.stream().map_err(err)?;
            let ready = stream.subscribe();
            loop {
                match stream.read(64 * 1024) {
                    Ok(chunk) if chunk.is_empty() => wait(&ready, deadline)?,
                    Ok(chunk) => body.extend_from_slice(&chunk),
                    Err(StreamError::Closed) => break,
                    Err(e) => return Err(err(e)),
                }
            }
        }
        Ok(Response { status, headers, body })
    }
}
