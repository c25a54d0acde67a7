//! Recommendations over HTTP (docs/adr/030): the kinds the caller may ask for, one kind gathered
//! from every enabled recommender, and accepting a proposed draft purchase order — created as
//! the person who accepts it, a draft until someone approves it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_plugin_host::recommend::{Gathered, KindEntry, ProposedAction};
use ils_stock::purchase_orders::{self, DraftLine, DraftOrder, PurchaseOrder};
use ils_storage::ids::{ItemId, LocationId, SupplierId};
use ils_tenancy::auth::Principal;

/// The currency of a draft whose supplier the tenant has never ordered from: ILS's home market.
const DEFAULT_CURRENCY: &str = "GBP";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_kinds)).routes(routes!(recommend)).routes(routes!(accept))
}

/// The kinds of recommendation the caller may ask for, from the tenant's enabled recommenders.
#[utoipa::path(get, path = "/recommendations", tag = "recommendations", security(("bearer" = [])),
    responses((status = 200, description = "Kinds for the caller's role", body = [KindEntry]),
              (status = 401, description = "Not signed in", body = Problem)))]
pub(crate) async fn list_kinds(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<KindEntry>>> {
    let ctx = principal.tenant(Action::PluginsUse)?;
    let who = super::plugins::caller(&principal, &ctx);
    Ok(Json(state.recommenders.kinds(ctx.tenant_id, &who).await?))
}

/// Recommendations of one kind for the input given (a JSON object whose fields the kind's
/// recommenders document: a prescription for `lens`, an item or location for `reorder`…), from
/// every enabled recommender that gives the kind to the caller's role, highest score first. A
/// recommender that fails is listed under `unanswered`; the others' answers stand.
#[utoipa::path(post, path = "/recommendations/{kind}", tag = "recommendations", security(("bearer" = [])),
    params(("kind" = String, Path, description = "The kind, as `GET /recommendations` lists it")),
    request_body(content = Object, description = "The input, a JSON object"),
    responses((status = 200, description = "The recommendations", body = Gathered),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "The kind is not given to the caller's role", body = Problem),
              (status = 404, description = "No enabled recommender gives that kind", body = Problem),
              (status = 422, description = "The input is not a JSON object, or too large", body = Problem)))]
pub(crate) async fn recommend(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(kind): ApiPath<String>,
    ApiJson(input): ApiJson<Map<String, Value>>,
) -> ApiResult<Json<Gathered>> {
    let ctx = principal.tenant(Action::PluginsUse)?;
    let who = super::plugins::caller(&principal, &ctx);
    Ok(Json(state.recommenders.gather(ctx.tenant_id, &who, &kind, Value::Object(input)).await?))
}

/// A proposed action to carry out.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Accept {
    /// The action as the recommendation proposed it
    /// (`{"kind": "draft_purchase_order", "supplier_id", "location_id", "lines": [{"item_id", "quantity"}]}`).
    #[schema(value_type = Object)]
    pub action: ProposedAction,
    /// Notes to the supplier, put on the draft.
    pub notes: Option<String>,
}

fn parsed<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, Error> {
    text.parse().map_err(|_| Error::invalid_field(field, "is not an id"))
}

/// Accepts a proposed draft purchase order: raises it as a draft, as the caller, priced at what
/// the tenant last paid that supplier for each item (0 where it never ordered the item, for the
/// person to fill in before approving it).
#[utoipa::path(post, path = "/recommendations/{kind}/accept", tag = "recommendations", security(("bearer" = [])),
    params(("kind" = String, Path, description = "The kind the recommendation was of")),
    request_body = Accept,
    responses((status = 201, description = "The draft purchase order", body = PurchaseOrder),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "The caller may not raise purchase orders", body = Problem),
              (status = 404, description = "No account with that supplier, or no such location or item in this tenant", body = Problem),
              (status = 422, description = "Invalid action", body = Problem)))]
pub(crate) async fn accept(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(_kind): ApiPath<String>,
    ApiJson(req): ApiJson<Accept>,
) -> ApiResult<(StatusCode, Json<PurchaseOrder>)> {
    let ctx = principal.tenant(Action::PurchasingManage)?;
    let order = raise_proposed(&state, &ctx, &req.action, req.notes).await?;
    Ok((StatusCode::CREATED, Json(order)))
}

/// Raises the draft a proposed action describes, as `ctx`'s actor (the API and the console).
pub(crate) async fn raise_proposed(
    state: &AppState,
    ctx: &ils_kernel::TenantCtx,
    action: &ProposedAction,
    notes: Option<String>,
) -> Result<PurchaseOrder, Error> {
    let draft = ils_plugin_host::recommend::draft_of(action);
    let supplier: SupplierId = parsed("action.supplier_id", &draft.supplier_id)?;
    let location: LocationId = parsed("action.location_id", &draft.location_id)?;
    let mut uow = UnitOfWork::begin(&state.db, ctx).await?;
    let mut currency = None;
    let mut lines = Vec::with_capacity(draft.lines.len());
    for (n, line) in draft.lines.iter().enumerate() {
        let item: ItemId = parsed(&format!("action.lines[{n}].item_id"), &line.item_id)?;
        let terms = purchase_orders::last_terms(uow.tx(), supplier, item).await?;
        let price = match terms {
            Some((c, price)) if currency.get_or_insert_with(|| c.clone()) == &c => price,
            _ => 0,
        };
        lines.push(DraftLine { item_id: item, quantity: line.quantity, unit_price_minor: price });
    }
    let order = DraftOrder {
        supplier_id: supplier,
        location_id: location,
        currency: currency.unwrap_or_else(|| DEFAULT_CURRENCY.to_string()),
        notes,
        lines,
    };
    let order = purchase_orders::raise(&mut uow, order).await?;
    uow.commit().await?;
    Ok(order)
}
