//! Examinations in the database; the refraction is kept as JSON in the shape it was entered in.

use ils_kernel::{Error, Result};
use ils_storage::ids::{ExaminationId, PatientId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, on_conn};

use super::{Examination, Pair, PupillaryDistance};
pub(crate) use crate::prescriptions::StoredEyes as Refraction;
use crate::rx::CylinderForm;

/// A new examination's values, as stored.
#[derive(Clone, Debug)]
pub struct NewExamination {
    /// The id of the patient examined.
    pub patient_id: PatientId,
    /// When it took place.
    pub examined_on: jiff::civil::Date,
    /// Visual acuity per eye, as checked by [`super::parse_acuity`].
    pub visual_acuity: Pair<String>,
    /// Intra-ocular pressure per eye, mmHg.
    pub iop: Pair<i32>,
    /// Refraction (checked).
    pub(crate) refraction: Option<Refraction>,
    /// Notes; empty when none.
    pub notes: String,
    /// Pupillary distances (checked).
    pub pd: PupillaryDistance,
    /// Who examined.
    pub examined_by: Option<UserId>,
}

const COLUMNS: &str =
    "id, patient_id, examined_on, va_right, va_left, iop_right, iop_left, refraction, notes,
    examined_by, finalised_at, created_at, pd_tenths, pd_right_tenths, pd_left_tenths, near_pd_tenths,
    working_distance_cm";

#[derive(sqlx::FromRow)]
struct Row {
    id: ExaminationId,
    patient_id: PatientId,
    examined_on: String,
    va_right: Option<String>,
    va_left: Option<String>,
    iop_right: Option<i32>,
    iop_left: Option<i32>,
    refraction: Option<String>,
    notes: String,
    examined_by: Option<UserId>,
    finalised_at: Option<Timestamp>,
    created_at: Timestamp,
    pd_tenths: Option<i32>,
    pd_right_tenths: Option<i32>,
    pd_left_tenths: Option<i32>,
    near_pd_tenths: Option<i32>,
    working_distance_cm: Option<i32>,
}

/// A length in mm to 0.1 as stored: tenths.
fn tenths(mm: Option<f64>) -> Option<i32> {
    #[allow(clippy::cast_possible_truncation)]
    mm.map(|v| (v * 10.0).round() as i32)
}

fn mm(tenths: Option<i32>) -> Option<f64> {
    tenths.map(|t| f64::from(t) / 10.0)
}

pub(crate) struct Stored {
    pub(crate) view: Examination,
    pub(crate) refraction: Option<Refraction>,
}

impl TryFrom<Row> for Stored {
    type Error = Error;
    fn try_from(r: Row) -> Result<Self> {
        let corrupt =
            |what: &str| Error::Internal(format!("stored examination {} has an invalid {what}", r.id));
        let refraction: Option<Refraction> = r
            .refraction
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| corrupt("refraction"))?;
        let views = refraction
            .as_ref()
            .map(|rf| -> Result<Pair<_>> {
                let (right, left) = rf.views(CylinderForm::Minus)?;
                Ok(Pair { right: Some(right), left: Some(left) })
            })
            .transpose()?;
        Ok(Stored {
            view: Examination {
                id: r.id,
                patient_id: r.patient_id,
                examined_on: r.examined_on.parse().map_err(|_| corrupt("date"))?,
                visual_acuity: Pair { right: r.va_right, left: r.va_left },
                iop_mmhg: Pair { right: r.iop_right, left: r.iop_left },
                refraction: views,
                pd: PupillaryDistance {
                    distance_mm: mm(r.pd_tenths),
                    right_mm: mm(r.pd_right_tenths),
                    left_mm: mm(r.pd_left_tenths),
                    near_mm: mm(r.near_pd_tenths),
                    working_distance_cm: r
                        .working_distance_cm
                        .map(|cm| u16::try_from(cm).map_err(|_| corrupt("working distance")))
                        .transpose()?,
                },
                notes: r.notes,
                examined_by: r.examined_by,
                finalised_at: r.finalised_at,
                created_at: r.created_at,
            },
            refraction,
        })
    }
}

