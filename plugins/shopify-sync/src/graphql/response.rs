//! GraphQL responses: the envelope (`data`, `errors`, `extensions.cost`) and the typed data of
//! each request in [`super`].
//!
//! Any top-level error makes the response a failure, even beside partial data: a sync that
//! acted on half an answer would report drift that is not there.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::ids::{InventoryItemId, LocationId, ProductId, VariantId};
use crate::sync::matching::ShopifyVariant;
use crate::throttle::ThrottleStatus;

/// The `extensions.code` of a top-level error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ErrorCode {
    /// The cost bucket is empty: wait and retry (see [`crate::throttle`]).
    Throttled,
    /// The token lacks a scope or the shop forbids the call: retrying will not help.
    AccessDenied,
    /// The query costs more than the bucket can ever hold: split it.
    MaxCostExceeded,
    /// Shopify failed: retry later.
    InternalServerError,
    /// The shop is frozen, closed or uninstalled the app.
    ShopInactive,
    /// Any other code, kept as sent.
    Other(String),
}

impl From<String> for ErrorCode {
    fn from(code: String) -> Self {
        match code.as_str() {
            "THROTTLED" => ErrorCode::Throttled,
            "ACCESS_DENIED" => ErrorCode::AccessDenied,
            "MAX_COST_EXCEEDED" => ErrorCode::MaxCostExceeded,
            "INTERNAL_SERVER_ERROR" => ErrorCode::InternalServerError,
            "SHOP_INACTIVE" => ErrorCode::ShopInactive,
            _ => ErrorCode::Other(code),
        }
    }
}

impl From<ErrorCode> for String {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::Throttled => "THROTTLED".into(),
            ErrorCode::AccessDenied => "ACCESS_DENIED".into(),
            ErrorCode::MaxCostExceeded => "MAX_COST_EXCEEDED".into(),
            ErrorCode::InternalServerError => "INTERNAL_SERVER_ERROR".into(),
            ErrorCode::ShopInactive => "SHOP_INACTIVE".into(),
            ErrorCode::Other(code) => code,
        }
    }
}

/// One top-level error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlError {
    /// Shopify's message, e.g. `Throttled`.
    pub message: String,
    /// Its `extensions.code`, when given.
    pub code: Option<ErrorCode>,
}

/// `extensions.cost`: what the query cost and what is left in the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryCost {
    /// The cost Shopify reserved before running the query.
    pub requested_query_cost: f64,
    /// What it really cost (`null` when it did not run, e.g. throttled).
    #[serde(default)]
    pub actual_query_cost: Option<f64>,
    /// The bucket after the query.
    pub throttle_status: ThrottleStatus,
}

/// A parsed response envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// `data`, when present and not `null`.
    pub data: Option<Value>,
    /// Top-level `errors` (a bare string, as Shopify sends for a bad token, becomes one error).
    pub errors: Vec<GraphqlError>,
    /// `extensions.cost`, when present and readable.
    pub cost: Option<QueryCost>,
}

