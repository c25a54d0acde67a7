//! Extractors whose rejections are problem+json with stable codes, never axum's plain text.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};

use crate::http::problem::ApiError;
use ils_kernel::error::{Error, Unreadable};

/// A JSON request body.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Path parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// Query parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status().as_u16();
        let (code, message) = match &rejection {
            JsonRejection::MissingJsonContentType(_) => (
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json.".to_owned(),
            ),
            JsonRejection::JsonSyntaxError(e) => {
                ("malformed_json", format!("The body is not valid JSON: {}", e.body_text()))
            }
            JsonRejection::JsonDataError(e) => {
                ("invalid_body", format!("The body does not match the expected shape: {}", e.body_text()))
            }
            JsonRejection::BytesRejection(_) if status == 413 => {
                ("body_too_large", "The request body is larger than this endpoint accepts.".to_owned())
            }
            other => ("invalid_body", other.body_text()),
        };
        let kind = match status {
            413 => Unreadable::TooLarge,
            415 => Unreadable::UnsupportedFormat,
            422 => Unreadable::WrongShape,
            _ => Unreadable::Malformed,
        };
        ApiError(Error::BadRequest { code, message, kind })
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError(Error::BadRequest {
            code: "invalid_path",
            message: rejection.body_text(),
            kind: Unreadable::Malformed,
        })
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError(Error::BadRequest {
            code: "invalid_query",
            message: rejection.body_text(),
            kind: Unreadable::Malformed,
        })
    }
}
