//! `send_sms`: one text message to a patient through the tenant's SMS provider plugin
//! (docs/adr/046-sms.md), queued in the transaction that records the recall notice or reminder
//! it belongs to, so it exists exactly when that record does. A job may run more than once (a
//! retry, a process that stopped mid-run): every attempt carries the same reference, which the
//! provider gives its gateway as the idempotency key, so the patient gets one message.

use riverqueue::{BoxError, Job, JobArgs, JobCancelError, WorkContext, WorkOutcome, Workers};
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use ils_kernel::error::Result;
use ils_plugin_host::sms::{Sent, SmsMessage};
use ils_storage::ids::TenantId;

/// Send one text message.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "send_sms")]
pub struct SendSms {
    /// The practice.
    pub tenant_id: TenantId,
    /// The number, E.164.
    pub to: String,
    /// The words.
    pub body: String,
    /// The notice or reminder it belongs to (`recall-{id}`, `reminder-{id}`): the same on every
    /// attempt.
    pub reference: String,
}

/// Adds the worker.
pub(crate) fn register(workers: &mut Workers, state: &AppState) -> Result<()> {
    let state = state.clone();
    workers
        .add_fn(move |_: WorkContext, job: Job<SendSms>| {
            let state = state.clone();
            async move { work(&state, job.args).await }
        })
        .map_err(super::queue_error)?;
    Ok(())
}

/// Hands the message to the provider: done when it is sent; cancelled (not retried) when the
/// gateway refused it or the practice no longer has a provider; an error, retried with backoff,
/// when the provider could not take it now.
pub async fn work(state: &AppState, job: SendSms) -> std::result::Result<WorkOutcome, BoxError> {
    let tenant = job.tenant_id;
    let reference = job.reference.clone();
    let message = SmsMessage { to: job.to, body: job.body, reference: job.reference };
    match state.texts.send(tenant, message).await? {
        Sent::Sent { plugin, id } => {
            tracing::info!(%tenant, %reference, %plugin, gateway_id = %id, "text message sent");
            Ok(WorkOutcome::Complete)
        }
        Sent::Refused(why) => {
            tracing::warn!(%tenant, %reference, %why, "text message refused by the gateway");
            Err(JobCancelError::new(format!("refused by the gateway: {why}")).into())
        }
        Sent::NoProvider => {
            tracing::warn!(%tenant, %reference, "text message not sent: no SMS provider is enabled any more");
            Err(JobCancelError::new("no SMS provider is enabled").into())
        }
        Sent::Later(why) => Err(why.into()),
    }
}
