//! The HTTP surface: the route table, and small helpers every route uses (JSON bodies, the query
//! string, the caller and the configuration). Each route's handler lives beside its concept.

use ils_plugin_sdk::host::{clinical, config, context};
use ils_plugin_sdk::{HostError, Request, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::band::{self, BandRequest};
use crate::claims;
use crate::date::{Date, FinancialYear, today};
use crate::eligibility::{self, PatientFacts};
use crate::error::ApiError;
use crate::facts::{self, PatientId};
use crate::interval;
use crate::values::{self, ValueUpdate};

/// The role allowed to change values (ILS passes `company_admin`; the WIT docs spell it
/// `company-admin`, so both are accepted).
pub const ADMIN_ROLES: [&str; 2] = ["company_admin", "company-admin"];

/// The tenant's configuration of the plugin (checked by ILS against the manifest's schema).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Config {
    /// The contractor's (practice's) NHS contractor number, put on every new claim.
    #[serde(default)]
    pub contractor_number: Option<String>,
    /// The usual performer's list number, put on new sight-test claims.
    #[serde(default)]
    pub performer_number: Option<String>,
    /// The contractor also performs the tests (a sole trader): claims need both signatures.
    #[serde(default)]
    pub contractor_is_performer: bool,
    /// Propose a GOS 3 draft for every new order (default yes). A practice with few NHS voucher
    /// patients turns it off: neither the event nor the order says whether it is an NHS supply.
    #[serde(default)]
    pub voucher_proposals_from_orders: Option<bool>,
}

/// The configuration, or defaults when unreadable (ILS validated it already).
pub fn config() -> Config {
    config::get().unwrap_or_default()
}

/// Parses a JSON body.
pub fn body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    if request.body.is_empty() {
        return Err(ApiError::Invalid("the request needs a JSON body".into()));
    }
    serde_json::from_slice(&request.body)
        .map_err(|e| ApiError::Invalid(format!("the JSON body is not valid: {e}")))
}

/// A query parameter's value (no percent-decoding: every parameter is a plain code or date).
pub fn query<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    let (_, q) = request.path.split_once('?')?;
    q.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// Who is calling, for the claim history (`unknown` when ILS passed no caller).
pub fn caller_id() -> String {
    context::caller().map(|c| c.user_id).filter(|id| !id.is_empty()).unwrap_or_else(|| "unknown".into())
}

/// Roles that work with patients (ILS's practice roles); lab, engineer and supplier staff use
/// ILS too but never see patients' records, so they get only the band calculator and the values.
pub const PRACTICE_ROLES: [&str; 4] = ["company_admin", "company-admin", "ecp", "dispenser"];

fn require_practice_role() -> Result<(), ApiError> {
    match context::caller() {
        Some(c) if c.roles.iter().any(|r| PRACTICE_ROLES.contains(&r.as_str())) => Ok(()),
        _ => Err(ApiError::Forbidden(
            "patients' GOS facts and claims are for practice staff (company admins, optometrists, dispensers)".into(),
        )),
    }
}

fn require_admin() -> Result<(), ApiError> {
    match context::caller() {
        Some(c) if c.roles.iter().any(|r| ADMIN_ROLES.contains(&r.as_str())) => Ok(()),
        _ => Err(ApiError::Forbidden("only a company admin may change voucher values and fees".into())),
    }
}

/// A patient's date of birth from ILS (an audited read).
pub fn date_of_birth(patient_id: &PatientId) -> Result<Date, ApiError> {
    let patient = clinical::patient(patient_id.as_str()).map_err(|e| match e {
        HostError::NotFound => ApiError::NotFound(format!("no patient {patient_id} in ILS")),
        other => ApiError::Host(other),
    })?;
    Date::parse(&patient.date_of_birth)
        .map_err(|_| ApiError::Internal(format!("ILS gave patient {patient_id} an unreadable date of birth")))
}

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
    let mut r = Response::json(value);
    if r.status == 200 {
        r.status = status;
    }
    r
}

