//! Files attached to a patient's record or to an order: referral letters, photos, signed forms
//! (docs/adr/041-attachments.md).
//!
//! An attachment is a file of the tenant's store and a row saying what it is attached to, stored
//! together in one transaction. What a file *is* comes from its bytes, never from the name or the
//! type the uploader gave: only the kinds people attach (PDF and common photo formats) are taken,
//! up to [`MAX_ATTACHMENT_BYTES`]. A download of an attachment is a read of its record: the
//! caller needs the record's read permission, and the read is audited on the record
//! ([`Attachment::read_action`]).

use serde::Serialize;

use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::{Error, Result};
use ils_storage::ids::{AttachmentId, FileId, OrderId, PatientId, TenantId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query};

use crate::{FileName, Files, MediaType, NewFile, StoredFile, record};

/// The largest attachment: 10 MiB (a scanned referral letter or a phone photo).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The kinds of file taken, by media type, as people name them.
pub const ACCEPTED: [(&str, &str); 6] = [
    ("application/pdf", "PDF"),
    ("image/jpeg", "JPEG"),
    ("image/png", "PNG"),
    ("image/tiff", "TIFF"),
    ("image/webp", "WebP"),
    ("image/heif", "HEIC"),
];

/// What a file's bytes are, if one of the [`ACCEPTED`] kinds: the media type it is stored and
/// served with. HEIC photos (`image/heic`) are stored as `image/heif`, their family.
pub fn kind_of(bytes: &[u8]) -> Option<&'static str> {
    let found = infer::get(bytes)?.mime_type();
    let found = if found == "image/heic" { "image/heif" } else { found };
    ACCEPTED.iter().map(|(mime, _)| *mime).find(|mime| *mime == found)
}

/// What an attachment belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A patient's record.
    Patient(PatientId),
    /// An order (a lab job).
    Order(OrderId),
}

impl Subject {
    fn entity(self) -> (&'static str, uuid::Uuid) {
        match self {
            Self::Patient(id) => ("patient", id.as_uuid()),
            Self::Order(id) => ("order", id.as_uuid()),
        }
    }
}

/// A file attached to a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    /// The attachment's id.
    pub id: AttachmentId,
    /// What it is attached to (`patient_id` or `order_id` in JSON).
    #[serde(skip)]
    pub subject: Subject,
    /// The patient it is attached to, if a patient's record.
    pub patient_id: Option<PatientId>,
    /// The order it is attached to, if an order.
    pub order_id: Option<OrderId>,
    /// What it is, in the uploader's words (`Referral from Dr Shah`).
    pub description: String,
    /// The file: its name, its media type as found in its bytes, its size. Download it at
    /// `GET /api/v1/files/{file.id}` (audited as a read of the record).
    pub file: StoredFile,
    /// Who attached it (none for an API key).
    pub uploaded_by: Option<UserId>,
    /// When (UTC).
    pub created_at: Timestamp,
}

impl Attachment {
    /// The audit action a download of it records on its record: `patient.attachment_read` or
    /// `order.attachment_read`.
    pub fn read_action(&self) -> &'static str {
        match self.subject {
            Subject::Patient(_) => "patient.attachment_read",
            Subject::Order(_) => "order.attachment_read",
        }
    }

    /// The audit entry of a download of it.
    pub fn read_event(&self) -> Event<'static> {
        let (entity_type, id) = self.subject.entity();
        Event::new(self.read_action(), entity_type, id).changes(serde_json::json!({
            "attachment_id": self.id, "file_id": self.file.id, "name": self.file.name,
        }))
    }
}

/// A file to attach.
#[derive(Clone, Debug)]
pub struct NewAttachment {
    /// What it is attached to.
    pub subject: Subject,
    /// Its name as uploaded (`referral.pdf`).
    pub name: String,
    /// What it is, up to 500 characters.
    pub description: Option<String>,
    /// Who attaches it.
    pub uploaded_by: Option<UserId>,
    /// Its bytes.
    pub body: bytes::Bytes,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: AttachmentId,
    patient_id: Option<PatientId>,
    order_id: Option<OrderId>,
    description: String,
    uploaded_by: Option<UserId>,
    created_at: Timestamp,
    file_id: FileId,
}

const COLUMNS: &str = "id, patient_id, order_id, description, uploaded_by, created_at, file_id";

