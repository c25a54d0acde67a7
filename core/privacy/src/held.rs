//! Everything ILS holds on one patient, gathered in one transaction for a subject-access export
//! ([`crate::export`]) and its readable summary.

use ils_clinical::consent::{self, Consent};
use ils_clinical::examinations::{self, Examination};
use ils_clinical::patients::Patient;
use ils_clinical::prescriptions::{self, PrescriptionView};
use ils_diary::appointments::DiaryEntry;
use ils_diary::recalls::Recall;
use ils_diary::reminders::Reminder;
use ils_files::StoredFile;
use ils_kernel::audit::{self, ActorKind, AuditEntry};
use ils_kernel::permissions::Role;
use ils_kernel::{Error, Result};
use ils_orders::{Order, TimelineEntry};
use ils_storage::ids::{FileId, PatientId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, on_conn};
use serde::Serialize;

/// An order with its timeline.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct OrderHeld {
    #[serde(flatten)]
    pub(crate) order: Order,
    pub(crate) timeline: Vec<TimelineEntry>,
}

/// One entry of who did what with the record.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Access {
    pub(crate) at: Timestamp,
    pub(crate) action: String,
    pub(crate) actor_kind: ActorKind,
    pub(crate) actor_id: Option<uuid::Uuid>,
    /// The member of staff's name, while they are a member of the practice.
    pub(crate) actor_name: Option<String>,
    pub(crate) actor_role: Option<Role>,
    pub(crate) entity_type: String,
    pub(crate) entity_id: Option<String>,
    pub(crate) changes: serde_json::Value,
}

/// Everything held on one patient.
#[derive(Debug)]
pub(crate) struct Held {
    pub(crate) practice: String,
    pub(crate) patient: Patient,
    pub(crate) examinations: Vec<Examination>,
    pub(crate) appointments: Vec<DiaryEntry>,
    pub(crate) recall: Option<Recall>,
    pub(crate) reminders: Vec<Reminder>,
    pub(crate) sales: Vec<ils_till::Sale>,
    pub(crate) prescriptions: Vec<PrescriptionView>,
    pub(crate) orders: Vec<OrderHeld>,
    pub(crate) consents: Vec<Consent>,
    pub(crate) files: Vec<StoredFile>,
    pub(crate) attachments: Vec<AttachmentHeld>,
    pub(crate) access: Vec<Access>,
}

/// A file attached to the record, and where its bytes are in the zip.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct AttachmentHeld {
    #[serde(flatten)]
    pub(crate) attachment: ils_files::attachments::Attachment,
    /// Its path in the zip, when its bytes are there.
    pub(crate) path: Option<String>,
    #[serde(skip)]
    pub(crate) bytes: bytes::Bytes,
}

impl Held {
    pub(crate) async fn gather(tx: &mut TenantTx, patient: Patient) -> Result<Self> {
        let id = patient.id;
        let today = ils_clinical::today();
        let examinations = examinations::store::for_patient(tx, id).await?;
        let prescriptions: Vec<PrescriptionView> = prescriptions::store::for_patient(tx, id)
            .await?
            .iter()
            .map(|rx| rx.view(Default::default(), today))
            .collect();
        let mut orders = Vec::new();
        for order in ils_orders::store::for_patient(tx, id).await? {
            let timeline = ils_orders::store::timeline(tx, order.id).await?;
            orders.push(OrderHeld { order, timeline });
        }
        let appointments = ils_diary::appointments::held_for(tx, id).await?;
        let recall = ils_diary::recalls::held_for(tx, id).await?;
        let reminders = ils_diary::reminders::held_for(tx, id).await?;
        let sales = ils_till::sales::held_for(tx, id).await?;
        let consents = consent::for_patient(tx, id).await?;
        let attachments = ils_files::attachments::list(tx, ils_files::attachments::Subject::Patient(id))
            .await?
            .into_iter()
            .map(|attachment| AttachmentHeld { attachment, path: None, bytes: bytes::Bytes::new() })
            .collect::<Vec<_>>();
        let mut files = Vec::new();
        for file_id in export_files(tx, id).await? {
            files.extend(ils_files::store::get(tx, file_id).await?);
        }
        let mut entities: Vec<(&str, String)> = vec![("patient", id.to_string())];
        entities.extend(examinations.iter().map(|e| ("examination", e.id.to_string())));
        entities.extend(appointments.iter().map(|a| ("appointment", a.appointment.id.to_string())));
        entities.extend(prescriptions.iter().map(|p| ("prescription", p.id.to_string())));
        entities.extend(orders.iter().map(|o| ("order", o.order.id.to_string())));
        entities.extend(files.iter().map(|f| ("file", f.id.to_string())));
        entities.extend(attachments.iter().map(|a| ("file", a.attachment.file.id.to_string())));
        let mut entries = audit::about(tx, &entities, &id.to_string()).await?;
        for entry in entries.iter_mut().filter(|e| e.action == "patient.searched") {
            // A search's results may list other patients: the export names only this one.
            entry.changes["returned"] = serde_json::json!([id]);
        }
        let access = with_names(tx, entries).await?;
        let practice = practice_name(tx).await?;
        Ok(Self {
            practice,
            patient,
            examinations,
            appointments,
            recall,
            reminders,
            sales,
            prescriptions,
            orders,
            consents,
            files,
            attachments,
            access,
        })
    }
}

/// Audit entries with the acting staff member's name and role, where they are still a member.
async fn with_names(tx: &mut TenantTx, entries: Vec<AuditEntry>) -> Result<Vec<Access>> {
    let mut names: std::collections::HashMap<uuid::Uuid, Option<(String, Role)>> = Default::default();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let member = match (e.actor_kind, e.actor_id) {
            (ActorKind::User, Some(id)) => match names.get(&id) {
                Some(known) => known.clone(),
                None => {
                    let found = match ils_tenancy::users::get_member(tx, UserId::from(id)).await {
                        Ok(m) => Some((m.name, m.role)),
                        Err(Error::NotFound(_)) => None,
                        Err(other) => return Err(other),
                    };
                    names.insert(id, found.clone());
                    found
                }
            },
            _ => None,
        };
        out.push(Access {
            at: e.at,
            action: e.action,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            actor_name: member.as_ref().map(|(n, _)| n.clone()),
            actor_role: member.map(|(_, r)| r),
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            changes: e.changes,
        });
    }
    Ok(out)
}

async fn practice_name(tx: &mut TenantTx) -> Result<String> {
    let tenant = tx.tenant_id();
    let row: Option<(String,)> = on_conn!(tx.conn(), c => sqlx::query_as("SELECT name FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_optional(&mut **c)
        .await)?;
    Ok(row.map(|(n,)| n).unwrap_or_default())
}

/// The files of the patient's earlier exports.
pub(crate) async fn export_files(tx: &mut TenantTx, patient: PatientId) -> Result<Vec<FileId>> {
    const SQL: &str =
        "SELECT file_id FROM patient_exports WHERE tenant_id = $1 AND patient_id = $2 ORDER BY created_at";
    let tenant = tx.tenant_id();
    let rows: Vec<(FileId,)> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(tenant)
        .bind(patient)
        .fetch_all(&mut **c)
        .await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
