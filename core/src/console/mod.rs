//! The web console: server-rendered pages for practices, labs and platform admins, served by
//! `ils serve` at `/` beside the API (ADR 014).
//!
//! A page handler takes a [`Viewer`] (the signed-in user, from the `ils_session` cookie), calls
//! the same operation the JSON API calls — usually the API's handler function itself, with the
//! form decoded into the API's input type — and renders an askama template. A problem's field
//! list becomes inline errors on the form that caused it. State changes are POSTs carrying the
//! viewer's CSRF token ([`form::Csrf`]).

mod account;
mod admin;
mod assets;
mod attachments;
mod audit;
mod customers;
mod devices;
mod diary;
mod directory;
mod examinations;
mod form;
mod home;
mod jobs;
mod keys;
mod live;
mod messages;
mod orders;
mod page;
mod patients;
mod plans;
mod plugin_pages;
mod plugins;
mod privacy;
mod publishing;
mod recalls;
mod received;
mod recommendations;
mod recovery;
mod registry;
mod reports;
mod rollouts;
mod session;
mod settings;
mod stock;
mod till;
mod users;
mod webhooks;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use crate::state::AppState;

/// The largest upload form: an attachment at its limit and the form around it.
const UPLOAD_BODY: usize = ils_files::attachments::MAX_ATTACHMENT_BYTES + (1 << 20);

pub(crate) use form::SESSION_COOKIE;
pub(crate) use form::cookies_named;
pub(crate) use page::ConsoleError;

