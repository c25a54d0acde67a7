//! Recalls: when each patient's next sight test is due, and the notices that tell them so.
//!
//! Finalising an examination sets the patient's due date: the examination's day plus the
//! clinician's recall period, or the default for the patient's age on that day ([`default_months`],
//! the NHS minimum intervals of DOMAIN.md by age). A clinician can also set a date by hand. The
//! practice's notices go out in stages ([`Stage`]: due, first reminder, final) by the channel the
//! patient chose (their `recall_channel` consent; none recorded: e-mail when there is an
//! address, else a letter); a patient who chose `none` gets none. Each stage is recorded once per
//! patient and due date — the table's unique key says so — so a sweep that runs twice, or is
//! cut off and run again, sends nothing twice (docs/adr/044-recalls.md).

use jiff::civil::Date;
use serde::Serialize;

use ils_clinical::examinations::Examination;
use ils_clinical::patients;
use ils_kernel::audit::Event;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;

use crate::events::{RecallDue, RecallSet};

pub mod plan;

use ils_storage::ids::{ExaminationId, PatientId, RecallNoticeId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query};
pub use plan::{Basis, Channel, Outcome, Plan, Stage, age_on, default_months, due_after, still_to_send};

/// A patient's recall, with the notices sent for it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recall {
    /// The patient.
    pub patient_id: PatientId,
    /// When the next sight test is due (YYYY-MM-DD).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub due_on: Date,
    /// The period it was set with, in months (none for a date set by hand).
    pub months: Option<i16>,
    /// How it was chosen.
    pub basis: Basis,
    /// Why (the age rule applied, or the clinician's words).
    pub reason: String,
    /// The examination that set it.
    pub examination_id: Option<ExaminationId>,
    /// Who set it (none when an examination set it by default).
    pub set_by: Option<UserId>,
    /// When it was set.
    pub updated_at: Timestamp,
    /// The notices for this patient, newest first (earlier due dates' too).
    pub notices: Vec<RecallNotice>,
}

/// One notice of a recall.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecallNotice {
    /// The notice.
    pub id: RecallNoticeId,
    /// The due date it was about (YYYY-MM-DD).
    pub due_on: String,
    /// Which stage.
    pub stage: Stage,
    /// By which channel.
    pub channel: Channel,
    /// What became of it.
    pub outcome: Outcome,
    /// When.
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct Row {
    patient_id: PatientId,
    due_on: String,
    months: Option<i16>,
    basis: Basis,
    reason: String,
    examination_id: Option<ExaminationId>,
    set_by: Option<UserId>,
    updated_at: Timestamp,
}

fn date(text: &str) -> Result<Date> {
    text.parse().map_err(|_| Error::Internal(format!("a stored recall date is not a date: {text:?}")))
}

/// A recall advisor's period (a plugin's `recall-advisor`, such as the NHS GOS plugin's):
/// months and the rule, and who gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advised {
    /// Months, 1 to 120.
    pub months: u8,
    /// The rule, in words.
    pub reason: String,
    /// The advisor's name.
    pub by: String,
}

/// Sets the patient's recall from their finalised examination: its day plus `months` (the
/// clinician's), else the recall advisor's period, else ILS's default for their age then.
/// Audited and announced. An advisor's period is recorded with basis `age` (a rule by age and
/// conditions, not a clinician's choice) and a reason naming the advisor.
pub async fn set_from_examination(
    uow: &mut UnitOfWork,
    exam: &Examination,
    months: Option<u8>,
    advised: Option<Advised>,
) -> Result<Recall> {
    let patient = patients::store::get_active(uow.tx(), exam.patient_id).await?;
    let (months, basis, reason) = match (months, advised) {
        (Some(0) | Some(121..), _) => {
            return Err(Error::invalid_field("recall_months", "must be 1 to 120 months"));
        }
        (Some(months), _) => (months, Basis::Clinician, format!("the clinician's period: {months} months")),
        (None, Some(a)) if (1..=120).contains(&a.months) => {
            (a.months, Basis::Age, format!("{} ({})", a.reason, a.by))
        }
        (None, _) => {
            let (months, why) = default_months(age_on(patient.date_of_birth, exam.examined_on));
            (months, Basis::Age, why.to_owned())
        }
    };
    let due_on = due_after(exam.examined_on, months)?;
    let set_by = if basis == Basis::Clinician { uow.ctx().user_id } else { None };
    let set =
        Set { due_on, months: Some(i16::from(months)), basis, reason, examination_id: Some(exam.id), set_by };
    write(uow, exam.patient_id, set).await
}

