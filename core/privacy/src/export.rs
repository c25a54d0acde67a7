//! Subject-access exports: everything ILS holds on one patient, for the patient. One zip of JSON
//! files (UTF-8, the API's field names, one file per kind of record) and a readable summary,
//! stored in the tenant's file store and downloaded at `GET /api/v1/files/{id}`:
//!
//! | file | what |
//! |---|---|
//! | `manifest.json` | the format ([`FORMAT`]), when, for whom, how many records of each kind |
//! | `patient.json` | the record: details, NHS number, contact, notes, retention |
//! | `examinations.json`, `prescriptions.json` | the clinical records |
//! | `appointments.json` | every appointment, past and booked, with its type, clinician and status |
//! | `reminders.json` | each reminder sent: of an appointment, of glasses ready to collect |
//! | `recall.json` | when the next sight test is due, how that was chosen, and each recall notice sent (`null`: none set) |
//! | `orders.json` | the practice's orders for the patient, each with its timeline |
//! | `sales.json` | what they bought and paid at the till: lines with VAT, payments, credit notes |
//! | `consents.json` | every consent change (marketing, recall channel) |
//! | `files.json` | files linked to the patient (earlier exports) |
//! | `attachments.json`, `attachments/…` | files attached to the record (letters, photos), each with its bytes while the export stays under [`ATTACHED_BYTES`] |
//! | `access_log.json` | who read or changed the record, and when, from the audit log |
//! | `summary.pdf`, `summary.html` | the same, readable (one `ils-documents` document) |
//!
//! The request (`patient.exported`) and every download (`patient.export_downloaded`) are audited
//! in the patient's trail; only staff who may read records may download one.

use std::io::Write as _;

use bytes::Bytes;
use ils_clinical::patients;
use ils_files::{FileName, MediaType, NewFile, Owner, StoredFile};
use ils_kernel::audit::Event;
use ils_kernel::permissions::Role;
use ils_kernel::{Error, Result, TenantCtx};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{FileId, PatientId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{execute, on_conn};
use serde::Serialize;

use crate::Privacy;
use crate::held::Held;

/// The export's format, named in its manifest; a change of any file's shape is a new version.
pub const FORMAT: &str = "ils-subject-access/1";

/// The most bytes of attachments one export carries (the file store takes 32 MiB in one file);
/// past it, an attachment is listed in `attachments.json` without a `path`: download it from the
/// record.
pub const ATTACHED_BYTES: usize = 20 * 1024 * 1024;

/// A subject-access export of a patient.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientExport {
    /// The patient.
    pub patient_id: PatientId,
    /// The zip in the file store: download it at `GET /api/v1/files/{file.id}`.
    pub file: StoredFile,
    /// Who asked for it (none for an integration).
    pub requested_by: Option<UserId>,
    /// When (UTC).
    pub created_at: Timestamp,
}

