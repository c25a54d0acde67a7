//! Lab orders over HTTP: place, read, move through the lifecycle, move between stations, the
//! timeline, the production queue, and a job ticket to print.

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
use ils_kernel::error::Result;
use ils_kernel::permissions::Action;
use ils_orders as orders;
use ils_orders::shapes::Shape;
use ils_orders::status::OrderStatus;
use ils_orders::store::{self, Filter};
use ils_orders::{
    Centration, Coating, FrameOrder, LensOrder, LensType, Material, Money, Order, OrderReason, PlaceOrder,
    Priority, Station, StationMove, TimelineEntry, Transition,
};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{ItemId, OrderId, PatientId, PrescriptionId};
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_order, list_orders))
        .routes(routes!(get_order))
        .routes(routes!(transition_order))
        .routes(routes!(move_station))
        .routes(routes!(attach_shapes))
        .routes(routes!(order_timeline))
        .routes(routes!(print_ticket))
        .routes(routes!(production_queue))
}

/// The lenses as ordered.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LensInput {
    /// The lens design; a multifocal one needs fitting heights and a reading addition in the prescription for
    /// both eyes.
    #[serde(rename = "type")]
    pub lens_type: LensType,
    /// The lens material; it decides which `index` values are accepted.
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
    /// Brand, model, colour and size (1–200 characters); may be left out with `item_id`, when it
    /// is the stocked frame's name and SKU.
    #[serde(default)]
    pub description: String,
    /// Boxed lens width (A), 30–80 mm, to 0.01 mm (as traced: `51.37`).
    pub a_mm: Option<f64>,
    /// Boxed lens height (B), 15–70 mm, to 0.01 mm.
    pub b_mm: Option<f64>,
    /// Distance between lenses (DBL), 10–30 mm, to 0.01 mm.
    pub dbl_mm: Option<f64>,
    /// The frame from the practice's stock: an item of its catalogue (`GET /items`). A and DBL
    /// left out are taken from the item's recorded frame size, a blank description from its name.
    #[serde(default)]
    pub item_id: Option<ItemId>,
    /// The frame's traced shapes, when it was traced before ordering: one for both eyes, or one
    /// for each (a tracer can also attach them later: `PUT /orders/{order_id}/shapes`).
    #[serde(default)]
    pub shapes: Vec<Shape>,
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
    /// The patient the job is for: an active (not deleted) patient of the practice.
    pub patient_id: PatientId,
    /// The patient's spectacle prescription to make the job to.
    pub prescription_id: PrescriptionId,
    /// `new` (default), `remake`, `return` or `non_adapt`.
    pub reason: Option<OrderReason>,
    /// For a remake, return or non-adapt: the original order (shipped or completed).
    pub original_order_id: Option<OrderId>,
    /// The lenses, the same design, material and index for both eyes.
    pub lens: LensInput,
    /// The frame: its description and boxed size where known.
    pub frame: FrameInput,
    /// Centration measurements; PDs left out come from the prescription.
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

/// Place a lab order (practice staff). The order copies the prescription's values.
#[utoipa::path(post, path = "/orders", tag = "orders", security(("bearer" = [])), request_body = OrderInput,
    responses((status = 201, description = "Placed, pending", body = Order),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed (practice staff place orders)", body = Problem),
              (status = 422, description = "Invalid order", body = Problem)))]
