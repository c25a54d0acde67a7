//! Live device sessions: a bridge entry or a timer through the driver's `device-link`, and what
//! the step made happen, committed once.

use std::sync::Arc;
use std::time::Duration;

use ils_clinical::examinations::reading::{Measured, record_reading};
use ils_host_api::{DeviceReading, DeviceStep, Happening, SessionCall, ShapeSource, ShapesSent, Side};
use ils_kernel::{Error, Result, TenantCtx};
use ils_orders::shapes::{Shape, ShapeSide};
use ils_orders::{AttachShapes, attach_shapes};
use ils_outbox::UnitOfWork;
use ils_plugin_host::Plugins;
use ils_plugin_host::invoke::{Call, MeasurementView, Reply};
use ils_storage::Db;
use ils_storage::types::Timestamp;

use crate::store::{self, Stored};

/// One entry from the bridge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The device connected (`true`) or went away.
    Link(bool),
    /// Bytes the device sent.
    Bytes(Vec<u8>),
}

/// The devices of a process: sessions run through the tenants' driver plugins.
#[derive(Clone)]
pub struct Sessions {
    db: Db,
    plugins: Arc<Plugins>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

/// How many times a step is tried when another step of the same device commits first.
const TRIES: usize = 5;

impl Sessions {
    /// Sessions on `db`, run by `plugins`.
    pub fn new(db: Db, plugins: Arc<Plugins>) -> Self {
        Self { db, plugins }
    }

    /// Applies the bridge's entry `seq` for `device`, if it is the next one; answers the last
    /// entry applied, which the bridge is acknowledged with. An entry already applied is not
    /// applied again; one beyond the next is not applied (the bridge resends in order).
    pub async fn apply(&self, ctx: &TenantCtx, device: &str, seq: u64, entry: Entry) -> Result<u64> {
        for _ in 0..TRIES {
            let mut tx = self.db.tenant_read(ctx.tenant_id).await?;
            let session = store::session(&mut tx, device).await?;
            tx.commit().await?;
            if seq != session.acked + 1 {
                return Ok(session.acked);
            }
            let (call, link_up) = match &entry {
                Entry::Link(true) => (Some(SessionCall::Open), Some(true)),
                Entry::Link(false) => (None, Some(false)),
                Entry::Bytes(bytes) => {
                    let state = session.state.clone().unwrap_or_default();
                    (Some(SessionCall::Feed { state, bytes: bytes.clone() }), None)
                }
            };
            let step = match call {
                Some(call) => self.step(ctx, &session.plugin_id, &session.model, call).await,
                // A device gone keeps its state; it opens anew when it comes back.
                None => Ok(DeviceStep {
                    state: session.state.clone().unwrap_or_default(),
                    ..DeviceStep::default()
                }),
            };
            if self.commit(ctx, device, session.version, seq, link_up, step, session.state.as_deref()).await?
            {
                return Ok(seq);
            }
        }
        Err(Error::conflict(
            "device_busy",
            format!("{device}: the session kept changing; the bridge will resend."),
        ))
    }

    /// The database the sessions are kept in.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Runs the session's timer if it is due: the device did not answer in time.
    pub async fn wake_if_due(&self, ctx: &TenantCtx, device: &str) -> Result<()> {
        let mut tx = self.db.tenant_read(ctx.tenant_id).await?;
        let session = store::session(&mut tx, device).await?;
        tx.commit().await?;
        if session.wake_at.is_none_or(|at| at > Timestamp::now()) {
            return Ok(());
        }
        let Some(state) = session.state.clone() else { return Ok(()) };
        let step = self.step(ctx, &session.plugin_id, &session.model, SessionCall::Wake { state }).await;
        self.commit(ctx, device, session.version, session.acked, None, step, session.state.as_deref())
            .await?;
        Ok(())
    }