impl Held {
    /// The zip: the JSON files, the summary and the manifest.
    fn zip(&self, tenant: ils_storage::ids::TenantId, generated_at: Timestamp) -> Result<Vec<u8>> {
        let mut entries: Vec<(&str, Vec<u8>, usize)> = vec![
            ("patient.json", json(&self.patient)?, 1),
            ("examinations.json", json(&self.examinations)?, self.examinations.len()),
            ("appointments.json", json(&self.appointments)?, self.appointments.len()),
            ("recall.json", json(&self.recall)?, usize::from(self.recall.is_some())),
            ("reminders.json", json(&self.reminders)?, self.reminders.len()),
            ("prescriptions.json", json(&self.prescriptions)?, self.prescriptions.len()),
            ("orders.json", json(&self.orders)?, self.orders.len()),
            ("sales.json", json(&self.sales)?, self.sales.len()),
            ("consents.json", json(&self.consents)?, self.consents.len()),
            ("files.json", json(&self.files)?, self.files.len()),
            ("attachments.json", json(&self.attachments)?, self.attachments.len()),
            ("access_log.json", json(&self.access)?, self.access.len()),
        ];
        let attached: Vec<(String, &[u8])> =
            self.attachments.iter().filter_map(|a| a.path.clone().map(|path| (path, &a.bytes[..]))).collect();
        let counts: serde_json::Map<String, serde_json::Value> =
            entries.iter().map(|(name, _, n)| ((*name).to_owned(), serde_json::json!(n))).collect();
        let manifest = serde_json::json!({
            "format": FORMAT,
            "generated_at": generated_at,
            "tenant_id": tenant,
            "practice": self.practice,
            "patient_id": self.patient.id,
            "records": counts,
            "summary": "summary.pdf",
        });
        entries.insert(0, ("manifest.json", json(&manifest)?, 1));
        let summary = crate::summary::document(self, generated_at);
        entries.push(("summary.pdf", crate::summary::render(&summary, ils_documents::Format::Pdf)?, 1));
        entries.push(("summary.html", crate::summary::render(&summary, ils_documents::Format::Html)?, 1));

        let at = generated_at.as_jiff().to_zoned(jiff::tz::TimeZone::UTC).datetime();
        let modified = zip::DateTime::from_date_and_time(
            u16::try_from(at.year()).unwrap_or(1980),
            u8::try_from(at.month()).unwrap_or(1),
            u8::try_from(at.day()).unwrap_or(1),
            u8::try_from(at.hour()).unwrap_or(0),
            u8::try_from(at.minute()).unwrap_or(0),
            u8::try_from(at.second()).unwrap_or(0),
        )
        .unwrap_or_default();
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(modified)
            .unix_permissions(0o644);
        let failed = |e: &dyn std::fmt::Display| Error::Internal(format!("writing the export: {e}"));
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes, _) in entries {
            zip.start_file(name, options).map_err(|e| failed(&e))?;
            zip.write_all(&bytes).map_err(|e| failed(&e))?;
        }
        for (path, bytes) in attached {
            zip.start_file(path, options).map_err(|e| failed(&e))?;
            zip.write_all(bytes).map_err(|e| failed(&e))?;
        }
        Ok(zip.finish().map_err(|e| failed(&e))?.into_inner())
    }
}

/// A value as pretty-printed UTF-8 JSON.
fn json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| Error::Internal(format!("export JSON: {e}")))
}

/// A file name from the practice's customer number: letters, digits and `-` kept, the rest `_`.
fn file_name(customer_number: &str, on: jiff::civil::Date) -> Result<FileName> {
    let safe: String = customer_number
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    FileName::parse(&format!("subject-access-{safe}-{on}.zip"))
}

fn is_admin(ctx: &TenantCtx) -> bool {
    ctx.role == Some(Role::CompanyAdmin)
}

impl Privacy {
    /// Makes a subject-access export of the caller's tenant's patient `id` and stores it. A
    /// deleted record, or one restricted at the end of its retention, is exported for company
    /// admins only (deleted: `not_found` to others; restricted: `patient_restricted`).
    pub async fn export(&self, ctx: &TenantCtx, id: PatientId) -> Result<PatientExport> {
        let mut tx = self.db.tenant_read(ctx.tenant_id).await?;
        let patient = patients::get(&mut tx, id).await?;
        if !is_admin(ctx) {
            if patient.deleted_at.is_some() {
                return Err(Error::NotFound("patient"));
            }
            patient.check_not_restricted()?;
        }
        let mut held = Held::gather(&mut tx, patient).await?;
        tx.commit().await?;
        let mut budget = ATTACHED_BYTES;
        for held in &mut held.attachments {
            let file = &held.attachment.file;
            let Ok(size) = usize::try_from(file.size) else { continue };
            if size > budget {
                continue;
            }
            let (_, bytes) = self.files.read(ctx.tenant_id, file.id).await?;
            budget -= size;
            held.path = Some(format!("attachments/{}-{}", held.attachment.id, file.name));
            held.bytes = bytes;
        }
        let generated_at = Timestamp::now();
        let name = file_name(&held.patient.customer_number, ils_clinical::today())?;
        let tenant = ctx.tenant_id;
        let body = tokio::task::spawn_blocking(move || held.zip(tenant, generated_at))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        let new = NewFile {
            name,
            content_type: MediaType::parse("application/zip")?,
            plugin_id: None,
            body: Bytes::from(body),
        };
        let file = self.files.put(tenant, &ctx.audit, new).await?;
        let export =
            PatientExport { patient_id: id, file, requested_by: ctx.user_id, created_at: generated_at };
        if let Err(error) = self.record(ctx, &export).await {
            if let Err(left) = self.files.delete(tenant, &ctx.audit, export.file.id, Owner::Tenant).await {
                tracing::warn!(%tenant, file = %export.file.id, error = %left, "an export that was not recorded was left in the file store");
            }
            return Err(error);
        }
        Ok(export)
    }

