//! E-mail notifications, sent as jobs over SMTP (lettre) with retries.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use riverqueue::{BoxError, InsertOpts, Job, JobArgs, WorkOutcome};
use serde::{Deserialize, Serialize};

use ils_kernel::error::{Error, Result};
use ils_kernel::permissions::Role;
use ils_outbox::{Consumer, DomainEvent, Envelope};
use ils_storage::TenantTx;
use ils_tenancy::events as catalog;
use ils_tenancy::users::MembershipStatus;

pub use crate::config::EmailConfig;

/// One e-mail to send.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "send_email")]
pub struct SendEmail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

/// A connected SMTP transport and the sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `config`, or none when no SMTP URL is set.
    pub fn new(config: &EmailConfig) -> Result<Option<Self>> {
        let Some(url) = config.smtp_url.as_deref().filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| Error::invalid_field("ILS_SMTP_URL", e.to_string()))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = config.from.parse().map_err(|e| Error::invalid_field("ILS_SMTP_FROM", format!("{e}")))?;
        Ok(Some(Self { transport, from }))
    }
}

/// Works one `send_email` job; an SMTP failure fails the attempt and the queue retries.
pub async fn work(
    mailer: Option<&Mailer>,
    job: Job<SendEmail>,
) -> std::result::Result<WorkOutcome, BoxError> {
    let Some(mailer) = mailer else {
        return Err(riverqueue::JobCancelError::new("no SMTP server is configured").into());
    };
    let to: Mailbox =
        job.args.to.parse().map_err(|e| riverqueue::JobCancelError::new(format!("recipient: {e}")))?;
    let message = Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(job.args.subject.clone())
        .body(job.args.text.clone())
        .map_err(|e| riverqueue::JobCancelError::new(format!("message: {e}")))?;
    mailer.transport.send(message).await?;
    Ok(WorkOutcome::Complete)
}

/// Queues the e-mails events call for: a registration tells the tenant's company admins, an
/// approval tells the person approved. Registered only when SMTP is configured.
#[derive(Clone, Debug)]
pub struct Notices {
    /// Attempts of each e-mail before it becomes a dead job.
    pub delivery_attempts: u16,
}

#[async_trait::async_trait]
impl Consumer for Notices {
    async fn on_event(&self, tx: &mut TenantTx, event: &Envelope) -> Result<()> {
        queue_mails(tx, event, self.delivery_attempts).await
    }
}

async fn queue_mails(tx: &mut TenantTx, event: &Envelope, delivery_attempts: u16) -> Result<()> {
    let tenant = ils_tenancy::tenants::get_own(tx).await?;
    let text = |key: &str| event.data[key].as_str().unwrap_or_default().to_owned();
    let mut mails = Vec::new();
    if event.type_ == catalog::UserRegistered::TYPE {
        let page = ils_kernel::page::PageRequest::parse(&ils_kernel::page::PageQuery {
            cursor: None,
            limit: Some(ils_kernel::page::MAX_LIMIT),
        })?;
        let members = ils_tenancy::users::list_members(tx, Some(MembershipStatus::Active), &page).await?;
        for admin in members.items.iter().filter(|m| m.role == Role::CompanyAdmin) {
            mails.push(SendEmail {
                to: admin.email.clone(),
                subject: format!("{} asks to join {}", text("name"), tenant.name),
                text: format!(
                    "{} <{}> registered to join {} as {}.\n\nApprove or reject the request in ILS (Users, pending).\n",
                    text("name"),
                    text("email"),
                    tenant.name,
                    text("requested_role"),
                ),
            });
        }
    } else if event.type_ == catalog::UserApproved::TYPE {
        mails.push(SendEmail {
            to: text("email"),
            subject: format!("You can now sign in to {}", tenant.name),
            text: format!(
                "Your registration with {} was approved; your role is {}.\n",
                tenant.name,
                text("role")
            ),
        });
    }
    let opts = InsertOpts::default().with_max_attempts(i32::from(delivery_attempts));
    for mail in mails {
        let (conn, jobs) = tx.with_jobs();
        ils_outbox::queue::enqueue(conn, jobs, mail, opts.clone()).await?;
    }
    Ok(())
}