    /// Sends `job` (an order as JSON) to the device through its session; refused (409
    /// `device_offline`) while the device is not connected.
    pub async fn send_job(&self, ctx: &TenantCtx, device: &str, job: &str) -> Result<()> {
        for _ in 0..TRIES {
            let mut tx = self.db.tenant_read(ctx.tenant_id).await?;
            let session = store::session(&mut tx, device).await?;
            tx.commit().await?;
            // Bytes for a device that is not connected would wait for a connection that starts
            // a new exchange: the lab is told now, and sends again when the device is back.
            if !session.link_up {
                return Err(Error::conflict(
                    "device_offline",
                    format!(
                        "{device} is not connected: check the device and the site's bridge, then send again."
                    ),
                ));
            }
            let state = session.state.clone().unwrap_or_default();
            let call = SessionCall::SendJob { state, job: job.to_owned() };
            let step = self.step(ctx, &session.plugin_id, &session.model, call).await?;
            if self.commit(ctx, device, session.version, session.acked, None, Ok(step), None).await? {
                return Ok(());
            }
        }
        Err(Error::conflict("device_busy", format!("{device}: the session kept changing; try again.")))
    }

    /// Bytes waiting for the device, with their numbers, in order.
    pub async fn outbox(&self, ctx: &TenantCtx, device: &str) -> Result<Vec<(u64, Vec<u8>)>> {
        let mut tx = self.db.tenant_read(ctx.tenant_id).await?;
        let chunks = store::outbox(&mut tx, device).await?;
        tx.commit().await?;
        Ok(chunks)
    }

