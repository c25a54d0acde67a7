//! The HTTP application: every domain's routes under `/api/v1`, the OpenAPI document, and the
//! middleware every request passes (request ids, metrics and logs, security headers, body limit,
//! panics as problem+json).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi as _;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::http::health;
use crate::http::problem::{ACTING, Acting, Problem, ProblemCode, REQUEST_ID};
use crate::metrics;
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "ILS API",
        description = "The ILS platform for optical practices and labs: tenancy, users, auth and audit.",
        license(name = "Proprietary"),
    ),
    modifiers(&BearerAuth),
    components(schemas(
        crate::events::catalog::UserRegistered,
        crate::events::catalog::UserApproved,
        crate::events::catalog::UserRejected,
        crate::events::catalog::UserRoleChanged,
        crate::events::catalog::UserRemoved,
        crate::events::catalog::TenantUpdated,
        crate::events::catalog::ApiKeyCreated,
        crate::events::catalog::ApiKeyRevoked,
        crate::events::catalog::WebhookTest,
        crate::events::catalog::PatientCreated,
        crate::events::catalog::PatientUpdated,
        crate::events::catalog::PrescriptionCreated,
        crate::events::catalog::ExaminationFinalised,
        crate::events::catalog::OrderCreated,
        crate::events::catalog::OrderStatusChanged,
        crate::events::catalog::OrderStationChanged,
        crate::events::catalog::StockLow,
        crate::events::catalog::StockChanged,
        crate::events::catalog::PluginVersionYanked,
        crate::events::catalog::PluginVersionMoved,
        crate::events::catalog::GoodsReceived,
        crate::events::catalog::PurchaseOrderStatusChanged,
        crate::events::catalog::StockCountFinalised,
        crate::events::catalog::PurchaseOrderReceived,
        crate::events::catalog::AppointmentBooked,
        crate::events::catalog::AppointmentCancelled,
        crate::events::catalog::AppointmentStatusChanged,
        crate::events::catalog::RecallSet,
        crate::events::catalog::RecallDue,
        crate::events::catalog::ReminderSent,
        crate::events::catalog::PaymentTaken,
        crate::events::catalog::SaleCompleted,
        crate::events::catalog::CreditNoteIssued,
    )),
    tags(
        (name = "auth", description = "Signing in and out, registration"),
        (name = "me", description = "The signed-in user's own account"),
        (name = "users", description = "A tenant's users and their roles"),
        (name = "tenants", description = "Tenants (platform admins) and the current tenant"),
        (name = "api-keys", description = "A tenant's API keys for integrations"),
        (name = "audit", description = "The tenant's audit log"),
        (name = "events", description = "Domain events: list and live stream"),
        (name = "webhooks", description = "Outbound webhooks (Standard Webhooks)"),
        (name = "jobs", description = "The job queue: dead jobs, for platform admins"),
        (name = "patients", description = "Patients' records (every read is audited)"),
        (name = "diary", description = "The practice's diary: clinicians, rooms, appointment types, opening hours, appointments and free slots; recalls, and the messages patients receive"),
        (name = "till", description = "The practice's till: sales with VAT per line, payments (cash, card, NHS vouchers; deposits and balances), credit notes and the end-of-day report"),
        (name = "privacy", description = "Consents, subject-access exports and erased patients' tombstones (UK GDPR)"),
        (name = "orders", description = "Lab orders, their timelines and the production queue"),
        (name = "stock", description = "Items, locations, stock levels, movements, adjustments, transfers and counts"),
        (name = "purchasing", description = "Suppliers, supplier accounts, purchase orders and goods receipts"),
        (name = "plugins", description = "The plugin catalogue, a tenant's plugins, their routes and inbound webhooks, devices"),
        (name = "plans", description = "Plans (platform admins): their limits, quotas and the plugins each includes"),
        (name = "recommendations", description = "Recommendations from the tenant's recommender plugins, and accepting a proposed draft purchase order"),
        (name = "files", description = "The tenant's files: reports and exports its plugins stored, downloaded by its members"),
        (name = "registry", description = "The plugin registry: publishers, signing keys, publishing tokens, signed packages, review and yanks"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A session token (`ils_s_…`) from POST /api/v1/auth/login, or an API key (`ils_k_…`)."))
                    .build(),
            ),
        );
    }
}

/// Every API route with its documentation, before state is attached.
fn routes() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(super::auth::login::router())
        .merge(super::auth::recovery::router())
        .merge(super::auth::me::router())
        .merge(super::auth::api_keys::router())
        .merge(super::users::router())
        .merge(super::invitations::router())
        .merge(super::tenants::router())
        .merge(super::plans::router())
        .merge(super::audit::router())
        .merge(super::events::router())
        .merge(super::webhooks::router())
        .merge(super::jobs::router())
        .merge(super::clinical::patients::router())
        .merge(super::clinical::prescriptions::router())
        .merge(super::clinical::examinations::router())
        .merge(super::privacy::router())
        .merge(super::orders::router())
        .merge(super::accounts::router())
        .merge(super::stock::router())
        .merge(super::plugins::router())
        .merge(super::metering::router())
        .merge(super::registry::router())
        .merge(super::reports::router())
        .merge(super::recommendations::router())
        .merge(super::devices::router())
        .merge(super::bridge::router())
        .merge(super::files::router())
        .merge(super::attachments::router())
        .merge(super::diary::router())
        .merge(super::recalls::router())
        .merge(super::messages::router())
        .merge(super::till::router())
        .merge(health::api_router());
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", api).merge(health::router())
}

/// The OpenAPI document of every route [`app`] serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    versioned(routes().into_openapi())
}

fn versioned(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    super::openapi::finish(&mut doc);
    doc
}

/// The whole HTTP application over `state`.
pub fn app(state: AppState) -> Router {
    let (router, doc) = routes().split_for_parts();
    let doc = Arc::new(serde_json::to_value(versioned(doc)).unwrap_or_default());
    let body_limit = state.config.max_body_bytes;
    let x_request_id = HeaderName::from_static("x-request-id");
    router
        .merge(crate::console::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(doc))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            tracing::error!("handler panicked");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "An internal error occurred.")
                .into_response()
        }))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .with_state(state)
}

/// Logs and measures each request, and makes its id available to problem bodies.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let request_id =
        request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let acting = std::cell::RefCell::new(Acting::default());
    let (response, acting) = ACTING
        .scope(acting, async {
            let response = REQUEST_ID.scope(request_id.clone(), next.run(request)).await;
            (response, ACTING.with(|a| a.borrow().clone()))
        })
        .await;
    let status = response.status().as_u16();
    let problem = response.extensions().get::<ProblemCode>().map(|p| p.0.as_str());
    let elapsed = started.elapsed();
    state.metrics.observe_request(
        &metrics::RequestLabels { method: method.clone(), route: route.clone(), status },
        elapsed.as_secs_f64(),
    );
    tracing::info!(
        request_id = %request_id, %method, %path, %route, status,
        tenant_id = acting.tenant_id.as_deref(), actor_id = acting.actor_id.as_deref(), problem,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    response
}

async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "There is no such endpoint.")
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not accept that method.",
    )
}