/// Sets the patient's recall to a date chosen by hand (today or later), with the reason.
pub async fn set_date(
    uow: &mut UnitOfWork,
    patient: PatientId,
    due_on: Date,
    reason: &str,
) -> Result<Recall> {
    patients::store::get_active(uow.tx(), patient).await?;
    if due_on < ils_clinical::today() {
        return Err(Error::invalid_field("due_on", "must be today or later"));
    }
    let reason = reason.trim();
    if reason.chars().count() > 500 {
        return Err(Error::invalid_field("reason", "must be at most 500 characters"));
    }
    let set_by = uow.ctx().user_id;
    let set = Set {
        due_on,
        months: None,
        basis: Basis::Date,
        reason: reason.to_owned(),
        examination_id: None,
        set_by,
    };
    write(uow, patient, set).await
}

struct Set {
    due_on: Date,
    months: Option<i16>,
    basis: Basis,
    reason: String,
    examination_id: Option<ExaminationId>,
    set_by: Option<UserId>,
}

async fn write(uow: &mut UnitOfWork, patient: PatientId, set: Set) -> Result<Recall> {
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let due_on = set.due_on.to_string();
    execute!(
        tx.conn(),
        "INSERT INTO recalls (tenant_id, patient_id, due_on, months, basis, reason, examination_id, set_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, patient_id) DO UPDATE SET due_on = excluded.due_on, months = excluded.months,
            basis = excluded.basis, reason = excluded.reason, examination_id = excluded.examination_id,
            set_by = excluded.set_by, updated_at = excluded.updated_at",
        tenant,
        patient,
        due_on.clone(),
        set.months,
        set.basis,
        set.reason.clone(),
        set.examination_id,
        set.set_by,
        Timestamp::now()
    )?;
    let event = Event::new("recall.set", "patient", patient)
        .changes(serde_json::json!({ "due_on": due_on, "basis": set.basis, "months": set.months }));
    uow.audit(event).await?;
    uow.emit(&RecallSet { patient_id: patient, due_on, basis: set.basis }).await?;
    held_for(uow.tx(), patient).await?.ok_or(Error::NotFound("recall"))
}

/// The patient's recall, if one is set, audited as a read of their record
/// (`patient.recall_read`).
pub async fn read(uow: &mut UnitOfWork, patient: PatientId) -> Result<Option<Recall>> {
    patients::store::get_readable(uow.tx(), patient).await?;
    let recall = held_for(uow.tx(), patient).await?;
    uow.audit(Event::new("patient.recall_read", "patient", patient)).await?;
    Ok(recall)
}

/// The patient's recall with its notices, unaudited: for a caller that audits the whole (the
/// subject-access export) or has just written it.
pub async fn held_for(tx: &mut TenantTx, patient: PatientId) -> Result<Option<Recall>> {
    let tenant = tx.tenant_id();
    let row: Option<Row> = query!(
        tx,
        query_as,
        fetch_optional,
        "SELECT patient_id, due_on, months, basis, reason, examination_id, set_by, updated_at
         FROM recalls WHERE tenant_id = $1 AND patient_id = $2",
        tenant,
        patient
    )?;
    let Some(row) = row else { return Ok(None) };
    let notices = notices(tx, patient).await?;
    Ok(Some(Recall {
        patient_id: row.patient_id,
        due_on: date(&row.due_on)?,
        months: row.months,
        basis: row.basis,
        reason: row.reason,
        examination_id: row.examination_id,
        set_by: row.set_by,
        updated_at: row.updated_at,
        notices,
    }))
}

