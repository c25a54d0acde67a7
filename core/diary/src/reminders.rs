//! Reminders (docs/adr/045-reminders.md): an appointment's reminder the day before it, and "your
//! glasses are ready" when the practice receives an order back. Each is recorded once — per
//! appointment, per order; the table's unique keys say so — with the channel it went by. They
//! are service messages: they go by e-mail, or by text message when the patient chose that, and
//! not at all when the patient chose no reminders (`recall_channel` = `none`).

use serde::Serialize;

use ils_clinical::consent::ConsentChoice;
use ils_kernel::Result;
use ils_kernel::audit::Event;
use ils_outbox::UnitOfWork;
use ils_storage::ids::{AppointmentId, OrderId, PatientId, ReminderId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query};

pub use crate::events::ReminderKind;
use crate::events::ReminderSent;
use crate::recalls::plan::{Channel, Outcome};

/// How long before an appointment its reminder goes.
pub const APPOINTMENT_LEAD: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The channel a service message goes by, from the patient's choice (`None`: they chose no
/// reminders, or the record has no address for any channel). A letter would arrive too late, so
/// a patient who chose post gets an e-mail when the record has an address.
pub fn channel_for(choice: Option<ConsentChoice>, email: bool, phone: bool) -> Option<Channel> {
    match choice {
        Some(ConsentChoice::None) => None,
        Some(ConsentChoice::Sms) if phone => Some(Channel::Sms),
        _ if email => Some(Channel::Email),
        _ => None,
    }
}

/// A reminder recorded for a patient.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reminder {
    /// The reminder.
    pub id: ReminderId,
    /// What about.
    pub kind: ReminderKind,
    /// The appointment, for an appointment's reminder.
    pub appointment_id: Option<AppointmentId>,
    /// The order, for glasses ready.
    pub order_id: Option<OrderId>,
    /// By which channel.
    pub channel: Channel,
    /// What became of it.
    pub outcome: Outcome,
    /// When.
    pub created_at: Timestamp,
}

/// An appointment whose reminder is due.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AppointmentDue {
    /// The appointment.
    pub appointment_id: AppointmentId,
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
    /// When it starts.
    pub starts_at: Timestamp,
    /// The type's name.
    pub type_name: String,
    /// The clinician's name.
    pub clinician_name: String,
}

/// Booked appointments starting after `now` and by `until` that have had no reminder, of
/// patients whose records are live: at most `limit`, soonest first.
pub async fn appointments_due(
    tx: &mut TenantTx,
    now: Timestamp,
    until: Timestamp,
    limit: i64,
) -> Result<Vec<AppointmentDue>> {
    let tenant = tx.tenant_id();
    let sql = "SELECT a.id AS appointment_id, a.patient_id, p.first_name, p.last_name, p.email, p.phone, a.starts_at,
            t.name AS type_name, c.name AS clinician_name
        FROM appointments a
        JOIN patients p ON p.tenant_id = a.tenant_id AND p.id = a.patient_id
        JOIN appointment_types t ON t.tenant_id = a.tenant_id AND t.id = a.type_id
        JOIN clinicians c ON c.tenant_id = a.tenant_id AND c.id = a.clinician_id
        WHERE a.tenant_id = $1 AND a.status = 'booked' AND a.starts_at > $2 AND a.starts_at <= $3
          AND p.deleted_at IS NULL AND p.restricted_on IS NULL
          AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.tenant_id = a.tenant_id AND r.appointment_id = a.id)
        ORDER BY a.starts_at, a.id
        LIMIT $4";
    Ok(query!(tx, query_as, fetch_all, sql, tenant, now, until, limit)?)
}

/// What a reminder is about, for [`record`].
#[derive(Clone, Copy, Debug)]
pub enum About {
    /// An appointment.
    Appointment(AppointmentId),
    /// An order received back.
    OrderReady(OrderId),
}

/// Records a reminder, once per appointment or order: `None` when it was recorded already (by
/// an earlier or a concurrent run), and then nothing is to be sent. Audited on the patient and
/// announced as `reminder.sent`.
pub async fn record(
    uow: &mut UnitOfWork,
    patient: PatientId,
    about: About,
    channel: Channel,
    outcome: Outcome,
) -> Result<Option<Reminder>> {
    let (kind, appointment_id, order_id) = match about {
        About::Appointment(id) => (ReminderKind::Appointment, Some(id), None),
        About::OrderReady(id) => (ReminderKind::OrderReady, None, Some(id)),
    };
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let id = ReminderId::new();
    let now = Timestamp::now();
    let made = execute!(
        tx.conn(),
        "INSERT INTO reminders (tenant_id, id, patient_id, kind, appointment_id, order_id, channel, outcome, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT DO NOTHING",
        tenant,
        id,
        patient,
        kind,
        appointment_id,
        order_id,
        channel,
        outcome,
        now
    )?;
    if made == 0 {
        return Ok(None);
    }
    let event = Event::new("reminder.recorded", "patient", patient).changes(serde_json::json!({
        "reminder_id": id, "kind": kind, "appointment_id": appointment_id, "order_id": order_id,
        "channel": channel, "outcome": outcome,
    }));
    uow.audit(event).await?;
    uow.emit(&ReminderSent {
        reminder_id: id,
        patient_id: patient,
        kind,
        appointment_id,
        order_id,
        channel,
        outcome,
    })
    .await?;
    Ok(Some(Reminder { id, kind, appointment_id, order_id, channel, outcome, created_at: now }))
}

/// Every reminder of a patient, newest first, unaudited: for a caller that audits the whole (the
/// subject-access export).
pub async fn held_for(tx: &mut TenantTx, patient: PatientId) -> Result<Vec<Reminder>> {
    let tenant = tx.tenant_id();
    Ok(query!(
        tx,
        query_as,
        fetch_all,
        "SELECT id, kind, appointment_id, order_id, channel, outcome, created_at FROM reminders
         WHERE tenant_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id DESC",
        tenant,
        patient
    )?)
}

/// Removes a patient's reminders (erasure at the end of the record's retention, before their
/// appointments); answers how many.
pub async fn remove_for_patient(tx: &mut TenantTx, patient: PatientId) -> Result<u64> {
    let tenant = tx.tenant_id();
    Ok(execute!(
        tx.conn(),
        "DELETE FROM reminders WHERE tenant_id = $1 AND patient_id = $2",
        tenant,
        patient
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_go_by_e_mail_or_text_and_never_to_who_chose_none() {
        assert_eq!(channel_for(None, true, true), Some(Channel::Email));
        assert_eq!(channel_for(Some(ConsentChoice::Sms), true, true), Some(Channel::Sms));
        assert_eq!(
            channel_for(Some(ConsentChoice::Sms), true, false),
            Some(Channel::Email),
            "no number: e-mail"
        );
        assert_eq!(
            channel_for(Some(ConsentChoice::Post), true, false),
            Some(Channel::Email),
            "a letter is too slow"
        );
        assert_eq!(channel_for(Some(ConsentChoice::Post), false, true), None);
        assert_eq!(channel_for(Some(ConsentChoice::None), true, true), None);
        assert_eq!(channel_for(None, false, false), None);
    }
}
