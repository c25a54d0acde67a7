//! The queue's consumer: a `plugin.shopify_sync.webhook_received` event does its topic's work
//! with the core.
//!
//! | topic | work |
//! |---|---|
//! | `orders/*`, `refunds/create` | the core's [`MovementContext`] plan → `inventory::record_movements` (its keys make each exactly-once); skipped lines to the status |
//! | `products/update`, `products/delete` | the product's variants replace (or leave) the stored Shopify side; the core re-matches |
//! | `inventory_levels/update` | the core's drift for that item and location; drift is fixed by pushing ILS's quantity |
//! | `app/uninstalled` | the uninstalled flag: webhooks and pushes then only answer |
//! | privacy topics | what the core's [`privacy`] plan says, with an audit event |

use ils_plugin_sdk::host::{context, events, inventory};
use ils_plugin_sdk::{Event, HostError};
use serde_json::json;

use super::error::GlueError;
use super::settings::Settings;
use super::state::{self, LedgerEntry, Table};
use super::status::{self, Matching, SkippedLine};
use super::sync;
use super::webhooks::Queued;
use crate::graphql::response::Level;
use crate::ids::{IlsItemId, IlsLocationId, OrderId, ShopDomain};
use crate::privacy::{self, PrivacyAction};
use crate::sync::drift::drift;
use crate::sync::locations::LocationMap;
use crate::sync::matching::{Catalog, IlsItem, ShopifyVariant, match_by_sku};
use crate::sync::movements::{MovementContext, MovementKind, MovementPlan, SkipReason};
use crate::webhook::payload::{InventoryLevel, Payload};

/// Handles one queued delivery.
pub fn handle(event: &Event) -> Result<(), GlueError> {
    let queued: Queued =
        event.payload_as().map_err(|e| GlueError::Invalid(format!("queued webhook unreadable: {e}")))?;
    let settings = Settings::load()?;
    if queued.shop != settings.shop {
        // The tenant changed shop since it was queued.
        return Err(GlueError::Invalid(format!("queued webhook for {}, not {}", queued.shop, settings.shop)));
    }
    if state::uninstalled()?.is_some() && !queued.topic.is_privacy() {
        return Ok(());
    }
    let body = serde_json::to_vec(&queued.payload).map_err(|e| GlueError::Invalid(e.to_string()))?;
    let payload = Payload::parse(&queued.topic, &body).map_err(|e| GlueError::Invalid(e.to_string()))?;
    match payload {
        Payload::Order(order) => {
            let table = state::load_table()?.unwrap_or_default();
            let catalog = Catalog::new(&table.matches);
            let default = default_location(&settings)?;
            let ctx = movement_context(&settings, &catalog, &default);
            let name = order.name.clone().unwrap_or_else(|| order.id.to_string());
            apply(&ctx.order(&order), order.id, &name)
        }
        Payload::Refund(refund) => {
            let table = state::load_table()?.unwrap_or_default();
            let catalog = Catalog::new(&table.matches);
            let default = default_location(&settings)?;
            let ctx = movement_context(&settings, &catalog, &default);
            apply(&ctx.refund(&refund, None), refund.order_id, &refund.order_id.to_string())
        }
        Payload::Product(product) => {
            let variants = product.variants.iter().map(|v| ShopifyVariant {
                id: v.id,
                product_id: product.id,
                sku: v.sku.clone(),
                inventory_item_id: v.inventory_item_id,
            });
            rematch(product.id, variants.collect(), "products/update")
        }
        Payload::ProductDeleted(deleted) => rematch(deleted.id, Vec::new(), "products/delete"),
        Payload::InventoryLevel(level) => level_changed(&settings, &level, &queued.webhook_id),
        Payload::AppUninstalled(_) => state::set_uninstalled(context::now_ms()),
        Payload::CustomersDataRequest(request) => {
            let PrivacyAction::ReportOrders(orders) = privacy::plan_data_request(&request) else {
                return Err(GlueError::Invalid("unexpected privacy plan".into()));
            };
            let mut held = Vec::new();
            for order in &orders {
                held.push(json!({ "order_id": order.to_string(), "movements": state::ledger(*order)? }));
            }
            publish(
                "privacy_data_request",
                json!({
                    "shop": queued.shop,
                    "webhook_id": queued.webhook_id,
                    "data_request_id": request.data_request.map(|d| d.id),
                    "customer_id": request.customer.id.map(|c| c.to_string()),
                    "personal_data_held": false,
                    "orders": held,
                }),
            )
        }
        Payload::CustomersRedact(request) => {
            let PrivacyAction::NothingToRedact(orders) = privacy::plan_customer_redact(&request) else {
                return Err(GlueError::Invalid("unexpected privacy plan".into()));
            };
            publish(
                "privacy_customer_redact",
                json!({
                    "shop": queued.shop,
                    "webhook_id": queued.webhook_id,
                    "customer_id": request.customer.id.map(|c| c.to_string()),
                    "orders": orders.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "personal_data_held": false,
                    "note": "The plugin keeps no name, email, address or phone; the stock movements of these orders stay as the practice's stock record.",
                }),
            )
        }
        Payload::ShopRedact(request) => {
            let PrivacyAction::EraseShop(domain) = privacy::plan_shop_redact(&request) else {
                return Err(GlueError::Invalid("unexpected privacy plan".into()));
            };
            if ShopDomain::parse(&domain).ok().as_ref() != Some(&settings.shop) {
                return Err(GlueError::Invalid(format!("shop/redact for {domain}, not {}", settings.shop)));
            }
            let erased = state::erase_all()?;
            publish(
                "privacy_shop_redact",
                json!({
                    "shop": queued.shop,
                    "webhook_id": queued.webhook_id,
                    "erased_kv_entries": erased,
                    "note": "Every kv entry of the plugin was erased but the uninstalled flag; the configuration and secrets are the tenant admin's to remove.",
                }),
            )
        }
        Payload::Ignored => Ok(()),
    }
}

