//! `notify`: e-mail to the tenant's staff by role, through the embedder's mail queue, audited.
//! Capability `notify-email`.

use std::sync::Arc;

use ils_records::{Email, ROLES};
use ils_registry::Capability;

use super::{CapResult, require};
use crate::error::GuestError;
use crate::services::Notifier;
use crate::state::Invocation;

/// Messages one invocation may send.
const MAX_PER_INVOCATION: usize = 10;
const MAX_SUBJECT: usize = 200;
const MAX_BODY: usize = 256 * 1024;
const MAX_LINKS: usize = 20;

pub(crate) struct NotifyCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) sink: Arc<dyn Notifier>,
    pub(crate) sent: usize,
}

fn check_email(roles: &[String], email: &Email) -> Result<(), GuestError> {
    if roles.is_empty() {
        return Err(GuestError::Invalid("name at least one role".into()));
    }
    if let Some(role) = roles.iter().find(|r| !ROLES.contains(&r.as_str())) {
        return Err(GuestError::Invalid(format!("no role {role:?}; roles are {}", ROLES.join(", "))));
    }
    if email.subject.trim().is_empty() || email.subject.chars().count() > MAX_SUBJECT {
        return Err(GuestError::Invalid(format!("a subject is 1 to {MAX_SUBJECT} characters")));
    }
    if email.subject.chars().any(char::is_control) {
        return Err(GuestError::Invalid("a subject is one line".into()));
    }
    if email.text.len() + email.html.as_ref().map_or(0, String::len) > MAX_BODY {
        return Err(GuestError::TooLarge);
    }
    if email.file_links.len() > MAX_LINKS {
        return Err(GuestError::Invalid(format!("at most {MAX_LINKS} file links")));
    }
    Ok(())
}

impl NotifyCap {
    pub(crate) async fn email_roles(&mut self, roles: Vec<String>, email: Email) -> CapResult<u32> {
        if let Err(e) = require(&self.inv, Capability::NotifyEmail).and_then(|()| check_email(&roles, &email))
        {
            return Ok(Err(e));
        }
        if self.sent >= MAX_PER_INVOCATION {
            return Ok(Err(GuestError::Invalid(format!(
                "at most {MAX_PER_INVOCATION} messages per invocation"
            ))));
        }
        self.sent += 1;
        Ok(self.sink.email_roles(&self.inv.scope, &roles, &email).await.map_err(Into::into))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_go_to_real_roles_with_one_line_subjects() {
        let email = Email {
            subject: "Weekly turnaround".into(),
            text: "Attached.".into(),
            html: None,
            file_links: vec![],
        };
        let roles = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(check_email(&roles(&["company_admin", "lab_tech"]), &email), Ok(()));
        assert!(check_email(&roles(&[]), &email).is_err());
        assert!(check_email(&roles(&["company-admin"]), &email).is_err(), "ILS spells roles with _");
        let injected = Email { subject: "Hi\r\nBcc: all@example.com".into(), ..email.clone() };
        assert!(check_email(&roles(&["ecp"]), &injected).is_err());
    }
}
