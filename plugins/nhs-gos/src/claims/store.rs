//! Claims in kv: `claims/{id}` holds one claim as JSON, `claim-seq` the last id handed out,
//! `claim-for/{examination|order}/{id}` the claim proposed for a record (so an event delivered
//! twice proposes once).

use ils_plugin_sdk::host::kv;

use crate::claims::{Claim, ClaimId};
use crate::error::ApiError;

const PREFIX: &str = "claims/";
/// The most claims one listing reads (the host caps a kv listing; see the README).
pub const LIST_LIMIT: u32 = 1000;

fn key(id: &ClaimId) -> String {
    format!("{PREFIX}{id}")
}

/// The next claim id.
pub fn next_id() -> Result<ClaimId, ApiError> {
    let last = kv::get("claim-seq")?
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    let next = last.saturating_add(1);
    kv::set("claim-seq", next.to_string().as_bytes())?;
    Ok(ClaimId::from_seq(next))
}

/// One claim.
pub fn get(id: &ClaimId) -> Result<Claim, ApiError> {
    let bytes = kv::get(&key(id))?.ok_or_else(|| ApiError::NotFound(format!("no claim {id}")))?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::Internal(format!("claim {id} is unreadable: {e}")))
}

/// Stores a claim.
pub fn put(claim: &Claim) -> Result<(), ApiError> {
    let bytes = serde_json::to_vec(claim).map_err(|e| ApiError::Internal(e.to_string()))?;
    kv::set(&key(&claim.id), &bytes)?;
    Ok(())
}

/// Deletes a claim.
pub fn delete(id: &ClaimId) -> Result<(), ApiError> {
    kv::delete(&key(id))?;
    Ok(())
}

/// Every claim, oldest first (at most [`LIST_LIMIT`]).
pub fn all() -> Result<Vec<Claim>, ApiError> {
    let mut out = Vec::new();
    for k in kv::list_keys(PREFIX, LIST_LIMIT)? {
        let Some(id) = k.strip_prefix(PREFIX).and_then(ClaimId::parse) else { continue };
        out.push(get(&id)?);
    }
    Ok(out)
}

/// The claim proposed for a record (`examination/e-1`), if any.
pub fn proposed_for(record: &str) -> Result<Option<ClaimId>, ApiError> {
    Ok(kv::get(&format!("claim-for/{record}"))?
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| ClaimId::parse(&s)))
}

/// Remembers the claim proposed for a record.
pub fn remember_proposal(record: &str, id: &ClaimId) -> Result<(), ApiError> {
    kv::set(&format!("claim-for/{record}"), id.as_str().as_bytes())?;
    Ok(())
}
