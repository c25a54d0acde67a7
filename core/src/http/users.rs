//! A tenant's users: list, approve, reject, change role, suspend and reactivate, see failed
//! sign-ins and lift a sign-in lock, remove.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageQuery, PageRequest};
use crate::http::problem::ApiResult;
use crate::http::problem::Problem;
use crate::state::AppState;
use ils_kernel::error::Result;
use ils_kernel::permissions::{Action, Role};
use ils_outbox::UnitOfWork;
use ils_storage::ids::UserId;
use ils_tenancy::auth::Principal;
use ils_tenancy::users::sign_ins::{self, SignIns};
use ils_tenancy::users::{ChangeRole, Decision, Member, MembershipStatus};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(get_user, update_user, remove_user))
        .routes(routes!(approve_user))
        .routes(routes!(reject_user))
        .routes(routes!(suspend_user))
        .routes(routes!(reactivate_user))
        .routes(routes!(user_sign_ins))
        .routes(routes!(unlock_user))
}

/// Filters for the user list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only memberships with this status.
    pub status: Option<MembershipStatus>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The tenant's users, with their roles and membership status.
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, description = "Users", body = Page<Member>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> ApiResult<Json<Page<Member>>> {
    let ctx = principal.tenant(Action::UsersRead)?;
    let page = PageRequest::parse(&PageQuery { cursor: query.cursor, limit: query.limit })?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let members = ils_tenancy::users::list_members(&mut tx, query.status, &page).await?;
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
pub(crate) async fn get_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<Json<Member>> {
    let ctx = principal.tenant(Action::UsersRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let member = ils_tenancy::users::get_member(&mut tx, user_id).await?;
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
pub(crate) async fn approve_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
    ApiJson(req): ApiJson<RoleChange>,
) -> ApiResult<Json<Member>> {
    Ok(Json(decide(&state, &principal, user_id, Decision::Approve(req.role)).await?))
}

/// Reject a pending registration.
#[utoipa::path(post, path = "/users/{user_id}/reject", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")),
    responses((status = 200, description = "Rejected", body = Member),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem),
              (status = 409, description = "Not pending", body = Problem)))]
pub(crate) async fn reject_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<Json<Member>> {
    Ok(Json(decide(&state, &principal, user_id, Decision::Reject).await?))
}

async fn decide(
    state: &AppState,
    principal: &Principal,
    user_id: UserId,
    decision: Decision,
) -> Result<Member> {
    let ctx = principal.tenant(Action::UsersManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let member = ils_tenancy::users::decide(&mut uow, user_id, decision).await?;
    uow.commit().await?;
    Ok(member)
}

/// Change an active user's role. The tenant's last company admin cannot be demoted.
#[utoipa::path(patch, path = "/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")), request_body = RoleChange,
    responses((status = 200, description = "Changed", body = Member),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem),
              (status = 409, description = "Not active, or the last admin", body = Problem)))]
pub(crate) async fn update_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
    ApiJson(req): ApiJson<RoleChange>,
) -> ApiResult<Json<Member>> {
    let ctx = principal.tenant(Action::UsersManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let member = ils_tenancy::users::change_role(&mut uow, ChangeRole { user_id, role: req.role }).await?;
    uow.commit().await?;
    Ok(Json(member))
}

/// Remove a user from the tenant. The tenant's last company admin cannot be removed.
#[utoipa::path(delete, path = "/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")),
    responses((status = 204, description = "Removed"),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem),
              (status = 409, description = "The last admin", body = Problem)))]
pub(crate) async fn remove_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    let ctx = principal.tenant(Action::UsersManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    ils_tenancy::users::remove(&mut uow, user_id).await?;
    uow.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Suspend an active member: their sessions and API calls stop acting in this tenant at once, and
/// signing in is refused with `membership_suspended`, until an admin reactivates them. The
/// tenant's last active company admin cannot be suspended.
#[utoipa::path(post, path = "/users/{user_id}/suspend", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")),
    responses((status = 200, description = "Suspended", body = Member),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem),
              (status = 409, description = "Not active (`not_active`), or the last admin (`last_admin`)", body = Problem)))]
pub(crate) async fn suspend_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<Json<Member>> {
    Ok(Json(set_suspended(&state, &principal, user_id, true).await?))
}

/// Reactivate a suspended member, with the role they had.
#[utoipa::path(post, path = "/users/{user_id}/reactivate", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")),
    responses((status = 200, description = "Active again", body = Member),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem),
              (status = 409, description = "Not suspended (`not_suspended`)", body = Problem)))]
pub(crate) async fn reactivate_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<Json<Member>> {
    Ok(Json(set_suspended(&state, &principal, user_id, false).await?))
}

async fn set_suspended(
    state: &AppState,
    principal: &Principal,
    user_id: UserId,
    suspended: bool,
) -> Result<Member> {
    let ctx = principal.tenant(Action::UsersManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let member = ils_tenancy::users::set_suspended(&mut uow, user_id, suspended).await?;
    uow.commit().await?;
    Ok(member)
}

/// A member's failed sign-ins of the last 30 days (newest first) and whether sign-ins with their
/// address are locked now. Company admins only.
#[utoipa::path(get, path = "/users/{user_id}/sign-ins", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")),
    responses((status = 200, description = "Failed sign-ins and the lock", body = SignIns),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem)))]
pub(crate) async fn user_sign_ins(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<Json<SignIns>> {
    let ctx = principal.tenant(Action::UsersManage)?;
    Ok(Json(sign_ins::sign_ins(&state.db, ctx.tenant_id, user_id).await?))
}

/// Whether a lock was lifted.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Unlocked {
    /// True when sign-ins with the member's address were locked until now.
    pub was_locked: bool,
}

/// Lift the sign-in lock on a member's address (after too many wrong passwords, by anyone), and
/// forget the failures counted towards it.
#[utoipa::path(post, path = "/users/{user_id}/unlock", tag = "users", security(("bearer" = [])),
    params(("user_id" = UserId, Path, description = "The user")),
    responses((status = 200, description = "Unlocked (or was not locked)", body = Unlocked),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not a user of this tenant", body = Problem)))]
pub(crate) async fn unlock_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<Json<Unlocked>> {
    let ctx = principal.tenant(Action::UsersManage)?;
    let was_locked = sign_ins::unlock(&state.db, ctx.tenant_id, &ctx.audit, user_id).await?;
    Ok(Json(Unlocked { was_locked }))
}
