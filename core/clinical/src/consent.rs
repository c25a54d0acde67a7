//! A patient's consents: to marketing, and how they want to be reminded of their next test (the
//! recall channel). Every change is kept — who recorded it, when, the words the patient agreed to
//! and how they gave them — and the newest of each kind is the patient's current choice.

use ils_kernel::audit::Event;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{ConsentId, PatientId, UserId};
use ils_storage::text_enum;
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, on_conn};
use serde::Serialize;

use crate::patients;

text_enum! {
    /// What a consent is about.
    pub enum ConsentKind {
        /// Offers and news from the practice.
        Marketing = "marketing",
        /// How recall reminders (the next sight test) reach the patient.
        RecallChannel = "recall_channel",
    }
}

text_enum! {
    /// The patient's choice: `granted`/`withdrawn` for marketing; `email`, `sms`, `post` or `none`
    /// for the recall channel.
    pub enum ConsentChoice {
        /// Marketing: agreed.
        Granted = "granted",
        /// Marketing: refused or withdrawn.
        Withdrawn = "withdrawn",
        /// Recall by e-mail.
        Email = "email",
        /// Recall by text message.
        Sms = "sms",
        /// Recall by letter.
        Post = "post",
        /// No recall reminders.
        None = "none",
    }
}

text_enum! {
    /// How the patient gave their choice.
    pub enum ConsentSource {
        /// In person, at the practice.
        InPerson = "in_person",
        /// On the telephone.
        Phone = "phone",
        /// On a signed paper form.
        PaperForm = "paper_form",
        /// By e-mail.
        Email = "email",
        /// Online (a web form, a booking site).
        Online = "online",
    }
}

impl ConsentChoice {
    /// Whether this choice answers a consent of `kind`.
    pub fn fits(self, kind: ConsentKind) -> bool {
        match kind {
            ConsentKind::Marketing => matches!(self, Self::Granted | Self::Withdrawn),
            ConsentKind::RecallChannel => matches!(self, Self::Email | Self::Sms | Self::Post | Self::None),
        }
    }
}

/// One recorded choice.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consent {
    /// The record's id.
    pub id: ConsentId,
    /// The patient.
    pub patient_id: PatientId,
    /// What it is about.
    pub kind: ConsentKind,
    /// What the patient chose.
    pub choice: ConsentChoice,
    /// The words the patient was shown or told, or where they are (a form's name and version).
    pub wording: String,
    /// How the choice was given.
    pub source: ConsentSource,
    /// The member of staff who recorded it (none for an integration).
    pub recorded_by: Option<UserId>,
    /// When it was recorded (UTC).
    pub recorded_at: Timestamp,
}

/// A patient's consents: the current choice of each kind (none until one is recorded) and every
/// change, newest first.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consents {
    /// The current marketing consent.
    pub marketing: Option<Consent>,
    /// The current recall channel.
    pub recall_channel: Option<Consent>,
    /// Every recorded change, newest first.
    pub history: Vec<Consent>,
}

impl Consents {
    /// The current choices read from a history (newest first).
    pub fn of(history: Vec<Consent>) -> Self {
        let latest = |kind| history.iter().find(|c| c.kind == kind).cloned();
        Self {
            marketing: latest(ConsentKind::Marketing),
            recall_channel: latest(ConsentKind::RecallChannel),
            history,
        }
    }
}

/// A choice to record.
#[derive(Clone, Debug)]
pub struct RecordConsent {
    /// The patient, who must be of the unit's tenant and not deleted or restricted.
    pub patient_id: PatientId,
    /// What it is about.
    pub kind: ConsentKind,
    /// The choice, which must fit the kind.
    pub choice: ConsentChoice,
    /// The wording (1–2,000 characters).
    pub wording: String,
    /// How it was given.
    pub source: ConsentSource,
}

