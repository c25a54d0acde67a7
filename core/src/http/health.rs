//! Liveness, readiness, metrics and the OpenAPI document.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::Problem;
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
}

pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// A health answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    pub status: String,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Up", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".to_owned() })
}

/// The database is reachable and fully migrated.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready", body = Health),
              (status = 503, description = "Database unreachable or not migrated", body = Problem)))]
async fn readyz(State(state): State<AppState>) -> axum::response::Response {
    match state.db.ping().await {
        Err(error) => {
            tracing::warn!(%error, "readiness: database unreachable");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unreachable",
                "The database does not answer.",
            )
            .into_response()
        }
        Ok(()) => match state.db.is_migrated().await {
            Ok(true) => Json(Health { status: "ready".to_owned() }).into_response(),
            Ok(false) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_migrated",
                "The database schema is behind this build: run `ils migrate`.",
            )
            .into_response(),
            Err(error) => {
                tracing::warn!(%error, "readiness: migration state unreadable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not_migrated",
                    "The migration state cannot be read.",
                )
                .into_response()
            }
        },
    }
}

/// Prometheus metrics (OpenMetrics text). The pool gauges are read now, the job-queue gauges
/// at most once a second.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text", body = String)))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    state.metrics.set_pool(state.db.pool_stats());
    if state.metrics.jobs_due() {
        match crate::jobs::stats::queue_counts(&state.db).await {
            Ok(counts) => state.metrics.set_jobs(&counts),
            // The rest is still worth serving; the job gauges keep their last values.
            Err(error) => tracing::warn!(%error, "metrics: the job queue could not be read"),
        }
    }
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        state.metrics.render(),
    )
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1 document", body = Object)))]
async fn openapi_json(Extension(doc): Extension<Arc<serde_json::Value>>) -> Json<serde_json::Value> {
    Json((*doc).clone())
}
