//! A tenant's users: who is waiting for approval, approving with a role, rejecting.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::{Csrf, CsrfForm};
use super::page::{Chrome, PageResult, render};
use super::session::Viewer;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::users::{RoleChange, UserListQuery, approve_user, list_users, reject_user};
use crate::state::AppState;
use ils_kernel::permissions::Role;
use ils_storage::ids::UserId;
use ils_tenancy::users::{Member, MembershipStatus};

#[derive(Template)]
#[template(path = "console/users.html")]
struct Users {
    chrome: Chrome,
    pending: Vec<Member>,
    active: Vec<Member>,
}

impl Users {
    fn roles(&self) -> &'static [Role] {
        Role::ALL
    }
}

async fn members(
    state: &AppState,
    viewer: &Viewer,
    status: MembershipStatus,
) -> Result<Vec<Member>, super::ConsoleError> {
    let query = UserListQuery { status: Some(status), cursor: None, limit: Some(200) };
    Ok(list_users(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0.items)
}

/// `GET /users`: pending registrations first, then active members.
pub(crate) async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let pending = members(&state, &viewer, MembershipStatus::Pending).await?;
    let active = members(&state, &viewer, MembershipStatus::Active).await?;
    Ok(render(&Users { chrome: viewer.chrome.at("/users"), pending, active }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ApproveForm {
    role: Role,
}

/// `POST /users/{id}/approve`.
pub(crate) async fn approve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user): Path<UserId>,
    CsrfForm(form): CsrfForm<ApproveForm>,
) -> PageResult {
    let _changed =
        approve_user(State(state), viewer.principal, ApiPath(user), ApiJson(RoleChange { role: form.role }))
            .await?;
    Ok(Redirect::to("/users").into_response())
}

/// `POST /users/{id}/reject`.
pub(crate) async fn reject(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user): Path<UserId>,
    _: Csrf,
) -> PageResult {
    let _changed = reject_user(State(state), viewer.principal, ApiPath(user)).await?;
    Ok(Redirect::to("/users").into_response())
}
