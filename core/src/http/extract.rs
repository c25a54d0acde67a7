//! Extractors whose rejections are problem+json with stable codes, never axum's plain text.
//!
//! They are also where text enters the API, so they hold rules for every string of every body,
//! query and path, whatever the handler:
//!
//! - no NUL anywhere (PostgreSQL cannot store it, so it used to surface as a 500), and in query
//!   parameters and path segments no control character at all. Other control characters in a
//!   body are the domains' to refuse: every stored free-text field goes through
//!   `ils_kernel::input` (no control characters but tab and line breaks; names stricter still),
//!   while a device's raw output (`POST /devices/…/decode`) legitimately carries RS-232 framing
//!   (SOH, STX, ETX…);
//! - ids — fields named `id` or `…_id`, and the items of `…_ids` — written as UUIDs in their
//!   canonical hyphenated form (`0190…-…`, either case), not braced, `urn:uuid:` or simple.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection, RawPathParamsRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::http::problem::ApiError;
use ils_kernel::error::{Error, Unreadable};
use ils_kernel::input::{check_chars, check_no_nul};

/// A JSON request body, checked by the rules above before it is typed.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// Path parameters, checked by the rules above.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

/// Query parameters, checked by the rules above.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // Read as a JSON value first (content type, size and syntax are axum's checks), check
        // its text, then type it as axum would (so a wrong shape names the field that is wrong).
        let axum::Json(value) = axum::Json::<Value>::from_request(req, state).await?;
        check_value(&mut String::new(), &value)?;
        let typed: T = serde_path_to_error::deserialize(value).map_err(|e| shape_error(&e))?;
        Ok(ApiJson(typed))
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = axum::extract::RawPathParams::from_request_parts(parts, state).await?;
        for (name, value) in raw.iter() {
            check_param(name, value).map_err(|e| ApiError(unreadable("invalid_path", e)))?;
        }
        let axum::extract::Path(typed) = axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(ApiPath(typed))
    }
}

impl<T: DeserializeOwned + utoipa::IntoParams, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let mut known: Option<Vec<String>> = None;
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            check_chars("query parameter name", &name, false)?;
            check_param(&name, &value)?;
            // The documented parameters are the accepted ones: `?q=smith` where the endpoint
            // takes `search` is refused, not answered as if no filter had been asked for.
            let known = known.get_or_insert_with(|| {
                T::into_params(|| Some(utoipa::openapi::path::ParameterIn::Query))
                    .into_iter()
                    .map(|p| p.name)
                    .collect()
            });
            if !known.iter().any(|k| *k == name) {
                let takes = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
                return Err(Error::invalid_field(
                    &name,
                    format!("is not a query parameter of this endpoint (it takes: {takes})"),
                )
                .into());
            }
        }
        let axum::extract::Query(typed) = axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(typed))
    }
}

/// A path's or query's parameter: one line of text, and an id in canonical form.
fn check_param(name: &str, value: &str) -> Result<(), Error> {
    check_chars(name, value, false)?;
    if is_id_field(name) && non_canonical_uuid(value) {
        return Err(Error::invalid_field(name, ID_FORM));
    }
    Ok(())
}

/// A path that cannot be read answers 400 `invalid_path`, like an id that is not a UUID at all.
fn unreadable(code: &'static str, error: Error) -> Error {
    Error::BadRequest { code, message: error.to_string(), kind: Unreadable::Malformed }
}

const ID_FORM: &str = "must be a UUID in its hyphenated form, e.g. 01900000-0000-7000-8000-000000000000";

fn is_id_field(name: &str) -> bool {
    name == "id" || name.ends_with("_id")
}

/// A UUID written in another form than the canonical hyphenated one. Text that is not a UUID at
/// all is left to the type to refuse (or accept, where the field is not an id).
fn non_canonical_uuid(value: &str) -> bool {
    value.len() != 36 && uuid::Uuid::try_parse(value).is_ok()
}

