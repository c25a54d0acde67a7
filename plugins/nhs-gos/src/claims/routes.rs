//! Claim routes: CRUD, transitions, checks, proposals and the monthly summary.

use ils_plugin_sdk::{Request, Response};

use crate::api::{self, body, caller_id, json, query};
use crate::claims::checks::{self, Outcome};
use crate::claims::{
    Change, Claim, ClaimFields, ClaimId, Form, Status, Transition, prefill, refuse_move, store, summary,
};
use crate::date::{Date, today};
use crate::error::ApiError;
use crate::facts::{self, PatientId};
use crate::values;

/// The most claims one listing returns; narrow it with `month`, `status`, `form`, `patient_id`.
pub const PAGE: usize = 200;

fn id_of(text: &str) -> Result<ClaimId, ApiError> {
    ClaimId::parse(text).ok_or_else(|| {
        ApiError::NotFound(format!("no claim {:?}", text.chars().take(20).collect::<String>()))
    })
}

/// Routes under `/claims`; `rest` is the path after it.
pub fn route(method: &str, rest: &[&str], request: &Request) -> Result<Response, ApiError> {
    match (method, rest) {
        ("GET", []) => list(request),
        ("POST", []) => create(request),
        ("GET", [id]) => Ok(json(200, &store::get(&id_of(id)?)?)),
        ("PATCH", [id]) => edit(&id_of(id)?, request),
        ("DELETE", [id]) => delete(&id_of(id)?),
        ("GET", [id, "checks"]) => dry_run(&id_of(id)?),
        ("POST", [id, "transitions"]) => {
            let t: Transition = body(request)?;
            Ok(json(200, &transition(&id_of(id)?, &t, &caller_id(), today())?))
        }
        (_, [] | [_] | [_, "checks" | "transitions"]) => {
            Err(ApiError::Method(format!("{method} is not allowed here")))
        }
        _ => Err(ApiError::NotFound("no such claim route".into())),
    }
}

fn list(request: &Request) -> Result<Response, ApiError> {
    let status = match query(request, "status") {
        Some(s) => Some(
            Status::ALL
                .into_iter()
                .find(|x| x.code() == s)
                .ok_or_else(|| ApiError::Invalid(format!("unknown status {s:?}")))?,
        ),
        None => None,
    };
    let form = match query(request, "form") {
        Some(f) => Some(
            Form::ALL
                .into_iter()
                .find(|x| x.code() == f)
                .ok_or_else(|| ApiError::Invalid(format!("unknown form {f:?}")))?,
        ),
        None => None,
    };
    let patient = query(request, "patient_id");
    let month = query(request, "month").map(month_of).transpose()?;
    let source = match (status, &month) {
        (_, Some(m)) => store::in_month(m)?,
        (Some(s), None) => store::with_status(s)?,
        (None, None) => store::all()?,
    };
    let mut claims: Vec<Claim> = source
        .into_iter()
        .filter(|c| status.is_none_or(|s| c.status == s))
        .filter(|c| form.is_none_or(|f| c.fields.form == f))
        .filter(|c| patient.is_none_or(|p| c.fields.patient_id.as_ref().map(PatientId::as_str) == Some(p)))
        .collect();
    // ILS caps a plugin's response at 1 MiB: a page of claims fits, a year of them may not.
    let truncated = claims.len() > PAGE;
    claims.truncate(PAGE);
    Ok(json(200, &serde_json::json!({ "claims": claims, "truncated": truncated })))
}

/// Draft claims proposed by events.
pub fn proposals() -> Result<Response, ApiError> {
    let mut claims: Vec<Claim> =
        store::with_status(Status::Draft)?.into_iter().filter(|c| c.proposed_by.is_some()).collect();
    let truncated = claims.len() > PAGE;
    claims.truncate(PAGE);
    Ok(json(200, &serde_json::json!({ "proposals": claims, "truncated": truncated })))
}

/// `GET /summary?month=YYYY-MM` (this month when left out).
pub fn summary(request: &Request) -> Result<Response, ApiError> {
    let month = match query(request, "month") {
        Some(m) => month_of(m)?,
        None => today().month_key(),
    };
    Ok(json(200, &summary::summarise(&month, &store::in_month(&month)?)))
}

