//! Lab orders over HTTP: place, read, move through the lifecycle, move between stations, the
//! timeline, and the production queue.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::status::{OrderStatus, Side, TransitionError};
use super::store::{self, Change, Filter, NewOrder};
use super::{
    Coating, Counterpart, LensType, Material, Money, Order, OrderReason, Priority, Routing, Station,
    TimelineEntry, accounts,
};
use crate::audit::{self, Event};
use crate::auth::permissions::{Action, Role};
use crate::auth::{Principal, TenantCtx};
use crate::clinical::prescriptions::{self, RxKind, StoredEyes};
use crate::error::{Error, Result};
use crate::events::{self, catalog};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::Problem;
use crate::ids::{OrderId, PatientId, PrescriptionId, TenantId};
use crate::input::tenths_of_mm;
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_order, list_orders))
        .routes(routes!(get_order))
        .routes(routes!(transition_order))
        .routes(routes!(move_station))
        .routes(routes!(order_timeline))
        .routes(routes!(production_queue))
}

/// The lenses as ordered.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LensInput {
    /// Design.
    #[serde(rename = "type")]
    pub lens_type: LensType,
    /// Material.
    pub material: Material,
    /// Refractive index, one the material is made in (plastic 1.50/1.56, polycarbonate 1.59,
    /// Trivex 1.53, glass 1.523/1.6/1.7/1.8/1.9, high-index 1.6/1.67/1.74).
    pub index: f64,
    /// Coatings and treatments (each at most once).
    pub coatings: Option<Vec<Coating>>,
    /// Tint as the lab writes it.
    pub tint: Option<String>,
}

/// The frame as ordered.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameInput {
    /// Brand, model, colour and size.
    pub description: String,
    /// Boxed lens width (A), 30–80 mm.
    pub a_mm: Option<f64>,
    /// Boxed lens height (B), 15–70 mm.
    pub b_mm: Option<f64>,
    /// Distance between lenses (DBL), 10–30 mm.
    pub dbl_mm: Option<f64>,
}

/// Centration measurements as taken.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasurementsInput {
    /// Right monocular PD, mm (defaults to the prescription's).
    pub pd_right_mm: Option<f64>,
    /// Left monocular PD, mm (defaults to the prescription's).
    pub pd_left_mm: Option<f64>,
    /// Right fitting height, 8–45 mm (required for bifocal, trifocal, progressive and
    /// occupational lenses).
    pub height_right_mm: Option<f64>,
    /// Left fitting height, 8–45 mm.
    pub height_left_mm: Option<f64>,
}

/// A lab order as placed by the practice.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    /// The lab to send the job to (its handle; see `GET /labs`); absent to make it in house.
    /// A remake, return or non-adapt goes where the original was made.
    pub lab: Option<String>,
    /// The patient.
    pub patient_id: PatientId,
    /// The patient's spectacle prescription to make the job to.
    pub prescription_id: PrescriptionId,
    /// `new` (default), `remake`, `return` or `non_adapt`.
    pub reason: Option<OrderReason>,
    /// For a remake, return or non-adapt: the original order (shipped or completed).
    pub original_order_id: Option<OrderId>,
    /// Lenses.
    pub lens: LensInput,
    /// Frame.
    pub frame: FrameInput,
    /// Measurements.
    pub measurements: Option<MeasurementsInput>,
    /// Due at the practice, YYYY-MM-DD (today or later).
    pub due_on: String,
    /// Priority (default `normal`).
    pub priority: Option<Priority>,
    /// Price of the job.
    pub price: Money,
    /// Notes for the lab.
    pub notes: Option<String>,
}

fn not_found_as_invalid(field: &'static str, what: &'static str) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::NotFound(_) => Error::invalid_field(field, format!("names no {what} of this practice")),
        e => e,
    }
}

