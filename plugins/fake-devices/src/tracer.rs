//! A DCS tracer: opens the handshake as the device side and uploads a shape, as a recording
//! says.
//!
//! Each `device:` message is framed and sent, and resent after a NAK or the ACK timeout; each
//! `expect:` waits for the host's next answer and checks it holds the records expected (a frame
//! that arrives before the host has acknowledged the device's message is the host resending its
//! previous answer after a lost ACK: it is ACKed and skipped). With reconnects allowed, a session whose line drops is started again from its first
//! message on a new connection, as a real tracer resends its job: the host may see the same
//! shape twice and must deduplicate.

use std::time::Duration;

use dcs_driver::record::{Document, Record};
use tokio::time::Instant;

use crate::error::Error;
use crate::line::{Line, LinkOptions, Received};
use crate::recording::{Step, TracerRecording};
use crate::transport::{Endpoint, Port};

/// How a tracer behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TracerOptions {
    /// Framing, ACK timeout and resends.
    pub link: LinkOptions,
    /// How long to wait for each answer the recording expects.
    pub answer_timeout: Duration,
    /// Sessions started again after the line drops (0: fail at the first drop).
    pub reconnects: u32,
    /// The wait before starting again.
    pub reconnect_pause: Duration,
    /// How long the line is held after the last answer, ACKing resends, unless the host hangs up.
    pub linger: Duration,
}

impl Default for TracerOptions {
    fn default() -> Self {
        Self {
            link: LinkOptions::default(),
            answer_timeout: Duration::from_secs(30),
            reconnects: 0,
            reconnect_pause: Duration::from_millis(500),
            linger: Duration::from_secs(2),
        }
    }
}

/// What a completed upload took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracerReport {
    /// Sessions started, the completed one included (2 after one drop).
    pub sessions: u32,
    /// Frames written in the completed session, resends included.
    pub frames_sent: u32,
    /// Frames written again after a NAK or ACK timeout in the completed session.
    pub resends: u32,
    /// Damaged frames from the host, NAKed, in the completed session.
    pub rejected: u32,
    /// The host's answers, in order, in the completed session.
    pub answers: Vec<Document>,
}

/// Replays `recording` as a tracer on `endpoint` until one session completes.
pub async fn run_tracer(
    endpoint: &mut Endpoint,
    recording: &TracerRecording,
    options: &TracerOptions,
) -> Result<TracerReport, Error> {
    let mut sessions = 0;
    loop {
        sessions += 1;
        let outcome = match endpoint.session().await {
            Ok(port) => session(port, recording, options).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(report) => return Ok(TracerReport { sessions, ..report }),
            Err(e) if e.is_link_drop() && sessions <= options.reconnects => {
                tracing::warn!(error = %e, session = sessions, "line dropped; starting the session again");
                tokio::time::sleep(options.reconnect_pause).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A message by its first record, for logs and errors: `REQ=INI`.
fn summary(doc: &Document) -> String {
    doc.records.first().map_or_else(|| "an empty message".into(), record_text)
}

fn record_text(r: &Record) -> String {
    format!("{}={}", r.label(), r.values().join(";"))
}

async fn session(
    port: Port<'_>,
    recording: &TracerRecording,
    options: &TracerOptions,
) -> Result<TracerReport, Error> {
    let mut line = Line::new(port, options.link);
    let mut answers = Vec::new();
    let mut last_sent = String::from("the start of the session");
    for step in recording.steps() {
        match step {
            Step::Send(doc) => {
                last_sent = summary(doc);
                tracing::info!(message = %last_sent, "sending");
                line.deliver(&doc.to_bytes(), &last_sent).await?;
            }
            Step::Expect(expected) => {
                let answer = next_answer(&mut line, &last_sent, options.answer_timeout).await?;
                check(expected, &answer, &last_sent)?;
                answers.push(answer);
            }
        }
    }
    let stats = line.stats;
    line.linger(options.linger).await;
    Ok(TracerReport {
        sessions: 1,
        frames_sent: stats.frames_sent,
        resends: stats.resends,
        rejected: stats.rejected,
        answers,
    })
}

async fn next_answer(line: &mut Line<'_>, message: &str, timeout: Duration) -> Result<Document, Error> {
    match line.receive(Some(Instant::now() + timeout)).await? {
        Received::Frame(body) => Document::parse(&body)
            .map_err(|source| Error::UnreadableAnswer { message: message.to_string(), source }),
        Received::HungUp => Err(Error::HungUp),
        Received::TimedOut => Err(Error::NoAnswer { message: message.to_string(), waited: timeout }),
    }
}

fn check(expected: &Document, answer: &Document, message: &str) -> Result<(), Error> {
    for want in &expected.records {
        if !answer.all(want.label()).any(|got| got.values() == want.values()) {
            return Err(Error::UnexpectedAnswer {
                message: message.to_string(),
                expected: record_text(want),
                answer: answer.records.iter().map(record_text).collect::<Vec<_>>().join(" | "),
            });
        }
    }
    Ok(())
}
