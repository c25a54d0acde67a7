//! Tenants: the companies on the platform (practices, labs, suppliers), their status and plan.
//! The domain is `ils_tenancy::tenants`, re-exported here; this module adds the HTTP routes.

pub mod routes;

pub use ils_tenancy::tenants::*;
