//! Devices and their sessions in the database.

use ils_kernel::audit::Event;
use ils_kernel::input::required_text;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{ExaminationId, OrderId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query};
use serde::Serialize;

/// A device the tenant connects through a bridge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Device {
    /// The tenant's name for it (`tracer-1`), as the bridge's configuration names it.
    pub name: String,
    /// The driver plugin that speaks its protocol.
    pub plugin_id: String,
    /// The model as the driver names it (`tracer`, `edger`, `rt-5100`).
    pub model: String,
    /// Whether the bridge last said it is connected.
    pub link_up: bool,
    /// The last bridge entry applied.
    pub acked: u64,
    /// The draft examination its readings fill, when a clinician set one.
    pub examination_id: Option<ExaminationId>,
    /// When the bridge last sent anything for it.
    pub last_seen_at: Option<Timestamp>,
    /// When it was registered.
    pub created_at: Timestamp,
}

/// A device to register.
#[derive(Clone, Debug)]
pub struct NewDevice {
    /// The tenant's name for it.
    pub name: String,
    /// The driver plugin.
    pub plugin_id: String,
    /// The model as the driver names it.
    pub model: String,
}

/// One line of a device's log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogEntry {
    /// `link`, `shapes`, `reading`, `job_delivered`, `job_failed`, `note` or `refused`.
    pub kind: String,
    /// What happened, in words.
    pub message: String,
    /// The order it concerned.
    pub order_id: Option<OrderId>,
    /// The examination it concerned.
    pub examination_id: Option<ExaminationId>,
    /// When.
    pub at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct Row {
    name: String,
    plugin_id: String,
    model: String,
    link_up: bool,
    acked: i64,
    examination_id: Option<ExaminationId>,
    last_seen_at: Option<Timestamp>,
    created_at: Timestamp,
}

impl From<Row> for Device {
    fn from(r: Row) -> Self {
        Device {
            name: r.name,
            plugin_id: r.plugin_id,
            model: r.model,
            link_up: r.link_up,
            acked: u64::try_from(r.acked).unwrap_or(0),
            examination_id: r.examination_id,
            last_seen_at: r.last_seen_at,
            created_at: r.created_at,
        }
    }
}

const COLUMNS: &str = "name, plugin_id, model, link_up, acked, examination_id, last_seen_at, created_at";

/// Registers a device; a name already taken is a `device_exists` conflict. Audited.
pub async fn register(uow: &mut UnitOfWork, new: NewDevice) -> Result<Device> {
    let name = required_text("name", &new.name, 100)?;
    let plugin_id = required_text("plugin_id", &new.plugin_id, 100)?;
    let model = required_text("model", &new.model, 100)?;
    let tenant = uow.tx().tenant_id();
    let taken: Option<(String,)> = query!(
        uow.tx(),
        query_as,
        fetch_optional,
        "SELECT name FROM devices WHERE tenant_id = $1 AND name = $2",
        tenant,
        &name
    )?;
    if taken.is_some() {
        return Err(Error::conflict("device_exists", format!("There is already a device named {name:?}.")));
    }
    execute!(
        uow.tx().conn(),
        "INSERT INTO devices (tenant_id, name, plugin_id, model, created_at) VALUES ($1, $2, $3, $4, $5)",
        tenant,
        &name,
        &plugin_id,
        &model,
        Timestamp::now()
    )?;
    let event = Event::new("device.registered", "device", &name)
        .changes(serde_json::json!({ "plugin": plugin_id, "model": model }));
    uow.audit(event).await?;
    get(uow.tx(), &name).await
}

/// One of the tenant's devices; another tenant's is not found.
pub async fn get(tx: &mut TenantTx, name: &str) -> Result<Device> {
    let tenant = tx.tenant_id();
    let row: Option<Row> = query!(
        tx,
        query_as,
        fetch_optional,
        format!("SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 AND name = $2"),
        tenant,
        name
    )?;
    row.map(Device::from).ok_or(Error::NotFound("device"))
}

