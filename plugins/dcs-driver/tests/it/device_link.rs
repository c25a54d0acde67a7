//! `device-link` sessions driven through the plugin's functions as the host drives them: each
//! call gets only the state bytes the previous one returned.

use dcs_driver::frame::{ACK, CrcStyle, NAK, RS, encode};
use dcs_driver::trace::{Trace, TraceSide, TraceSource};
use dcs_driver::{DcsDriver, device_link::ACK_TIMEOUT_MS};
use ils_plugin_sdk::{DeviceStep, Happening, Plugin, ShapeSource, ShapesSent, Side};

use crate::data;
use crate::job::order;
use crate::session::{Step, recording};

/// The host's side: the device name and the state it keeps, nothing else.
struct Host {
    device: &'static str,
    state: Vec<u8>,
    sent: Vec<u8>,
    happenings: Vec<Happening>,
    wake_after_ms: Option<u32>,
}

impl Host {
    fn open(device: &'static str) -> Self {
        let step = DcsDriver::open_session(device).unwrap();
        assert!(step.send.is_empty() && step.happenings.is_empty() && step.wake_after_ms.is_none());
        Self { device, state: step.state, sent: Vec::new(), happenings: Vec::new(), wake_after_ms: None }
    }

    /// Keeps the step's state (a copy, as a database would) and collects what it did.
    fn take(&mut self, step: DeviceStep) -> DeviceStep {
        let json: serde_json::Value = serde_json::from_slice(&step.state).unwrap();
        assert_eq!(json["v"], 1, "every state is versioned");
        self.state = step.state.clone();
        self.sent.extend(&step.send);
        self.happenings.extend(step.happenings.iter().cloned());
        self.wake_after_ms = step.wake_after_ms;
        step
    }

    fn feed(&mut self, bytes: &[u8]) -> DeviceStep {
        let step = DcsDriver::feed_session(self.device, &self.state, bytes).unwrap();
        self.take(step)
    }

    fn wake(&mut self) -> DeviceStep {
        let step = DcsDriver::wake_session(self.device, &self.state).unwrap();
        self.take(step)
    }

    fn send_job(&mut self, job: &str) -> Result<DeviceStep, ils_plugin_sdk::Error> {
        let step = DcsDriver::send_job_in_session(self.device, &self.state, job)?;
        Ok(self.take(step))
    }

