//! What every page shares: the frame around it (who is signed in, where, the navigation), the
//! rendering of a template, inline field errors, and error pages.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::http::problem::ApiError;
use ils_kernel::error::{Error, FieldError};
use ils_kernel::permissions::Role;
use ils_tenancy::tenants::TenantKind;

/// The frame of a signed-in page.
#[derive(Clone, Debug)]
pub(crate) struct Chrome {
    /// The user's display name.
    pub user_name: String,
    /// The tenant the session acts in, if any.
    pub tenant_name: Option<String>,
    /// What kind of tenant it is.
    pub kind: Option<TenantKind>,
    /// The user's role there.
    pub role: Option<Role>,
    /// Whether the user administers the platform.
    pub platform_admin: bool,
    /// The CSRF token every form carries.
    pub csrf: String,
    /// Which navigation entry is current (its href).
    pub current: &'static str,
}

/// One entry of the navigation.
pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

impl Chrome {
    /// This page's frame with `href` marked as the current entry.
    pub fn at(&self, href: &'static str) -> Self {
        Self { current: href, ..self.clone() }
    }

    /// Whether the tenant makes lab jobs.
    pub fn is_lab(&self) -> bool {
        matches!(self.kind, Some(TenantKind::Lab | TenantKind::Hybrid))
    }

    /// Whether the tenant sees patients and orders from a lab.
    pub fn is_practice(&self) -> bool {
        matches!(self.kind, Some(TenantKind::Ecp | TenantKind::Hybrid))
    }

    /// Whether the user administers the tenant.
    pub fn is_admin(&self) -> bool {
        self.role == Some(Role::CompanyAdmin)
    }

    /// The navigation for this user and tenant.
    pub fn nav(&self) -> Vec<NavItem> {
        let mut items = Vec::new();
        if self.tenant_name.is_some() {
            items.push(NavItem { href: "/", label: "Today" });
        }
        if self.is_practice()
            && self.role.is_some_and(|r| r.allows(ils_kernel::permissions::Action::DiaryRead))
        {
            items.push(NavItem { href: "/diary", label: "Diary" });
            items.push(NavItem { href: "/recalls", label: "Recalls" });
        }
        if self.is_practice() {
            items.push(NavItem { href: "/patients", label: "Patients" });
            items.push(NavItem { href: "/orders", label: "Orders" });
        }
        if self.is_practice()
            && self.role.is_some_and(|r| r.allows(ils_kernel::permissions::Action::SalesRead))
        {
            items.push(NavItem { href: "/till", label: "Till" });
        }
        if self.is_lab() {
            items.push(NavItem { href: "/production", label: "Production" });
            if self.is_admin() {
                items.push(NavItem { href: "/customers", label: "Customers" });
            }
        }
        if self.kind == Some(TenantKind::Supplier)
            && self.role.is_some_and(|r| r.allows(ils_kernel::permissions::Action::ReceivedOrdersManage))
        {
            items.push(NavItem { href: "/received", label: "Orders received" });
        }
        if self.role.is_some_and(|r| r.allows(ils_kernel::permissions::Action::StockRead)) {
            items.push(NavItem { href: "/stock", label: "Stock" });
        }
        if self.tenant_name.is_some() {
            items.push(NavItem { href: "/reports", label: "Reports" });
        }
        if self.is_admin() {
            items.push(NavItem { href: "/plugins", label: "Plugins" });
            items.push(NavItem { href: "/settings", label: "Settings" });
        }
        items.push(NavItem { href: "/publishing", label: "Publishing" });
        if self.platform_admin {
            items.push(NavItem { href: "/admin/tenants", label: "Tenants" });
            items.push(NavItem { href: "/admin/plans", label: "Plans" });
            items.push(NavItem { href: "/admin/suppliers", label: "Suppliers" });
            items.push(NavItem { href: "/admin/plugins", label: "Catalogue" });
            items.push(NavItem { href: "/admin/registry", label: "Review" });
            items.push(NavItem { href: "/admin/jobs", label: "Jobs" });
            items.push(NavItem { href: "/admin/audit", label: "Platform audit" });
        }
        items.push(NavItem { href: "/account", label: "Account" });
        items
    }

