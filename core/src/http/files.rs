//! The tenant's files: any member downloads one by its id (the link in a report or an e-mail), a
//! company admin lists them all. Another tenant's file answers 404, like one that never existed.
//! A file attached to a patient's record or an order needs that record's read permission, and
//! its download is audited as a read of the record.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use ils_files::{Owner, StoredFile, is_active_content};
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_kernel::secrets::SESSION_PREFIX;
use ils_storage::ids::FileId;
use ils_tenancy::auth::{Principal, RequestMeta};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_files)).routes(routes!(download_file))
}

/// The tenant's files, newest first, whichever plugin stored them.
#[utoipa::path(get, path = "/files", tag = "files", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "The tenant's files, newest first", body = Page<StoredFile>)))]
pub(crate) async fn list_files(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<StoredFile>>> {
    let ctx = principal.tenant(Action::FilesList)?;
    let page = PageRequest::parse(&query)?;
    Ok(Json(state.files.list(ctx.tenant_id, Owner::Tenant, &page).await?))
}

/// Which file.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FilePath {
    /// The file's id.
    pub id: FileId,
}

/// The caller of a download: a bearer token as everywhere in the API, or else the console's
/// session cookie — a link in an e-mail opens in a browser, which sends no bearer token. A GET
/// changes nothing, and the cookie is `SameSite=Lax`, so another site can only send the user to
/// their own download.
pub(crate) struct Downloader(Principal);

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    crate::console::cookies_named(headers, crate::console::SESSION_COOKIE)
        .next()
        .map(|c| c.value().to_owned())
        .filter(|token| token.starts_with(SESSION_PREFIX))
}

impl FromRequestParts<AppState> for Downloader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(Self(Principal::from_request_parts(parts, state).await?));
        }
        let token = session_cookie(&parts.headers).ok_or_else(|| {
            Error::unauthorized("unauthenticated", "Sign in first: send Authorization: Bearer <token>.")
        })?;
        let mut principal = state.principals.resolve(&token).await?.ok_or_else(|| {
            Error::unauthorized("invalid_token", "The session is unknown, expired or revoked; sign in again.")
        })?;
        principal.meta = RequestMeta::from_request_parts(parts, state).await?;
        Ok(Self(principal))
    }
}

/// What a browser may do with a file that could run script (HTML, SVG): nothing but show it —
/// no script, no requests, no forms, in an opaque origin, never in a frame.
const ACTIVE_CONTENT_POLICY: &str =
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

/// Downloads one of the tenant's files, as an attachment with its name and media type.
#[utoipa::path(get, path = "/files/{id}", tag = "files", security(("bearer" = [])), params(FilePath),
    description = "Any member of the tenant may download (a session token or API key as bearer, or the \
        console's session cookie, so links in e-mail work in a browser); a patient's subject-access \
        export only staff who may read patients' records, and the download is audited. The file is sent as an \
        attachment with its own media type; HTML and SVG also get `Content-Security-Policy: sandbox`.",
    responses((status = 200, description = "The file's bytes, with its media type as Content-Type",
                  content_type = "*/*",
                  headers(("Content-Disposition" = String, description = "attachment; filename=\"…\"; filename*=UTF-8''…"))),
              (status = 404, description = "No such file for this tenant (`not_found`)", body = Problem)))]
pub(crate) async fn download_file(
    State(state): State<AppState>,
    Downloader(principal): Downloader,
    ApiPath(path): ApiPath<FilePath>,
) -> ApiResult<Response> {
    let ctx = principal.tenant(Action::FilesRead)?;
    // A file attached to a record is a part of that record: its permission, and a read audited.
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    if let Some(attachment) = ils_files::attachments::of_file(&mut tx, path.id).await? {
        let action = match attachment.subject {
            ils_files::attachments::Subject::Patient(_) => Action::PatientsRead,
            ils_files::attachments::Subject::Order(_) => Action::OrdersRead,
        };
        let ctx = principal.tenant(action)?;
        ils_files::attachments::audit_read(&mut tx, &ctx.audit, &attachment).await?;
    }
    tx.commit().await?;
    // A subject-access export is a patient's record: for staff who may read records, audited.
    let may_read_patients = principal.tenant(Action::PatientsRead).is_ok();
    state.privacy.before_download(&ctx, path.id, may_read_patients).await?;
    let (file, blob) = state.files.open(ctx.tenant_id, path.id).await?;
    if blob.size != file.size {
        tracing::warn!(file = %file.id, recorded = file.size, stored = blob.size, "a file's bytes differ in size from its row");
    }
    let mut headers = HeaderMap::new();
    let content_type = HeaderValue::from_str(&file.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.size));
    headers.insert(header::CONTENT_DISPOSITION, content_disposition(&file.name));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if is_active_content(&file.content_type) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(ACTIVE_CONTENT_POLICY));
    }
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(blob.reader));
    Ok((headers, body).into_response())
}

/// `attachment` with the name twice (RFC 6266): `filename*` exact, percent-encoded UTF-8
/// (RFC 5987), and `filename` for old clients, in plain ASCII with anything else as `_`. No
/// name can end the header or add a parameter.
fn content_disposition(name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| if c == ' ' || (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%')) { c } else { '_' })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or(HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_sent_exactly_and_cannot_break_the_header() {
        let header = content_disposition("Zürich \"Q1\"; evil=1 100%.csv");
        assert_eq!(
            header.to_str().unwrap(),
            "attachment; filename=\"Z_rich _Q1_; evil=1 100_.csv\"; \
             filename*=UTF-8''Z%C3%BCrich%20%22Q1%22%3B%20evil%3D1%20100%25.csv"
        );
        assert_eq!(
            content_disposition("a\r\nb").to_str().unwrap(),
            "attachment; filename=\"a__b\"; filename*=UTF-8''a%0D%0Ab"
        );
    }
}
