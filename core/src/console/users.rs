//! A tenant's users: who is waiting for approval, approving with a role, rejecting; changing an
//! active member's role, suspending and reactivating, removing a member; and one member's page
//! with their failed sign-ins and the lock on them.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::{Csrf, CsrfForm};
use super::page::refused;
use super::page::{Chrome, FieldErrors, PageResult, render};
use super::session::Viewer;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::invitations::{NewInvitation, create_invitation, list_invitations, revoke_invitation};
use crate::http::problem::ApiError;
use crate::http::users::{
    RoleChange, UserListQuery, approve_user, get_user, list_users, reactivate_user, reject_user, remove_user,
    suspend_user, unlock_user, update_user, user_sign_ins,
};
use crate::state::AppState;
use ils_kernel::permissions::Role;
use ils_storage::ids::InvitationId;
use ils_storage::ids::UserId;
use ils_tenancy::users::invitations::{Invitation, InvitationStatus};
use ils_tenancy::users::sign_ins::SignIns;
use ils_tenancy::users::{Member, MembershipStatus};

#[derive(Template)]
#[template(path = "console/users.html")]
struct Users {
    chrome: Chrome,
    pending: Vec<Member>,
    active: Vec<Member>,
    suspended: Vec<Member>,
    invitations: Vec<Invitation>,
    invite: InviteForm,
    errors: FieldErrors,
}

impl Users {
    fn roles(&self) -> &'static [Role] {
        Role::ALL
    }

    /// The invite form's role: the one chosen, or dispenser at first.
    fn invited_as(&self, role: &Role) -> bool {
        self.invite.role.unwrap_or(Role::Dispenser) == *role
    }

    fn pending(&self, invitation: &Invitation) -> bool {
        invitation.status == InvitationStatus::Pending
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
    let suspended = members(state, viewer, MembershipStatus::Suspended).await?;
    let invitations = list_invitations(State(state.clone()), viewer.principal.clone()).await?.0;
    Ok(Users {
        chrome: viewer.chrome.at("/settings"),
        pending,
        active,
        suspended,
        invitations,
        invite: InviteForm::default(),
        errors: FieldErrors::default(),
    })
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

#[derive(Template)]
#[template(path = "console/user.html")]
struct UserPage {
    chrome: Chrome,
    member: Member,
    sign_ins: SignIns,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

impl UserPage {
    /// A failed sign-in's reason in words.
    fn reason(&self, code: &str) -> &'static str {
        match code {
            "wrong_password" => "Wrong password",
            "second_factor" => "Wrong authentication code",
            "wrong_current_password" => "Wrong current password, changing it",
            "registration_wrong_password" => "Wrong password, asking to join a workplace",
            "locked" => "Refused while locked",
            "membership_suspended" => "Refused: suspended here",
            "tenant_suspended" => "Refused: the workplace is suspended",
            _ => "Refused",
        }
    }
}

async fn user_page(state: &AppState, viewer: &Viewer, user: UserId) -> Result<UserPage, super::ConsoleError> {
    let member = get_user(State(state.clone()), viewer.principal.clone(), ApiPath(user)).await?.0;
    let sign_ins = user_sign_ins(State(state.clone()), viewer.principal.clone(), ApiPath(user)).await?.0;
    Ok(UserPage {
        chrome: viewer.chrome.at("/settings"),
        member,
        sign_ins,
        errors: FieldErrors::default(),
        notice: None,
    })
}

/// `GET /users/{id}`: one member, their failed sign-ins and whether they are locked out.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user): Path<UserId>,
) -> PageResult {
    Ok(render(&user_page(&state, &viewer, user).await?))
}

/// The member's page after a change: with what happened, or why it was refused.
async fn after<T>(
    state: &AppState,
    viewer: &Viewer,
    user: UserId,
    result: Result<T, ApiError>,
    done: &'static str,
) -> PageResult {
    match result {
        Ok(_) => Ok(render(&UserPage { notice: Some(done), ..user_page(state, viewer, user).await? })),
        Err(error) => {
            let page = user_page(state, viewer, user).await?;
            refused(error, |errors| UserPage { errors, ..page })
        }
    }
}

/// `POST /users/{id}/suspend`.
pub(crate) async fn suspend(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user): Path<UserId>,
    _: Csrf,
) -> PageResult {
    let result = suspend_user(State(state.clone()), viewer.principal.clone(), ApiPath(user)).await;
    after(&state, &viewer, user, result, "Suspended: they can no longer act here until reactivated.").await
}

/// `POST /users/{id}/reactivate`.
pub(crate) async fn reactivate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user): Path<UserId>,
    _: Csrf,
) -> PageResult {
    let result = reactivate_user(State(state.clone()), viewer.principal.clone(), ApiPath(user)).await;
    after(&state, &viewer, user, result, "Reactivated, with the role they had.").await
}

/// `POST /users/{id}/unlock`.
pub(crate) async fn unlock(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user): Path<UserId>,
    _: Csrf,
) -> PageResult {
    let result = unlock_user(State(state.clone()), viewer.principal.clone(), ApiPath(user)).await;
    after(&state, &viewer, user, result, "Unlocked: they can sign in again now.").await
}

/// The invite form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: Option<Role>,
}

/// `POST /invitations`: invites an address with a role; the list again, with the invitation or
/// with why it was refused (already a member, no mail server…).
pub(crate) async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> PageResult {
    let request = NewInvitation { email: form.email.clone(), role: form.role.unwrap_or(Role::Dispenser) };
    match create_invitation(State(state.clone()), viewer.principal.clone(), ApiJson(request)).await {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(error) => {
            let page = users_page(&state, &viewer).await?;
            refused(error, |errors| Users { errors, invite: form, ..page })
        }
    }
}

/// `POST /invitations/{id}/revoke`.
pub(crate) async fn revoke_invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(invitation): Path<InvitationId>,
    _: Csrf,
) -> PageResult {
    let result = revoke_invitation(State(state.clone()), viewer.principal.clone(), ApiPath(invitation)).await;
    outcome(&state, &viewer, result).await
}
