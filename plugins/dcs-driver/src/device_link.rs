//! Live sessions for `device-link`: the host keeps each session's state as bytes between calls,
//! and the driver keeps nothing.
//!
//! Each step loads the state, drives the session's state machine ([`TracerSession`] or
//! [`EdgerSession`]) with what arrived, and returns a [`DeviceStep`]: the new state, the bytes
//! to write, what happened, and when to wake it (the ACK timer, [`ACK_TIMEOUT_MS`], while a
//! frame waits for the device's ACK).
//!
//! Models, by the `device` name: `tracer` (the host side of the INI/TRC handshake: shapes come
//! in) and `edger` (jobs go out); a `/crc5` suffix zero-pads the CRC of frames sent to 5 digits.
//!
//! The state is JSON, `{"v":1,"model":"tracer","session":{…}}`: `v` is [`STATE_VERSION`], and a
//! state of another version, of another model, or that does not parse is an error saying so.
//! Byte buffers in it (a frame begun, a frame in flight) are strings, one character per byte.
//!
//! ```
//! use dcs_driver::device_link;
//! use dcs_driver::frame::{CrcStyle, encode};
//!
//! let step = device_link::open("tracer").unwrap();
//! let ini = encode(b"REQ=INI\r\nTRCFMT=1;400;E;B;F\r\n", CrcStyle::Plain);
//! let step = device_link::feed("tracer", &step.state, &ini[..9]).unwrap();
//! assert!(step.send.is_empty(), "half a frame: nothing yet");
//! let step = device_link::feed("tracer", &step.state, &ini[9..]).unwrap();
//! assert_eq!(step.send[0], dcs_driver::frame::ACK);
//! assert_eq!(step.wake_after_ms, Some(device_link::ACK_TIMEOUT_MS), "ANS=INI waits for its ACK");
//! ```

use std::fmt;
use std::str::FromStr;

use ils_plugin_sdk::{DeviceStep, Happening, ShapeSource, ShapesSent, Side, TracedShape};
use serde::{Deserialize, Serialize};

use crate::edger::{EdgerAction, EdgerEvent, EdgerSession};
use crate::error::{Error, ErrorKind, Result};
use crate::frame::{CrcStyle, LinkConfig};
use crate::session::{Action, DeviceInfo, SessionConfig, SessionEvent, TracerSession};
use crate::trace::{Trace, TraceSide, TraceSource};

/// The version of the state this driver writes and reads.
pub const STATE_VERSION: u32 = 1;

/// How long the host waits for the device's ACK of a frame before the session resends it.
pub const ACK_TIMEOUT_MS: u32 = 3_000;

/// What a device does in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A tracer: it asks to send shapes (INI, TRC), the host answers.
    Tracer,
    /// An edger: the host sends it jobs.
    Edger,
}

/// A device model: its role and how frames sent to it write their CRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Model {
    /// What the device does.
    pub role: Role,
    /// How frames sent to it write their CRC (`/crc5`: zero-padded).
    pub crc: CrcStyle,
}

impl Model {
    /// Every model, by name.
    pub const ALL: [Model; 4] = [
        Model { role: Role::Tracer, crc: CrcStyle::Plain },
        Model { role: Role::Tracer, crc: CrcStyle::Padded },
        Model { role: Role::Edger, crc: CrcStyle::Plain },
        Model { role: Role::Edger, crc: CrcStyle::Padded },
    ];

    /// The model's name: `tracer`, `tracer/crc5`, `edger`, `edger/crc5`.
    pub fn name(self) -> &'static str {
        match (self.role, self.crc) {
            (Role::Tracer, CrcStyle::Plain) => "tracer",
            (Role::Tracer, CrcStyle::Padded) => "tracer/crc5",
            (Role::Edger, CrcStyle::Plain) => "edger",
            (Role::Edger, CrcStyle::Padded) => "edger/crc5",
        }
    }

    /// The names of every model, for an error message.
    pub fn known() -> String {
        let names: Vec<String> = Self::ALL.iter().map(|m| format!("`{}`", m.name())).collect();
        names.join(", ")
    }

    fn link(self) -> LinkConfig {
        LinkConfig { crc_style: self.crc, ..LinkConfig::default() }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Model {
    type Err = Error;
    fn from_str(device: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == device)
            .ok_or_else(|| Error::new(ErrorKind::UnknownModel(device.to_string())))
    }
}

impl TryFrom<String> for Model {
    type Error = Error;
    fn try_from(name: String) -> Result<Self> {
        name.parse()
    }
}

impl From<Model> for String {
    fn from(model: Model) -> Self {
        model.name().to_string()
    }
}

/// A session of either role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Session {
    Tracer(TracerSession),
    Edger(EdgerSession),
}

