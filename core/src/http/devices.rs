//! Equipment drivers over HTTP: a lab sends a job to a device through its driver plugin and gets
//! the packet to transmit; staff post what a device sent and get measurements back. The driver
//! is a tenant's enabled plugin providing `equipment-driver`; the host does the device I/O.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_clinical::examinations::reading::{self, Measured};
use ils_clinical::examinations::{self, Examination};
use ils_kernel::TenantCtx;
use ils_kernel::audit::{self, Event};
use ils_kernel::error::{Error, Result};
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_plugin_host::catalogue;
use ils_plugin_host::invoke::{Call, MeasurementView, Reply};
use ils_storage::ids::OrderId;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(decode)).routes(routes!(send_job)).routes(routes!(read_refraction))
}

/// How bytes are written in JSON.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// As text (device protocols are mostly ASCII with control characters).
    #[default]
    Text,
    /// Base64.
    Base64,
}

/// What a device sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceOutput {
    /// The device, as the driver names it (e.g. `lensmeter-1`, `tracer/crc5`).
    pub device: String,
    /// What it sent.
    pub data: String,
    /// How `data` is written (default `text`).
    #[serde(default)]
    pub encoding: Encoding,
}

/// Measurements read from device output.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Decoded {
    /// The measurements, in the order the device gave them.
    pub measurements: Vec<MeasurementView>,
}

impl Encoding {
    /// The bytes `data` stands for.
    fn bytes(self, data: String) -> Result<Vec<u8>> {
        match self {
            Encoding::Text => Ok(data.into_bytes()),
            Encoding::Base64 => STANDARD
                .decode(data.trim())
                .map_err(|e| Error::invalid_field("data", format!("is not base64: {e}"))),
        }
    }
}

fn driver_id(plugin: &str) -> Result<String> {
    Ok(catalogue::plugin_id(plugin)?.as_str().to_owned())
}

/// Read device output with a driver: the measurements it holds.
#[utoipa::path(post, path = "/devices/{plugin}/decode", tag = "plugins", security(("bearer" = [])),
    params(("plugin" = String, Path, description = "The driver plugin")), request_body = DeviceOutput,
    responses((status = 200, description = "The measurements", body = Decoded),
              (status = 404, description = "The driver is not enabled", body = Problem),
              (status = 422, description = "Not valid base64", body = Problem),
              (status = 502, description = "The driver refused the data (its reason) or failed", body = Problem)))]
async fn decode(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(plugin): ApiPath<String>,
    ApiJson(req): ApiJson<DeviceOutput>,
) -> ApiResult<Json<Decoded>> {
    let ctx = principal.tenant(Action::PluginsUse)?;
    let plugin = driver_id(&plugin)?;
    let data = req.encoding.bytes(req.data)?;
    let measurements = decode_with(&state, &principal, &ctx, &plugin, req.device, data).await?;
    Ok(Json(Decoded { measurements }))
}

/// Device output read by the tenant's driver `plugin`, on behalf of the caller.
async fn decode_with(
    state: &AppState,
    principal: &Principal,
    ctx: &TenantCtx,
    plugin: &str,
    device: String,
    data: Vec<u8>,
) -> Result<Vec<MeasurementView>> {
    let caller = crate::http::plugins::caller(principal, ctx);
    match state.plugins.invoke(ctx.tenant_id, plugin, Some(caller), Call::Decode { device, data }).await? {
        Reply::Measurements { measurements } => Ok(measurements),
        _ => Err(Error::Internal("unexpected reply to decode".into())),
    }
}

/// Which driver and device a job goes to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceJobInput {
    /// The driver plugin, to get the packet back; without it, `device` names a device registered
    /// with ILS (`POST /devices`) and the job goes to it through its bridge.
    pub plugin: Option<String>,
    /// The device: as the driver names it, or as registered.
    pub device: String,
}

/// A job encoded for a device.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DevicePacket {
    /// The driver plugin that encoded the job (the request's `plugin`).
    pub plugin: String,
    /// The device the packet is for (the request's `device`), as the driver names it.
    pub device: String,
    /// The packet, base64.
    pub packet_base64: String,
    /// The packet as text (control characters kept), for reading.
    pub packet_text: String,
    /// Its length in bytes.
    pub length: usize,
}

/// Encode an order as a job for a device (edger, generator…) with a driver plugin and get the
/// packet back; or, for a device registered with ILS, send it through the device's bridge (202:
/// the device's log says when the device acknowledged it). The driver receives the order as the
/// API shows it.
#[utoipa::path(post, path = "/orders/{order_id}/device-jobs", tag = "plugins", security(("bearer" = [])),
    params(("order_id" = OrderId, Path, description = "The order")), request_body = DeviceJobInput,
    responses((status = 200, description = "The packet", body = DevicePacket),
              (status = 202, description = "Queued for the registered device"),
              (status = 403, description = "Not allowed to read orders", body = Problem),
              (status = 404, description = "No such order, or the driver is not enabled", body = Problem),
              (status = 409, description = "The registered device is not connected", body = Problem),
              (status = 502, description = "The driver refused the order (its reason) or failed", body = Problem)))]
pub(crate) async fn send_job(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(order_id): ApiPath<OrderId>,
    ApiJson(req): ApiJson<DeviceJobInput>,
) -> ApiResult<Response> {
    match req.plugin {
        Some(plugin) => {
            let packet = job_packet(&state, &principal, order_id, &plugin, &req.device).await?;
            Ok(Json(packet).into_response())
        }
        None => {
            queue_job(&state, &principal, order_id, &req.device).await?;
            Ok(StatusCode::ACCEPTED.into_response())
        }
    }
}

