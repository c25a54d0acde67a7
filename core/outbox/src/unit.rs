//! A unit of work: one tenant transaction with the actor who changes it. Everything a change
//! leaves behind — its rows, its audit entries and its events — is written through it and
//! committed together, or not at all. Its commit wakes the outbox relay of this process.

use ils_kernel::Result;
use ils_kernel::audit::{self, AuditCtx};
use ils_kernel::context::TenantCtx;
use ils_storage::ids::{EventId, TenantId};
use ils_storage::{Db, TenantTx};

use crate::DomainEvent;

/// One change in progress, for one tenant, by one actor.
#[derive(Debug)]
pub struct UnitOfWork {
    tx: TenantTx,
    ctx: TenantCtx,
}

impl UnitOfWork {
    /// Opens a transaction for `ctx`'s tenant, acting as `ctx`.
    pub async fn begin(db: &Db, ctx: &TenantCtx) -> Result<Self> {
        Ok(Self { tx: db.tenant(ctx.tenant_id).await?, ctx: ctx.clone() })
    }

    /// A unit over a transaction already open for `ctx`'s tenant.
    pub fn over(tx: TenantTx, ctx: TenantCtx) -> Self {
        Self { tx, ctx }
    }

    /// The tenant the work is for.
    pub fn tenant_id(&self) -> TenantId {
        self.tx.tenant_id()
    }

    /// Who acts, with their role.
    pub fn ctx(&self) -> &TenantCtx {
        &self.ctx
    }

    /// Who acts, as the audit log records them.
    pub fn actor(&self) -> &AuditCtx {
        &self.ctx.audit
    }

    /// The transaction, for the domain's store functions.
    pub fn tx(&mut self) -> &mut TenantTx {
        &mut self.tx
    }

    /// The transaction and the actor together (a store call that records who acted).
    pub fn parts(&mut self) -> (&mut TenantTx, &TenantCtx) {
        (&mut self.tx, &self.ctx)
    }

    /// Records an audit entry for this change.
    pub async fn audit(&mut self, event: audit::Event<'_>) -> Result<()> {
        audit::record(&mut self.tx, &self.ctx.audit, event).await
    }

    /// Records a domain event for this change (dispatched after commit).
    pub async fn emit<E: DomainEvent>(&mut self, event: &E) -> Result<EventId> {
        crate::emit(&mut self.tx, event).await
    }

    /// Commits the change, its audit entries and its events, then wakes this process's relay so
    /// the events are handed over at once rather than at its next poll. (Waking after a commit
    /// that emitted nothing costs the relay one look at an empty work list.)
    pub async fn commit(mut self) -> Result<()> {
        let bell = crate::relay::bell(self.tx.with_jobs().1);
        self.tx.commit().await?;
        if let Some(bell) = bell {
            bell.notify_one();
        }
        Ok(())
    }

    /// The transaction back, without committing (e.g. to hand it to older code).
    pub fn into_tx(self) -> TenantTx {
        self.tx
    }
}
