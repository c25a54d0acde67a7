//! The OpenAPI document's shared parts, added in one place after every handler's own
//! documentation is merged (docs/adr/019):
//!
//! - every error response is `application/problem+json` (a handler's `body = Problem` says
//!   which statuses it answers; this says how the body is sent);
//! - the statuses the shared machinery answers are documented on every operation they can reach:
//!   the extractors' 400/413/415/422, the bearer check's 401 and 403, the database's 503 — so a
//!   handler documents only what is its own;
//! - the routes whose shape belongs to a plugin (`/plugins/{plugin}/…`, and the public inbound
//!   webhooks under `/hooks/{tenant}/{plugin}/…`) are described generically.

use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn, PathItemBuilder,
};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Content, ObjectBuilder, OpenApi, PathItem, Ref, RefOr, Required, Response, Type};

/// The media type of every error body (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The methods a plugin's routes are documented with (they accept any).
const PLUGIN_METHODS: [(HttpMethod, &str); 5] = [
    (HttpMethod::Get, "get"),
    (HttpMethod::Post, "post"),
    (HttpMethod::Put, "put"),
    (HttpMethod::Patch, "patch"),
    (HttpMethod::Delete, "delete"),
];

/// Completes the document: the plugins' generic routes, then the shared problem responses.
pub(crate) fn finish(doc: &mut OpenApi) {
    add_plugin_routes(doc);
    for (path, item) in doc.paths.paths.iter_mut() {
        for operation in operations_mut(item) {
            add_shared_responses(path, operation);
            send_problems_as_problem_json(operation);
        }
    }
}

/// Every operation of a path item.
pub(crate) fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
        item.query.as_mut(),
    ]
    .into_iter()
    .flatten()
    .chain(item.additional_operations.values_mut())
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, Content::new(Some(Ref::from_schema_name("Problem"))))
        .build()
}

/// Documents `status` on `operation` unless its handler already does (its text is more precise).
fn add(operation: &mut Operation, status: &str, description: &str) {
    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| RefOr::T(problem(description)));
}

fn has_parameter_in(operation: &Operation, place: ParameterIn) -> bool {
    operation.parameters.iter().flatten().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
}

fn add_shared_responses(path: &str, operation: &mut Operation) {
    let in_path = has_parameter_in(operation, ParameterIn::Path);
    let in_query = has_parameter_in(operation, ParameterIn::Query);
    let has_body = operation.request_body.is_some();
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    if in_path {
        add(operation, "400", "The path cannot be read, e.g. an id that is not a UUID (`invalid_path`)");
    }
    if in_query {
        add(operation, "400", "The query cannot be read (`invalid_query`)");
        add(operation, "422", "A query parameter is invalid (`invalid`, naming it)");
    }
    if has_body {
        add(operation, "400", "The body is not JSON (`malformed_json`)");
        add(operation, "413", "The body is larger than the API accepts (`body_too_large`)");
        add(operation, "415", "The body is not sent as application/json (`unsupported_media_type`)");
        add(operation, "422", "The body has the wrong shape or invalid values (`invalid_body`, `invalid`)");
    }
    if secured {
        add(
            operation,
            "401",
            "Not signed in, or the session or API key is no longer valid (`unauthenticated`)",
        );
        add(operation, "403", "The caller's role or API key's scopes do not allow this (`forbidden`)");
    }
    if path.starts_with("/api/v1/") && path != "/api/v1/openapi.json" {
        add(
            operation,
            "503",
            "The database cannot be reached right now; nothing was changed (`unavailable`)",
        );
    }
}

/// Error responses are sent as problem+json: a handler's `body = Problem` is moved there.
fn send_problems_as_problem_json(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        let is_error = status == "default" || status.parse::<u16>().is_ok_and(|s| s >= 400);
        if let (true, RefOr::T(response)) = (is_error, response)
            && let Some(json) = response.content.shift_remove("application/json")
        {
            response.content.insert(PROBLEM_JSON.to_owned(), json);
        }
    }
}

fn text_parameter(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1))))
        .build()
}

/// One generic operation of a plugin's route (`hook`: the public inbound webhooks).
fn plugin_operation(method: &str, hook: bool, rest: bool) -> Operation {
    let (id, summary, description) = if hook {
        (
            "plugin_hook",
            "An inbound webhook for a tenant's plugin",
            "Public (no caller): a third party's callback to the plugin enabled by the tenant with \
             this handle. The plugin verifies the sender itself (e.g. an HMAC header) and answers; \
             the host forwards the request's method, headers, path below the plugin and query, and \
             rate limits each tenant and plugin (429). Unknown tenants and plugins that are not \
             enabled look alike: 404.",
        )
    } else {
        (
            "plugin_route",
            "A route served by a plugin the tenant enabled",
            "The plugin answers, with its own status, headers and body; the signed-in caller's \
             identity (user and role) reaches it, the credentials do not. Which routes and methods \
             a plugin serves is the plugin's documentation. A plugin that is not enabled answers \
             404, one that fails 502, one whose circuit breaker is open 503, one that used its \
             invocations of the month 429.",
        )
    };
    let mut parameters = Vec::new();
    if hook {
        parameters.push(text_parameter("tenant", "The tenant's handle (slug)"));
    }
    parameters.push(text_parameter("plugin", "The plugin's id"));
    if rest {
        parameters.push(text_parameter(
            "path",
            "The path below the plugin, passed to it as `/{path}` (it may hold `/`)",
        ));
    }
    let suffix = if rest { "_path" } else { "" };
    let mut operation = OperationBuilder::new()
        .tag("plugins")
        .operation_id(Some(format!("{id}{suffix}_{method}")))
        .summary(Some(summary))
        .description(Some(description))
        .parameters(Some(parameters))
        .response(
            "default",
            ResponseBuilder::new()
                .description("The plugin's answer: any status, headers and body it chooses")
                .content("*/*", Content::new(None::<RefOr<utoipa::openapi::Schema>>))
                .build(),
        )
        .response("404", problem("No such tenant, the plugin is not installed or not enabled, or it serves no routes (`not_found`, `plugin_not_installed`, `plugin_not_enabled`, `not_provided`)"))
        .response("502", problem("The plugin failed (`plugin_failed`)"))
        .response("503", problem("The plugin is paused by its circuit breaker, or the host is at capacity (`plugin_tripped`, `plugin_busy`; with Retry-After)"));
    if hook {
        operation = operation.response(
            "429",
            problem("Too many inbound calls for this tenant and plugin (`rate_limited`), or the plugin used its invocations of the month (`quota_exceeded`, with `reset_at`); with Retry-After"),
        );
    } else {
        operation = operation
            .response(
                "429",
                problem("The plugin used its invocations of the month (`quota_exceeded`, with `reset_at`; with Retry-After)"),
            )
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()));
    }
    operation.build()
}

fn add_plugin_routes(doc: &mut OpenApi) {
    for (path, hook, rest) in [
        ("/api/v1/plugins/{plugin}", false, false),
        ("/api/v1/plugins/{plugin}/{path}", false, true),
        ("/api/v1/hooks/{tenant}/{plugin}", true, false),
        ("/api/v1/hooks/{tenant}/{plugin}/{path}", true, true),
    ] {
        let mut item = PathItemBuilder::new();
        for (method, name) in PLUGIN_METHODS {
            item = item.operation(method, plugin_operation(name, hook, rest));
        }
        doc.paths.paths.insert(path.to_owned(), item.build());
    }
}
