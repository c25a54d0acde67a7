//! The tenant's item catalogue: what it stocks, by SKU and barcode, in which unit, and the
//! reorder point below which it wants to hear (`stock.low`). A frame also records its boxed size
//! and rim, which the recommender reads to rank frames for a prescription.

use serde::{Deserialize, Serialize};

use ils_kernel::audit::Event;
use ils_kernel::input::{Fields, optional_text, required_text, tenths_of_mm};
use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::TenantTx;
use ils_storage::ids::ItemId;
use ils_storage::types::Timestamp;
use ils_storage::{query, text_enum};

use crate::MAX_QUANTITY;

text_enum! {
    /// The unit an item is counted in; quantities are whole units.
    pub enum Unit {
        /// A single piece (a frame, a lens blank).
        Each = "each",
        /// A pair (finished lenses).
        Pair = "pair",
        /// A box (contact lenses).
        Box = "box",
        /// A pack (cleaning cloths).
        Pack = "pack",
        /// A bottle (solutions).
        Bottle = "bottle",
    }
}

text_enum! {
    /// How a frame holds its lenses.
    pub enum Rim {
        /// An eyewire all round.
        Full = "full",
        /// A top wire and a nylon cord in a groove along the lower edge.
        SemiRimless = "semi_rimless",
        /// Drilled lenses, the edge in full view.
        Rimless = "rimless",
    }
}

/// A frame's boxed size, as the frame is marked (`52□18`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FrameSize {
    /// Eye size: the boxed lens width A, 30–80 mm in 0.5 mm steps.
    pub a_mm: f64,
    /// Bridge: the distance between lenses DBL, 10–30 mm in 0.5 mm steps.
    pub dbl_mm: f64,
    /// The rim, when known.
    #[serde(default)]
    pub rim: Option<Rim>,
}

/// An item of the catalogue.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    /// The item's id (UUIDv7, so ids sort by creation time).
    pub id: ItemId,
    /// Stock-keeping unit, unique within the tenant without regard to case.
    pub sku: String,
    /// Barcode (EAN/UPC/GTIN or the tenant's own), unique within the tenant.
    pub barcode: Option<String>,
    /// The name shown to people, 1–200 characters; unlike the SKU, not unique.
    pub name: String,
    /// The unit quantities count.
    pub unit: Unit,
    /// At or below this quantity at a location, the item is low there.
    pub reorder_point: i64,
    /// For a frame: its boxed size and rim.
    pub frame: Option<FrameSize>,
    /// When the item was added to the catalogue (UTC); never changes.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// An item as stored: the frame's size in tenths of a millimetre.
