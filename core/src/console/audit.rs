//! The audit log, newest first: a company admin's own tenant, and for platform admins the whole
//! platform's, each filtered by what the API filters on (action, kind of record, record id, who,
//! period; for the platform also the tenant) and paged by the API's cursor.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::page::given;
use super::page::{Chrome, FieldErrors, PageResult, render, render_with};
use super::session::Viewer;
use crate::http::audit::{AuditQuery, PlatformAuditQuery, list_audit, list_platform_audit};
use crate::http::extract::ApiQuery;
use crate::http::tenants::list_tenants;
use crate::http::users::{UserListQuery, list_users};
use crate::state::AppState;
use ils_kernel::audit::AuditEntry;
use ils_kernel::error::Error;
use ils_kernel::page::{Page, PageQuery};
use ils_storage::ids::TenantId;

/// Entries per page.
const PER_PAGE: u32 = 50;

/// The filters as typed (a GET form: the page's address is the query, so it can be bookmarked).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuditForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity_type: String,
    #[serde(default)]
    entity_id: String,
    /// Who: a member's user id (tenant log), or any actor id.
    #[serde(default)]
    actor_id: String,
    /// From this day, `YYYY-MM-DD`.
    #[serde(default)]
    from: String,
    /// Up to and including this day.
    #[serde(default)]
    to: String,
    /// Platform only: blank for every tenant, `platform` for events outside any, or a tenant id.
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    cursor: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    /// The platform's log rather than the tenant's.
    platform: bool,
    filter: AuditForm,
    entries: Vec<AuditEntry>,
    next_cursor: Option<String>,
    errors: FieldErrors,
    /// Names to show for ids: the tenant's members, or (platform) the tenants.
    names: HashMap<String, String>,
    tenants: Vec<(String, String)>,
}

