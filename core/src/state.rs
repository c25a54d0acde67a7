//! The state every handler shares.

use std::sync::Arc;

use crate::auth::rate_limit::AttemptLimiter;
use crate::auth::secrets::Sealer;
use crate::config::AppConfig;
use crate::db::Db;
use crate::http::metrics::Metrics;

/// Shared, cheaply cloned application state.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Settings.
    pub config: Arc<AppConfig>,
    /// Seals secrets at rest.
    pub sealer: Sealer,
    /// Per-address limiter for sign-in and registration.
    pub attempts: Arc<AttemptLimiter>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// State over `db` with `config`.
    pub fn new(db: Db, config: AppConfig, sealer: Sealer) -> Self {
        let attempts = Arc::new(AttemptLimiter::new(config.auth.attempts_per_minute));
        Self {
            db,
            config: Arc::new(config),
            sealer,
            attempts,
            metrics: Arc::new(Metrics::new()),
        }
    }
}
