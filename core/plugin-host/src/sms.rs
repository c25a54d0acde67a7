//! What plugins do for a practice's patients (plugin interface 0.3; docs/adr/046-sms.md): text
//! messages through the tenant's SMS provider (the `sms` extension point) — the host finds the
//! provider, hands it one message with its reference, and sorts the answer: sent, refused for
//! good, or to try again — and recall periods from its recall advisor (`recall-advisor`).

use std::sync::Arc;

use ils_host_api::InvokeError;
use ils_kernel::Result;
pub use ils_records::{RecallAdvice, SmsMessage};
use ils_registry::ExtensionPoint;
use ils_storage::ids::TenantId;

use crate::runtime::{CallError, Plugins, Target};

/// What became of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// The provider sent it: its plugin and the gateway's id for it.
    Sent {
        /// The provider plugin.
        plugin: String,
        /// The gateway's id.
        id: String,
    },
    /// The gateway refused it (a bad number); sending again will not help.
    Refused(String),
    /// The tenant has no SMS provider enabled.
    NoProvider,
    /// The provider or its gateway could not take it now; try again later.
    Later(String),
}

/// The SMS providers of a process.
#[derive(Clone)]
pub struct TextMessages {
    plugins: Arc<Plugins>,
}

impl std::fmt::Debug for TextMessages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextMessages").finish_non_exhaustive()
    }
}

impl TextMessages {
    /// Text messages through `plugins`.
    pub fn new(plugins: Arc<Plugins>) -> Self {
        Self { plugins }
    }

    /// The recall period the tenant's recall advisor gives after an examination on
    /// `examined_on` of a patient born on `born_on` (both `YYYY-MM-DD`), with the advisor's name:
    /// `None` when no advisor is enabled, it has no advice, or it failed (then ILS's own default
    /// stands; a failure is logged and counts against the plugin).
    pub async fn recall_advice(
        &self,
        tenant: TenantId,
        patient_id: &str,
        born_on: Option<&str>,
        examined_on: &str,
    ) -> Result<Option<(String, RecallAdvice)>> {
        let Some(target) = self.plugins.first_providing(tenant, ExtensionPoint::RecallAdvisor).await? else {
            return Ok(None);
        };
        let name = target.manifest().name.clone();
        let (patient_id, born_on, examined_on) =
            (patient_id.to_owned(), born_on.map(str::to_owned), examined_on.to_owned());
        let answer = self
            .plugins
            .call(&target, None, |host, version, ctx| async move {
                host.advise_recall(&version, ctx, &patient_id, born_on.as_deref(), &examined_on).await
            })
            .await;
        match answer {
            Ok(advice) => Ok(advice.filter(|a| (1..=120).contains(&a.months)).map(|a| (name, a))),
            Err(CallError::Host(e)) => Err(e),
            Err(e) => {
                tracing::warn!(%tenant, advisor = %name, error = %describe(&e), "recall advisor failed; ILS's default stands");
                Ok(None)
            }
        }
    }

    /// The tenant's enabled SMS provider: the first by plugin id when there are several.
    pub async fn provider(&self, tenant: TenantId) -> Result<Option<Target>> {
        self.plugins.first_providing(tenant, ExtensionPoint::Sms).await
    }

    /// Whether the tenant has an SMS provider enabled.
    pub async fn available(&self, tenant: TenantId) -> Result<bool> {
        Ok(self.provider(tenant).await?.is_some())
    }

    /// Hands `message` to the tenant's provider.
    pub async fn send(&self, tenant: TenantId, message: SmsMessage) -> Result<Sent> {
        let Some(target) = self.provider(tenant).await? else { return Ok(Sent::NoProvider) };
        let plugin = target.manifest().id.to_string();
        let answer =
            self.plugins
                .call(&target, None, |host, version, ctx| async move {
                    host.send_sms(&version, ctx, message).await
                })
                .await;
        Ok(match answer {
            Ok(id) => Sent::Sent { plugin, id },
            Err(CallError::Failed(e @ InvokeError::Plugin { retryable: false, .. })) => {
                Sent::Refused(e.to_string())
            }
            Err(CallError::Host(e)) => return Err(e),
            Err(e) => Sent::Later(describe(&e)),
        })
    }
}

fn describe(e: &CallError) -> String {
    match e {
        CallError::Tripped { until, last_error } => format!(
            "the SMS provider is paused until {until} after failures ({})",
            last_error.as_deref().unwrap_or("no detail")
        ),
        CallError::Failed(e) => e.to_string(),
        CallError::QuotaExceeded(_) => "the SMS provider used its invocations of the month".into(),
        CallError::Host(e) => e.to_string(),
    }
}
