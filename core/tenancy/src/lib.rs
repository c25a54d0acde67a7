//! ILS tenancy: tenants, users and their memberships, sign-in, sessions, API keys and second factors.
//!
//! (Being extracted from `ils-core`; see issue 11.)
