//! # ILS host
//!
//! The host of the ILS platform for optical practices and labs: tenancy, users and auth, the
//! audit log, storage on SQLite or PostgreSQL, the HTTP API under `/api/v1`, and the domain the
//! host owns: clinical records, lab orders and production, purchasing and stock. The `ils`
//! binary (`src/main.rs`) wraps it in a CLI.
//!
//! The pieces, each a module with its types, storage and routes together:
//! [`tenants`], [`users`], [`auth`], [`audit`], [`events`], [`webhooks`], [`notify`],
//! [`clinical`], [`orders`], [`stock`];
//! [`db`] is the storage layer, [`jobs`] the durable job queue and [`http`] the router and its
//! middleware.
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

pub mod audit;
pub mod auth;
pub mod clinical;
pub mod config;
pub use ils_kernel::error;
pub use ils_storage as db;
pub mod events;
pub mod http;
pub use ils_kernel::input;
pub use ils_storage::ids;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod orders;
pub mod plugins;
pub mod server;
pub mod state;
pub mod stock;
pub mod tenants;
pub mod users;
pub mod webhooks;

pub use config::AppConfig;

pub use error::{Error, Result};
pub use http::router::{app, openapi};
pub use state::{AppState, install_tls_provider};
