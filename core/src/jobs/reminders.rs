//! Reminders (docs/adr/045-reminders.md): the sweep that reminds patients of an appointment the
//! day before it, and the job that tells a patient their glasses are ready when the practice
//! receives the order back (queued by [`ReadyNotices`] from `order.status_changed`). Each
//! reminder is recorded once — per appointment, per order — with its e-mail queued in the same
//! transaction, so a second run, a concurrent one, or one after a restart sends nothing twice.

use riverqueue::{BoxError, Job, JobArgs, WorkContext, WorkOutcome, Workers};
use serde::{Deserialize, Serialize};

use crate::notify::{SendEmail, queue_mail, queue_with_attempts};
use crate::state::AppState;
use ils_clinical::consent::{self, ConsentKind};
use ils_diary::appointments::{local_day, local_time};
use ils_diary::messages::{self, MessageKind, Values};
use ils_diary::phone::e164;
use ils_diary::recalls::{Channel, Outcome};
use ils_diary::reminders::{self, About, AppointmentDue, channel_for};
use ils_kernel::TenantCtx;
use ils_kernel::error::Result;
use ils_orders::status::OrderStatus;
use ils_outbox::{Consumer, Envelope, UnitOfWork};
use ils_storage::ids::{OrderId, PatientId, TenantId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, on_conn};

/// Send the reminders of appointments starting within a day.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "reminder_sweep")]
pub struct ReminderSweep {}

/// Tell a patient their order is ready to collect.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "order_ready_reminder")]
pub struct OrderReady {
    /// The practice.
    pub tenant_id: TenantId,
    /// Its order, received back.
    pub order_id: OrderId,
}

/// Adds the two workers.
pub(crate) fn register(workers: &mut Workers, state: &AppState) -> Result<()> {
    let sweep = state.clone();
    workers
        .add_fn(move |_: WorkContext, _: Job<ReminderSweep>| {
            let state = sweep.clone();
            async move {
                appointment_reminders(&state, Timestamp::now()).await?;
                Ok::<_, BoxError>(WorkOutcome::Complete)
            }
        })
        .map_err(super::queue_error)?;
    let ready = state.clone();
    workers
        .add_fn(move |_: WorkContext, job: Job<OrderReady>| {
            let state = ready.clone();
            async move {
                order_ready(&state, job.args.tenant_id, job.args.order_id).await?;
                Ok::<_, BoxError>(WorkOutcome::Complete)
            }
        })
        .map_err(super::queue_error)?;
    Ok(())
}

/// Queues [`OrderReady`] when a practice receives an order back (`order.status_changed` to
/// `completed`). Registered when e-mail is configured.
#[derive(Clone, Debug)]
pub struct ReadyNotices {
    /// Attempts of each job before it becomes a dead job.
    pub delivery_attempts: u16,
}

#[async_trait::async_trait]
impl Consumer for ReadyNotices {
    async fn on_event(&self, tx: &mut TenantTx, event: &Envelope) -> Result<()> {
        if event.type_ != "order.status_changed" || event.data["to"] != OrderStatus::Completed.as_str() {
            return Ok(());
        }
        let Some(order_id) = event.data["order_id"].as_str().and_then(|id| id.parse().ok()) else {
            return Ok(());
        };
        let job = OrderReady { tenant_id: event.tenant_id, order_id };
        let (conn, jobs) = tx.with_jobs();
        queue_with_attempts(conn, jobs, job, self.delivery_attempts).await
    }
}

/// The most appointments one sweep reminds in one practice (a day's diary).
const MOST: i64 = 2000;

