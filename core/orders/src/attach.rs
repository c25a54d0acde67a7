//! Attaching a frame's trace to an order: its shapes and the box measured with them, on the
//! order and on the lab's copy of a practice's order (docs/adr/048-traced-shapes.md).

use ils_kernel::audit::Event;
use ils_kernel::input::Fields;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::OrderId;
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute};

use crate::Order;
use crate::shapes::{self, Boxing, Shape};
use crate::status::OrderStatus;
use crate::store;

/// What a tracer (or a person) attaches to an order.
#[derive(Clone, Debug)]
pub struct AttachShapes {
    /// The order.
    pub order_id: OrderId,
    /// The shapes: one for both eyes, or one per eye.
    pub shapes: Vec<Shape>,
    /// The device that traced them, as the tenant names it (`tracer-1`).
    pub device: Option<String>,
    /// The box measured with them (A, B), mm to 0.01, which replaces the order's; DBL too.
    pub a_mm: Option<f64>,
    /// Boxed height.
    pub b_mm: Option<f64>,
    /// Distance between lenses.
    pub dbl_mm: Option<f64>,
}

/// Attaches traced shapes to an order that is not yet made (pending or in production), replacing
/// any before, and the box measured with them; the lab's copy of a practice's order gets them
/// too. Audited (`order.shape_attached`).
pub async fn attach_shapes(uow: &mut UnitOfWork, cmd: AttachShapes) -> Result<Order> {
    let mut f = Fields::new();
    shapes::check("shapes", &cmd.shapes, &mut f);
    if cmd.shapes.is_empty() {
        f.add("shapes", "give at least one shape");
    }
    let device = f.check(ils_kernel::input::optional_text("device", cmd.device.as_deref(), 100));
    let boxing = shapes::boxing(&mut f, "", cmd.a_mm, cmd.b_mm, cmd.dbl_mm);
    let (device, boxing) = f.build(|| Some((device?, boxing?)))?;
    let order = store::get(uow.tx(), cmd.order_id).await?;
    if !matches!(order.status, OrderStatus::Pending | OrderStatus::InProduction) {
        return Err(Error::conflict(
            "order_made",
            format!("The order is {}; a shape is attached before the lenses are edged.", order.status),
        ));
    }
    store_with_box(uow.tx(), &order, &cmd.shapes, device.as_deref(), boxing).await?;
    if let Some(other) = &order.counterpart {
        let home = uow.tx().act_for(other.tenant_id).await?;
        let theirs = store::get(uow.tx(), other.order_id).await?;
        store_with_box(uow.tx(), &theirs, &cmd.shapes, device.as_deref(), boxing).await?;
        uow.tx().act_for(home).await?;
    }
    let event = Event::new("order.shape_attached", "order", order.id).changes(serde_json::json!({
        "sides": cmd.shapes.iter().map(|s| s.side).collect::<Vec<_>>(),
        "points": cmd.shapes.iter().map(|s| s.radii.len()).collect::<Vec<_>>(),
        "device": device,
    }));
    uow.audit(event).await?;
    store::get(uow.tx(), cmd.order_id).await
}

async fn store_with_box(
    tx: &mut TenantTx,
    order: &Order,
    shapes: &[Shape],
    device: Option<&str>,
    (a, b, dbl): Boxing,
) -> Result<()> {
    shapes::replace(tx, order.id, shapes, device).await?;
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "UPDATE lab_orders SET frame_a_hundredths = COALESCE($3, frame_a_hundredths),
            frame_b_hundredths = COALESCE($4, frame_b_hundredths),
            frame_dbl_hundredths = COALESCE($5, frame_dbl_hundredths), updated_at = $6
         WHERE tenant_id = $1 AND id = $2",
        tenant,
        order.id,
        a.map(|v| v as i32),
        b.map(|v| v as i32),
        dbl.map(|v| v as i32),
        Timestamp::now()
    )?;
    Ok(())
}
