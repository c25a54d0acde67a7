//! Shared HTTP pieces: request extractors, problem+json errors, metrics, health checks and
//! cursor pages. The application that mounts the routes is [`crate::router`].

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod clinical;
pub mod devices;
pub mod events;
pub mod extract;
pub mod health;
pub mod jobs;
pub use crate::metrics;
pub mod orders;
pub use ils_kernel::page as pagination;
pub mod plugins;
pub mod problem;
pub mod router;
pub mod stock;
pub mod tenants;
pub mod users;
pub mod webhooks;