/// Answers a request.
pub fn handle(request: &Request) -> Response {
    match route(request) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn route(request: &Request) -> Result<Response, ApiError> {
    let path = request.route().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let method = request.method.as_str();
    let open = matches!(segments.as_slice(), ["band"] | ["values"] | ["values", _]);
    if !open {
        require_practice_role()?;
    }
    match (method, segments.as_slice()) {
        ("GET", ["patients", id, "facts"]) => get_facts(PatientId::parse(id)?),
        ("PUT", ["patients", id, "facts"]) => put_facts(PatientId::parse(id)?, request),
        ("POST", ["eligibility"]) => check_eligibility(request),
        ("POST", ["band"]) => calculate_band(request),
        ("GET", ["values"]) => Ok(json(200, &serde_json::json!({ "years": values::years()? }))),
        ("GET", ["values", year]) => Ok(json(200, &values::table(year_of(year)?)?)),
        ("PUT", ["values", year]) => {
            require_admin()?;
            let update: ValueUpdate = body(request)?;
            Ok(json(200, &values::replace(year_of(year)?, update)?))
        }
        ("GET", ["summary"]) => claims::routes::summary(request),
        ("GET", ["pages", "claims"]) => claims::page::claims(),
        ("GET", ["proposals"]) => claims::routes::proposals(),
        (_, ["claims", ..]) => claims::routes::route(method, &segments[1..], request),
        (
            _,
            ["patients", _, "facts"]
            | ["eligibility"]
            | ["band"]
            | ["values"]
            | ["values", _]
            | ["summary"]
            | ["pages", "claims"]
            | ["proposals"],
        ) => Err(ApiError::Method(format!("{method} is not allowed on {path}"))),
        _ => Err(ApiError::NotFound(format!("no route {path}"))),
    }
}

fn year_of(text: &str) -> Result<FinancialYear, ApiError> {
    FinancialYear::parse(text).ok_or_else(|| {
        let shown: String = text.chars().take(20).collect();
        ApiError::Invalid(format!("{shown:?} is not a financial year; write it as 2024-25"))
    })
}

#[derive(Serialize)]
struct FactsView {
    patient_id: PatientId,
    recorded: bool,
    facts: PatientFacts,
}

fn get_facts(id: PatientId) -> Result<Response, ApiError> {
    let stored = facts::get(&id)?;
    Ok(json(
        200,
        &FactsView { patient_id: id, recorded: stored.is_some(), facts: stored.unwrap_or_default() },
    ))
}

fn put_facts(id: PatientId, request: &Request) -> Result<Response, ApiError> {
    let new: PatientFacts = body(request)?;
    date_of_birth(&id)?; // the patient must exist in ILS
    facts::put(&id, &new)?;
    Ok(json(200, &FactsView { patient_id: id, recorded: true, facts: new }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EligibilityRequest {
    patient_id: PatientId,
    /// The test date; today when left out.
    #[serde(default)]
    on: Option<Date>,
    /// The last sight test, to check the re-test interval.
    #[serde(default)]
    last_sight_test: Option<Date>,
}

#[derive(Serialize)]
struct EligibilityAnswer {
    patient_id: PatientId,
    facts_recorded: bool,
    #[serde(flatten)]
    eligibility: eligibility::Eligibility,
    #[serde(skip_serializing_if = "Option::is_none")]
    retest: Option<interval::RetestCheck>,
}

fn check_eligibility(request: &Request) -> Result<Response, ApiError> {
    let req: EligibilityRequest = body(request)?;
    let born = date_of_birth(&req.patient_id)?;
    let stored = facts::get(&req.patient_id)?;
    let facts = stored.clone().unwrap_or_default();
    let on = req.on.unwrap_or_else(today);
    let e = eligibility::evaluate(&facts, born, on).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let retest = req.last_sight_test.map(|last| interval::check_retest(&facts, e.age, Some(last), on));
    Ok(json(
        200,
        &EligibilityAnswer {
            patient_id: req.patient_id,
            facts_recorded: stored.is_some(),
            eligibility: e,
            retest,
        },
    ))
}

// No `deny_unknown_fields` here (serde does not support it with `flatten`); `BandRequest`
// refuses unknown fields itself.
#[derive(Deserialize)]
struct BandBody {
    #[serde(flatten)]
    glasses: BandRequest,
    /// The date whose financial year prices the voucher; today when left out.
    #[serde(default)]
    on: Option<Date>,
    /// The patient qualifies only through complex lenses.
    #[serde(default)]
    complex_only: bool,
    /// HC3: what the patient pays, in pence.
    #[serde(default)]
    patient_pays_pence: Option<u32>,
}

fn calculate_band(request: &Request) -> Result<Response, ApiError> {
    let req: BandBody = body(request)?;
    let result = band::calculate(&req.glasses);
    let year = req.on.unwrap_or_else(today).financial_year();
    let table = values::table(year)?;
    let (value, missing) =
        match values::voucher_value(&table, &result, req.complex_only, req.patient_pays_pence) {
            Ok(v) => (Some(v), Vec::new()),
            Err(m) => (None, m),
        };
    Ok(json(
        200,
        &serde_json::json!({ "band": result, "year": year.to_string(), "value": value, "missing": missing }),
    ))
}