/// The lab account an order goes through: the one named, or for a remake, return or non-adapt
/// the original's lab (naming another is refused); none for a job made in house.
async fn lab_account(
    tx: &mut crate::db::TenantTx,
    lab: Option<&str>,
    original: Option<&Order>,
) -> Result<Option<accounts::LabAccount>> {
    let no_account =
        || Error::invalid_field("lab", "names no lab this practice has an account with (GET /labs)");
    match original {
        Some(original) => {
            let account = match &original.counterpart {
                None => None,
                Some(c) => Some(
                    accounts::for_practice(tx, accounts::Lab::Tenant(c.tenant_id))
                        .await?
                        .ok_or_else(no_account)?,
                ),
            };
            let original_lab = account.as_ref().map(|a| a.lab_slug.as_str());
            if lab.is_some_and(|l| Some(l.trim()) != original_lab) {
                return Err(Error::invalid_field(
                    "lab",
                    "a remake, return or non-adapt goes where the original was made; leave `lab` out",
                ));
            }
            Ok(account)
        }
        None => match lab {
            None => Ok(None),
            Some(slug) => Ok(Some(
                accounts::for_practice(tx, accounts::Lab::Slug(slug.trim())).await?.ok_or_else(no_account)?,
            )),
        },
    }
}

/// Stores the lab's copy of a practice's order in the lab's tenant (same transaction), and says
/// which it is.
async fn send_to_lab(
    tx: &mut crate::db::TenantTx,
    lab: TenantId,
    lab_name: String,
    copy: &NewOrder,
    ctx: &TenantCtx,
) -> Result<Counterpart> {
    let practice = tx.act_for(lab).await?;
    let number = store::next_number(tx).await?;
    let id = OrderId::new();
    store::insert(tx, id, &number, copy, &ctx.audit).await?;
    let order = store::get(tx, id).await?;
    record_created(tx, ctx, &order).await?;
    tx.act_for(practice).await?;
    Ok(Counterpart { tenant_id: lab, name: lab_name, order_id: id, number })
}

/// The audit row and event of a new order, in the transaction's tenant.
async fn record_created(tx: &mut crate::db::TenantTx, ctx: &TenantCtx, order: &Order) -> Result<()> {
    let event = Event::new("order.created", "order", order.id).changes(serde_json::json!({
        "number": order.number, "patient_id": order.patient_id, "reason": order.reason,
        "original_order_id": order.original_order_id, "routing": order.routing,
        "counterpart": order.counterpart.as_ref().map(|c| &c.number),
    }));
    audit::record(tx, &ctx.audit, event).await?;
    let created = catalog::OrderCreated {
        order_id: order.id,
        number: order.number.clone(),
        reason: order.reason,
        original_order_id: order.original_order_id,
        priority: order.priority,
        due_on: order.due_on,
        patient_id: order.patient_id,
        prescription_id: order.prescription_id,
    };
    events::emit(tx, &created).await?;
    Ok(())
}

/// Place a lab order (practice staff). The order copies the prescription's values.
#[utoipa::path(post, path = "/orders", tag = "orders", security(("bearer" = [])), request_body = OrderInput,
    responses((status = 201, description = "Placed, pending", body = Order),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed (practice staff place orders)", body = Problem),
              (status = 422, description = "Invalid order", body = Problem)))]
