//! Inputs and outputs of `device-link` (platform 0.3): a capture read with what was skipped, and
//! the steps of a live device session whose state the host keeps.

use serde::{Deserialize, Serialize};

use crate::extension::{Measurement, Side};

/// What a capture held: every value the driver could read, and a line for each part it could not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceReading {
    /// The values, in the order the device sent them, named `{stage}.{what}` (`final.sphere`,
    /// `objective.pd`, `working_distance`).
    pub measurements: Vec<Measurement>,
    /// What was skipped and why (`line 7: unknown code "XY", skipped`).
    pub warnings: Vec<String>,
}

/// What a tracer traced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShapeSource {
    /// The frame's rim.
    Frame,
    /// A pattern.
    Pattern,
    /// The frame's demo lens.
    DemoLens,
}

/// A traced shape: radii in hundredths of a millimetre, equiangular or at `angles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracedShape {
    /// The eye; [`Side::Both`] for one shape mirrored for the left.
    pub side: Side,
    /// What was traced.
    pub source: ShapeSource,
    /// Radii, hundredths of a millimetre.
    pub radii: Vec<u32>,
    /// Angles, hundredths of a degree; empty for an equiangular shape.
    pub angles: Vec<u32>,
}

/// Shapes a tracer sent for a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapesSent {
    /// The job number as the device sent it (the lab's order number).
    pub job: String,
    /// One shape for both eyes, or one per eye.
    pub shapes: Vec<TracedShape>,
    /// The distance between lenses, hundredths of a millimetre, when sent.
    pub dbl: Option<u32>,
}

/// Something a session step made happen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Happening {
    /// A tracer's shapes, for the order the job names.
    Shapes(ShapesSent),
    /// A refractor's or lensmeter's values.
    Reading(DeviceReading),
    /// The device acknowledged the job it was sent; the job number.
    JobDelivered(String),
    /// The device never acknowledged a job after every retry: the job number and why.
    JobFailed(String, String),
    /// For the device's log.
    Note(String),
}

/// A session after one step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceStep {
    /// The session's state, opaque to the host.
    pub state: Vec<u8>,
    /// Bytes to write to the device, in order.
    pub send: Vec<u8>,
    /// What happened.
    pub happenings: Vec<Happening>,
    /// Wake the session after this many milliseconds unless bytes arrive first.
    pub wake_after_ms: Option<u32>,
}
