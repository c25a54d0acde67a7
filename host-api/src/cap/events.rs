//! `events`: publishing events from the plugin. Capability `events-publish`.

use std::sync::Arc;

use ils_registry::Capability;

use super::{CapResult, require};
use crate::error::GuestError;
use crate::services::{EventSink, PublishedEvent};
use crate::state::Invocation;

const MAX_PER_INVOCATION: usize = 100;

pub(crate) struct EventsCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) sink: Arc<dyn EventSink>,
    /// Publish calls let through to the sink (the per-invocation cap counts these).
    pub(crate) published: usize,
    /// Events the sink accepted (metering).
    pub(crate) accepted: usize,
}

impl EventsCap {
    fn check(&self, kind: &str) -> Result<(), GuestError> {
        require(&self.inv, Capability::EventsPublish)?;
        let valid = !kind.is_empty()
            && kind.len() <= 64
            && kind
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
        if !valid {
            return Err(GuestError::Invalid("event kinds are 1 to 64 of a-z 0-9 . - _".into()));
        }
        if self.published >= MAX_PER_INVOCATION {
            return Err(GuestError::Invalid(format!("at most {MAX_PER_INVOCATION} events per invocation")));
        }
        Ok(())
    }

    pub(crate) async fn publish(&mut self, kind: String, payload: String) -> CapResult<()> {
        if let Err(e) = self.check(&kind) {
            return Ok(Err(e));
        }
        let most = self.inv.limits.event_bytes;
        if payload.len() > most {
            let refusal =
                format!("the event payload is {} bytes; at most {most} are accepted", payload.len());
            return Ok(Err(GuestError::Invalid(refusal)));
        }
        let Ok(payload) = serde_json::from_str(&payload) else {
            return Ok(Err(GuestError::Invalid("payload is not JSON".into())));
        };
        let kind = format!("plugin.{}.{kind}", self.inv.scope.plugin);
        self.published += 1;
        let done = self.sink.publish(&self.inv.scope, PublishedEvent { kind, payload }).await;
        if done.is_ok() {
            self.accepted += 1;
        }
        Ok(done.map_err(Into::into))
    }
}