    async fn record(&self, ctx: &TenantCtx, export: &PatientExport) -> Result<()> {
        const SQL: &str =
            "INSERT INTO patient_exports (tenant_id, file_id, patient_id, requested_by, created_at)
            VALUES ($1, $2, $3, $4, $5)";
        let mut uow = UnitOfWork::begin(&self.db, ctx).await?;
        let tenant = ctx.tenant_id;
        let (file, patient) = (export.file.id, export.patient_id);
        execute!(uow.tx().conn(), SQL, tenant, file, patient, export.requested_by, export.created_at)?;
        let event = Event::new("patient.exported", "patient", patient).changes(serde_json::json!({
            "file_id": file, "size": export.file.size, "sha256": export.file.sha256,
        }));
        uow.audit(event).await?;
        uow.commit().await
    }

    /// The patient's exports still in the file store, newest first. Restricted and deleted
    /// records as for [`export`](Self::export).
    pub async fn exports(&self, ctx: &TenantCtx, id: PatientId) -> Result<Vec<PatientExport>> {
        const SQL: &str = "SELECT file_id, requested_by, created_at FROM patient_exports
            WHERE tenant_id = $1 AND patient_id = $2 ORDER BY created_at DESC";
        let mut tx = self.db.tenant_read(ctx.tenant_id).await?;
        let patient = patients::get(&mut tx, id).await?;
        if !is_admin(ctx) {
            if patient.deleted_at.is_some() {
                return Err(Error::NotFound("patient"));
            }
            patient.check_not_restricted()?;
        }
        let tenant = ctx.tenant_id;
        let rows: Vec<(FileId, Option<UserId>, Timestamp)> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
            .bind(tenant)
            .bind(id)
            .fetch_all(&mut **c)
            .await)?;
        let mut out = Vec::with_capacity(rows.len());
        for (file_id, requested_by, created_at) in rows {
            if let Some(file) = ils_files::store::get(&mut tx, file_id).await? {
                out.push(PatientExport { patient_id: id, file, requested_by, created_at });
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Called before a file is downloaded: when file `id` is a subject-access export, only a
    /// caller who `may_read_patients` gets it (others: `not_found`, as for no file), and the
    /// download is audited in the patient's trail (`patient.export_downloaded`). Other files
    /// pass unchanged.
    pub async fn before_download(&self, ctx: &TenantCtx, id: FileId, may_read_patients: bool) -> Result<()> {
        const SQL: &str = "SELECT patient_id FROM patient_exports WHERE tenant_id = $1 AND file_id = $2";
        let mut tx = self.db.tenant_read(ctx.tenant_id).await?;
        let tenant = ctx.tenant_id;
        let export: Option<(PatientId,)> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut **c)
            .await)?;
        tx.commit().await?;
        let Some((patient,)) = export else { return Ok(()) };
        if !may_read_patients {
            return Err(Error::NotFound("file"));
        }
        let mut uow = UnitOfWork::begin(&self.db, ctx).await?;
        let event = Event::new("patient.export_downloaded", "patient", patient)
            .changes(serde_json::json!({ "file_id": id }));
        uow.audit(event).await?;
        uow.commit().await
    }
}
