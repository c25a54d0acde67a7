//! The words of the messages patients receive — each recall stage, an appointment's reminder,
//! glasses ready — as templates a practice may rewrite, with placeholders (`{first_name}`,
//! `{due_date}` …) filled in when a message goes (docs/adr/045-reminders.md). A practice that has
//! not rewritten one gets ILS's own wording. A template naming a placeholder its message does not
//! have is refused when saved, so a message never goes out with a hole in it.

use serde::Serialize;

use ils_kernel::audit::Event;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query, text_enum};

text_enum! {
    /// A message patients receive.
    pub enum MessageKind {
        /// A recall: the sight test is due soon.
        RecallDue = "recall_due",
        /// A recall: the due date has passed.
        RecallFirstReminder = "recall_first_reminder",
        /// A recall: the last reminder.
        RecallFinal = "recall_final",
        /// An appointment tomorrow.
        AppointmentReminder = "appointment_reminder",
        /// Glasses ready to collect.
        OrderReady = "order_ready",
    }
}

/// Placeholders every message has.
const COMMON: [&str; 4] = ["first_name", "last_name", "practice", "practice_contact"];

impl MessageKind {
    /// The placeholders this message may use, besides [`COMMON`]'s.
    fn own(self) -> &'static [&'static str] {
        match self {
            MessageKind::RecallDue | MessageKind::RecallFirstReminder | MessageKind::RecallFinal => {
                &["due_date"]
            }
            MessageKind::AppointmentReminder => {
                &["appointment_day", "appointment_time", "appointment_type", "clinician"]
            }
            MessageKind::OrderReady => &["job_number"],
        }
    }

    /// Every placeholder this message may use.
    pub fn placeholders(self) -> Vec<&'static str> {
        COMMON.iter().chain(self.own()).copied().collect()
    }

    /// What the message is, as a person reads it.
    pub fn words(self) -> &'static str {
        match self {
            MessageKind::RecallDue => "Recall: due",
            MessageKind::RecallFirstReminder => "Recall: first reminder",
            MessageKind::RecallFinal => "Recall: final reminder",
            MessageKind::AppointmentReminder => "Appointment reminder (the day before)",
            MessageKind::OrderReady => "Glasses ready to collect",
        }
    }

    /// ILS's own wording.
    pub fn default_template(self) -> (&'static str, &'static str) {
        match self {
            MessageKind::RecallDue => (
                "Your eye examination at {practice} is due",
                "Dear {first_name} {last_name},\n\nYour next eye examination is due on {due_date}. Regular sight tests \
                 check the health of your eyes as well as your vision. To book, {practice_contact}.\
                 \n\nWith best wishes,\n{practice}\n\nTo stop recall reminders, tell us and we will record your choice.\n",
            ),
            MessageKind::RecallFirstReminder => (
                "A reminder from {practice}: your eye examination is due",
                "Dear {first_name} {last_name},\n\nYour eye examination was due on {due_date}, and we have not seen you \
                 yet. To book, {practice_contact}.\n\nWith best wishes,\n{practice}\n\nTo stop recall reminders, tell us \
                 and we will record your choice.\n",
            ),
            MessageKind::RecallFinal => (
                "Last reminder from {practice}: your eye examination",
                "Dear {first_name} {last_name},\n\nYour eye examination was due on {due_date}. This is our last \
                 reminder for it. To book, {practice_contact}.\n\nWith best wishes,\n{practice}\n",
            ),
            MessageKind::AppointmentReminder => (
                "Your appointment at {practice}: {appointment_day} at {appointment_time}",
                "Dear {first_name} {last_name},\n\nThis is a reminder of your {appointment_type} at {practice} on \
                 {appointment_day} at {appointment_time}, with {clinician}.\n\nIf you cannot come, please \
                 {practice_contact} so that someone else can have the time.\n\nWith best wishes,\n{practice}\n",
            ),
            MessageKind::OrderReady => (
                "Your glasses are ready at {practice}",
                "Dear {first_name} {last_name},\n\nYour glasses (job {job_number}) are ready to collect from \
                 {practice}. We will fit them for you when you come; if you have questions, please \
                 {practice_contact}.\n\nWith best wishes,\n{practice}\n",
            ),
        }
    }

    /// Values to preview the message with.
    pub fn sample(self) -> Values {
        let mut values = Values::new();
        for (name, value) in [
            ("first_name", "Ann"),
            ("last_name", "Example"),
            ("practice", "Bright Eyes Opticians"),
            ("practice_contact", "call us on 01632 960 001"),
            ("due_date", "14 March 2027"),
            ("appointment_day", "Tuesday 8 December"),
            ("appointment_time", "10:00"),
            ("appointment_type", "sight test"),
            ("clinician", "Priya Shah"),
            ("job_number", "J000123"),
        ] {
            if self.placeholders().contains(&name) {
                values.set(name, value);
            }
        }
        values
    }
}

