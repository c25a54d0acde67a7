//! Each patient's GOS facts, stored in kv under `facts/{patient id}`.

use ils_plugin_sdk::host::kv;

use crate::eligibility::PatientFacts;
use crate::error::ApiError;

/// Checks a patient id from a route or body: what ILS ids look like, nothing that could escape
/// the kv key space.
pub fn patient_key(id: &str) -> Result<String, ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(format!("facts/{id}"))
    } else {
        Err(ApiError::Invalid(format!("{:?} is not a patient id", id.chars().take(70).collect::<String>())))
    }
}

/// The stored facts, if any.
pub fn get(patient_id: &str) -> Result<Option<PatientFacts>, ApiError> {
    match kv::get(&patient_key(patient_id)?)? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ApiError::Internal(format!("stored facts of {patient_id} are unreadable: {e}"))),
        None => Ok(None),
    }
}

/// Stores the facts.
pub fn put(patient_id: &str, facts: &PatientFacts) -> Result<(), ApiError> {
    let bytes = serde_json::to_vec(facts).map_err(|e| ApiError::Internal(e.to_string()))?;
    kv::set(&patient_key(patient_id)?, &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_ids_cannot_escape_their_key() {
        assert_eq!(patient_key("p-1").unwrap(), "facts/p-1");
        for bad in ["", "../x", "a/b", "a b", &"x".repeat(65)] {
            assert!(patient_key(bad).is_err(), "{bad}");
        }
    }
}
