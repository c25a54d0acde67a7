//! Placing an order: the practice's side of a new job, and the lab's copy when it goes to a lab.

use super::shapes::{self, Shape};
use super::status::OrderStatus;
use super::store::{self, NewOrder};
use super::{
    Coating, Counterpart, LensType, Material, Money, Order, OrderReason, Priority, Routing, accounts, events,
};
use ils_clinical::prescriptions::{self, RxKind, StoredEyes};
use ils_kernel::audit::Event;
use ils_kernel::input::{Fields, tenths_of_mm};
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{ItemId, OrderId, PatientId, PrescriptionId, TenantId};

/// The furthest ahead a due date may be: a bound against typos (`2926` for `2026`), not a
/// business rule.
const MAX_YEARS_AHEAD: i64 = 100;

/// The lenses asked for, as the caller gave them (checked by [`place`]).
#[derive(Clone, Debug)]
pub struct LensOrder {
    /// The lens design; a multifocal one needs fitting heights and a reading addition in the prescription for
    /// both eyes.
    pub lens_type: LensType,
    /// The lens material; it decides which `index` values are accepted.
    pub material: Material,
    /// The refractive index; must be one the material is made in.
    pub index: f64,
    /// Coatings and treatments, each at most once.
    pub coatings: Vec<Coating>,
    /// The tint as the lab writes it.
    pub tint: Option<String>,
}

/// The frame asked for, with its boxed lens size in mm.
#[derive(Clone, Debug)]
pub struct FrameOrder {
    /// Brand, model, colour and size.
    pub description: String,
    /// Boxed lens width (A), 30–80 mm.
    pub a_mm: Option<f64>,
    /// Boxed lens height (B), 15–70 mm.
    pub b_mm: Option<f64>,
    /// Distance between lenses (DBL), 10–30 mm.
    pub dbl_mm: Option<f64>,
    /// The frame from the practice's stock, when it is one: an item of its catalogue. A and DBL
    /// not given are taken from the item's recorded size, a blank description from its name.
    pub item_id: Option<ItemId>,
    /// The frame's traced shapes, when it was traced before ordering: one for both eyes, or
    /// one for each.
    pub shapes: Vec<Shape>,
}

/// Centration measurements in mm; PDs absent here come from the prescription.
#[derive(Clone, Debug, Default)]
pub struct Centration {
    /// Right monocular PD.
    pub pd_right_mm: Option<f64>,
    /// Left monocular PD.
    pub pd_left_mm: Option<f64>,
    /// Right fitting height, 8–45 mm (needed with a near portion).
    pub height_right_mm: Option<f64>,
    /// Left fitting height, 8–45 mm.
    pub height_left_mm: Option<f64>,
}

