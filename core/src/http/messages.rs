//! The words of the messages patients receive, per practice (docs/adr/045-reminders.md): each
//! message's template with the placeholders it may use, rewritten, put back to ILS's own wording,
//! or previewed — with sample values — before it is saved. Company admins' work.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_diary::messages::{self, MessageKind, Rendered, Template};
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(set_template, reset_template))
        .routes(routes!(preview_template))
}

/// Every message's template: the practice's words, or ILS's own where it has not rewritten one.
#[utoipa::path(get, path = "/message-templates", tag = "diary", security(("bearer" = [])),
    responses((status = 200, description = "The templates", body = Vec<Template>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn list_templates(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<Template>>> {
    let ctx = principal.tenant(Action::SettingsManage)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(messages::list(&mut tx).await?))
}

/// A message's words.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateInput {
    /// The subject line (one line, 1–200 characters), with placeholders written `{name}`.
    pub(crate) subject: String,
    /// The text (1–5,000 characters), with placeholders; `{{` and `}}` are literal braces.
    pub(crate) body: String,
}

/// Rewrite a message; a placeholder the message does not have is refused, naming the ones it may
/// use.
#[utoipa::path(put, path = "/message-templates/{message}", tag = "diary", security(("bearer" = [])),
    params(("message" = MessageKind, Path, description = "The message")),
    request_body = TemplateInput,
    responses((status = 200, description = "The template", body = Template),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid template", body = Problem)))]
pub(crate) async fn set_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(kind): ApiPath<MessageKind>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<Json<Template>> {
    let ctx = principal.tenant(Action::SettingsManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let template = messages::set(&mut uow, kind, &input.subject, &input.body).await?;
    uow.commit().await?;
    Ok(Json(template))
}

/// Put ILS's own wording back.
#[utoipa::path(delete, path = "/message-templates/{message}", tag = "diary", security(("bearer" = [])),
    params(("message" = MessageKind, Path, description = "The message")),
    responses((status = 200, description = "The template, ILS's own again", body = Template),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn reset_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(kind): ApiPath<MessageKind>,
) -> ApiResult<Json<Template>> {
    let ctx = principal.tenant(Action::SettingsManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let template = messages::reset(&mut uow, kind).await?;
    uow.commit().await?;
    Ok(Json(template))
}

/// The message as a patient would receive it, filled in with sample values (Ann Example, Bright
/// Eyes Opticians…): the words given, checked as saving would check them; nothing is saved.
#[utoipa::path(post, path = "/message-templates/{message}/preview", tag = "diary", security(("bearer" = [])),
    params(("message" = MessageKind, Path, description = "The message")),
    request_body = TemplateInput,
    responses((status = 200, description = "The message as it would go out", body = Rendered),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid template", body = Problem)))]
pub(crate) async fn preview_template(
    principal: Principal,
    ApiPath(kind): ApiPath<MessageKind>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<Json<Rendered>> {
    principal.tenant(Action::SettingsManage)?;
    messages::check(kind, &input.subject, &input.body)?;
    let template = Template {
        kind,
        subject: input.subject,
        body: input.body,
        custom: true,
        placeholders: kind.placeholders(),
        updated_at: None,
    };
    Ok(Json(template.render(&kind.sample())))
}
