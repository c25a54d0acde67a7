//! The tracer handshake, host side, as a state machine with no I/O.
//!
//! The host feeds it what the device sent ([`TracerSession::on_bytes`]) and its ACK timer
//! running out ([`TracerSession::on_timeout`]); it answers with [`Action`]s: bytes to send and
//! events to act on. Framing, ACK/NAK and retries are the [`Link`]'s.
//!
//! ```text
//! device                          host
//! REQ=INI, DEV, VEN, MODEL,  →
//!   TRCFMT offers                 ←  ANS=INI, STATUS=0, TRCFMT=<picked>
//! REQ=TRC, JOB               →    ←  ANS=TRC, JOB, STATUS=0
//! JOB, TRCFMT, R=…           →    ←  ANS=TRC, JOB, STATUS=0
//! ```
//!
//! Rules chosen (README, "Handshake"):
//! - The device identifies itself (DEV, VEN, MODEL) in its INI request; each is optional.
//! - The host picks one of the TRCFMT records the INI offers: well-formed format 1 only (a count
//!   3–10000, `E`/`U`, `R`/`L`/`B`, `F`/`P`/`D`), equiangular before angles, the preferred point
//!   count first, else the first offer. None such offered: refused.
//!   ZFMT is never asked for (3-D sag is not read).
//! - A shape may come in its own message after `ANS=TRC`, or inside the `REQ=TRC` message itself.
//! - Refusals answer `ANS=<request>`, `STATUS=1` (DOMAIN.md defines only 0 = ok); a TRC before
//!   INI, a missing JOB, a shape for another JOB and a shape that does not parse are refused.
//! - A new INI at any point starts the handshake again.
//! - A message identical to the one before it is the device resending after a lost ACK: it is
//!   answered again as before and not acted on twice.
//! - A shape's message may give the distance between lenses (`DBL`, mm): reported after the shape
//!   in hundredths of a millimetre ([`SessionEvent::DblReceived`]). A DBL that is not a distance
//!   0–99.99 mm refuses the message, as a shape that does not parse does.
//!
//! A session serialises (serde) with everything it holds, so a host may keep it between steps
//! as bytes (see [`crate::device_link`]).

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::frame::{Link, LinkConfig, LinkEvent};
use crate::record::{Document, Record};
use crate::stored::Bytes;
use crate::trace::{Trace, check_format, read_traces};
use crate::values::decimal_at;

/// The status sent when the host refuses a request.
pub const STATUS_REFUSED: &str = "1";

/// Settings of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Framing and retries.
    pub link: LinkConfig,
    /// The point count preferred among the device's offers.
    pub preferred_count: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self { link: LinkConfig::default(), preferred_count: 400 }
    }
}

/// Who the device said it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceInfo {
    /// `DEV`.
    pub dev: Option<String>,
    /// `VEN`.
    pub ven: Option<String>,
    /// `MODEL`.
    pub model: Option<String>,
}

/// What the host learns from the session.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    /// The INI exchange is done; the device will send shapes in `trcfmt`.
    Initialised {
        /// The device.
        device: DeviceInfo,
        /// The TRCFMT values picked.
        trcfmt: Vec<String>,
    },
    /// The device asked to send the shape for `job`.
    TraceRequested {
        /// The job number.
        job: String,
    },
    /// A shape arrived and was acknowledged with `STATUS=0`.
    ShapeReceived {
        /// The job number.
        job: String,
        /// The shapes (one, or one per eye).
        traces: Vec<Trace>,
    },
    /// The device's message was refused (answered `STATUS=1`, or not answered if unreadable).
    Refused(Error),
    /// A damaged frame arrived and was NAKed.
    FrameRejected(Error),
    /// A frame sent was never acknowledged; the session should be restarted.
    LinkLost {
        /// How many times it was sent.
        attempts: u8,
    },
    /// The message that brought `job`'s shape also gave the distance between lenses (`DBL`).
    /// It follows that message's [`SessionEvent::ShapeReceived`].
    DblReceived {
        /// The job number.
        job: String,
        /// The distance between lenses, hundredths of a millimetre.
        dbl: u32,
    },
}

/// What the host should do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Write these bytes to the device.
    Send(Vec<u8>),
    /// Act on this.
    Event(SessionEvent),
}

/// Where the handshake is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum State {
    /// Waiting for `REQ=INI`.
    AwaitIni,
    /// Initialised; waiting for `REQ=TRC`.
    AwaitTrcRequest,
    /// `REQ=TRC` answered; waiting for the shape of `job`.
    AwaitShape {
        /// The job number.
        job: String,
    },
}

