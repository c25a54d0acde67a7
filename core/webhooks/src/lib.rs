//! ILS outbound webhooks: tenants' endpoints, signed deliveries with retries, and the address guard.
//!
//! (Being extracted from `ils-core`; see issue 11.)