/// The order as JSON, read for a device job: the caller reads orders and uses plugins.
async fn order_job(
    state: &AppState,
    principal: &Principal,
    order_id: OrderId,
) -> Result<(TenantCtx, String)> {
    let ctx = principal.tenant(Action::OrdersRead)?;
    if !principal.may(Action::PluginsUse) {
        return Err(Error::forbidden("forbidden", "Sending jobs to devices needs plugins:use."));
    }
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let order = ils_orders::store::get(&mut tx, order_id).await?;
    tx.commit().await?;
    let job = serde_json::to_string(&order).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((ctx, job))
}

/// Sends an order's job to a device registered with ILS, through its session and bridge.
pub(crate) async fn queue_job(
    state: &AppState,
    principal: &Principal,
    order_id: OrderId,
    device: &str,
) -> Result<()> {
    let (ctx, job) = order_job(state, principal, order_id).await?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let device = ils_devices::get(&mut tx, device).await?;
    tx.commit().await?;
    let sessions = ils_devices::Sessions::new(state.db.clone(), state.plugins.clone());
    sessions.send_job(&ctx, &device.name, &job).await?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let event = Event::new("order.sent_to_device", "order", order_id)
        .changes(serde_json::json!({ "plugin": device.plugin_id, "device": device.name }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(())
}

/// An order encoded by the tenant's driver `plugin` as a job for `device`: the packet.
pub(crate) async fn job_packet(
    state: &AppState,
    principal: &Principal,
    order_id: OrderId,
    plugin: &str,
    device: &str,
) -> Result<DevicePacket> {
    let (ctx, job) = order_job(state, principal, order_id).await?;
    let plugin = driver_id(plugin)?;
    let device = ils_kernel::input::required_text("device", device, 100)?;
    let caller = crate::http::plugins::caller(principal, &ctx);
    let call = Call::EncodeJob { device: device.clone(), job };
    let Reply::Bytes { bytes } = state.plugins.invoke(ctx.tenant_id, &plugin, Some(caller), call).await?
    else {
        return Err(Error::Internal("unexpected reply to encode".into()));
    };
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let event = Event::new("order.sent_to_device", "order", order_id)
        .changes(serde_json::json!({ "plugin": plugin, "device": device, "bytes": bytes.len() }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(DevicePacket {
        plugin,
        device,
        packet_base64: STANDARD.encode(&bytes),
        packet_text: String::from_utf8_lossy(&bytes).into_owned(),
        length: bytes.len(),
    })
}

/// An examination after a device's reading, and what the driver skipped.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExaminationReading {
    /// The examination, its refraction and PDs from the reading.
    pub examination: Examination,
    /// One line per part of the output the driver did not know and skipped
    /// (`line 7: unknown code "XY", skipped`); empty when it read everything.
    pub warnings: Vec<String>,
}

/// A refractor's output for an examination.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingInput {
    /// The driver plugin.
    pub plugin: String,
    /// The device, as the driver names it (`rt-5100`).
    pub device: String,
    /// What the device sent.
    pub data: String,
    /// How `data` is written (default `text`).
    #[serde(default)]
    pub encoding: Encoding,
}

/// Fill a draft examination's refraction from a refractor's output, read by a driver plugin:
/// sphere, cylinder, axis and add per eye from the final stage (else the subjective one), checked
/// like one typed in, and the PDs, near PD and working distance it measured. What the driver did
/// not know comes back as warnings; the examination stays a draft for the optometrist to check
/// and finalise.
#[utoipa::path(post, path = "/examinations/{examination_id}/device-readings", tag = "plugins", security(("bearer" = [])),
    params(("examination_id" = ils_storage::ids::ExaminationId, Path, description = "The examination")),
    request_body = ReadingInput,
    responses((status = 200, description = "The examination with the refraction, and the driver's warnings", body = ExaminationReading),
              (status = 403, description = "Not allowed to record examinations", body = Problem),
              (status = 404, description = "No such examination, or the driver is not enabled", body = Problem),
              (status = 409, description = "Already finalised", body = Problem),
              (status = 422, description = "No refraction in the output, or values out of range", body = Problem),
              (status = 502, description = "The driver refused the data (its reason) or failed", body = Problem)))]
pub(crate) async fn read_refraction(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ils_storage::ids::ExaminationId>,
    ApiJson(req): ApiJson<ReadingInput>,
) -> ApiResult<Json<ExaminationReading>> {
    let ctx = principal.tenant(Action::ExaminationsWrite)?;
    if !principal.may(Action::PluginsUse) {
        return Err(Error::forbidden("forbidden", "Reading devices needs plugins:use.").into());
    }
    let plugin = driver_id(&req.plugin)?;
    // The examination must be this tenant's before its data goes to a plugin.
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    examinations::get(&mut tx, id).await?;
    tx.commit().await?;
    let data = req.encoding.bytes(req.data)?;
    let caller = crate::http::plugins::caller(&principal, &ctx);
    let call = Call::Read { device: req.device.clone(), data };
    let Reply::Reading { measurements, warnings } =
        state.plugins.invoke(ctx.tenant_id, &plugin, Some(caller), call).await?
    else {
        return Err(Error::Internal("unexpected reply to read".into()).into());
    };
    let measured: Vec<Measured<'_>> =
        measurements.iter().map(|m| Measured { name: &m.name, side: &m.side, value: m.value }).collect();
    let source = serde_json::json!({ "plugin": plugin, "device": req.device, "warnings": warnings.len() });
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let steps = ils_tenancy::tenants::settings(uow.tx()).await?.rx_steps.into();
    let examination = reading::record_reading(&mut uow, id, &measured, source, steps).await?;
    uow.commit().await?;
    Ok(Json(ExaminationReading { examination, warnings }))
}
