//! What the plugin keeps in kv, and under which keys. Every value stays under the host's 64 KiB.
//!
//! | key | value |
//! |---|---|
//! | `state/uninstalled` | Unix ms when `app/uninstalled` was handled; absent while installed |
//! | `run/current` | the sync or reconciliation in progress ([`super::run`]) |
//! | `table/current` | `{"generation", "variant_chunks", "match_chunks", "at_ms"}`: which table is live |
//! | `table/{generation}/variants/{n}` | the Shopify side at the last sync: `[[variant, product, sku, inventory item]…]` |
//! | `table/{generation}/matches/{n}` | the SKU matches: `[[sku, ILS item, variant, inventory item]…]` |
//! | `ledger/{order id}` | the stock movements recorded for a Shopify order (for data requests) |
//! | `webhook/{shop}/{webhook id}` | the core's dedupe entry for a delivery |
//! | `status/…` | what `GET /status` shows ([`super::status`]) |
//!
//! The table is written as a new generation of chunks, then made live by one compare-and-set of
//! `table/current`, then the old chunks are deleted: a reader sees the old table or the new one,
//! never a mix, and two writers cannot both win.

use ils_plugin_sdk::host::kv;
use serde::{Deserialize, Serialize};

use super::error::GlueError;
use crate::ids::{IlsItemId, InventoryItemId, OrderId, ProductId, Sku, VariantId};
use crate::sync::matching::{ShopifyVariant, SkuMatch};

/// `state/uninstalled`.
pub const UNINSTALLED: &str = "state/uninstalled";
const TABLE_CURRENT: &str = "table/current";
/// Keep chunks well under the host's 64 KiB per value.
const CHUNK_BYTES: usize = 48 * 1024;

/// Whether the shop uninstalled the app (and since when, Unix ms).
pub fn uninstalled() -> Result<Option<i64>, GlueError> {
    Ok(kv::get(UNINSTALLED)?.map(|v| String::from_utf8_lossy(&v).trim().parse().unwrap_or(0)))
}

/// Records that the shop uninstalled the app.
pub fn set_uninstalled(now_ms: i64) -> Result<(), GlueError> {
    Ok(kv::set(UNINSTALLED, now_ms.to_string().as_bytes())?)
}

/// Syncing resumes (a full sync succeeded with the tenant's token).
pub fn clear_uninstalled() -> Result<(), GlueError> {
    Ok(kv::delete(UNINSTALLED)?)
}

/// The Shopify variants last read and the matches made from them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Every variant of the shop, as of the last full sync (and product webhooks since).
    pub variants: Vec<ShopifyVariant>,
    /// The SKU matches.
    pub matches: Vec<SkuMatch>,
    /// When it was written.
    pub at_ms: i64,
}

impl Table {
    /// The match of an ILS item.
    pub fn by_item(&self, item: &IlsItemId) -> Option<&SkuMatch> {
        self.matches.iter().find(|m| &m.ils_item == item)
    }

    /// The match of a Shopify inventory item.
    pub fn by_inventory_item(&self, item: InventoryItemId) -> Option<&SkuMatch> {
        self.matches.iter().find(|m| m.inventory_item == item)
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Default)]
struct Current {
    generation: u64,
    variant_chunks: u32,
    match_chunks: u32,
    at_ms: i64,
}

type VariantRow = (u64, u64, Option<String>, u64);
type MatchRow = (String, String, u64, u64);

fn chunk_key(generation: u64, part: &str, n: u32) -> String {
    format!("table/{generation}/{part}/{n}")
}

/// Rows as JSON arrays of at most [`CHUNK_BYTES`] each.
fn chunks<T: Serialize>(rows: &[T]) -> Result<Vec<Vec<u8>>, GlueError> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for row in rows {
        let text = serde_json::to_string(row).map_err(|e| GlueError::Invalid(e.to_string()))?;
        if size + text.len() + 1 > CHUNK_BYTES && !current.is_empty() {
            out.push(format!("[{}]", current.join(",")).into_bytes());
            current.clear();
            size = 2;
        }
        size += text.len() + 1;
        current.push(text);
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")).into_bytes());
    }
    Ok(out)
}