impl AuditPage {
    fn path(&self) -> &'static str {
        if self.platform { "/admin/audit" } else { "/audit" }
    }

    /// The members to filter by, by name.
    fn people(&self) -> Vec<(String, String)> {
        let mut people: Vec<(String, String)> =
            self.names.iter().map(|(id, name)| (id.clone(), name.clone())).collect();
        people.sort_by(|a, b| a.1.cmp(&b.1));
        people
    }

    /// Who acted: a member's name where the page knows it.
    fn actor(&self, entry: &AuditEntry) -> String {
        match entry.actor_id.map(|id| id.to_string()) {
            Some(id) => match self.names.get(&id) {
                Some(name) => name.clone(),
                None => format!("{} {}", entry.actor_kind, id),
            },
            None => entry.actor_kind.to_string(),
        }
    }

    fn tenant(&self, entry: &AuditEntry) -> String {
        match entry.tenant_id.map(|id| id.to_string()) {
            Some(id) => self.names.get(&id).cloned().unwrap_or(id),
            None => "platform".to_owned(),
        }
    }

    /// The change, as compact JSON; blank when there is none.
    fn changes(&self, entry: &AuditEntry) -> String {
        match &entry.changes {
            serde_json::Value::Object(map) if map.is_empty() => String::new(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// The next page's address: the same filters and the API's cursor.
    fn next_href(&self) -> Option<String> {
        let cursor = self.next_cursor.as_deref()?;
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("action", &self.filter.action),
            ("entity_type", &self.filter.entity_type),
            ("entity_id", &self.filter.entity_id),
            ("actor_id", &self.filter.actor_id),
            ("from", &self.filter.from),
            ("to", &self.filter.to),
            ("tenant_id", &self.filter.tenant_id),
        ] {
            if !value.trim().is_empty() {
                query.append_pair(key, value.trim());
            }
        }
        query.append_pair("cursor", cursor);
        Some(format!("{}?{}", self.path(), query.finish()))
    }

    fn filtered(&self) -> bool {
        [
            &self.filter.action,
            &self.filter.entity_type,
            &self.filter.entity_id,
            &self.filter.actor_id,
            &self.filter.from,
            &self.filter.to,
            &self.filter.tenant_id,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

/// The page with the API's answer: its entries, or its refusal of a filter shown at the filter.
fn answer(page: AuditPage, result: Result<Page<AuditEntry>, Error>) -> PageResult {
    match result {
        Ok(found) => Ok(render(&AuditPage { entries: found.items, next_cursor: found.next_cursor, ..page })),
        Err(error @ Error::Invalid { .. }) => {
            let errors = FieldErrors::from_error(&error);
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &AuditPage { errors, ..page }))
        }
        Err(error) => Err(error.into()),
    }
}

/// The "who" filter as typed: blank, or an id.
fn actor(filter: &AuditForm) -> Result<Option<uuid::Uuid>, Error> {
    given(&filter.actor_id)
        .map(|id| id.parse().map_err(|_| Error::invalid_field("actor_id", "is not someone in this log")))
        .transpose()
}

/// `GET /audit`: the tenant's log, newest first, a page at a time.
pub(crate) async fn tenant_log(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<AuditForm>,
) -> PageResult {
    let result = match actor(&filter) {
        Ok(actor_id) => {
            let query = AuditQuery {
                action: given(&filter.action),
                entity_type: given(&filter.entity_type),
                entity_id: given(&filter.entity_id),
                actor_id,
                from: given(&filter.from),
                to: given(&filter.to),
                cursor: given(&filter.cursor),
                limit: Some(PER_PAGE),
            };
            list_audit(State(state.clone()), viewer.principal.clone(), ApiQuery(query))
                .await
                .map(|found| found.0)
                .map_err(|e| e.0)
        }
        Err(error) => Err(error),
    };
    // Members' names for the "who" column (best effort: the log is readable without them).
    let members = UserListQuery { status: None, cursor: None, limit: Some(200) };
    let names = match list_users(State(state), viewer.principal.clone(), ApiQuery(members)).await {
        Ok(found) => found.0.items.into_iter().map(|m| (m.user_id.to_string(), m.name)).collect(),
        Err(_) => HashMap::new(),
    };
    let page = AuditPage {
        chrome: viewer.chrome.at("/settings"),
        platform: false,
        filter,
        entries: Vec::new(),
        next_cursor: None,
        errors: FieldErrors::default(),
        names,
        tenants: Vec::new(),
    };
    answer(page, result)
}

/// `GET /admin/audit`: the whole platform's log, for platform admins.
pub(crate) async fn platform_log(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<AuditForm>,
) -> PageResult {
    let tenants = PageQuery { cursor: None, limit: Some(200) };
    let tenants =
        list_tenants(State(state.clone()), viewer.principal.clone(), ApiQuery(tenants)).await?.0.items;
    let scope = match filter.tenant_id.trim() {
        "" => Ok((None, false)),
        "platform" => Ok((None, true)),
        id => id
            .parse::<TenantId>()
            .map(|id| (Some(id), false))
            .map_err(|_| Error::invalid_field("tenant_id", "is not a tenant")),
    };
    let result = match scope.and_then(|scope| Ok((scope, actor(&filter)?))) {
        Ok(((tenant_id, platform_only), actor_id)) => {
            let query = PlatformAuditQuery {
                tenant_id,
                platform_only,
                action: given(&filter.action),
                entity_type: given(&filter.entity_type),
                entity_id: given(&filter.entity_id),
                actor_id,
                from: given(&filter.from),
                to: given(&filter.to),
                cursor: given(&filter.cursor),
                limit: Some(PER_PAGE),
            };
            list_platform_audit(State(state), viewer.principal.clone(), ApiQuery(query))
                .await
                .map(|found| found.0)
                .map_err(|e| e.0)
        }
        Err(error) => Err(error),
    };
    let page = AuditPage {
        chrome: viewer.chrome.at("/admin/audit"),
        platform: true,
        filter,
        entries: Vec::new(),
        next_cursor: None,
        errors: FieldErrors::default(),
        names: tenants.iter().map(|t| (t.id.to_string(), t.name.clone())).collect(),
        tenants: tenants.into_iter().map(|t| (t.id.to_string(), t.name)).collect(),
    };
    answer(page, result)
}
