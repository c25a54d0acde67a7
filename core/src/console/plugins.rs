//! Plugins for the tenant: the catalogue with what each version asks for, enabling with consent
//! to each capability, its configuration as a form generated from the plugin's JSON Schema, its
//! secrets (names listed, values write-only), its usage against the plan's quotas, and resetting
//! its open circuit breaker.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::form::{Csrf, CsrfForm};
use super::page::{Chrome, FieldErrors, PageResult, render};
use super::page::{given, refused};
use super::session::Viewer;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::plugins::{
    EnableInput, SecretInfo, SecretInput, delete_secret, disable_plugin, enable_plugin, get_config,
    get_plugin, list_plugins, list_secrets, plugin_usage, put_config, put_secret, reset_breaker,
};
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_plugin_host::quota::Usage;
use ils_plugin_host::{BreakerState, CatalogueEntry, VersionInfo};
use ils_storage::types::Timestamp;

#[derive(Template)]
#[template(path = "console/plugins.html")]
struct Catalogue {
    chrome: Chrome,
    plugins: Vec<CatalogueEntry>,
}

/// `GET /plugins`.
pub(crate) async fn catalogue(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let plugins = list_plugins(State(state), viewer.principal.clone()).await?.0;
    Ok(render(&Catalogue { chrome: viewer.chrome.at("/plugins"), plugins }))
}

/// One configuration field, from one property of the schema.
#[derive(Clone)]
pub(crate) struct ConfigField {
    pub name: String,
    pub label: String,
    pub description: String,
    /// `text`, `number`, `checkbox`, `select` or `json` (a list or an object, typed as JSON).
    pub kind: &'static str,
    pub options: Vec<String>,
    pub value: String,
    pub required: bool,
}

/// The form fields of an object schema's properties, filled from `current`.
fn config_fields(schema: &Value, current: &Map<String, Value>) -> Vec<ConfigField> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let text = |key: &str| property.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
            let options: Vec<String> = property
                .get("enum")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect();
            let kind = match property.get("type").and_then(Value::as_str) {
                _ if !options.is_empty() => "select",
                Some("integer" | "number") => "number",
                Some("boolean") => "checkbox",
                Some("array" | "object") => "json",
                _ => "text",
            };
            let value = match current.get(name).or_else(|| property.get("default")) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) if kind == "json" => serde_json::to_string_pretty(other).unwrap_or_default(),
                Some(other) => other.to_string(),
            };
            let title = text("title");
            ConfigField {
                name: name.clone(),
                label: if title.is_empty() { name.replace('_', " ") } else { title },
                description: text("description"),
                kind,
                options,
                value,
                required: required.contains(&name.as_str()),
            }
        })
        .collect()
}

/// The configuration typed into a generated form, as JSON of the schema's types. A blank
/// optional field is left out; a value that is not of its type is an error on that field.
fn config_from_form(schema: &Value, form: &[(String, String)]) -> Result<Map<String, Value>, Error> {
    let mut config = Map::new();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Ok(config);
    };
    let typed = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    for (name, property) in properties {
        let kind = property.get("type").and_then(Value::as_str);
        if kind == Some("boolean") {
            config.insert(name.clone(), Value::Bool(typed(name).is_some()));
            continue;
        }
        let Some(value) = typed(name).and_then(given) else { continue };
        let value = match kind {
            Some("integer") => Value::from(
                value
                    .parse::<i64>()
                    .map_err(|_| Error::invalid_field(&format!("/{name}"), "must be a whole number"))?,
            ),
            Some("number") => Value::from(
                value
                    .parse::<f64>()
                    .map_err(|_| Error::invalid_field(&format!("/{name}"), "must be a number"))?,
            ),
            Some("array" | "object") => serde_json::from_str(&value)
                .map_err(|e| Error::invalid_field(&format!("/{name}"), format!("must be JSON ({e})")))?,
            _ => Value::String(value),
        };
        config.insert(name.clone(), value);
    }
    Ok(config)
}

#[derive(Template)]
#[template(path = "console/plugin.html")]
struct Plugin {
    chrome: Chrome,
    plugin: CatalogueEntry,
    fields: Vec<ConfigField>,
    errors: FieldErrors,
    saved: bool,
    /// The secrets' names (their values never leave the server).
    secrets: Vec<SecretInfo>,
    /// The secret name typed into a refused form.
    secret_name: String,
    /// Its usage against the plan's quotas, once it was enabled.
    usage: Option<Usage>,
}