/// Why a response could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    /// The body is not a JSON object of the GraphQL response shape.
    #[error("the GraphQL response is not valid JSON of the expected shape: {0}")]
    Malformed(#[source] serde_json::Error),
    /// Shopify answered with top-level errors.
    #[error("Shopify answered with errors: {}", messages(.errors))]
    Errors {
        /// The errors.
        errors: Vec<GraphqlError>,
        /// The cost, for the throttle.
        cost: Option<QueryCost>,
    },
    /// No `data` and no errors.
    #[error("the GraphQL response has no data")]
    NoData,
    /// `data` is there but not in the shape the request asks for.
    #[error("the GraphQL data is not of the expected shape: {0}")]
    Shape(#[source] serde_json::Error),
    /// The object asked for does not exist (a `null` node or item).
    #[error("Shopify has no {0} with that id")]
    NotFound(&'static str),
}

fn messages(errors: &[GraphqlError]) -> String {
    errors
        .iter()
        .map(|e| match &e.code {
            Some(code) => format!("{} ({})", e.message, String::from(code.clone())),
            None => e.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl ResponseError {
    /// Whether this is Shopify's THROTTLED error, which a wait cures.
    pub fn is_throttled(&self) -> bool {
        matches!(self, ResponseError::Errors { errors, .. }
            if errors.iter().any(|e| e.code == Some(ErrorCode::Throttled)))
    }
}

#[derive(Deserialize)]
struct WireEnvelope {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<WireErrors>,
    #[serde(default)]
    extensions: Option<Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireErrors {
    List(Vec<WireError>),
    Text(String),
}

#[derive(Deserialize)]
struct WireError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    extensions: Option<WireErrorExtensions>,
}

#[derive(Deserialize)]
struct WireErrorExtensions {
    #[serde(default)]
    code: Option<String>,
}

/// Parses a response body.
pub fn parse(body: &[u8]) -> Result<Response, ResponseError> {
    // Read as a value first: serde would otherwise take a JSON array as the envelope's fields.
    let value: Value = serde_json::from_slice(body).map_err(ResponseError::Malformed)?;
    if !value.is_object() {
        return Err(ResponseError::Malformed(serde::de::Error::custom("the response is not a JSON object")));
    }
    let wire: WireEnvelope = serde_json::from_value(value).map_err(ResponseError::Malformed)?;
    let errors = match wire.errors {
        None => Vec::new(),
        Some(WireErrors::Text(message)) => vec![GraphqlError { message, code: None }],
        Some(WireErrors::List(list)) => list
            .into_iter()
            .map(|e| GraphqlError {
                message: e.message.unwrap_or_default(),
                code: e.extensions.and_then(|x| x.code).map(ErrorCode::from),
            })
            .collect(),
    };
    let cost = wire
        .extensions
        .as_ref()
        .and_then(|x| x.get("cost"))
        .and_then(|c| serde_json::from_value::<QueryCost>(c.clone()).ok());
    Ok(Response { data: wire.data.filter(|d| !d.is_null()), errors, cost })
}

impl Response {
    /// Whether any error is THROTTLED.
    pub fn is_throttled(&self) -> bool {
        self.errors.iter().any(|e| e.code == Some(ErrorCode::Throttled))
    }

    /// The data as `T`, or the errors.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, ResponseError> {
        if !self.errors.is_empty() {
            return Err(ResponseError::Errors { errors: self.errors.clone(), cost: self.cost });
        }
        let data = self.data.clone().ok_or(ResponseError::NoData)?;
        serde_json::from_value(data).map_err(ResponseError::Shape)
    }
}

/// One page of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The nodes.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePageInfo {
    has_next_page: bool,
    #[serde(default)]
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WireConnection<T> {
    #[serde(rename = "pageInfo")]
    page_info: WirePageInfo,
    nodes: Vec<T>,
}

impl<T> WireConnection<T> {
    fn into_page<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        let next_cursor = if self.page_info.has_next_page { self.page_info.end_cursor } else { None };
        Page { items: self.nodes.into_iter().map(f).collect(), next_cursor }
    }
}

#[derive(Deserialize)]
struct WithId<T> {
    id: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireVariant {
    id: VariantId,
    #[serde(default)]
    sku: Option<String>,
    product: WithId<ProductId>,
    inventory_item: WithId<InventoryItemId>,
}

/// The data of [`super::variants_page`].
pub fn variants_page(response: &Response) -> Result<Page<ShopifyVariant>, ResponseError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        product_variants: WireConnection<WireVariant>,
    }
    let data: Data = response.data()?;
    Ok(data.product_variants.into_page(|v| ShopifyVariant {
        id: v.id,
        product_id: v.product.id,
        sku: v.sku,
        inventory_item_id: v.inventory_item.id,
    }))
}

/// A Shopify location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The location.
    pub id: LocationId,
    /// Its name.
    pub name: String,
    /// Whether it is active (inactive locations hold no stock that can be sold).
    pub is_active: bool,
}

/// The data of [`super::locations_page`].
pub fn locations_page(response: &Response) -> Result<Page<Location>, ResponseError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct WireLocation {
        id: LocationId,
        name: String,
        is_active: bool,
    }
    #[derive(Deserialize)]
    struct Data {
        locations: WireConnection<WireLocation>,
    }
    let data: Data = response.data()?;
    Ok(data.locations.into_page(|l| Location { id: l.id, name: l.name, is_active: l.is_active }))
}

