use std::time::Duration;

use dcs_driver::frame::{self, ACK, CrcStyle, Deframer, Incoming};
use dcs_driver::session::{Action, SessionConfig, SessionEvent, TracerSession};
use ils_fake_devices::{Endpoint, LinkOptions, TracerOptions, TracerRecording, Transport, run_tracer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::{GUARD, guard, recording};

/// The host's ACK timer: long, so a busy machine does not make either side resend.
const HOST_ACK_TIMEOUT: Duration = Duration::from_secs(10);

fn options() -> TracerOptions {
    TracerOptions {
        link: LinkOptions { ack_timeout: Duration::from_secs(10), ..LinkOptions::default() },
        answer_timeout: GUARD,
        reconnect_pause: Duration::from_millis(50),
        linger: GUARD,
        ..TracerOptions::default()
    }
}

/// The ILS host side: `TracerSession` on one connection, until `done` or the device hangs up.
/// Bytes are fed one at a time so the host can stop at an exact point of the session.
async fn host(
    stream: &mut TcpStream,
    session: &mut TracerSession,
    done: impl Fn(&[SessionEvent], &TracerSession) -> bool,
) -> Vec<SessionEvent> {
    let mut events = Vec::new();
    let mut buf = vec![0; 16 * 1024];
    loop {
        let wait = if session.awaiting_ack() { HOST_ACK_TIMEOUT } else { GUARD };
        let received = match tokio::time::timeout(wait, stream.read(&mut buf)).await {
            Err(_) if session.awaiting_ack() => None,
            Err(_) => panic!("the device went quiet; events so far: {events:?}"),
            Ok(Ok(0)) => return events,
            Ok(Ok(n)) => Some(&buf[..n]),
            Ok(Err(e)) => panic!("reading from the device: {e}; events so far: {events:?}"),
        };
        let steps: Vec<Option<u8>> = match received {
            Some(bytes) => bytes.iter().copied().map(Some).collect(),
            None => vec![None],
        };
        for step in steps {
            let actions = match step {
                Some(byte) => session.on_bytes(&[byte]),
                None => session.on_timeout(),
            };
            for action in actions {
                match action {
                    Action::Send(bytes) => stream.write_all(&bytes).await.unwrap(),
                    Action::Event(event) => events.push(event),
                }
            }
            if done(&events, session) {
                return events;
            }
        }
    }
}

fn shape_answered(events: &[SessionEvent], session: &TracerSession) -> bool {
    events.iter().any(|e| matches!(e, SessionEvent::ShapeReceived { .. })) && !session.awaiting_ack()
}

#[tokio::test]
async fn a_tracer_uploads_its_recorded_shape_to_the_dcs_host_over_tcp() {
    let recorded = TracerRecording::load(&recording("tracer-r1001.txt")).unwrap();
    let recording = recorded.clone();
    let mut endpoint = Endpoint::open(&Transport::Listen("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let addr = endpoint.local_addr().unwrap();
    assert_eq!(endpoint.announcement(), Some(format!("listening on {addr}")));
    assert_ne!(addr.port(), 0, "the real port is told");
    let device = tokio::spawn(async move { run_tracer(&mut endpoint, &recording, &options()).await });

    let mut stream = guard("connect", TcpStream::connect(addr)).await.unwrap();
    let mut session = TracerSession::new(SessionConfig::default());
    let events = guard("the session", host(&mut stream, &mut session, shape_answered)).await;
    drop(stream);
    let report = guard("the device", device).await.unwrap().unwrap();

    let [
        SessionEvent::Initialised { device, trcfmt },
        SessionEvent::TraceRequested { job },
        SessionEvent::ShapeReceived { job: shape_job, traces },
    ] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        (device.dev.as_deref(), device.ven.as_deref(), device.model.as_deref()),
        (Some("TRC"), Some("ILS"), Some("FAKE-TRACER 1"))
    );
    assert_eq!(trcfmt, &["1", "400", "E", "B", "F"]);
    assert_eq!((job.as_str(), shape_job.as_str()), ("R-1001", "R-1001"));
    assert_eq!(traces.len(), 1);
    let size = traces[0].size();
    assert!((size.hbox_mm - 51.37).abs() < 1e-6 && (size.vbox_mm - 40.06).abs() < 1e-6, "{size:?}");
    assert_eq!(traces[0].radii().len(), 400);
    assert_eq!(traces[0].radii(), recorded.traces()[0].radii());

    assert_eq!(report.sessions, 1);
    assert_eq!(report.answers.len(), 3);
    assert!(report.answers.iter().all(|a| a.get("STATUS").map(|r| r.value()) == Some("0")));
}

#[tokio::test]
async fn a_tracer_whose_line_drops_dials_again_and_replays_its_session() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut recording = TracerRecording::load(&recording("tracer-r1001.txt")).unwrap();
    recording.set_job("ILS-000123").unwrap();
    let mut endpoint = Endpoint::open(&Transport::Connect(addr.to_string())).await.unwrap();
    assert_eq!(endpoint.announcement(), None);
    let options = TracerOptions { reconnects: 2, ..options() };
    let device = tokio::spawn(async move { run_tracer(&mut endpoint, &recording, &options).await });

    // The host answers the INI, has it acknowledged, then drops the line.
    let (mut first, _) = guard("the first connection", listener.accept()).await.unwrap();
    let mut session = TracerSession::new(SessionConfig::default());
    let initialised = |events: &[SessionEvent], s: &TracerSession| !events.is_empty() && !s.awaiting_ack();
    let events = guard("the first session", host(&mut first, &mut session, initialised)).await;
    assert!(matches!(events.as_slice(), [SessionEvent::Initialised { .. }]), "{events:?}");
    drop(first);

    // The device dials again and starts over from its INI, with the job given.
    let (mut second, _) = guard("the second connection", listener.accept()).await.unwrap();
    let mut session = TracerSession::new(SessionConfig::default());
    let events = guard("the second session", host(&mut second, &mut session, shape_answered)).await;
    drop(second);
    let report = guard("the device", device).await.unwrap().unwrap();

    assert!(matches!(events.first(), Some(SessionEvent::Initialised { .. })), "{events:?}");
    let Some(SessionEvent::ShapeReceived { job, traces }) = events.last() else { panic!("{events:?}") };
    assert_eq!(job, "ILS-000123");
    assert!((traces[0].size().hbox_mm - 51.37).abs() < 1e-6);
    assert_eq!(report.sessions, 2);
}

#[tokio::test]
async fn a_tracer_refused_by_the_host_fails_naming_the_answer() {
    let recording = TracerRecording::load(&recording("tracer-r1001.txt")).unwrap();
    let mut endpoint = Endpoint::open(&Transport::Listen("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let addr = endpoint.local_addr().unwrap();
    let device = tokio::spawn(async move { run_tracer(&mut endpoint, &recording, &options()).await });

    // The host takes the INI and refuses it with STATUS=1.
    let mut stream = guard("connect", TcpStream::connect(addr)).await.unwrap();
    let mut deframer = Deframer::new();
    let mut buf = vec![0; 4096];
    loop {
        let n = guard("the INI", stream.read(&mut buf)).await.unwrap();
        assert_ne!(n, 0, "the device hung up before its INI");
        if deframer.push(&buf[..n]).iter().any(|i| matches!(i, Incoming::Frame(_))) {
            break;
        }
    }
    stream.write_all(&[ACK]).await.unwrap();
    stream.write_all(&frame::encode(b"ANS=INI\r\nSTATUS=1\r\n", CrcStyle::Plain)).await.unwrap();

    let err = guard("the device", device).await.unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "the host's answer to REQ=INI does not have STATUS=0: it was ANS=INI | STATUS=1"
    );
    assert!(!err.is_link_drop());
}