fn month_of(text: &str) -> Result<String, ApiError> {
    match Date::parse(&format!("{text}-01")) {
        Ok(d) if text.len() == 7 => Ok(d.month_key()),
        _ => Err(ApiError::Invalid(format!(
            "{:?} is not a month; write it as 2025-05",
            text.chars().take(20).collect::<String>()
        ))),
    }
}

fn check_patient(fields: &ClaimFields) -> Result<(), ApiError> {
    if let Some(p) = &fields.patient_id {
        api::date_of_birth(p).map_err(|e| match e {
            ApiError::NotFound(m) => ApiError::Invalid(m),
            other => other,
        })?;
    }
    Ok(())
}

/// Creates a draft claim, filling the contractor's and performer's numbers from the configuration.
pub fn new_draft(
    mut fields: ClaimFields,
    proposed_by: Option<String>,
    note: Option<String>,
    on: Date,
) -> Result<Claim, ApiError> {
    let config = api::config();
    if fields.contractor_number.is_none() {
        fields.contractor_number = config.contractor_number;
    }
    if fields.performer_number.is_none() && fields.form.is_sight_test() {
        fields.performer_number = config.performer_number;
    }
    fields.contractor_is_performer |= config.contractor_is_performer;
    let claim = Claim {
        id: store::next_id()?,
        status: Status::Draft,
        fields,
        created_on: on,
        proposed_by,
        proposal_note: note,
        value: None,
        submitted_on: None,
        rejection_reason: None,
        paid: None,
        resubmissions: 0,
        history: Vec::new(),
    };
    store::put(&claim)?;
    Ok(claim)
}

/// Fills a voucher claim's empty fields from its order and prescription in ILS; reads the order
/// only when something it gives is still empty. An unknown order or prescription is a mistake in
/// the request (400).
fn prefill_from_ils(fields: &mut ClaimFields) -> Result<(), ApiError> {
    if fields.form.is_sight_test() {
        return Ok(());
    }
    let not_found_is_invalid = |e| match e {
        ApiError::NotFound(m) => ApiError::Invalid(m),
        other => other,
    };
    let order = match &fields.order_id {
        Some(id)
            if fields.glasses.is_none()
                || fields.patient_id.is_none()
                || fields.prescription_id.is_none() =>
        {
            Some(prefill::read_order(id).map_err(not_found_is_invalid)?)
        }
        _ => None,
    };
    prefill::fill(fields, order.as_ref()).map_err(not_found_is_invalid)?;
    Ok(())
}

fn create(request: &Request) -> Result<Response, ApiError> {
    let mut fields: ClaimFields = body(request)?;
    prefill_from_ils(&mut fields)?;
    check_patient(&fields)?;
    Ok(json(201, &new_draft(fields, None, None, today())?))
}

fn edit(id: &ClaimId, request: &Request) -> Result<Response, ApiError> {
    let mut claim = store::get(id)?;
    if claim.status != Status::Draft {
        return Err(ApiError::Conflict(format!(
            "claim {id} is {} and cannot be edited; only a draft can (move a rejected or ready claim back to draft first)",
            claim.status.code()
        )));
    }
    let patch: serde_json::Value = body(request)?;
    let sets = |key: &str| patch.get(key).is_some_and(|v| !v.is_null());
    let sets_rx_date = sets("prescription_date");
    let mut current = serde_json::to_value(&claim.fields).map_err(|e| ApiError::Internal(e.to_string()))?;
    merge_patch(&mut current, patch);
    let mut fields: ClaimFields = serde_json::from_value(current)
        .map_err(|e| ApiError::Invalid(format!("the edited claim is not valid: {e}")))?;
    // Another prescription has its own date (powers stay: they may have been typed; send
    // `"glasses": null` to fill them again).
    if fields.prescription_id.is_some()
        && fields.prescription_id != claim.fields.prescription_id
        && !sets_rx_date
    {
        fields.prescription_date = None;
    }
    prefill_from_ils(&mut fields)?;
    check_patient(&fields)?;
    claim.fields = fields;
    store::put(&claim)?;
    Ok(json(200, &claim))
}

/// RFC 7396 JSON merge patch: objects merge, `null` removes, anything else replaces.
fn merge_patch(target: &mut serde_json::Value, patch: serde_json::Value) {
    match patch {
        serde_json::Value::Object(p) => {
            if !target.is_object() {
                *target = serde_json::Value::Object(serde_json::Map::new());
            }
            if let serde_json::Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(&k);
                    } else {
                        merge_patch(t.entry(k).or_insert(serde_json::Value::Null), v);
                    }
                }
            }
        }
        other => *target = other,
    }
}

