//! Orders: the practice's list, the order form (lab, lens, frame, measurements) with every field
//! error inline and, when a recommender gives the viewer the `lens` kind, a lens suggestion beside
//! the lens choice ([`lens`]); an order's page with its timeline and the moves the viewer's side
//! may make (live: it refreshes when the other side moves the job), and the lab's production board.

mod lens;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::{Csrf, CsrfForm};
use super::page::{Chrome, FieldErrors, PageResult, render};
use super::page::{given, refused};
use super::recommendations;
use super::session::Viewer;
use crate::http::clinical::patients::get_patient;
use crate::http::clinical::prescriptions::{FormQuery, list_prescriptions};
use crate::http::devices::{job_packet, queue_job};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::orders::{
    FrameInput, LensInput, MeasurementsInput, OrderInput, OrderQuery, StationInput, TransitionInput,
    create_order, get_order, move_station, order_timeline, print_ticket, production_queue, transition_order,
};
use crate::state::AppState;
use ils_clinical::patients::Patient;
use ils_clinical::prescriptions::PrescriptionView;
use ils_clinical::rx::CylinderForm;
use ils_kernel::error::Error;
use ils_kernel::page::{PageQuery, PageRequest};
use ils_kernel::permissions::Action;
use ils_orders::accounts::LabAccount;
use ils_orders::status::{OrderStatus, Side};
use ils_orders::{
    Coating, LensType, Material, Money, Order, OrderReason, Priority, Routing, Station, TimelineEntry,
};
use ils_plugin_host::recommend::Enabled;
use ils_storage::ids::{OrderId, PatientId};

#[derive(Template)]
#[template(path = "console/orders.html")]
struct List {
    chrome: Chrome,
    status: Option<OrderStatus>,
    orders: Vec<Order>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    status: Option<OrderStatus>,
}

/// `GET /orders`: the tenant's newest orders, optionally in one status.
pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let ctx = viewer.tenant(Action::OrdersRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let orders = ils_orders::store::newest(&mut tx, query.status, 100).await?;
    tx.commit().await?;
    Ok(render(&List { chrome: viewer.chrome.at("/orders"), status: query.status, orders }))
}

/// The order form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OrderForm {
    #[serde(default)]
    patient_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    original_order_id: String,
    #[serde(default)]
    prescription_id: String,
    #[serde(default)]
    lab: String,
    #[serde(default, rename = "lens.type")]
    lens_type: String,
    #[serde(default, rename = "lens.material")]
    material: String,
    #[serde(default, rename = "lens.index")]
    index: String,
    #[serde(default, rename = "lens.coatings")]
    coatings: Vec<String>,
    #[serde(default, rename = "lens.tint")]
    tint: String,
    #[serde(default, rename = "frame.item_id")]
    frame_item: String,
    #[serde(default, rename = "frame.description")]
    frame: String,
    #[serde(default, rename = "frame.a_mm")]
    a_mm: String,
    #[serde(default, rename = "frame.b_mm")]
    b_mm: String,
    #[serde(default, rename = "frame.dbl_mm")]
    dbl_mm: String,
    #[serde(default, rename = "measurements.pd_right_mm")]
    pd_right_mm: String,
    #[serde(default, rename = "measurements.pd_left_mm")]
    pd_left_mm: String,
    #[serde(default, rename = "measurements.height_right_mm")]
    height_right_mm: String,
    #[serde(default, rename = "measurements.height_left_mm")]
    height_left_mm: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    notes: String,
    /// The lens suggestion whose "Use this" was pressed ([`lens::LensChoice::token`]).
    #[serde(default)]
    suggestion: String,
}

fn number(field: &str, value: &str, what: &str) -> Result<Option<f64>, Error> {
    given(value)
        .map(|v| v.parse::<f64>().map_err(|_| Error::invalid_field(field, format!("must be {what}"))))
        .transpose()
}

fn choice<T: Copy>(
    field: &str,
    value: &str,
    all: &[T],
    name: impl Fn(&T) -> &'static str,
) -> Result<T, Error> {
    all.iter()
        .find(|v| name(v) == value)
        .copied()
        .ok_or_else(|| Error::invalid_field(field, "choose one of the options"))
}