#[derive(sqlx::FromRow)]
struct ItemRow {
    id: ItemId,
    sku: String,
    barcode: Option<String>,
    name: String,
    unit: Unit,
    reorder_point: i64,
    frame_a: Option<i32>,
    frame_dbl: Option<i32>,
    frame_rim: Option<Rim>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<ItemRow> for Item {
    fn from(r: ItemRow) -> Self {
        let mm = |tenths: i32| f64::from(tenths) / 10.0;
        let frame = match (r.frame_a, r.frame_dbl) {
            (Some(a), Some(dbl)) => Some(FrameSize { a_mm: mm(a), dbl_mm: mm(dbl), rim: r.frame_rim }),
            _ => None,
        };
        Item {
            id: r.id,
            sku: r.sku,
            barcode: r.barcode,
            name: r.name,
            unit: r.unit,
            reorder_point: r.reorder_point,
            frame,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An item's details as the caller gives them, for a new item or a full replacement; checked by
/// [`create`] and [`update`].
#[derive(Clone, Debug)]
pub struct ItemDetails {
    /// Stock-keeping unit: 1–60 characters without spaces, unique within the tenant.
    pub sku: String,
    /// Barcode: 1–64 characters without spaces, unique within the tenant; blank means none.
    pub barcode: Option<String>,
    /// Name, 1–200 characters.
    pub name: String,
    /// The unit quantities count.
    pub unit: Unit,
    /// At or below this quantity at a location the item is low there (0 to [`MAX_QUANTITY`]).
    pub reorder_point: i64,
    /// For a frame: its boxed size and rim.
    pub frame: Option<FrameSize>,
}

/// A frame's size as stored: A and DBL in tenths of a mm, and the rim.
type StoredFrame = (Option<i32>, Option<i32>, Option<Rim>);

/// Which items to find: a SKU (in any case), an exact barcode (a scan), or all of them.
#[derive(Clone, Debug, Default)]
pub struct ItemSearch {
    /// SKU, compared without regard to case (blank means any).
    pub sku: Option<String>,
    /// Exact barcode (blank means any).
    pub barcode: Option<String>,
}

const COLUMNS: &str =
    "id, sku, barcode, name, unit, reorder_point, frame_a, frame_dbl, frame_rim, created_at, updated_at";

/// Refuses a SKU another item of the tenant has in any case (`sku_taken`), naming that item.
/// The unique index on `lower(sku)` still decides between two writers at once.
async fn check_sku_free(tx: &mut TenantTx, sku: &str, except: Option<ItemId>) -> Result<()> {
    let tenant = tx.tenant_id();
    let sql = "SELECT id, sku, name FROM items WHERE tenant_id = $1 AND lower(sku) = lower($2)
         AND ($3 IS NULL OR id <> $3) LIMIT 1";
    let taken: Option<(ItemId, String, String)> =
        query!(tx, query_as, fetch_optional, sql, tenant, sku, except)?;
    match taken {
        None => Ok(()),
        Some((id, sku, name)) => Err(Error::conflict(
            "sku_taken",
            format!(
                "Another item of this tenant has that SKU: {sku} ({name}, item {id}); SKUs differ by more than case."
            ),
        )),
    }
}

fn on_duplicate(error: Error) -> Error {
    error.on_duplicate_of("sku", "sku_taken", "Another item of this tenant has that SKU.").on_duplicate_of(
        "barcode",
        "barcode_taken",
        "Another item of this tenant has that barcode.",
    )
}

fn code(field: &str, value: &str, max: usize) -> Result<String> {
    let value = required_text(field, value, max)?;
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_field(field, "must not contain spaces"));
    }
    Ok(value)
}

/// A frame's size checked and in stored units.
fn stored_frame(frame: Option<FrameSize>) -> Result<StoredFrame> {
    let Some(f) = frame else { return Ok((None, None, None)) };
    let mut fields = Fields::new();
    let a = fields.check(tenths_of_mm("frame.a_mm", Some(f.a_mm), 30.0..=80.0));
    let dbl = fields.check(tenths_of_mm("frame.dbl_mm", Some(f.dbl_mm), 10.0..=30.0));
    fields.build(|| Some((a?.map(i32::from), dbl?.map(i32::from), f.rim)))
}

impl ItemDetails {
    /// The details with text trimmed and every rule checked (every invalid field named at
    /// once), and the frame's size in stored units.
    fn checked(self) -> Result<(Self, StoredFrame)> {
        let mut f = Fields::new();
        let sku = f.check(code("sku", &self.sku, 60));
        let barcode = f.check(match optional_text("barcode", self.barcode.as_deref(), 64) {
            Ok(Some(b)) => code("barcode", &b, 64).map(Some),
            other => other,
        });
        let name = f.check(ils_kernel::input::name("name", &self.name));
        if !(0..=MAX_QUANTITY).contains(&self.reorder_point) {
            f.add("reorder_point", format!("must be between 0 and {MAX_QUANTITY}"));
        }
        let frame = f.check(stored_frame(self.frame));
        f.build(|| {
            let details = Self {
                sku: sku?,
                barcode: barcode?,
                name: name?,
                unit: self.unit,
                reorder_point: self.reorder_point,
                frame: self.frame,
            };
            Some((details, frame?))
        })
    }
}

/// One item of the tenant.
pub async fn get(tx: &mut TenantTx, id: ItemId) -> Result<Item> {
    let tenant = tx.tenant_id();
    let sql = format!("SELECT {COLUMNS} FROM items WHERE tenant_id = $1 AND id = $2");
    let row: Option<ItemRow> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    row.map(Item::from).ok_or(Error::NotFound("item"))
}

/// The catalogue, or the items with a SKU or barcode, oldest first.
pub async fn search(tx: &mut TenantTx, q: &ItemSearch, page: &PageRequest) -> Result<Page<Item>> {
    let sku = optional_text("sku", q.sku.as_deref(), 60)?;
    let barcode = optional_text("barcode", q.barcode.as_deref(), 64)?;
    let tenant = tx.tenant_id();
    let after: Option<ItemId> = page.after()?;
    let sql = format!(
        "SELECT {COLUMNS} FROM items WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2)
           AND ($3 IS NULL OR lower(sku) = lower($3)) AND ($4 IS NULL OR barcode = $4)
         ORDER BY id LIMIT $5"
    );
    let rows: Vec<ItemRow> =
        query!(tx, query_as, fetch_all, sql, tenant, after, &sku, &barcode, page.fetch_limit())?;
    let rows: Vec<Item> = rows.into_iter().map(Item::from).collect();
    Ok(page.finish(rows, |i| i.id.as_uuid()))
}

/// Adds an item to the unit's tenant's catalogue; records `item.created`. A SKU or barcode
/// already used answers `sku_taken` or `barcode_taken`.
pub async fn create(uow: &mut UnitOfWork, details: ItemDetails) -> Result<Item> {
    let (d, (a, dbl, rim)) = details.checked()?;
    let tx = uow.tx();
    check_sku_free(tx, &d.sku, None).await?;
    let tenant = tx.tenant_id();
    let sql = format!(
        "INSERT INTO items (tenant_id, id, sku, barcode, name, unit, reorder_point, frame_a, frame_dbl,
             frame_rim, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING {COLUMNS}"
    );
    let item: ItemRow = query!(
        tx,
        query_as,
        fetch_one,
        sql,
        tenant,
        ItemId::new(),
        &d.sku,
        &d.barcode,
        &d.name,
        d.unit,
        d.reorder_point,
        a,
        dbl,
        rim,
        Timestamp::now()
    )
    .map_err(|e| on_duplicate(e.into()))?;
    let item = Item::from(item);
    let event =
        Event::new("item.created", "item", item.id).changes(serde_json::to_value(&item).unwrap_or_default());
    uow.audit(event).await?;
    Ok(item)
}

/// Replaces an item's details; records `item.updated` with the fields that changed.
pub async fn update(uow: &mut UnitOfWork, id: ItemId, details: ItemDetails) -> Result<Item> {
    let (d, (a, dbl, rim)) = details.checked()?;
    let tx = uow.tx();
    let before = get(tx, id).await?;
    check_sku_free(tx, &d.sku, Some(id)).await?;
    let tenant = tx.tenant_id();
    let sql = format!(
        "UPDATE items SET sku = $3, barcode = $4, name = $5, unit = $6, reorder_point = $7, frame_a = $8,
             frame_dbl = $9, frame_rim = $10, updated_at = $11
         WHERE tenant_id = $1 AND id = $2 RETURNING {COLUMNS}"
    );
    let row: Option<ItemRow> = query!(
        tx,
        query_as,
        fetch_optional,
        sql,
        tenant,
        id,
        &d.sku,
        &d.barcode,
        &d.name,
        d.unit,
        d.reorder_point,
        a,
        dbl,
        rim,
        Timestamp::now()
    )
    .map_err(|e| on_duplicate(e.into()))?;
    let after = row.map(Item::from).ok_or(Error::NotFound("item"))?;
    let (b, a) =
        (serde_json::to_value(&before).unwrap_or_default(), serde_json::to_value(&after).unwrap_or_default());
    let mut changes = serde_json::Map::new();
    for key in ["sku", "barcode", "name", "unit", "reorder_point", "frame"] {
        if b[key] != a[key] {
            changes.insert(key.to_owned(), serde_json::json!({ "from": b[key], "to": a[key] }));
        }
    }
    let event = Event::new("item.updated", "item", id).changes(serde_json::Value::Object(changes));
    uow.audit(event).await?;
    Ok(after)
}
