//! Devices and their bridge over HTTP (docs/adr/049-live-devices.md): the tenant registers the
//! devices an on-site bridge connects, with the driver that speaks each one's protocol, and reads
//! what their sessions did; the bridge holds one WebSocket, `GET /api/v1/bridge`, on which it
//! sends what devices send and is sent what to write to them.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_devices::{Device, Entry, LogEntry, NewDevice, Sessions};
use ils_kernel::TenantCtx;
use ils_kernel::error::{Error, Unreadable};
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_storage::types::Timestamp;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_device, list_devices))
        .routes(routes!(device_log))
        .routes(routes!(connect))
        .routes(routes!(set_device_examination))
}

/// A device to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceInput {
    /// The practice's or lab's name for it, as the bridge's configuration names it (`tracer-1`).
    pub name: String,
    /// The driver plugin that speaks its protocol (`dcs-driver`).
    pub plugin: String,
    /// The model as the driver names it (`tracer`, `edger`, `rt-5100`).
    pub model: String,
}

/// A registered device.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    /// Its name.
    pub name: String,
    /// Its driver plugin.
    pub plugin: String,
    /// Its model, as the driver names it.
    pub model: String,
    /// Whether the bridge last said it is connected.
    pub connected: bool,
    /// The last bridge entry applied.
    pub acked: u64,
    /// The draft examination its readings fill, when one is chosen.
    pub examination_id: Option<String>,
    /// When the bridge last sent anything for it.
    pub last_seen_at: Option<Timestamp>,
}

impl From<Device> for DeviceView {
    fn from(d: Device) -> Self {
        Self {
            name: d.name,
            plugin: d.plugin_id,
            model: d.model,
            connected: d.link_up,
            acked: d.acked,
            examination_id: d.examination_id.map(|e| e.to_string()),
            last_seen_at: d.last_seen_at,
        }
    }
}

/// One line of a device's log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceLogLine {
    /// `link`, `shapes`, `reading`, `job_delivered`, `job_failed`, `note` or `refused`.
    pub kind: String,
    /// What happened.
    pub message: String,
    /// The order it concerned.
    pub order_id: Option<String>,
    /// The examination it concerned.
    pub examination_id: Option<String>,
    /// When.
    pub at: Timestamp,
}

impl From<LogEntry> for DeviceLogLine {
    fn from(l: LogEntry) -> Self {
        Self {
            kind: l.kind,
            message: l.message,
            order_id: l.order_id.map(|o| o.to_string()),
            examination_id: l.examination_id.map(|e| e.to_string()),
            at: l.at,
        }
    }
}

/// Register a device an on-site bridge connects.
#[utoipa::path(post, path = "/devices", tag = "plugins", security(("bearer" = [])), request_body = DeviceInput,
    responses((status = 201, description = "Registered", body = DeviceView),
              (status = 403, description = "Not allowed to register devices", body = Problem),
              (status = 404, description = "The driver is not enabled", body = Problem),
              (status = 409, description = "A device of that name exists", body = Problem),
              (status = 422, description = "Invalid values", body = Problem)))]
pub(crate) async fn register_device(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<DeviceInput>,
) -> ApiResult<(StatusCode, Json<DeviceView>)> {
    let ctx = principal.tenant(Action::DevicesManage)?;
    let plugin = ils_plugin_host::catalogue::plugin_id(&input.plugin)?.as_str().to_owned();
    // The driver must be one the tenant runs.
    state.plugins.enabled(ctx.tenant_id, &plugin).await?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let device = ils_devices::register(
        &mut uow,
        NewDevice { name: input.name, plugin_id: plugin, model: input.model },
    )
    .await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(device.into())))
}

/// The tenant's devices.
#[utoipa::path(get, path = "/devices", tag = "plugins", security(("bearer" = [])),
    responses((status = 200, description = "The devices, by name", body = Vec<DeviceView>),
              (status = 403, description = "Not allowed to use plugins", body = Problem)))]
pub(crate) async fn list_devices(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<DeviceView>>> {
    let ctx = principal.tenant(Action::PluginsUse)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let devices = ils_devices::list(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(devices.into_iter().map(Into::into).collect()))
}

/// Where a device's readings go.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceExaminationInput {
    /// The draft examination the device's readings fill from now on; `null` for none.
    pub examination_id: Option<ils_storage::ids::ExaminationId>,
}