/// The Content-Security-Policy of every console page: scripts and styles only from our own
/// `/assets/`, no inline code, no framing.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/sign-in", get(session::sign_in_page).post(session::sign_in))
        .route("/sign-in/code", get(session::code_page).post(session::code))
        .route("/sign-out", post(session::sign_out))
        .route("/register", get(session::register_page).post(session::register))
        .route("/forgot-password", get(recovery::forgot_page).post(recovery::forgot))
        .route("/reset-password", get(recovery::reset_page).post(recovery::reset))
        .route("/assets/{file}", get(assets::serve))
        .route("/live", get(live::stream))
        .route("/account", get(account::page))
        .route("/account/totp", post(account::start_totp_page))
        .route("/account/totp/confirm", post(account::confirm_totp_page))
        .route("/account/sessions/{session}/revoke", post(account::revoke_session_page))
        .route("/patients", get(patients::list).post(patients::create))
        .route("/patients/new", get(patients::new_form))
        .route("/patients/{patient}", get(patients::record))
        .route(
            "/patients/{patient}/attachments",
            post(attachments::to_patient).layer(DefaultBodyLimit::max(UPLOAD_BODY)),
        )
        .route("/patients/{patient}/prescriptions", post(patients::add_prescription))
        .route("/patients/{patient}/consents", post(patients::add_consent))
        .route("/patients/{patient}/exports", post(privacy::add_export))
        .route("/patients/{patient}/prescriptions/new", get(patients::prescription_form))
        .route("/patients/{patient}/examinations", post(examinations::create))
        .route("/patients/{patient}/examinations/new", get(examinations::new_form))
        .route("/examinations/{examination}", get(examinations::show))
        .route("/examinations/{examination}/device-readings", post(examinations::import))
        .route("/examinations/{examination}/device", post(devices::point))
        .route("/devices", get(devices::list).post(devices::register))
        .route("/devices/{name}", get(devices::log))
        .route("/examinations/{examination}/finalise", post(examinations::finalise))
        .route("/examinations/{examination}/prescribe", post(examinations::prescribe_from))
        .route("/check/eye", get(examinations::check_eye))
        .route("/orders", get(orders::list).post(orders::create))
        .route("/orders/new", get(orders::new_form))
        .route("/orders/new/lens", post(orders::suggest_lens))
        .route("/orders/{order}", get(orders::show))
        .route("/orders/{order}/transitions", post(orders::transition))
        .route("/orders/{order}/station", post(orders::station))
        .route("/orders/{order}/device-packet", post(orders::device_packet))
        .route("/orders/{order}/device-send", post(orders::device_send))
        .route("/orders/{order}/ticket", post(orders::ticket))
        .route(
            "/orders/{order}/attachments",
            post(attachments::to_order).layer(DefaultBodyLimit::max(UPLOAD_BODY)),
        )
        .route("/production", get(orders::board))
        .route("/customers", get(customers::list).post(customers::open))
        .route("/till", get(till::list).post(till::open))
        .route("/till/day", get(till::day))
        .route("/till/sales/{sale}", get(till::show))
        .route("/till/sales/{sale}/lines", post(till::add))
        .route("/till/sales/{sale}/payments", post(till::pay))
        .route("/till/sales/{sale}/complete", post(till::complete))
        .route("/till/sales/{sale}/credit-notes", post(till::credit))
        .route("/recalls", get(recalls::due))
        .route("/patients/{patient}/recall", get(recalls::show).post(recalls::set))
        .route("/diary", get(diary::day))
        .route("/diary/book", get(diary::book_form).post(diary::book))
        .route("/diary/setup", get(diary::setup))
        .route("/diary/setup/clinicians", post(diary::add_clinician_page))
        .route("/diary/setup/rooms", post(diary::add_room_page))
        .route("/diary/setup/types", post(diary::add_type_page))
        .route("/diary/setup/hours", post(diary::set_hours_page))
        .route("/diary/appointments/{appointment}/status", post(diary::move_on))
        .route("/diary/appointments/{appointment}/examination", post(diary::examine))
        .route("/received", get(received::list))
        .route("/received/{received}", get(received::show))
        .route("/received/{received}/acknowledge", post(received::acknowledge))
        .route("/users", get(users::list))
        .route("/users/{user}/approve", post(users::approve))
        .route("/users/{user}/reject", post(users::reject))
        .route("/users/{user}/role", post(users::change_role))
        .route("/users/{user}/remove", post(users::remove))
        .route("/users/{user}", get(users::show))
        .route("/users/{user}/suspend", post(users::suspend))
        .route("/users/{user}/reactivate", post(users::reactivate))
        .route("/users/{user}/unlock", post(users::unlock))
        .route("/invitations", post(users::invite))
        .route("/invitations/{invitation}/revoke", post(users::revoke_invite))
        .route("/invitation", get(recovery::invitation_page).post(recovery::join))
        .route("/settings", get(settings::page))
        .route("/settings/letterhead", post(settings::save_letterhead))
        .route("/settings/messages", get(messages::show))
        .route("/settings/messages/{kind}", post(messages::save))
        .route("/settings/messages/{kind}/reset", post(messages::reset))
        .route("/api-keys", get(keys::list).post(keys::create))
        .route("/api-keys/{key}/revoke", post(keys::revoke))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/{endpoint}", get(webhooks::show))
        .route("/webhooks/{endpoint}/test", post(webhooks::test))
        .route("/webhooks/{endpoint}/rotate-secret", post(webhooks::rotate))
        .route("/webhooks/{endpoint}/delete", post(webhooks::delete))
        .route("/audit", get(audit::tenant_log))
        .route("/plugins", get(plugins::catalogue))
        .route("/plugins/{plugin}", get(plugins::show))
        .route("/plugins/{plugin}/enable", post(plugins::enable))
        .route("/plugins/{plugin}/disable", post(plugins::disable))
        .route("/plugins/{plugin}/config", post(plugins::configure))
        .route("/plugins/{plugin}/secrets", post(plugins::set_secret))
        .route("/plugins/{plugin}/secrets/{name}/delete", post(plugins::remove_secret))
        .route("/plugins/{plugin}/breaker/reset", post(plugins::reset))
        .route("/plugins/{plugin}/updates", post(plugins::updates))
        .route("/recommendations", get(recommendations::show))
        .route("/recommendations/lens", post(recommendations::lens))
        .route("/recommendations/frames", post(recommendations::frames))
        .route("/recommendations/accept", post(recommendations::accept))
        .route("/reports", get(reports::list))
        .route("/reports/{plugin}/{report}", post(reports::render_report))
        .route("/reports/runs/{id}", get(reports::run))
        .route("/reports/schedules", post(reports::schedule))
        .route("/reports/schedules/{id}/delete", post(reports::unschedule))
        .route("/apps/{plugin}/{*path}", get(plugin_pages::show).post(plugin_pages::press))
        .route("/frames/{plugin}/{*path}", get(plugin_pages::frame))
        .route("/admin/tenants", get(admin::tenants))
        .route("/admin/plugins", get(admin::catalogue))
        .route("/admin/tenants/{tenant}/status", post(admin::set_status))
        .route("/admin/tenants/{tenant}/plan", post(admin::set_plan))
        .route("/admin/suppliers", get(directory::page))
        .route("/admin/suppliers/{supplier}/link", post(directory::link_tenant))
        .route("/admin/suppliers/{supplier}/unlink", post(directory::unlink_tenant))
        .route("/admin/plans", get(plans::list).post(plans::create))
        .route("/admin/plans/{plan}", get(plans::show).post(plans::save))
        .route("/admin/plans/{plan}/delete", post(plans::delete))
        .route("/admin/plans/{plan}/plugins/{plugin}/{change}", post(plans::inclusion))
        .route("/publishing", get(publishing::list).post(publishing::create))
        .route("/publishing/{publisher}", get(publishing::show))
        .route("/publishing/{publisher}/keys", post(publishing::add_key))
        .route("/publishing/{publisher}/keys/{key}/revoke", post(publishing::revoke_key))
        .route("/publishing/{publisher}/tokens", post(publishing::create_token))
        .route("/publishing/{publisher}/tokens/{token}/revoke", post(publishing::revoke_token))
        .route("/publishing/{publisher}/versions/{plugin}/{version}/yank", post(publishing::yank))
        .route("/admin/registry", get(registry::queue))
        .route("/admin/registry/versions/{plugin}/{version}/approve", post(registry::approve))
        .route("/admin/registry/versions/{plugin}/{version}/reject", post(registry::reject))
        .route("/admin/registry/publishers/{publisher}/auto-approve", post(registry::auto_approve))
        .route("/admin/registry/plugins/{plugin}", get(rollouts::show))
        .route("/admin/registry/plugins/{plugin}/versions/{version}/rollout", post(rollouts::start))
        .route("/admin/registry/plugins/{plugin}/versions/{version}/rollout/widen", post(rollouts::widen))
        .route(
            "/admin/registry/plugins/{plugin}/versions/{version}/rollout/rollback",
            post(rollouts::rollback),
        )
        .route("/admin/registry/plugins/{plugin}/versions/{version}/move", post(rollouts::move_tenants))
        .route("/admin/jobs", get(jobs::list))
        .route("/admin/jobs/{job}", get(jobs::show))
        .route("/admin/jobs/{job}/retry", post(jobs::retry))
        .route("/admin/audit", get(audit::platform_log))
        .merge(stock::router())
        .layer(middleware::from_fn(security_headers))
}

/// The console's own security headers (a page that sets its own policy — a plugin page's frame —
/// keeps it); the API's defaults (`default-src 'none'`) stay for everything else.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(CSP));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}
