//! The GraphQL Admin endpoint: authentication, the API version, the cost bucket, and dispatch by
//! operation name to the operations the plugin sends.
//!
//! The fake is no GraphQL engine. It knows the plugin's operations by name (`IlsVariants`,
//! `IlsLocations`, `IlsInventoryLevels`, `IlsSetQuantities`, `IlsBulkRun`, `IlsBulkStatus`),
//! checks that each names the root field it should, and answers their selections in Shopify's
//! shapes. A request is handled in two steps: *prepare* reads and checks the variables (an
//! invalid one is a top-level error, as GraphQL validation is, and costs nothing), then the
//! prepared operation states its cost, is admitted or throttled, and runs.

pub(crate) mod bulk;
mod cursor;
pub(crate) mod inventory;
mod read;

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::requests::{Outcome, RequestRecord};
use crate::shop::Shop;
use crate::throttle::{self, Bucket, Refusal};

/// The one Admin API version the fake serves.
pub const API_VERSION: &str = "2026-04";

/// What Shopify answers, as a bare string, to a missing, wrong or revoked access token.
pub const INVALID_TOKEN: &str =
    "[API] Invalid API key or access token (unrecognized login or wrong password)";

/// The shop's access token and whether it still works.
#[derive(Debug)]
pub(crate) struct Token {
    value: String,
    revoked: bool,
    /// Calls still accepted before the token is revoked.
    calls_left: Option<u64>,
}

impl Token {
    pub(crate) fn new(value: &str) -> Self {
        Self { value: value.to_owned(), revoked: false, calls_left: None }
    }

    pub(crate) fn revoke(&mut self) {
        self.revoked = true;
    }

    pub(crate) fn revoke_after(&mut self, calls: u64) {
        self.calls_left = Some(calls);
    }

    fn admit(&mut self, given: Option<&[u8]>) -> bool {
        if given != Some(self.value.as_bytes()) || self.revoked {
            return false;
        }
        match &mut self.calls_left {
            Some(0) => {
                self.revoked = true;
                false
            }
            Some(n) => {
                *n -= 1;
                true
            }
            None => true,
        }
    }
}

/// Everything one fake shop holds, behind one lock.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) shop: Shop,
    pub(crate) clock: Clock,
    pub(crate) bucket: Bucket,
    pub(crate) token: Token,
    pub(crate) log: Vec<RequestRecord>,
    pub(crate) idempotency: HashMap<String, inventory::Remembered>,
    pub(crate) bulk: bulk::Bulk,
}

/// An HTTP answer: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

#[derive(Deserialize)]
struct WireRequest {
    query: String,
    #[serde(default)]
    variables: Option<Value>,
}

/// A top-level GraphQL error with only a message.
pub(crate) fn error(message: impl Into<String>) -> Value {
    json!({ "message": message.into() })
}

/// An operation whose variables have been read and checked.
#[derive(Debug)]
pub(crate) enum Prepared {
    Variants(read::PageArgs),
    Locations(read::PageArgs),
    Levels(read::LevelsArgs),
    SetQuantities(inventory::SetQuantities),
    BulkRun(bulk::RunArgs),
    BulkStatus(bulk::StatusArgs),
}

/// The operation name after `query` or `mutation`, if the text has one.
fn operation_name(query: &str) -> Option<&str> {
    let rest = query.trim_start();
    let rest = rest.strip_prefix("query").or_else(|| rest.strip_prefix("mutation"))?;
    let rest = rest.trim_start();
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// The root field each known operation must select.
fn root_field(name: &str) -> Option<&'static str> {
    Some(match name {
        "IlsVariants" => "productVariants(",
        "IlsLocations" => "locations(",
        "IlsInventoryLevels" => "inventoryLevels(",
        "IlsSetQuantities" => "inventorySetQuantities(",
        "IlsBulkRun" => "bulkOperationRunQuery(",
        "IlsBulkStatus" => "on BulkOperation",
        _ => return None,
    })
}

fn prepare(name: &str, query: &str, variables: &Value) -> Result<Prepared, Vec<Value>> {
    let Some(root) = root_field(name) else {
        return Err(vec![error(format!("The fake Shopify does not know operation {name:?}."))]);
    };
    if !query.contains(root) {
        return Err(vec![error(format!("Operation {name} does not select {}.", root.trim_end_matches('(')))]);
    }
    match name {
        "IlsVariants" => read::PageArgs::read(variables).map(Prepared::Variants),
        "IlsLocations" => read::PageArgs::read(variables).map(Prepared::Locations),
        "IlsInventoryLevels" => read::LevelsArgs::read(variables).map(Prepared::Levels),
        "IlsSetQuantities" => inventory::SetQuantities::read(query, variables).map(Prepared::SetQuantities),
        "IlsBulkRun" => bulk::RunArgs::read(variables).map(Prepared::BulkRun),
        _ => bulk::StatusArgs::read(variables).map(Prepared::BulkStatus),
    }
}