/// Point a refractor at a draft examination: each reading it sends through the bridge fills that
/// examination's refraction and pupillary distances (as `POST /examinations/{id}/device-readings`
/// does with a capture), until it is pointed elsewhere. Needs `examinations:write`.
#[utoipa::path(put, path = "/devices/{name}/examination", tag = "plugins", security(("bearer" = [])),
    params(("name" = String, Path, description = "The device")),
    request_body = DeviceExaminationInput,
    responses((status = 200, description = "The device", body = DeviceView),
              (status = 403, description = "Not allowed to record examinations", body = Problem),
              (status = 404, description = "No such device or examination", body = Problem),
              (status = 409, description = "The examination is finalised", body = Problem),
              (status = 422, description = "Invalid values", body = Problem)))]
pub(crate) async fn set_device_examination(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<DeviceExaminationInput>,
) -> ApiResult<Json<DeviceView>> {
    let ctx = principal.tenant(Action::ExaminationsWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    if let Some(id) = input.examination_id {
        let examination = ils_clinical::examinations::get(uow.tx(), id).await?;
        if examination.finalised_at.is_some() {
            return Err(Error::conflict(
                "already_finalised",
                "That examination is finalised; a reading can only fill a draft.",
            )
            .into());
        }
    }
    let device = ils_devices::set_examination(&mut uow, &name, input.examination_id).await?;
    uow.commit().await?;
    Ok(Json(device.into()))
}

/// What a device's sessions did, newest first (the last 200 lines).
#[utoipa::path(get, path = "/devices/{name}/log", tag = "plugins", security(("bearer" = [])),
    params(("name" = String, Path, description = "The device")),
    responses((status = 200, description = "The log", body = Vec<DeviceLogLine>),
              (status = 404, description = "No such device", body = Problem)))]
pub(crate) async fn device_log(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<Vec<DeviceLogLine>>> {
    let ctx = principal.tenant(Action::PluginsUse)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let log = ils_devices::log(&mut tx, &name, 200).await?;
    tx.commit().await?;
    Ok(Json(log.into_iter().map(Into::into).collect()))
}

/// The bridge's WebSocket: JSON messages as docs/adr/049-live-devices.md's table says. Needs an
/// API key with the `devices:connect` scope.
#[utoipa::path(get, path = "/bridge", tag = "plugins", security(("bearer" = [])),
    responses((status = 101, description = "Switching to the bridge's WebSocket"),
              (status = 400, description = "Not a WebSocket upgrade request", body = Problem),
              (status = 401, description = "No valid key", body = Problem),
              (status = 403, description = "The key may not connect a bridge", body = Problem)))]
async fn connect(
    State(state): State<AppState>,
    principal: Principal,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let ctx = principal.tenant(Action::DevicesConnect)?;
    let ws = ws.map_err(|rejection| Error::BadRequest {
        code: "websocket_expected",
        message: format!("The bridge connects over a WebSocket: {}", rejection.body_text()),
        kind: Unreadable::Malformed,
    })?;
    Ok(ws.on_upgrade(move |socket| serve(state, ctx, socket)))
}

/// What the bridge sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FromBridge {
    Hello { bridge: String, devices: Vec<String> },
    Link { device: String, seq: u64, up: bool },
    Bytes { device: String, seq: u64, data: String },
    Written { device: String, out_seq: u64 },
}

/// What ILS sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ToBridge {
    Welcome { acked: BTreeMap<String, u64>, unknown: Vec<String> },
    Ack { device: String, seq: u64 },
    Send { device: String, out_seq: u64, data: String },
    Error { device: Option<String>, message: String },
}

/// How often the connection looks for due timers and bytes queued by others (a job sent).
const TICK: Duration = Duration::from_millis(200);

/// One bridge's connection.
struct Link {
    sessions: Sessions,
    ctx: TenantCtx,
    /// The devices this bridge serves that ILS knows, with the last chunk sent to each.
    devices: HashMap<String, u64>,
}

async fn serve(state: AppState, ctx: TenantCtx, socket: WebSocket) {
    let sessions = Sessions::new(state.db.clone(), state.plugins.clone());
    let mut link = Link { sessions, ctx, devices: HashMap::new() };
    let (mut sink, mut stream) = socket.split();
    let mut tick = tokio::time::interval(TICK);
    loop {
        let replies = tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => link.on_message(text.as_str()).await,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => Vec::new(),
            },
            _ = tick.tick() => link.on_tick().await,
        };
        for reply in replies {
            let Ok(text) = serde_json::to_string(&reply) else { continue };
            if sink.send(Message::Text(text.into())).await.is_err() {
                return;
            }
        }
    }
}

