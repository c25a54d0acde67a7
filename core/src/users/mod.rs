//! Users and their memberships in tenants: registration, approval, roles, last-admin protection.
//! The domain is `ils_tenancy::users`, re-exported here; this module adds the HTTP routes.

pub mod routes;

pub use ils_tenancy::users::*;
