//! Events a plugin publishes (`ils:platform/events`).

use serde::{Deserialize, Serialize};

/// An event a plugin published, as the host hands it to the embedder, which stores it with the
/// invocation's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedEvent {
    /// `plugin.<plugin-id>.<kind>`: the host prefixes the kind the plugin gave.
    pub kind: String,
    /// The payload, checked to be JSON.
    pub payload: serde_json::Value,
}