fn publish(kind: &str, payload: serde_json::Value) -> Result<(), GlueError> {
    Ok(events::publish(kind, &payload)?)
}

fn default_location(settings: &Settings) -> Result<IlsLocationId, GlueError> {
    settings
        .default_location
        .clone()
        .ok_or_else(|| GlueError::Config("default_location_id is not set; orders cannot be placed".into()))
}

fn movement_context<'a>(
    settings: &'a Settings,
    catalog: &'a Catalog,
    default: &'a IlsLocationId,
) -> MovementContext<'a> {
    MovementContext {
        shop: &settings.shop,
        catalog,
        locations: &settings.locations,
        default_location: default,
    }
}

fn skip_reason(reason: &SkipReason) -> String {
    match reason {
        SkipReason::Unmatched { sku: Some(sku) } => format!("SKU {sku} is not matched to an ILS item"),
        SkipReason::Unmatched { sku: None } => "no SKU, and the variant is not matched".into(),
        SkipReason::UnknownLine => "the refund names a line the payload does not carry".into(),
        SkipReason::NothingToMove => "nothing to move".into(),
    }
}

/// Records a plan's movements for `order` in ILS (each once by its key), in the order's ledger,
/// and its skipped lines in the status.
fn apply(plan: &MovementPlan, order: OrderId, order_name: &str) -> Result<(), GlueError> {
    let now = context::now_ms();
    let skipped: Vec<_> = plan
        .skipped
        .iter()
        .filter(|s| s.reason != SkipReason::NothingToMove)
        .map(|s| SkippedLine {
            at_ms: now,
            order_id: s.order.to_string(),
            line_id: s.line.to_string(),
            reason: skip_reason(&s.reason),
        })
        .collect();
    status::skipped(skipped)?;
    let batch: Vec<inventory::StockMovement> = plan
        .movements
        .iter()
        .map(|m| inventory::StockMovement {
            key: m.key.clone(),
            item_id: m.item.0.clone(),
            location_id: m.location.0.clone(),
            delta: m.delta,
            kind: match m.kind {
                MovementKind::Sale => inventory::MovementKind::Sale,
                MovementKind::Restock => inventory::MovementKind::Return,
            },
            note: match m.kind {
                MovementKind::Sale => format!("Shopify order {order_name}: sold"),
                MovementKind::Restock => format!("Shopify order {order_name}: restocked by a refund"),
            },
        })
        .collect();
    if batch.is_empty() {
        return Ok(());
    }
    let outcomes = match inventory::record_movements(&batch) {
        Ok(outcomes) => outcomes,
        // One refused movement (stock would go below zero, an unknown location) refuses the
        // call: record the others one by one, and report the refused.
        Err(HostError::Invalid(_) | HostError::NotFound) => {
            let mut outcomes = Vec::new();
            for movement in &batch {
                match inventory::record_movements(std::slice::from_ref(movement)) {
                    Ok(mut one) => outcomes.append(&mut one),
                    Err(e @ (HostError::Invalid(_) | HostError::NotFound)) => {
                        status::error(&format!("ILS refused movement {}: {e}", movement.key))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            outcomes
        }
        Err(e) => return Err(e.into()),
    };
    let applied = outcomes.iter().filter(|o| o.applied).count() as u64;
    let already = outcomes.len() as u64 - applied;
    status::count(|c| {
        c.movements_applied += applied;
        c.movements_already_applied += already;
    })?;
    let recorded: Vec<LedgerEntry> = plan
        .movements
        .iter()
        .filter(|m| outcomes.iter().any(|o| o.key == m.key))
        .map(|m| LedgerEntry {
            key: m.key.clone(),
            kind: match m.kind {
                MovementKind::Sale => "sale".into(),
                MovementKind::Restock => "restock".into(),
            },
            item: m.item.0.clone(),
            location: m.location.0.clone(),
            delta: m.delta,
            at_ms: now,
        })
        .collect();
    state::add_to_ledger(order, &recorded)
}

/// Replaces one product's variants in the stored Shopify side and re-matches with the core; what
/// is left unmatched (a SKU now on two variants, say) is reported in the status.
fn rematch(
    product: crate::ids::ProductId,
    variants: Vec<ShopifyVariant>,
    cause: &str,
) -> Result<(), GlueError> {
    let Some(table) = state::load_table()? else {
        // Nothing matched yet: the first full sync will read the product.
        return Ok(());
    };
    let mut all: Vec<ShopifyVariant> =
        table.variants.into_iter().filter(|v| v.product_id != product).collect();
    all.extend(variants);
    let items: Vec<IlsItem> = inventory::all_items()?
        .into_iter()
        .map(|i| IlsItem { id: IlsItemId(i.id), sku: Some(i.sku) })
        .collect();
    let matched = match_by_sku(&all, &items);
    let now = context::now_ms();
    state::save_table(&Table { variants: all, matches: matched.matched.clone(), at_ms: now })?;
    status::save_matching(&Matching::of(&matched, cause, now))
}

/// `inventory_levels/update`: the core's drift for that item and location; any drift is fixed by
/// pushing ILS's quantity (read fresh, compare-and-swap).
fn level_changed(settings: &Settings, level: &InventoryLevel, webhook_id: &str) -> Result<(), GlueError> {
    let Some(table) = state::load_table()? else { return Ok(()) };
    let Some(m) = table.by_inventory_item(level.inventory_item_id) else { return Ok(()) };
    let Some(ils_location) = settings.locations.ils(level.location_id).cloned() else { return Ok(()) };
    let single = LocationMap::new([(level.location_id, ils_location.clone())])
        .map_err(|e| GlueError::Invalid(e.to_string()))?;
    let on_hand = inventory::stock_by_sku(m.sku.as_str())?
        .into_iter()
        .find(|l| l.item_id == m.ils_item.0 && l.location_id == ils_location.0)
        .map_or(0, |l| l.on_hand);
    let ils = std::collections::BTreeMap::from([((m.ils_item.clone(), ils_location.clone()), on_hand)]);
    let shopify = Level {
        inventory_item: level.inventory_item_id,
        location: level.location_id,
        available: level.available,
    };
    let report = drift(std::slice::from_ref(m), &single, &ils, &[shopify]);
    if report.drifts.is_empty() {
        return Ok(());
    }
    sync::push_one(settings, m, &ils_location, &format!("level-{webhook_id}"), "inventory_levels/update")
}
