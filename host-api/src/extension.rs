//! Inputs and outputs of the extension points, independent of WIT versions.

/// An event delivered to a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stable id (the same on redelivery).
    pub id: String,
    /// Kind, such as `order.created`.
    pub kind: String,
    /// When it happened, ms since the epoch.
    pub occurred_at_ms: i64,
    /// JSON payload.
    pub payload: String,
}

/// Which eye a measurement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Right.
    Right,
    /// Left.
    Left,
    /// Both or neither.
    Both,
}

/// A value decoded from device output.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// What was measured.
    pub name: String,
    /// Value.
    pub value: f64,
    /// Unit.
    pub unit: String,
    /// Eye.
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

/// A report a plugin offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportInfo {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Formats.
    pub formats: Vec<ReportFormat>,
}

/// A rendered report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedReport {
    /// Media type.
    pub content_type: String,
    /// Suggested file name.
    pub file_name: String,
    /// Content.
    pub body: Vec<u8>,
}

/// A recommendation.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// What is suggested.
    pub subject: String,
    /// Strength, 0 to 1.
    pub score: f32,
    /// Why.
    pub explanation: String,
}
