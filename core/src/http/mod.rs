//! The HTTP API: every domain's handlers (thin: extract, authorise, call the domain's service, map
//! the result), the [`router`] that mounts them under `/api/v1` with the OpenAPI document and the
//! middleware, and the shared pieces — extractors, problem+json errors, health checks, cursor pages.

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod bridge;
pub mod clinical;
pub mod devices;
pub mod diary;
pub mod events;
pub mod extract;
pub mod files;
pub mod health;
pub mod invitations;
pub mod jobs;
pub mod messages;
pub mod metering;
pub mod recalls;
pub use crate::metrics;
pub mod openapi;
pub mod orders;
pub mod plans;
pub use ils_kernel::page as pagination;
pub mod plugins;
pub mod privacy;
pub mod problem;
pub mod recommendations;
pub mod registry;
pub mod reports;
pub mod router;
pub mod stock;
pub mod tenants;
pub mod till;
pub mod users;
pub mod webhooks;