/// The values of a message's placeholders.
#[derive(Clone, Debug, Default)]
pub struct Values(Vec<(&'static str, String)>);

impl Values {
    /// No values yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value`.
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) -> &mut Self {
        self.0.retain(|(n, _)| *n != name);
        self.0.push((name, value.into()));
        self
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// The placeholders a text names, in order (`{name}`; `{{` is a literal brace).
fn named(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        if rest[open..].starts_with("{{") {
            rest = &rest[open + 2..];
            continue;
        }
        let Some(close) = rest[open..].find('}') else { break };
        found.push(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    found
}

/// `text` with its placeholders filled in (`{{` and `}}` are literal braces); a placeholder
/// without a value is left as it was (saving refuses such templates).
pub fn fill(text: &str, values: &Values) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push(tail.as_bytes()[0] as char);
            rest = &tail[2..];
        } else if let (true, Some(close)) = (tail.starts_with('{'), tail.find('}')) {
            let name = &tail[1..close];
            match values.get(name) {
                Some(value) => out.push_str(value),
                None => out.push_str(&tail[..=close]),
            }
            rest = &tail[close + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// A message's words as the practice has them.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Template {
    /// Which message.
    pub kind: MessageKind,
    /// The subject line, with placeholders.
    pub subject: String,
    /// The text, with placeholders.
    pub body: String,
    /// Whether the practice rewrote it (otherwise it is ILS's own wording).
    pub custom: bool,
    /// The placeholders it may use, each written `{name}`.
    pub placeholders: Vec<&'static str>,
    /// When the practice last changed it.
    pub updated_at: Option<Timestamp>,
}

/// A message as it would go out.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The text.
    pub text: String,
}

/// The longest text message ILS sends: four GSM-7 segments of 153 characters (the `sms`
/// extension point's limit, `ils_records::SmsMessage::MAX_BODY`).
pub const SMS_MAX_CHARS: usize = 612;

impl Rendered {
    /// The text as one text message: the e-mail's text with its line breaks and runs of spaces
    /// as single spaces, cut with an ellipsis at [`SMS_MAX_CHARS`].
    pub fn as_sms(&self) -> String {
        let flat = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
        if flat.chars().count() <= SMS_MAX_CHARS {
            return flat;
        }
        let mut cut: String = flat.chars().take(SMS_MAX_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

impl Template {
    /// The message with `values` filled in.
    pub fn render(&self, values: &Values) -> Rendered {
        Rendered { subject: fill(&self.subject, values), text: fill(&self.body, values) }
    }

    fn default_of(kind: MessageKind) -> Self {
        let (subject, body) = kind.default_template();
        Template {
            kind,
            subject: subject.to_owned(),
            body: body.to_owned(),
            custom: false,
            placeholders: kind.placeholders(),
            updated_at: None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    kind: MessageKind,
    subject: String,
    body: String,
    updated_at: Timestamp,
}

/// Every message's template, in [`MessageKind`] order.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<Template>> {
    let tenant = tx.tenant_id();
    let rows: Vec<Row> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT kind, subject, body, updated_at FROM message_templates WHERE tenant_id = $1",
        tenant
    )?;
    Ok(MessageKind::ALL
        .iter()
        .map(|kind| match rows.iter().find(|r| r.kind == *kind) {
            Some(row) => Template {
                kind: *kind,
                subject: row.subject.clone(),
                body: row.body.clone(),
                custom: true,
                placeholders: kind.placeholders(),
                updated_at: Some(row.updated_at),
            },
            None => Template::default_of(*kind),
        })
        .collect())
}

/// One message's template.
pub async fn get(tx: &mut TenantTx, kind: MessageKind) -> Result<Template> {
    let all = list(tx).await?;
    all.into_iter().find(|t| t.kind == kind).ok_or(Error::NotFound("message template"))
}

/// Checks a template's subject (1–200 characters, one line) and body (1–5,000 characters), and
/// that every placeholder it names is one of the message's.
pub fn check(kind: MessageKind, subject: &str, body: &str) -> Result<()> {
    let mut fields = Vec::new();
    let subject_len = subject.trim().chars().count();
    if subject_len == 0 || subject_len > 200 || subject.contains('\n') {
        fields.push(("subject", "must be one line of 1 to 200 characters".to_owned()));
    }
    let body_len = body.trim().chars().count();
    if body_len == 0 || body_len > 5000 {
        fields.push(("body", "must be 1 to 5,000 characters".to_owned()));
    }
    let allowed = kind.placeholders();
    for (field, text) in [("subject", subject), ("body", body)] {
        let unknown: Vec<&str> = named(text).into_iter().filter(|n| !allowed.contains(n)).collect();
        if !unknown.is_empty() {
            fields.push((
                field,
                format!(
                    "names {} that this message does not have; it may use {}",
                    unknown.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", "),
                    allowed.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", "),
                ),
            ));
        }
    }
    if fields.is_empty() {
        return Ok(());
    }
    Err(Error::Invalid {
        code: "invalid_input",
        message: "The template needs correcting: see the marked fields.".to_owned(),
        fields: fields
            .into_iter()
            .map(|(field, message)| ils_kernel::error::FieldError { field: field.to_owned(), message })
            .collect(),
    })
}

/// Rewrites a message's template (checked by [`check`]); audited.
pub async fn set(uow: &mut UnitOfWork, kind: MessageKind, subject: &str, body: &str) -> Result<Template> {
    check(kind, subject, body)?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let by = uow.ctx().user_id;
    let tx = uow.tx();
    execute!(
        tx.conn(),
        "INSERT INTO message_templates (tenant_id, kind, subject, body, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, kind) DO UPDATE SET subject = excluded.subject, body = excluded.body,
            updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        tenant,
        kind,
        subject.trim(),
        body.trim_end(),
        by,
        Timestamp::now()
    )?;
    uow.audit(Event::new("message_template.set", "message_template", kind.as_str())).await?;
    get(uow.tx(), kind).await
}

/// Puts ILS's own wording back; audited.
pub async fn reset(uow: &mut UnitOfWork, kind: MessageKind) -> Result<Template> {
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    execute!(tx.conn(), "DELETE FROM message_templates WHERE tenant_id = $1 AND kind = $2", tenant, kind)?;
    uow.audit(Event::new("message_template.reset", "message_template", kind.as_str())).await?;
    get(uow.tx(), kind).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_braces_can_be_written() {
        let mut values = Values::new();
        values.set("first_name", "Ann").set("due_date", "1 March 2027");
        assert_eq!(fill("Dear {first_name}, due {due_date}.", &values), "Dear Ann, due 1 March 2027.");
        assert_eq!(fill("{{literal}} and {first_name}}}", &values), "{literal} and Ann}");
        assert_eq!(fill("{unknown} stays", &values), "{unknown} stays");
        assert_eq!(fill("a { b", &values), "a { b");
        assert_eq!(named("{a} {{b}} {c}"), ["a", "c"]);
    }

    #[test]
    fn every_default_uses_only_its_own_placeholders_and_a_stranger_is_refused() {
        for kind in MessageKind::ALL {
            let (subject, body) = kind.default_template();
            check(*kind, subject, body).unwrap_or_else(|e| panic!("{kind}: {e}"));
            let rendered = Template::default_of(*kind).render(&kind.sample());
            assert!(
                !rendered.text.contains('{') && !rendered.subject.contains('{'),
                "{kind}: {}",
                rendered.text
            );
        }
        assert!(check(MessageKind::OrderReady, "Ready", "Due {due_date}").is_err());
        assert!(check(MessageKind::RecallDue, "", "Hello").is_err());
        assert!(check(MessageKind::RecallDue, "Two\nlines", "Hello").is_err());
    }

    #[test]
    fn a_text_message_is_the_text_on_one_line_and_never_longer_than_four_segments() {
        let short = Rendered { subject: "S".into(), text: "Dear Ann,\n\nYour  glasses are ready.\n".into() };
        assert_eq!(short.as_sms(), "Dear Ann, Your glasses are ready.");
        let long = Rendered { subject: "S".into(), text: "word ".repeat(200) };
        let sms = long.as_sms();
        assert_eq!(sms.chars().count(), SMS_MAX_CHARS);
        assert!(sms.ends_with('…'));
        let (subject, body) = MessageKind::AppointmentReminder.default_template();
        let ours = Rendered { subject: subject.into(), text: body.into() };
        assert!(ours.as_sms().chars().count() < SMS_MAX_CHARS, "ILS's own wording fits whole");
    }
}