/// Pounds and pence as typed (`129.50`) in minor units.
fn pence(value: &str) -> Result<i64, Error> {
    let invalid = || Error::invalid_field("price", "must be an amount in pounds, e.g. 129.50");
    let value = value.trim().trim_start_matches('£');
    let (pounds, pennies) = value.split_once('.').unwrap_or((value, "0"));
    if pounds.is_empty()
        || pennies.len() > 2
        || !pounds.bytes().chain(pennies.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    let pennies = if pennies.len() == 1 { format!("{pennies}0") } else { pennies.to_owned() };
    let pounds: i64 = pounds.parse().map_err(|_| invalid())?;
    let pennies: i64 = pennies.parse().map_err(|_| invalid())?;
    pounds.checked_mul(100).and_then(|p| p.checked_add(pennies)).ok_or_else(invalid)
}

fn parse_id<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, Error> {
    value.trim().parse().map_err(|_| Error::invalid_field(field, "choose one of the options"))
}

impl OrderForm {
    fn input(&self) -> Result<OrderInput, Error> {
        let coatings = self
            .coatings
            .iter()
            .map(|c| choice("lens.coatings", c, Coating::ALL, Coating::as_str))
            .collect::<Result<Vec<_>, _>>()?;
        let priority = given(&self.priority)
            .map(|p| choice("priority", &p, Priority::ALL, Priority::as_str))
            .transpose()?;
        let mm = "a number of millimetres";
        Ok(OrderInput {
            lab: given(&self.lab),
            patient_id: parse_id("patient_id", &self.patient_id)?,
            prescription_id: parse_id("prescription_id", &self.prescription_id)?,
            reason: given(&self.reason)
                .map(|r| choice("reason", &r, OrderReason::ALL, OrderReason::as_str))
                .transpose()?,
            original_order_id: given(&self.original_order_id)
                .map(|id| parse_id("original_order_id", &id))
                .transpose()?,
            lens: LensInput {
                lens_type: choice("lens.type", &self.lens_type, LensType::ALL, LensType::as_str)?,
                material: choice("lens.material", &self.material, Material::ALL, Material::as_str)?,
                index: number("lens.index", &self.index, "a refractive index, e.g. 1.67")?
                    .ok_or_else(|| Error::invalid_field("lens.index", "choose the refractive index"))?,
                coatings: Some(coatings),
                tint: given(&self.tint),
            },
            frame: FrameInput {
                description: self.frame.trim().to_owned(),
                a_mm: number("frame.a_mm", &self.a_mm, mm)?,
                b_mm: number("frame.b_mm", &self.b_mm, mm)?,
                dbl_mm: number("frame.dbl_mm", &self.dbl_mm, mm)?,
                item_id: match given(&self.frame_item) {
                    Some(id) => Some(id.parse().map_err(|_| {
                        Error::invalid_field("frame.item_id", "choose a frame from the list")
                    })?),
                    None => None,
                },
                shapes: Vec::new(),
            },
            measurements: Some(MeasurementsInput {
                pd_right_mm: number("measurements.pd_right_mm", &self.pd_right_mm, mm)?,
                pd_left_mm: number("measurements.pd_left_mm", &self.pd_left_mm, mm)?,
                height_right_mm: number("measurements.height_right_mm", &self.height_right_mm, mm)?,
                height_left_mm: number("measurements.height_left_mm", &self.height_left_mm, mm)?,
            }),
            due_on: self.due_on.trim().to_owned(),
            priority,
            price: Money { amount_minor: pence(&self.price)?, currency: "GBP".to_owned() },
            notes: given(&self.notes),
        })
    }

    /// The form for a remake of `order`: its lenses, frame and measurements, and the reason.
    fn remaking(order: &Order, blank: OrderForm) -> OrderForm {
        let mm = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        OrderForm {
            reason: OrderReason::Remake.as_str().to_owned(),
            original_order_id: order.id.to_string(),
            prescription_id: order.prescription_id.map(|p| p.to_string()).unwrap_or_default(),
            lens_type: order.lens.lens_type.as_str().to_owned(),
            material: order.lens.material.as_str().to_owned(),
            index: order.lens.index.to_string(),
            coatings: order.lens.coatings.iter().map(|c| c.as_str().to_owned()).collect(),
            tint: order.lens.tint.clone().unwrap_or_default(),
            frame_item: order.frame.item_id.map(|i| i.to_string()).unwrap_or_default(),
            frame: order.frame.description.clone(),
            a_mm: mm(order.frame.a_mm),
            b_mm: mm(order.frame.b_mm),
            dbl_mm: mm(order.frame.dbl_mm),
            pd_right_mm: order.measurements.pd_right_mm.to_string(),
            pd_left_mm: order.measurements.pd_left_mm.to_string(),
            height_right_mm: mm(order.measurements.height_right_mm),
            height_left_mm: mm(order.measurements.height_left_mm),
            priority: order.priority.as_str().to_owned(),
            ..blank
        }
    }

    fn has_coating(&self, coating: &Coating) -> bool {
        self.coatings.iter().any(|c| c == coating.as_str())
    }
}

#[derive(Template)]
#[template(path = "console/order_new.html")]
struct NewOrder {
    chrome: Chrome,
    patient: Patient,
    prescriptions: Vec<PrescriptionView>,
    labs: Vec<LabAccount>,
    form: OrderForm,
    errors: FieldErrors,
    /// The lens suggestion beside the lens choice.
    lens: lens::Panel,
    /// The suggestion just used, by its title.
    used: Option<String>,
    /// The viewer's recommenders, read once for the page.
    enabled: Option<Enabled>,
    /// The frames in the practice's stock (items with a frame size), for the frame's picker.
    frames: Vec<ils_stock::items::Item>,
}

impl NewOrder {
    fn lens_types(&self) -> &'static [LensType] {
        LensType::ALL
    }
    fn materials(&self) -> &'static [Material] {
        Material::ALL
    }
    fn coatings(&self) -> &'static [Coating] {
        Coating::ALL
    }
    fn priorities(&self) -> &'static [Priority] {
        Priority::ALL
    }
    fn reasons(&self) -> &'static [OrderReason] {
        OrderReason::ALL
    }
    /// A stocked frame as the picker lists it: `Clubmaster 51 (RB-5154-51), 51□21`.
    fn frame_choice(&self, item: &ils_stock::items::Item) -> String {
        match item.frame {
            Some(f) => format!("{} ({}), {}□{}", item.name, item.sku, f.a_mm, f.dbl_mm),
            None => format!("{} ({})", item.name, item.sku),
        }
    }
    /// Whether the form's lens is the one `shown` suggests.
    fn in_use(&self, shown: &lens::Shown) -> bool {
        shown.choice.is_some_and(|c| c.is_in(&self.form))
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewQuery {
    patient: Option<PatientId>,
    /// A remake, return or non-adapt of this order.
    original: Option<OrderId>,
}

async fn order_page(
    state: &AppState,
    viewer: &Viewer,
    patient_id: PatientId,
    form: OrderForm,
    errors: FieldErrors,
) -> Result<NewOrder, super::ConsoleError> {
    let principal = viewer.principal.clone();
    let patient = get_patient(State(state.clone()), principal.clone(), ApiPath(patient_id)).await?.0;
    let minus = FormQuery { cylinder_form: Some(CylinderForm::Minus) };
    let prescriptions =
        list_prescriptions(State(state.clone()), principal, ApiPath(patient_id), ApiQuery(minus)).await?.0;
    let ctx = viewer.tenant(Action::OrdersRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: None, limit: Some(200) })?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let labs = ils_orders::accounts::list(&mut tx, ils_orders::accounts::Side::Practice, &page).await?.items;
    let frames =
        if viewer.principal.may(Action::StockRead) { stocked_frames(&mut tx).await? } else { Vec::new() };
    tx.commit().await?;
    // The form works without its suggestion: a failure to read the recommenders only hides it.
    let enabled = recommendations::enabled(state, viewer)
        .await
        .inspect_err(|error| tracing::warn!(%error, "the recommenders could not be read for the order form"))
        .ok();
    Ok(NewOrder {
        chrome: viewer.chrome.at("/orders"),
        patient,
        prescriptions,
        labs,
        form,
        errors,
        lens: lens::offered(enabled.as_ref()),
        used: None,
        enabled,
        frames,
    })
}