/// Checks every string of a JSON body (object keys too); `path` names the field, `a.b[2].c`.
fn check_value(path: &mut String, value: &Value) -> Result<(), Error> {
    let field = |path: &str| if path.is_empty() { "body".to_owned() } else { path.to_owned() };
    match value {
        Value::String(text) => {
            check_no_nul(&field(path), text)?;
            // `…_id` fields, and the items of `…_ids` lists.
            let is_id = match path.strip_suffix(']').and_then(|p| p.rsplit_once('[')) {
                Some((list, _)) => list.ends_with("_ids"),
                None => is_id_field(path.rsplit('.').next().unwrap_or(path)),
            };
            if is_id && non_canonical_uuid(text) {
                return Err(Error::invalid_field(path, ID_FORM));
            }
        }
        Value::Array(items) => {
            for (n, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{n}]"));
                check_value(path, item)?;
                path.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                check_chars(&field(path), key, false)?;
                check_value(path, item)?;
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

/// A body of the wrong shape, as a field error in words with the field's path (`lens.index`,
/// `coatings[1]`): a missing field, a value of the wrong type, an unknown field, or an enum
/// value that is not one of those listed.
fn shape_error(error: &serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = error.path().to_string();
    let at = |field: &str| if path == "." { field.to_owned() } else { format!("{path}.{field}") };
    let text = error.inner().to_string();
    let quoted = |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    let (field, message) = if let Some(rest) = text.strip_prefix("missing field ") {
        (at(quoted(rest).first().map_or("", String::as_str)), "is required".to_owned())
    } else if let Some(rest) = text.strip_prefix("unknown field ") {
        let names = quoted(rest);
        let takes = if names.len() > 1 { names[1..].join(", ") } else { "none".to_owned() };
        // The path already ends with the unknown field.
        (path.clone(), format!("is not a field here (it takes: {takes})"))
    } else if let Some(rest) = text.strip_prefix("unknown variant ") {
        let names = quoted(rest);
        (path.clone(), format!("must be one of: {} (not {:?})", names[1..].join(", "), names[0]))
    } else if let Some((_, expected)) = text.split_once(", expected ") {
        (path.clone(), format!("must be {}", expected_in_words(expected)))
    } else {
        (path.clone(), text.clone())
    };
    let field = if field == "." { "body".to_owned() } else { field };
    Error::Invalid {
        code: "invalid_body",
        message: format!("The body does not match the expected shape: {field} {message}."),
        fields: vec![ils_kernel::error::FieldError { field, message }],
    }
}

/// serde's name for what it expected, as a person would say it.
fn expected_in_words(expected: &str) -> String {
    let expected = expected.trim();
    match expected {
        "f32" | "f64" => "a number".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "a whole number".to_owned()
        }
        "a boolean" | "bool" => "true or false".to_owned(),
        "a string" | "a borrowed string" => "text (a JSON string)".to_owned(),
        "a sequence" => "a list (a JSON array)".to_owned(),
        "a map" => "an object".to_owned(),
        _ if expected.starts_with("struct ") => "an object".to_owned(),
        _ if expected.starts_with("a sequence") || expected.starts_with("a tuple") => {
            "a list (a JSON array)".to_owned()
        }
        _ => expected.to_owned(),
    }
}

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

impl From<RawPathParamsRejection> for ApiError {
    fn from(rejection: RawPathParamsRejection) -> Self {
        ApiError(Error::BadRequest {
            code: "invalid_path",
            message: rejection.body_text(),
            kind: Unreadable::Malformed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: Value) -> Result<(), String> {
        check_value(&mut String::new(), &body).map_err(|e| e.to_string())
    }

    #[test]
    fn every_string_of_a_body_is_checked_and_the_field_named() {
        assert!(check(serde_json::json!({ "notes": "line 1\r\n\tline 2", "n": [1, null, true] })).is_ok());
        assert!(
            check(serde_json::json!({ "data": "\u{1}0A\u{2}" })).is_ok(),
            "device framing is the domain's to judge"
        );
        let err =
            check(serde_json::json!({ "lines": [{ "note": "ok" }, { "note": "a\u{0}b" }] })).unwrap_err();
        assert!(
            err.starts_with("lines[1].note: must not contain control characters (found U+0000)"),
            "{err}"
        );
        assert!(check(serde_json::json!({ "a\u{1b}": 1 })).unwrap_err().starts_with("a\u{1b}: must not"));
        assert!(check(serde_json::json!("\u{0}")).unwrap_err().starts_with("body: must not"));
    }

    #[test]
    fn ids_must_be_canonical_uuids() {
        let id = "01900000-0000-7000-8000-000000000000";
        assert!(
            check(serde_json::json!({ "item_id": id, "id": id.to_uppercase(), "tag_ids": [id] })).is_ok()
        );
        for other in [
            "{01900000-0000-7000-8000-000000000000}",
            "urn:uuid:01900000-0000-7000-8000-000000000000",
            "01900000000070008000000000000000",
        ] {
            let err = check(serde_json::json!({ "lines": [{ "item_id": other }] })).unwrap_err();
            assert!(err.starts_with("lines[0].item_id: must be a UUID in its hyphenated form"), "{err}");
            assert!(
                check(serde_json::json!({ "user_ids": [id, other] }))
                    .unwrap_err()
                    .starts_with("user_ids[1]:")
            );
            assert!(
                check(serde_json::json!({ "reference": other })).is_ok(),
                "only ids are held to the form"
            );
            assert!(check_param("patient_id", other).is_err());
        }
        assert!(check(serde_json::json!({ "item_id": "not a uuid" })).is_ok(), "the type refuses it");
    }
}
