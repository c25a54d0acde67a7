//! Integration tests: the real `ils` app over HTTP, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, missing_docs)]

mod fakes;
mod guests;
mod harness;
mod hot_swap;

mod api_keys;
mod audit;
mod auth;
mod bad_input;
mod conformance;
mod console;
mod console_admin;
mod console_client;
mod console_plans;
mod console_recommendations;
mod console_registry;
mod console_stock;
mod cross_tenant;
mod devices;
mod events;
mod fair_queues;
mod fairness;
mod files;
mod metering;
mod nhs_gos;
mod operations;
mod orders;
mod outbox;
mod packages;
mod patients;
mod plans;
mod plugins;
mod principals;
mod processes;
mod purchasing;
mod quotas;
mod recommendation_phrasing;
mod recommendations;
mod registry;
mod report_plugin;
mod report_reads;
mod reports;
mod rls;
mod roles;
mod rollouts;
mod schema;
#[path = "../../benches/support/seed.rs"]
mod seed;
mod shopify;
mod stock;
mod tenants;
mod users;
mod webhooks;
