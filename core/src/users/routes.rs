//! A tenant's users: list, approve, reject, change role, remove.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Member, MembershipStatus};
use crate::audit::{self, Event};
use crate::auth::Principal;
use crate::auth::permissions::{Action, Role};
use crate::error::{Error, Result};
use crate::events::{self, catalog};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::ids::UserId;
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(get_user, update_user, remove_user))
        .routes(routes!(approve_user))
        .routes(routes!(reject_user))
}

/// Filters for the user list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only memberships with this status.
    pub status: Option<MembershipStatus>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// The tenant's users, with their roles and membership status.
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, description = "Users", body = Page<Member>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> ApiResult<Json<Page<Member>>> {
    let ctx = principal.tenant(Action::UsersRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: query.cursor, limit: query.limit })?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let members = super::list_members(&mut tx, query.status, &page).await?;
    tx.commit().await?;
    Ok(Json(members))
}

/// One user of the tenant.
#[utoipa::path(get, path = "/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")),
    responses((status = 200, description = "The user", body = Member),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem)))]
async fn get_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<Json<Member>> {
    let ctx = principal.tenant(Action::UsersRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let member = super::get_member(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(Json(member))
}

/// The role to give.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// The role in this tenant.
    pub role: Role,
}

/// Approve a pending registration with a role.
#[utoipa::path(post, path = "/users/{user_id}/approve", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")), request_body = RoleChange,
    responses((status = 200, description = "Approved", body = Member),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem),
              (status = 409, description = "Not pending", body = Problem)))]
async fn approve_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
    ApiJson(req): ApiJson<RoleChange>,
) -> ApiResult<Json<Member>> {
    Ok(decide(state, principal, user_id, req.role, MembershipStatus::Active).await?)
}

/// Reject a pending registration.
#[utoipa::path(post, path = "/users/{user_id}/reject", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")),
    responses((status = 200, description = "Rejected", body = Member),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem),
              (status = 409, description = "Not pending", body = Problem)))]
async fn reject_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<Json<Member>> {
    Ok(decide(state, principal, user_id, Role::Dispenser, MembershipStatus::Rejected).await?)
}

async fn decide(
    state: AppState,
    principal: Principal,
    user_id: UserId,
    role: Role,
    outcome: MembershipStatus,
) -> Result<Json<Member>> {
    let ctx = principal.tenant(Action::UsersManage)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    let before = super::get_member(&mut tx, user_id).await?;
    if before.status != MembershipStatus::Pending {
        return Err(Error::conflict(
            "not_pending",
            format!("This registration was already {}.", before.status),
        ));
    }
    let role = if outcome == MembershipStatus::Rejected { before.role } else { role };
    let after = super::set_membership(&mut tx, user_id, role, outcome, ctx.user_id).await?;
    if outcome == MembershipStatus::Active {
        let event = catalog::UserApproved { user_id, email: after.email.clone(), role: after.role };
        events::emit(&mut tx, &event).await?;
    } else {
        events::emit(&mut tx, &catalog::UserRejected { user_id }).await?;
    }
    let action = if outcome == MembershipStatus::Active { "user.approved" } else { "user.rejected" };
    let event = Event::new(action, "user", user_id)
        .changes(serde_json::json!({ "role": after.role, "status": after.status }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Change an active user's role. The tenant's last company admin cannot be demoted.
#[utoipa::path(patch, path = "/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")), request_body = RoleChange,
    responses((status = 200, description = "Changed", body = Member),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem),
              (status = 409, description = "Not active, or the last admin", body = Problem)))]
async fn update_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
    ApiJson(req): ApiJson<RoleChange>,
) -> ApiResult<Json<Member>> {
    let ctx = principal.tenant(Action::UsersManage)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    tx.lock_tenant().await?;
    let before = super::get_member(&mut tx, user_id).await?;
    if before.status != MembershipStatus::Active {
        return Err(Error::conflict(
            "not_active",
            "Only active users' roles can change; approve the registration first.",
        )
        .into());
    }
    if req.role != Role::CompanyAdmin {
        super::ensure_not_last_admin(&before, super::active_admins(&mut tx).await?)?;
    }
    let after =
        super::set_membership(&mut tx, user_id, req.role, MembershipStatus::Active, ctx.user_id).await?;
    if before.role != after.role {
        let event = catalog::UserRoleChanged { user_id, from: before.role, to: after.role };
        events::emit(&mut tx, &event).await?;
    }
    let event = Event::new("user.role_changed", "user", user_id)
        .changes(serde_json::json!({ "role": { "from": before.role, "to": after.role } }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Remove a user from the tenant. The tenant's last company admin cannot be removed.
#[utoipa::path(delete, path = "/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")),
    responses((status = 204, description = "Removed"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem),
              (status = 409, description = "The last admin", body = Problem)))]
async fn remove_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    let ctx = principal.tenant(Action::UsersManage)?;
    let mut tx = state.db.tenant(ctx.tenant_id).await?;
    tx.lock_tenant().await?;
    let member = super::get_member(&mut tx, user_id).await?;
    super::ensure_not_last_admin(&member, super::active_admins(&mut tx).await?)?;
    super::delete_membership(&mut tx, user_id).await?;
    events::emit(&mut tx, &catalog::UserRemoved { user_id }).await?;
    let event = Event::new("user.removed", "user", user_id)
        .changes(serde_json::json!({ "role": member.role, "status": member.status }));
    audit::record(&mut tx, &ctx.audit, event).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
