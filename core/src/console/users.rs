//! A tenant's users: who is waiting for approval, approving with a role, rejecting; changing an
//! active member's role and removing a member.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::{Csrf, CsrfForm};
use super::page::refused;
use super::page::{Chrome, FieldErrors, PageResult, render};
use super::session::Viewer;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::problem::ApiError;
use crate::http::users::{
    RoleChange, UserListQuery, approve_user, list_users, reject_user, remove_user, update_user,
};
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
    errors: FieldErrors,
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

async fn users_page(state: &AppState, viewer: &Viewer) -> Result<Users, super::ConsoleError> {
    let pending = members(state, viewer, MembershipStatus::Pending).await?;
    let active = members(state, viewer, MembershipStatus::Active).await?;
    Ok(Users { chrome: viewer.chrome.at("/settings"), pending, active, errors: FieldErrors::default() })
}

/// `GET /users`: pending registrations first, then active members.
pub(crate) async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&users_page(&state, &viewer).await?))
}

/// Back to the list, or the list again with why the change was refused (the last admin…).
async fn outcome<T>(state: &AppState, viewer: &Viewer, result: Result<T, ApiError>) -> PageResult {
    match result {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(error) => {
            let page = users_page(state, viewer).await?;
            refused(error, |errors| Users { errors, ..page })
        }
    }
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

/// `POST /users/{id}/role`: gives an active member another role.
pub(crate) async fn change_role(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user): Path<UserId>,
    CsrfForm(form): CsrfForm<ApproveForm>,
) -> PageResult {
    let change = RoleChange { role: form.role };
    let result =
        update_user(State(state.clone()), viewer.principal.clone(), ApiPath(user), ApiJson(change)).await;
    outcome(&state, &viewer, result).await
}

/// `POST /users/{id}/remove`: takes the member out of the tenant.
pub(crate) async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user): Path<UserId>,
    _: Csrf,
) -> PageResult {
    let result = remove_user(State(state.clone()), viewer.principal.clone(), ApiPath(user)).await;
    outcome(&state, &viewer, result).await
}
