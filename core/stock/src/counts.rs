//! Stock counts (stocktakes) of one location.
//!
//! Opening a count records, for every item stocked there, the quantity and the stock level's
//! `version` (which every change increments). Staff then record what they counted. Finalising
//! compares each counted item's version with the recorded one: if stock moved while the count was
//! open, the counted figure may or may not include that movement, so the count is refused
//! (`stock_moved_during_count`) until it is redone or a company admin overrides, in which case
//! the counted figures win. Finalising sets each counted item's stock to the counted quantity
//! through the ledger; items not counted keep their stock.

use serde::Serialize;

use ils_kernel::audit::Event;
use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{ItemId, LocationId, StockCountId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query, text_enum};

use crate::events::StockCountFinalised;
use crate::levels::{self, Change, MovementKind};
use crate::{MAX_QUANTITY, items, locations, row_lock};

text_enum! {
    /// Where a stock count is.
    pub enum StockCountStatus {
        /// Being counted.
        Open = "open",
        /// Counted quantities applied; final.
        Finalised = "finalised",
        /// Abandoned without changing stock; final.
        Cancelled = "cancelled",
    }
}

/// A stock count, without its lines.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockCount {
    /// The count's id (UUIDv7, so ids sort by when counts were opened).
    pub id: StockCountId,
    /// The location counted.
    pub location_id: LocationId,
    /// Open while counting; finalised or cancelled once closed, and then final.
    pub status: StockCountStatus,
    /// Whether a company admin finalised it although stock moved during the count.
    pub overridden: bool,
    /// Who opened it (user or API key).
    pub started_by: Option<uuid::Uuid>,
    /// When the count was opened (UTC): the expected quantities are the stock on record then.
    pub started_at: Timestamp,
    /// Who finalised or cancelled it.
    pub closed_by: Option<uuid::Uuid>,
    /// Finalised or cancelled.
    pub closed_at: Option<Timestamp>,
}

/// A stock count with its lines.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockCountDetail {
    /// The count itself; its fields sit at the top level of the JSON, beside `lines`.
    #[serde(flatten)]
    pub count: StockCount,
    /// One line per item stocked at the location when the count opened, plus any item counted.
    pub lines: Vec<CountLine>,
}

/// One item of a count.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountLine {
    /// The item counted; `sku` repeats its SKU.
    pub item_id: ItemId,
    /// Its SKU.
    pub sku: String,
    /// The stock on record when the count opened.
    pub expected_quantity: i64,
    /// What was counted, once counted.
    pub counted_quantity: Option<i64>,
    /// When it was counted.
    pub counted_at: Option<Timestamp>,
    /// Whether the item's stock moved while the count was open (known once finalised).
    pub moved: bool,
}

/// Which counts to list; every filter left out matches all.
#[derive(Clone, Debug, Default)]
pub struct CountFilter {
    /// Only counts of this location.
    pub location_id: Option<LocationId>,
    /// Only counts in this status.
    pub status: Option<StockCountStatus>,
}

/// A count to open, for [`start`].
#[derive(Clone, Copy, Debug)]
pub struct StartCount {
    /// The location to count; one open count per location.
    pub location_id: LocationId,
}

/// What was counted of one item, for [`record`].
#[derive(Clone, Copy, Debug)]
pub struct RecordCount {
    /// The item counted (any item of the tenant, stocked at the location or not).
    pub item_id: ItemId,
    /// Units counted, 0 to [`MAX_QUANTITY`]; replaces an earlier figure for the item.
    pub counted_quantity: i64,
}

/// How to finalise a count, for [`finalise`].
#[derive(Clone, Copy, Debug, Default)]
pub struct FinaliseCount {
    /// Finalise although stock moved during the count, the counted figures winning. The caller
    /// checks that the actor may (`stock:override`).
    pub override_moves: bool,
}

const COLUMNS: &str = "id, location_id, status, overridden, started_by, started_at, closed_by, closed_at";

async fn get_count(tx: &mut TenantTx, id: StockCountId, lock: bool) -> Result<StockCount> {
    let tenant = tx.tenant_id();
    let lock = if lock { row_lock(tx) } else { "" };
    let sql = format!("SELECT {COLUMNS} FROM stock_counts WHERE tenant_id = $1 AND id = $2{lock}");
    let row: Option<StockCount> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    row.ok_or(Error::NotFound("stock count"))
}

