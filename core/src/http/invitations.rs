//! Invitations: a company admin invites an address with a role (the link goes by e-mail), lists
//! and revokes invitations; the person looks at the offer and accepts it
//! (`ils_tenancy::users::invitations`, docs/adr/036-account-recovery.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::login::settings;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::{ApiResult, Problem};
use crate::notify::{SendEmail, queue_mail};
use crate::state::AppState;
use ils_kernel::error::{Error, Result};
use ils_kernel::permissions::{Action, Role};
use ils_outbox::UnitOfWork;
use ils_storage::ids::InvitationId;
use ils_tenancy::auth::{Principal, RequestMeta};
use ils_tenancy::users::Email;
use ils_tenancy::users::invitations::{self, Accept, INVITATION_TTL, Invitation, Invite, Joined, Offer};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(revoke_invitation))
        .routes(routes!(look_up_invitation))
        .routes(routes!(accept_invitation))
}

/// The tenant's invitations, newest first (the latest 200), with their status.
#[utoipa::path(get, path = "/invitations", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "Invitations", body = Vec<Invitation>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn list_invitations(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<Invitation>>> {
    let ctx = principal.tenant(Action::UsersManage)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    let list = invitations::list(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// Whom to invite.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    /// The address the invitation goes to.
    pub email: String,
    /// The role they get on joining.
    pub role: Role,
}

/// Invite an address to join this tenant with a role. The link goes by e-mail, works once, for
/// 7 days; inviting the address again replaces it.
#[utoipa::path(post, path = "/invitations", tag = "users", security(("bearer" = [])), request_body = NewInvitation,
    responses((status = 201, description = "Invited; the e-mail is on its way", body = Invitation),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 409, description = "Already a member here (`already_member`)", body = Problem),
              (status = 422, description = "Invalid input", body = Problem),
              (status = 503, description = "This server has no mail server (`email_not_configured`)", body = Problem)))]
pub(crate) async fn create_invitation(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<NewInvitation>,
) -> ApiResult<(StatusCode, Json<Invitation>)> {
    let ctx = principal.tenant(Action::UsersManage)?;
    let email = Email::parse("email", &req.email)?;
    if state.mailer.is_none() {
        return Err(Error::NotConfigured {
            code: "email_not_configured",
            message: "This server cannot send e-mail, so invitations cannot reach anyone. Ask your platform \
                operator to set up e-mail, or have the person ask to join at /register."
                .to_owned(),
        }
        .into());
    }
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let issued = invitations::invite(&mut uow, Invite { email, role: req.role }).await?;
    let tenant = ils_tenancy::tenants::get_own(uow.tx()).await?;
    let mail = invitation_mail(&state.config.public_url, &tenant.name, &issued);
    let (conn, jobs) = uow.tx().with_jobs();
    queue_mail(conn, jobs, mail, state.config.jobs.delivery_attempts).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(issued.invitation)))
}

fn invitation_mail(public_url: &url::Url, tenant: &str, issued: &invitations::Issued) -> SendEmail {
    let base = public_url.as_str().trim_end_matches('/');
    let url = format!("{base}/invitation?token={}", issued.token);
    let days = INVITATION_TTL.as_secs() / 86_400;
    SendEmail {
        to: issued.invitation.email.clone(),
        subject: format!("You are invited to join {tenant} on ILS"),
        text: format!(
            "Hello,\n\nYou are invited to join {tenant} on ILS as {role}. To accept, open this link \
             within {days} days and choose a password (or, if you already use ILS, give yours):\n\n{url}\n\n\
             It works once. If you were not expecting this, ignore this message.\n",
            role = issued.invitation.role,
        ),
        html: None,
        links: Vec::new(),
    }
}

/// Withdraw a pending invitation: its link stops working.
#[utoipa::path(delete, path = "/invitations/{invitation_id}", tag = "users", security(("bearer" = [])),
    params(("invitation_id" = InvitationId, Path, description = "The invitation")),
    responses((status = 200, description = "Revoked", body = Invitation),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "Not an invitation of this tenant", body = Problem),
              (status = 409, description = "No longer pending (`not_pending`)", body = Problem)))]
pub(crate) async fn revoke_invitation(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<InvitationId>,
) -> ApiResult<Json<Invitation>> {
    let ctx = principal.tenant(Action::UsersManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let revoked = invitations::revoke(&mut uow, id).await?;
    uow.commit().await?;
    Ok(Json(revoked))
}

/// An invitation link's token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationToken {
    /// The token from the e-mailed link (`ils_i_…`).
    pub token: String,
}

/// What an invitation link offers: where, as what, and whether the address has an account.
#[utoipa::path(post, path = "/auth/invitations/look-up", tag = "auth", request_body = InvitationToken,
    responses((status = 200, description = "The offer", body = Offer),
              (status = 422, description = "The link was used, revoked, replaced, expired or mistyped (`token`)", body = Problem),
              (status = 429, description = "Too many attempts from this address (`rate_limited`)", body = Problem)))]
pub(crate) async fn look_up_invitation(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<InvitationToken>,
) -> ApiResult<Json<Offer>> {
    state.attempts.check(meta.ip.as_deref())?;
    Ok(Json(invitations::offer(&state.db, &req.token).await?))
}

/// Accepting an invitation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The token from the e-mailed link.
    pub token: String,
    /// Your name, for a new account (ignored when the address has one).
    pub name: Option<String>,
    /// A new account's password (at least 12 characters, not common or easy to guess), or your
    /// existing account's password.
    pub password: String,
}

/// Accept an invitation: a new account, or the address's existing one (with its password),
/// becomes an active member with the invited role. Then sign in.
#[utoipa::path(post, path = "/auth/invitations/accept", tag = "auth", request_body = AcceptInvitation,
    responses((status = 201, description = "Joined", body = Joined),
              (status = 409, description = "Already a member (`already_member`)", body = Problem),
              (status = 422, description = "The link is not valid (`token`), a name is missing, or the password is wrong or too weak (`password`)", body = Problem),
              (status = 429, description = "Too many attempts (`rate_limited`), or the address is locked (`account_locked`)", body = Problem)))]
pub(crate) async fn accept_invitation(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<AcceptInvitation>,
) -> ApiResult<(StatusCode, Json<Joined>)> {
    Ok((StatusCode::CREATED, Json(accept(&state, &meta, req.token, req.name, req.password).await?)))
}

/// Accepts under the attempt limiter (the console's form too).
pub(crate) async fn accept(
    state: &AppState,
    meta: &RequestMeta,
    token: String,
    name: Option<String>,
    password: String,
) -> Result<Joined> {
    state.attempts.check(meta.ip.as_deref())?;
    invitations::accept(&state.db, &settings(state), meta, Accept { token, name, password }).await
}
