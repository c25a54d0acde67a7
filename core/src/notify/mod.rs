//! E-mail notifications, sent as jobs over SMTP (lettre) with retries.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use riverqueue::{BoxError, InsertOpts, Job, JobArgs, WorkOutcome};
use serde::{Deserialize, Serialize};

use ils_kernel::error::{Error, Result};
use ils_kernel::page::{MAX_LIMIT, PageQuery, PageRequest};
use ils_kernel::permissions::Role;
use ils_outbox::{Consumer, DomainEvent, Envelope};
use ils_storage::TenantTx;
use ils_storage::ids::FileId;
use ils_tenancy::events as catalog;
use ils_tenancy::users::{Member, MembershipStatus};

pub mod purchase_orders;
mod staff;

pub use crate::config::EmailConfig;
pub use staff::StaffMail;

/// One e-mail to send. Jobs queued before `html` and `links` existed read them as absent.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "send_email")]
pub struct SendEmail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// An HTML alternative: the message is sent as multipart/alternative with the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Ids of the tenant's files to link: the worker appends their download URLs
    /// (`<public URL>/api/v1/files/{id}`) to the text and the HTML.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

/// A connected SMTP transport, the sender, and the server's public address for links.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: url::Url,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `config`, or none when no SMTP URL is set; links in messages point at
    /// `public_url`.
    pub fn new(config: &EmailConfig, public_url: &url::Url) -> Result<Option<Self>> {
        let Some(url) = config.smtp_url.as_deref().filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| Error::invalid_field("ILS_SMTP_URL", e.to_string()))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = config.from.parse().map_err(|e| Error::invalid_field("ILS_SMTP_FROM", format!("{e}")))?;
        Ok(Some(Self { transport, from, public_url: public_url.clone() }))
    }

    /// A message from this installation's sender, to be addressed and filled in.
    pub(crate) fn message(&self) -> lettre::message::MessageBuilder {
        Message::builder().from(self.from.clone())
    }

    /// The transport to hand messages to.
    pub(crate) fn transport(&self) -> &AsyncSmtpTransport<Tokio1Executor> {
        &self.transport
    }

    /// The host name message ids end with: the installation's public host.
    pub(crate) fn host(&self) -> &str {
        self.public_url.host_str().unwrap_or("ils.invalid")
    }

    /// The download URL of each linked file; ids that are not file ids are dropped (the
    /// notifier checked them when it queued the message).
    fn file_urls(&self, links: &[String]) -> Vec<String> {
        let base = self.public_url.as_str().trim_end_matches('/');
        links
            .iter()
            .filter_map(|id| id.parse::<FileId>().ok())
            .map(|id| format!("{base}/api/v1/files/{id}"))
            .collect()
    }
}

/// The links' lead-in: a recipient signs in to download.
const LINKS_INTRO: &str = "Files (sign in to ILS to download):";

fn text_with_links(text: &str, urls: &[String]) -> String {
    if urls.is_empty() {
        return text.to_owned();
    }
    let mut out = format!("{}\n\n{LINKS_INTRO}\n", text.trim_end());
    for url in urls {
        out.push_str(url);
        out.push('\n');
    }
    out
}

