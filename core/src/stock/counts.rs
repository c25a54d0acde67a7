//! Stock counts (stocktakes) of one location.
//!
//! Opening a count records, for every item stocked there, the quantity and the stock level's
//! `version` (which every change increments). Staff then record what they counted. Finalising
//! compares each counted item's version with the recorded one: if stock moved while the count was
//! open, the counted figure may or may not include that movement, so the count is refused
//! (`stock_moved_during_count`) until it is redone or a company admin overrides, in which case
//! the counted figures win. Finalising sets each counted item's stock to the counted quantity
//! through the ledger; items not counted keep their stock.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::levels::{self, Change, MovementKind};
use super::{MAX_QUANTITY, items, locations, row_lock};
use crate::audit::{self, Event};
use crate::auth::Principal;
use crate::auth::permissions::Action;
use crate::db::query;
use crate::db::text_enum;
use crate::db::types::Timestamp;
use crate::db::{TenantTx, execute};
use crate::error::{Error, Result};
use crate::events::{self, catalog};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::{ItemId, LocationId, StockCountId};
use crate::state::AppState;

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
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StockCount {
    /// Id.
    pub id: StockCountId,
    /// The location counted.
    pub location_id: LocationId,
    /// Status.
    pub status: StockCountStatus,
    /// Whether a company admin finalised it although stock moved during the count.
    pub overridden: bool,
    /// Who opened it (user or API key).
    pub started_by: Option<uuid::Uuid>,
    /// Opened.
    pub started_at: Timestamp,
    /// Who finalised or cancelled it.
    pub closed_by: Option<uuid::Uuid>,
    /// Finalised or cancelled.
    pub closed_at: Option<Timestamp>,
}

/// A stock count with its lines.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StockCountDetail {
    /// The count.
    #[serde(flatten)]
    pub count: StockCount,
    /// One line per item stocked at the location when the count opened, plus any item counted.
    pub lines: Vec<CountLine>,
}

/// One item of a count.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CountLine {
    /// The item.
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

async fn detail(tx: &mut TenantTx, id: StockCountId) -> Result<StockCountDetail> {
    let count = get_count(tx, id, false).await?;
    Ok(StockCountDetail { count, lines: lines(tx, id).await? })
}

/// The count, locked, if it is still open.
async fn open_count(tx: &mut TenantTx, id: StockCountId) -> Result<StockCount> {
    let count = get_count(tx, id, true).await?;
    if count.status != StockCountStatus::Open {
        return Err(Error::conflict("stock_count_closed", format!("This stock count is {}.", count.status)));
    }
    Ok(count)
}

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_count, list_counts))
        .routes(routes!(get_stock_count))
        .routes(routes!(record_count))
        .routes(routes!(finalise_count))
        .routes(routes!(cancel_count))
}

/// A count to open.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartCountInput {
    /// The location to count.
    pub location_id: LocationId,
}

/// Open a stock count of a location (one open count per location).
#[utoipa::path(post, path = "/stock-counts", tag = "stock", security(("bearer" = [])), request_body = StartCountInput,
    responses((status = 201, description = "Opened, with the stock on record", body = StockCountDetail),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such location in this tenant", body = Problem),
              (status = 409, description = "A count of this location is already open (`stock_count_open`)", body = Problem)))]
async fn start_count(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<StartCountInput>,
) -> ApiResult<(StatusCode, Json<StockCountDetail>)> {
    let ctx = principal.tenant(Action::StockWrite)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    locations::get(&mut tx, req.location_id).await?;
    let id = StockCountId::new();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO stock_counts (tenant_id, id, location_id, status, started_by, started_at)
         VALUES ($1, $2, $3, 'open', $4, $5)",
        tenant,
        id,
        req.location_id,
        ctx.audit.actor_id,
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
        req.location_id
    )?;
    let event = Event::new("stock_count.started", "stock_count", id)
        .changes(serde_json::json!({ "location_id": req.location_id }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    let count = detail(&mut tx, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(count)))
}

/// Which counts to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountQuery {
    /// Only counts of this location.
    pub location_id: Option<LocationId>,
    /// Only counts in this status.
    pub status: Option<StockCountStatus>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// The tenant's stock counts, oldest first.
#[utoipa::path(get, path = "/stock-counts", tag = "stock", security(("bearer" = [])), params(CountQuery),
    responses((status = 200, description = "Stock counts", body = Page<StockCount>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
async fn list_counts(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<CountQuery>,
) -> ApiResult<Json<Page<StockCount>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: q.cursor, limit: q.limit })?;
    let after: Option<StockCountId> = page.after()?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let tenant = tx.tenant_id();
    let sql = format!(
        "SELECT {COLUMNS} FROM stock_counts WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2)
           AND ($3 IS NULL OR location_id = $3) AND ($4 IS NULL OR status = $4)
         ORDER BY id LIMIT $5"
    );
    let rows: Vec<StockCount> =
        query!(tx, query_as, fetch_all, sql, tenant, after, q.location_id, q.status, page.fetch_limit())?;
    Ok(Json(page.finish(rows, |c| c.id.as_uuid())))
}

/// One stock count with its lines.
#[utoipa::path(get, path = "/stock-counts/{stock_count_id}", tag = "stock", security(("bearer" = [])),
    params(("stock_count_id" = StockCountId, Path, description = "The stock count")),
    responses((status = 200, description = "The count", body = StockCountDetail),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such stock count in this tenant", body = Problem)))]
async fn get_stock_count(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<StockCountId>,
) -> ApiResult<Json<StockCountDetail>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(detail(&mut tx, id).await?))
}

