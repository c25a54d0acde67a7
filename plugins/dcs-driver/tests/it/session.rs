use dcs_driver::session::{Action, SessionConfig, SessionEvent, State, TracerSession};

use crate::data;

pub(crate) enum Step {
    Device(Vec<u8>),
    Host(Vec<u8>),
    Timeout,
}

/// Reads a recording: `D`/`H` entries with `<FS>`-style escapes, `T` for a timeout.
pub(crate) fn recording(text: &str) -> Vec<Step> {
    let mut entries: Vec<(char, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("   ") {
            entries.last_mut().expect("continuation after an entry").1.push_str(rest);
        } else {
            let (kind, rest) = line.split_at(1);
            entries.push((kind.chars().next().unwrap(), rest.trim_start().to_string()));
        }
    }
    let unescape = |s: &str| {
        s.replace("<CRLF>", "\r\n")
            .replace("<FS>", "\x1c")
            .replace("<GS>", "\x1d")
            .replace("<RS>", "\x1e")
            .replace("<ACK>", "\x06")
            .replace("<NAK>", "\x15")
            .into_bytes()
    };
    entries
        .into_iter()
        .map(|(kind, text)| match kind {
            'D' => Step::Device(unescape(&text)),
            'H' => Step::Host(unescape(&text)),
            'T' => Step::Timeout,
            other => panic!("unknown entry {other}"),
        })
        .collect()
}

#[test]
fn a_recorded_ini_trc_session_replays() {
    let steps = recording(&String::from_utf8(data("session-ini-trc.txt")).unwrap());
    let mut session = TracerSession::new(SessionConfig::default());
    let mut sent: std::collections::VecDeque<Vec<u8>> = Default::default();
    let mut events = Vec::new();
    for (i, step) in steps.into_iter().enumerate() {
        let actions = match step {
            Step::Device(bytes) => session.on_bytes(&bytes),
            Step::Timeout => {
                assert!(session.awaiting_ack(), "step {i}: a timeout only matters while a frame waits");
                session.on_timeout()
            }
            Step::Host(expected) => {
                let got = sent.pop_front().unwrap_or_else(|| panic!("step {i}: the host sent nothing"));
                assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected), "step {i}");
                continue;
            }
        };
        for action in actions {
            match action {
                Action::Send(bytes) => sent.push_back(bytes),
                Action::Event(e) => events.push(e),
            }
        }
    }
    assert!(sent.is_empty(), "sent more than recorded: {sent:?}");
    assert!(!session.awaiting_ack());
    assert_eq!(session.state(), &State::AwaitTrcRequest);

    assert_eq!(events.len(), 4, "{events:?}");
    let SessionEvent::Initialised { device, trcfmt } = &events[0] else { panic!("{:?}", events[0]) };
    assert_eq!(
        (device.dev.as_deref(), device.ven.as_deref(), device.model.as_deref()),
        (Some("TRC"), Some("NID"), Some("LT-1000"))
    );
    assert_eq!(trcfmt, &["1", "400", "E", "B", "F"]);
    assert!(matches!(&events[1], SessionEvent::FrameRejected(e) if e.to_string().contains("CRC")));
    assert_eq!(events[2], SessionEvent::TraceRequested { job: "40213".into() });
    let SessionEvent::ShapeReceived { job, traces } = &events[3] else { panic!("{:?}", events[3]) };
    assert_eq!(job, "40213");
    assert_eq!(traces.len(), 2);
    assert!((traces[0].size().hbox_mm - 52.00).abs() < 0.01);
}

#[test]
fn a_device_that_never_acks_is_given_up_on() {
    let steps = recording(&String::from_utf8(data("session-ini-trc.txt")).unwrap());
    let Some(Step::Device(ini)) = steps.into_iter().next() else {
        panic!("the recording starts with the INI")
    };
    let mut session = TracerSession::new(SessionConfig::default());
    assert_eq!(session.on_bytes(&ini).len(), 3, "ACK, answer, event");
    for _ in 0..3 {
        assert!(matches!(session.on_timeout().as_slice(), [Action::Send(_)]));
    }
    assert_eq!(session.on_timeout(), [Action::Event(SessionEvent::LinkLost { attempts: 4 })]);
    assert!(!session.awaiting_ack());
}
