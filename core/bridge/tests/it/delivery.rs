//! Bytes from devices reach ILS in order, each entry once, whatever happens to the connection.

use ils_bridge::ConnectionState;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::fake_ils::{FakeIls, Loss};
use crate::{Bridge, DialledDevice, data_dir, wait_status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_from_a_device_that_dials_the_bridge_arrive_in_order_after_its_link_up() {
    let ils = FakeIls::start().await;
    let (_tmp, dir) = data_dir();
    let bridge =
        Bridge::start(&ils.url(), &dir, "[[device]]\nname = \"tracer-1\"\ntcp_listen = \"127.0.0.1:0\"\n");
    let status =
        wait_status(&dir, "the device's port to be bound", |s| s.devices[0].listening.is_some()).await;
    let port = status.devices[0].listening.clone().unwrap();

    let mut device = TcpStream::connect(&port).await.unwrap();
    let mut sent = Vec::new();
    for i in 0..20 {
        let chunk = format!("REQ=TRC;JOB={i:03}\r");
        device.write_all(chunk.as_bytes()).await.unwrap();
        sent.extend_from_slice(chunk.as_bytes());
        if i % 5 == 4 {
            // Let some chunks travel as separate entries.
            ils.wait("the chunks so far", |w| w.stream("tracer-1") == sent).await;
        }
    }
    let world = ils.wait("all the bytes", |w| w.stream("tracer-1") == sent).await;
    assert_eq!(world.links("tracer-1"), [true], "link up comes first, once");
    assert_eq!(world.committed["tracer-1"][0].0, 1, "numbering starts at 1");
    assert_eq!(world.gaps, 0);
    assert_eq!(world.hellos[0]["bridge"], "test-bridge");
    assert_eq!(world.hellos[0]["devices"], serde_json::json!(["tracer-1"]));
    assert_eq!(world.hellos[0]["version"], env!("CARGO_PKG_VERSION"));

    // A new connection replaces the old one: down, then up.
    let mut second = TcpStream::connect(&port).await.unwrap();
    ils.wait("the second link up", |w| w.links("tracer-1") == [true, false, true]).await;
    second.write_all(b"after").await.unwrap();
    sent.extend_from_slice(b"after");
    let world = ils.wait("bytes on the new connection", |w| w.stream("tracer-1") == sent).await;
    let seqs = world.seqs("tracer-1");
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    drop(device);

    let status =
        wait_status(&dir, "everything acknowledged", |s| s.devices[0].last_acked == seqs.len() as u64).await;
    assert_eq!(status.connection.state, ConnectionState::Connected);
    assert!(status.devices[0].connected);
    assert_eq!(status.devices[0].waiting, 0);
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_read_while_ils_is_unreachable_are_journaled_and_arrive_once_when_it_returns() {
    let ils = FakeIls::start().await;
    ils.set(|w| w.down = true);
    let (_tmp, dir) = data_dir();
    let device = DialledDevice::new().await;
    let bridge = Bridge::start(&ils.url(), &dir, &device.toml("refractor"));

    let mut line = device.accept().await;
    let mut sent = Vec::new();
    for part in ["\x01NIDEK RT-5100\r", "FR 0.25-0.50 90\r", "FL-0.25-0.25 85\r", "\x04"] {
        line.write_all(part.as_bytes()).await.unwrap();
        sent.extend_from_slice(part.as_bytes());
        let len = sent.len() as u64;
        wait_status(&dir, "the bytes to be journaled", |s| s.devices[0].waiting_bytes == len).await;
    }
    let status = wait_status(&dir, "the status to say why ILS cannot be reached", |s| {
        s.connection.last_error.is_some()
    })
    .await;
    assert_eq!(status.connection.state, ConnectionState::Connecting);
    assert!(status.connection.last_error.as_ref().unwrap().contains("503"), "{status:#?}");
    assert!(status.devices[0].waiting >= 2, "link up and bytes wait: {status:#?}");
    assert_eq!(status.devices[0].last_sent, 0);

    ils.set(|w| w.down = false);
    let world = ils.wait("the journaled bytes", |w| w.stream("refractor") == sent).await;
    assert_eq!(world.links("refractor"), [true]);
    let seqs = world.seqs("refractor");
    for seq in &seqs {
        assert_eq!(world.times_received("refractor", *seq), 1, "seq {seq} was sent once");
    }
    assert_eq!(world.gaps, 0);
    wait_status(&dir, "the journal to be emptied", |s| s.devices[0].waiting == 0).await;
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_lost_with_the_connection_are_resent_and_applied_once() {
    let ils = FakeIls::start().await;
    let (_tmp, dir) = data_dir();
    let device = DialledDevice::new().await;
    let bridge = Bridge::start(&ils.url(), &dir, &device.toml("tracer-1"));
    let mut line = device.accept().await;

    line.write_all(b"first|").await.unwrap();
    ils.wait("the first bytes", |w| w.stream("tracer-1") == b"first|").await;

    // ILS commits the next entry and dies before acknowledging it.
    ils.set(|w| w.lose_next = Some(Loss::AfterCommit));
    line.write_all(b"second|").await.unwrap();
    let world = ils.wait("a new connection after the loss", |w| w.connections == 2).await;
    let committed_before = world.received.last().unwrap().1;

    // ILS dies before committing the next one.
    ils.set(|w| w.lose_next = Some(Loss::BeforeCommit));
    line.write_all(b"third|").await.unwrap();
    ils.wait("another connection", |w| w.connections == 3).await;
    let world = ils.wait("every byte", |w| w.stream("tracer-1") == b"first|second|third|").await;
    let lost = world.received.iter().find(|(_, seq, _)| *seq > committed_before).unwrap().1;
    assert!(
        world.times_received("tracer-1", lost) >= 2,
        "the uncommitted entry {lost} was resent: {world:#?}"
    );

    line.write_all(b"fourth|").await.unwrap();
    let world =
        ils.wait("bytes after the resends", |w| w.stream("tracer-1") == b"first|second|third|fourth|").await;
    assert_eq!(world.links("tracer-1"), [true]);
    let seqs = world.seqs("tracer-1");
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "each seq applied once, in order");
    assert_eq!(world.gaps, 0, "nothing was sent out of order");
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_api_key_is_shown_in_the_status_and_bytes_are_kept() {
    let ils = FakeIls::start().await;
    let (_tmp, dir) = data_dir();
    let device = DialledDevice::new().await;
    let text = format!(
        "server = {:?}\ndata_dir = {:?}\nname = \"b\"\n{}",
        ils.url(),
        dir.display().to_string(),
        device.toml("tracer-1")
    );
    let overrides = ils_bridge::Overrides { key: Some("not-the-key".into()), ..Default::default() };
    let config =
        ils_bridge::Config::from_toml(&text, std::path::Path::new("bridge.toml"), &overrides).unwrap();
    let bridge = Bridge::start_with(config);
    let mut line = device.accept().await;
    line.write_all(b"kept").await.unwrap();

    let status = wait_status(&dir, "the refusal", |s| {
        s.connection.state == ConnectionState::Refused && s.devices[0].waiting_bytes == 4
    })
    .await;
    let error = status.connection.last_error.clone().unwrap();
    assert!(error.contains("the API key was refused") && error.contains("401"), "{error}");
    assert!(status.to_string().contains("refused: the API key was refused"), "{status}");
    assert!(ils.world().refused >= 1);
    assert!(ils.world().received.is_empty());
    bridge.stop().await;
}