impl Prepared {
    fn requested_cost(&self) -> f64 {
        match self {
            Prepared::Variants(page) | Prepared::Locations(page) => throttle::connection(page.first),
            Prepared::Levels(args) => throttle::OBJECT + throttle::connection(args.page.first),
            Prepared::SetQuantities(_) | Prepared::BulkRun(_) => throttle::MUTATION,
            Prepared::BulkStatus(_) => throttle::OBJECT,
        }
    }

    /// Runs the operation: its `data` and actual cost.
    fn run(self, state: &mut State) -> (Value, f64) {
        match self {
            Prepared::Variants(page) => read::variants(&state.shop, &page),
            Prepared::Locations(page) => read::locations(&state.shop, &page),
            Prepared::Levels(args) => read::levels(&state.shop, &args),
            Prepared::SetQuantities(set) => (inventory::run(state, set), throttle::MUTATION),
            Prepared::BulkRun(args) => (bulk::run(state, &args), throttle::MUTATION),
            Prepared::BulkStatus(args) => (bulk::status(state, &args), throttle::OBJECT),
        }
    }
}

/// Answers one POST to `/admin/api/{version}/graphql.json`.
pub(crate) fn graphql(state: &mut State, version: &str, token: Option<&[u8]>, body: &[u8]) -> Answer {
    let now = state.clock.now();
    let mut record = RequestRecord {
        at: now,
        operation: None,
        outcome: Outcome::Answered,
        requested_cost: None,
        actual_cost: None,
        available_after: None,
    };
    let answer = handle(state, version, token, body, &mut record);
    state.log.push(record);
    answer
}

fn handle(
    state: &mut State,
    version: &str,
    token: Option<&[u8]>,
    body: &[u8],
    record: &mut RequestRecord,
) -> Answer {
    let now = record.at;
    if version != API_VERSION {
        record.outcome = Outcome::WrongVersion;
        return Answer { status: 404, body: json!({ "errors": "Not Found" }) };
    }
    if !state.token.admit(token) {
        record.outcome = Outcome::Unauthorized;
        return Answer { status: 401, body: json!({ "errors": INVALID_TOKEN }) };
    }
    let Ok(request) = serde_json::from_slice::<WireRequest>(body) else {
        record.outcome = Outcome::BadRequest;
        return Answer {
            status: 400,
            body: json!({ "errors": { "query": "Required parameter missing or invalid" } }),
        };
    };
    let variables = request.variables.unwrap_or(Value::Null);
    let name = operation_name(&request.query).unwrap_or("");
    record.operation = (!name.is_empty()).then(|| name.to_owned());
    let prepared = match prepare(name, &request.query, &variables) {
        Ok(prepared) => prepared,
        Err(errors) => {
            record.outcome = Outcome::Invalid;
            return Answer { status: 200, body: json!({ "errors": errors }) };
        }
    };
    let requested = prepared.requested_cost();
    record.requested_cost = Some(requested);
    let admitted = state.bucket.admit(requested, now);
    record.available_after = Some(state.bucket.available(now));
    match admitted {
        Err(Refusal::Throttled) => {
            record.outcome = Outcome::Throttled;
            let body = json!({
                "errors": [{
                    "message": "Throttled",
                    "extensions": { "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits" },
                }],
                "extensions": { "cost": state.bucket.cost_extension(requested, None) },
            });
            Answer { status: 200, body }
        }
        Err(Refusal::MaxCostExceeded { limit }) => {
            record.outcome = Outcome::MaxCostExceeded;
            let body = json!({
                "errors": [{
                    "message": format!("Query cost is {requested}, which exceeds the single query max cost limit ({limit})."),
                    "extensions": {
                        "code": "MAX_COST_EXCEEDED",
                        "cost": requested,
                        "maxCost": limit,
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }],
            });
            Answer { status: 200, body }
        }
        Ok(()) => {
            let (data, actual) = prepared.run(state);
            state.bucket.charge(actual);
            record.actual_cost = Some(actual);
            record.available_after = Some(state.bucket.available(now));
            let body = json!({
                "data": data,
                "extensions": { "cost": state.bucket.cost_extension(requested, Some(actual)) },
            });
            Answer { status: 200, body }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_name_is_read_after_the_keyword() {
        assert_eq!(operation_name("query IlsVariants($first: Int!) {"), Some("IlsVariants"));
        assert_eq!(operation_name("\n mutation IlsBulkRun($q: String!) {"), Some("IlsBulkRun"));
        assert_eq!(operation_name("{ shop { name } }"), None);
        assert_eq!(operation_name("query { shop { name } }"), None);
    }

    #[test]
    fn a_token_revoked_after_n_calls_accepts_n_then_refuses() {
        let mut token = Token::new("shpat_x");
        token.revoke_after(2);
        assert!(token.admit(Some(b"shpat_x")));
        assert!(!token.admit(Some(b"wrong")));
        assert!(token.admit(Some(b"shpat_x")));
        assert!(!token.admit(Some(b"shpat_x")));
        assert!(!token.admit(Some(b"shpat_x")));
        assert!(!token.admit(None));
    }
}