fn delete(id: &ClaimId) -> Result<Response, ApiError> {
    let claim = store::get(id)?;
    if claim.status != Status::Draft {
        return Err(ApiError::Conflict(format!(
            "claim {id} is {}; only a draft can be deleted",
            claim.status.code()
        )));
    }
    store::delete(&claim)?;
    let mut r = Response::text(204, "");
    r.headers.clear();
    Ok(r)
}

/// Runs the checks with what ILS and kv know about the claim's patient and year.
pub fn run_checks(fields: &ClaimFields, on: Date) -> Result<Outcome, ApiError> {
    let born = match &fields.patient_id {
        Some(p) => match api::date_of_birth(p) {
            Ok(d) => Some(d),
            Err(ApiError::NotFound(_) | ApiError::Invalid(_)) => None,
            Err(other) => return Err(other),
        },
        None => None,
    };
    let facts = match &fields.patient_id {
        Some(p) if born.is_some() => facts::get(p)?.unwrap_or_default(),
        _ => Default::default(),
    };
    let table = match fields.service_date() {
        Some(d) => Some(values::table(d.financial_year())?),
        None => None,
    };
    Ok(checks::run(fields, &checks::Context { today: on, born, facts: &facts, values: table.as_ref() }))
}

fn dry_run(id: &ClaimId) -> Result<Response, ApiError> {
    let claim = store::get(id)?;
    let out = run_checks(&claim.fields, today())?;
    Ok(json(
        200,
        &serde_json::json!({
            "claim_id": id,
            "ok": out.problems.is_empty(),
            "problems": out.problems,
            "eligibility": out.eligibility,
            "value": out.value,
        }),
    ))
}

/// Moves a claim to `t.to` on `on`, by `by`.
pub fn transition(id: &ClaimId, t: &Transition, by: &str, on: Date) -> Result<Claim, ApiError> {
    let mut claim = store::get(id)?;
    if let Some(why) = refuse_move(&claim, t.to) {
        return Err(ApiError::Conflict(why));
    }
    let from = claim.status;
    let mut note = t.reason.clone().filter(|r| !r.trim().is_empty());
    match t.to {
        Status::Ready | Status::Submitted => {
            let out = run_checks(&claim.fields, on)?;
            if !out.problems.is_empty() {
                return Err(ApiError::Checks {
                    message: format!(
                        "claim {id} cannot be {}: {} check{} failed",
                        if t.to == Status::Ready { "made ready" } else { "submitted" },
                        out.problems.len(),
                        if out.problems.len() == 1 { "" } else { "s" }
                    ),
                    problems: out.problems,
                });
            }
            claim.fields.eligibility = out.eligibility;
            claim.value = out.value;
            if t.to == Status::Submitted {
                claim.submitted_on = Some(on);
            }
        }
        Status::Rejected => {
            let Some(reason) = note.clone() else {
                return Err(ApiError::Invalid("a rejection needs the reason NHSBSA gave".into()));
            };
            claim.rejection_reason = Some(reason);
        }
        Status::Paid => {
            let amount = t.amount_pence.map(values::Pence).or_else(|| claim.value.as_ref().map(|v| v.total));
            let Some(amount) = amount else {
                return Err(ApiError::Invalid("enter the amount paid (amount_pence)".into()));
            };
            claim.paid = Some(amount);
            note = note.or_else(|| Some(format!("paid {amount}")));
        }
        Status::Draft if from == Status::Rejected => claim.resubmissions += 1,
        Status::Draft | Status::Accepted => {}
    }
    claim.status = t.to;
    claim.history.push(Change { from, to: t.to, on, by: by.to_string(), note });
    store::put(&claim)?;
    Ok(claim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_merges_replaces_and_removes() {
        let mut v = serde_json::json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1]});
        merge_patch(&mut v, serde_json::json!({"a": null, "b": {"c": 5}, "e": [2, 3], "f": "x"}));
        assert_eq!(v, serde_json::json!({"b": {"c": 5, "d": 3}, "e": [2, 3], "f": "x"}));
    }
}