async fn with_file(tx: &mut TenantTx, row: Row) -> Result<Attachment> {
    let subject = match (row.patient_id, row.order_id) {
        (Some(patient), None) => Subject::Patient(patient),
        (None, Some(order)) => Subject::Order(order),
        _ => return Err(Error::Internal(format!("attachment {} is not attached to one record", row.id))),
    };
    let file = crate::store::get(tx, row.file_id).await?.ok_or(Error::NotFound("file"))?;
    Ok(Attachment {
        id: row.id,
        subject,
        patient_id: row.patient_id,
        order_id: row.order_id,
        description: row.description,
        file,
        uploaded_by: row.uploaded_by,
        created_at: row.created_at,
    })
}

/// Refuses a record that is not the tenant's (`not_found`), or, when something is to be added
/// to it, a patient's record that was deleted (`patient_deleted`: it is restricted).
async fn check_subject(tx: &mut TenantTx, subject: Subject, adding: bool) -> Result<()> {
    let tenant = tx.tenant_id();
    match subject {
        Subject::Patient(id) => {
            let closed: Option<bool> = query!(
                tx,
                query_scalar,
                fetch_optional,
                "SELECT (deleted_at IS NOT NULL OR restricted_on IS NOT NULL) FROM patients WHERE tenant_id = $1 AND id = $2",
                tenant,
                id
            )?;
            match closed {
                None => Err(Error::NotFound("patient")),
                Some(true) if adding => Err(Error::conflict(
                    "patient_deleted",
                    "This patient's record was deleted or is past its retention date: it is kept, restricted, and nothing more is added to it.",
                )),
                Some(_) => Ok(()),
            }
        }
        Subject::Order(id) => {
            let found: Option<OrderId> = query!(
                tx,
                query_scalar,
                fetch_optional,
                "SELECT id FROM lab_orders WHERE tenant_id = $1 AND id = $2",
                tenant,
                id
            )?;
            found.map(|_| ()).ok_or(Error::NotFound("order"))
        }
    }
}

impl Files {
    /// Attaches a file to a record: checks its size and what its bytes are, stores it, and records
    /// the attachment with `patient.attachment_added` or `order.attachment_added` in the audit log,
    /// all or nothing.
    pub async fn attach(&self, tenant: TenantId, actor: &AuditCtx, new: NewAttachment) -> Result<Attachment> {
        if new.body.len() > MAX_ATTACHMENT_BYTES {
            return Err(Error::Invalid {
                code: "attachment_too_large",
                message: format!(
                    "An attachment is at most {} MiB; this file is {:.1} MiB.",
                    MAX_ATTACHMENT_BYTES >> 20,
                    new.body.len() as f64 / f64::from(1 << 20)
                ),
                fields: vec![ils_kernel::error::FieldError {
                    field: "file".into(),
                    message: format!("must be at most {} MiB", MAX_ATTACHMENT_BYTES >> 20),
                }],
            });
        }
        let Some(kind) = kind_of(&new.body) else {
            let kinds: Vec<&str> = ACCEPTED.iter().map(|(_, name)| *name).collect();
            return Err(Error::Invalid {
                code: "unsupported_attachment",
                message: format!(
                    "An attachment must be one of {} — judged by its contents, not its name.",
                    kinds.join(", ")
                ),
                fields: vec![ils_kernel::error::FieldError {
                    field: "file".into(),
                    message: format!("is not a {} file", kinds.join(", ")),
                }],
            });
        };
        let description = ils_kernel::input::optional_text("description", new.description.as_deref(), 500)?
            .unwrap_or_default();
        let name = FileName::parse(&new.name).map_err(|_| {
            Error::invalid_field("name", "must be a file name of 1–200 characters, without / or \\")
        })?;
        {
            let mut tx = self.db.tenant_read(tenant).await?;
            check_subject(&mut tx, new.subject, true).await?;
            tx.commit().await?;
        }
        let file = self
            .write_bytes(
                tenant,
                NewFile { name, content_type: MediaType::parse(kind)?, plugin_id: None, body: new.body },
            )
            .await?;
        let id = AttachmentId::new();
        let recorded = async {
            let mut tx = self.db.tenant(tenant).await?;
            check_subject(&mut tx, new.subject, true).await?;
            record(&mut tx, actor, &file).await?;
            let (patient, order) = match new.subject {
                Subject::Patient(p) => (Some(p), None),
                Subject::Order(o) => (None, Some(o)),
            };
            execute!(
                tx.conn(),
                "INSERT INTO attachments (tenant_id, id, file_id, patient_id, order_id, description, uploaded_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                tenant,
                id,
                file.id,
                patient,
                order,
                &description,
                new.uploaded_by,
                file.created_at
            )?;
            let (entity_type, entity) = new.subject.entity();
            let action = match new.subject {
                Subject::Patient(_) => "patient.attachment_added",
                Subject::Order(_) => "order.attachment_added",
            };
            let event = Event::new(action, entity_type, entity).changes(serde_json::json!({
                "attachment_id": id, "file_id": file.id, "name": file.name, "content_type": file.content_type,
                "size": file.size, "description": description,
            }));
            audit::record(&mut tx, actor, event).await?;
            let attachment = get(&mut tx, id).await?;
            tx.commit().await?;
            Ok(attachment)
        }
        .await;
        self.kept_if(tenant, &file, recorded).await
    }
}

