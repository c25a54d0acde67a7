//! Shared HTTP pieces: request extractors, problem+json errors, metrics, health checks and
//! cursor pages. The application that mounts the routes is [`crate::router`].

pub mod extract;
pub mod health;
pub mod metrics;
pub use ils_kernel::page as pagination;
pub mod problem;