async fn lines(tx: &mut TenantTx, id: StockCountId) -> Result<Vec<CountLine>> {
    let tenant = tx.tenant_id();
    let rows: Vec<CountLine> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT l.item_id, i.sku, l.expected_quantity, l.counted_quantity, l.counted_at, l.moved
         FROM stock_count_lines l JOIN items i ON i.tenant_id = l.tenant_id AND i.id = l.item_id
         WHERE l.tenant_id = $1 AND l.stock_count_id = $2 ORDER BY l.item_id",
        tenant,
        id
    )?;
    Ok(rows)
}

/// One stock count of the tenant with its lines.
pub async fn detail(tx: &mut TenantTx, id: StockCountId) -> Result<StockCountDetail> {
    let count = get_count(tx, id, false).await?;
    Ok(StockCountDetail { count, lines: lines(tx, id).await? })
}

/// The tenant's stock counts matching `filter`, oldest first, a page at a time.
pub async fn list(tx: &mut TenantTx, filter: &CountFilter, page: &PageRequest) -> Result<Page<StockCount>> {
    let after: Option<StockCountId> = page.after()?;
    let tenant = tx.tenant_id();
    let sql = format!(
        "SELECT {COLUMNS} FROM stock_counts WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2)
           AND ($3 IS NULL OR location_id = $3) AND ($4 IS NULL OR status = $4)
         ORDER BY id LIMIT $5"
    );
    let rows: Vec<StockCount> = query!(
        tx,
        query_as,
        fetch_all,
        sql,
        tenant,
        after,
        filter.location_id,
        filter.status,
        page.fetch_limit()
    )?;
    Ok(page.finish(rows, |c| c.id.as_uuid()))
}

/// The count, locked, if it is still open.
async fn open_count(tx: &mut TenantTx, id: StockCountId) -> Result<StockCount> {
    let count = get_count(tx, id, true).await?;
    if count.status != StockCountStatus::Open {
        return Err(Error::conflict("stock_count_closed", format!("This stock count is {}.", count.status)));
    }
    Ok(count)
}

/// Opens a count of a location, recording the stock on record there; records
/// `stock_count.started`. A second open count of the same location answers `stock_count_open`.
pub async fn start(uow: &mut UnitOfWork, req: StartCount) -> Result<StockCountDetail> {
    let location = req.location_id;
    let actor = uow.actor().actor_id;
    let tx = uow.tx();
    locations::get(tx, location).await?;
    let id = StockCountId::new();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO stock_counts (tenant_id, id, location_id, status, started_by, started_at)
         VALUES ($1, $2, $3, 'open', $4, $5)",
        tenant,
        id,
        location,
        actor,
        Timestamp::now()
    )
    .map_err(|e| {
        Error::from(e)
            .on_duplicate("stock_count_open", "A count of this location is open already: finish it first.")
    })?;
    execute!(
        tx.conn(),
        "INSERT INTO stock_count_lines (tenant_id, stock_count_id, item_id, expected_quantity, expected_version)
         SELECT tenant_id, $2, item_id, quantity, version FROM stock_levels WHERE tenant_id = $1 AND location_id = $3",
        tenant,
        id,
        location
    )?;
    let event = Event::new("stock_count.started", "stock_count", id)
        .changes(serde_json::json!({ "location_id": location }));
    uow.audit(event).await?;
    detail(uow.tx(), id).await
}

/// Records what was counted of an item in an open count; records `stock_count.counted`.
pub async fn record(uow: &mut UnitOfWork, id: StockCountId, req: RecordCount) -> Result<StockCountDetail> {
    if !(0..=MAX_QUANTITY).contains(&req.counted_quantity) {
        return Err(Error::invalid_field(
            "counted_quantity",
            format!("must be between 0 and {MAX_QUANTITY}"),
        ));
    }
    let tx = uow.tx();
    open_count(tx, id).await?;
    items::get(tx, req.item_id).await?;
    let tenant = tx.tenant_id();
    // An item without stock on record when the count opened expects 0 at version 0: if stock of
    // it has arrived since, its version is higher and finalising notices.
    execute!(
        tx.conn(),
        "INSERT INTO stock_count_lines (tenant_id, stock_count_id, item_id, expected_quantity, expected_version,
            counted_quantity, counted_at)
         VALUES ($1, $2, $3, 0, 0, $4, $5)
         ON CONFLICT (tenant_id, stock_count_id, item_id)
         DO UPDATE SET counted_quantity = excluded.counted_quantity, counted_at = excluded.counted_at",
        tenant,
        id,
        req.item_id,
        req.counted_quantity,
        Timestamp::now()
    )?;
    let event = Event::new("stock_count.counted", "stock_count", id)
        .changes(serde_json::json!({ "item_id": req.item_id, "counted_quantity": req.counted_quantity }));
    uow.audit(event).await?;
    detail(uow.tx(), id).await
}

