//! Patients in the database. The last visit and the retention date are derived when a record is
//! read, never stored.

use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_storage::ids::PatientId;
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, on_conn};

use super::{Details, Patient};
use crate::nhs_number::NhsNumber;

const COLUMNS: &str = "id, customer_number, first_name, last_name, date_of_birth, nhs_number, email, phone,
    address, postcode, medical_notes, created_at, updated_at, deleted_at, restricted_on";

/// The patient's last visit: the latest examination or prescription (dates sort as text).
const LAST_VISIT: &str = "(SELECT max(d) FROM (
        SELECT examined_on AS d FROM examinations e WHERE e.tenant_id = patients.tenant_id AND e.patient_id = patients.id
        UNION ALL
        SELECT issued_on FROM prescriptions p WHERE p.tenant_id = patients.tenant_id AND p.patient_id = patients.id
    ) visits) AS last_visit";

#[derive(sqlx::FromRow)]
struct Row {
    id: PatientId,
    customer_number: String,
    first_name: String,
    last_name: String,
    date_of_birth: String,
    nhs_number: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    postcode: Option<String>,
    medical_notes: String,
    created_at: Timestamp,
    updated_at: Timestamp,
    deleted_at: Option<Timestamp>,
    restricted_on: Option<String>,
    #[sqlx(default)]
    last_visit: Option<String>,
}

impl TryFrom<Row> for Patient {
    type Error = Error;
    fn try_from(r: Row) -> Result<Self> {
        let corrupt = |what: &str| Error::Internal(format!("stored patient {} has an invalid {what}", r.id));
        let date_of_birth: jiff::civil::Date =
            r.date_of_birth.parse().map_err(|_| corrupt("date of birth"))?;
        let last_visit_on: Option<jiff::civil::Date> =
            r.last_visit.as_deref().map(str::parse).transpose().map_err(|_| corrupt("visit date"))?;
        let restricted_on: Option<jiff::civil::Date> = r
            .restricted_on
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|_| corrupt("restriction date"))?;
        let registered_on = r.created_at.as_jiff().to_zoned(jiff::tz::TimeZone::UTC).date();
        Ok(Patient {
            id: r.id,
            date_of_birth,
            last_visit_on,
            retain_until: crate::retention::retain_until(
                date_of_birth,
                last_visit_on.unwrap_or(registered_on),
            ),
            nhs_number: r
                .nhs_number
                .as_deref()
                .map(NhsNumber::parse)
                .transpose()
                .map_err(|_| corrupt("NHS number"))?,
            customer_number: r.customer_number,
            first_name: r.first_name,
            last_name: r.last_name,
            email: r.email,
            phone: r.phone,
            address: r.address,
            postcode: r.postcode,
            medical_notes: r.medical_notes,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            restricted_on,
        })
    }
}

fn on_duplicate(error: Error) -> Error {
    error
        .on_duplicate_of(
            "nhs_number",
            "nhs_number_taken",
            "Another patient of this practice has that NHS number.",
        )
        .on_duplicate_of(
            "customer_number",
            "customer_number_taken",
            "Another patient of this practice has that customer number.",
        )
}

/// The next free customer number of the tenant, `P000001` style.
pub async fn next_customer_number(tx: &mut TenantTx) -> Result<String> {
    Ok(format!("P{:06}", tx.next_in("patients").await?))
}

/// Registers a patient under `customer_number` (a duplicate NHS or customer number is a
/// conflict).
pub async fn insert(tx: &mut TenantTx, customer_number: &str, details: &Details) -> Result<Patient> {
    let sql = format!(
        "INSERT INTO patients (tenant_id, id, customer_number, first_name, last_name, date_of_birth, nhs_number,
            email, phone, address, postcode, medical_notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING {COLUMNS}"
    );
    let tenant = tx.tenant_id();
    let row: Row = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(PatientId::new())
        .bind(customer_number)
        .bind(&details.first_name)
        .bind(&details.last_name)
        .bind(details.date_of_birth.to_string())
        .bind(details.nhs_number.map(|n| n.digits()))
        .bind(&details.email)
        .bind(&details.phone)
        .bind(&details.address)
        .bind(&details.postcode)
        .bind(&details.medical_notes)
        .bind(Timestamp::now())
        .fetch_one(&mut **c)
        .await)
    .map_err(|e| on_duplicate(e.into()))?;
    row.try_into()
}