/// A practice's order for a job, made in house or sent to a lab.
#[derive(Clone, Debug)]
pub struct PlaceOrder {
    /// The lab's handle, for a job sent to a lab (a remake goes where the original was made).
    pub lab: Option<String>,
    /// The patient the job is for: an active (not deleted) patient of the practice.
    pub patient_id: PatientId,
    /// The patient's current spectacle prescription the job is made to.
    pub prescription_id: PrescriptionId,
    /// Why the job is made.
    pub reason: OrderReason,
    /// The shipped or completed original of a remake, return or non-adapt.
    pub original_order_id: Option<OrderId>,
    /// The lenses, the same design, material and index for both eyes.
    pub lens: LensOrder,
    /// The frame: its description (1–200 characters) and boxed size where known.
    pub frame: FrameOrder,
    /// Centration measurements.
    pub measurements: Centration,
    /// Due at the practice, `YYYY-MM-DD`, today or later.
    pub due_on: String,
    /// How urgent.
    pub priority: Priority,
    /// The price of the job.
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

/// Places the order `req` for the unit's tenant: checks it against the patient's record, copies the
/// prescription into it, numbers it, and — for a job sent to a lab — stores the lab's copy in the
/// lab's tenant in the same transaction. Records `order.created` (audit and event) on each copy.
pub async fn place(uow: &mut UnitOfWork, req: PlaceOrder) -> Result<Order> {
    let reason = req.reason;
    // What the request says on its own, every invalid field at once; what needs the records
    // (the patient, the prescription, the original) is checked after.
    let mut f = Fields::new();
    match (reason, req.original_order_id) {
        (OrderReason::New, Some(_)) => {
            f.add("original_order_id", "only a remake, return or non-adapt has one")
        }
        (OrderReason::Remake | OrderReason::Return | OrderReason::NonAdapt, None) => {
            f.add("original_order_id", format!("a {reason} order must name the original order"))
        }
        _ => {}
    }
    let lens_index = (req.lens.index * 1000.0).round() as u16;
    if !req.lens.material.indices().contains(&lens_index) {
        let made: Vec<String> =
            req.lens.material.indices().iter().map(|i| format!("{}", f64::from(*i) / 1000.0)).collect();
        f.add(
            "lens.index",
            format!(
                "{} is not made in index {} (made in {})",
                req.lens.material,
                req.lens.index,
                made.join(", ")
            ),
        );
    }
    let coatings = req.lens.coatings;
    if let Some(dup) = coatings.iter().enumerate().find(|(i, c)| coatings[..*i].contains(c)) {
        f.add("lens.coatings", format!("{} is listed twice", dup.1));
    }
    let tint = f.check(ils_kernel::input::optional_text("lens.tint", req.lens.tint.as_deref(), 60));
    let described = !req.frame.description.trim().is_empty();
    let frame = if described || req.frame.item_id.is_none() {
        f.check(ils_kernel::input::required_text("frame.description", &req.frame.description, 200))
    } else {
        Some(String::new())
    };
    let boxing = shapes::boxing(&mut f, "frame.", req.frame.a_mm, req.frame.b_mm, req.frame.dbl_mm);
    shapes::check("frame.shapes", &req.frame.shapes, &mut f);
    let m = req.measurements;
    let pd_in = (
        f.check(prescriptions::pd("measurements.pd_right_mm", m.pd_right_mm)),
        f.check(prescriptions::pd("measurements.pd_left_mm", m.pd_left_mm)),
    );
    let heights = (
        f.check(tenths_of_mm("measurements.height_right_mm", m.height_right_mm, 8.0..=45.0)),
        f.check(tenths_of_mm("measurements.height_left_mm", m.height_left_mm, 8.0..=45.0)),
    );
    let no_height = |h: Option<Option<u16>>| matches!(h, Some(None));
    if req.lens.lens_type.is_multifocal() && (no_height(heights.0) || no_height(heights.1)) {
        f.add(
            "measurements.height_right_mm",
            format!("{} lenses need fitting heights for both eyes", req.lens.lens_type),
        );
    }
    let today = ils_clinical::today();
    let due_on = f.check(ils_clinical::parse_date("due_on", &req.due_on).and_then(|due_on| {
        if due_on < today {
            Err(Error::invalid_field("due_on", "is in the past"))
        } else if due_on > today.saturating_add(jiff::Span::new().years(MAX_YEARS_AHEAD)) {
            Err(Error::invalid_field("due_on", format!("is more than {MAX_YEARS_AHEAD} years ahead")))
        } else {
            Ok(due_on)
        }
    }));
    let price = f.check(req.price.checked("price"));
    let notes = f.check(ils_kernel::input::optional_text("notes", req.notes.as_deref(), 2_000));
    let (tint, frame, boxing, pd_in, heights, due_on, price, notes) = f.build(|| {
        Some((
            tint?,
            frame?,
            boxing?,
            (pd_in.0?, pd_in.1?),
            (heights.0?, heights.1?),
            due_on?,
            price?,
            notes?.unwrap_or_default(),
        ))
    })?;

    let tx = uow.tx();
    let patient = ils_clinical::patients::get_active(tx, req.patient_id)
        .await
        .map_err(not_found_as_invalid("patient_id", "active patient"))?;
    let rx = prescriptions::get(tx, req.prescription_id)
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
    let view = rx.view(ils_clinical::rx::CylinderForm::Minus, today);
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
            let original =
                store::get(tx, original).await.map_err(not_found_as_invalid("original_order_id", "order"))?;
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
    let (mut boxing, mut frame) = (boxing, frame);
    if let Some(item) = req.frame.item_id {
        let item = ils_stock::items::get(tx, item)
            .await
            .map_err(not_found_as_invalid("frame.item_id", "item in the stock"))?;
        if !described {
            frame = format!("{} ({})", item.name, item.sku);
        }
        if let Some(size) = item.frame {
            let hundredths = |mm: f64| (mm * 100.0).round() as u32;
            boxing.0 = boxing.0.or(Some(hundredths(size.a_mm)));
            boxing.2 = boxing.2.or(Some(hundredths(size.dbl_mm)));
        }
    }
    let account = lab_account(tx, req.lab.as_deref(), original.as_ref()).await?;
    let ctx = uow.ctx().clone();
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
        shapes: req.frame.shapes,
        frame_item_id: req.frame.item_id,
        pd,
        heights,
        due_on,
        priority: req.priority,
        price,
        notes,
        created_by: ctx.user_id,
    };
    let id = OrderId::new();
    let number = store::next_number(uow.tx()).await?;
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
                frame_item_id: None,
                ..new.clone()
            };
            Some(send_to_lab(uow, account.lab_tenant_id, account.lab_name, &copy).await?)
        }
    };
    let new = NewOrder { counterpart, ..new };
    let (tx, ctx) = uow.parts();
    let order = store::insert(tx, id, &number, &new, &ctx.audit).await?;
    record_created(uow, &order).await?;
    Ok(order)
}

/// The lab account an order goes through: the one named, or for a remake, return or non-adapt
/// the original's lab (naming another is refused); none for a job made in house.
async fn lab_account(
    tx: &mut ils_storage::TenantTx,
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
    uow: &mut UnitOfWork,
    lab: TenantId,
    lab_name: String,
    copy: &NewOrder,
) -> Result<Counterpart> {
    let practice = uow.tx().act_for(lab).await?;
    let number = store::next_number(uow.tx()).await?;
    let id = OrderId::new();
    let (tx, ctx) = uow.parts();
    let order = store::insert(tx, id, &number, copy, &ctx.audit).await?;
    record_created(uow, &order).await?;
    uow.tx().act_for(practice).await?;
    Ok(Counterpart { tenant_id: lab, name: lab_name, order_id: id, number })
}

/// The audit row and event of a new order, in the transaction's current tenant.
async fn record_created(uow: &mut UnitOfWork, order: &Order) -> Result<()> {
    let event = Event::new("order.created", "order", order.id).changes(serde_json::json!({
        "number": order.number, "patient_id": order.patient_id, "reason": order.reason,
        "original_order_id": order.original_order_id, "routing": order.routing,
        "counterpart": order.counterpart.as_ref().map(|c| &c.number),
    }));
    uow.audit(event).await?;
    let created = events::OrderCreated {
        order_id: order.id,
        number: order.number.clone(),
        reason: order.reason,
        original_order_id: order.original_order_id,
        priority: order.priority,
        due_on: order.due_on,
        patient_id: order.patient_id,
        prescription_id: order.prescription_id,
    };
    uow.emit(&created).await?;
    Ok(())
}
