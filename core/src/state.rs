//! The state every handler shares.

use std::sync::Arc;

use crate::config::AppConfig;
use crate::metrics::Metrics;
use crate::notify::Mailer;
use ils_kernel::error::Result;
use ils_kernel::secrets::Sealer;
use ils_plugin_host::CoreServices;
use ils_storage::Db;
use ils_tenancy::auth::rate_limit::AttemptLimiter;

/// Installs the process-wide TLS provider (ring) that sqlx, reqwest and lettre share. Safe to
/// call more than once; [`AppState::new`] calls it.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Open event streams per caller (a user's id, or an API key's) on this node, for the cap on
/// streams per caller (`http::events`).
#[derive(Debug, Default)]
pub struct OpenStreams(pub(crate) std::sync::Mutex<std::collections::HashMap<uuid::Uuid, usize>>);

/// Shared, cheaply cloned application state.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database pool (PostgreSQL or SQLite).
    pub db: Db,
    /// Run-time settings, shared by every clone of the state.
    pub config: Arc<AppConfig>,
    /// Seals secrets at rest.
    pub sealer: Sealer,
    /// Per-address limiter for sign-in and registration.
    pub attempts: Arc<AttemptLimiter>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Outbound HTTP (webhooks), behind the address guard.
    pub http: reqwest::Client,
    /// SMTP, when configured.
    pub mailer: Option<Mailer>,
    /// The plugin runtime.
    pub plugins: Arc<ils_plugin_host::Plugins>,
    /// Plugins' reports: what they offer, their runs and schedules.
    pub reports: ils_plugin_host::reports::Reports,
    /// Plugins' recommendations, gathered per kind.
    pub recommenders: ils_plugin_host::recommend::Recommenders,
    /// Patients' text messages, through the tenant's SMS provider plugin.
    pub texts: ils_plugin_host::sms::TextMessages,
    /// The tenants' file store (rows and bytes), which plugins write to and the API serves.
    pub files: ils_files::Files,
    /// Privacy: subject-access exports, erasure at the end of retention, tombstones.
    pub privacy: ils_privacy::Privacy,
    /// Live event streams open on this node, per caller (for the per-caller cap).
    pub streams: Arc<OpenStreams>,
    /// Bearer tokens resolved to principals, cached until credentials change.
    pub principals: Arc<ils_tenancy::auth::Principals>,
}

impl AppState {
    /// State over `db` with `config`. Fails on settings that cannot work (an SMTP URL that does
    /// not parse).
    pub fn new(db: Db, config: AppConfig, sealer: Sealer) -> Result<Self> {
        install_tls_provider();
        let attempts = Arc::new(AttemptLimiter::new(config.auth.attempts_per_minute));
        let webhooks = &config.webhooks;
        let http = crate::outbound::http_client(webhooks.allow_private_targets, webhooks.timeout)?;
        let mailer = Mailer::new(&config.email, &config.public_url)?;
        let metrics = Arc::new(Metrics::new());
        let files = ils_files::Files::new(db.clone(), config.files.open());
        let core = core_services(&db, &files, mailer.is_some(), config.jobs.delivery_attempts);
        let plugins = Arc::new(ils_plugin_host::Plugins::new(
            db.clone(),
            sealer.clone(),
            metrics.clone(),
            config.plugins.clone(),
            core,
        ));
        let reports = ils_plugin_host::reports::Reports::new(plugins.clone(), db.clone());
        let recommenders = ils_plugin_host::recommend::Recommenders::new(plugins.clone(), db.clone());
        let texts = ils_plugin_host::sms::TextMessages::new(plugins.clone());
        let privacy = ils_privacy::Privacy::new(db.clone(), files.clone());
        let streams = Arc::default();
        let principals = Arc::new(ils_tenancy::auth::Principals::new(db.clone()));
        let config = Arc::new(config);
        Ok(Self {
            db,
            config,
            sealer,
            attempts,
            metrics,
            http,
            mailer,
            plugins,
            reports,
            recommenders,
            texts,
            files,
            privacy,
            streams,
            principals,
        })
    }

    /// The services this process gives plugins besides the database's: for another plugin
    /// runtime over the same state (a tool, a test playing a second node).
    pub fn plugin_services(&self) -> CoreServices {
        core_services(&self.db, &self.files, self.mailer.is_some(), self.config.jobs.delivery_attempts)
    }
}

/// Files and e-mail for plugins: the shared file store, and staff e-mail through the mail queue
/// (refused while no SMTP server is configured, `smtp`; each message tried `delivery_attempts`
/// times).
pub fn core_services(db: &Db, files: &ils_files::Files, smtp: bool, delivery_attempts: u16) -> CoreServices {
    let notify = crate::notify::StaffMail::new(db.clone(), smtp, delivery_attempts);
    CoreServices { files: files.clone(), notify: Arc::new(notify) }
}
