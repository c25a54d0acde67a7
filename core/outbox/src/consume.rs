//! The consumers of committed events.
//!
//! The outbox knows no consumer: the composition root registers them (webhooks, e-mail, plugins)
//! in a [`Consumers`] list, which the relay ([`crate::relay`]) calls for a batch of events in one
//! transaction, and the job queue's `dispatch_event` worker ([`Consumers::dispatch`]) for one.
//! Every consumer queues its own jobs inside that transaction, so a hand-over that fails half-way
//! is retried whole, and unique jobs keep a retry from queuing anything twice.

use std::sync::Arc;

use riverqueue::{BoxError, JobCancelError, WorkOutcome};

use ils_kernel::Result;
use ils_storage::{Db, TenantTx};

use crate::Envelope;
use crate::queue::DispatchEvent;

/// Something that reacts to a committed event by queuing work of its own.
#[async_trait::async_trait]
pub trait Consumer: Send + Sync + 'static {
    /// Queues, in the dispatch transaction `tx`, the jobs `event` calls for (none is fine).
    async fn on_event(&self, tx: &mut TenantTx, event: &Envelope) -> Result<()>;
}

/// The consumers registered by the composition root, in the order they are called.
#[derive(Clone, Default)]
pub struct Consumers(Vec<Arc<dyn Consumer>>);

impl std::fmt::Debug for Consumers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Consumers({})", self.0.len())
    }
}

impl Consumers {
    /// No consumers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `consumer` after those already registered.
    #[must_use]
    pub fn with(mut self, consumer: impl Consumer) -> Self {
        self.0.push(Arc::new(consumer));
        self
    }

    /// Lets every consumer queue its work for `event` in `tx`, in order.
    pub(crate) async fn run(&self, tx: &mut TenantTx, event: &Envelope) -> Result<()> {
        for consumer in &self.0 {
            consumer.on_event(tx, event).await?;
        }
        Ok(())
    }

    /// Works one `dispatch_event` job: loads the event and lets every consumer queue its work,
    /// committing once. A missing event cancels the job (such a job is only queued for an event
    /// that exists, so that is a bug, not something a retry mends).
    pub async fn dispatch(
        &self,
        db: &Db,
        args: &DispatchEvent,
    ) -> std::result::Result<WorkOutcome, BoxError> {
        let mut tx = db.tenant(args.tenant_id).await?;
        let Some(event) = crate::get(&mut tx, args.event_id).await? else {
            return Err(JobCancelError::new(format!("event {} does not exist", args.event_id)).into());
        };
        self.run(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(WorkOutcome::Complete)
    }
}
