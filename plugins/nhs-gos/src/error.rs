//! The plugin's one error type, and how it becomes an HTTP answer.
//!
//! Every error body is `{"error": {"code": "...", "message": "...", "problems": [...]}}`:
//! `code` is stable, `message` is for a person, `problems` lists each failed pre-submission
//! check when there are several.

use ils_plugin_sdk::{HostError, Response};
use serde::Serialize;

/// What went wrong in a route or an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or a value is refused (400).
    #[error("{0}")]
    Invalid(String),
    /// No such record (404).
    #[error("{0}")]
    NotFound(String),
    /// The caller may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The claim's status does not allow this (409).
    #[error("{0}")]
    Conflict(String),
    /// Pre-submission checks failed (422), one message per problem.
    #[error("{message}")]
    Checks {
        /// Summary.
        message: String,
        /// Each problem, in plain words.
        problems: Vec<String>,
    },
    /// No such route or method (404/405).
    #[error("{0}")]
    Method(String),
    /// The host refused or failed (403 for a capability not granted, 503 when unavailable).
    #[error("{0}")]
    Host(HostError),
    /// A bug or unreadable stored data (500).
    #[error("{0}")]
    Internal(String),
}

impl From<HostError> for ApiError {
    fn from(e: HostError) -> Self {
        Self::Host(e)
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    problems: &'a [String],
}

impl ApiError {
    /// The HTTP status and stable code.
    pub fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            Self::Invalid(_) => (400, "invalid"),
            Self::NotFound(_) => (404, "not_found"),
            Self::Forbidden(_) => (403, "forbidden"),
            Self::Conflict(_) => (409, "conflict"),
            Self::Checks { .. } => (422, "checks_failed"),
            Self::Method(_) => (405, "method_not_allowed"),
            Self::Host(HostError::Denied(_)) => (403, "capability_denied"),
            Self::Host(HostError::NotFound) => (404, "not_found"),
            Self::Host(HostError::Invalid(_) | HostError::TooLarge) => (400, "host_refused"),
            Self::Host(HostError::Unavailable(_) | HostError::Http(_)) => (503, "unavailable"),
            Self::Internal(_) => (500, "internal"),
        }
    }

    /// The JSON response.
    pub fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let problems: &[String] = match &self {
            Self::Checks { problems, .. } => problems,
            _ => &[],
        };
        let message = match &self {
            Self::Host(HostError::NotFound) => "not found in ILS".to_string(),
            other => other.to_string(),
        };
        let mut response = Response::json(&Body { error: Inner { code, message, problems } });
        response.status = status;
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_become_json_with_a_status() {
        let r =
            ApiError::Checks { message: "2 checks failed".into(), problems: vec!["a".into(), "b".into()] }
                .into_response();
        assert_eq!(r.status, 422);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["error"]["code"], "checks_failed");
        assert_eq!(v["error"]["problems"][1], "b");
        let r = ApiError::Host(HostError::Denied("kv".into())).into_response();
        assert_eq!(r.status, 403);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["error"]["code"], "capability_denied");
        assert!(v["error"].get("problems").is_none());
    }
}
