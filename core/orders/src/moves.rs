//! Moving an order: lifecycle transitions, station moves in production, and notes on its
//! timeline. A job sent to a lab has two copies (the practice's and the lab's); every move is
//! applied to both in one transaction, the lab's first (one lock order).

use super::status::{OrderStatus, Side, TransitionError};
use super::store::{self, Change};
use super::{Order, Routing, Station, events};
use ils_kernel::TenantCtx;
use ils_kernel::audit::Event;
use ils_kernel::permissions::Role;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::OrderId;

/// A move in an order's lifecycle.
#[derive(Clone, Debug)]
pub struct Transition {
    /// The status to move to.
    pub to: OrderStatus,
    /// Why (kept in the timeline).
    pub note: Option<String>,
    /// What a failed quality check found (required for `quality_check → in_production`).
    pub quality_issue: Option<String>,
    /// For a move into production: the station the job starts at (default `surfacing`).
    pub station: Option<Station>,
}

/// A move between stations of a job in production.
#[derive(Clone, Debug)]
pub struct StationMove {
    /// The station the job moves to.
    pub station: Station,
    /// Why (kept in the timeline).
    pub note: Option<String>,
}

/// The side an API key acts on: a key is issued by a company admin and limited by its scopes.
fn acting_role(ctx: &TenantCtx) -> Role {
    ctx.role.unwrap_or(Role::CompanyAdmin)
}

/// Moves order `id` for the unit's actor (a user, an API key or a plugin). Moves that do not
/// exist are conflicts (`invalid_transition`); moves of the other side (practice or lab) are
/// refused (`not_your_transition`, `made_by_lab`, `practice_move`).
pub async fn transition(uow: &mut UnitOfWork, id: OrderId, req: Transition) -> Result<Order> {
    let note = ils_kernel::input::optional_text("note", req.note.as_deref(), 2_000)?;
    let quality_issue =
        ils_kernel::input::optional_text("quality_issue", req.quality_issue.as_deref(), 2_000)?;
    let order = store::get(uow.tx(), id).await?;
    let from = order.status;
    from.transition(req.to, acting_role(uow.ctx()), order.held_from, quality_issue.as_deref()).map_err(
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
    if order.routing == Routing::ToLab {
        mirror(uow, &order, &moved).await?;
    }
    apply_and_record(uow, &order, &moved).await?;
    if order.routing == Routing::FromPractice {
        mirror(uow, &order, &moved).await?;
    }
    store::get(uow.tx(), id).await
}

/// Moves a job in production to another station (lab staff).
pub async fn move_station(uow: &mut UnitOfWork, id: OrderId, req: StationMove) -> Result<Order> {
    let note = ils_kernel::input::optional_text("note", req.note.as_deref(), 2_000)?;
    let order = store::get(uow.tx(), id).await?;
    if order.routing == Routing::ToLab {
        let lab = order.counterpart.as_ref().map_or("the lab", |c| c.name.as_str());
        return Err(Error::forbidden(
            "made_by_lab",
            format!("{lab} makes this job and moves it between its stations."),
        ));
    }
    let role = acting_role(uow.ctx());
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
    apply_and_record(uow, &order, &moved).await?;
    mirror(uow, &order, &moved).await?;
    store::get(uow.tx(), id).await
}

/// Adds a note to an order's timeline without moving it (plugins annotate orders this way).
pub async fn annotate(uow: &mut UnitOfWork, id: OrderId, note: &str) -> Result<()> {
    let note = ils_kernel::input::required_text("note", note, 2_000)?;
    let order = store::get(uow.tx(), id).await?;
    let change = Change {
        from: Some(order.status),
        to: order.status,
        from_station: order.station,
        to_station: order.station,
    };
    let (tx, ctx) = uow.parts();
    store::apply(tx, id, &change, order.held_from, None, Some(&note), &ctx.audit).await
}

/// A change to make to an order: a status move, or (same status) a station move.
struct Moved<'a> {
    to: OrderStatus,
    to_station: Option<Station>,
    quality_issue: Option<&'a str>,
    note: Option<&'a str>,
}

/// Applies `moved` to `order` in the transaction's current tenant, with its timeline row, audit
/// row and event.
async fn apply_and_record(uow: &mut UnitOfWork, order: &Order, moved: &Moved<'_>) -> Result<()> {
    let change = Change {
        from: Some(order.status),
        to: moved.to,
        from_station: order.station,
        to_station: moved.to_station,
    };
    let held_from = (moved.to == OrderStatus::OnHold).then_some(order.status);
    let (tx, ctx) = uow.parts();
    store::apply(tx, order.id, &change, held_from, moved.quality_issue, moved.note, &ctx.audit).await?;
    if order.status == moved.to {
        let Some(to) = moved.to_station else { return Ok(()) };
        let event = Event::new("order.station_changed", "order", order.id)
            .changes(serde_json::json!({ "from": order.station, "to": to, "note": moved.note }));
        uow.audit(event).await?;
        let changed = events::OrderStationChanged {
            order_id: order.id,
            number: order.number.clone(),
            from: order.station,
            to,
        };
        uow.emit(&changed).await?;
    } else {
        let event = Event::new("order.transitioned", "order", order.id).changes(serde_json::json!({
            "from": order.status, "to": moved.to, "note": moved.note, "quality_issue": moved.quality_issue,
        }));
        uow.audit(event).await?;
        let changed = events::OrderStatusChanged {
            order_id: order.id,
            number: order.number.clone(),
            from: order.status,
            to: moved.to,
            quality_issue: moved.quality_issue.map(str::to_owned),
            note: moved.note.map(str::to_owned),
        };
        uow.emit(&changed).await?;
    }
    Ok(())
}

/// Applies `moved` to the other tenant's copy of `order` too, in the same transaction.
async fn mirror(uow: &mut UnitOfWork, order: &Order, moved: &Moved<'_>) -> Result<()> {
    let Some(other) = &order.counterpart else { return Ok(()) };
    let home = uow.tx().act_for(other.tenant_id).await?;
    let theirs = store::get(uow.tx(), other.order_id).await?;
    if (theirs.status, theirs.station) != (order.status, order.station) {
        return Err(Error::conflict(
            "moved_meanwhile",
            "The other copy of this job moved meanwhile; reload it and try again.",
        ));
    }
    apply_and_record(uow, &theirs, moved).await?;
    uow.tx().act_for(home).await?;
    Ok(())
}