/// Shopify's `available` for one item at one location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// The item.
    pub inventory_item: InventoryItemId,
    /// The location.
    pub location: LocationId,
    /// `available`, when Shopify reports it.
    pub available: Option<i64>,
}

/// The data of [`super::inventory_levels_page`].
pub fn inventory_levels_page(response: &Response) -> Result<Page<Level>, ResponseError> {
    #[derive(Deserialize)]
    struct WireQuantity {
        name: String,
        quantity: i64,
    }
    #[derive(Deserialize)]
    struct WireLevel {
        location: WithId<LocationId>,
        quantities: Vec<WireQuantity>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct WireItem {
        id: InventoryItemId,
        inventory_levels: WireConnection<WireLevel>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        inventory_item: Option<WireItem>,
    }
    let data: Data = response.data()?;
    let item = data.inventory_item.ok_or(ResponseError::NotFound("inventory item"))?;
    let id = item.id;
    Ok(item.inventory_levels.into_page(|l| Level {
        inventory_item: id,
        location: l.location.id,
        available: l.quantities.iter().find(|q| q.name == "available").map(|q| q.quantity),
    }))
}

/// A mutation's `userErrors[].code` for the mutations used here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserErrorCode {
    /// `CHANGE_FROM_QUANTITY_STALE`: Shopify's quantity moved since it was read; re-read, re-plan.
    ChangeFromQuantityStale,
    /// `IDEMPOTENCY_CONCURRENT_REQUEST`: the same key is in flight; retry later with the same key.
    IdempotencyConcurrentRequest,
    /// `INVALID_INVENTORY_ITEM`.
    InvalidInventoryItem,
    /// `INVALID_LOCATION`.
    InvalidLocation,
    /// Any other code, kept as sent.
    Other(String),
}

impl UserErrorCode {
    fn parse(code: String) -> Self {
        match code.as_str() {
            "CHANGE_FROM_QUANTITY_STALE" => UserErrorCode::ChangeFromQuantityStale,
            "IDEMPOTENCY_CONCURRENT_REQUEST" => UserErrorCode::IdempotencyConcurrentRequest,
            "INVALID_INVENTORY_ITEM" => UserErrorCode::InvalidInventoryItem,
            "INVALID_LOCATION" => UserErrorCode::InvalidLocation,
            _ => UserErrorCode::Other(code),
        }
    }
}

/// One of a mutation's `userErrors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// The path to the input field at fault, e.g. `["input", "quantities", "0", "changeFromQuantity"]`.
    pub field: Vec<String>,
    /// Shopify's message.
    pub message: String,
    /// The code, when given.
    pub code: Option<UserErrorCode>,
}

#[derive(Deserialize)]
struct WireUserError {
    #[serde(default)]
    field: Option<Vec<String>>,
    message: String,
    #[serde(default)]
    code: Option<String>,
}

impl From<WireUserError> for UserError {
    fn from(e: WireUserError) -> Self {
        UserError {
            field: e.field.unwrap_or_default(),
            message: e.message,
            code: e.code.map(UserErrorCode::parse),
        }
    }
}

/// What `inventorySetQuantities` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetQuantitiesOutcome {
    /// Applied; the adjustment group is `None` when nothing needed to change.
    Applied {
        /// `gid://shopify/InventoryAdjustmentGroup/...`.
        group_id: Option<String>,
    },
    /// Refused as a whole, with Shopify's reasons.
    Rejected(Vec<UserError>),
}

