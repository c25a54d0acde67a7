//! The item catalogue over HTTP.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_stock::items::{self, FrameSize, Item, ItemDetails, ItemSearch, Unit};
use ils_storage::ids::ItemId;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_item, list_items)).routes(routes!(get_item, update_item))
}

/// An item as sent by a client (creation, or a full replacement).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// Stock-keeping unit (1–60 characters, no spaces), unique within the tenant without
    /// regard to case (`fr-rb5154` is taken once `FR-RB5154` is).
    pub sku: String,
    /// Barcode (1–64 characters, no spaces), unique within the tenant.
    pub barcode: Option<String>,
    /// Name (1–200 characters).
    pub name: String,
    /// The unit quantities count.
    pub unit: Unit,
    /// At or below this quantity at a location the item is low there (0 or more).
    pub reorder_point: i64,
    /// For a frame: its boxed size (eye size A 30–80 mm, bridge DBL 10–30 mm, in 0.5 mm steps)
    /// and rim.
    #[serde(default)]
    pub frame: Option<FrameSize>,
}

impl From<ItemInput> for ItemDetails {
    fn from(i: ItemInput) -> Self {
        ItemDetails {
            sku: i.sku,
            barcode: i.barcode,
            name: i.name,
            unit: i.unit,
            reorder_point: i.reorder_point,
            frame: i.frame,
        }
    }
}

/// Add an item to the catalogue.
#[utoipa::path(post, path = "/items", tag = "stock", security(("bearer" = [])), request_body = ItemInput,
    responses((status = 201, description = "Added", body = Item),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 409, description = "SKU (in any case) or barcode already used, naming the item that has it", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn create_item(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<ItemInput>,
) -> ApiResult<(StatusCode, Json<Item>)> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let item = items::create(&mut uow, req.into()).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// How to find items.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// SKU, in any case (SKUs are unique without regard to it).
    pub sku: Option<String>,
    /// Exact barcode (a scan).
    pub barcode: Option<String>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The catalogue, or the items with a SKU or barcode.
#[utoipa::path(get, path = "/items", tag = "stock", security(("bearer" = [])), params(ItemQuery),
    responses((status = 200, description = "Items, oldest first", body = Page<Item>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid cursor or limit", body = Problem)))]
pub(crate) async fn list_items(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ItemQuery>,
) -> ApiResult<Json<Page<Item>>> {
    let ctx = principal.tenant(Action::StockRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: query.cursor, limit: query.limit })?;
    let search = ItemSearch { sku: query.sku, barcode: query.barcode };
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(items::search(&mut tx, &search, &page).await?))
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
    Ok(Json(items::get(&mut tx, id).await?))
}

/// Replace an item's details.
#[utoipa::path(put, path = "/items/{item_id}", tag = "stock", security(("bearer" = [])),
    params(("item_id" = ItemId, Path, description = "The item")), request_body = ItemInput,
    responses((status = 200, description = "Updated", body = Item),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such item in this tenant", body = Problem),
              (status = 409, description = "SKU (in any case) or barcode already used, naming the item that has it", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn update_item(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ItemId>,
    ApiJson(req): ApiJson<ItemInput>,
) -> ApiResult<Json<Item>> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let item = items::update(&mut uow, id, req.into()).await?;
    uow.commit().await?;
    Ok(Json(item))
}
