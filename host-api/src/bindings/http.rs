//! Serving `wasi:http/incoming-handler`, the same for every `ils:platform` version: each
//! version's generated `Plugin` says how to instantiate it and call the handler.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};

use crate::call::Reply;
use crate::error::InvokeError;
use crate::limits::Limit;
use crate::state::StoreState;

/// What serving HTTP needs from one version's generated bindings.
pub(crate) trait HttpPlugin: Sized + Send + Sync {
    /// The version's pre-linked component.
    type Pre: Send + Sync;

    /// Instantiates the component in `store`.
    fn instantiate(
        pre: &Self::Pre,
        store: &mut wasmtime::Store<StoreState>,
    ) -> impl Future<Output = wasmtime::Result<Self>> + Send;

    /// Calls `wasi:http/incoming-handler.handle`.
    fn handle(
        &self,
        store: &mut wasmtime::Store<StoreState>,
        request: wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostIncomingRequest>,
        out: wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostResponseOutparam>,
    ) -> impl Future<Output = wasmtime::Result<()>> + Send;
}

/// Hands a request to `wasi:http/incoming-handler` and reads the response while the guest
/// writes it, stopping at `max_out` bytes.
pub(crate) async fn serve<P: HttpPlugin>(
    pre: &P::Pre,
    store: &mut wasmtime::Store<StoreState>,
    request: http::Request<Bytes>,
    max_out: usize,
) -> wasmtime::Result<Result<Reply, InvokeError>> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let request = request.map(|b| Full::new(b).map_err(|never| -> ErrorCode { match never {} }));
    let req = store.data_mut().http().new_incoming_request(Scheme::Http, request)?;
    let out = store.data_mut().http().new_response_outparam(sender)?;
    let plugin = P::instantiate(pre, &mut *store).await?;
    // The call borrows the store until it is dropped, at the end of this block.
    let response = {
        let call = plugin.handle(&mut *store, req, out);
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
                Err(e) => {
                    Err(InvokeError::Plugin { message: format!("HTTP response body: {e}"), retryable: false })
                }
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
