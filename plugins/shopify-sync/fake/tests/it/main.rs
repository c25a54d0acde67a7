//! The fake answers what the plugin's pure core sends, in shapes the core's readers accept.
//!
//! Requests are built with `ils_shopify_sync::graphql` and sent over HTTPS to the fake; answers
//! are read with `ils_shopify_sync::graphql::response`. Time is a `ManualClock`, so throttling is
//! tested without sleeping.

#![allow(clippy::unwrap_used, missing_docs)]

mod auth;
mod binary;
mod bulk;
mod inventory;
mod reads;
mod support;
mod throttling;
mod webhooks;
