//! The tenant's configuration and secrets, read once per invocation into the core's types.
//!
//! Configuration (checked by ILS against the manifest's `config_schema`): `shop_domain`,
//! `locations` (Shopify location id ↔ ILS location id) and `default_location_id`. Secrets, set
//! by the tenant admin: `access_token`, `webhook_secret`, and `webhook_secret_previous` while
//! the app's secret is rotated.

use ils_plugin_sdk::host::{config, secrets};
use serde::Deserialize;

use super::error::GlueError;
use crate::ids::{IlsLocationId, LocationId, ShopDomain};
use crate::sync::locations::LocationMap;
use crate::webhook::{Verifier, WebhookSecret};

/// The secret holding the Admin API access token.
pub const ACCESS_TOKEN: &str = "access_token";
/// The secret holding the app's client secret, which signs webhooks.
pub const WEBHOOK_SECRET: &str = "webhook_secret";
/// The previous client secret, accepted too while the app's secret is rotated.
pub const WEBHOOK_SECRET_PREVIOUS: &str = "webhook_secret_previous";

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    shop_domain: Option<String>,
    #[serde(default)]
    locations: Vec<RawLocation>,
    #[serde(default)]
    default_location_id: Option<String>,
}

#[derive(Deserialize)]
struct RawLocation {
    shopify_location_id: String,
    ils_location_id: String,
}

/// The configuration, parsed.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The tenant's shop.
    pub shop: ShopDomain,
    /// The location table.
    pub locations: LocationMap,
    /// Where online orders that name no mapped location sell from.
    pub default_location: Option<IlsLocationId>,
}

impl Settings {
    /// Reads and parses the configuration.
    pub fn load() -> Result<Self, GlueError> {
        let raw: RawConfig = serde_json::from_str(&config::raw())
            .map_err(|e| GlueError::Config(format!("the configuration is not readable: {e}")))?;
        let shop =
            raw.shop_domain.as_deref().ok_or_else(|| GlueError::Config("shop_domain is not set".into()))?;
        let shop = ShopDomain::parse(shop).map_err(|e| GlueError::Config(e.to_string()))?;
        let pairs = raw
            .locations
            .iter()
            .map(|l| {
                let shopify = LocationId::parse(&l.shopify_location_id)
                    .map_err(|e| GlueError::Config(format!("locations: {e}")))?;
                Ok((shopify, IlsLocationId(l.ils_location_id.clone())))
            })
            .collect::<Result<Vec<_>, GlueError>>()?;
        let locations = LocationMap::new(pairs).map_err(|e| GlueError::Config(format!("locations: {e}")))?;
        let default_location = raw.default_location_id.filter(|id| !id.trim().is_empty()).map(IlsLocationId);
        Ok(Self { shop, locations, default_location })
    }

    /// The webhook verifier for the shop: the current secret, and the previous one if set.
    pub fn verifier(&self) -> Result<Verifier, GlueError> {
        let mut keys = Vec::new();
        for name in [WEBHOOK_SECRET, WEBHOOK_SECRET_PREVIOUS] {
            if let Some(value) = secrets::get(name)?.filter(|v| !v.is_empty()) {
                keys.push(WebhookSecret::new(value).map_err(|e| GlueError::Config(e.to_string()))?);
            }
        }
        Verifier::new(keys, self.shop.clone())
            .map_err(|_| GlueError::Config(format!("the secret {WEBHOOK_SECRET} is not set")))
    }

    /// The Admin API access token.
    pub fn access_token(&self) -> Result<String, GlueError> {
        secrets::get(ACCESS_TOKEN)?
            .filter(|t| !t.is_empty())
            .ok_or_else(|| GlueError::Config(format!("the secret {ACCESS_TOKEN} is not set")))
    }
}
