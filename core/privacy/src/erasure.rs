//! Restriction and erasure at the end of clinical retention. Every day a sweep finds, in every
//! tenant, the patients whose retention date (`ils_clinical::retention`) has passed:
//!
//! 1. it **restricts** them (`patients.restricted_on`): hidden from lists and searches, reads and
//!    changes refused with `patient_restricted`; a company admin can still export them;
//! 2. once the grace has run (`erase_after`), it **erases** them: their export files, consents,
//!    prescriptions and examinations are deleted (with the device log's lines about the
//!    examinations), their orders kept but unlinked (no patient, no prescription, no notes), the
//!    patient's row deleted, and a [`Tombstone`] written — the patient's id, the dates and how many
//!    records went, nothing personal — with `patient.erased` in the tenant's audit log.

use ils_clinical::{consent, examinations, patients, prescriptions};
use ils_files::Owner;
use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::{Error, Result, TenantCtx};
use ils_storage::ids::{PatientId, TenantId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, on_conn};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::Privacy;

/// The day a patient restricted on `restricted_on` is erased, after `grace_days`.
pub fn erase_after(restricted_on: Date, grace_days: u16) -> Date {
    restricted_on.checked_add(jiff::Span::new().days(i64::from(grace_days))).unwrap_or(Date::MAX)
}

/// How many of each record an erasure removed (or unlinked).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Removed {
    /// Examinations deleted.
    pub examinations: u64,
    /// Prescriptions deleted.
    pub prescriptions: u64,
    /// Consent records deleted.
    pub consents: u64,
    /// Subject-access export files deleted.
    pub exports: u64,
    /// Files attached to the record (letters, photos) deleted.
    #[serde(default)]
    pub attachments: u64,
    /// Orders kept for accounting, unlinked from the patient.
    pub orders_unlinked: u64,
    /// Appointments in the diary deleted.
    #[serde(default)]
    pub appointments: u64,
    /// Recall records deleted: the due date and each notice sent for it.
    #[serde(default)]
    pub recalls: u64,
    /// Reminders deleted (of appointments, of glasses ready).
    #[serde(default)]
    pub reminders: u64,
    /// Sales at the till kept for the practice's VAT records, unlinked from the patient.
    #[serde(default)]
    pub sales_unlinked: u64,
}

/// What remains of an erased patient: no personal data.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tombstone {
    /// The erased patient's id (no longer naming any record).
    pub patient_id: PatientId,
    /// The retention date the record was kept until.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub retain_until: Date,
    /// The day the record was restricted.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub restricted_on: Date,
    /// When it was erased (UTC).
    pub erased_at: Timestamp,
    /// What was removed.
    pub removed: Removed,
}

/// What one sweep did, over every tenant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Patients restricted.
    pub restricted: u64,
    /// Patients erased.
    pub erased: u64,
}

/// Patients looked at per transaction while restricting.
const PAGE: i64 = 500;
/// Patients erased per transaction.
const ERASE_BATCH: i64 = 20;

impl Privacy {
    /// One sweep as of `today`: restricts every patient whose retention date is before `today`,
    /// and erases those restricted at least `grace_days` ago. Safe to run again (or after a
    /// crash): each patient is restricted once and erased once.
    pub async fn sweep(&self, today: Date, grace_days: u16) -> Result<Swept> {
        let mut swept = Swept::default();
        for tenant in self.tenants().await? {
            swept.restricted += self.restrict_past_retention(tenant, today).await?;
            let cutoff =
                today.checked_sub(jiff::Span::new().days(i64::from(grace_days))).unwrap_or(Date::MIN);
            swept.erased += self.erase_restricted(tenant, cutoff).await?;
        }
        if swept != Swept::default() {
            tracing::info!(restricted = swept.restricted, erased = swept.erased, %today, "retention sweep");
        }
        Ok(swept)
    }