/// The frames of the tenant's catalogue: items with a frame size, up to a thousand.
async fn stocked_frames(tx: &mut ils_storage::TenantTx) -> Result<Vec<ils_stock::items::Item>, Error> {
    let mut frames = Vec::new();
    let mut cursor = None;
    for _ in 0..5 {
        let page = PageRequest::parse(&PageQuery { cursor, limit: Some(200) })?;
        let items = ils_stock::items::search(tx, &ils_stock::items::ItemSearch::default(), &page).await?;
        frames.extend(items.items.into_iter().filter(|i| i.frame.is_some()));
        match items.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(frames)
}

/// `GET /orders/new?patient=`: the order form for one of the patient's prescriptions.
pub(crate) async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<NewQuery>,
) -> PageResult {
    let Some(patient_id) = query.patient else {
        return Ok(Redirect::to("/patients").into_response());
    };
    let mut form = OrderForm {
        patient_id: patient_id.to_string(),
        lens_type: LensType::SingleVision.as_str().to_owned(),
        material: Material::Plastic.as_str().to_owned(),
        index: "1.5".to_owned(),
        priority: Priority::Normal.as_str().to_owned(),
        due_on: ils_clinical::today().saturating_add(jiff::Span::new().days(10)).to_string(),
        ..OrderForm::default()
    };
    if let Some(original) = query.original {
        // A remake, return or non-adapt starts as a copy of the original job.
        let order = get_order(State(state.clone()), viewer.principal.clone(), ApiPath(original)).await?.0;
        form = OrderForm::remaking(&order, form);
    }
    Ok(render(&order_page(&state, &viewer, patient_id, form, FieldErrors::default()).await?))
}

