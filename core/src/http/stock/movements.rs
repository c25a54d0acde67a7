//! Adjustments and transfers over HTTP.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::ApiJson;
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_stock::movements::{self, AdjustStock, Adjustment, AdjustmentReason, Transfer, TransferStock};
use ils_storage::ids::{ItemId, LocationId};
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(adjust)).routes(routes!(transfer))
}

/// An adjustment as sent by a client.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    /// The item to adjust; it must be in the tenant's catalogue.
    pub item_id: ItemId,
    /// The location to adjust the stock at; it must be one of the tenant's.
    pub location_id: LocationId,
    /// Units to add (positive) or remove (negative); never zero.
    pub quantity: i64,
    /// Why the stock is adjusted.
    pub reason: AdjustmentReason,
    /// Details (up to 500 characters).
    pub note: Option<String>,
}

/// Adjust the stock of an item at a location.
#[utoipa::path(post, path = "/stock/adjustments", tag = "stock", security(("bearer" = [])), request_body = AdjustmentInput,
    responses((status = 201, description = "Adjusted", body = Adjustment),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such item or location in this tenant", body = Problem),
              (status = 409, description = "Not enough stock (`insufficient_stock`): stock never goes negative", body = Problem),
              (status = 422, description = "Invalid input, e.g. a zero quantity", body = Problem)))]
pub(crate) async fn adjust(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<AdjustmentInput>,
) -> ApiResult<(StatusCode, Json<Adjustment>)> {
    let ctx = principal.tenant(Action::StockWrite)?;
    let req = AdjustStock {
        item_id: req.item_id,
        location_id: req.location_id,
        quantity: req.quantity,
        reason: req.reason,
        note: req.note,
    };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let adjustment = movements::adjust(&mut uow, req).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(adjustment)))
}

/// A transfer as sent by a client.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// The item to move; it must be in the tenant's catalogue.
    pub item_id: ItemId,
    /// Where the stock leaves.
    pub from_location_id: LocationId,
    /// Where it arrives (a different location).
    pub to_location_id: LocationId,
    /// Units moved (positive).
    pub quantity: i64,
    /// Details (up to 500 characters).
    pub note: Option<String>,
}

/// Move stock of an item from one location to another.
#[utoipa::path(post, path = "/stock/transfers", tag = "stock", security(("bearer" = [])), request_body = TransferInput,
    responses((status = 201, description = "Transferred", body = Transfer),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such item or location in this tenant", body = Problem),
              (status = 409, description = "Not enough stock at the sending location (`insufficient_stock`)", body = Problem),
              (status = 422, description = "Invalid input, e.g. the same location twice", body = Problem)))]
pub(crate) async fn transfer(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<TransferInput>,
) -> ApiResult<(StatusCode, Json<Transfer>)> {
    let ctx = principal.tenant(Action::StockWrite)?;
    let req = TransferStock {
        item_id: req.item_id,
        from_location_id: req.from_location_id,
        to_location_id: req.to_location_id,
        quantity: req.quantity,
        note: req.note,
    };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let transfer = movements::transfer(&mut uow, req).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(transfer)))
}
