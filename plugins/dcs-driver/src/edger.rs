//! Sending jobs to an edger, host side, as a state machine with no I/O.
//!
//! [`EdgerSession::send_job`] writes a lab order (JSON, see [`crate::job`]) as the DCS job
//! [`crate::encode_job`] writes and queues it on the [`Link`]; the host feeds the session what the
//! edger sent and its ACK timer running out, as for a [`crate::session::TracerSession`].
//!
//! Rules chosen (README, "Edger"):
//! - Jobs go in the order given, one frame in flight: the next is sent when the edger ACKs the one
//!   before, or when the link gives up on it.
//! - A job is delivered when the edger ACKs its frame. It fails when every send was NAKed or
//!   timed out (1 + `max_retries` sends); it is then dropped, not sent again.
//! - A frame the edger sends is ACKed (or NAKed if damaged) and reported, not acted on.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{Link, LinkConfig, LinkEvent};
use crate::job::Job;

/// What the host learns from an edger session.
#[derive(Debug, Clone, PartialEq)]
pub enum EdgerEvent {
    /// The edger acknowledged the job's frame.
    Delivered {
        /// The job number.
        job: String,
    },
    /// The edger never acknowledged the job's frame; it is dropped.
    Failed {
        /// The job number.
        job: String,
        /// How many times it was sent.
        attempts: u8,
        /// How many of those sends were NAKed.
        naks: u8,
        /// How many of those sends timed out.
        timeouts: u8,
    },
    /// The edger sent an intact message; it was ACKed and not acted on. Its first records.
    MessageIgnored(String),
    /// A damaged frame arrived and was NAKed.
    FrameRejected(Error),
}

/// What the host should do.
#[derive(Debug, Clone, PartialEq)]
pub enum EdgerAction {
    /// Write these bytes to the edger.
    Send(Vec<u8>),
    /// Act on this.
    Event(EdgerEvent),
}

/// The host side of an edger session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgerSession {
    link: Link,
    /// The job numbers of the frames on the link: the one in flight first, then those queued.
    jobs: VecDeque<String>,
    /// How many sends of the frame in flight have timed out (the others failed were NAKed).
    timeouts: u8,
}

impl EdgerSession {
    /// A session with nothing sent.
    pub fn new(config: LinkConfig) -> Self {
        Self { link: Link::new(config), jobs: VecDeque::new(), timeouts: 0 }
    }

    /// Whether a frame waits for the edger's ACK (the host runs its timer while this is true).
    pub fn awaiting_ack(&self) -> bool {
        self.link.awaiting_ack()
    }

    /// The job numbers not yet delivered or failed, the one in flight first.
    pub fn pending(&self) -> impl Iterator<Item = &str> {
        self.jobs.iter().map(String::as_str)
    }

    /// Queues a job (JSON): sent now unless another waits for its ACK. A job that does not
    /// encode is an error and nothing is queued.
    pub fn send_job(&mut self, job_json: &str) -> Result<Vec<EdgerAction>> {
        let job = Job::from_json(job_json)?;
        let body = job.to_document()?.to_bytes();
        self.jobs.push_back(job.number);
        let events = self.link.send(&body);
        Ok(self.handle(events))
    }

    /// Feeds bytes received from the edger.
    pub fn on_bytes(&mut self, bytes: &[u8]) -> Vec<EdgerAction> {
        let events = self.link.on_bytes(bytes);
        self.handle(events)
    }

    /// The ACK timer ran out.
    pub fn on_timeout(&mut self) -> Vec<EdgerAction> {
        if self.link.awaiting_ack() {
            self.timeouts = self.timeouts.saturating_add(1);
        }
        let events = self.link.on_timeout();
        self.handle(events)
    }