/// Records a draft examination.
pub async fn insert(tx: &mut TenantTx, new: &NewExamination) -> Result<ExaminationId> {
    const SQL: &str = "INSERT INTO examinations (tenant_id, id, patient_id, examined_on, va_right, va_left,
            iop_right, iop_left, refraction, notes, examined_by, created_at, updated_at, pd_tenths,
            pd_right_tenths, pd_left_tenths, near_pd_tenths, working_distance_cm)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16, $17)";
    let id = ExaminationId::new();
    let tenant = tx.tenant_id();
    let refraction = refraction_json(new)?;
    execute!(
        tx.conn(),
        SQL,
        tenant,
        id,
        new.patient_id,
        new.examined_on.to_string(),
        &new.visual_acuity.right,
        &new.visual_acuity.left,
        new.iop.right,
        new.iop.left,
        refraction,
        &new.notes,
        new.examined_by,
        Timestamp::now(),
        tenths(new.pd.distance_mm),
        tenths(new.pd.right_mm),
        tenths(new.pd.left_mm),
        tenths(new.pd.near_mm),
        new.pd.working_distance_cm.map(i32::from)
    )?;
    Ok(id)
}

/// Replaces a draft's values (the patient stays); a finalised examination is an
/// `already_finalised` conflict.
pub async fn update_draft(tx: &mut TenantTx, id: ExaminationId, new: &NewExamination) -> Result<Examination> {
    let tenant = tx.tenant_id();
    let refraction = refraction_json(new)?;
    let done = execute!(
        tx.conn(),
        "UPDATE examinations SET examined_on = $3, va_right = $4, va_left = $5, iop_right = $6, iop_left = $7,
             refraction = $8, notes = $9, examined_by = $10, updated_at = $11, pd_tenths = $12,
             pd_right_tenths = $13, pd_left_tenths = $14, near_pd_tenths = $15, working_distance_cm = $16
         WHERE tenant_id = $1 AND id = $2 AND finalised_at IS NULL",
        tenant,
        id,
        new.examined_on.to_string(),
        &new.visual_acuity.right,
        &new.visual_acuity.left,
        new.iop.right,
        new.iop.left,
        refraction,
        &new.notes,
        new.examined_by,
        Timestamp::now(),
        tenths(new.pd.distance_mm),
        tenths(new.pd.right_mm),
        tenths(new.pd.left_mm),
        tenths(new.pd.near_mm),
        new.pd.working_distance_cm.map(i32::from)
    )?;
    if done == 0 {
        get(tx, id).await?;
        return Err(already_finalised());
    }
    get(tx, id).await
}

fn refraction_json(new: &NewExamination) -> Result<Option<String>> {
    new.refraction.as_ref().map(serde_json::to_string).transpose().map_err(|e| Error::Internal(e.to_string()))
}

fn already_finalised() -> Error {
    Error::conflict("already_finalised", "This examination is already finalised and cannot change.")
}

/// One examination of the tenant, with its refraction.
pub(crate) async fn get_stored(tx: &mut TenantTx, id: ExaminationId) -> Result<Stored> {
    let sql = format!("SELECT {COLUMNS} FROM examinations WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    row.ok_or(Error::NotFound("examination"))?.try_into()
}

/// One examination of the tenant; another tenant's is not found.
pub async fn get(tx: &mut TenantTx, id: ExaminationId) -> Result<Examination> {
    Ok(get_stored(tx, id).await?.view)
}

/// A patient's examinations, newest first.
pub async fn for_patient(tx: &mut TenantTx, patient: PatientId) -> Result<Vec<Examination>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM examinations WHERE tenant_id = $1 AND patient_id = $2 ORDER BY id DESC LIMIT 500"
    );
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(patient)
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(|r| Stored::try_from(r).map(|s| s.view)).collect()
}

/// Finalises a draft; a finalised examination is an `already_finalised` conflict.
pub async fn finalise(tx: &mut TenantTx, id: ExaminationId) -> Result<Examination> {
    let tenant = tx.tenant_id();
    let now = Timestamp::now();
    let done = execute!(
        tx.conn(),
        "UPDATE examinations SET finalised_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND finalised_at IS NULL",
        tenant,
        id,
        now
    )?;
    if done == 0 {
        get(tx, id).await?;
        return Err(already_finalised());
    }
    get(tx, id).await
}

/// Removes a patient's examinations (erasure); how many.
pub async fn remove_for_patient(tx: &mut TenantTx, patient: PatientId) -> Result<u64> {
    let tenant = tx.tenant_id();
    let sql = "DELETE FROM examinations WHERE tenant_id = $1 AND patient_id = $2";
    Ok(execute!(tx.conn(), sql, tenant, patient)?)
}