async fn notices(tx: &mut TenantTx, patient: PatientId) -> Result<Vec<RecallNotice>> {
    let tenant = tx.tenant_id();
    Ok(query!(
        tx,
        query_as,
        fetch_all,
        "SELECT id, due_on, stage, channel, outcome, created_at FROM recall_notices
         WHERE tenant_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id DESC",
        tenant,
        patient
    )?)
}

/// Removes a patient's recall and notices (erasure at the end of the record's retention);
/// answers how many rows went.
pub async fn remove_for_patient(tx: &mut TenantTx, patient: PatientId) -> Result<u64> {
    let tenant = tx.tenant_id();
    let notices = execute!(
        tx.conn(),
        "DELETE FROM recall_notices WHERE tenant_id = $1 AND patient_id = $2",
        tenant,
        patient
    )?;
    let recalls =
        execute!(tx.conn(), "DELETE FROM recalls WHERE tenant_id = $1 AND patient_id = $2", tenant, patient)?;
    Ok(notices + recalls)
}

/// A patient on the practice's due list.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DueEntry {
    /// The patient.
    pub patient_id: PatientId,
    /// Their first name.
    pub first_name: String,
    /// Their last name.
    pub last_name: String,
    /// Their telephone, to ring them.
    pub phone: Option<String>,
    /// When their sight test is due (YYYY-MM-DD).
    pub due_on: String,
    /// How the date was chosen.
    pub basis: Basis,
    /// The latest notice for this due date, if any: its stage.
    pub last_stage: Option<Stage>,
    /// … its outcome (`to_post`: a letter to print).
    pub last_outcome: Option<Outcome>,
    /// … and when.
    pub last_notice_at: Option<Timestamp>,
    /// Their next live appointment, if they have booked (UTC).
    pub booked_for: Option<Timestamp>,
}

/// The patients due by `through` (inclusive), earliest first, at most 1,000; with what was sent
/// and whether they have booked. Names patients, so it is audited (`recalls.read`, with their ids).
pub async fn due_list(uow: &mut UnitOfWork, through: Date) -> Result<Vec<DueEntry>> {
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let sql = "SELECT r.patient_id, p.first_name, p.last_name, p.phone, r.due_on, r.basis,
            n.stage AS last_stage, n.outcome AS last_outcome, n.created_at AS last_notice_at,
            (SELECT min(a.starts_at) FROM appointments a WHERE a.tenant_id = r.tenant_id AND a.patient_id = r.patient_id
               AND a.status IN ('booked', 'arrived') AND a.starts_at > $3) AS booked_for
        FROM recalls r
        JOIN patients p ON p.tenant_id = r.tenant_id AND p.id = r.patient_id
        LEFT JOIN recall_notices n ON n.tenant_id = r.tenant_id AND n.id = (
            SELECT m.id FROM recall_notices m WHERE m.tenant_id = r.tenant_id AND m.patient_id = r.patient_id
              AND m.due_on = r.due_on ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
        WHERE r.tenant_id = $1 AND r.due_on <= $2 AND p.deleted_at IS NULL AND p.restricted_on IS NULL
        ORDER BY r.due_on, p.last_name, p.first_name, r.patient_id
        LIMIT 1000";
    let entries: Vec<DueEntry> =
        query!(tx, query_as, fetch_all, sql, tenant, through.to_string(), Timestamp::now())?;
    let patients: Vec<PatientId> = entries.iter().map(|e| e.patient_id).collect();
    let event = Event::new("recalls.read", "tenant", tenant)
        .changes(serde_json::json!({ "through": through.to_string(), "patient_ids": patients }));
    uow.audit(event).await?;
    Ok(entries)
}

/// A recall a sweep may have a notice to send for.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Candidate {
    /// The patient.
    pub patient_id: PatientId,
    /// Their first name.
    pub first_name: String,
    /// Their last name.
    pub last_name: String,
    /// Their e-mail address.
    pub email: Option<String>,
    /// Their telephone.
    pub phone: Option<String>,
    /// Their postal address.
    pub address: Option<String>,
    /// The due date (YYYY-MM-DD).
    pub due_on: String,
    /// The latest stage already recorded for that due date, if any.
    pub latest_stage: Option<Stage>,
}

