//! Authentication over HTTP: the sign-in, account and API-key routes, and the extractors that
//! turn a request into a [`Principal`] or a [`RequestMeta`]. The domain — passwords, sessions,
//! TOTP, API keys, the principal and its checks — is `ils_tenancy::auth`.
//!
//! A request carries `Authorization: Bearer <token>`: a session token (`ils_s_…`, from sign-in)
//! or an API key (`ils_k_…`). The principal is resolved through [`ils_tenancy::auth::Principals`],
//! which reads the database whenever credentials changed, so revocation, role changes and
//! suspension take effect at once.

pub mod api_keys;
pub mod login;
pub mod me;
pub mod recovery;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::SocketAddr;

use crate::http::problem::ApiError;
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_tenancy::auth::{Principal, RequestMeta};

// Both extractors are for `AppState` only: the types live in ils-tenancy and the trait in axum,
// so the orphan rule needs a local type in the impl.
impl FromRequestParts<AppState> for RequestMeta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip().to_string());
        Ok(Self { request_id, ip })
    }
}

/// The bearer token of a request, if it carries one.
pub fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    headers.get(http::header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let meta = RequestMeta::from_request_parts(parts, state).await?;
        let header = parts.headers.get(http::header::AUTHORIZATION).ok_or_else(|| {
            Error::unauthorized("unauthenticated", "Sign in first: send Authorization: Bearer <token>.")
        })?;
        let token =
            header.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).ok_or_else(|| {
                Error::unauthorized("invalid_token", "The Authorization header must be 'Bearer <token>'.")
            })?;
        let mut principal = state.principals.resolve(token).await?.ok_or_else(|| {
            Error::unauthorized("invalid_token", "The token is unknown, expired or revoked; sign in again.")
        })?;
        principal.meta = meta;
        let actor = principal.audit().actor_id.map(|id| id.to_string());
        crate::http::problem::note_acting(principal.tenant.as_ref().map(|t| t.tenant_id.to_string()), actor);
        Ok(principal)
    }
}
