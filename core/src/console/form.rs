//! Reading console forms: URL-encoded bodies (repeated keys for check boxes), checked for the
//! viewer's CSRF token and a same-origin request.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
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

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for CsrfForm<T> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ConsoleError> {
        let (headers, bytes) = body(req).await?;
        let session = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .ok_or(ConsoleError::Csrf)?;
        let given: Token = decode(&bytes)?;
        if !same_origin(&headers) || !constant_time_eq(given.csrf.as_bytes(), csrf_token(&session).as_bytes())
        {
            return Err(ConsoleError::Csrf);
        }
        Ok(Self(decode(&bytes)?))
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
