//! `notify` for plugins: e-mail to a tenant's staff by role (docs/adr/027). It lives here, not
//! in `ils-plugin-host`, because the `send_email` job and its worker are this crate's; the
//! plugin runtime receives it as an `Arc<dyn Notifier>`.

use async_trait::async_trait;
use riverqueue::InsertOpts;

use super::{SendEmail, active_members};
use ils_host_api::Scope;
use ils_host_api::services::{Email, Notifier, ServiceError, ServiceResult};
use ils_kernel::audit::{self, Event};
use ils_kernel::error::Error;
use ils_kernel::permissions::Role;
use ils_plugin_host::{plugin_audit_actor, service_error};
use ils_storage::ids::FileId;
use ils_storage::{Db, TenantTx};

/// Plugins' e-mail to a tenant's staff: one `send_email` job per active member holding one of
/// the roles, queued in the transaction that records the audit entry (`plugin.notify`: the
/// roles and the number of recipients, never their addresses). Without an SMTP server it
/// refuses (`unavailable`) instead of queueing messages no one would send.
#[derive(Clone, Debug)]
pub struct StaffMail {
    db: Db,
    smtp: bool,
    delivery_attempts: u16,
}

impl StaffMail {
    /// Mail over `db`'s queue; `smtp` says whether this installation has a mail server.
    pub fn new(db: Db, smtp: bool, delivery_attempts: u16) -> Self {
        Self { db, smtp, delivery_attempts }
    }
}

fn no_such_file(link: &str) -> ServiceError {
    ServiceError::Invalid(format!("file link {link:?} is not a file of this tenant"))
}

#[async_trait]
impl Notifier for StaffMail {
    async fn email_roles(&self, scope: &Scope, roles: &[String], email: &Email) -> ServiceResult<u32> {
        if !self.smtp {
            return Err(ServiceError::Unavailable("no mail server is configured on this server".into()));
        }
        let roles = roles
            .iter()
            .map(|r| r.parse::<Role>().map_err(|_| ServiceError::Invalid(format!("no role {r:?}"))))
            .collect::<ServiceResult<Vec<_>>>()?;
        let links = email
            .file_links
            .iter()
            .map(|l| l.parse::<FileId>().map_err(|_| no_such_file(l)))
            .collect::<ServiceResult<Vec<_>>>()?;
        let mut tx = self.db.tenant(scope.tenant).await.map_err(|e| service_error(e.into()))?;
        for (link, id) in email.file_links.iter().zip(&links) {
            if ils_files::store::get(&mut tx, *id).await.map_err(service_error)?.is_none() {
                return Err(no_such_file(link));
            }
        }
        let queued = self.queue(&mut tx, scope, &roles, &links, email).await.map_err(service_error)?;
        tx.commit().await.map_err(|e| service_error(e.into()))?;
        Ok(queued)
    }
}

impl StaffMail {
    async fn queue(
        &self,
        tx: &mut TenantTx,
        scope: &Scope,
        roles: &[Role],
        links: &[FileId],
        email: &Email,
    ) -> Result<u32, Error> {
        let tenant = ils_tenancy::tenants::get_own(tx).await?;
        let members = active_members(tx, roles).await?;
        // Recipients learn where an automated message comes from.
        let text = format!(
            "{}\n\n-- \nSent to the staff of {} by its {} plugin in ILS.\n",
            email.text.trim_end(),
            tenant.name,
            scope.plugin
        );
        let opts = InsertOpts::default().with_max_attempts(i32::from(self.delivery_attempts));
        for member in &members {
            let mail = SendEmail {
                to: member.email.clone(),
                subject: email.subject.clone(),
                text: text.clone(),
                html: email.html.clone(),
                links: links.iter().map(ToString::to_string).collect(),
            };
            let (conn, jobs) = tx.with_jobs();
            ils_outbox::queue::enqueue(conn, jobs, mail, opts.clone()).await?;
        }
        let recipients = u32::try_from(members.len()).unwrap_or(u32::MAX);
        let event = Event::new("plugin.notify", "plugin", scope.plugin.as_str()).changes(serde_json::json!({
            "roles": roles.iter().map(Role::as_str).collect::<Vec<_>>(),
            "recipients": recipients,
            "file_links": links.len(),
            "version": scope.version.to_string(),
        }));
        audit::record(tx, &plugin_audit_actor(scope), event).await?;
        Ok(recipients)
    }
}
