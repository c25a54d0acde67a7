//! The component: `ils:platform@0.2.0` glue around the core. It owns no rule — every decision is
//! the core's — only the order of calls, the kv layout, and what is reported.
//!
//! - [`webhooks`]: the public `POST /webhooks` (verify, dedupe, queue, answer at once);
//! - [`work`]: the queue's consumer, one topic's work per `plugin.shopify_sync.webhook_received`;
//! - [`run`] and [`steps`]: a full sync or reconciliation, run in slices, one per `sync_step`
//!   event, each inside one invocation's budget;
//! - [`sync`]: pushing one matched item, for the slices and after `stock.changed`;
//! - [`admin`]: the GraphQL Admin API client (token, throttle, retries);
//! - [`state`] and [`status`]: what is kept in kv, and what `GET /status` shows; [`page`]: the
//!   same as the console's status page;
//! - [`settings`]: configuration and secrets; [`clock`]: time for pacing.
//!
//! Routes with a caller (`/api/v1/plugins/shopify-sync/…`): `GET /status` and `GET /page` (the
//! console's page) for any staff, `POST /sync` and `POST /reconcile` for company admins (the
//! page's "Sync now" and "Reconcile now" buttons). The public hook
//! (`/api/v1/hooks/{tenant}/shopify-sync/webhooks`) has no caller; the HMAC is its check.

pub mod admin;
pub mod clock;
pub mod error;
pub mod page;
pub mod run;
pub mod settings;
pub mod state;
pub mod status;
pub mod steps;
pub mod sync;
pub mod webhooks;
pub mod work;

use ils_plugin_sdk::host::{context, log};
use ils_plugin_sdk::{Error, Event, Plugin, Request, Response};
use serde_json::{Value, json};

use self::error::GlueError;
use self::run::{RunKind, Started};
use self::settings::Settings;

/// The event kind the plugin receives its queue as.
pub const QUEUE_EVENT: &str = "plugin.shopify_sync.webhook_received";
/// The event kind the plugin receives its own run's steps as.
pub const STEP_EVENT: &str = "plugin.shopify_sync.sync_step";
/// ILS's stock change event.
pub const STOCK_CHANGED: &str = "stock.changed";
/// The nightly job.
pub const RECONCILE_JOB: &str = "reconcile";
/// The role that may start a sync or reconciliation.
pub const ADMIN_ROLE: &str = "company_admin";

/// The Shopify sync plugin.
pub struct ShopifySync;

/// A problem+json answer.
pub fn problem(status: u16, title: &str, detail: &str) -> Response {
    problem_with(status, title, detail, json!({}))
}

/// A problem+json answer with extension members (`extra` is an object).
fn problem_with(status: u16, title: &str, detail: &str, extra: Value) -> Response {
    let mut body = json!({ "type": "about:blank", "title": title, "status": status, "detail": detail });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    Response {
        status,
        headers: vec![("content-type".into(), "application/problem+json".into())],
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}

fn failed(e: &GlueError) -> Response {
    let status = match e {
        GlueError::Config(_) | GlueError::Invalid(_) => 409,
        GlueError::Admin(_) => 502,
        GlueError::Host(_) | GlueError::Conflict(_) => 503,
    };
    problem(status, "the Shopify sync did not complete", &e.to_string())
}

/// `POST /sync`, `POST /reconcile`: 202 with the run started, or 409 with the one running.
fn begin(kind: RunKind) -> Response {
    let id = run::id(kind, context::now_ms());
    match Settings::load().and_then(|_| steps::begin(kind, id)) {
        Ok(Started::New(run)) => {
            let mut answer = Response::json(&json!({ "run": run.summary() }));
            answer.status = 202;
            answer
        }
        Ok(Started::Busy(run)) => problem_with(
            409,
            "a run is in progress",
            "one sync or reconciliation runs at a time; GET /status shows its progress",
            json!({ "run": run.summary() }),
        ),
        Err(e) => failed(&e),
    }
}

/// Records an error in the status and passes it to the host.
fn reported(result: Result<(), GlueError>) -> Result<(), Error> {
    result.map_err(|e| {
        status::error(&e.to_string());
        e.into()
    })
}

impl Plugin for ShopifySync {
    fn handle_http(request: Request) -> Response {
        let route = request.route().trim_end_matches('/');
        if route == "/webhooks" {
            return match request.method.as_str() {
                "POST" => webhooks::receive(&request),
                _ => problem(405, "method not allowed", "POST a webhook delivery"),
            };
        }
        if !matches!(route, "/status" | "/sync" | "/reconcile" | page::PATH) {
            return Response::not_found();
        }
        // The public hook has no caller; only the webhook is served there.
        let Some(caller) = context::caller() else {
            return problem(401, "sign in", "this route needs a signed-in user");
        };
        match (request.method.as_str(), route) {
            ("GET", "/status") => match status::document() {
                Ok(document) => Response::json(&document),
                Err(e) => failed(&e),
            },
            ("GET", page::PATH) => match status::document() {
                Ok(document) => page::respond(&document),
                Err(e) => page::unavailable(&e.to_string()),
            },
            ("POST", "/sync" | "/reconcile") if !caller.roles.iter().any(|r| r == ADMIN_ROLE) => {
                problem(403, "forbidden", "only a company admin may start a sync")
            }
            ("POST", "/sync") => begin(RunKind::Sync),
            ("POST", "/reconcile") => begin(RunKind::Reconcile),
            _ => problem(405, "method not allowed", "GET /status, GET /page, POST /sync, POST /reconcile"),
        }
    }

    fn handle_event(event: Event) -> Result<(), Error> {
        match event.kind.as_str() {
            QUEUE_EVENT => reported(work::handle(&event)),
            // A step that came before its record was stored is only early: not an error to show.
            STEP_EVENT => match steps::handle(&event) {
                Err(e @ GlueError::Conflict(_)) => Err(e.into()),
                other => reported(other),
            },
            STOCK_CHANGED => reported(sync::on_stock_changed(&event)),
            _ => Ok(()),
        }
    }

    fn run_job(name: &str, scheduled_at_ms: i64) -> Result<(), Error> {
        if name != RECONCILE_JOB {
            return Err(Error::new(format!("no job {name:?}")));
        }
        if state::uninstalled().map_err(Error::from)?.is_some() {
            return Ok(());
        }
        Settings::load().map_err(Error::from)?;
        let id = run::id(RunKind::Reconcile, scheduled_at_ms);
        match steps::begin(RunKind::Reconcile, id) {
            Ok(Started::New(_)) => Ok(()),
            Ok(Started::Busy(running)) => {
                log::info(&format!("nightly reconciliation not started: {} is running", running.id));
                Ok(())
            }
            Err(e) => reported(Err(e)),
        }
    }
}

ils_plugin_sdk::export_plugin!(ShopifySync);