    fn shapes(&self) -> Vec<&ShapesSent> {
        self.happenings
            .iter()
            .filter_map(|h| match h {
                Happening::Shapes(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    fn notes(&self) -> Vec<&str> {
        self.happenings
            .iter()
            .filter_map(|h| match h {
                Happening::Note(n) => Some(n.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// The radii (1/100 mm) of an ellipse with this box, at `points` equiangular points, its
/// extremes on the box exactly (as `ils_fake_devices::shape::ellipse`, which depends on this crate).
fn ellipse(hbox: u32, vbox: u32, points: usize) -> Vec<u32> {
    let (a, b) = (f64::from(hbox) / 2.0, f64::from(vbox) / 2.0);
    let mut radii: Vec<u32> = (0..points)
        .map(|i| {
            let (sin, cos) = (std::f64::consts::TAU * i as f64 / points as f64).sin_cos();
            (a * b / ((b * cos).powi(2) + (a * sin).powi(2)).sqrt()).round() as u32
        })
        .collect();
    let quarter = points / 4;
    radii[0] = hbox.div_ceil(2);
    radii[2 * quarter] = hbox / 2;
    radii[quarter] = vbox.div_ceil(2);
    radii[3 * quarter] = vbox / 2;
    radii
}

fn frame(text: &str) -> Vec<u8> {
    encode(text.as_bytes(), CrcStyle::Plain)
}

/// The tracer's messages for job R-1001 (as `plugins/fake-devices/recordings/tracer-r1001.txt`,
/// with a DBL): INI, TRC, and the 51.37 × 40.06 mm shape.
fn tracer_messages() -> [Vec<u8>; 3] {
    let ini = "REQ=INI\r\nDEV=TRC\r\nVEN=ILS\r\nMODEL=\"FAKE-TRACER 1\"\r\nTRCFMT=1;400;E;B;F\r\nTRCFMT=1;1000;U;B;F\r\n";
    let mut shape = "JOB=R-1001\r\nDBL=18.25\r\nTRCFMT=1;400;E;B;F\r\n".to_string();
    for line in ellipse(5137, 4006, 400).chunks(10) {
        let values: Vec<String> = line.iter().map(u32::to_string).collect();
        shape.push_str(&format!("R={}\r\n", values.join(";")));
    }
    [frame(ini), frame("REQ=TRC\r\nJOB=R-1001\r\n"), frame(&shape)]
}

/// Cuts `bytes` into chunks of 1, 7, 2, 13, 3, 64, 5… bytes: frames split inside labels, CRLFs
/// and the CRC line.
fn awkward_chunks(bytes: &[u8]) -> Vec<&[u8]> {
    let sizes = [1, 7, 2, 13, 3, 64, 5];
    let mut out = Vec::new();
    let mut rest = bytes;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((*size).min(rest.len()));
        out.push(chunk);
        rest = tail;
    }
    out
}

/// Cuts a frame right after its FS, after RS, between the CR and LF of its CRC line, and before GS.
fn cut_at_the_seams(frame: &[u8]) -> Vec<&[u8]> {
    let rs = frame.iter().position(|&b| b == RS).unwrap();
    let cuts = [1, rs + 1, frame.len() - 2, frame.len() - 1];
    let mut out = Vec::new();
    let mut start = 0;
    for cut in cuts {
        out.push(&frame[start..cut]);
        start = cut;
    }
    out.push(&frame[start..]);
    out
}

const ANS_INI: &str = "ANS=INI\r\nSTATUS=0\r\nTRCFMT=1;400;E;B;F\r\n";
const ANS_TRC: &str = "ANS=TRC\r\nJOB=R-1001\r\nSTATUS=0\r\n";

/// Runs the tracer's session to its shape, answered; returns the host.
fn traced(device: &'static str) -> Host {
    let [ini, trc, shape] = tracer_messages();
    let mut host = Host::open(device);
    for chunk in awkward_chunks(&ini) {
        host.feed(chunk);
    }
    assert_eq!(host.wake_after_ms, Some(ACK_TIMEOUT_MS), "ANS=INI waits for its ACK");
    // The device's ACK and its next message, in one stream.
    for chunk in awkward_chunks(&[&[ACK][..], &trc].concat()) {
        host.feed(chunk);
    }
    assert_eq!(host.wake_after_ms, Some(ACK_TIMEOUT_MS), "ANS=TRC waits for its ACK");
    let ack = host.feed(&[ACK]);
    assert_eq!(ack.wake_after_ms, None, "nothing waits");
    for chunk in cut_at_the_seams(&shape) {
        host.feed(chunk);
    }
    host
}

#[test]
fn a_tracer_session_runs_on_state_bytes_alone_and_gives_its_shape_once() {
    let mut host = traced("tracer");
    assert_eq!(host.wake_after_ms, Some(ACK_TIMEOUT_MS));
    let finished = host.feed(&[ACK]);
    assert_eq!((finished.send.len(), finished.wake_after_ms), (0, None));

    let expected = [vec![ACK], frame(ANS_INI), vec![ACK], frame(ANS_TRC), vec![ACK], frame(ANS_TRC)].concat();
    assert_eq!(String::from_utf8_lossy(&host.sent), String::from_utf8_lossy(&expected));

    assert_eq!(
        host.notes(),
        [
            "tracer identified: DEV=TRC, VEN=ILS, MODEL=FAKE-TRACER 1; TRCFMT=1;400;E;B;F",
            "tracer asks to send the shape of job R-1001",
        ]
    );
    let shapes = host.shapes();
    assert_eq!(shapes.len(), 1, "{:?}", host.happenings);
    let sent = shapes[0];
    assert_eq!((sent.job.as_str(), sent.dbl), ("R-1001", Some(1825)));
    assert_eq!(sent.shapes.len(), 1);
    let shape = &sent.shapes[0];
    assert_eq!((shape.side, shape.source), (Side::Both, ShapeSource::Frame));
    assert_eq!(shape.radii, ellipse(5137, 4006, 400), "1/100 mm, as the TRCFMT gives them");
    assert!(shape.angles.is_empty(), "equiangular");
    let size = Trace::new(TraceSide::Both, TraceSource::Frame, shape.radii.clone(), None).unwrap().size();
    assert!((size.hbox_mm - 51.37).abs() < 1e-6 && (size.vbox_mm - 40.06).abs() < 1e-6, "{size:?}");
}

#[test]
fn a_shape_resent_after_a_lost_ack_is_answered_again_without_a_second_shapes() {
    let [_, _, shape] = tracer_messages();
    let mut host = traced("tracer/crc5");
    let answer = encode(ANS_TRC.as_bytes(), CrcStyle::Padded);
    assert!(host.sent.ends_with(&answer), "frames sent to a `/crc5` tracer pad their CRC");

    // Our ACK was lost: the device sends the shape again, before acknowledging our answer.
    let mut resent = Vec::new();
    for chunk in awkward_chunks(&shape) {
        let step = host.feed(chunk);
        resent.extend(step.send);
        assert!(step.happenings.is_empty(), "{:?}", step.happenings);
    }
    assert_eq!(resent, [ACK], "the answer again waits behind the first");
    let step = host.feed(&[ACK]);
    assert_eq!((step.send, step.wake_after_ms), (answer, Some(ACK_TIMEOUT_MS)));
    let step = host.feed(&[ACK]);
    assert_eq!((step.send.len(), step.wake_after_ms), (0, None));
    assert_eq!(host.shapes().len(), 1);
}

#[test]
fn the_recorded_session_with_naks_and_a_damaged_frame_replays_on_state_bytes() {
    let mut host = Host::open("tracer");
    let mut expected = Vec::new();
    for step in recording(&String::from_utf8(data("session-ini-trc.txt")).unwrap()) {
        match step {
            Step::Device(bytes) => {
                for chunk in awkward_chunks(&bytes) {
                    host.feed(chunk);
                }
            }
            Step::Timeout => {
                assert_eq!(host.wake_after_ms, Some(ACK_TIMEOUT_MS), "the host was asked to wake");
                host.wake();
            }
            Step::Host(bytes) => expected.extend(bytes),
        }
    }
    assert_eq!(String::from_utf8_lossy(&host.sent), String::from_utf8_lossy(&expected));
    let notes = host.notes();
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert!(notes[1].starts_with("damaged frame from the tracer NAKed: frame CRC is"), "{notes:?}");
    let shapes = host.shapes();
    assert_eq!(shapes.len(), 1);
    assert_eq!((shapes[0].job.as_str(), shapes[0].shapes.len()), ("40213", 2));
    assert_eq!(shapes[0].dbl, None, "the recording has no DBL");
}

#[test]
fn a_tracer_that_never_acks_is_noted_and_given_up_on() {
    let [ini, ..] = tracer_messages();
    let mut host = Host::open("tracer");
    host.feed(&ini);
    let answer = frame(ANS_INI);
    for _ in 0..3 {
        assert_eq!(host.wake().send, answer);
    }
    let last = host.wake();
    assert_eq!((last.send.len(), last.wake_after_ms), (0, None));
    assert_eq!(
        host.notes().last(),
        Some(&"the tracer never acknowledged a frame sent 4 times; it was dropped")
    );
}

#[test]
fn an_edger_is_sent_the_job_packet_and_reports_it_delivered_on_ack() {
    let job = order().to_string();
    for device in ["edger", "edger/crc5"] {
        let mut host = Host::open(device);
        let step = host.send_job(&job).unwrap();
        assert_eq!(
            step.send,
            DcsDriver::encode_job(device, &job).unwrap(),
            "{device}: as encode_job frames it"
        );
        assert_eq!((step.happenings.len(), step.wake_after_ms), (0, Some(ACK_TIMEOUT_MS)));
        let step = host.feed(&[ACK]);
        assert_eq!(step.happenings, [Happening::JobDelivered("J000123".into())]);
        assert_eq!((step.send.len(), step.wake_after_ms), (0, None));
    }
}

#[test]
fn edger_jobs_queue_behind_the_one_in_flight() {
    let mut host = Host::open("edger");
    let first = order().to_string();
    let mut second = order();
    second["number"] = "J000124".into();
    let second = second.to_string();
    host.send_job(&first).unwrap();
    let queued = host.send_job(&second).unwrap();
    assert_eq!((queued.send.len(), queued.wake_after_ms), (0, Some(ACK_TIMEOUT_MS)), "waits its turn");
    let step = host.feed(&[ACK]);
    assert_eq!(step.happenings, [Happening::JobDelivered("J000123".into())]);
    assert_eq!(step.send, DcsDriver::encode_job("edger", &second).unwrap());
    let step = host.feed(&[ACK]);
    assert_eq!(step.happenings, [Happening::JobDelivered("J000124".into())]);
}

#[test]
fn an_edger_job_naked_and_timed_out_is_resent_then_failed() {
    let job = order().to_string();
    let mut host = Host::open("edger");
    let packet = host.send_job(&job).unwrap().send;
    assert_eq!(host.feed(&[NAK]).send, packet);
    assert_eq!(host.wake().send, packet);
    assert_eq!(host.feed(&[b'x', NAK]).send, packet, "line noise before the NAK is dropped");
    let last = host.wake();
    assert_eq!(
        last.happenings,
        [Happening::JobFailed(
            "J000123".into(),
            "the edger did not acknowledge it after 4 sends (2 NAKs, 2 timeouts)".into()
        )]
    );
    assert_eq!((last.send.len(), last.wake_after_ms), (0, None));
    assert!(host.feed(&[ACK]).happenings.is_empty(), "a late ACK delivers nothing");
}

#[test]
fn a_bad_job_is_refused_and_the_session_goes_on() {
    let mut host = Host::open("edger");
    let mut bad = order();
    bad["rx"]["right"]["sphere"] = "2.00".into();
    let err = host.send_job(&bad.to_string()).unwrap_err().message;
    assert!(err.starts_with("job: "), "{err}");
    assert!(host.send_job(&order().to_string()).is_ok(), "the state before the refusal still works");

    let mut tracer = Host::open("tracer");
    let err = tracer.send_job(&order().to_string()).unwrap_err().message;
    assert_eq!(err, "session: a tracer takes no jobs: send them to an `edger` (`tracer` is a tracer)");
}

#[test]
fn a_state_that_cannot_be_used_is_a_clear_error() {
    let tracer = DcsDriver::open_session("tracer").unwrap().state;
    let text = String::from_utf8(tracer.clone()).unwrap();
    let feed =
        |device: &str, state: &[u8]| DcsDriver::feed_session(device, state, &[ACK]).unwrap_err().message;

    assert!(
        feed("tracer", b"")
            .starts_with("session state: not a DCS session state (JSON with its version `v`): EOF")
    );
    assert!(feed("tracer", b"\xff\x00garbage").starts_with("session state: not a DCS session state"));
    assert!(
        feed("tracer", &tracer[..tracer.len() / 2]).starts_with("session state: not a DCS session state")
    );
    assert!(feed("tracer", br#"{"model":"tracer"}"#).contains("missing field `v`"));
    assert_eq!(
        feed("tracer", text.replacen(r#""v":1"#, r#""v":2"#, 1).as_bytes()),
        "session state: version 2, but this driver reads version 1: open a new session"
    );
    let err = feed("tracer", text.replacen("await_ini", "await_lunch", 1).as_bytes());
    assert!(
        err.starts_with("session state: version 1 does not parse: unknown variant `await_lunch`"),
        "{err}"
    );
    let err = feed("tracer", text.replacen(r#""buffer":"""#, r#""buffer":"€""#, 1).as_bytes());
    assert!(err.contains("a byte string holds U+20AC, above U+00FF"), "{err}");
    assert_eq!(
        feed("tracer/crc5", &tracer),
        "session state: made by a `tracer` session, but the device is `tracer/crc5`"
    );
    assert_eq!(
        feed("edger", &tracer),
        "session state: made by a `tracer` session, but the device is `edger`"
    );
    let wake = DcsDriver::wake_session("tracer", br#"{"v":1}"#).unwrap_err().message;
    assert!(wake.starts_with("session state: version 1 does not parse: missing field"), "{wake}");
}

#[test]
fn unknown_models_are_refused_naming_the_known_ones() {
    let known = "the DCS driver runs `tracer`, `tracer/crc5`, `edger`, `edger/crc5`";
    for device in ["lensmeter", "tracer/records", "nidek-lt1000", ""] {
        let err = DcsDriver::open_session(device).unwrap_err().message;
        assert_eq!(err, format!("unknown device model {device:?}: {known}"));
    }
    let state = DcsDriver::open_session("tracer").unwrap().state;
    assert!(DcsDriver::feed_session("refractor", &state, b"").unwrap_err().message.contains(known));
}
