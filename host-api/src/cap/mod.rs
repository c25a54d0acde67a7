//! One module per host capability. Each has a small state type built per invocation and one
//! function, `check`, where its permission is decided. The modules are independent of WIT
//! versions; `bindings::v*` adapt them to each version's generated traits.

pub(crate) mod clinical;
pub(crate) mod config;
pub(crate) mod context;
pub(crate) mod events;
pub(crate) mod files;
pub(crate) mod http;
pub(crate) mod inventory;
pub(crate) mod kv;
pub(crate) mod log;
pub(crate) mod notify;
pub(crate) mod orders;
pub(crate) mod progress;
pub(crate) mod reports;
pub(crate) mod secrets;

use ils_registry::Capability;

use crate::error::GuestError;
use crate::state::Invocation;

/// What a capability call returns: `Err` stops the invocation (a limit, a host bug), `Ok(Err)`
/// is a guest-visible error.
pub(crate) type CapResult<T> = wasmtime::Result<Result<T, GuestError>>;

/// The one permission check every gated capability uses.
pub(crate) fn require(inv: &Invocation, capability: Capability) -> Result<(), GuestError> {
    if inv.grants.contains(capability) {
        Ok(())
    } else {
        Err(GuestError::Denied(format!(
            "capability {capability} is not granted to this plugin for this tenant"
        )))
    }
}

/// Lets a generated `add_to_linker` see only one capability's state (Spin's factor pattern).
pub(crate) struct Cap<C>(std::marker::PhantomData<C>);

impl<C: Send + 'static> wasmtime::component::HasData for Cap<C> {
    type Data<'a> = &'a mut C;
}
