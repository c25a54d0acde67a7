//! Extractors whose rejections are problem+json with stable codes, never axum's plain text.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};

use crate::error::Error;

/// A JSON request body.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct ApiJson<T>(pub T);

/// Path parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct ApiPath<T>(pub T);

/// Query parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct ApiQuery<T>(pub T);

impl From<JsonRejection> for Error {
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
        Error::BadRequest { code, message, status }
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        Error::BadRequest { code: "invalid_path", message: rejection.body_text(), status: 400 }
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Error::BadRequest { code: "invalid_query", message: rejection.body_text(), status: 400 }
    }
}