async fn create_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<OrderInput>,
) -> Result<(StatusCode, Json<Order>)> {
    let ctx = principal.tenant(Action::OrdersCreate)?;
    let reason = req.reason.unwrap_or(OrderReason::New);
    match (reason, req.original_order_id) {
        (OrderReason::New, Some(_)) => {
            return Err(Error::invalid_field(
                "original_order_id",
                "only a remake, return or non-adapt has one",
            ));
        }
        (OrderReason::Remake | OrderReason::Return | OrderReason::NonAdapt, None) => {
            return Err(Error::invalid_field(
                "original_order_id",
                format!("a {reason} order must name the original order"),
            ));
        }
        _ => {}
    }
    let lens_index = (req.lens.index * 1000.0).round() as u16;
    if !req.lens.material.indices().contains(&lens_index) {
        let made: Vec<String> =
            req.lens.material.indices().iter().map(|i| format!("{}", f64::from(*i) / 1000.0)).collect();
        return Err(Error::invalid_field(
            "lens.index",
            format!(
                "{} is not made in index {} (made in {})",
                req.lens.material,
                req.lens.index,
                made.join(", ")
            ),
        ));
    }
    let coatings = req.lens.coatings.unwrap_or_default();
    if let Some(dup) = coatings.iter().enumerate().find(|(i, c)| coatings[..*i].contains(c)) {
        return Err(Error::invalid_field("lens.coatings", format!("{} is listed twice", dup.1)));
    }
    let tint = crate::input::optional_text("lens.tint", req.lens.tint.as_deref(), 60)?;
    let frame = crate::input::required_text("frame.description", &req.frame.description, 200)?;
    let boxing = (
        tenths_of_mm("frame.a_mm", req.frame.a_mm, 30.0..=80.0)?,
        tenths_of_mm("frame.b_mm", req.frame.b_mm, 15.0..=70.0)?,
        tenths_of_mm("frame.dbl_mm", req.frame.dbl_mm, 10.0..=30.0)?,
    );
    let m = req.measurements.unwrap_or_default();
    let pd_in = (prescriptions::routes::pd("measurements.pd_right_mm", m.pd_right_mm)?, {
        prescriptions::routes::pd("measurements.pd_left_mm", m.pd_left_mm)?
    });
    let heights = (
        tenths_of_mm("measurements.height_right_mm", m.height_right_mm, 8.0..=45.0)?,
        tenths_of_mm("measurements.height_left_mm", m.height_left_mm, 8.0..=45.0)?,
    );
    if req.lens.lens_type.is_multifocal() && (heights.0.is_none() || heights.1.is_none()) {
        return Err(Error::invalid_field(
            "measurements.height_right_mm",
            format!("{} lenses need fitting heights for both eyes", req.lens.lens_type),
        ));
    }
    let due_on = crate::clinical::parse_date("due_on", &req.due_on)?;
    let today = crate::clinical::today();
    if due_on < today {
        return Err(Error::invalid_field("due_on", "is in the past"));
    }
    let price = req.price.checked("price")?;
    let notes = crate::input::optional_text("notes", req.notes.as_deref(), 2_000)?.unwrap_or_default();

    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let patient = crate::clinical::patients::get_active(&mut tx, req.patient_id)
        .await
        .map_err(not_found_as_invalid("patient_id", "active patient"))?;
    let rx = prescriptions::get(&mut tx, req.prescription_id)
        .await
        .map_err(not_found_as_invalid("prescription_id", "prescription"))?;
    if rx.patient_id != req.patient_id {
        return Err(Error::invalid_field("prescription_id", "is another patient's prescription"));
    }
    if rx.kind != RxKind::Spectacles {
        return Err(Error::invalid_field(
            "prescription_id",
            "is a contact lens specification, not for spectacles",
        ));
    }
    let view = rx.view(crate::clinical::rx::CylinderForm::Minus, today);
    if reason == OrderReason::New && view.restricted_for_sale {
        return Err(Error::invalid_field(
            "prescription_id",
            "is out of date for a new order (over two years old, or past its expiry); record a current one",
        ));
    }
    if req.lens.lens_type.is_multifocal() && (rx.right.add().is_none() || rx.left.add().is_none()) {
        return Err(Error::invalid_field(
            "lens.type",
            format!(
                "{} lenses need a reading addition in the prescription for both eyes",
                req.lens.lens_type
            ),
        ));
    }
    let pd = match (pd_in.0.or(rx.pd.0), pd_in.1.or(rx.pd.1)) {
        (Some(r), Some(l)) => (r, l),
        _ => {
            return Err(Error::invalid_field(
                "measurements.pd_right_mm",
                "both monocular PDs are needed (neither given nor in the prescription)",
            ));
        }
    };
    let original = match req.original_order_id {
        None => None,
        Some(original) => {
            let original = store::get(&mut tx, original)
                .await
                .map_err(not_found_as_invalid("original_order_id", "order"))?;
            if original.patient_id != Some(req.patient_id) {
                return Err(Error::invalid_field("original_order_id", "is another patient's order"));
            }
            if !matches!(original.status, OrderStatus::Shipped | OrderStatus::Completed) {
                return Err(Error::invalid_field(
                    "original_order_id",
                    format!(
                        "is {}; only a shipped or completed job is remade, returned or replaced \
                         (a job still in the lab goes back to production instead)",
                        original.status
                    ),
                ));
            }
            Some(original)
        }
    };
    let account = lab_account(&mut tx, req.lab.as_deref(), original.as_ref()).await?;
    let new = NewOrder {
        patient_id: Some(req.patient_id),
        prescription_id: Some(req.prescription_id),
        patient_ref: None,
        routing: if account.is_some() { Routing::ToLab } else { Routing::InHouse },
        counterpart: None,
        reason,
        original_order_id: req.original_order_id,
        rx: StoredEyes::of(&rx.right, &rx.left),
        lens_type: req.lens.lens_type,
        material: req.lens.material,
        lens_index,
        coatings,
        tint,
        frame,
        boxing,
        pd,
        heights,
        due_on,
        priority: req.priority.unwrap_or(Priority::Normal),
        price,
        notes,
        created_by: ctx.user_id,
    };
    let id = OrderId::new();
    let number = store::next_number(&mut tx).await?;
    let counterpart = match account {
        None => None,
        Some(account) => {
            let ours = Counterpart {
                tenant_id: ctx.tenant_id,
                name: account.practice_name,
                order_id: id,
                number: number.clone(),
            };
            let lab_original = original.as_ref().and_then(|o| o.counterpart.as_ref()).map(|c| c.order_id);
            let copy = NewOrder {
                patient_id: None,
                prescription_id: None,
                patient_ref: Some(patient.customer_number.clone()),
                routing: Routing::FromPractice,
                counterpart: Some(ours),
                original_order_id: lab_original,
                ..new.clone()
            };
            Some(send_to_lab(&mut tx, account.lab_tenant_id, account.lab_name, &copy, &ctx).await?)
        }
    };
    let new = NewOrder { counterpart, ..new };
    store::insert(&mut tx, id, &number, &new, &ctx.audit).await?;
    let order = store::get(&mut tx, id).await?;
    record_created(&mut tx, &ctx, &order).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(order)))
}