    /// Whether `href` is the current entry (for `aria-current`).
    pub fn is_current(&self, href: &str) -> bool {
        self.current == href
    }
}

/// The HTTP status the API answers for `error` (the console answers with the same).
pub(crate) fn status_of(error: Error) -> StatusCode {
    ApiError(error).into_response().status()
}

/// Renders a template as an HTML page.
pub(crate) fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "rendering a console page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "The page could not be rendered.").into_response()
        }
    }
}

/// Renders a template with a status other than 200 (a form shown again with its errors: 422).
pub(crate) fn render_with(status: StatusCode, page: &impl Template) -> Response {
    let mut response = render(page);
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

/// A form's errors: one message per field, and one for the form as a whole.
#[derive(Debug, Default)]
pub(crate) struct FieldErrors {
    /// The problem's detail, shown above the form.
    pub summary: Option<String>,
    fields: BTreeMap<String, String>,
}

impl FieldErrors {
    /// The errors of a refused operation: its field list, or its message alone.
    pub fn from_error(error: &Error) -> Self {
        let mut errors = Self { summary: Some(error.to_string()), fields: BTreeMap::new() };
        if let Error::Invalid { fields, .. } = error {
            for field in fields {
                errors.fields.entry(field.field.clone()).or_insert_with(|| field.message.clone());
            }
        }
        errors
    }

    /// The message for `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    /// Whether `field` is in error (for `aria-invalid`).
    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    /// Field errors whose field the form does not show, so none is lost.
    pub fn others<'s>(&self, shown: impl AsRef<[&'s str]>) -> Vec<(&str, &str)> {
        let shown = shown.as_ref();
        self.fields
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .map(|(f, m)| (f.as_str(), m.as_str()))
            .collect()
    }
}

/// Why a console request did not produce its page.
#[derive(Debug)]
pub(crate) enum ConsoleError {
    /// Not signed in (or the session ended): go to the sign-in page, then back to `next`.
    SignIn { next: String },
    /// A platform admin who must enrol a second factor first.
    EnrolTotp,
    /// The CSRF token is missing or wrong, or the request came from another site.
    Csrf,
    /// A domain error: shown as a page with the matching status.
    Domain(Error),
}

impl From<Error> for ConsoleError {
    fn from(error: Error) -> Self {
        match error {
            Error::Unauthorized { .. } => Self::SignIn { next: "/".to_owned() },
            other => Self::Domain(other),
        }
    }
}

impl From<ils_storage::DbError> for ConsoleError {
    fn from(error: ils_storage::DbError) -> Self {
        Error::from(error).into()
    }
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> Self {
        error.0.into()
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            Self::SignIn { next } => {
                let to = format!("/sign-in?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
                return Redirect::to(&to).into_response();
            }
            Self::EnrolTotp => return Redirect::to("/account").into_response(),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form could not be accepted: it came from another site or an old page. Go back, reload the page and try again.".to_owned(),
            ),
            Self::Domain(error) => {
                let said = error.to_string();
                let status = status_of(error);
                match status {
                    StatusCode::NOT_FOUND => (
                        status,
                        "Not found",
                        "There is nothing here, or it belongs to another account.".to_owned(),
                    ),
                    StatusCode::FORBIDDEN => (status, "Not allowed", said),
                    StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
                        (status, "Not done", said)
                    }
                    StatusCode::TOO_MANY_REQUESTS => (status, "Too many attempts", said),
                    _ => (status, "Something went wrong", error_detail(status)),
                }
            }
        };
        let page = ErrorPage { status: status.as_u16(), title, message };
        let mut response = render_with(status, &page);
        response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
        response
    }
}

fn error_detail(status: StatusCode) -> String {
    match status {
        StatusCode::SERVICE_UNAVAILABLE => {
            "ILS cannot reach its database just now. Try again in a moment.".to_owned()
        }
        _ => "The request could not be completed. Try again; if it keeps failing, tell your administrator."
            .to_owned(),
    }
}