/// Points the device's readings at draft examination `examination_id` (checked to be the
/// tenant's by the caller), or at none. Audited.
pub async fn set_examination(
    uow: &mut UnitOfWork,
    name: &str,
    examination_id: Option<ExaminationId>,
) -> Result<Device> {
    let before = get(uow.tx(), name).await?;
    let tenant = uow.tx().tenant_id();
    execute!(
        uow.tx().conn(),
        "UPDATE devices SET examination_id = $3 WHERE tenant_id = $1 AND name = $2",
        tenant,
        name,
        examination_id
    )?;
    let event = Event::new("device.examination_set", "device", name).changes(serde_json::json!({
        "examination_id": { "from": before.examination_id, "to": examination_id }
    }));
    uow.audit(event).await?;
    get(uow.tx(), name).await
}

/// Forgets examinations that are being erased: no device points at them any more, and the log
/// lines about them (a reading's values) go. The number of log lines removed.
pub async fn forget_examinations(tx: &mut TenantTx, examinations: &[ExaminationId]) -> Result<u64> {
    let tenant = tx.tenant_id();
    let mut removed = 0;
    for id in examinations {
        execute!(
            tx.conn(),
            "UPDATE devices SET examination_id = NULL WHERE tenant_id = $1 AND examination_id = $2",
            tenant,
            *id
        )?;
        removed += execute!(
            tx.conn(),
            "DELETE FROM device_log WHERE tenant_id = $1 AND examination_id = $2",
            tenant,
            *id
        )?;
    }
    Ok(removed)
}

/// The tenant's devices by name.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<Device>> {
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = query!(
        tx,
        query_as,
        fetch_all,
        format!("SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 ORDER BY name"),
        tenant
    )?;
    Ok(rows.into_iter().map(Device::from).collect())
}

/// A device's log, newest first, at most `limit` lines.
pub async fn log(tx: &mut TenantTx, device: &str, limit: i64) -> Result<Vec<LogEntry>> {
    #[derive(sqlx::FromRow)]
    struct LogRow {
        kind: String,
        message: String,
        order_id: Option<OrderId>,
        examination_id: Option<ExaminationId>,
        at: Timestamp,
    }
    get(tx, device).await?;
    let tenant = tx.tenant_id();
    let rows: Vec<LogRow> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT kind, message, order_id, examination_id, at FROM device_log
         WHERE tenant_id = $1 AND device = $2 ORDER BY id DESC LIMIT $3",
        tenant,
        device,
        limit
    )?;
    Ok(rows
        .into_iter()
        .map(|r| LogEntry {
            kind: r.kind,
            message: r.message,
            order_id: r.order_id,
            examination_id: r.examination_id,
            at: r.at,
        })
        .collect())
}

/// A device's session as stored.
pub(crate) struct Session {
    pub(crate) plugin_id: String,
    pub(crate) model: String,
    pub(crate) state: Option<Vec<u8>>,
    pub(crate) acked: u64,
    pub(crate) version: i64,
    pub(crate) wake_at: Option<Timestamp>,
    pub(crate) link_up: bool,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    plugin_id: String,
    model: String,
    state: Option<Vec<u8>>,
    acked: i64,
    version: i64,
    wake_at: Option<Timestamp>,
    link_up: bool,
}

pub(crate) async fn session(tx: &mut TenantTx, device: &str) -> Result<Session> {
    let tenant = tx.tenant_id();
    let row: Option<SessionRow> = query!(
        tx,
        query_as,
        fetch_optional,
        "SELECT plugin_id, model, state, acked, version, wake_at, link_up FROM devices WHERE tenant_id = $1 AND name = $2",
        tenant,
        device
    )?;
    let r = row.ok_or(Error::NotFound("device"))?;
    let acked = u64::try_from(r.acked).unwrap_or(0);
    Ok(Session {
        plugin_id: r.plugin_id,
        model: r.model,
        state: r.state,
        acked,
        version: r.version,
        wake_at: r.wake_at,
        link_up: r.link_up,
    })
}

/// What one step leaves behind.
pub(crate) struct Stored<'a> {
    pub(crate) state: Option<&'a [u8]>,
    pub(crate) acked: u64,
    pub(crate) link_up: Option<bool>,
    pub(crate) wake_at: Option<Timestamp>,
}