/// Records and sends the reminder of every booked appointment starting after `now` and within
/// [`reminders::APPOINTMENT_LEAD`]; answers how many messages (e-mails, texts) it queued.
pub async fn appointment_reminders(state: &AppState, now: Timestamp) -> Result<u32> {
    let until = now.plus(reminders::APPOINTMENT_LEAD);
    let mut queued = 0;
    for tenant in tenants_with_appointments(state, now, until).await? {
        let mut tx = state.db.tenant_read(tenant).await?;
        let due = reminders::appointments_due(&mut tx, now, until, MOST).await?;
        tx.commit().await?;
        let sms = state.texts.available(tenant).await?;
        for appointment in &due {
            queued += u32::from(remind(state, tenant, sms, appointment).await?);
        }
    }
    if queued > 0 {
        tracing::info!(queued, "appointment reminders");
    }
    Ok(queued)
}

/// The practices with an appointment booked between `now` and `until`.
async fn tenants_with_appointments(
    state: &AppState,
    now: Timestamp,
    until: Timestamp,
) -> Result<Vec<TenantId>> {
    let mut tx = state.db.system_read().await?;
    let ids: Vec<(TenantId,)> = on_conn!(tx.conn(), c => sqlx::query_as(
        "SELECT DISTINCT tenant_id FROM appointments WHERE status = 'booked' AND starts_at > $1 AND starts_at <= $2
         ORDER BY tenant_id")
        .bind(now)
        .bind(until)
        .fetch_all(&mut **c)
        .await)?;
    tx.commit().await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// Where a service message goes, once recorded.
pub(crate) enum Recipient {
    /// An e-mail address.
    Email(String),
    /// A mobile number (E.164), and the reference of the record the text belongs to.
    Sms { number: String, reference: String },
}

/// How a service message reaches a patient: its channel and outcome, and (when it is to be sent)
/// where to. Nothing goes to who chose no reminders, to who has no address for any channel
/// (or a number that is not one), or by e-mail while no SMTP server is configured (then it goes
/// once one is); a text is recorded as not sent while the practice has no SMS provider.
pub(crate) struct Route {
    pub(crate) channel: Channel,
    pub(crate) outcome: Outcome,
    email: Option<String>,
    number: Option<String>,
}

impl Route {
    /// Where the message goes once recorded as `reference` (`recall-{id}`, `reminder-{id}`).
    pub(crate) fn recipient(self, reference: String) -> Option<Recipient> {
        match (self.outcome, self.channel) {
            (Outcome::Queued, Channel::Email) => self.email.map(Recipient::Email),
            (Outcome::Queued, Channel::Sms) => self.number.map(|number| Recipient::Sms { number, reference }),
            _ => None,
        }
    }
}

async fn route(
    state: &AppState,
    tx: &mut TenantTx,
    patient: PatientId,
    email: Option<&str>,
    phone: Option<&str>,
    sms: bool,
) -> Result<Option<Route>> {
    let choice = consent::current(tx, patient, ConsentKind::RecallChannel).await?.map(|c| c.choice);
    let number = phone.and_then(e164);
    let (channel, outcome) = match channel_for(choice, email.is_some(), number.is_some()) {
        Some(Channel::Email) if state.mailer.is_some() => (Channel::Email, Outcome::Queued),
        Some(Channel::Sms) if sms => (Channel::Sms, Outcome::Queued),
        Some(Channel::Sms) => (Channel::Sms, Outcome::NoSmsProvider),
        _ => return Ok(None),
    };
    Ok(Some(Route { channel, outcome, email: email.map(str::to_owned), number }))
}

/// One appointment's reminder: recorded, and its message queued, in one transaction. Answers
/// whether a message was queued.
async fn remind(state: &AppState, tenant: TenantId, sms: bool, due: &AppointmentDue) -> Result<bool> {
    let mut uow = UnitOfWork::begin(&state.db, &TenantCtx::system(tenant)).await?;
    let Some(route) =
        route(state, uow.tx(), due.patient_id, due.email.as_deref(), due.phone.as_deref(), sms).await?
    else {
        return Ok(false);
    };
    let about = About::Appointment(due.appointment_id);
    let Some(reminder) =
        reminders::record(&mut uow, due.patient_id, about, route.channel, route.outcome).await?
    else {
        return Ok(false);
    };
    let Some(to) = route.recipient(format!("reminder-{}", reminder.id)) else {
        uow.commit().await?;
        return Ok(false);
    };
    let mut values = patient_values(uow.tx(), &due.first_name, &due.last_name).await?;
    values
        .set("appointment_day", local_day(due.starts_at).strftime("%A %-d %B").to_string())
        .set("appointment_time", local_time(due.starts_at))
        .set("appointment_type", due.type_name.to_lowercase())
        .set("clinician", due.clinician_name.clone());
    send(&mut uow, state, to, MessageKind::AppointmentReminder, &values).await?;
    uow.commit().await?;
    Ok(true)
}

/// Queues `kind`'s message to `to` in the unit's transaction, in the practice's words filled in
/// with `values`: an e-mail, or a text (the e-mail's text on one line, [`messages::Rendered::as_sms`]).
pub(crate) async fn send(
    uow: &mut UnitOfWork,
    state: &AppState,
    to: Recipient,
    kind: MessageKind,
    values: &Values,
) -> Result<()> {
    let message = messages::get(uow.tx(), kind).await?.render(values);
    let attempts = state.config.jobs.delivery_attempts;
    let tenant_id = uow.tx().tenant_id();
    let (conn, jobs) = uow.tx().with_jobs();
    match to {
        Recipient::Email(to) => {
            let mail =
                SendEmail { to, subject: message.subject, text: message.text, html: None, links: Vec::new() };
            queue_mail(conn, jobs, mail, attempts).await
        }
        Recipient::Sms { number, reference } => {
            let text = super::sms::SendSms { tenant_id, to: number, body: message.as_sms(), reference };
            queue_with_attempts(conn, jobs, text, attempts).await
        }
    }
}

/// The placeholders every message has: the patient's names, the practice's name, and how to
/// reach it ("call us on 01632 960 001", from its settings).
pub(crate) async fn patient_values(tx: &mut TenantTx, first_name: &str, last_name: &str) -> Result<Values> {
    let practice = ils_tenancy::tenants::get_own(tx).await?.name;
    let contact = match ils_tenancy::tenants::settings(tx).await?.phone {
        Some(phone) => format!("call us on {phone}"),
        None => "contact us".to_owned(),
    };
    let mut values = Values::new();
    values
        .set("first_name", first_name)
        .set("last_name", last_name)
        .set("practice", practice)
        .set("practice_contact", contact);
    Ok(values)
}

/// Tells the order's patient their glasses are ready, once: nothing for an order without a
/// patient (the lab's copy), one not received, or a patient who chose no reminders.
pub async fn order_ready(state: &AppState, tenant: TenantId, order_id: OrderId) -> Result<()> {
    let mut uow = UnitOfWork::begin(&state.db, &TenantCtx::system(tenant)).await?;
    let order = ils_orders::store::get(uow.tx(), order_id).await?;
    let Some(patient_id) = order.patient_id.filter(|_| order.status == OrderStatus::Completed) else {
        return Ok(());
    };
    let patient = ils_clinical::patients::store::get(uow.tx(), patient_id).await?;
    if patient.deleted_at.is_some() || patient.restricted_on.is_some() {
        return Ok(());
    }
    let sms = state.texts.available(tenant).await?;
    let Some(route) =
        route(state, uow.tx(), patient_id, patient.email.as_deref(), patient.phone.as_deref(), sms).await?
    else {
        return Ok(());
    };
    let about = About::OrderReady(order_id);
    let Some(reminder) = reminders::record(&mut uow, patient_id, about, route.channel, route.outcome).await?
    else {
        return Ok(());
    };
    if let Some(to) = route.recipient(format!("reminder-{}", reminder.id)) {
        let mut values = patient_values(uow.tx(), &patient.first_name, &patient.last_name).await?;
        values.set("job_number", order.number.clone());
        send(&mut uow, state, to, MessageKind::OrderReady, &values).await?;
    }
    uow.commit().await?;
    Ok(())
}