/// A page handler's result.
pub(crate) type PageResult = Result<Response, ConsoleError>;

/// A moment as people read it: `4 Dec 2026, 15:47 UTC`. The `datetime` attribute keeps the exact
/// value for machines.
pub(crate) fn when(at: &ils_storage::types::Timestamp) -> String {
    at.as_jiff().strftime("%-d %b %Y, %H:%M UTC").to_string()
}

/// A size in bytes as people read it: `512 bytes`, `1.5 KiB`, `10 MiB`.
pub(crate) fn bytes(count: impl std::borrow::Borrow<u64>) -> String {
    let count = *count.borrow();
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if count < 1024 {
        return format!("{count} bytes");
    }
    // Precision is not the point here: tenths of a unit.
    #[allow(clippy::cast_precision_loss)]
    let mut value = count as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    format!("{} {}", text.trim_end_matches(".0"), UNITS[unit])
}

/// Blank text is "not given".
pub(crate) fn given(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// A number typed into a form; blank is "not given".
pub(crate) fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<Option<T>, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| Error::invalid_field(field, format!("{text:?} is not a number")))
}

/// A form shown again with the errors of its refused operation (422, 409 …) and the API's status
/// for them; errors that are not about the form's content become error pages.
pub(crate) fn refused<T: Template>(error: ApiError, page: impl FnOnce(FieldErrors) -> T) -> PageResult {
    refused_with(error, Placing::default(), page)
}

/// The form's input for an API field, when they differ (`lines[0].quantity` → `line-2-quantity`).
pub(crate) type Rename<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// How a refused operation's errors land on a form.
#[derive(Default)]
pub(crate) struct Placing<'a> {
    /// Renames the API's fields to the form's inputs.
    pub rename: Option<Rename<'a>>,
    /// Conflicts that are about one input (`insufficient_stock` → `quantity`).
    pub conflicts: &'a [(&'a str, &'a str)],
}

/// [`refused`], with each error at the input that caused it: the API's fields renamed to the
/// form's, and conflicts about one input shown at it (with the conflict's status).
pub(crate) fn refused_with<T: Template>(
    error: ApiError,
    placing: Placing<'_>,
    page: impl FnOnce(FieldErrors) -> T,
) -> PageResult {
    let (status, placed) = match error.0 {
        Error::Invalid { code, message, fields } => {
            let mut renamed = false;
            let fields = fields
                .into_iter()
                .map(|f| match placing.rename.and_then(|rename| rename(&f.field)) {
                    Some(field) => {
                        renamed = true;
                        FieldError { field, message: f.message }
                    }
                    None => f,
                })
                .collect();
            // The API's message names its own fields; the form's inputs carry the details instead.
            let message = if renamed {
                "Some values need correcting: see the marked fields.".to_owned()
            } else {
                message
            };
            (StatusCode::UNPROCESSABLE_ENTITY, Error::Invalid { code, message, fields })
        }
        Error::Conflict { code, message } => {
            let placed = match placing.conflicts.iter().find(|(c, _)| *c == code) {
                Some((_, field)) => Error::Invalid {
                    code,
                    message: message.clone(),
                    fields: vec![FieldError { field: (*field).to_owned(), message }],
                },
                None => Error::Conflict { code, message },
            };
            (StatusCode::CONFLICT, placed)
        }
        bad @ Error::BadRequest { .. } => (StatusCode::BAD_REQUEST, bad),
        Error::NotConfigured { code, message } => {
            (StatusCode::SERVICE_UNAVAILABLE, Error::NotConfigured { code, message })
        }
        other => return Err(ConsoleError::from(ApiError(other))),
    };
    Ok(render_with(status, &page(FieldErrors::from_error(&placed))))
}

pub(crate) fn millimetres(field: &str, value: &str) -> Result<Option<f64>, Error> {
    given(value)
        .map(|v| {
            v.parse::<f64>()
                .map_err(|_| Error::invalid_field(field, "must be a number of millimetres, e.g. 31.5"))
        })
        .transpose()
}
