//! The recall sweep (docs/adr/044-recalls.md): for every practice, each patient whose recall has
//! reached a stage gets that stage's notice once — an e-mail queued in the same transaction that
//! records it, a letter listed for the practice to post, or a note of why nothing could go. A
//! patient who chose no recalls, or who has booked, gets nothing. Each patient is one
//! transaction, and a notice's unique key (patient, due date, stage) makes a second sweep, or one
//! run again after a restart cut it off, a no-op for what went.

use jiff::civil::Date;
use riverqueue::{BoxError, Job, JobArgs, WorkContext, WorkOutcome, Workers};
use serde::{Deserialize, Serialize};

use super::reminders::Recipient;
use crate::state::AppState;
use ils_clinical::consent::{self, ConsentChoice, ConsentKind};
use ils_diary::messages::{MessageKind, Values};
use ils_diary::phone::e164;
use ils_diary::recalls::{self, Candidate, Channel, Outcome, Plan, Stage};
use ils_kernel::TenantCtx;
use ils_kernel::error::Result;
use ils_outbox::UnitOfWork;
use ils_storage::ids::{PatientId, TenantId};
use ils_storage::on_conn;
use ils_storage::types::Timestamp;

/// Send the recall notices that are due.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "recall_sweep")]
pub struct RecallSweep {}

/// Adds the worker.
pub(crate) fn register(workers: &mut Workers, state: &AppState) -> Result<()> {
    let state = state.clone();
    workers
        .add_fn(move |_: WorkContext, _: Job<RecallSweep>| {
            let state = state.clone();
            async move {
                sweep(&state, ils_clinical::today()).await?;
                Ok::<_, BoxError>(WorkOutcome::Complete)
            }
        })
        .map_err(super::queue_error)?;
    Ok(())
}

/// What a sweep did, over every practice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// E-mails queued.
    pub emailed: u32,
    /// Text messages queued.
    pub texted: u32,
    /// Letters listed for the practice to post.
    pub to_post: u32,
    /// Notices recorded as not sent (no address or number, no SMS provider).
    pub not_sent: u32,
}

const PAGE: i64 = 200;

/// Records and sends every notice due on `today`.
pub async fn sweep(state: &AppState, today: Date) -> Result<Swept> {
    let plan = Plan::default();
    let through = plan.horizon(today);
    let mut swept = Swept::default();
    for tenant in tenants(state, through).await? {
        let mut after = None;
        loop {
            let mut tx = state.db.tenant_read(tenant).await?;
            let page = recalls::candidates(&mut tx, through, Timestamp::now(), after, PAGE).await?;
            tx.commit().await?;
            let sms = state.texts.available(tenant).await?;
            for candidate in &page {
                notify(state, tenant, sms, &plan, today, candidate, &mut swept).await?;
            }
            match page.last() {
                Some(last) if page.len() as i64 == PAGE => after = Some(last.patient_id),
                _ => break,
            }
        }
    }
    if swept != Swept::default() {
        tracing::info!(?swept, %today, "recall sweep");
    }
    Ok(swept)
}

/// The practices with a recall due by `through`.
async fn tenants(state: &AppState, through: Date) -> Result<Vec<TenantId>> {
    let mut tx = state.db.system_read().await?;
    let ids: Vec<(TenantId,)> = on_conn!(tx.conn(), c => sqlx::query_as(
        "SELECT DISTINCT tenant_id FROM recalls WHERE due_on <= $1 ORDER BY tenant_id")
        .bind(through.to_string())
        .fetch_all(&mut **c)
        .await)?;
    tx.commit().await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// One patient's notice, if a stage is due and not yet sent: recorded, and its e-mail or text
/// queued, in one transaction. `sms`: the practice has an SMS provider.
async fn notify(
    state: &AppState,
    tenant: TenantId,
    sms: bool,
    plan: &Plan,
    today: Date,
    candidate: &Candidate,
    swept: &mut Swept,
) -> Result<()> {
    let Some(stage) = plan.stage_on(candidate.due()?, today) else { return Ok(()) };
    if !recalls::still_to_send(stage, candidate.latest_stage.as_slice()) {
        return Ok(());
    }
    let mut uow = UnitOfWork::begin(&state.db, &TenantCtx::system(tenant)).await?;
    let tx = uow.tx();
    let Some(channel) = channel(tx, candidate.patient_id, candidate).await? else {
        return Ok(()); // The patient chose no recalls.
    };
    let number = candidate.phone.as_deref().and_then(e164);
    let outcome = match channel {
        // Without an SMTP server nothing is recorded: the notice goes once one is configured.
        Channel::Email if candidate.email.is_some() && state.mailer.is_none() => return Ok(()),
        Channel::Email if candidate.email.is_some() => Outcome::Queued,
        Channel::Post if candidate.address.is_some() => Outcome::ToPost,
        // Text messages go through the practice's SMS provider plugin (the `sms` extension
        // point); without one the notice is recorded as not sent.
        Channel::Sms if number.is_some() && sms => Outcome::Queued,
        Channel::Sms if number.is_some() => Outcome::NoSmsProvider,
        _ => Outcome::NoAddress,
    };
    let Some(notice) = recalls::record_notice(&mut uow, candidate, stage, channel, outcome).await? else {
        return Ok(()); // Another sweep recorded it first.
    };
    match (outcome, channel) {
        (Outcome::Queued, Channel::Sms) => {
            let values = values(uow.tx(), candidate).await?;
            let to = Recipient::Sms {
                number: number.unwrap_or_default(),
                reference: format!("recall-{}", notice.id),
            };
            super::reminders::send(&mut uow, state, to, message_of(stage), &values).await?;
            swept.texted += 1;
        }
        (Outcome::Queued, _) => {
            let values = values(uow.tx(), candidate).await?;
            let to = Recipient::Email(candidate.email.clone().unwrap_or_default());
            super::reminders::send(&mut uow, state, to, message_of(stage), &values).await?;
            swept.emailed += 1;
        }
        (Outcome::ToPost, _) => swept.to_post += 1,
        (Outcome::NoAddress | Outcome::NoSmsProvider, _) => swept.not_sent += 1,
    }
    uow.commit().await?;
    Ok(())
}

/// The channel the patient chose; with no choice recorded, e-mail when the record has an
/// address, else a letter. `None`: they chose no recalls.
async fn channel(
    tx: &mut ils_storage::TenantTx,
    patient: PatientId,
    candidate: &Candidate,
) -> Result<Option<Channel>> {
    let chosen = consent::current(tx, patient, ConsentKind::RecallChannel).await?.map(|c| c.choice);
    Ok(match chosen {
        Some(ConsentChoice::None) => None,
        Some(ConsentChoice::Email) => Some(Channel::Email),
        Some(ConsentChoice::Sms) => Some(Channel::Sms),
        Some(ConsentChoice::Post) => Some(Channel::Post),
        _ if candidate.email.is_some() => Some(Channel::Email),
        _ => Some(Channel::Post),
    })
}

/// The message of a stage.
fn message_of(stage: Stage) -> MessageKind {
    match stage {
        Stage::Due => MessageKind::RecallDue,
        Stage::FirstReminder => MessageKind::RecallFirstReminder,
        Stage::Final => MessageKind::RecallFinal,
    }
}

/// The values of a recall message's placeholders.
async fn values(tx: &mut ils_storage::TenantTx, candidate: &Candidate) -> Result<Values> {
    let mut values =
        super::reminders::patient_values(tx, &candidate.first_name, &candidate.last_name).await?;
    values.set("due_date", candidate.due()?.strftime("%-d %B %Y").to_string());
    Ok(values)
}