    /// The bridge wrote every chunk up to `out_seq` to the device.
    pub async fn written(&self, ctx: &TenantCtx, device: &str, out_seq: u64) -> Result<()> {
        let mut tx = self.db.tenant(ctx.tenant_id).await?;
        store::written(&mut tx, device, out_seq).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn step(
        &self,
        ctx: &TenantCtx,
        plugin: &str,
        model: &str,
        step: SessionCall,
    ) -> Result<DeviceStep> {
        let call = Call::Session { device: model.to_owned(), step };
        match self.plugins.invoke(ctx.tenant_id, plugin, None, call).await? {
            Reply::Step { step } => Ok(step),
            _ => Err(Error::Internal("unexpected reply to a device step".into())),
        }
    }

    /// Commits a step at `version`: the state, `acked`, the bytes to send and what happened. A
    /// step the driver refused keeps the state it had (`kept`) and is logged. `false` when
    /// another step committed first.
    #[allow(clippy::too_many_arguments)]
    async fn commit(
        &self,
        ctx: &TenantCtx,
        device: &str,
        version: i64,
        acked: u64,
        link_up: Option<bool>,
        step: Result<DeviceStep>,
        kept: Option<&[u8]>,
    ) -> Result<bool> {
        let mut uow = UnitOfWork::begin(&self.db, ctx).await?;
        let step = match step {
            Ok(step) => step,
            Err(e) => {
                let stored = Stored { state: kept, acked, link_up, wake_at: None };
                if !store::store_step(uow.tx(), device, version, &stored).await? {
                    return Ok(false);
                }
                store::note(uow.tx(), device, "refused", &format!("the driver refused: {e}"), None).await?;
                uow.commit().await?;
                return Ok(true);
            }
        };
        let wake_at =
            step.wake_after_ms.map(|ms| Timestamp::now().plus(Duration::from_millis(u64::from(ms))));
        let stored = Stored { state: Some(&step.state), acked, link_up, wake_at };
        if !store::store_step(uow.tx(), device, version, &stored).await? {
            return Ok(false);
        }
        if let Some(up) = link_up {
            // Bytes still waiting answered the connection that ended; a device that connects
            // anew starts a new exchange and must not get them.
            store::void_outbox(uow.tx(), device).await?;
            store::note(uow.tx(), device, "link", if up { "connected" } else { "disconnected" }, None)
                .await?;
        }
        if !step.send.is_empty() {
            store::queue(uow.tx(), device, &step.send).await?;
        }
        for happening in step.happenings {
            happen(&mut uow, device, happening).await?;
        }
        uow.commit().await?;
        Ok(true)
    }
}

/// Acts on one happening inside the step's unit of work.
async fn happen(uow: &mut UnitOfWork, device: &str, happening: Happening) -> Result<()> {
    match happening {
        Happening::Shapes(sent) => shapes(uow, device, sent).await,
        Happening::Reading(reading) => self::reading(uow, device, reading).await,
        Happening::JobDelivered(job) => {
            store::note(uow.tx(), device, "job_delivered", &format!("job {job} delivered"), None).await
        }
        Happening::JobFailed(job, why) => {
            store::note(uow.tx(), device, "job_failed", &format!("job {job} not delivered: {why}"), None)
                .await
        }
        Happening::Note(note) => store::note(uow.tx(), device, "note", &note, None).await,
    }
}

/// A refractor's reading fills the draft examination the device is pointed at. A reading with
/// nowhere to go, or that the examination refuses (finalised, values out of range), stays in
/// the device's log with its values, for the clinician to see.
async fn reading(uow: &mut UnitOfWork, device: &str, reading: DeviceReading) -> Result<()> {
    let views: Vec<MeasurementView> = reading.measurements.into_iter().map(MeasurementView::from).collect();
    let values =
        views.iter().map(|m| format!("{} {} {}", m.name, m.side, m.value)).collect::<Vec<_>>().join(", ");
    let warnings = if reading.warnings.is_empty() {
        String::new()
    } else {
        format!(" Skipped: {}.", reading.warnings.join("; "))
    };
    let Some(examination_id) = store::get(uow.tx(), device).await?.examination_id else {
        let message = format!(
            "a reading with no examination waiting for it (choose this device on a draft examination): {values}.{warnings}"
        );
        return store::note(uow.tx(), device, "reading", &message, None).await;
    };
    let measured: Vec<Measured<'_>> =
        views.iter().map(|m| Measured { name: &m.name, side: &m.side, value: m.value }).collect();
    let source = serde_json::json!({ "device": device, "warnings": reading.warnings.len() });
    let steps = ils_tenancy::tenants::settings(uow.tx()).await?.rx_steps.into();
    match record_reading(uow, examination_id, &measured, source, steps).await {
        Ok(_) => {
            let message = format!("the reading filled the examination's refraction.{warnings}");
            store::note_about(uow.tx(), device, "reading", &message, None, Some(examination_id)).await
        }
        Err(e @ (Error::Conflict { .. } | Error::Invalid { .. } | Error::NotFound(_))) => {
            let message = format!("a reading the examination did not take ({e}): {values}.{warnings}");
            store::note_about(uow.tx(), device, "refused", &message, None, Some(examination_id)).await
        }
        Err(e) => Err(e),
    }
}

/// A tracer's shapes go to the order whose number is the job, unless it already has them.
async fn shapes(uow: &mut UnitOfWork, device: &str, sent: ShapesSent) -> Result<()> {
    let Some(order_id) = ils_orders::store::id_by_number(uow.tx(), &sent.job).await? else {
        let message = format!("shapes for job {}: there is no order with that number", sent.job);
        return store::note(uow.tx(), device, "refused", &message, None).await;
    };
    let shapes: Vec<Shape> = sent.shapes.iter().map(shape).collect();
    let kept = ils_orders::shapes::of_order(uow.tx(), order_id).await?;
    let same = kept.len() == shapes.len()
        && kept.iter().zip(&shapes).all(|(k, s)| {
            k.side == s.side && k.source == s.source && k.radii == s.radii && k.angles == s.angles
        });
    if same {
        let message = format!("shapes for job {} again: the order already has them", sent.job);
        return store::note(uow.tx(), device, "note", &message, Some(order_id)).await;
    }
    let dbl_mm = sent.dbl.map(|d| f64::from(d) / 100.0);
    let cmd =
        AttachShapes { order_id, shapes, device: Some(device.to_owned()), a_mm: None, b_mm: None, dbl_mm };
    match attach_shapes(uow, cmd).await {
        Ok(_) => {
            let message = format!("shapes for job {} attached", sent.job);
            store::note(uow.tx(), device, "shapes", &message, Some(order_id)).await
        }
        Err(e @ (Error::Conflict { .. } | Error::Invalid { .. })) => {
            let message = format!("shapes for job {} not attached: {e}", sent.job);
            store::note(uow.tx(), device, "refused", &message, Some(order_id)).await
        }
        Err(e) => Err(e),
    }
}

fn shape(s: &ils_host_api::TracedShape) -> Shape {
    Shape {
        side: match s.side {
            Side::Right => ShapeSide::Right,
            Side::Left => ShapeSide::Left,
            Side::Both => ShapeSide::Both,
        },
        source: match s.source {
            ShapeSource::Frame => ils_orders::shapes::ShapeSource::Frame,
            ShapeSource::Pattern => ils_orders::shapes::ShapeSource::Pattern,
            ShapeSource::DemoLens => ils_orders::shapes::ShapeSource::DemoLens,
        },
        radii: s.radii.clone(),
        angles: (!s.angles.is_empty()).then(|| s.angles.clone()),
    }
}