    fn handle(&mut self, events: Vec<LinkEvent>) -> Vec<EdgerAction> {
        let mut out = Vec::new();
        for event in events {
            let event = match event {
                LinkEvent::Send(bytes) => {
                    out.push(EdgerAction::Send(bytes));
                    continue;
                }
                LinkEvent::Delivered => {
                    self.timeouts = 0;
                    let Some(job) = self.jobs.pop_front() else { continue };
                    EdgerEvent::Delivered { job }
                }
                LinkEvent::GaveUp { attempts } => {
                    let timeouts = std::mem::take(&mut self.timeouts);
                    let Some(job) = self.jobs.pop_front() else { continue };
                    EdgerEvent::Failed { job, attempts, naks: attempts.saturating_sub(timeouts), timeouts }
                }
                LinkEvent::Received(body) => EdgerEvent::MessageIgnored(summary(&body)),
                LinkEvent::Rejected(e) => EdgerEvent::FrameRejected(e),
            };
            out.push(EdgerAction::Event(event));
        }
        out
    }
}

/// A message's first lines, for a log.
fn summary(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut out: Vec<String> = lines.by_ref().take(3).map(|l| l.chars().take(40).collect()).collect();
    if lines.next().is_some() {
        out.push("…".into());
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{ACK, CrcStyle, NAK, encode};

    const JOB: &str = r#"{"number": "J7", "rx": {"right": {"sphere": "-1.00"}},
        "lens": {"type": "single_vision", "material": "plastic", "index": 1.5}}"#;

    #[test]
    fn jobs_go_one_at_a_time_and_are_delivered_on_ack() {
        let mut s = EdgerSession::new(LinkConfig::default());
        let first = s.send_job(JOB).unwrap();
        assert_eq!(first, [EdgerAction::Send(crate::encode_job(JOB, crate::Output::Framed).unwrap())]);
        assert!(s.send_job(&JOB.replace("J7", "J8")).unwrap().is_empty(), "waits for J7's ACK");
        assert_eq!(s.pending().collect::<Vec<_>>(), ["J7", "J8"]);
        let out = s.on_bytes(&[ACK]);
        assert_eq!(out[0], EdgerAction::Event(EdgerEvent::Delivered { job: "J7".into() }));
        assert!(matches!(&out[1], EdgerAction::Send(b) if b.windows(6).any(|w| w == b"JOB=J8")));
        assert_eq!(s.on_bytes(&[ACK]), [EdgerAction::Event(EdgerEvent::Delivered { job: "J8".into() })]);
        assert!(!s.awaiting_ack());
        assert!(s.on_bytes(&[ACK]).is_empty(), "a stray ACK delivers nothing");
    }

    #[test]
    fn a_job_never_acked_fails_with_its_naks_and_timeouts() {
        let mut s = EdgerSession::new(LinkConfig { max_retries: 2, crc_style: CrcStyle::Padded });
        let sent = s.send_job(JOB).unwrap();
        assert_eq!(s.on_bytes(&[NAK]), sent);
        assert_eq!(s.on_timeout(), sent);
        assert_eq!(
            s.on_bytes(&[NAK]),
            [EdgerAction::Event(EdgerEvent::Failed { job: "J7".into(), attempts: 3, naks: 2, timeouts: 1 })]
        );
        assert!(!s.awaiting_ack() && s.pending().next().is_none());
        assert!(s.on_timeout().is_empty(), "a timer with nothing in flight does nothing");
    }

    #[test]
    fn a_bad_job_queues_nothing_and_messages_are_acked_not_acted_on() {
        let mut s = EdgerSession::new(LinkConfig::default());
        assert!(s.send_job(r#"{"number": "J7"}"#).unwrap_err().to_string().starts_with("job: "));
        assert!(s.pending().next().is_none() && !s.awaiting_ack());
        let out = s.on_bytes(&encode(b"REQ=INI\r\nDEV=EDG\r\nVEN=X\r\nMODEL=Y\r\n", CrcStyle::Plain));
        assert_eq!(out[0], EdgerAction::Send(vec![ACK]));
        assert_eq!(
            out[1],
            EdgerAction::Event(EdgerEvent::MessageIgnored("REQ=INI, DEV=EDG, VEN=X, …".into()))
        );
    }
}