#[derive(sqlx::FromRow)]
struct Expected {
    item_id: ItemId,
    expected_version: i64,
    counted_quantity: i64,
}

/// Finalises an open count: sets each counted item's stock to what was counted, through the
/// ledger; records `stock_count.finalised` (audit and event). If stock of a counted item moved
/// while the count was open, answers `stock_moved_during_count` unless `override_moves`.
pub async fn finalise(
    uow: &mut UnitOfWork,
    id: StockCountId,
    req: FinaliseCount,
) -> Result<StockCountDetail> {
    let actor = uow.actor().actor_id;
    let tx = uow.tx();
    let count = open_count(tx, id).await?;
    let tenant = tx.tenant_id();
    let counted: Vec<Expected> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT item_id, expected_version, counted_quantity FROM stock_count_lines
         WHERE tenant_id = $1 AND stock_count_id = $2 AND counted_quantity IS NOT NULL ORDER BY item_id",
        tenant,
        id
    )?;
    // Lock each counted level (in item order, as everywhere) and see whether it moved.
    let lock = row_lock(tx);
    let sql = format!(
        "SELECT quantity, version FROM stock_levels WHERE tenant_id = $1 AND item_id = $2 AND location_id = $3{lock}"
    );
    let mut current = Vec::with_capacity(counted.len());
    let mut moved = Vec::new();
    for line in &counted {
        let level: Option<(i64, i64)> =
            query!(tx, query_as, fetch_optional, sql.as_str(), tenant, line.item_id, count.location_id)?;
        let (quantity, version) = level.unwrap_or((0, 0));
        if version != line.expected_version {
            moved.push(line.item_id);
        }
        current.push(quantity);
    }
    if !moved.is_empty() && !req.override_moves {
        let mut skus = Vec::with_capacity(moved.len());
        for item in &moved {
            skus.push(items::get(tx, *item).await?.sku);
        }
        return Err(Error::conflict(
            "stock_moved_during_count",
            format!(
                "Stock of {} moved while the count was open: count again, or a company admin finalises with override.",
                skus.join(", ")
            ),
        ));
    }
    let mut changed = 0;
    for (line, quantity) in counted.iter().zip(current) {
        let delta = line.counted_quantity - quantity;
        if delta != 0 {
            let item = items::get(tx, line.item_id).await?;
            let change = Change {
                item: &item,
                location: count.location_id,
                delta,
                kind: MovementKind::Count,
                reference: id.as_uuid(),
                actor,
            };
            levels::apply(tx, change).await?;
            changed += 1;
        }
        if moved.contains(&line.item_id) {
            execute!(
                tx.conn(),
                "UPDATE stock_count_lines SET moved = true WHERE tenant_id = $1 AND stock_count_id = $2 AND item_id = $3",
                tenant,
                id,
                line.item_id
            )?;
        }
    }
    let overridden = !moved.is_empty();
    execute!(
        tx.conn(),
        "UPDATE stock_counts SET status = 'finalised', overridden = $3, closed_by = $4, closed_at = $5
         WHERE tenant_id = $1 AND id = $2",
        tenant,
        id,
        overridden,
        actor,
        Timestamp::now()
    )?;
    let event = Event::new("stock_count.finalised", "stock_count", id).changes(serde_json::json!({
        "overridden": overridden, "moved_items": moved, "items_changed": changed,
    }));
    uow.audit(event).await?;
    let finalised = StockCountFinalised {
        stock_count_id: id,
        location_id: count.location_id,
        overridden,
        items_changed: changed,
    };
    uow.emit(&finalised).await?;
    detail(uow.tx(), id).await
}

/// Cancels an open count without changing stock; records `stock_count.cancelled`.
pub async fn cancel(uow: &mut UnitOfWork, id: StockCountId) -> Result<StockCountDetail> {
    let actor = uow.actor().actor_id;
    let tx = uow.tx();
    open_count(tx, id).await?;
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "UPDATE stock_counts SET status = 'cancelled', closed_by = $3, closed_at = $4 WHERE tenant_id = $1 AND id = $2",
        tenant,
        id,
        actor,
        Timestamp::now()
    )?;
    uow.audit(Event::new("stock_count.cancelled", "stock_count", id)).await?;
    detail(uow.tx(), id).await
}
