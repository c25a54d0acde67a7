//! The tenant's item catalogue: what it stocks, by SKU and barcode, in which unit, and the
//! reorder point below which it wants to hear (`stock.low`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{self, Event};
use crate::auth::Principal;
use crate::auth::permissions::Action;
use crate::db::TenantTx;
use crate::db::query;
use crate::db::text_enum;
use crate::db::types::Timestamp;
use crate::error::{Error, Result};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::ItemId;
use crate::input::{optional_text, required_text};
use crate::state::AppState;

text_enum! {
    /// The unit an item is counted in; quantities are whole units.
    pub enum Unit {
        /// A single piece (a frame, a lens blank).
        Each = "each",
        /// A pair (finished lenses).
        Pair = "pair",
        /// A box (contact lenses).
        Box = "box",
        /// A pack (cleaning cloths).
        Pack = "pack",
        /// A bottle (solutions).
        Bottle = "bottle",
    }
}

/// An item of the catalogue.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Item {
    /// Id.
    pub id: ItemId,
    /// Stock-keeping unit, unique within the tenant.
    pub sku: String,
    /// Barcode (EAN/UPC/GTIN or the tenant's own), unique within the tenant.
    pub barcode: Option<String>,
    /// Name.
    pub name: String,
    /// The unit quantities count.
    pub unit: Unit,
    /// At or below this quantity at a location, the item is low there.
    pub reorder_point: i64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// Checked values of an item.
#[derive(Clone, Debug)]
struct Details {
    sku: String,
    barcode: Option<String>,
    name: String,
    unit: Unit,
    reorder_point: i64,
}

const COLUMNS: &str = "id, sku, barcode, name, unit, reorder_point, created_at, updated_at";

fn on_duplicate(error: Error) -> Error {
    error.on_duplicate_of("sku", "sku_taken", "Another item of this tenant has that SKU.").on_duplicate_of(
        "barcode",
        "barcode_taken",
        "Another item of this tenant has that barcode.",
    )
}

/// One item of the tenant.
pub async fn get(tx: &mut TenantTx, id: ItemId) -> Result<Item> {
    let tenant = tx.tenant_id();
    let sql = format!("SELECT {COLUMNS} FROM items WHERE tenant_id = $1 AND id = $2");
    let row: Option<Item> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    row.ok_or(Error::NotFound("item"))
}

async fn insert(tx: &mut TenantTx, d: &Details) -> Result<Item> {
    let tenant = tx.tenant_id();
    let sql = format!(
        "INSERT INTO items (tenant_id, id, sku, barcode, name, unit, reorder_point, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
    );
    let row: Item = query!(
        tx,
        query_as,
        fetch_one,
        sql,
        tenant,
        ItemId::new(),
        &d.sku,
        &d.barcode,
        &d.name,
        d.unit,
        d.reorder_point,
        Timestamp::now()
    )
    .map_err(|e| on_duplicate(e.into()))?;
    Ok(row)
}

async fn update(tx: &mut TenantTx, id: ItemId, d: &Details) -> Result<Item> {
    let tenant = tx.tenant_id();
    let sql = format!(
        "UPDATE items SET sku = $3, barcode = $4, name = $5, unit = $6, reorder_point = $7, updated_at = $8
         WHERE tenant_id = $1 AND id = $2 RETURNING {COLUMNS}"
    );
    let row: Option<Item> = query!(
        tx,
        query_as,
        fetch_optional,
        sql,
        tenant,
        id,
        &d.sku,
        &d.barcode,
        &d.name,
        d.unit,
        d.reorder_point,
        Timestamp::now()
    )
    .map_err(|e| on_duplicate(e.into()))?;
    row.ok_or(Error::NotFound("item"))
}

async fn search(tx: &mut TenantTx, q: &Search, page: &PageRequest) -> Result<Page<Item>> {
    let tenant = tx.tenant_id();
    let after: Option<ItemId> = page.after()?;
    let sql = format!(
        "SELECT {COLUMNS} FROM items WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2)
           AND ($3 IS NULL OR sku = $3) AND ($4 IS NULL OR barcode = $4)
         ORDER BY id LIMIT $5"
    );
    let rows: Vec<Item> =
        query!(tx, query_as, fetch_all, sql, tenant, after, &q.sku, &q.barcode, page.fetch_limit())?;
    Ok(page.finish(rows, |i| i.id.as_uuid()))
}