impl Link {
    async fn on_message(&mut self, text: &str) -> Vec<ToBridge> {
        let message = match serde_json::from_str::<FromBridge>(text) {
            Ok(m) => m,
            Err(e) => {
                return vec![ToBridge::Error { device: None, message: format!("unreadable message: {e}") }];
            }
        };
        let result = match message {
            FromBridge::Hello { bridge, devices } => return self.hello(&bridge, devices).await,
            FromBridge::Link { device, seq, up } => self.entry(device, seq, Entry::Link(up)).await,
            FromBridge::Bytes { device, seq, data } => match STANDARD.decode(data.trim()) {
                Ok(bytes) => self.entry(device, seq, Entry::Bytes(bytes)).await,
                Err(e) => Err((Some(device), format!("bytes are not base64: {e}"))),
            },
            FromBridge::Written { device, out_seq } => {
                match self.sessions.written(&self.ctx, &device, out_seq).await {
                    Ok(()) => Ok(Vec::new()),
                    Err(e) => Err((Some(device), e.to_string())),
                }
            }
        };
        result.unwrap_or_else(|(device, message)| vec![ToBridge::Error { device, message }])
    }

    async fn hello(&mut self, bridge: &str, devices: Vec<String>) -> Vec<ToBridge> {
        tracing::info!(bridge, tenant = %self.ctx.tenant_id, devices = devices.len(), "bridge connected");
        let (mut acked, mut unknown) = (BTreeMap::new(), Vec::new());
        self.devices.clear();
        // One read of the tenant's devices answers for every name the bridge gave.
        let registered = match self.sessions_tx().await {
            Ok(mut tx) => {
                let list = ils_devices::list(&mut tx).await.unwrap_or_default();
                let _ = tx.commit().await;
                list
            }
            Err(_) => Vec::new(),
        };
        for name in devices {
            match registered.iter().find(|d| d.name == name) {
                Some(device) => {
                    acked.insert(name.clone(), device.acked);
                    self.devices.insert(name, 0);
                }
                None => unknown.push(name),
            }
        }
        let mut replies = vec![ToBridge::Welcome { acked, unknown }];
        replies.extend(self.outbound().await);
        replies
    }

    async fn sessions_tx(&self) -> ils_kernel::Result<ils_storage::TenantTx> {
        Ok(self.sessions.db().tenant_read(self.ctx.tenant_id).await?)
    }

    async fn entry(
        &mut self,
        device: String,
        seq: u64,
        entry: Entry,
    ) -> Result<Vec<ToBridge>, (Option<String>, String)> {
        if !self.devices.contains_key(&device) {
            return Err((
                Some(device),
                "not a device this bridge said hello with, or not registered in ILS".into(),
            ));
        }
        let acked = match self.sessions.apply(&self.ctx, &device, seq, entry).await {
            Ok(acked) => acked,
            Err(Error::Internal(e)) => return Err((Some(device), format!("not applied: {e}"))),
            Err(e) => return Err((Some(device), e.to_string())),
        };
        let mut replies = vec![ToBridge::Ack { device, seq: acked }];
        replies.extend(self.outbound().await);
        Ok(replies)
    }

    async fn on_tick(&mut self) -> Vec<ToBridge> {
        let names: Vec<String> = self.devices.keys().cloned().collect();
        for name in names {
            if let Err(e) = self.sessions.wake_if_due(&self.ctx, &name).await {
                tracing::warn!(device = %name, error = %e, "device timer failed");
            }
        }
        self.outbound().await
    }

    /// Chunks queued for this bridge's devices that it has not been sent on this connection.
    async fn outbound(&mut self) -> Vec<ToBridge> {
        let mut out = Vec::new();
        for (name, pushed) in &mut self.devices {
            let Ok(chunks) = self.sessions.outbox(&self.ctx, name).await else { continue };
            let from = *pushed;
            for (out_seq, bytes) in chunks.into_iter().filter(|(seq, _)| *seq > from) {
                *pushed = out_seq;
                out.push(ToBridge::Send { device: name.clone(), out_seq, data: STANDARD.encode(&bytes) });
            }
        }
        out
    }
}
