//! The log of every call to the GraphQL endpoint, for tests to assert how a client behaved: that
//! it paced itself by the bucket, stopped after a 401, retried THROTTLED answers.

use std::time::Duration;

/// What the fake did with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Run and answered with data (possibly with `userErrors`).
    Answered,
    /// Refused THROTTLED: not run, nothing taken from the bucket.
    Throttled,
    /// Refused MAX_COST_EXCEEDED: it could never run.
    MaxCostExceeded,
    /// 401: no token, a wrong one, or a revoked one.
    Unauthorized,
    /// 404: another API version in the path.
    WrongVersion,
    /// 400: the body is not a GraphQL request.
    BadRequest,
    /// 200 with top-level errors: an unknown operation or invalid variables; not run.
    Invalid,
}

/// One call, as the fake saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// When, on the fake's clock.
    pub at: Duration,
    /// The operation name in the query text, when it could be read.
    pub operation: Option<String>,
    /// What was done.
    pub outcome: Outcome,
    /// The cost the query requested, when it got that far.
    pub requested_cost: Option<f64>,
    /// The cost taken from the bucket (only when answered).
    pub actual_cost: Option<f64>,
    /// Points left in the bucket after the call, when it got that far.
    pub available_after: Option<f64>,
}