pub(crate) async fn create_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<OrderInput>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    let ctx = principal.tenant(Action::OrdersCreate)?;
    let measurements = req.measurements.unwrap_or_default();
    let order = PlaceOrder {
        lab: req.lab,
        patient_id: req.patient_id,
        prescription_id: req.prescription_id,
        reason: req.reason.unwrap_or(OrderReason::New),
        original_order_id: req.original_order_id,
        lens: LensOrder {
            lens_type: req.lens.lens_type,
            material: req.lens.material,
            index: req.lens.index,
            coatings: req.lens.coatings.unwrap_or_default(),
            tint: req.lens.tint,
        },
        frame: FrameOrder {
            description: req.frame.description,
            a_mm: req.frame.a_mm,
            b_mm: req.frame.b_mm,
            dbl_mm: req.frame.dbl_mm,
            item_id: req.frame.item_id,
            shapes: req.frame.shapes,
        },
        measurements: Centration {
            pd_right_mm: measurements.pd_right_mm,
            pd_left_mm: measurements.pd_left_mm,
            height_right_mm: measurements.height_right_mm,
            height_left_mm: measurements.height_left_mm,
        },
        due_on: req.due_on,
        priority: req.priority.unwrap_or(Priority::Normal),
        price: req.price,
        notes: req.notes,
    };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let order = orders::place(&mut uow, order).await?;
    uow.commit().await?;
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
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
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
pub(crate) async fn list_orders(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<OrderQuery>,
) -> ApiResult<Json<Page<Order>>> {
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
pub(crate) async fn production_queue(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<OrderQuery>,
) -> ApiResult<Json<Page<Order>>> {
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
pub(crate) async fn get_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Order>> {
    let ctx = principal.tenant(Action::OrdersRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let order = store::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(order))
}

/// Make the order's job ticket: a PDF with the job number as a Code 128 barcode, the
/// prescription, lenses, frame and centration, and the due date, kept in the tenant's files
/// (download it at `GET /files/{id}`). Each call makes one as the job stands.
#[utoipa::path(post, path = "/orders/{order_id}/ticket", tag = "orders", security(("bearer" = [])),
    params(("order_id" = OrderId, Path, description = "The order")),
    responses((status = 201, description = "The ticket, stored", body = ils_files::StoredFile),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such order in this tenant", body = Problem)))]
pub(crate) async fn print_ticket(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<(StatusCode, Json<ils_files::StoredFile>)> {
    use crate::documents::job_ticket::JobTicket;
    let ctx = principal.tenant(Action::OrdersRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let ticket = JobTicket::gather(&mut tx, id).await?;
    tx.commit().await?;
    let pdf = ticket.pdf(ils_storage::types::Timestamp::now())?;
    let file = ils_files::NewFile {
        name: ils_files::FileName::parse(&ticket.file_name())?,
        content_type: ils_files::MediaType::parse("application/pdf")?,
        plugin_id: None,
        body: pdf.into(),
    };
    let stored = state.files.put(ctx.tenant_id, &ctx.audit, file).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// An order's timeline: every status and station change with who and when, oldest first.
#[utoipa::path(get, path = "/orders/{order_id}/timeline", tag = "orders", security(("bearer" = [])),
    params(("order_id" = OrderId, Path, description = "The order")),
    responses((status = 200, description = "The timeline", body = Vec<TimelineEntry>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such order in this tenant", body = Problem)))]
pub(crate) async fn order_timeline(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Vec<TimelineEntry>>> {
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
pub(crate) async fn transition_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(req): ApiJson<TransitionInput>,
) -> ApiResult<Json<Order>> {
    let ctx = principal.tenant(Action::OrdersTransition)?;
    let req =
        Transition { to: req.to, note: req.note, quality_issue: req.quality_issue, station: req.station };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let order = orders::transition(&mut uow, id, req).await?;
    uow.commit().await?;
    Ok(Json(order))
}

/// A frame's trace: its shapes and the box measured with them.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShapesInput {
    /// One shape for both eyes, or one for each eye.
    pub shapes: Vec<Shape>,
    /// The tracer, as the practice or lab names it (up to 100 characters).
    pub device: Option<String>,
    /// Boxed lens width (A) as traced, 30–80 mm to 0.01 mm; replaces the order's.
    pub a_mm: Option<f64>,
    /// Boxed lens height (B) as traced, 15–70 mm to 0.01 mm.
    pub b_mm: Option<f64>,
    /// Distance between lenses (DBL) as traced, 10–30 mm to 0.01 mm.
    pub dbl_mm: Option<f64>,
}

/// Attach a frame's traced shapes (and the box measured with them) to an order before its lenses
/// are edged — pending or in production — replacing any before. A practice's order sent to a lab
/// gives the lab's copy the same shapes.
#[utoipa::path(put, path = "/orders/{order_id}/shapes", tag = "orders", security(("bearer" = [])),
    params(("order_id" = OrderId, Path, description = "The order")), request_body = ShapesInput,
    responses((status = 200, description = "The order with its shapes", body = Order),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed (staff who work on jobs attach shapes)", body = Problem),
              (status = 404, description = "No such order in this tenant", body = Problem),
              (status = 409, description = "The order is past production (`order_made`)", body = Problem),
              (status = 422, description = "Invalid shapes or box", body = Problem)))]
pub(crate) async fn attach_shapes(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(req): ApiJson<ShapesInput>,
) -> ApiResult<Json<Order>> {
    let ctx = principal.tenant(Action::OrdersTransition)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let cmd = orders::AttachShapes {
        order_id: id,
        shapes: req.shapes,
        device: req.device,
        a_mm: req.a_mm,
        b_mm: req.b_mm,
        dbl_mm: req.dbl_mm,
    };
    let order = orders::attach_shapes(&mut uow, cmd).await?;
    uow.commit().await?;
    Ok(Json(order))
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
pub(crate) async fn move_station(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(req): ApiJson<StationInput>,
) -> ApiResult<Json<Order>> {
    let ctx = principal.tenant(Action::OrdersTransition)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let order =
        orders::move_station(&mut uow, id, StationMove { station: req.station, note: req.note }).await?;
    uow.commit().await?;
    Ok(Json(order))
}