/// Stores a step if the session is still at `version`; `false` when another step got there first.
pub(crate) async fn store_step(
    tx: &mut TenantTx,
    device: &str,
    version: i64,
    step: &Stored<'_>,
) -> Result<bool> {
    let tenant = tx.tenant_id();
    let acked = i64::try_from(step.acked).map_err(|_| Error::invalid_field("seq", "is too large"))?;
    let done = execute!(
        tx.conn(),
        "UPDATE devices SET state = $4, acked = $5, version = version + 1, wake_at = $6,
             link_up = COALESCE($7, link_up), last_seen_at = $8
         WHERE tenant_id = $1 AND name = $2 AND version = $3",
        tenant,
        device,
        version,
        step.state,
        acked,
        step.wake_at,
        step.link_up,
        Timestamp::now()
    )?;
    Ok(done == 1)
}

/// Queues bytes for the device: the next outbound number.
pub(crate) async fn queue(tx: &mut TenantTx, device: &str, bytes: &[u8]) -> Result<u64> {
    let tenant = tx.tenant_id();
    let (out_seq,): (i64,) = query!(
        tx,
        query_as,
        fetch_one,
        "UPDATE devices SET next_out = next_out + 1 WHERE tenant_id = $1 AND name = $2 RETURNING next_out - 1",
        tenant,
        device
    )?;
    execute!(
        tx.conn(),
        "INSERT INTO device_outbox (tenant_id, device, out_seq, bytes, created_at) VALUES ($1, $2, $3, $4, $5)",
        tenant,
        device,
        out_seq,
        bytes,
        Timestamp::now()
    )?;
    Ok(u64::try_from(out_seq).unwrap_or(0))
}

/// Bytes waiting for the device, in order.
pub(crate) async fn outbox(tx: &mut TenantTx, device: &str) -> Result<Vec<(u64, Vec<u8>)>> {
    let tenant = tx.tenant_id();
    let rows: Vec<(i64, Vec<u8>)> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT out_seq, bytes FROM device_outbox WHERE tenant_id = $1 AND device = $2 ORDER BY out_seq",
        tenant,
        device
    )?;
    Ok(rows.into_iter().map(|(seq, bytes)| (u64::try_from(seq).unwrap_or(0), bytes)).collect())
}

/// Forgets the bytes up to `out_seq`: the bridge wrote them.
pub(crate) async fn written(tx: &mut TenantTx, device: &str, out_seq: u64) -> Result<()> {
    let tenant = tx.tenant_id();
    let out_seq = i64::try_from(out_seq).map_err(|_| Error::invalid_field("out_seq", "is too large"))?;
    execute!(
        tx.conn(),
        "DELETE FROM device_outbox WHERE tenant_id = $1 AND device = $2 AND out_seq <= $3",
        tenant,
        device,
        out_seq
    )?;
    Ok(())
}

/// Forgets every chunk waiting for the device: they answered a connection that has ended.
pub(crate) async fn void_outbox(tx: &mut TenantTx, device: &str) -> Result<()> {
    let tenant = tx.tenant_id();
    execute!(tx.conn(), "DELETE FROM device_outbox WHERE tenant_id = $1 AND device = $2", tenant, device)?;
    Ok(())
}

/// Adds a line to the device's log.
pub(crate) async fn note(
    tx: &mut TenantTx,
    device: &str,
    kind: &str,
    message: &str,
    order_id: Option<OrderId>,
) -> Result<()> {
    note_about(tx, device, kind, message, order_id, None).await
}

/// Adds a line to the device's log about an order or an examination.
pub(crate) async fn note_about(
    tx: &mut TenantTx,
    device: &str,
    kind: &str,
    message: &str,
    order_id: Option<OrderId>,
    examination_id: Option<ExaminationId>,
) -> Result<()> {
    let tenant = tx.tenant_id();
    let message: String = message.chars().take(2000).collect();
    execute!(
        tx.conn(),
        "INSERT INTO device_log (tenant_id, id, device, kind, message, order_id, examination_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        tenant,
        ils_storage::ids::EventId::new(),
        device,
        kind,
        &message,
        order_id,
        examination_id,
        Timestamp::now()
    )?;
    Ok(())
}
