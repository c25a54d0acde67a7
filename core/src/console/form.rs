//! Reading console forms: URL-encoded bodies (repeated keys for check boxes), checked for the
//! viewer's CSRF token and a same-origin request.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use super::page::ConsoleError;
use ils_kernel::error::Error;
use sha2::{Digest, Sha256};

/// False when the browser says the request came from another site. Browsers send
/// `Sec-Fetch-Site` (and `Origin` on POST); a request without either (curl, tests) is judged by
/// the token alone.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match (header("origin"), header("host")) {
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => {
            origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
        }
        _ => true,
    }
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ConsoleError> {
    serde_html_form::from_bytes(body).map_err(|e| {
        ConsoleError::Domain(Error::BadRequest {
            code: "unreadable_form",
            message: format!("The form could not be read: {e}"),
            kind: ils_kernel::error::Unreadable::Malformed,
        })
    })
}

async fn body(req: Request) -> Result<(HeaderMap, Bytes), ConsoleError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .map_err(|_| ConsoleError::Domain(Error::invalid_field("form", "The form is too large.")))?;
    Ok((parts.headers, bytes))
}

/// A form of a page that has no session yet (sign-in): decoded, not CSRF-checked.
pub(crate) struct PlainForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PlainForm<T> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ConsoleError> {
        let (_, bytes) = body(req).await?;
        Ok(Self(decode(&bytes)?))
    }
}

/// A signed-in user's form: refused unless it carries the session's CSRF token and comes from
/// this site.
pub(crate) struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct Token {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Every cookie called `name` the request carries (one per path it was set for).
pub(crate) fn cookies_named<'a>(
    headers: &'a HeaderMap,
    name: &'a str,
) -> impl Iterator<Item = cookie::Cookie<'a>> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(move |c| c.name() == name)
}

/// The session cookie's token, or a CSRF refusal (no session, no form).
fn session_token(headers: &HeaderMap) -> Result<String, ConsoleError> {
    cookies_named(headers, SESSION_COOKIE).next().map(|c| c.value().to_owned()).ok_or(ConsoleError::Csrf)
}

/// Refuses a form whose token is not the session's, or that came from another site.
fn check_token(headers: &HeaderMap, given: &str) -> Result<(), ConsoleError> {
    let session = session_token(headers)?;
    if !same_origin(headers) || !constant_time_eq(given.as_bytes(), csrf_token(&session).as_bytes()) {
        return Err(ConsoleError::Csrf);
    }
    Ok(())
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for CsrfForm<T> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ConsoleError> {
        let (headers, bytes) = body(req).await?;
        let given: Token = decode(&bytes)?;
        check_token(&headers, &given.csrf)?;
        Ok(Self(decode(&bytes)?))
    }
}

/// A signed-in user's upload (`multipart/form-data`): its text fields and at most one file,
/// refused unless it carries the session's CSRF token and comes from this site. A file larger
/// than `MAX` bytes is read as far as `MAX + 1` and left for the service to refuse.
pub(crate) struct CsrfUpload<const MAX: usize> {
    /// The text fields, by name.
    pub fields: std::collections::HashMap<String, String>,
    /// The file: its name as the browser gave it, and its bytes (none when no file was chosen).
    pub file: Option<(String, Bytes)>,
}

impl<const MAX: usize, S: Send + Sync> FromRequest<S> for CsrfUpload<MAX> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ConsoleError> {
        let headers = req.headers().clone();
        let unreadable = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                return ConsoleError::Domain(Error::Invalid {
                    code: "upload_too_large",
                    message: format!("The file is too large: at most {} MiB.", MAX >> 20),
                    fields: vec![ils_kernel::error::FieldError {
                        field: "file".into(),
                        message: format!("must be at most {} MiB", MAX >> 20),
                    }],
                });
            }
            ConsoleError::Domain(Error::BadRequest {
                code: "unreadable_form",
                message: format!("The form could not be read: {e}"),
                kind: ils_kernel::error::Unreadable::Malformed,
            })
        };
        let mut multipart = axum::extract::Multipart::from_request(req, state).await.map_err(|e| {
            ConsoleError::Domain(Error::BadRequest {
                code: "unreadable_form",
                message: format!("The form could not be read: {e}"),
                kind: ils_kernel::error::Unreadable::Malformed,
            })
        })?;
        let mut upload = Self { fields: Default::default(), file: None };
        while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let mut bytes = Vec::new();
                    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                        bytes.extend_from_slice(&chunk);
                        if bytes.len() > MAX {
                            bytes.truncate(MAX + 1);
                            break;
                        }
                    }
                    if !file_name.is_empty() || !bytes.is_empty() {
                        upload.file = Some((file_name, bytes.into()));
                    }
                }
                None => {
                    upload.fields.insert(name, field.text().await.map_err(unreadable)?);
                }
            }
        }
        check_token(&headers, upload.fields.get("_csrf").map(String::as_str).unwrap_or_default())?;
        Ok(upload)
    }
}

/// A form with nothing but its CSRF token (a button).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct Button {}

/// A checked button press.
pub(crate) type Csrf = CsrfForm<Button>;

/// The cookie holding the session token.
pub(crate) const SESSION_COOKIE: &str = "ils_session";

/// The CSRF token of a session: a digest of its secret token, so it needs no store and dies with
/// the session.
pub(crate) fn csrf_token(session_token: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"ils-console-csrf\0");
    digest.update(session_token.as_bytes());
    hex::encode(digest.finalize())
}