impl Session {
    fn awaiting_ack(&self) -> bool {
        match self {
            Session::Tracer(s) => s.awaiting_ack(),
            Session::Edger(s) => s.awaiting_ack(),
        }
    }
}

/// The state as stored: version, model, session.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    v: u32,
    model: Model,
    session: Session,
}

/// Only the version, read first so that a state of another version is named as such.
#[derive(Deserialize)]
struct Version {
    v: u32,
}

fn state_error(message: String) -> Error {
    Error::new(ErrorKind::State(message))
}

impl Stored {
    fn open(model: Model) -> Self {
        let session = match model.role {
            Role::Tracer => Session::Tracer(TracerSession::new(SessionConfig {
                link: model.link(),
                ..SessionConfig::default()
            })),
            Role::Edger => Session::Edger(EdgerSession::new(model.link())),
        };
        Self { v: STATE_VERSION, model, session }
    }

    /// The state of a session of `model`.
    fn load(model: Model, state: &[u8]) -> Result<Self> {
        let Version { v } = serde_json::from_slice(state)
            .map_err(|e| state_error(format!("not a DCS session state (JSON with its version `v`): {e}")))?;
        if v != STATE_VERSION {
            return Err(state_error(format!(
                "version {v}, but this driver reads version {STATE_VERSION}: open a new session"
            )));
        }
        let stored: Stored = serde_json::from_slice(state)
            .map_err(|e| state_error(format!("version {v} does not parse: {e}")))?;
        if stored.model != model {
            return Err(state_error(format!(
                "made by a `{}` session, but the device is `{model}`",
                stored.model
            )));
        }
        Ok(stored)
    }

    fn step(&self, send: Vec<u8>, happenings: Vec<Happening>) -> Result<DeviceStep> {
        let state = serde_json::to_vec(self).map_err(|e| state_error(format!("not written: {e}")))?;
        let wake_after_ms = self.session.awaiting_ack().then_some(ACK_TIMEOUT_MS);
        Ok(DeviceStep { state, send, happenings, wake_after_ms })
    }

    /// Runs one step of the session and returns it.
    fn run(
        mut self,
        tracer: impl FnOnce(&mut TracerSession) -> Result<Vec<Action>>,
        edger: impl FnOnce(&mut EdgerSession) -> Result<Vec<EdgerAction>>,
    ) -> Result<DeviceStep> {
        let (send, happenings) = match &mut self.session {
            Session::Tracer(s) => tracer_happenings(tracer(s)?),
            Session::Edger(s) => edger_happenings(edger(s)?),
        };
        self.step(send, happenings)
    }
}

/// Starts a session with a device that has just connected: nothing to send, the device starts.
pub fn open(device: &str) -> Result<DeviceStep> {
    Stored::open(device.parse()?).step(Vec::new(), Vec::new())
}

/// Feeds bytes the device sent, as they arrived, to the session in `state`.
pub fn feed(device: &str, state: &[u8], bytes: &[u8]) -> Result<DeviceStep> {
    Stored::load(device.parse()?, state)?.run(|s| Ok(s.on_bytes(bytes)), |s| Ok(s.on_bytes(bytes)))
}

/// The ACK timer ran out: resends the frame waiting for its ACK, or gives up on it.
pub fn wake(device: &str, state: &[u8]) -> Result<DeviceStep> {
    Stored::load(device.parse()?, state)?.run(|s| Ok(s.on_timeout()), |s| Ok(s.on_timeout()))
}

/// Sends a job (JSON, see [`crate::job`]) to the edger of the session in `state`.
pub fn send_job(device: &str, state: &[u8], job_json: &str) -> Result<DeviceStep> {
    Stored::load(device.parse()?, state)?.run(
        |_| {
            Err(Error::new(ErrorKind::Session(format!(
                "a tracer takes no jobs: send them to an `edger` (`{device}` is a tracer)"
            ))))
        },
        |s| s.send_job(job_json),
    )
}