impl Plugin {
    /// The breaker's state in words.
    fn breaker(&self, state: &BreakerState) -> &'static str {
        match state {
            BreakerState::Closed => "closed (calls go through)",
            BreakerState::Open => "open (calls are paused after repeated failures)",
            BreakerState::HalfOpen => "half open (the next call is a trial)",
        }
    }

    /// Whether calls are held back by the breaker (open or half open), so resetting it helps.
    fn breaker_tripped(&self) -> bool {
        self.plugin.enablement.as_ref().is_some_and(|e| !matches!(e.breaker.state, BreakerState::Closed))
    }

    /// A size in bytes as people read it.
    fn size(&self, bytes: &u64) -> String {
        super::page::bytes(*bytes)
    }

    /// Why the version the tenant is on was yanked, if it was.
    fn yanked(&self) -> Option<&str> {
        self.plugin.enablement.as_ref().and_then(|e| e.yanked.as_deref())
    }

    /// The version the tenant is on.
    fn current_version(&self) -> &str {
        self.plugin.enablement.as_ref().map_or("", |e| e.version.as_str())
    }

    /// The versions the tenant may move to or enable: a yanked one is offered to no one new.
    fn offered(&self) -> Vec<&VersionInfo> {
        self.plugin.versions.iter().filter(|v| v.yanked.is_none()).collect()
    }

    /// A day as people read it: `1 Aug 2026`.
    fn day(&self, at: &Timestamp) -> String {
        at.as_jiff().strftime("%-d %b %Y").to_string()
    }

    /// Whether the tenant has it enabled.
    fn enabled(&self) -> bool {
        self.plugin.enablement.as_ref().is_some_and(|e| e.enabled)
    }

    /// The error shown at a config field (jsonschema names fields by JSON pointer).
    fn field_error(&self, name: &str) -> Option<&str> {
        self.errors.get(&format!("/{name}")).or_else(|| self.errors.get(name))
    }
}

async fn plugin_page(state: &AppState, viewer: &Viewer, id: &str) -> Result<Plugin, super::ConsoleError> {
    let plugin = get_plugin(State(state.clone()), viewer.principal.clone(), ApiPath(id.to_owned())).await?.0;
    let enabled = plugin.enablement.as_ref().is_some_and(|e| e.enabled);
    let current = if enabled {
        match get_config(State(state.clone()), viewer.principal.clone(), ApiPath(id.to_owned())).await?.0 {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    } else {
        Map::new()
    };
    let fields = config_fields(&shown_schema(&plugin), &current);
    let (secrets, usage) = if plugin.enablement.is_some() {
        let secrets =
            list_secrets(State(state.clone()), viewer.principal.clone(), ApiPath(id.to_owned())).await?.0;
        let usage =
            plugin_usage(State(state.clone()), viewer.principal.clone(), ApiPath(id.to_owned())).await?.0;
        (secrets, Some(usage))
    } else {
        (Vec::new(), None)
    };
    Ok(Plugin {
        chrome: viewer.chrome.at("/plugins"),
        plugin,
        fields,
        errors: FieldErrors::default(),
        saved: false,
        secrets,
        secret_name: String::new(),
        usage,
    })
}

/// `GET /plugins/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    Ok(render(&plugin_page(&state, &viewer, &id).await?))
}

#[derive(Debug, Deserialize)]
pub(crate) struct EnableForm {
    version: String,
    #[serde(default)]
    consent: Vec<String>,
    /// `compatible` (follow `^version`) or `pinned`.
    #[serde(default)]
    updates: Option<String>,
}

/// The range a choice of updates means for `version`: `compatible` follows `^version`,
/// anything else pins it.
fn track_for(updates: Option<&str>, version: &str) -> Option<String> {
    Some(if updates == Some("compatible") { format!("^{version}") } else { String::new() })
}

/// The prefix of the enable form's configuration fields (`config.shop_domain`), apart from its
/// own fields (`version`, `consent`, `updates`).
const ENABLE_CONFIG: &str = "config.";

/// `POST /plugins/{id}/enable`: enables the version with the capabilities consented to and, when
/// the form carries them, its configuration (a plugin whose schema requires a field cannot be
/// enabled without it).
pub(crate) async fn enable(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let form = EnableForm {
        version: one("version").unwrap_or_default(),
        consent: pairs.iter().filter(|(k, _)| k == "consent").map(|(_, v)| v.clone()).collect(),
        updates: one("updates"),
    };
    let typed: Vec<(String, String)> = pairs
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(ENABLE_CONFIG).map(|name| (name.to_owned(), v.clone())))
        .collect();
    let page = plugin_page(&state, &viewer, &id).await?;
    let schema =
        page.plugin.versions.iter().find(|v| v.version == form.version).map(|v| v.config_schema.clone());
    let config = match (schema, typed.is_empty()) {
        (Some(schema), false) => config_from_form(&schema, &typed).map(|c| Some(Value::Object(c))),
        _ => Ok(None),
    };
    let track = track_for(form.updates.as_deref(), &form.version);
    let outcome = match config {
        Ok(config) => {
            let input = EnableInput { version: form.version, consent: form.consent, config, track };
            enable_plugin(State(state.clone()), viewer.principal.clone(), ApiPath(id.clone()), ApiJson(input))
                .await
                .map(|_| ())
        }
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/plugins/{id}")).into_response()),
        Err(error) => {
            let typed: Map<String, Value> = typed.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            let fields = if typed.is_empty() {
                page.fields.clone()
            } else {
                config_fields(&shown_schema(&page.plugin), &typed)
            };
            refused(error, |errors| Plugin { errors, fields, ..page })
        }
    }
}

