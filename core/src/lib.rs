//! # ILS host
//!
//! The host of the ILS platform for optical practices and labs, composed from the crates below it:
//! the domains ([`tenants`], [`users`] and [`auth`] from `ils-tenancy`; [`clinical`], [`orders`],
//! [`stock`], [`webhooks`]), the outbox and the kernel ([`audit`], [`error`], [`input`]) and
//! storage ([`db`]) — re-exported here under the paths tools and tests use. This crate adds what
//! needs all of them: the HTTP API under `/api/v1` ([`http`]), the plugin runtime ([`plugins`]),
//! the job runner that registers the event consumers ([`jobs`]), settings, state, and the `ils`
//! binary (`src/main.rs`).
//!
//! Running the whole application over HTTP, as the tests do:
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use ils_core::{AppConfig, AppState, db::{Db, DbOptions}};
//!
//! let db = Db::connect_and_migrate(&DbOptions::new("sqlite:ils.db")).await?;
//! let sealer = ils_core::config::load_sealer(None, std::path::Path::new("."))?;
//! let state = AppState::new(db, AppConfig::new(), sealer)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! ils_core::server::run(listener, state, std::future::pending()).await?;
//! # Ok(()) }
//! ```

pub mod config;
mod console;
pub mod documents;
pub mod events;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod outbound;
pub mod server;
pub mod state;

// The layers below, under the paths tools, benches and tests name them by. Code in this crate
// imports those crates directly, so nothing here is imported from inside.
pub use ils_clinical as clinical;
pub use ils_files as files;
pub use ils_kernel::{audit, error, input};
pub use ils_orders as orders;
pub use ils_plugin_host as plugins;
pub use ils_privacy as privacy;
pub use ils_publishing as publishing;
pub use ils_stock as stock;
pub use ils_storage as db;
pub use ils_storage::ids;
pub use ils_tenancy::{tenants, users};
pub use ils_webhooks as webhooks;

/// Authentication: the domain ([`ils_tenancy::auth`]) with the permission matrix and secrets of
/// [`ils_kernel`]; the extractors are in [`http::auth`].
pub mod auth {
    pub use ils_kernel::{TenantCtx, permissions, secrets};
    pub use ils_tenancy::auth::*;
}

pub use config::AppConfig;

pub use error::{Error, Result};
pub use http::router::{app, openapi};
pub use state::{AppState, install_tls_provider};