fn tracer_happenings(actions: Vec<Action>) -> (Vec<u8>, Vec<Happening>) {
    let mut send = Vec::new();
    let mut happenings = Vec::new();
    for action in actions {
        let event = match action {
            Action::Send(bytes) => {
                send.extend(bytes);
                continue;
            }
            Action::Event(event) => event,
        };
        let happening = match event {
            SessionEvent::Initialised { device, trcfmt } => Happening::Note(format!(
                "tracer identified: {}; TRCFMT={}",
                identity(&device),
                trcfmt.join(";")
            )),
            SessionEvent::TraceRequested { job } => {
                Happening::Note(format!("tracer asks to send the shape of job {job}"))
            }
            SessionEvent::ShapeReceived { job, traces } => Happening::Shapes(ShapesSent {
                job,
                shapes: traces.iter().map(traced_shape).collect(),
                dbl: None,
            }),
            SessionEvent::DblReceived { job, dbl } => {
                // It follows its shapes, which carry it.
                if let Some(Happening::Shapes(shapes)) = happenings.last_mut()
                    && shapes.job == job
                {
                    shapes.dbl = Some(dbl);
                }
                continue;
            }
            SessionEvent::Refused(e) => Happening::Note(format!("tracer message refused: {e}")),
            SessionEvent::FrameRejected(e) => {
                Happening::Note(format!("damaged frame from the tracer NAKed: {e}"))
            }
            SessionEvent::LinkLost { attempts } => Happening::Note(format!(
                "the tracer never acknowledged a frame sent {attempts} times; it was dropped"
            )),
        };
        happenings.push(happening);
    }
    (send, happenings)
}

fn identity(device: &DeviceInfo) -> String {
    let parts: Vec<String> = [("DEV", &device.dev), ("VEN", &device.ven), ("MODEL", &device.model)]
        .into_iter()
        .filter_map(|(label, value)| value.as_ref().map(|v| format!("{label}={v}")))
        .collect();
    if parts.is_empty() { "no DEV, VEN or MODEL".to_string() } else { parts.join(", ") }
}

fn traced_shape(trace: &Trace) -> TracedShape {
    TracedShape {
        side: match trace.side() {
            TraceSide::Right => Side::Right,
            TraceSide::Left => Side::Left,
            TraceSide::Both => Side::Both,
        },
        source: match trace.source() {
            TraceSource::Frame => ShapeSource::Frame,
            TraceSource::Pattern => ShapeSource::Pattern,
            TraceSource::DemoLens => ShapeSource::DemoLens,
        },
        // TRCFMT 1 gives radii in 1/100 mm and angles in 1/100 degree, as the record does.
        radii: trace.radii().to_vec(),
        angles: trace.angles().map(<[u32]>::to_vec).unwrap_or_default(),
    }
}

fn edger_happenings(actions: Vec<EdgerAction>) -> (Vec<u8>, Vec<Happening>) {
    let mut send = Vec::new();
    let mut happenings = Vec::new();
    for action in actions {
        let happening = match action {
            EdgerAction::Send(bytes) => {
                send.extend(bytes);
                continue;
            }
            EdgerAction::Event(EdgerEvent::Delivered { job }) => Happening::JobDelivered(job),
            EdgerAction::Event(EdgerEvent::Failed { job, attempts, naks, timeouts }) => {
                let reason = format!(
                    "the edger did not acknowledge it after {attempts} sends ({}, {})",
                    count(naks, "NAK"),
                    count(timeouts, "timeout")
                );
                Happening::JobFailed(job, reason)
            }
            EdgerAction::Event(EdgerEvent::MessageIgnored(records)) => {
                Happening::Note(format!("edger sent a message, not acted on: {records}"))
            }
            EdgerAction::Event(EdgerEvent::FrameRejected(e)) => {
                Happening::Note(format!("damaged frame from the edger NAKed: {e}"))
            }
        };
        happenings.push(happening);
    }
    (send, happenings)
}

fn count(n: u8, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_named_exactly() {
        for model in Model::ALL {
            assert_eq!(model.name().parse::<Model>().unwrap(), model);
        }
        let err = "tracer/records".parse::<Model>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown device model \"tracer/records\": the DCS driver runs `tracer`, `tracer/crc5`, `edger`, `edger/crc5`"
        );
        assert!("Tracer".parse::<Model>().is_err(), "names are lower case");
    }

    #[test]
    fn a_fresh_state_is_versioned_json_naming_its_model() {
        let step = open("edger/crc5").unwrap();
        let json: serde_json::Value = serde_json::from_slice(&step.state).unwrap();
        assert_eq!(json["v"], 1);
        assert_eq!(json["model"], "edger/crc5");
        assert_eq!(json["session"]["edger"]["link"]["config"]["crc_style"], "padded");
        assert_eq!((step.send.len(), step.happenings.len(), step.wake_after_ms), (0, 0, None));
    }

    #[test]
    fn notes_name_the_device_and_counts_read_as_english() {
        let device = DeviceInfo { dev: Some("TRC".into()), ven: None, model: Some("LT-1000".into()) };
        assert_eq!(identity(&device), "DEV=TRC, MODEL=LT-1000");
        assert_eq!(identity(&DeviceInfo::default()), "no DEV, VEN or MODEL");
        assert_eq!((count(1, "NAK"), count(0, "timeout")), ("1 NAK".into(), "0 timeouts".into()));
    }
}