/// The schema the page's configuration fields come from: the enabled version's, else the newest
/// offered.
fn shown_schema(plugin: &CatalogueEntry) -> Value {
    plugin
        .enablement
        .as_ref()
        .and_then(|e| plugin.versions.iter().find(|v| v.version == e.version))
        .or_else(|| plugin.versions.first())
        .map(|v| v.config_schema.clone())
        .unwrap_or_default()
}

/// `POST /plugins/{id}/disable`.
pub(crate) async fn disable(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    _: Csrf,
) -> PageResult {
    disable_plugin(State(state), viewer.principal, ApiPath(id.clone())).await?;
    Ok(Redirect::to(&format!("/plugins/{id}")).into_response())
}

/// `POST /plugins/{id}/config`: the generated form, typed by the schema and checked by the API.
pub(crate) async fn configure(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let page = plugin_page(&state, &viewer, &id).await?;
    let schema = page
        .plugin
        .enablement
        .as_ref()
        .and_then(|e| page.plugin.versions.iter().find(|v| v.version == e.version))
        .map(|v| v.config_schema.clone())
        .unwrap_or_default();
    let outcome = match config_from_form(&schema, &form) {
        Ok(config) => {
            put_config(State(state.clone()), viewer.principal.clone(), ApiPath(id.clone()), ApiJson(config))
                .await
                .map(|_| ())
        }
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok(()) => {
            let page = plugin_page(&state, &viewer, &id).await?;
            Ok(render(&Plugin { saved: true, ..page }))
        }
        Err(error) => {
            // Show what was typed, not what is stored.
            let typed: Map<String, Value> = form
                .iter()
                .filter(|(k, _)| k != "_csrf")
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            let fields = config_fields(&schema, &typed);
            refused(error, |errors| Plugin { errors, fields, ..page })
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SecretForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

/// `POST /plugins/{id}/secrets`: sets a secret's value (new or replaced); it is never shown again.
pub(crate) async fn set_secret(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<SecretForm>,
) -> PageResult {
    let name = form.name.trim().to_owned();
    let input = SecretInput { value: form.value };
    match put_secret(
        State(state.clone()),
        viewer.principal.clone(),
        ApiPath((id.clone(), name.clone())),
        ApiJson(input),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/plugins/{id}")).into_response()),
        Err(error) => {
            let page = plugin_page(&state, &viewer, &id).await?;
            refused(error, |errors| Plugin { errors, secret_name: name, ..page })
        }
    }
}

/// `POST /plugins/{id}/secrets/{name}/delete`.
pub(crate) async fn remove_secret(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, name)): Path<(String, String)>,
    _: Csrf,
) -> PageResult {
    delete_secret(State(state), viewer.principal, ApiPath((id.clone(), name))).await?;
    Ok(Redirect::to(&format!("/plugins/{id}")).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct UpdatesForm {
    updates: String,
}

/// `POST /plugins/{id}/updates`: follow compatible updates of the version it runs, or pin it.
pub(crate) async fn updates(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<UpdatesForm>,
) -> PageResult {
    let page = plugin_page(&state, &viewer, &id).await?;
    let enablement = page.plugin.enablement.clone().ok_or(Error::NotFound("enabled plugin"))?;
    let input = EnableInput {
        track: track_for(Some(&form.updates), &enablement.version),
        version: enablement.version,
        consent: enablement.capabilities,
        config: None,
    };
    match enable_plugin(State(state.clone()), viewer.principal.clone(), ApiPath(id.clone()), ApiJson(input))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/plugins/{id}")).into_response()),
        Err(error) => refused(error, |errors| Plugin { errors, ..page }),
    }
}

/// `POST /plugins/{id}/breaker/reset`: lets calls through again after the cause was fixed.
pub(crate) async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    _: Csrf,
) -> PageResult {
    let _enablement = reset_breaker(State(state), viewer.principal, ApiPath(id.clone())).await?;
    Ok(Redirect::to(&format!("/plugins/{id}")).into_response())
}
