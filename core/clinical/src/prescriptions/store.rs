//! Prescriptions in the database: each eye in its own columns (powers in eighths, prism in
//! hundredths of a prism dioptre), in minus-cylinder form.

use ils_kernel::{Error, Result};
use ils_storage::ids::{ExaminationId, PatientId, PrescriptionId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, on_conn};

use super::{Prescription, RxKind};
use crate::rx::{Axis, EyeRx, HorizontalBase, Power, Prism, VerticalBase};

const EYE: [&str; 8] =
    ["sphere", "cylinder", "axis", "add", "prism_h", "prism_h_base", "prism_v", "prism_v_base"];

fn columns() -> String {
    let eyes: Vec<String> =
        ["r", "l"].iter().flat_map(|e| EYE.iter().map(move |c| format!("{e}_{c}"))).collect();
    format!(
        "id, patient_id, kind, {}, pd_right, pd_left, issued_on, expires_on, prescriber, notes, created_by, created_at,
         examination_id",
        eyes.join(", ")
    )
}

#[derive(sqlx::FromRow)]
struct Row {
    id: PrescriptionId,
    patient_id: PatientId,
    kind: RxKind,
    r_sphere: i32,
    r_cylinder: Option<i32>,
    r_axis: Option<i32>,
    r_add: Option<i32>,
    r_prism_h: Option<i32>,
    r_prism_h_base: Option<String>,
    r_prism_v: Option<i32>,
    r_prism_v_base: Option<String>,
    l_sphere: i32,
    l_cylinder: Option<i32>,
    l_axis: Option<i32>,
    l_add: Option<i32>,
    l_prism_h: Option<i32>,
    l_prism_h_base: Option<String>,
    l_prism_v: Option<i32>,
    l_prism_v_base: Option<String>,
    pd_right: Option<i32>,
    pd_left: Option<i32>,
    issued_on: String,
    expires_on: Option<String>,
    prescriber: String,
    notes: String,
    created_by: Option<UserId>,
    created_at: Timestamp,
    examination_id: Option<ExaminationId>,
}

/// One eye's stored columns.
struct StoredEye {
    sphere: i32,
    cylinder: Option<i32>,
    axis: Option<i32>,
    add: Option<i32>,
    prism_h: Option<(i32, String)>,
    prism_v: Option<(i32, String)>,
}

impl StoredEye {
    fn of(rx: &EyeRx) -> Self {
        let prism = rx.prism();
        StoredEye {
            sphere: rx.sphere().eighths(),
            cylinder: rx.cylinder().map(|(c, _)| c.eighths()),
            axis: rx.cylinder().map(|(_, a)| i32::from(a.degrees())),
            add: rx.add().map(Power::eighths),
            prism_h: prism
                .horizontal
                .map(|(v, b)| (v as i32, if b == HorizontalBase::In { "in" } else { "out" }.to_owned())),
            prism_v: prism
                .vertical
                .map(|(v, b)| (v as i32, if b == VerticalBase::Up { "up" } else { "down" }.to_owned())),
        }
    }

    fn rx(self) -> EyeRx {
        let cylinder = self
            .cylinder
            .zip(self.axis)
            .map(|(c, a)| (Power::from_eighths(c), Axis::from_stored(u16::try_from(a).unwrap_or(180))));
        let prism = Prism {
            horizontal: self.prism_h.map(|(v, b)| {
                (v.unsigned_abs(), if b == "in" { HorizontalBase::In } else { HorizontalBase::Out })
            }),
            vertical: self.prism_v.map(|(v, b)| {
                (v.unsigned_abs(), if b == "up" { VerticalBase::Up } else { VerticalBase::Down })
            }),
        };
        EyeRx::from_stored(
            Power::from_eighths(self.sphere),
            cylinder,
            self.add.map(Power::from_eighths),
            prism,
        )
    }
}