/// The host side of a tracer session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracerSession {
    config: SessionConfig,
    link: Link,
    state: State,
    /// The last message received and the answer sent to it, to answer a resend the same way.
    last: Option<(Bytes, Option<Bytes>)>,
}

/// The answer to a message, if any, and what it made happen.
type Reply = (Option<Document>, Vec<SessionEvent>);

fn records(list: &[(&'static str, &str)]) -> Document {
    let mut doc = Document::default();
    for (label, value) in list {
        // Answers carry the device's own job number, which may be any text: keep what can be written.
        if let Ok(r) = Record::new(label, vec![(*value).to_string()]) {
            doc.push(r);
        }
    }
    doc
}

impl TracerSession {
    /// A session waiting for the device's INI.
    pub fn new(config: SessionConfig) -> Self {
        Self { config, link: Link::new(config.link), state: State::AwaitIni, last: None }
    }

    /// Where the handshake is.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Whether a frame waits for the device's ACK (the host runs its timer while this is true).
    pub fn awaiting_ack(&self) -> bool {
        self.link.awaiting_ack()
    }

    /// Feeds bytes received from the device.
    pub fn on_bytes(&mut self, bytes: &[u8]) -> Vec<Action> {
        let events = self.link.on_bytes(bytes);
        self.handle(events)
    }

    /// The ACK timer ran out.
    pub fn on_timeout(&mut self) -> Vec<Action> {
        let events = self.link.on_timeout();
        self.handle(events)
    }

    fn handle(&mut self, events: Vec<LinkEvent>) -> Vec<Action> {
        let mut out = Vec::new();
        for event in events {
            match event {
                LinkEvent::Send(bytes) => out.push(Action::Send(bytes)),
                LinkEvent::Delivered => {}
                LinkEvent::Rejected(e) => out.push(Action::Event(SessionEvent::FrameRejected(e))),
                LinkEvent::GaveUp { attempts } => {
                    out.push(Action::Event(SessionEvent::LinkLost { attempts }))
                }
                LinkEvent::Received(body) => {
                    // The device resends a message when our ACK was lost: answer it again, once
                    // more, without acting on it twice.
                    let answer = match &self.last {
                        Some((previous, answer)) if **previous == body => answer.clone().map(|a| a.0),
                        _ => {
                            let (answer, events) = self.message(&body);
                            out.extend(events.into_iter().map(Action::Event));
                            let answer = answer.map(|a| a.to_bytes());
                            self.last = Some((body.into(), answer.clone().map(Bytes::from)));
                            answer
                        }
                    };
                    if let Some(answer) = answer {
                        out.extend(self.link.send(&answer).into_iter().filter_map(|e| match e {
                            LinkEvent::Send(b) => Some(Action::Send(b)),
                            _ => None,
                        }));
                    }
                }
            }
        }
        out
    }

    fn refuse(answer: &str, job: Option<&str>, error: Error) -> Reply {
        let mut list = vec![("ANS", answer)];
        if let Some(job) = job {
            list.push(("JOB", job));
        }
        list.push(("STATUS", STATUS_REFUSED));
        (Some(records(&list)), vec![SessionEvent::Refused(error)])
    }

    /// One message from the device: the answer to send and the events to report.
    fn message(&mut self, body: &[u8]) -> Reply {
        let doc = match Document::parse(body) {
            Ok(doc) => doc,
            Err(e) => return (None, vec![SessionEvent::Refused(e)]),
        };
        let request = doc.get("REQ").map(|r| r.value().to_string());
        let job = doc.get("JOB").map(|r| r.value().to_string());
        match request.as_deref() {
            Some("INI") => self.ini(&doc),
            Some("TRC") => {
                if self.state == State::AwaitIni {
                    let e = Error::in_label("REQ", ErrorKind::Protocol("TRC before INI".into()));
                    return Self::refuse("TRC", job.as_deref(), e);
                }
                let Some(job) = job else {
                    return Self::refuse("TRC", None, Error::in_label("JOB", ErrorKind::Missing));
                };
                if doc.get("TRCFMT").is_some() {
                    return self.shape(&doc, job);
                }
                self.state = State::AwaitShape { job: job.clone() };
                let answer = records(&[("ANS", "TRC"), ("JOB", &job), ("STATUS", "0")]);
                (Some(answer), vec![SessionEvent::TraceRequested { job }])
            }
            None if doc.get("TRCFMT").is_some() => {
                let State::AwaitShape { job: expected } = self.state.clone() else {
                    let e = Error::in_label("TRCFMT", ErrorKind::Protocol("a shape nobody asked for".into()));
                    return Self::refuse("TRC", job.as_deref(), e);
                };
                match job {
                    Some(job) if job != expected => {
                        let e = Error::in_label(
                            "JOB",
                            ErrorKind::Protocol(format!("shape for job {job:?}, expected {expected:?}")),
                        );
                        Self::refuse("TRC", Some(&job), e)
                    }
                    _ => self.shape(&doc, expected),
                }
            }
            Some(other) => {
                let e = Error::in_label("REQ", ErrorKind::Unsupported(format!("request {other:?}")));
                Self::refuse(other, job.as_deref(), e)
            }
            None => (None, vec![SessionEvent::Refused(Error::in_label("REQ", ErrorKind::Missing))]),
        }
    }

    fn ini(&mut self, doc: &Document) -> Reply {
        // Only offers this driver reads: the one picked is echoed back to the device as it was sent.
        let offers: Vec<&Record> = doc.all("TRCFMT").filter(|r| check_format(r).is_ok()).collect();
        let score = |r: &&&Record| {
            let v = r.values();
            (
                v.get(2).map(String::as_str) != Some("E"),
                v.get(1) != Some(&self.config.preferred_count.to_string()),
            )
        };
        let Some(picked) = offers.iter().min_by_key(score) else {
            let e =
                Error::in_label("TRCFMT", ErrorKind::Unsupported("no well-formed format 1 offered".into()));
            self.state = State::AwaitIni;
            return Self::refuse("INI", None, e);
        };
        let text = |label: &str| doc.get(label).map(|r| r.value().to_string());
        let device = DeviceInfo { dev: text("DEV"), ven: text("VEN"), model: text("MODEL") };
        let trcfmt = picked.values().to_vec();
        let mut answer = records(&[("ANS", "INI"), ("STATUS", "0")]);
        answer.push(Record::trusted("TRCFMT", trcfmt.clone()));
        self.state = State::AwaitTrcRequest;
        (Some(answer), vec![SessionEvent::Initialised { device, trcfmt }])
    }

    fn shape(&mut self, doc: &Document, job: String) -> Reply {
        let read = read_traces(doc).and_then(|traces| Ok((traces, dbl(doc)?)));
        match read {
            Ok((traces, dbl)) if !traces.is_empty() => {
                self.state = State::AwaitTrcRequest;
                let answer = records(&[("ANS", "TRC"), ("JOB", &job), ("STATUS", "0")]);
                let mut events = vec![SessionEvent::ShapeReceived { job: job.clone(), traces }];
                events.extend(dbl.map(|dbl| SessionEvent::DblReceived { job, dbl }));
                (Some(answer), events)
            }
            Ok(_) => Self::refuse("TRC", Some(&job), Error::in_label("TRCFMT", ErrorKind::Missing)),
            Err(e) => Self::refuse("TRC", Some(&job), e),
        }
    }
}

/// The message's `DBL` in hundredths of a millimetre, when it has one.
fn dbl(doc: &Document) -> Result<Option<u32>, Error> {
    let Some(record) = doc.single("DBL")? else { return Ok(None) };
    let Some(mm) = decimal_at(record, 0)? else { return Ok(None) };
    match (mm * 100.0).round() {
        // A whole number in range: the cast is exact.
        hundredths if (0.0..=9999.0).contains(&hundredths) => Ok(Some(hundredths as u32)),
        _ => Err(record.bad_value(0, "a distance between lenses of 0–99.99 mm")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{ACK, CrcStyle, encode};

    fn frame(text: &str) -> Vec<u8> {
        encode(text.as_bytes(), CrcStyle::Plain)
    }

    fn sent_text(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Send(b) => Some(String::from_utf8_lossy(b).into_owned()),
                Action::Event(_) => None,
            })
            .collect()
    }

    fn ready() -> TracerSession {
        let mut s = TracerSession::new(SessionConfig::default());
        s.on_bytes(&frame("REQ=INI\r\nTRCFMT=1;1000;U;B;F\r\nTRCFMT=1;400;E;B;F\r\n"));
        s.on_bytes(&[ACK]);
        s
    }

    #[test]
    fn picks_equiangular_and_the_preferred_count() {
        let mut s = TracerSession::new(SessionConfig::default());
        let out = s.on_bytes(&frame(
            "REQ=INI\r\nDEV=TRC\r\nTRCFMT=1;1000;U;B;F\r\nTRCFMT=1;1000;E;B;F\r\nTRCFMT=1;400;E;B;F\r\n",
        ));
        assert!(sent_text(&out)[1].contains("ANS=INI\r\nSTATUS=0\r\nTRCFMT=1;400;E;B;F\r\n"));
        assert!(matches!(&out[1], Action::Event(SessionEvent::Initialised { trcfmt, device })
            if trcfmt[1] == "400" && device.dev.as_deref() == Some("TRC") && device.model.is_none()));
        assert_eq!(s.state(), &State::AwaitTrcRequest);
    }

    #[test]
    fn no_format_1_is_refused() {
        let mut s = TracerSession::new(SessionConfig::default());
        let out = s.on_bytes(&frame("REQ=INI\r\nTRCFMT=2;400;E;B;F\r\n"));
        assert!(sent_text(&out)[1].contains("ANS=INI\r\nSTATUS=1\r\n"));
        assert_eq!(s.state(), &State::AwaitIni);
    }

    #[test]
    fn malformed_offers_are_neither_picked_nor_echoed() {
        // Found by the `session` fuzz target (minimised): an offer with a C1 control (U+0085) for
        // its count was picked and echoed back as a trusted record: a debug assertion, and in a
        // release build a control character sent to the device.
        let mut s = TracerSession::new(SessionConfig::default());
        let out = s.on_bytes(&frame("REQ=INI\nTRCFMT=1;\u{85};;;"));
        assert!(sent_text(&out)[1].contains("ANS=INI\r\nSTATUS=1\r\n"), "{out:?}");
        assert!(
            matches!(&out[1], Action::Event(SessionEvent::Refused(e)) if e.to_string().contains("no well-formed format 1"))
        );
        assert_eq!(s.state(), &State::AwaitIni);
        // Offers the driver could not read are passed over for one it can.
        let mut s = TracerSession::new(SessionConfig::default());
        let out = s.on_bytes(&frame(
            "REQ=INI\r\nTRCFMT=1;400;e;B;F\r\nTRCFMT=1;4x0;E;B;F\r\nTRCFMT=1;2;E;B;F\r\nTRCFMT=1;1000;U;B;F\r\n",
        ));
        assert!(sent_text(&out)[1].contains("ANS=INI\r\nSTATUS=0\r\nTRCFMT=1;1000;U;B;F\r\n"), "{out:?}");
        assert_eq!(s.state(), &State::AwaitTrcRequest);
    }

    #[test]
    fn trc_before_ini_and_without_job_are_refused() {
        let mut s = TracerSession::new(SessionConfig::default());
        let out = s.on_bytes(&frame("REQ=TRC\r\nJOB=1\r\n"));
        assert!(sent_text(&out)[1].contains("ANS=TRC\r\nJOB=1\r\nSTATUS=1\r\n"));
        assert!(
            matches!(&out[1], Action::Event(SessionEvent::Refused(e)) if e.to_string().contains("TRC before INI"))
        );
        let mut s = ready();
        let out = s.on_bytes(&frame("REQ=TRC\r\n"));
        assert!(
            matches!(&out[1], Action::Event(SessionEvent::Refused(e)) if e.to_string() == "JOB: missing (required here)")
        );
    }

    #[test]
    fn a_shape_inside_the_request_is_answered_once() {
        let mut s = ready();
        let out = s.on_bytes(&frame("REQ=TRC\r\nJOB=9\r\nTRCFMT=1;3;E;R;F\r\nR=2000;2000;2000\r\n"));
        assert!(
            matches!(&out[1], Action::Event(SessionEvent::ShapeReceived { job, traces }) if job == "9" && traces.len() == 1)
        );
        assert!(sent_text(&out)[1].contains("ANS=TRC\r\nJOB=9\r\nSTATUS=0\r\n"));
        assert_eq!(s.state(), &State::AwaitTrcRequest);
    }

    #[test]
    fn a_shape_for_another_job_or_a_bad_shape_is_refused() {
        let mut s = ready();
        s.on_bytes(&frame("REQ=TRC\r\nJOB=9\r\n"));
        s.on_bytes(&[ACK]);
        let out = s.on_bytes(&frame("JOB=8\r\nTRCFMT=1;3;E;R;F\r\nR=1;2;3\r\n"));
        assert!(sent_text(&out)[1].contains("JOB=8\r\nSTATUS=1"));
        s.on_bytes(&[ACK]);
        let out = s.on_bytes(&frame("JOB=9\r\nTRCFMT=1;3;X;R;F\r\nR=1;2;3\r\n"));
        assert!(
            matches!(&out[1], Action::Event(SessionEvent::Refused(e)) if e.to_string().starts_with("line 2, TRCFMT: value 3"))
        );
        assert_eq!(s.state(), &State::AwaitShape { job: "9".into() }, "the device may send it again");
    }

    #[test]
    fn a_new_ini_restarts_and_unknown_requests_are_refused() {
        let mut s = ready();
        s.on_bytes(&frame("REQ=TRC\r\nJOB=9\r\n"));
        s.on_bytes(&[ACK]);
        let out = s.on_bytes(&frame("REQ=FIL\r\nJOB=9\r\n"));
        assert!(sent_text(&out)[1].contains("ANS=FIL\r\nJOB=9\r\nSTATUS=1\r\n"));
        s.on_bytes(&[ACK]);
        s.on_bytes(&frame("REQ=INI\r\nTRCFMT=1;400;E;B;F\r\n"));
        assert_eq!(s.state(), &State::AwaitTrcRequest, "the pending shape is forgotten");
    }

    #[test]
    fn a_resent_shape_is_answered_again_not_refused() {
        let mut s = ready();
        s.on_bytes(&frame("REQ=TRC\r\nJOB=9\r\n"));
        s.on_bytes(&[ACK]);
        let shape = frame("JOB=9\r\nTRCFMT=1;3;E;R;F\r\nR=2000;2000;2000\r\n");
        let first = s.on_bytes(&shape);
        assert!(matches!(&first[1], Action::Event(SessionEvent::ShapeReceived { .. })));
        s.on_bytes(&[ACK]);
        let again = s.on_bytes(&shape);
        assert_eq!(sent_text(&again), sent_text(&first), "ACK and the same STATUS=0 answer");
        assert!(again.iter().all(|a| matches!(a, Action::Send(_))), "no second event: {again:?}");
    }

    #[test]
    fn a_shapes_dbl_follows_it_in_hundredths_and_a_bad_one_refuses_it() {
        let mut s = ready();
        let out = s.on_bytes(&frame("REQ=TRC\r\nJOB=9\r\nDBL=18.5\r\nTRCFMT=1;3;E;R;F\r\nR=1;2;3\r\n"));
        assert!(matches!(&out[1], Action::Event(SessionEvent::ShapeReceived { job, .. }) if job == "9"));
        assert_eq!(out[2], Action::Event(SessionEvent::DblReceived { job: "9".into(), dbl: 1850 }));
        assert!(sent_text(&out)[1].contains("STATUS=0"));
        s.on_bytes(&[ACK]);
        for bad in ["DBL=x", "DBL=-1", "DBL=100"] {
            let out =
                s.on_bytes(&frame(&format!("REQ=TRC\r\nJOB=9\r\n{bad}\r\nTRCFMT=1;3;E;R;F\r\nR=1;2;3\r\n")));
            assert!(sent_text(&out)[1].contains("STATUS=1"), "{bad}: {out:?}");
            assert!(
                matches!(&out[1], Action::Event(SessionEvent::Refused(e)) if e.to_string().starts_with("line 3, DBL: value 1")),
                "{bad}: {out:?}"
            );
            s.on_bytes(&[ACK]);
        }
    }

    #[test]
    fn a_session_stored_mid_frame_carries_on_where_it_was() {
        let mut s = ready();
        let shape = frame("REQ=TRC\r\nJOB=9\r\nTRCFMT=1;3;E;R;F\r\nR=2000;2000;2000\r\n");
        let (a, b) = shape.split_at(20);
        assert!(s.on_bytes(a).is_empty());
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains(r#""buffer":"\u001cREQ=TRC\r\nJOB=9\r\nTRC","in_frame":true"#), "{json}");
        let mut restored: TracerSession = serde_json::from_str(&json).unwrap();
        let out = restored.on_bytes(b);
        assert!(matches!(&out[1], Action::Event(SessionEvent::ShapeReceived { job, .. }) if job == "9"));
        let again: TracerSession = serde_json::from_str(&serde_json::to_string(&restored).unwrap()).unwrap();
        assert!(again.awaiting_ack(), "the answer in flight is kept");
        assert_eq!(again.state(), &State::AwaitTrcRequest);
    }

    #[test]
    fn unreadable_messages_are_reported_without_an_answer() {
        let mut s = ready();
        let out = s.on_bytes(&frame("JOB=\"9\r\n"));
        assert_eq!(sent_text(&out), ["\u{6}"], "only the ACK of the frame");
        assert!(matches!(&out[1], Action::Event(SessionEvent::Refused(_))));
    }
}