impl SetQuantitiesOutcome {
    /// Whether a quantity moved in Shopify since it was read (a sale raced the sync).
    pub fn is_stale(&self) -> bool {
        matches!(self, SetQuantitiesOutcome::Rejected(errors)
            if errors.iter().any(|e| e.code == Some(UserErrorCode::ChangeFromQuantityStale)))
    }
}

/// The data of [`super::set_available_quantities`].
pub fn set_quantities(response: &Response) -> Result<SetQuantitiesOutcome, ResponseError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        #[serde(default)]
        inventory_adjustment_group: Option<WithId<String>>,
        user_errors: Vec<WireUserError>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        inventory_set_quantities: Payload,
    }
    let data: Data = response.data()?;
    let payload = data.inventory_set_quantities;
    if payload.user_errors.is_empty() {
        Ok(SetQuantitiesOutcome::Applied { group_id: payload.inventory_adjustment_group.map(|g| g.id) })
    } else {
        Ok(SetQuantitiesOutcome::Rejected(payload.user_errors.into_iter().map(UserError::from).collect()))
    }
}

/// A bulk operation's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BulkStatus {
    /// Queued.
    Created,
    /// Running: poll again.
    Running,
    /// Done: `url` holds the JSONL.
    Completed,
    /// Being cancelled.
    Canceling,
    /// Cancelled.
    Canceled,
    /// Failed: see `error_code`; `partial_data_url` may hold what was read.
    Failed,
    /// Ran too long, or its result expired.
    Expired,
    /// A value this version does not know.
    #[serde(other)]
    Unknown,
}

fn u64_from_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(u64),
        Text(String),
    }
    match Either::deserialize(d)? {
        Either::Number(n) => Ok(n),
        Either::Text(t) => t.parse().map_err(serde::de::Error::custom),
    }
}

/// A bulk operation, as polled.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperation {
    /// `gid://shopify/BulkOperation/...`.
    pub id: String,
    /// Its state.
    pub status: BulkStatus,
    /// Why it failed, e.g. `ACCESS_DENIED`, `TIMEOUT`.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Objects written so far (an `UnsignedInt64`, which Shopify sends as a string).
    #[serde(default, deserialize_with = "u64_from_string_or_number")]
    pub object_count: u64,
    /// The JSONL result, once completed (expires after 7 days).
    #[serde(default)]
    pub url: Option<String>,
    /// What was read before a failure.
    #[serde(default)]
    pub partial_data_url: Option<String>,
}

/// What `bulkOperationRunQuery` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkStartOutcome {
    /// Started.
    Started {
        /// The operation's id, to poll.
        id: String,
    },
    /// Refused, e.g. one already running.
    Rejected(Vec<UserError>),
}

/// The data of [`super::bulk_products_start`].
pub fn bulk_start(response: &Response) -> Result<BulkStartOutcome, ResponseError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        #[serde(default)]
        bulk_operation: Option<WithId<String>>,
        user_errors: Vec<WireUserError>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        bulk_operation_run_query: Payload,
    }
    let data: Data = response.data()?;
    let payload = data.bulk_operation_run_query;
    match payload.bulk_operation {
        Some(op) if payload.user_errors.is_empty() => Ok(BulkStartOutcome::Started { id: op.id }),
        _ => Ok(BulkStartOutcome::Rejected(payload.user_errors.into_iter().map(UserError::from).collect())),
    }
}

/// The data of [`super::bulk_status`].
pub fn bulk_status(response: &Response) -> Result<BulkOperation, ResponseError> {
    #[derive(Deserialize)]
    struct Data {
        node: Option<BulkOperation>,
    }
    let data: Data = response.data()?;
    data.node.ok_or(ResponseError::NotFound("bulk operation"))
}

#[cfg(test)]
mod tests;
