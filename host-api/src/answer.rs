//! What a plugin may answer to an HTTP request it serves. Only final statuses from 200 to 599
//! reach the caller: a 1xx would switch or stall the caller's connection (101 hands it over to
//! the plugin), and numbers outside 100–999 are not HTTP statuses at all.
//!
//! wasi:http refuses numbers outside 100–999 to the guest, and a guest (the SDK among them) may
//! ignore the refusal and answer 200 — so the status check cannot wait for the response: the
//! host replaces `outgoing-response.set-status-code`, remembers any status it refuses, and the
//! answer becomes an error ([`refused`]) whatever the guest does next.

use std::ops::RangeInclusive;

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi_http::p2::types::HostOutgoingResponse;

use crate::error::InvokeError;
use crate::state::StoreState;

/// The statuses a plugin's answer may have.
pub(crate) const STATUSES: RangeInclusive<u16> = 200..=599;

/// The `wasi:http/types` instance whose `set-status-code` is replaced: the version wasmtime-wasi-http
/// links (a guest importing any 0.2.x reaches it). The host's tests fail if it ever differs.
const WASI_HTTP_TYPES: &str = "wasi:http/types@0.2.12";

/// Replaces `[method]outgoing-response.set-status-code` in a linker that already has wasi:http.
pub(crate) fn add_to_linker(linker: &mut Linker<StoreState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.instance(WASI_HTTP_TYPES)?.func_wrap(
        "[method]outgoing-response.set-status-code",
        |mut store: StoreContextMut<'_, StoreState>,
         (response, status): (Resource<HostOutgoingResponse>, u16)| {
            let state = store.data_mut();
            if !STATUSES.contains(&status) {
                state.refused_status.get_or_insert(status);
                return Ok((Err(()),));
            }
            let response = state.table.get_mut(&response)?;
            response.status = http::StatusCode::from_u16(status)?;
            Ok((Ok(()),))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The error for an answer with a status the host refused (`status`, the first one the guest tried).
pub(crate) fn refused(status: u16) -> InvokeError {
    InvokeError::Plugin {
        message: format!(
            "it answered with HTTP status {status}; plugins answer with a status from {} to {}",
            STATUSES.start(),
            STATUSES.end()
        ),
        retryable: false,
    }
}
