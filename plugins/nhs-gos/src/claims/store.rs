//! Claims in kv.
//!
//! - `claims/{id}`: one claim as JSON (the record of truth).
//! - `claim-seq`: the last id handed out.
//! - `idx/status/{status}/{id}` and `idx/month/{YYYY-MM}/{id}`: indexes, so listing drafts or
//!   summarising a month reads only those claims (the host caps one key listing at
//!   [`LIST_LIMIT`]; a practice makes far fewer GOS claims a month). kv has no transactions, so
//!   an index entry can outlive a change: every read through an index re-checks the claim.
//! - `claim-for/{examination|order}/{id}`: the claim proposed for a record (so an event
//!   delivered twice proposes once).

use ils_plugin_sdk::host::kv;

use crate::claims::{Claim, ClaimId, Status};
use crate::error::ApiError;

const PREFIX: &str = "claims/";
/// The most keys one listing reads.
pub const LIST_LIMIT: u32 = 1000;

fn key(id: &ClaimId) -> String {
    format!("{PREFIX}{id}")
}

fn status_index(status: Status, id: &ClaimId) -> String {
    format!("idx/status/{}/{id}", status.code())
}

/// The month a claim is filed under: its service date's, else its creation's.
pub fn month_of(claim: &Claim) -> String {
    claim.fields.service_date().unwrap_or(claim.created_on).month_key()
}

fn month_index(month: &str, id: &ClaimId) -> String {
    format!("idx/month/{month}/{id}")
}

/// The next free claim id: the sequence moves on with compare-and-set, so two invocations
/// racing never get the same id (the loser reads the new value and tries again); an id that
/// already holds a claim (a sequence restored from an older copy) is skipped, never overwritten.
pub fn next_id() -> Result<ClaimId, ApiError> {
    loop {
        let current = kv::get("claim-seq")?;
        let n = current
            .as_deref()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
            .saturating_add(1);
        if kv::compare_and_set("claim-seq", current.as_deref(), Some(n.to_string().as_bytes()))? {
            let id = ClaimId::from_seq(n);
            if kv::get(&key(&id))?.is_none() || n == u64::MAX {
                return Ok(id);
            }
        }
    }
}

fn read(id: &ClaimId) -> Result<Option<Claim>, ApiError> {
    match kv::get(&key(id))? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ApiError::Internal(format!("claim {id} is unreadable: {e}"))),
        None => Ok(None),
    }
}

/// One claim.
pub fn get(id: &ClaimId) -> Result<Claim, ApiError> {
    read(id)?.ok_or_else(|| ApiError::NotFound(format!("no claim {id}")))
}

/// Stores a claim and moves its index entries.
pub fn put(claim: &Claim) -> Result<(), ApiError> {
    let old = read(&claim.id)?;
    let bytes = serde_json::to_vec(claim).map_err(|e| ApiError::Internal(e.to_string()))?;
    kv::set(&key(&claim.id), &bytes)?;
    let (status, month) = (status_index(claim.status, &claim.id), month_index(&month_of(claim), &claim.id));
    kv::set(&status, b"")?;
    kv::set(&month, b"")?;
    if let Some(old) = old {
        for stale in [status_index(old.status, &old.id), month_index(&month_of(&old), &old.id)] {
            if stale != status && stale != month {
                kv::delete(&stale)?;
            }
        }
    }
    Ok(())
}

/// Deletes a claim and its index entries.
pub fn delete(claim: &Claim) -> Result<(), ApiError> {
    kv::delete(&key(&claim.id))?;
    kv::delete(&status_index(claim.status, &claim.id))?;
    kv::delete(&month_index(&month_of(claim), &claim.id))?;
    Ok(())
}

fn ids_under(prefix: &str) -> Result<Vec<ClaimId>, ApiError> {
    Ok(kv::list_keys(prefix, LIST_LIMIT)?
        .iter()
        .filter_map(|k| k.strip_prefix(prefix).and_then(ClaimId::parse))
        .collect())
}

fn load(ids: Vec<ClaimId>, keep: impl Fn(&Claim) -> bool) -> Result<Vec<Claim>, ApiError> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(c) = read(&id)?
            && keep(&c)
        {
            out.push(c);
        }
    }
    Ok(out)
}

/// Every claim, oldest first (at most [`LIST_LIMIT`]; filter by status or month for more).
pub fn all() -> Result<Vec<Claim>, ApiError> {
    load(ids_under(PREFIX)?, |_| true)
}

/// The claims with `status`.
pub fn with_status(status: Status) -> Result<Vec<Claim>, ApiError> {
    load(ids_under(&format!("idx/status/{}/", status.code()))?, |c| c.status == status)
}

/// The claims filed under `month` (`YYYY-MM`).
pub fn in_month(month: &str) -> Result<Vec<Claim>, ApiError> {
    load(ids_under(&format!("idx/month/{month}/"))?, |c| month_of(c) == month)
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
