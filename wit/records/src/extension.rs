//! Inputs and outputs of the extension points a plugin exports (`extensions.wit`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A domain event delivered to a plugin that subscribed to its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The same on every redelivery, so a plugin can make handling idempotent.
    pub id: String,
    /// The event kind, such as `order.created` or `order.status_changed`.
    pub kind: String,
    /// When the change happened, in milliseconds since the Unix epoch.
    pub occurred_at_ms: i64,
    /// The JSON payload, as text.
    pub payload: String,
}

impl Event {
    /// The payload as a typed value (declare only the fields you need).
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}

/// Which eye a measurement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Right eye (OD).
    Right,
    /// Left eye (OS).
    Left,
    /// Both, or not eye specific (a binocular PD, a frame's box).
    Both,
}

/// One value an equipment driver read from a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// What was measured, such as `sphere`, `axis`, `pd` or a driver's `final.sphere`.
    pub name: String,
    /// The value, in `unit`.
    pub value: f64,
    /// Such as `D`, `deg`, `mm` or `mmHg`.
    pub unit: String,
    /// The eye it belongs to.
    pub side: Side,
}

/// A format a report can be rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// Comma-separated values (`text/csv`).
    Csv,
    /// An HTML page.
    Html,
    /// A PDF document.
    Pdf,
}

/// A report a plugin offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportInfo {
    /// Stable; names the report when rendering it.
    pub id: String,
    /// Shown to users.
    pub title: String,
    /// One sentence on what it shows.
    pub description: String,
    /// The formats it can be rendered in.
    pub formats: Vec<ReportFormat>,
    /// ILS roles that may list and render it (`company_admin`, `lab_tech`…); empty for every
    /// role. Platform 0.1.0 plugins cannot say, and their reports are for company admins.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The JSON Schema (2020-12) of its parameters; the host checks them before `render`.
    /// None: it takes no parameters beyond an optional `period`.
    #[serde(default)]
    pub params_schema: Option<String>,
    /// Whether the host may render it on a schedule and e-mail it.
    #[serde(default)]
    pub schedulable: bool,
}

impl ReportInfo {
    /// A report with no role restriction, no parameter schema and no schedule.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        description: impl Into<String>,
        formats: Vec<ReportFormat>,
    ) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            description: description.into(),
            formats,
            roles: Vec::new(),
            params_schema: None,
            schedulable: false,
        }
    }
}

/// What rendering a report produced: the bytes, or a file the plugin stored (large reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportOutput {
    /// The report itself.
    Inline(RenderedReport),
    /// The id of a file the plugin stored in the tenant's file store.
    Stored(String),
}

/// A rendered report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedReport {
    /// Its media type, such as `text/csv`.
    pub content_type: String,
    /// A suggested file name.
    pub file_name: String,
    /// The report's bytes, in `content_type`.
    pub body: Vec<u8>,
}

/// One suggestion from a recommender, with the reason for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// What is suggested: an item id, an SKU, a lens design, a station…
    pub subject: String,
    /// A short title, such as `1.67 aspheric single vision`.
    pub title: String,
    /// How strongly, from 0.0 to 1.0.
    pub score: f32,
    /// Why, in words a practice user understands, with the numbers.
    pub explanation: String,
    /// The numbers behind it.
    #[serde(default)]
    pub figures: Vec<Figure>,
    /// What accepting it does, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ProposedAction>,
}

/// A number behind a recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// What it is, such as `centre thickness`.
    pub name: String,
    /// Its value.
    pub value: f64,
    /// Its unit (`mm`, `units`, `days`, `%`), empty for a plain number.
    pub unit: String,
}

impl Figure {
    /// A figure named `name` of `value` in `unit`.
    pub fn new(name: impl Into<String>, value: f64, unit: impl Into<String>) -> Self {
        Self { name: name.into(), value, unit: unit.into() }
    }
}

/// What a person can do with a recommendation in one step. The host carries it out only when a
/// person accepts it, as that person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProposedAction {
    /// Create this draft purchase order (it stays a draft until someone approves it).
    DraftPurchaseOrder(DraftPurchaseOrder),
}

/// A proposed draft purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftPurchaseOrder {
    /// The supplier's id.
    pub supplier_id: String,
    /// The location to deliver to.
    pub location_id: String,
    /// The lines.
    pub lines: Vec<PurchaseLine>,
}

/// One line of a proposed purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseLine {
    /// The item's id.
    pub item_id: String,
    /// Units to order.
    pub quantity: i64,
}

/// How far a long invocation has got (`ils:platform/progress`, 0.2.0).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Steps done.
    pub done: u32,
    /// Steps in all.
    pub total: u32,
    /// What is being done.
    pub note: String,
}

/// A text message for a patient, as an `sms` provider gets it (platform 0.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    /// The number in E.164 form, such as `+447700900123`.
    pub to: String,
    /// The words, at most [`SmsMessage::MAX_BODY`] characters.
    pub body: String,
    /// The same on every attempt of one message: the gateway's idempotency key.
    pub reference: String,
}

impl SmsMessage {
    /// The longest body a provider is given: four GSM-7 segments of 153 characters.
    pub const MAX_BODY: usize = 612;
}

/// Why an `sms` provider did not send a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmsError {
    /// The gateway refused it (a bad number, a blocked sender): sending again will not help.
    Rejected(String),
    /// The gateway could not be reached or asked to wait: try again later.
    Unavailable(String),
}

/// A recall advisor's period for a patient's next sight test (platform 0.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecallAdvice {
    /// Months from the examination.
    pub months: u8,
    /// The rule it follows, in words.
    pub reason: String,
}