/// `POST /orders`: places the order and shows it; errors go back to the form, field by field.
pub(crate) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<OrderForm>,
) -> PageResult {
    let outcome = match form.input() {
        Ok(input) => {
            create_order(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await.map(|o| o.1.0)
        }
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok(order) => Ok(Redirect::to(&format!("/orders/{}", order.id)).into_response()),
        Err(error) => {
            let patient_id: PatientId =
                form.patient_id.trim().parse().map_err(|_| Error::NotFound("patient"))?;
            let page = order_page(&state, &viewer, patient_id, form, FieldErrors::default()).await?;
            refused(error, |errors| NewOrder { errors, ..page })
        }
    }
}

/// `POST /orders/new/lens`: the order form again, exactly as typed, with lens suggestions for its
/// prescription and frame beside the lens choice; when a suggestion's "Use this" was pressed, its
/// design, material and index filled in first. Nothing is placed.
pub(crate) async fn suggest_lens(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(mut form): CsrfForm<OrderForm>,
) -> PageResult {
    let patient_id: PatientId = form.patient_id.trim().parse().map_err(|_| Error::NotFound("patient"))?;
    let choice = lens::LensChoice::parse(&form.suggestion);
    if let Some(choice) = choice {
        choice.fill(&mut form);
    }
    let mut page = order_page(&state, &viewer, patient_id, form, FieldErrors::default()).await?;
    if let Some(enabled) = &page.enabled {
        page.lens = lens::suggest(&state, &viewer, enabled, &page.form, &page.patient).await;
    }
    page.used = choice.and_then(|c| {
        let shown = page.lens.shown()?.iter().find(|s| s.choice == Some(c))?;
        Some(shown.title.clone())
    });
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "console/order.html")]
struct Show {
    chrome: Chrome,
    order: Order,
    timeline: Vec<TimelineEntry>,
    moves: Vec<OrderStatus>,
    /// Whether this side makes the job (station moves, device packets).
    making: bool,
    /// Whether this side ordered it (remakes).
    ordering: bool,
    drivers: Vec<super::examinations::Driver>,
    /// The devices on site a job can go to through the bridge.
    devices: Vec<crate::http::bridge::DeviceView>,
    /// The device the job was just sent to.
    sent_to: Option<String>,
    errors: FieldErrors,
    /// Files attached to the order, newest first.
    attachments: Vec<ils_files::attachments::Attachment>,
    /// Whether the viewer may attach files.
    can_attach: bool,
    /// Why the last upload was refused.
    attachment_error: Option<String>,
}

impl Show {
    fn attachments_target(&self) -> String {
        format!("/orders/{}/attachments", self.order.id)
    }