fn read_chunks<T: for<'de> Deserialize<'de>>(
    generation: u64,
    part: &str,
    count: u32,
) -> Result<Option<Vec<T>>, GlueError> {
    let mut rows = Vec::new();
    for n in 0..count {
        let Some(bytes) = kv::get(&chunk_key(generation, part, n))? else { return Ok(None) };
        let chunk: Vec<T> = serde_json::from_slice(&bytes)
            .map_err(|e| GlueError::Invalid(format!("stored table chunk {part}/{n}: {e}")))?;
        rows.extend(chunk);
    }
    Ok(Some(rows))
}

fn current() -> Result<(Option<Vec<u8>>, Current), GlueError> {
    let raw = kv::get(TABLE_CURRENT)?;
    let current = match &raw {
        Some(bytes) => serde_json::from_slice(bytes)
            .map_err(|e| GlueError::Invalid(format!("stored {TABLE_CURRENT}: {e}")))?,
        None => Current::default(),
    };
    Ok((raw, current))
}

/// The live table; `None` before the first full sync.
pub fn load_table() -> Result<Option<Table>, GlueError> {
    // A writer may replace the table between reading `current` and its chunks: read again.
    for _ in 0..3 {
        let (raw, current) = current()?;
        if raw.is_none() {
            return Ok(None);
        }
        let variants: Option<Vec<VariantRow>> =
            read_chunks(current.generation, "variants", current.variant_chunks)?;
        let matches: Option<Vec<MatchRow>> =
            read_chunks(current.generation, "matches", current.match_chunks)?;
        let (Some(variants), Some(matches)) = (variants, matches) else { continue };
        let variants = variants
            .into_iter()
            .map(|(id, product, sku, item)| ShopifyVariant {
                id: VariantId(id),
                product_id: ProductId(product),
                sku,
                inventory_item_id: InventoryItemId(item),
            })
            .collect();
        let matches = matches
            .into_iter()
            .filter_map(|(sku, item, variant, inventory)| {
                Some(SkuMatch {
                    sku: Sku::parse(Some(&sku))?,
                    ils_item: IlsItemId(item),
                    variant: VariantId(variant),
                    inventory_item: InventoryItemId(inventory),
                })
            })
            .collect();
        return Ok(Some(Table { variants, matches, at_ms: current.at_ms }));
    }
    Err(GlueError::Conflict("the match table"))
}

/// Makes `table` the live table (see the module's notes on generations).
pub fn save_table(table: &Table) -> Result<(), GlueError> {
    let (raw, old) = current()?;
    let generation = old.generation + 1;
    let variants: Vec<VariantRow> = table
        .variants
        .iter()
        .map(|v| (v.id.0, v.product_id.0, v.sku.clone(), v.inventory_item_id.0))
        .collect();
    let matches: Vec<MatchRow> = table
        .matches
        .iter()
        .map(|m| (m.sku.as_str().to_owned(), m.ils_item.0.clone(), m.variant.0, m.inventory_item.0))
        .collect();
    let variant_chunks = chunks(&variants)?;
    let match_chunks = chunks(&matches)?;
    let count = |c: &Vec<Vec<u8>>| u32::try_from(c.len()).unwrap_or(u32::MAX);
    let new = Current {
        generation,
        variant_chunks: count(&variant_chunks),
        match_chunks: count(&match_chunks),
        at_ms: table.at_ms,
    };
    for (part, list) in [("variants", &variant_chunks), ("matches", &match_chunks)] {
        for (n, bytes) in (0u32..).zip(list) {
            kv::set(&chunk_key(generation, part, n), bytes)?;
        }
    }
    let new_raw = serde_json::to_vec(&new).map_err(|e| GlueError::Invalid(e.to_string()))?;
    if !kv::compare_and_set(TABLE_CURRENT, raw.as_deref(), Some(&new_raw))? {
        delete_generation(&new)?;
        return Err(GlueError::Conflict("the match table"));
    }
    if raw.is_some() {
        delete_generation(&old)?;
    }
    Ok(())
}

fn delete_generation(current: &Current) -> Result<(), GlueError> {
    for (part, count) in [("variants", current.variant_chunks), ("matches", current.match_chunks)] {
        for n in 0..count {
            kv::delete(&chunk_key(current.generation, part, n))?;
        }
    }
    Ok(())
}