fn html_with_links(html: &str, urls: &[String]) -> String {
    if urls.is_empty() {
        return html.to_owned();
    }
    let items: String = urls.iter().map(|u| format!("<li><a href=\"{u}\">{u}</a></li>")).collect();
    let list = format!("<p>{LINKS_INTRO}</p><ul>{items}</ul>");
    // Inside the body when the document has one; URLs are the base and a UUID, nothing to escape.
    match html.to_ascii_lowercase().rfind("</body>") {
        Some(at) => format!("{}{list}{}", &html[..at], &html[at..]),
        None => format!("{html}{list}"),
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
    let urls = mailer.file_urls(&job.args.links);
    let text = text_with_links(&job.args.text, &urls);
    let builder = Message::builder().from(mailer.from.clone()).to(to).subject(job.args.subject.clone());
    let message = match &job.args.html {
        Some(html) => {
            builder.multipart(MultiPart::alternative_plain_html(text, html_with_links(html, &urls)))
        }
        None => builder.header(ContentType::TEXT_PLAIN).body(text),
    }
    .map_err(|e| riverqueue::JobCancelError::new(format!("message: {e}")))?;
    mailer.transport.send(message).await?;
    Ok(WorkOutcome::Complete)
}

/// The tenant's active members holding one of `roles`, all of them (page after page).
async fn active_members(tx: &mut TenantTx, roles: &[Role]) -> Result<Vec<Member>> {
    let mut found = Vec::new();
    let mut cursor = None;
    loop {
        let page = PageRequest::parse(&PageQuery { cursor, limit: Some(MAX_LIMIT) })?;
        let members = ils_tenancy::users::list_members(tx, Some(MembershipStatus::Active), &page).await?;
        found.extend(members.items.into_iter().filter(|m| roles.contains(&m.role)));
        match members.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(found),
        }
    }
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
        for admin in active_members(tx, &[Role::CompanyAdmin]).await? {
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
                html: None,
                links: Vec::new(),
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
            html: None,
            links: Vec::new(),
        });
    }
    for mail in mails {
        let (conn, jobs) = tx.with_jobs();
        queue_mail(conn, jobs, mail, delivery_attempts).await?;
    }
    Ok(())
}

/// Queues `mail` in the caller's transaction (`conn`), tried `delivery_attempts` times before it
/// becomes a dead job: sent only if that transaction commits.
pub async fn queue_mail(
    conn: &mut ils_storage::Conn,
    jobs: &riverqueue::Client,
    mail: SendEmail,
    delivery_attempts: u16,
) -> Result<()> {
    queue_with_attempts(conn, jobs, mail, delivery_attempts).await
}

/// Queues a job that sends something out (a message, a purchase order) in the caller's
/// transaction, tried `attempts` times before it becomes a dead job.
pub(crate) async fn queue_with_attempts<A: JobArgs>(
    conn: &mut ils_storage::Conn,
    jobs: &riverqueue::Client,
    job: A,
    attempts: u16,
) -> Result<()> {
    let opts = InsertOpts::default().with_max_attempts(i32::from(attempts));
    ils_outbox::queue::enqueue(conn, jobs, job, opts).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_queued_before_html_and_links_still_read() {
        let old = serde_json::json!({ "to": "a@b.example", "subject": "Hi", "text": "Hello" });
        let job: SendEmail = serde_json::from_value(old.clone()).unwrap();
        assert_eq!((job.html.as_deref(), job.links.len()), (None, 0));
        assert_eq!(serde_json::to_value(&job).unwrap(), old, "a plain message is written as before");
    }

    #[tokio::test]
    async fn links_are_absolute_and_go_in_both_parts() {
        crate::install_tls_provider();
        let config =
            EmailConfig { smtp_url: Some("smtp://127.0.0.1:2525".into()), from: "ILS <a@b.example>".into() };
        let base: url::Url = "https://ils.example.com/".parse().unwrap();
        let mailer = Mailer::new(&config, &base).unwrap().unwrap();
        let id = FileId::new();
        let urls = mailer.file_urls(&[id.to_string(), "../../admin".into()]);
        assert_eq!(urls, [format!("https://ils.example.com/api/v1/files/{id}")], "ids only");
        let text = text_with_links("Ready.\n", &urls);
        assert_eq!(text, format!("Ready.\n\n{LINKS_INTRO}\n{}\n", urls[0]));
        let html = html_with_links("<html><BODY><p>Ready.</p></BODY></html>", &urls);
        assert!(
            html.ends_with(&format!("<li><a href=\"{0}\">{0}</a></li></ul></BODY></html>", urls[0])),
            "{html}"
        );
        assert_eq!(text_with_links("Ready.", &[]), "Ready.");
    }
}
