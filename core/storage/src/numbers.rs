//! Per-tenant numbers handed out in blocks, on PostgreSQL (job numbers).
//!
//! A counter row bumped inside the order's transaction holds the row locked until that
//! transaction commits, so one practice's orders would commit one at a time. Instead a node
//! reserves a block of numbers in a short transaction of its own, on a side connection, and hands
//! them out from memory. No lock is held across anyone's transaction, numbers stay unique (the
//! counter only moves up), and a node gives them out in order. What is given up: a number taken
//! by a transaction that rolls back is not reused, and numbers a node reserved but never gave out
//! (it stopped) are skipped. The block is one number after a quiet spell and doubles, up to
//! [`MAX_BLOCK`], while numbers are taken faster than one a second, so a quiet practice sees
//! consecutive numbers and a busy one skips at most a block's remainder on a restart.
//! See docs/adr/034-fast-orders.md. On SQLite, whose one writer serialises every write anyway,
//! the counter is bumped in the caller's transaction and numbers have no gaps.
//!
//! The reserving transaction commits with `synchronous_commit = off`: a number is only ever
//! stored by a later transaction, whose own (synchronous) commit flushes the write-ahead log up to
//! and past the reservation, so a reservation a crash could lose was never used.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, PgPool};

use crate::DbError;
use crate::ids::TenantId;

/// The most numbers reserved at once.
pub const MAX_BLOCK: i64 = 64;
/// Blocks grow while the last one was reserved less than this long ago.
const BUSY: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct Block {
    next: i64,
    end: i64,
    size: i64,
    reserved_at: Option<Instant>,
}

/// One tenant's block of one sequence, taken in turn by the transactions that need a number.
type Slot = Arc<tokio::sync::Mutex<Block>>;

/// The blocks this node holds, one per tenant and sequence.
#[derive(Debug)]
pub(crate) struct Blocks {
    side: PgPool,
    open: Mutex<HashMap<(TenantId, &'static str), Slot>>,
}

impl Blocks {
    pub(crate) fn new(side: PgPool) -> Self {
        Self { side, open: Mutex::new(HashMap::new()) }
    }

    /// The next number of `tenant`'s sequence `name`.
    pub(crate) async fn take(&self, tenant: TenantId, name: &'static str) -> Result<i64, DbError> {
        let slot = {
            let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            open.entry((tenant, name)).or_default().clone()
        };
        let mut block = slot.lock().await;
        if block.next >= block.end {
            let now = Instant::now();
            let busy = block.reserved_at.is_some_and(|at| now.duration_since(at) < BUSY);
            let size = if busy { (block.size * 2).clamp(1, MAX_BLOCK) } else { 1 };
            let last = self.reserve(tenant, name, size).await?;
            *block = Block { next: last - size + 1, end: last + 1, size, reserved_at: Some(now) };
        }
        let number = block.next;
        block.next += 1;
        Ok(number)
    }

    /// Moves the counter up by `size` in a transaction of its own; the last number reserved.
    async fn reserve(&self, tenant: TenantId, name: &'static str, size: i64) -> Result<i64, DbError> {
        const SQL: &str = "INSERT INTO tenant_counters (tenant_id, name, value) VALUES ($1, $2, $3)
            ON CONFLICT (tenant_id, name) DO UPDATE SET value = tenant_counters.value + $3
            RETURNING value";
        let begin = format!("BEGIN; {}; SET LOCAL synchronous_commit = off", crate::tenant_scope(tenant));
        let mut tx = self.side.begin_with(AssertSqlSafe(begin)).await?;
        let last: i64 =
            sqlx::query_scalar(SQL).bind(tenant).bind(name).bind(size).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(last)
    }
}