struct Search {
    sku: Option<String>,
    barcode: Option<String>,
}

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_item, list_items)).routes(routes!(get_item, update_item))
}

/// An item as sent by a client (creation, or a full replacement).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// Stock-keeping unit (1–60 characters, no spaces), unique within the tenant.
    pub sku: String,
    /// Barcode (1–64 characters, no spaces), unique within the tenant.
    pub barcode: Option<String>,
    /// Name (1–200 characters).
    pub name: String,
    /// The unit quantities count.
    pub unit: Unit,
    /// At or below this quantity at a location the item is low there (0 or more).
    pub reorder_point: i64,
}

fn code(field: &str, value: &str, max: usize) -> Result<String> {
    let value = required_text(field, value, max)?;
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_field(field, "must not contain spaces"));
    }
    Ok(value)
}

impl ItemInput {
    fn details(&self) -> Result<Details> {
        if !(0..=super::MAX_QUANTITY).contains(&self.reorder_point) {
            return Err(Error::invalid_field(
                "reorder_point",
                format!("must be between 0 and {}", super::MAX_QUANTITY),
            ));
        }
        Ok(Details {
            sku: code("sku", &self.sku, 60)?,
            barcode: match optional_text("barcode", self.barcode.as_deref(), 64)? {
                Some(b) => Some(code("barcode", &b, 64)?),
                None => None,
            },
            name: required_text("name", &self.name, 200)?,
            unit: self.unit,
            reorder_point: self.reorder_point,
        })
    }
}

/// Add an item to the catalogue.
#[utoipa::path(post, path = "/items", tag = "stock", security(("bearer" = [])), request_body = ItemInput,
    responses((status = 201, description = "Added", body = Item),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 409, description = "SKU or barcode already used", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn create_item(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<ItemInput>,
) -> ApiResult<(StatusCode, Json<Item>)> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let details = req.details()?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let item = insert(&mut tx, &details).await?;
    let event =
        Event::new("item.created", "item", item.id).changes(serde_json::to_value(&item).unwrap_or_default());
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// How to find items.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// Exact SKU.
    pub sku: Option<String>,
    /// Exact barcode (a scan).
    pub barcode: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// The catalogue, or the items with a SKU or barcode.
#[utoipa::path(get, path = "/items", tag = "stock", security(("bearer" = [])), params(ItemQuery),
    responses((status = 200, description = "Items, oldest first", body = Page<Item>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
async fn list_items(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ItemQuery>,
) -> ApiResult<Json<Page<Item>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: query.cursor, limit: query.limit })?;
    let search = Search {
        sku: optional_text("sku", query.sku.as_deref(), 60)?,
        barcode: optional_text("barcode", query.barcode.as_deref(), 64)?,
    };
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(self::search(&mut tx, &search, &page).await?))
}

/// One item.
#[utoipa::path(get, path = "/items/{item_id}", tag = "stock", security(("bearer" = [])),
    params(("item_id" = ItemId, Path, description = "The item")),
    responses((status = 200, description = "The item", body = Item),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such item in this tenant", body = Problem)))]
async fn get_item(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ItemId>,
) -> ApiResult<Json<Item>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(get(&mut tx, id).await?))
}

/// Replace an item's details.
#[utoipa::path(put, path = "/items/{item_id}", tag = "stock", security(("bearer" = [])),
    params(("item_id" = ItemId, Path, description = "The item")), request_body = ItemInput,
    responses((status = 200, description = "Updated", body = Item),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such item in this tenant", body = Problem),
              (status = 409, description = "SKU or barcode already used", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn update_item(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ItemId>,
    ApiJson(req): ApiJson<ItemInput>,
) -> ApiResult<Json<Item>> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let details = req.details()?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let before = get(&mut tx, id).await?;
    let after = update(&mut tx, id, &details).await?;
    let (b, a) =
        (serde_json::to_value(&before).unwrap_or_default(), serde_json::to_value(&after).unwrap_or_default());
    let mut changes = serde_json::Map::new();
    for key in ["sku", "barcode", "name", "unit", "reorder_point"] {
        if b[key] != a[key] {
            changes.insert(key.to_owned(), serde_json::json!({ "from": b[key], "to": a[key] }));
        }
    }
    let event = Event::new("item.updated", "item", id).changes(serde_json::Value::Object(changes));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(Json(after))
}
