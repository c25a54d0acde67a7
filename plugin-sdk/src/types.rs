//! Inputs and outputs of the extension points, and typed events.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::Error;

/// An event the plugin subscribed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stable id: the same on redelivery (use it to make handling idempotent).
    pub id: String,
    /// Kind, such as `order.created`.
    pub kind: String,
    /// When it happened, ms since the Unix epoch.
    pub occurred_at_ms: i64,
    /// The JSON payload.
    pub payload: String,
}

impl Event {
    /// The payload as a typed value, such as [`OrderEvent`].
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        Ok(serde_json::from_str(&self.payload)?)
    }
}

/// The payload of `order.*` events.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderEvent {
    /// The order's id.
    pub order_id: String,
    /// Its reference (ILS: the job number, `number`), when the event carries it.
    #[serde(default, alias = "number")]
    pub reference: Option<String>,
    /// Its status after the change (ILS: `to` of `order.status_changed`), when the event
    /// carries it.
    #[serde(default, alias = "to")]
    pub status: Option<String>,
}

/// An HTTP request to one of the plugin's routes (path relative to the plugin's mount point).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// `GET`, `POST`…
    pub method: String,
    /// Path and query, such as `/summary?days=7`.
    pub path: String,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The path without the query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or("/")
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response with status 200.
    pub fn json(value: &impl serde::Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => {
                Self { status: 200, headers: vec![("content-type".into(), "application/json".into())], body }
            }
            Err(e) => Self::text(500, &format!("serialization failed: {e}")),
        }
    }

    /// A plain-text response.
    pub fn text(status: u16, text: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: text.as_bytes().to_vec(),
        }
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::text(404, "not found")
    }
}

/// Which eye a measurement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Right (OD).
    Right,
    /// Left (OS).
    Left,
    /// Both, or not eye specific.
    Both,
}

/// A value decoded from device output.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// What was measured.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Its unit.
    pub unit: String,
    /// The eye.
    pub side: Side,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// CSV.
    Csv,
    /// HTML.
    Html,
    /// PDF.
    Pdf,
}

/// A report the plugin offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportInfo {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// One sentence.
    pub description: String,
    /// Formats.
    pub formats: Vec<ReportFormat>,
}

/// A rendered report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedReport {
    /// Media type.
    pub content_type: String,
    /// File name.
    pub file_name: String,
    /// Content.
    pub body: Vec<u8>,
}

/// A recommendation, with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// What is suggested.
    pub subject: String,
    /// 0 to 1.
    pub score: f32,
    /// Why.
    pub explanation: String,
}
