//! Bulk operations: `bulkOperationRunQuery` starts an export, `node(id:)` polls it, and the
//! finished JSONL is served by the fake itself at the operation's `url`.
//!
//! An operation is `CREATED` when started, `RUNNING` for [`BulkSettings::polls_while_running`]
//! polls, then `COMPLETED`; the export is read from the shop when it completes. The JSONL is
//! Shopify's flattened shape: each product, then its variants naming it in `__parentId`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{State, error};
use crate::ids::{BulkOperationId, ProductId, VariantId};
use crate::shop::Shop;

/// How bulk operations behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkSettings {
    /// Polls answered `RUNNING` before the one that sees `COMPLETED`.
    pub polls_while_running: u32,
    /// Bulk query operations that may run at once: five from API version 2026-01 on, one before.
    pub concurrency: usize,
}

impl Default for BulkSettings {
    fn default() -> Self {
        Self { polls_while_running: 1, concurrency: 5 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Created,
    Running,
    Completed,
}

impl Status {
    fn wire(self) -> &'static str {
        match self {
            Status::Created => "CREATED",
            Status::Running => "RUNNING",
            Status::Completed => "COMPLETED",
        }
    }
}

#[derive(Debug, Clone)]
struct Operation {
    status: Status,
    polls: u32,
    export: Option<(String, u64)>,
}

/// The shop's bulk operations.
#[derive(Debug, Default)]
pub(crate) struct Bulk {
    pub(crate) settings: BulkSettings,
    operations: BTreeMap<BulkOperationId, Operation>,
}

impl Bulk {
    pub(crate) fn new(settings: BulkSettings) -> Self {
        Self { settings, operations: BTreeMap::new() }
    }

    /// The JSONL of a completed operation, by the file name in its `url`.
    pub(crate) fn download(&self, file: &str) -> Option<String> {
        let id = BulkOperationId(file.strip_suffix(".jsonl")?.parse().ok()?);
        self.operations.get(&id)?.export.as_ref().map(|(jsonl, _)| jsonl.clone())
    }
}

/// The bulk query to run.
#[derive(Debug, Clone)]
pub(crate) struct RunArgs {
    query: String,
}

impl RunArgs {
    pub(crate) fn read(variables: &Value) -> Result<Self, Vec<Value>> {
        let query = variables
            .get("query")
            .and_then(Value::as_str)
            .ok_or_else(|| vec![error("Variable $query of type String! was provided invalid value")])?;
        Ok(Self { query: query.to_owned() })
    }
}

/// The operation to poll.
#[derive(Debug, Clone)]
pub(crate) struct StatusArgs {
    id: String,
}

impl StatusArgs {
    pub(crate) fn read(variables: &Value) -> Result<Self, Vec<Value>> {
        let id = variables
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| vec![error("Variable $id of type ID! was provided invalid value")])?;
        Ok(Self { id: id.to_owned() })
    }
}

fn refused(message: &str, code: &str) -> Value {
    json!({ "bulkOperationRunQuery": {
        "bulkOperation": null,
        "userErrors": [{ "field": null, "message": message, "code": code }],
    }})
}

/// Starts an export: its `data`.
pub(crate) fn run(state: &mut State, args: &RunArgs) -> Value {
    // The fake exports products with their variants, whatever else the query selects.
    if !args.query.contains("products") {
        return refused("The fake Shopify can only export products with their variants.", "INVALID");
    }
    let running: Vec<BulkOperationId> = state
        .bulk
        .operations
        .iter()
        .filter(|(_, op)| op.status != Status::Completed)
        .map(|(id, _)| *id)
        .collect();
    if running.len() >= state.bulk.settings.concurrency {
        return match running.first() {
            Some(first) if state.bulk.settings.concurrency == 1 => refused(
                &format!(
                    "A bulk query operation for this app and shop is already in progress: {}.",
                    first.gid()
                ),
                "OPERATION_IN_PROGRESS",
            ),
            _ => refused("Bulk operations limit reached. Please try again later.", "LIMIT_REACHED"),
        };
    }
    let id = BulkOperationId(state.shop.next_id());
    state.bulk.operations.insert(id, Operation { status: Status::Created, polls: 0, export: None });
    json!({ "bulkOperationRunQuery": {
        "bulkOperation": { "id": id.gid(), "status": Status::Created.wire() },
        "userErrors": [],
    }})
}

/// Polls an operation (moving it on): its `data`.
pub(crate) fn status(state: &mut State, args: &StatusArgs) -> Value {
    let domain = state.shop.domain.clone();
    let Some(id) = BulkOperationId::from_gid(&args.id) else { return json!({ "node": null }) };
    let settings = state.bulk.settings;
    let Some(op) = state.bulk.operations.get_mut(&id) else { return json!({ "node": null }) };
    if op.status != Status::Completed {
        op.polls += 1;
        if op.polls > settings.polls_while_running {
            op.status = Status::Completed;
            op.export = Some(export(&state.shop));
        } else {
            op.status = Status::Running;
        }
    }
    let count = op.export.as_ref().map_or(0, |(_, n)| *n);
    let url = op.export.as_ref().map(|_| format!("https://{domain}/bulk/{}.jsonl", id.0));
    json!({ "node": {
        "id": id.gid(),
        "status": op.status.wire(),
        "errorCode": null,
        "objectCount": count.to_string(),
        "url": url,
        "partialDataUrl": null,
    }})
}

/// The products export as JSONL, and how many objects it holds.
fn export(shop: &Shop) -> (String, u64) {
    let mut out = String::new();
    let mut count = 0;
    let mut by_product: BTreeMap<ProductId, Vec<VariantId>> = BTreeMap::new();
    for (id, variant) in &shop.variants {
        by_product.entry(variant.product).or_default().push(*id);
    }
    for (id, product) in &shop.products {
        out.push_str(&json!({ "id": id.gid(), "title": product.title }).to_string());
        out.push('\n');
        count += 1;
        for variant_id in by_product.get(id).into_iter().flatten() {
            let Some(variant) = shop.variants.get(variant_id) else { continue };
            let line = json!({
                "id": variant_id.gid(),
                "sku": variant.sku,
                "inventoryItem": { "id": variant.item.gid() },
                "__parentId": id.gid(),
            });
            out.push_str(&line.to_string());
            out.push('\n');
            count += 1;
        }
    }
    (out, count)
}