/// Filters for order lists.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only jobs at this station.
    pub station: Option<Station>,
    /// Only this patient's orders.
    pub patient_id: Option<PatientId>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

impl OrderQuery {
    fn split(self) -> Result<(Filter, PageRequest)> {
        let page = PageRequest::parse(&PageQuery { cursor: self.cursor, limit: self.limit })?;
        Ok((Filter { status: self.status, station: self.station, patient_id: self.patient_id }, page))
    }
}

/// The tenant's orders, oldest first.
#[utoipa::path(get, path = "/orders", tag = "orders", security(("bearer" = [])), params(OrderQuery),
    responses((status = 200, description = "A page of orders", body = Page<Order>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid filter or cursor", body = Problem)))]
async fn list_orders(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<OrderQuery>,
) -> Result<Json<Page<Order>>> {
    let ctx = principal.tenant(Action::OrdersRead)?;
    let (filter, page) = query.split()?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let orders = store::list(&mut tx, &filter, &page).await?;
    tx.commit().await?;
    Ok(Json(orders))
}

/// The production queue: open jobs (pending, in production, in quality check, on hold), urgent
/// first, then by due date; overdue jobs are flagged.
#[utoipa::path(get, path = "/production/queue", tag = "orders", security(("bearer" = [])), params(OrderQuery),
    responses((status = 200, description = "A page of the queue", body = Page<Order>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid filter or cursor", body = Problem)))]
async fn production_queue(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<OrderQuery>,
) -> Result<Json<Page<Order>>> {
    let ctx = principal.tenant(Action::OrdersRead)?;
    let (filter, page) = query.split()?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let queue = store::queue(&mut tx, &filter, &page).await?;
    tx.commit().await?;
    Ok(Json(queue))
}

/// One order.
#[utoipa::path(get, path = "/orders/{order_id}", tag = "orders", security(("bearer" = [])),
    params(("order_id" = OrderId, Path, description = "The order")),
    responses((status = 200, description = "The order", body = Order),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such order in this tenant", body = Problem)))]
async fn get_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
) -> Result<Json<Order>> {
    let ctx = principal.tenant(Action::OrdersRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let order = store::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(order))
}

/// An order's timeline: every status and station change with who and when, oldest first.
#[utoipa::path(get, path = "/orders/{order_id}/timeline", tag = "orders", security(("bearer" = [])),
    params(("order_id" = OrderId, Path, description = "The order")),
    responses((status = 200, description = "The timeline", body = Vec<TimelineEntry>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such order in this tenant", body = Problem)))]
async fn order_timeline(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
) -> Result<Json<Vec<TimelineEntry>>> {
    let ctx = principal.tenant(Action::OrdersRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    store::get(&mut tx, id).await?;
    let entries = store::timeline(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(entries))
}

/// A move in an order's lifecycle.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// The status to move to.
    pub to: OrderStatus,
    /// Why (kept in the timeline).
    pub note: Option<String>,
    /// What a failed quality check found (required for `quality_check → in_production`).
    pub quality_issue: Option<String>,
    /// For a move into production: the station the job starts at (default `surfacing`).
    pub station: Option<Station>,
}

/// The side an API key acts on: a key is issued by a company admin and limited by its scopes.
fn acting_role(ctx: &TenantCtx) -> Role {
    ctx.role.unwrap_or(Role::CompanyAdmin)
}

/// Move an order in its lifecycle. Moves that do not exist answer 409; moves that exist but
/// belong to the other side (practice or lab) answer 403.
#[utoipa::path(post, path = "/orders/{order_id}/transitions", tag = "orders", security(("bearer" = [])),
    params(("order_id" = OrderId, Path, description = "The order")), request_body = TransitionInput,
    responses((status = 200, description = "Moved", body = Order),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not this role's move", body = Problem),
              (status = 404, description = "No such order in this tenant", body = Problem),
              (status = 409, description = "No such move from the order's status, or moved meanwhile", body = Problem),
              (status = 422, description = "Invalid input (a failed check must name its issue)", body = Problem)))]
async fn transition_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(req): ApiJson<TransitionInput>,
) -> Result<Json<Order>> {
    let ctx = principal.tenant(Action::OrdersTransition)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let order = transition(&mut tx, &ctx, id, req).await?;
    tx.commit().await?;
    Ok(Json(order))
}

/// Moves an order for `ctx` (a user, an API key or a plugin), with every check of the HTTP move,
/// in the caller's transaction.
pub(crate) async fn transition(
    tx: &mut crate::db::TenantTx,
    ctx: &TenantCtx,
    id: OrderId,
    req: TransitionInput,
) -> Result<Order> {
    let note = crate::input::optional_text("note", req.note.as_deref(), 2_000)?;
    let quality_issue = crate::input::optional_text("quality_issue", req.quality_issue.as_deref(), 2_000)?;
    let order = store::get(tx, id).await?;
    let from = order.status;
    from.transition(req.to, acting_role(ctx), order.held_from, quality_issue.as_deref()).map_err(
        |e| match e {
            TransitionError::Invalid { .. } => Error::conflict("invalid_transition", format!("{e}.")),
            TransitionError::NotForRole { .. } => Error::forbidden("not_your_transition", format!("{e}.")),
            TransitionError::QualityIssueRequired => Error::invalid_field("quality_issue", e.to_string()),
        },
    )?;
    if req.station.is_some() && req.to != OrderStatus::InProduction {
        return Err(Error::invalid_field("station", "is only given when a job goes into production"));
    }
    if quality_issue.is_some() && !(from == OrderStatus::QualityCheck && req.to == OrderStatus::InProduction)
    {
        return Err(Error::invalid_field("quality_issue", "is only given when a quality check fails"));
    }
    match (order.routing, from.side(req.to, order.held_from)) {
        (Routing::ToLab, Some(Side::Lab)) => {
            let lab = order.counterpart.as_ref().map_or("the lab", |c| c.name.as_str());
            return Err(Error::forbidden(
                "made_by_lab",
                format!(
                    "{lab} makes this job and moves it through production; the practice may hold or cancel \
                     it before production and confirm receipt."
                ),
            ));
        }
        (Routing::FromPractice, Some(Side::Practice)) => {
            let practice = order.counterpart.as_ref().map_or("the practice", |c| c.name.as_str());
            return Err(Error::forbidden(
                "practice_move",
                format!("{practice} sent this job; only the practice confirms receipt of it."),
            ));
        }
        _ => {}
    }
    let to_station = match req.to {
        OrderStatus::InProduction => req
            .station
            .or(if from == OrderStatus::OnHold { order.station } else { None })
            .or(Some(Station::Surfacing)),
        OrderStatus::QualityCheck => Some(Station::Inspection),
        OrderStatus::OnHold | OrderStatus::Pending => order.station,
        OrderStatus::Shipped | OrderStatus::Completed | OrderStatus::Cancelled => None,
    };
    let moved =
        Moved { to: req.to, to_station, quality_issue: quality_issue.as_deref(), note: note.as_deref() };
    // Both copies of a job sent to a lab change together, the lab's first (one lock order).
    if order.routing == Routing::ToLab {
        mirror(tx, &order, &moved, ctx).await?;
    }
    apply_and_record(tx, &order, &moved, ctx).await?;
    if order.routing == Routing::FromPractice {
        mirror(tx, &order, &moved, ctx).await?;
    }
    store::get(tx, id).await
}

/// Adds a note to an order's timeline without moving it (plugins annotate orders this way).
pub(crate) async fn annotate(
    tx: &mut crate::db::TenantTx,
    ctx: &TenantCtx,
    id: OrderId,
    note: &str,
) -> Result<()> {
    let note = crate::input::required_text("note", note, 2_000)?;
    let order = store::get(tx, id).await?;
    let change = Change {
        from: Some(order.status),
        to: order.status,
        from_station: order.station,
        to_station: order.station,
    };
    store::apply(tx, id, &change, order.held_from, None, Some(&note), &ctx.audit).await
}

/// A change to make to an order: a status move, or (same status) a station move.
struct Moved<'a> {
    to: OrderStatus,
    to_station: Option<Station>,
    quality_issue: Option<&'a str>,
    note: Option<&'a str>,
}

/// Applies `moved` to `order` in the transaction's tenant, with its timeline row, audit row and
/// event.
async fn apply_and_record(
    tx: &mut crate::db::TenantTx,
    order: &Order,
    moved: &Moved<'_>,
    ctx: &TenantCtx,
) -> Result<()> {
    let change = Change {
        from: Some(order.status),
        to: moved.to,
        from_station: order.station,
        to_station: moved.to_station,
    };
    let held_from = (moved.to == OrderStatus::OnHold).then_some(order.status);
    store::apply(tx, order.id, &change, held_from, moved.quality_issue, moved.note, &ctx.audit).await?;
    if order.status == moved.to {
        let Some(to) = moved.to_station else { return Ok(()) };
        let event = Event::new("order.station_changed", "order", order.id)
            .changes(serde_json::json!({ "from": order.station, "to": to, "note": moved.note }));
        audit::record(tx, &ctx.audit, event).await?;
        let changed = catalog::OrderStationChanged {
            order_id: order.id,
            number: order.number.clone(),
            from: order.station,
            to,
        };
        events::emit(tx, &changed).await?;
    } else {
        let event = Event::new("order.transitioned", "order", order.id).changes(serde_json::json!({
            "from": order.status, "to": moved.to, "note": moved.note, "quality_issue": moved.quality_issue,
        }));
        audit::record(tx, &ctx.audit, event).await?;
        let changed = catalog::OrderStatusChanged {
            order_id: order.id,
            number: order.number.clone(),
            from: order.status,
            to: moved.to,
            quality_issue: moved.quality_issue.map(str::to_owned),
            note: moved.note.map(str::to_owned),
        };
        events::emit(tx, &changed).await?;
    }
    Ok(())
}

/// Applies `moved` to the other tenant's copy of `order` too, in the same transaction.
async fn mirror(
    tx: &mut crate::db::TenantTx,
    order: &Order,
    moved: &Moved<'_>,
    ctx: &TenantCtx,
) -> Result<()> {
    let Some(other) = &order.counterpart else { return Ok(()) };
    let home = tx.act_for(other.tenant_id).await?;
    let theirs = store::get(tx, other.order_id).await?;
    if (theirs.status, theirs.station) != (order.status, order.station) {
        return Err(Error::conflict(
            "moved_meanwhile",
            "The other copy of this job moved meanwhile; reload it and try again.",
        ));
    }
    apply_and_record(tx, &theirs, moved, ctx).await?;
    tx.act_for(home).await?;
    Ok(())
}

/// A move between stations.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StationInput {
    /// The station the job moves to.
    pub station: Station,
    /// Why (kept in the timeline).
    pub note: Option<String>,
}

/// Move a job in production to another station (lab staff).
#[utoipa::path(post, path = "/orders/{order_id}/station", tag = "orders", security(("bearer" = [])),
    params(("order_id" = OrderId, Path, description = "The order")), request_body = StationInput,
    responses((status = 200, description = "Moved", body = Order),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed (lab staff move jobs between stations)", body = Problem),
              (status = 404, description = "No such order in this tenant", body = Problem),
              (status = 409, description = "Not in production, already there, or moved meanwhile", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
async fn move_station(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(req): ApiJson<StationInput>,
) -> Result<Json<Order>> {
    let ctx = principal.tenant(Action::OrdersTransition)?;
    let note = crate::input::optional_text("note", req.note.as_deref(), 2_000)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let order = store::get(&mut tx, id).await?;
    if order.routing == Routing::ToLab {
        let lab = order.counterpart.as_ref().map_or("the lab", |c| c.name.as_str());
        return Err(Error::forbidden(
            "made_by_lab",
            format!("{lab} makes this job and moves it between its stations."),
        ));
    }
    let role = acting_role(&ctx);
    if matches!(role, Role::Ecp | Role::Dispenser | Role::Supplier) {
        return Err(Error::forbidden(
            "not_your_transition",
            format!("The {role} role may not move jobs between stations; the lab does."),
        ));
    }
    if order.status != OrderStatus::InProduction {
        return Err(Error::conflict(
            "not_in_production",
            format!("The job is {}; only a job in production moves between stations.", order.status),
        ));
    }
    if order.station == Some(req.station) {
        return Err(Error::conflict("already_there", format!("The job is already at {}.", req.station)));
    }
    let moved =
        Moved { to: order.status, to_station: Some(req.station), quality_issue: None, note: note.as_deref() };
    apply_and_record(&mut tx, &order, &moved, &ctx).await?;
    mirror(&mut tx, &order, &moved, &ctx).await?;
    let order = store::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(order))
}
