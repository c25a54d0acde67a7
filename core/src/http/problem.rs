//! RFC 9457 problem details: the one place where errors become HTTP responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use ils_kernel::error::{Error, FieldError, PluginFailure, Unreadable};
use ils_storage::types::Timestamp;
use ils_storage::{DbError, ViolationKind};

/// The problem+json body every error response carries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:ils:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the status.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// The request id, also sent as `x-request-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Field-level details for invalid input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `quota_exceeded`: when the quota starts again from zero (also as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_at: Option<Timestamp>,
}

tokio::task_local! {
    /// The id of the request being served, for problem bodies and logs.
    pub static REQUEST_ID: String;
    /// Who the request being served acts as, once its bearer token is resolved: the tenant and
    /// the user (or API key), for its log line.
    pub static ACTING: std::cell::RefCell<Acting>;
}

/// Who a request acts as, as its log line names them.
#[derive(Clone, Debug, Default)]
pub struct Acting {
    /// The tenant it acts in.
    pub tenant_id: Option<String>,
    /// The signed-in user, or the API key.
    pub actor_id: Option<String>,
}

/// Notes who the request being served acts as (outside a request, nothing).
pub fn note_acting(tenant_id: Option<String>, actor_id: Option<String>) {
    let _outside_a_request = ACTING.try_with(|acting| *acting.borrow_mut() = Acting { tenant_id, actor_id });
}

/// The problem code a response carries, for the request's log line.
#[derive(Clone, Debug)]
pub struct ProblemCode(pub String);

/// The current request's id, when serving one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

impl Problem {
    /// Builds a problem for a status and code.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            type_: format!("urn:ils:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            request_id: current_request_id(),
            errors: Vec::new(),
            reset_at: None,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(&self)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        response.extensions_mut().insert(ProblemCode(self.code));
        response
    }
}

/// A domain error on its way out as an HTTP response. Handlers return [`ApiResult`]; `?` turns
/// any domain error into one.
#[derive(Debug)]
pub struct ApiError(pub Error);

/// What a handler returns.
pub type ApiResult<T, E = ApiError> = Result<T, E>;

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError(error)
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        ApiError(error.into())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut retry_after = None;
        let mut www_authenticate = false;
        let problem = match self.0 {
            Error::NotFound(what) => {
                Problem::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            Error::Invalid { code, message, fields } => {
                let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, message);
                p.errors = fields;
                p
            }
            Error::BadRequest { code, message, kind } => {
                let status = match kind {
                    Unreadable::Malformed => StatusCode::BAD_REQUEST,
                    Unreadable::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                    Unreadable::UnsupportedFormat => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    Unreadable::WrongShape => StatusCode::UNPROCESSABLE_ENTITY,
                };
                Problem::new(status, code, message)
            }
            Error::Conflict { code, message } => Problem::new(StatusCode::CONFLICT, code, message),
            Error::Unauthorized { code, message } => {
                www_authenticate = true;
                Problem::new(StatusCode::UNAUTHORIZED, code, message)
            }
            Error::Forbidden { code, message } => Problem::new(StatusCode::FORBIDDEN, code, message),
            Error::RateLimited { code, message, retry_after: secs } => {
                retry_after = Some(secs);
                Problem::new(StatusCode::TOO_MANY_REQUESTS, code, message)
            }
            Error::QuotaExceeded { message, reset_at } => {
                let wait = reset_at.unix_seconds() - Timestamp::now().unix_seconds();
                retry_after = Some(u64::try_from(wait).unwrap_or(0).max(1));
                let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "quota_exceeded", message);
                p.reset_at = Some(reset_at);
                p
            }
            Error::Plugin { failure, code, message, retry_after: secs } => {
                retry_after = secs;
                let status = match failure {
                    PluginFailure::Missing => StatusCode::NOT_FOUND,
                    PluginFailure::Failed => StatusCode::BAD_GATEWAY,
                    PluginFailure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                };
                Problem::new(status, code, message)
            }
            Error::NotConfigured { code, message } => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
            }
            Error::Unavailable(why) => {
                tracing::warn!(%why, "service unavailable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The service cannot reach its database right now; nothing was changed. Try again shortly.",
                )
            }
            Error::Db(DbError::Violation { kind, constraint, message }) => {
                tracing::info!(?kind, ?constraint, %message, "constraint violation");
                match kind {
                    ViolationKind::Unique | ViolationKind::Exclusion => Problem::new(
                        StatusCode::CONFLICT,
                        "conflict",
                        "That conflicts with an existing record.",
                    ),
                    ViolationKind::ForeignKey => Problem::new(
                        StatusCode::CONFLICT,
                        "conflict",
                        "That refers to a record that does not exist or is still in use.",
                    ),
                    ViolationKind::Check | ViolationKind::NotNull => Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "constraint_violated",
                        "The values break a rule of the data model.",
                    ),
                }
            }
            Error::Db(error) => {
                tracing::error!(%error, "database error");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "An internal error occurred.")
            }
            Error::Internal(error) => {
                tracing::error!(%error, "internal error");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "An internal error occurred.")
            }
        };
        let mut response = problem.into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if www_authenticate {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