/// Records a change of consent: `consent.recorded` in the patient's audit trail.
pub async fn record(uow: &mut UnitOfWork, cmd: RecordConsent) -> Result<Consent> {
    if !cmd.choice.fits(cmd.kind) {
        let allowed: Vec<&str> =
            ConsentChoice::ALL.iter().filter(|c| c.fits(cmd.kind)).map(|c| c.as_str()).collect();
        return Err(Error::invalid_field(
            "choice",
            format!("for {} must be one of: {}", cmd.kind, allowed.join(", ")),
        ));
    }
    let wording = ils_kernel::input::required_text("wording", &cmd.wording, 2000)?;
    patients::get_active(uow.tx(), cmd.patient_id).await?;
    let consent = Consent {
        id: ConsentId::new(),
        patient_id: cmd.patient_id,
        kind: cmd.kind,
        choice: cmd.choice,
        wording,
        source: cmd.source,
        recorded_by: uow.ctx().user_id,
        recorded_at: Timestamp::now(),
    };
    insert(uow.tx(), &consent).await?;
    let event = Event::new("consent.recorded", "patient", consent.patient_id).changes(serde_json::json!({
        "consent_id": consent.id, "kind": consent.kind, "choice": consent.choice,
        "source": consent.source, "wording": consent.wording,
    }));
    uow.audit(event).await?;
    Ok(consent)
}

/// A patient's consents, the read audited (`consent.read`). Another tenant's patient is not
/// found; a restricted record is refused.
pub async fn read(uow: &mut UnitOfWork, patient_id: PatientId) -> Result<Consents> {
    patients::get_readable(uow.tx(), patient_id).await?;
    let history = for_patient(uow.tx(), patient_id).await?;
    uow.audit(Event::new("consent.read", "patient", patient_id)).await?;
    Ok(Consents::of(history))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: ConsentId,
    patient_id: PatientId,
    kind: ConsentKind,
    choice: ConsentChoice,
    wording: String,
    source: ConsentSource,
    recorded_by: Option<UserId>,
    recorded_at: Timestamp,
}

impl From<Row> for Consent {
    fn from(r: Row) -> Self {
        Consent {
            id: r.id,
            patient_id: r.patient_id,
            kind: r.kind,
            choice: r.choice,
            wording: r.wording,
            source: r.source,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
        }
    }
}

async fn insert(tx: &mut TenantTx, c: &Consent) -> Result<()> {
    const SQL: &str = "INSERT INTO patient_consents
        (tenant_id, id, patient_id, kind, choice, wording, source, recorded_by, recorded_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        SQL,
        tenant,
        c.id,
        c.patient_id,
        c.kind,
        c.choice,
        &c.wording,
        c.source,
        c.recorded_by,
        c.recorded_at
    )?;
    Ok(())
}

/// Every recorded consent of a patient, newest first (no audit: for the services that audit).
pub async fn for_patient(tx: &mut TenantTx, patient_id: PatientId) -> Result<Vec<Consent>> {
    const SQL: &str = "SELECT id, patient_id, kind, choice, wording, source, recorded_by, recorded_at
        FROM patient_consents WHERE tenant_id = $1 AND patient_id = $2 ORDER BY id DESC";
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(tenant)
        .bind(patient_id)
        .fetch_all(&mut **c)
        .await)?;
    Ok(rows.into_iter().map(Consent::from).collect())
}

/// The patient's current choice of `kind`: the newest record of it, if any.
pub async fn current(tx: &mut TenantTx, patient_id: PatientId, kind: ConsentKind) -> Result<Option<Consent>> {
    const SQL: &str = "SELECT id, patient_id, kind, choice, wording, source, recorded_by, recorded_at
        FROM patient_consents WHERE tenant_id = $1 AND patient_id = $2 AND kind = $3 ORDER BY id DESC LIMIT 1";
    let tenant = tx.tenant_id();
    let row: Option<Row> = on_conn!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(tenant)
        .bind(patient_id)
        .bind(kind.as_str())
        .fetch_optional(&mut **c)
        .await)?;
    Ok(row.map(Consent::from))
}

/// Removes a patient's consent records (erasure); how many there were.
pub async fn remove_for_patient(tx: &mut TenantTx, patient_id: PatientId) -> Result<u64> {
    let tenant = tx.tenant_id();
    let sql = "DELETE FROM patient_consents WHERE tenant_id = $1 AND patient_id = $2";
    Ok(execute!(tx.conn(), sql, tenant, patient_id)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_takes_its_own_choices() {
        assert!(ConsentChoice::Granted.fits(ConsentKind::Marketing));
        assert!(!ConsentChoice::Sms.fits(ConsentKind::Marketing));
        assert!(ConsentChoice::None.fits(ConsentKind::RecallChannel));
        assert!(!ConsentChoice::Withdrawn.fits(ConsentKind::RecallChannel));
    }
}
