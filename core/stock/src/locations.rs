//! Stock locations: the places a tenant keeps stock (a shop floor, a store room, the lab).

use serde::Serialize;

use ils_kernel::audit::Event;
use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::TenantTx;
use ils_storage::ids::LocationId;
use ils_storage::query;
use ils_storage::types::Timestamp;

/// A place where stock is kept.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    /// The location's id (UUIDv7, so ids sort by creation time).
    pub id: LocationId,
    /// Name, unique within the tenant.
    pub name: String,
    /// When the location was created (UTC); a rename changes `updated_at` only.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A location's details as the caller gives them, for a new location or a rename.
#[derive(Clone, Debug)]
pub struct LocationDetails {
    /// Name, 1–100 characters, unique within the tenant (`location_name_taken` otherwise).
    pub name: String,
}

const COLUMNS: &str = "id, name, created_at, updated_at";

fn on_duplicate(error: Error) -> Error {
    error.on_duplicate_of("name", "location_name_taken", "Another location of this tenant has that name.")
}

/// One location of the tenant.
pub async fn get(tx: &mut TenantTx, id: LocationId) -> Result<Location> {
    let tenant = tx.tenant_id();
    let sql = format!("SELECT {COLUMNS} FROM stock_locations WHERE tenant_id = $1 AND id = $2");
    let row: Option<Location> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    row.ok_or(Error::NotFound("location"))
}

/// The tenant's stock locations, oldest first.
pub async fn list(tx: &mut TenantTx, page: &PageRequest) -> Result<Page<Location>> {
    let tenant = tx.tenant_id();
    let after: Option<LocationId> = page.after()?;
    let sql = format!(
        "SELECT {COLUMNS} FROM stock_locations WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2)
         ORDER BY id LIMIT $3"
    );
    let rows: Vec<Location> = query!(tx, query_as, fetch_all, sql, tenant, after, page.fetch_limit())?;
    Ok(page.finish(rows, |l| l.id.as_uuid()))
}

/// Adds a stock location; records `location.created`.
pub async fn create(uow: &mut UnitOfWork, details: LocationDetails) -> Result<Location> {
    let name = ils_kernel::input::name_up_to("name", &details.name, 100)?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let sql = format!(
        "INSERT INTO stock_locations (tenant_id, id, name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING {COLUMNS}"
    );
    let location: Location =
        query!(tx, query_as, fetch_one, sql, tenant, LocationId::new(), &name, Timestamp::now())
            .map_err(|e| on_duplicate(e.into()))?;
    let event = Event::new("location.created", "location", location.id)
        .changes(serde_json::json!({ "name": location.name }));
    uow.audit(event).await?;
    Ok(location)
}

/// Renames a stock location; records `location.updated` with the old and new name.
pub async fn rename(uow: &mut UnitOfWork, id: LocationId, details: LocationDetails) -> Result<Location> {
    let name = ils_kernel::input::name_up_to("name", &details.name, 100)?;
    let tx = uow.tx();
    let before = get(tx, id).await?;
    let tenant = tx.tenant_id();
    let sql = format!(
        "UPDATE stock_locations SET name = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2
         RETURNING {COLUMNS}"
    );
    let row: Option<Location> =
        query!(tx, query_as, fetch_optional, sql, tenant, id, &name, Timestamp::now())
            .map_err(|e| on_duplicate(e.into()))?;
    let after = row.ok_or(Error::NotFound("location"))?;
    let event = Event::new("location.updated", "location", id)
        .changes(serde_json::json!({ "name": { "from": before.name, "to": after.name } }));
    uow.audit(event).await?;
    Ok(after)
}