impl Candidate {
    /// The due date.
    pub fn due(&self) -> Result<Date> {
        date(&self.due_on)
    }
}

/// Recalls due by `through`, after `after` (a patient id, for the next page), of patients whose
/// records are live, who have no appointment booked from `now` on and whose final notice has not
/// gone: at most `limit`.
pub async fn candidates(
    tx: &mut TenantTx,
    through: Date,
    now: Timestamp,
    after: Option<PatientId>,
    limit: i64,
) -> Result<Vec<Candidate>> {
    let tenant = tx.tenant_id();
    let sql = "SELECT r.patient_id, p.first_name, p.last_name, p.email, p.phone, p.address, r.due_on,
            (SELECT n.stage FROM recall_notices n
             WHERE n.tenant_id = r.tenant_id AND n.patient_id = r.patient_id AND n.due_on = r.due_on
             ORDER BY CASE n.stage WHEN 'due' THEN 1 WHEN 'first_reminder' THEN 2 ELSE 3 END DESC
             LIMIT 1) AS latest_stage
        FROM recalls r
        JOIN patients p ON p.tenant_id = r.tenant_id AND p.id = r.patient_id
        WHERE r.tenant_id = $1 AND r.due_on <= $2 AND ($4 IS NULL OR r.patient_id > $4)
          AND p.deleted_at IS NULL AND p.restricted_on IS NULL
          AND NOT EXISTS (SELECT 1 FROM recall_notices n WHERE n.tenant_id = r.tenant_id AND n.patient_id = r.patient_id
                AND n.due_on = r.due_on AND n.stage = 'final')
          AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.tenant_id = r.tenant_id AND a.patient_id = r.patient_id
                AND a.status IN ('booked', 'arrived') AND a.starts_at > $3)
        ORDER BY r.patient_id
        LIMIT $5";
    Ok(query!(tx, query_as, fetch_all, sql, tenant, through.to_string(), now, after, limit)?)
}

/// Records a notice, once per patient, due date and stage: `None` when it was recorded already
/// (by an earlier or a concurrent sweep), and then nothing is to be sent. Audited on the patient
/// and announced as `recall.due`.
pub async fn record_notice(
    uow: &mut UnitOfWork,
    candidate: &Candidate,
    stage: Stage,
    channel: Channel,
    outcome: Outcome,
) -> Result<Option<RecallNotice>> {
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let id = RecallNoticeId::new();
    let now = Timestamp::now();
    let made = execute!(
        tx.conn(),
        "INSERT INTO recall_notices (tenant_id, id, patient_id, due_on, stage, channel, outcome, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (tenant_id, patient_id, due_on, stage) DO NOTHING",
        tenant,
        id,
        candidate.patient_id,
        candidate.due_on.clone(),
        stage,
        channel,
        outcome,
        now
    )?;
    if made == 0 {
        return Ok(None);
    }
    let event = Event::new("recall.notice_recorded", "patient", candidate.patient_id).changes(serde_json::json!({
        "notice_id": id, "due_on": candidate.due_on, "stage": stage, "channel": channel, "outcome": outcome,
    }));
    uow.audit(event).await?;
    uow.emit(&RecallDue {
        notice_id: id,
        patient_id: candidate.patient_id,
        due_on: candidate.due_on.clone(),
        stage,
        channel,
        outcome,
    })
    .await?;
    let notice =
        RecallNotice { id, due_on: candidate.due_on.clone(), stage, channel, outcome, created_at: now };
    Ok(Some(notice))
}