/// One attachment of the tenant.
pub async fn get(tx: &mut TenantTx, id: AttachmentId) -> Result<Attachment> {
    let tenant = tx.tenant_id();
    let sql = format!("SELECT {COLUMNS} FROM attachments WHERE tenant_id = $1 AND id = $2");
    let row: Option<Row> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    with_file(tx, row.ok_or(Error::NotFound("attachment"))?).await
}

/// The attachment a file is, if it is one.
pub async fn of_file(tx: &mut TenantTx, file: FileId) -> Result<Option<Attachment>> {
    let tenant = tx.tenant_id();
    let sql = format!("SELECT {COLUMNS} FROM attachments WHERE tenant_id = $1 AND file_id = $2");
    let row: Option<Row> = query!(tx, query_as, fetch_optional, sql, tenant, file)?;
    match row {
        Some(row) => Ok(Some(with_file(tx, row).await?)),
        None => Ok(None),
    }
}

/// Every attachment of a record, newest first (`not_found` for a record not the tenant's).
pub async fn list(tx: &mut TenantTx, subject: Subject) -> Result<Vec<Attachment>> {
    check_subject(tx, subject, false).await?;
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = match subject {
        Subject::Patient(id) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM attachments WHERE tenant_id = $1 AND patient_id = $2 ORDER BY id DESC"
            );
            query!(tx, query_as, fetch_all, sql, tenant, id)?
        }
        Subject::Order(id) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM attachments WHERE tenant_id = $1 AND order_id = $2 ORDER BY id DESC"
            );
            query!(tx, query_as, fetch_all, sql, tenant, id)?
        }
    };
    let mut attachments = Vec::with_capacity(rows.len());
    for row in rows {
        attachments.push(with_file(tx, row).await?);
    }
    Ok(attachments)
}

/// Removes every attachment of a patient's record with its file's row, in the caller's
/// transaction (the erasure at the end of retention); the files whose bytes to forget once it
/// commits ([`Files::forget_bytes`]).
pub async fn remove_for_patient(tx: &mut TenantTx, patient: PatientId) -> Result<Vec<FileId>> {
    let tenant = tx.tenant_id();
    let files: Vec<FileId> = query!(
        tx,
        query_scalar,
        fetch_all,
        "SELECT file_id FROM attachments WHERE tenant_id = $1 AND patient_id = $2",
        tenant,
        patient
    )?;
    execute!(tx.conn(), "DELETE FROM attachments WHERE tenant_id = $1 AND patient_id = $2", tenant, patient)?;
    for file in &files {
        crate::store::delete(tx, *file, crate::Owner::Tenant).await?;
    }
    Ok(files)
}

/// Audits a download of `attachment` as a read of its record.
pub async fn audit_read(tx: &mut TenantTx, actor: &AuditCtx, attachment: &Attachment) -> Result<()> {
    audit::record(tx, actor, attachment.read_event()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_what_its_bytes_say() {
        assert_eq!(kind_of(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), Some("application/pdf"));
        assert_eq!(kind_of(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F']), Some("image/jpeg"));
        assert_eq!(kind_of(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(kind_of(b"MZ\x90\0\x03\0\0\0"), None, "a Windows program named referral.pdf");
        assert_eq!(kind_of(b"<html><script>alert(1)</script>"), None, "HTML");
        assert_eq!(kind_of(b"PK\x03\x04\x14\0\x06\0"), None, "a zip or an Office file");
        assert_eq!(kind_of(b""), None);
    }
}
