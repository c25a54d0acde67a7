//! Patient ids, and each patient's GOS facts, stored in kv under `facts/{patient id}`.

use std::fmt;

use ils_plugin_sdk::host::kv;
use serde::{Deserialize, Serialize};

use crate::eligibility::PatientFacts;
use crate::error::ApiError;

/// A patient's id in ILS: 1–64 letters, digits, `-` or `_` (what ILS ids look like, and nothing
/// that could escape a kv key).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PatientId(String);

impl PatientId {
    /// Parses an id from a route or a body.
    pub fn parse(id: &str) -> Result<Self, ApiError> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(id.to_string()))
        } else {
            Err(ApiError::Invalid(format!(
                "{:?} is not a patient id",
                id.chars().take(70).collect::<String>()
            )))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PatientId {
    type Error = String;
    fn try_from(id: String) -> Result<Self, String> {
        Self::parse(&id).map_err(|e| e.to_string())
    }
}

impl From<PatientId> for String {
    fn from(id: PatientId) -> String {
        id.0
    }
}

fn key(id: &PatientId) -> String {
    format!("facts/{id}")
}

/// The stored facts, if any.
pub fn get(id: &PatientId) -> Result<Option<PatientFacts>, ApiError> {
    match kv::get(&key(id))? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ApiError::Internal(format!("stored facts of {id} are unreadable: {e}"))),
        None => Ok(None),
    }
}

/// Stores the facts.
pub fn put(id: &PatientId, facts: &PatientFacts) -> Result<(), ApiError> {
    let bytes = serde_json::to_vec(facts).map_err(|e| ApiError::Internal(e.to_string()))?;
    kv::set(&key(id), &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_ids_cannot_escape_their_key() {
        assert_eq!(key(&PatientId::parse("p-1").unwrap()), "facts/p-1");
        for bad in ["", "../x", "a/b", "a b", "é", &"x".repeat(65)] {
            assert!(PatientId::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<PatientId>(r#""a/b""#).is_err());
    }
}