/// One patient of the tenant, deleted or not.
pub async fn get(tx: &mut TenantTx, id: PatientId) -> Result<Patient> {
    let sql = format!("SELECT {COLUMNS}, {LAST_VISIT} FROM patients WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    row.ok_or(Error::NotFound("patient"))?.try_into()
}

/// One patient whose record may be read: not restricted (`patient_restricted`).
pub async fn get_readable(tx: &mut TenantTx, id: PatientId) -> Result<Patient> {
    let patient = get(tx, id).await?;
    patient.check_not_restricted()?;
    Ok(patient)
}

/// One patient whose record may still change (not deleted, not restricted).
pub async fn get_active(tx: &mut TenantTx, id: PatientId) -> Result<Patient> {
    let patient = get_readable(tx, id).await?;
    if patient.deleted_at.is_some() {
        return Err(Error::conflict(
            "patient_deleted",
            "This record is deleted and kept only for retention.",
        ));
    }
    Ok(patient)
}

/// Replaces the editable details, or marks the record deleted (keeping the first deletion time).
pub async fn update(tx: &mut TenantTx, id: PatientId, details: &Details, deleted: bool) -> Result<Patient> {
    const SQL: &str =
        "UPDATE patients SET first_name = $3, last_name = $4, date_of_birth = $5, nhs_number = $6,
            email = $7, phone = $8, address = $9, postcode = $10, medical_notes = $11, updated_at = $12,
            deleted_at = CASE WHEN $13 THEN COALESCE(deleted_at, $12) ELSE NULL END
        WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    let now = Timestamp::now();
    let updated = execute!(
        tx.conn(),
        SQL,
        tenant,
        id,
        &details.first_name,
        &details.last_name,
        details.date_of_birth.to_string(),
        details.nhs_number.map(|n| n.digits()),
        &details.email,
        &details.phone,
        &details.address,
        &details.postcode,
        &details.medical_notes,
        now,
        deleted
    )
    .map_err(|e| on_duplicate(e.into()))?;
    if updated == 0 {
        return Err(Error::NotFound("patient"));
    }
    get(tx, id).await
}

/// What to search patients by; every given field must match.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// Start of the family or given name (case-insensitive).
    pub name: Option<String>,
    /// Exact date of birth.
    pub date_of_birth: Option<jiff::civil::Date>,
    /// Exact NHS number.
    pub nhs_number: Option<NhsNumber>,
    /// Exact customer number.
    pub customer_number: Option<String>,
    /// Include deleted records, and those restricted at the end of their retention.
    pub include_deleted: bool,
}

/// Patients matching `search`, a page at a time.
pub async fn search(tx: &mut TenantTx, search: &Search, page: &PageRequest) -> Result<Page<Patient>> {
    let sql = format!(
        "SELECT {COLUMNS}, {LAST_VISIT} FROM patients
         WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2)
           AND ($3 IS NULL OR lower(last_name) LIKE $3 ESCAPE '\\' OR lower(first_name) LIKE $3 ESCAPE '\\')
           AND ($4 IS NULL OR date_of_birth = $4)
           AND ($5 IS NULL OR nhs_number = $5)
           AND ($6 IS NULL OR customer_number = $6)
           AND ($7 OR (deleted_at IS NULL AND restricted_on IS NULL))
         ORDER BY id LIMIT $8"
    );
    let tenant = tx.tenant_id();
    let after: Option<PatientId> = page.after()?;
    let name = search.name.as_ref().map(|n| {
        let escaped: String = n
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        format!("{escaped}%")
    });
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(after)
        .bind(&name)
        .bind(search.date_of_birth.map(|d| d.to_string()))
        .bind(search.nhs_number.map(|n| n.digits()))
        .bind(&search.customer_number)
        .bind(search.include_deleted)
        .bind(page.fetch_limit())
        .fetch_all(&mut **c)
        .await)?;
    let patients = rows.into_iter().map(Patient::try_from).collect::<Result<Vec<_>>>()?;
    Ok(page.finish(patients, |p| p.id.as_uuid()))
}

/// Up to `limit` unrestricted patients of the tenant after `after`, by id: those the retention
/// sweep checks against their retention date.
pub async fn unrestricted(tx: &mut TenantTx, after: Option<PatientId>, limit: i64) -> Result<Vec<Patient>> {
    let sql = format!(
        "SELECT {COLUMNS}, {LAST_VISIT} FROM patients
         WHERE tenant_id = $1 AND restricted_on IS NULL AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
    );
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(Patient::try_from).collect()
}

/// The tenant's patients restricted on or before `on`, by id (at most `limit`): those whose
/// grace has run out when `on` is today less the grace.
pub async fn restricted_by(tx: &mut TenantTx, on: jiff::civil::Date, limit: i64) -> Result<Vec<Patient>> {
    let sql = format!(
        "SELECT {COLUMNS}, {LAST_VISIT} FROM patients
         WHERE tenant_id = $1 AND restricted_on IS NOT NULL AND restricted_on <= $2 ORDER BY id LIMIT $3"
    );
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(on.to_string())
        .bind(limit)
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(Patient::try_from).collect()
}

/// Marks a patient restricted from `on`.
pub async fn restrict(tx: &mut TenantTx, id: PatientId, on: jiff::civil::Date) -> Result<()> {
    const SQL: &str =
        "UPDATE patients SET restricted_on = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    execute!(tx.conn(), SQL, tenant, id, on.to_string(), Timestamp::now())?;
    Ok(())
}

/// Removes a patient's row (its records must be gone or unlinked first).
pub async fn remove(tx: &mut TenantTx, id: PatientId) -> Result<()> {
    let tenant = tx.tenant_id();
    execute!(tx.conn(), "DELETE FROM patients WHERE tenant_id = $1 AND id = $2", tenant, id)?;
    Ok(())
}