/// What was counted of one item.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountInput {
    /// Units counted (0 or more); replaces an earlier figure for the item.
    pub counted_quantity: i64,
}

/// Record what was counted of an item.
#[utoipa::path(put, path = "/stock-counts/{stock_count_id}/items/{item_id}", tag = "stock", security(("bearer" = [])),
    params(("stock_count_id" = StockCountId, Path, description = "The stock count"),
           ("item_id" = ItemId, Path, description = "The item counted")),
    request_body = CountInput,
    responses((status = 200, description = "Recorded", body = StockCountDetail),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such stock count or item in this tenant", body = Problem),
              (status = 409, description = "The count is finalised or cancelled (`stock_count_closed`)", body = Problem),
              (status = 422, description = "Invalid quantity", body = Problem)))]
async fn record_count(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, item_id)): ApiPath<(StockCountId, ItemId)>,
    ApiJson(req): ApiJson<CountInput>,
) -> ApiResult<Json<StockCountDetail>> {
    let ctx = principal.tenant(Action::StockWrite)?;
    if !(0..=MAX_QUANTITY).contains(&req.counted_quantity) {
        return Err(Error::invalid_field(
            "counted_quantity",
            format!("must be between 0 and {MAX_QUANTITY}"),
        )
        .into());
    }
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    open_count(&mut tx, id).await?;
    items::get(&mut tx, item_id).await?;
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
        item_id,
        req.counted_quantity,
        Timestamp::now()
    )?;
    let event = Event::new("stock_count.counted", "stock_count", id)
        .changes(serde_json::json!({ "item_id": item_id, "counted_quantity": req.counted_quantity }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    let count = detail(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(count))
}

/// How to finalise.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinaliseInput {
    /// Finalise although stock moved during the count, the counted figures winning
    /// (company admins: `stock:override`).
    #[serde(default, rename = "override")]
    pub override_moves: bool,
}

#[derive(sqlx::FromRow)]
struct Expected {
    item_id: ItemId,
    expected_version: i64,
    counted_quantity: i64,
}

/// Finalise a count: set each counted item's stock to what was counted.
#[utoipa::path(post, path = "/stock-counts/{stock_count_id}/finalise", tag = "stock", security(("bearer" = [])),
    params(("stock_count_id" = StockCountId, Path, description = "The stock count")), request_body = FinaliseInput,
    responses((status = 200, description = "Finalised; stock set to the counted quantities", body = StockCountDetail),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed (an override needs a company admin)", body = Problem),
              (status = 404, description = "No such stock count in this tenant", body = Problem),
              (status = 409, description = "Stock moved during the count (`stock_moved_during_count`), or the count is closed (`stock_count_closed`)", body = Problem)))]
async fn finalise_count(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<StockCountId>,
    ApiJson(req): ApiJson<FinaliseInput>,
) -> ApiResult<Json<StockCountDetail>> {
    let ctx = principal.tenant(Action::StockWrite)?;
    if req.override_moves {
        principal.tenant(Action::StockOverride)?;
    }
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let count = open_count(&mut tx, id).await?;
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
    let lock = row_lock(&mut tx);
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
            skus.push(items::get(&mut tx, *item).await?.sku);
        }
        return Err(Error::conflict(
            "stock_moved_during_count",
            format!(
                "Stock of {} moved while the count was open: count again, or a company admin finalises with override.",
                skus.join(", ")
            ),
        ).into());
    }
    let mut changed = 0;
    for (line, quantity) in counted.iter().zip(current) {
        let delta = line.counted_quantity - quantity;
        if delta != 0 {
            let item = items::get(&mut tx, line.item_id).await?;
            let change = Change {
                item: &item,
                location: count.location_id,
                delta,
                kind: MovementKind::Count,
                reference: id.as_uuid(),
                actor: ctx.audit.actor_id,
            };
            levels::apply(&mut tx, change).await?;
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
        ctx.audit.actor_id,
        Timestamp::now()
    )?;
    let event = Event::new("stock_count.finalised", "stock_count", id).changes(serde_json::json!({
        "overridden": overridden, "moved_items": moved, "items_changed": changed,
    }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    let finalised = catalog::StockCountFinalised {
        stock_count_id: id,
        location_id: count.location_id,
        overridden,
        items_changed: changed,
    };
    events::emit(&mut tx, &finalised).await?;
    let detail = detail(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(detail))
}

/// Cancel an open count; stock is not changed.
#[utoipa::path(post, path = "/stock-counts/{stock_count_id}/cancel", tag = "stock", security(("bearer" = [])),
    params(("stock_count_id" = StockCountId, Path, description = "The stock count")),
    responses((status = 200, description = "Cancelled", body = StockCountDetail),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such stock count in this tenant", body = Problem),
              (status = 409, description = "The count is finalised or cancelled (`stock_count_closed`)", body = Problem)))]
async fn cancel_count(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<StockCountId>,
) -> ApiResult<Json<StockCountDetail>> {
    let ctx = principal.tenant(Action::StockWrite)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    open_count(&mut tx, id).await?;
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "UPDATE stock_counts SET status = 'cancelled', closed_by = $3, closed_at = $4 WHERE tenant_id = $1 AND id = $2",
        tenant,
        id,
        ctx.audit.actor_id,
        Timestamp::now()
    )?;
    audit::record(&mut tx, &ctx.audit, Event::new("stock_count.cancelled", "stock_count", id)).await?;
    let detail = detail(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(detail))
}