impl TryFrom<Row> for Prescription {
    type Error = Error;
    fn try_from(r: Row) -> Result<Self> {
        let corrupt = || Error::Internal(format!("stored prescription {} has an invalid date", r.id));
        let right = StoredEye {
            sphere: r.r_sphere,
            cylinder: r.r_cylinder,
            axis: r.r_axis,
            add: r.r_add,
            prism_h: r.r_prism_h.zip(r.r_prism_h_base),
            prism_v: r.r_prism_v.zip(r.r_prism_v_base),
        };
        let left = StoredEye {
            sphere: r.l_sphere,
            cylinder: r.l_cylinder,
            axis: r.l_axis,
            add: r.l_add,
            prism_h: r.l_prism_h.zip(r.l_prism_h_base),
            prism_v: r.l_prism_v.zip(r.l_prism_v_base),
        };
        Ok(Prescription {
            id: r.id,
            patient_id: r.patient_id,
            kind: r.kind,
            right: right.rx(),
            left: left.rx(),
            pd: (
                r.pd_right.and_then(|v| u16::try_from(v).ok()),
                r.pd_left.and_then(|v| u16::try_from(v).ok()),
            ),
            issued_on: r.issued_on.parse().map_err(|_| corrupt())?,
            expires_on: r.expires_on.as_deref().map(str::parse).transpose().map_err(|_| corrupt())?,
            prescriber: r.prescriber,
            notes: r.notes,
            created_by: r.created_by,
            created_at: r.created_at,
            examination_id: r.examination_id,
        })
    }
}

/// Records a prescription (its patient must be of the same tenant: the composite foreign key
/// guarantees it).
pub async fn insert(tx: &mut TenantTx, rx: &Prescription) -> Result<()> {
    let placeholders: Vec<String> = (1..=29).map(|i| format!("${i}")).collect();
    let sql =
        format!("INSERT INTO prescriptions (tenant_id, {}) VALUES ({})", columns(), placeholders.join(", "));
    let (r, l) = (StoredEye::of(&rx.right), StoredEye::of(&rx.left));
    let tenant = tx.tenant_id();
    let (r_h, r_hb) = r.prism_h.map_or((None, None), |(v, b)| (Some(v), Some(b)));
    let (r_v, r_vb) = r.prism_v.map_or((None, None), |(v, b)| (Some(v), Some(b)));
    let (l_h, l_hb) = l.prism_h.map_or((None, None), |(v, b)| (Some(v), Some(b)));
    let (l_v, l_vb) = l.prism_v.map_or((None, None), |(v, b)| (Some(v), Some(b)));
    execute!(
        tx.conn(),
        sqlx::AssertSqlSafe(sql.clone()),
        tenant,
        rx.id,
        rx.patient_id,
        rx.kind,
        r.sphere,
        r.cylinder,
        r.axis,
        r.add,
        r_h,
        &r_hb,
        r_v,
        &r_vb,
        l.sphere,
        l.cylinder,
        l.axis,
        l.add,
        l_h,
        &l_hb,
        l_v,
        &l_vb,
        rx.pd.0.map(i32::from),
        rx.pd.1.map(i32::from),
        rx.issued_on.to_string(),
        rx.expires_on.map(|d| d.to_string()),
        &rx.prescriber,
        &rx.notes,
        rx.created_by,
        rx.created_at,
        rx.examination_id
    )?;
    Ok(())
}

/// One prescription of the tenant; another tenant's is not found.
pub async fn get(tx: &mut TenantTx, id: PrescriptionId) -> Result<Prescription> {
    let sql = format!("SELECT {} FROM prescriptions WHERE tenant_id = $1 AND id = $2", columns());
    let tenant = tx.tenant_id();
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    row.ok_or(Error::NotFound("prescription"))?.try_into()
}

/// A patient's prescriptions, newest first (at most 500).
pub async fn for_patient(tx: &mut TenantTx, patient: PatientId) -> Result<Vec<Prescription>> {
    let sql = format!(
        "SELECT {} FROM prescriptions WHERE tenant_id = $1 AND patient_id = $2 ORDER BY id DESC LIMIT 500",
        columns()
    );
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(patient)
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(Prescription::try_from).collect()
}

/// Removes a patient's prescriptions (erasure, once orders no longer name them); how many.
pub async fn remove_for_patient(tx: &mut TenantTx, patient: PatientId) -> Result<u64> {
    let tenant = tx.tenant_id();
    let sql = "DELETE FROM prescriptions WHERE tenant_id = $1 AND patient_id = $2";
    Ok(execute!(tx.conn(), sql, tenant, patient)?)
}