    async fn tenants(&self) -> Result<Vec<TenantId>> {
        let mut tx = self.db.system_read().await?;
        let ids: Vec<(TenantId,)> = on_conn!(tx.conn(), c => sqlx::query_as("SELECT id FROM tenants ORDER BY id")
            .fetch_all(&mut **c)
            .await)?;
        tx.commit().await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    async fn restrict_past_retention(&self, tenant: TenantId, today: Date) -> Result<u64> {
        let (mut after, mut restricted) = (None, 0);
        loop {
            let mut tx = self.db.tenant(tenant).await?;
            let page = patients::store::unrestricted(&mut tx, after, PAGE).await?;
            for patient in page.iter().filter(|p| p.retain_until < today) {
                patients::store::restrict(&mut tx, patient.id, today).await?;
                let event =
                    Event::new("patient.restricted", "patient", patient.id).changes(serde_json::json!({
                        "retain_until": patient.retain_until.to_string(), "restricted_on": today.to_string(),
                    }));
                audit::record(&mut tx, &AuditCtx::system(), event).await?;
                restricted += 1;
            }
            tx.commit().await?;
            match page.last() {
                Some(last) if page.len() as i64 == PAGE => after = Some(last.id),
                _ => return Ok(restricted),
            }
        }
    }

    async fn erase_restricted(&self, tenant: TenantId, restricted_by: Date) -> Result<u64> {
        let mut erased = 0;
        loop {
            let mut tx = self.db.tenant_read(tenant).await?;
            let due = patients::store::restricted_by(&mut tx, restricted_by, ERASE_BATCH).await?;
            tx.commit().await?;
            if due.is_empty() {
                return Ok(erased);
            }
            for patient in due {
                self.erase(tenant, &patient).await?;
                erased += 1;
            }
        }
    }

    /// Erases one restricted patient: export files first (each its own audited removal), then
    /// the records, the unlinking, the tombstone and `patient.erased` in one transaction.
    async fn erase(&self, tenant: TenantId, patient: &patients::Patient) -> Result<()> {
        let restricted_on =
            patient.restricted_on.ok_or_else(|| Error::Internal("erasing an unrestricted patient".into()))?;
        let system = AuditCtx::system();
        let mut tx = self.db.tenant_read(tenant).await?;
        let files = crate::held::export_files(&mut tx, patient.id).await?;
        tx.commit().await?;
        for file in &files {
            match self.files.delete(tenant, &system, *file, Owner::Tenant).await {
                Ok(()) | Err(Error::NotFound(_)) => {}
                Err(error) => return Err(error),
            }
        }
        let now = Timestamp::now();
        let mut tx = self.db.tenant(tenant).await?;
        // A refractor pointed at one of the examinations, and the device log's lines about them
        // (a reading's values), go before the examinations do.
        let examined: Vec<_> =
            examinations::store::for_patient(&mut tx, patient.id).await?.into_iter().map(|e| e.id).collect();
        ils_devices::forget_examinations(&mut tx, &examined).await?;
        let attached = ils_files::attachments::remove_for_patient(&mut tx, patient.id).await?;
        let removed = Removed {
            attachments: attached.len() as u64,
            orders_unlinked: ils_orders::store::unlink_patient(&mut tx, patient.id, now).await?,
            sales_unlinked: ils_till::sales::unlink_patient(&mut tx, patient.id).await?,
            // Before the appointments: a reminder names its appointment. Before the examinations:
            // an appointment names the examination it started, a recall the one that set it.
            reminders: ils_diary::reminders::remove_for_patient(&mut tx, patient.id).await?,
            appointments: ils_diary::appointments::remove_for_patient(&mut tx, patient.id).await?,
            recalls: ils_diary::recalls::remove_for_patient(&mut tx, patient.id).await?,
            prescriptions: prescriptions::store::remove_for_patient(&mut tx, patient.id).await?,
            examinations: examinations::store::remove_for_patient(&mut tx, patient.id).await?,
            consents: consent::remove_for_patient(&mut tx, patient.id).await?,
            exports: files.len() as u64 + remove_exports(&mut tx, patient.id).await?,
        };
        patients::store::remove(&mut tx, patient.id).await?;
        let tombstone = Tombstone {
            patient_id: patient.id,
            retain_until: patient.retain_until,
            restricted_on,
            erased_at: now,
            removed,
        };
        insert_tombstone(&mut tx, &tombstone).await?;
        let event = Event::new("patient.erased", "patient", patient.id).changes(serde_json::json!({
            "retain_until": tombstone.retain_until.to_string(),
            "restricted_on": tombstone.restricted_on.to_string(),
            "counts": removed,
        }));
        audit::record(&mut tx, &system, event).await?;
        tx.commit().await?;
        self.files.forget_bytes(tenant, &attached).await;
        Ok(())
    }

    /// The tombstone of the caller's tenant's erased patient `id`; `not_found` for a patient never
    /// erased, or another tenant's.
    pub async fn tombstone(&self, ctx: &TenantCtx, id: PatientId) -> Result<Tombstone> {
        let mut tx = self.db.tenant_read(ctx.tenant_id).await?;
        let found = get_tombstone(&mut tx, id).await?;
        tx.commit().await?;
        found.ok_or(Error::NotFound("erased patient"))
    }
}

async fn remove_exports(tx: &mut TenantTx, patient: PatientId) -> Result<u64> {
    let tenant = tx.tenant_id();
    let sql = "DELETE FROM patient_exports WHERE tenant_id = $1 AND patient_id = $2";
    Ok(execute!(tx.conn(), sql, tenant, patient)?)
}

async fn insert_tombstone(tx: &mut TenantTx, t: &Tombstone) -> Result<()> {
    const SQL: &str = "INSERT INTO patient_tombstones
        (tenant_id, patient_id, retain_until, restricted_on, erased_at, removed) VALUES ($1, $2, $3, $4, $5, $6)";
    let tenant = tx.tenant_id();
    let removed = sqlx::types::Json(t.removed);
    execute!(
        tx.conn(),
        SQL,
        tenant,
        t.patient_id,
        t.retain_until.to_string(),
        t.restricted_on.to_string(),
        t.erased_at,
        removed
    )?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct TombstoneRow {
    patient_id: PatientId,
    retain_until: String,
    restricted_on: String,
    erased_at: Timestamp,
    removed: sqlx::types::Json<Removed>,
}

async fn get_tombstone(tx: &mut TenantTx, id: PatientId) -> Result<Option<Tombstone>> {
    const SQL: &str = "SELECT patient_id, retain_until, restricted_on, erased_at, removed
        FROM patient_tombstones WHERE tenant_id = $1 AND patient_id = $2";
    let tenant = tx.tenant_id();
    let row: Option<TombstoneRow> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    let corrupt = |_| Error::Internal(format!("stored tombstone {id} has an invalid date"));
    row.map(|r| -> Result<Tombstone> {
        Ok(Tombstone {
            patient_id: r.patient_id,
            retain_until: r.retain_until.parse().map_err(corrupt)?,
            restricted_on: r.restricted_on.parse().map_err(corrupt)?,
            erased_at: r.erased_at,
            removed: r.removed.0,
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn the_grace_counts_calendar_days_from_the_restriction() {
        assert_eq!(erase_after(date(2036, 2, 28), 30), date(2036, 3, 29));
        assert_eq!(erase_after(date(2036, 2, 28), 0), date(2036, 2, 28));
    }
}