    fn stations(&self) -> &'static [Station] {
        Station::ALL
    }

    /// The frame's box as the lab reads it: `A 51.37 × B 40.06 mm, DBL 18.25 mm`.
    fn boxed(&self) -> Option<String> {
        let f = &self.order.frame;
        let mut parts = Vec::new();
        if let (Some(a), Some(b)) = (f.a_mm, f.b_mm) {
            parts.push(format!("A {a:.2} × B {b:.2} mm"));
        } else if let Some(a) = f.a_mm {
            parts.push(format!("A {a:.2} mm"));
        }
        if let Some(dbl) = f.dbl_mm {
            parts.push(format!("DBL {dbl:.2} mm"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// A shape's outline as SVG polygon points, mm, y up (the SVG's y runs down).
    fn outline(&self, shape: &ils_orders::shapes::TracedShape) -> String {
        let points = ils_optics::outline_points(&shape.radii, shape.angles.as_deref());
        points.iter().map(|(x, y)| format!("{x:.2},{:.2}", -y)).collect::<Vec<_>>().join(" ")
    }
}

/// The moves the viewer's side of this copy of the order may offer.
fn moves_for(order: &Order) -> Vec<OrderStatus> {
    let ours = |side: Side| match order.routing {
        Routing::InHouse => true,
        Routing::ToLab => matches!(side, Side::Practice | Side::Both),
        Routing::FromPractice => matches!(side, Side::Lab | Side::Both),
    };
    OrderStatus::ALL
        .iter()
        .copied()
        .filter(|to| order.status.side(*to, order.held_from).is_some_and(ours))
        .collect()
}

async fn show_page(
    state: &AppState,
    viewer: &Viewer,
    id: OrderId,
    errors: FieldErrors,
) -> Result<Show, super::ConsoleError> {
    let order = get_order(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await?.0;
    let timeline = order_timeline(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await?.0;
    let moves = moves_for(&order);
    let here = if viewer.chrome.is_practice() { "/orders" } else { "/production" };
    let making = matches!(order.routing, Routing::InHouse | Routing::FromPractice);
    let ordering = matches!(order.routing, Routing::InHouse | Routing::ToLab);
    let drivers = if making {
        super::examinations::drivers(state, viewer, "equipment-driver").await?
    } else {
        Vec::new()
    };
    let attachments = crate::http::attachments::order_attachments(
        State(state.clone()),
        viewer.principal.clone(),
        ApiPath(id),
    )
    .await?
    .0;
    let can_attach = viewer.principal.may(Action::OrdersCreate);
    let devices = if making && !drivers.is_empty() {
        crate::http::bridge::list_devices(State(state.clone()), viewer.principal.clone()).await?.0
    } else {
        Vec::new()
    };
    Ok(Show {
        chrome: viewer.chrome.at(here),
        order,
        timeline,
        moves,
        making,
        ordering,
        drivers,
        devices,
        sent_to: None,
        errors,
        attachments,
        can_attach,
        attachment_error: None,
    })
}

/// The order's page with why an upload was refused (answered 422).
pub(crate) async fn show_with(
    state: &AppState,
    viewer: &Viewer,
    id: OrderId,
    attachment_error: Option<String>,
) -> PageResult {
    let page = show_page(state, viewer, id, FieldErrors::default()).await?;
    let page = Show { attachment_error, ..page };
    Ok(super::page::render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// `GET /orders/{id}`: the order, its timeline and its next moves.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<OrderId>,
) -> PageResult {
    Ok(render(&show_page(&state, &viewer, id, FieldErrors::default()).await?))
}

/// A move as submitted from the order's page.
#[derive(Debug, Deserialize)]
pub(crate) struct MoveForm {
    to: OrderStatus,
    #[serde(default)]
    note: String,
    #[serde(default)]
    quality_issue: String,
}

/// `POST /orders/{id}/transitions`: makes the move and shows the order again.
pub(crate) async fn transition(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<OrderId>,
    CsrfForm(form): CsrfForm<MoveForm>,
) -> PageResult {
    let input = TransitionInput {
        to: form.to,
        note: given(&form.note),
        quality_issue: given(&form.quality_issue),
        station: None,
    };
    match transition_order(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(input)).await
    {
        Ok(_) => Ok(Redirect::to(&format!("/orders/{id}")).into_response()),
        Err(error) => {
            let page = show_page(&state, &viewer, id, FieldErrors::default()).await?;
            refused(error, |errors| Show { errors, ..page })
        }
    }
}

/// A station move as submitted from the job's page.
#[derive(Debug, Deserialize)]
pub(crate) struct StationForm {
    station: Station,
    #[serde(default)]
    note: String,
}

/// `POST /orders/{id}/station`: moves a job in production to another station.
pub(crate) async fn station(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<OrderId>,
    CsrfForm(form): CsrfForm<StationForm>,
) -> PageResult {
    let input = StationInput { station: form.station, note: given(&form.note) };
    match move_station(State(state.clone()), viewer.principal.clone(), ApiPath(id), ApiJson(input)).await {
        Ok(_) => Ok(Redirect::to(&format!("/orders/{id}")).into_response()),
        Err(error) => {
            let page = show_page(&state, &viewer, id, FieldErrors::default()).await?;
            refused(error, |errors| Show { errors, ..page })
        }
    }
}

/// The device to make a job packet for.
#[derive(Debug, Deserialize)]
pub(crate) struct PacketForm {
    plugin: String,
    #[serde(default)]
    device: String,
}

/// `POST /orders/{id}/device-packet`: the driver encodes the job (a DCS job packet for the
/// dcs-driver) and the browser downloads it; the API audits it as `order.sent_to_device`.
pub(crate) async fn device_packet(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<OrderId>,
    CsrfForm(form): CsrfForm<PacketForm>,
) -> PageResult {
    match job_packet(&state, &viewer.principal, id, form.plugin.trim(), form.device.trim()).await {
        Ok(packet) => {
            let order = get_order(State(state), viewer.principal, ApiPath(id)).await?.0;
            let bytes =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &packet.packet_base64)
                    .map_err(|e| Error::Internal(e.to_string()))?;
            let name = format!(
                "attachment; filename=\"{}-{}.dcs\"",
                order.number,
                packet.device.replace(['"', '/', '\\'], "-")
            );
            let disposition = HeaderValue::from_str(&name).map_err(|e| Error::Internal(e.to_string()))?;
            Ok((
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response())
        }
        Err(error) => {
            let page = show_page(&state, &viewer, id, FieldErrors::default()).await?;
            refused(error.into(), |errors| Show { errors, ..page })
        }
    }
}

/// The device on site to send the job to.
#[derive(Debug, Deserialize)]
pub(crate) struct SendForm {
    #[serde(default)]
    device: String,
}

/// `POST /orders/{id}/device-send`: the job goes to a registered device through its session and
/// the site's bridge (the device's log says when it acknowledged it).
pub(crate) async fn device_send(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<OrderId>,
    CsrfForm(form): CsrfForm<SendForm>,
) -> PageResult {
    let device = form.device.trim().to_owned();
    let outcome = queue_job(&state, &viewer.principal, id, &device).await;
    let page = show_page(&state, &viewer, id, FieldErrors::default()).await?;
    match outcome {
        Ok(()) => Ok(render(&Show { sent_to: Some(device), ..page })),
        Err(error) => refused(error.into(), |errors| Show { errors, ..page }),
    }
}

/// `POST /orders/{id}/ticket`: makes the job ticket (kept in the tenant's files) and opens it.
pub(crate) async fn ticket(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<OrderId>,
    _csrf: Csrf,
) -> PageResult {
    match print_ticket(State(state.clone()), viewer.principal.clone(), ApiPath(id)).await {
        Ok((_, file)) => Ok(Redirect::to(&format!("/api/v1/files/{}", file.0.id)).into_response()),
        Err(error) => {
            let page = show_page(&state, &viewer, id, FieldErrors::default()).await?;
            refused(error, |errors| Show { errors, ..page })
        }
    }
}

#[derive(Template)]
#[template(path = "console/board.html")]
struct Board {
    chrome: Chrome,
    columns: Vec<(OrderStatus, Vec<Order>)>,
}

/// `GET /production`: the lab's open jobs as a board by status, in queue order; live.
pub(crate) async fn board(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let query = OrderQuery { limit: Some(200), ..OrderQuery::default() };
    let queue = production_queue(State(state), viewer.principal.clone(), ApiQuery(query)).await?.0.items;
    let columns =
        [OrderStatus::Pending, OrderStatus::InProduction, OrderStatus::QualityCheck, OrderStatus::OnHold]
            .into_iter()
            .map(|status| (status, queue.iter().filter(|o| o.status == status).cloned().collect()))
            .collect();
    Ok(render(&Board { chrome: viewer.chrome.at("/production"), columns }))
}