/// One stock movement the plugin recorded in ILS for a Shopify order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Its idempotency key.
    pub key: String,
    /// `sale` or `restock`.
    pub kind: String,
    /// The ILS item.
    pub item: String,
    /// The ILS location.
    pub location: String,
    /// The change.
    pub delta: i64,
    /// When it was first recorded (Unix ms).
    pub at_ms: i64,
}

fn ledger_key(order: OrderId) -> String {
    format!("ledger/{order}")
}

/// The movements recorded for an order.
pub fn ledger(order: OrderId) -> Result<Vec<LedgerEntry>, GlueError> {
    match kv::get(&ledger_key(order))? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| GlueError::Invalid(format!("ledger: {e}"))),
        None => Ok(Vec::new()),
    }
}

/// Adds entries to an order's ledger (an entry whose key is there already is kept as it was).
pub fn add_to_ledger(order: OrderId, entries: &[LedgerEntry]) -> Result<(), GlueError> {
    let key = ledger_key(order);
    for _ in 0..5 {
        let raw = kv::get(&key)?;
        let mut list: Vec<LedgerEntry> = match &raw {
            Some(bytes) => serde_json::from_slice(bytes).unwrap_or_default(),
            None => Vec::new(),
        };
        let before = list.len();
        for entry in entries {
            if !list.iter().any(|e| e.key == entry.key) {
                list.push(entry.clone());
            }
        }
        if list.len() == before {
            return Ok(());
        }
        let bytes = serde_json::to_vec(&list).map_err(|e| GlueError::Invalid(e.to_string()))?;
        if kv::compare_and_set(&key, raw.as_deref(), Some(&bytes))? {
            return Ok(());
        }
    }
    Err(GlueError::Conflict("an order's ledger"))
}

/// Erases every key the plugin holds except the uninstalled flag (`shop/redact`); how many.
pub fn erase_all() -> Result<usize, GlueError> {
    let mut erased = 0;
    let mut after: Option<String> = None;
    loop {
        let page = kv::list_keys_after("", after.as_deref(), 1000)?;
        for key in &page.keys {
            if key != UNINSTALLED {
                kv::delete(key)?;
                erased += 1;
            }
        }
        match page.next_start_after {
            Some(next) => after = Some(next),
            None => return Ok(erased),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_table_is_chunked_under_the_value_limit_and_reads_back_whole() {
        let _mock = ils_plugin_sdk::testing::MockHost::install();
        let variants: Vec<ShopifyVariant> = (0..3000)
            .map(|n| ShopifyVariant {
                id: VariantId(10_000_000_000_000 + n),
                product_id: ProductId(20_000_000_000_000 + n / 3),
                sku: Some(format!("FRAME-{n:05}-BLACK-52-18-140")),
                inventory_item_id: InventoryItemId(30_000_000_000_000 + n),
            })
            .collect();
        let matches: Vec<SkuMatch> = variants
            .iter()
            .map(|v| SkuMatch {
                sku: Sku::parse(v.sku.as_deref()).unwrap(),
                ils_item: IlsItemId(format!("0190f5a8-7c1e-7000-8000-{:012}", v.id.0 % 1_000_000)),
                variant: v.id,
                inventory_item: v.inventory_item_id,
            })
            .collect();
        let table = Table { variants, matches, at_ms: 7 };
        save_table(&table).unwrap();
        let keys = kv::list_keys("table/", 1000).unwrap();
        assert!(keys.len() > 3, "{keys:?}");
        for key in &keys {
            assert!(kv::get(key).unwrap().unwrap().len() <= 64 * 1024, "{key}");
        }
        assert_eq!(load_table().unwrap().unwrap(), table);

        // A second save replaces the first generation's chunks.
        let smaller = Table { variants: table.variants[..10].to_vec(), matches: Vec::new(), at_ms: 8 };
        save_table(&smaller).unwrap();
        assert_eq!(load_table().unwrap().unwrap(), smaller);
        assert!(kv::list_keys("table/1/", 1000).unwrap().is_empty());
    }
}
