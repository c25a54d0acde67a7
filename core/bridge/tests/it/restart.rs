//! What ILS had not acknowledged when the bridge stopped is resent when it starts again.

use ils_bridge::ConnectionState;
use tokio::io::AsyncWriteExt as _;

use crate::fake_ils::FakeIls;
use crate::{Bridge, DialledDevice, data_dir, wait_status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacknowledged_entries_are_resent_after_a_restart_and_numbering_continues() {
    let ils = FakeIls::start().await;
    // ILS receives but commits nothing (its database is down, say).
    ils.set(|w| w.committing = false);
    let (_tmp, dir) = data_dir();
    let device = DialledDevice::new().await;

    let bridge = Bridge::start(&ils.url(), &dir, &device.toml("tracer-1"));
    let mut line = device.accept().await;
    line.write_all(b"before restart|").await.unwrap();
    ils.wait("the bytes to reach ILS", |w| w.received_stream("tracer-1") == b"before restart|").await;
    bridge.stop().await;

    let status = ils_bridge::status(&dir).unwrap();
    assert_eq!(status.connection.state, ConnectionState::Stopped);
    let first_run_last = status.devices[0].last_seq;
    assert_eq!(status.devices[0].waiting, first_run_last, "nothing was acknowledged: {status:#?}");
    assert!(first_run_last >= 3, "link up, bytes and link down were journaled: {status:#?}");
    assert!(!status.devices[0].connected);

    ils.set(|w| w.committing = true);
    let bridge = Bridge::start(&ils.url(), &dir, &device.toml("tracer-1"));
    let mut line = device.accept().await;
    line.write_all(b"after restart").await.unwrap();
    let world =
        ils.wait("both runs' bytes", |w| w.stream("tracer-1") == b"before restart|after restart").await;

    assert_eq!(world.links("tracer-1"), [true, false, true]);
    let seqs = world.seqs("tracer-1");
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "each seq applied once");
    for seq in 1..=first_run_last {
        assert_eq!(
            world.times_received("tracer-1", seq),
            2,
            "seq {seq} was sent, then resent after the restart"
        );
    }
    let second_up =
        world.committed["tracer-1"].iter().filter(|(_, b)| *b == crate::fake_ils::Body::Link(true)).nth(1);
    assert_eq!(second_up.unwrap().0, first_run_last + 1, "the second run numbers on from the first");
    assert_eq!(world.gaps, 0);
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_bridge_on_the_same_data_directory_is_refused() {
    let ils = FakeIls::start().await;
    let (_tmp, dir) = data_dir();
    let device = DialledDevice::new().await;
    let bridge = Bridge::start(&ils.url(), &dir, &device.toml("tracer-1"));
    wait_status(&dir, "the first bridge to start", |_| true).await;

    let text = format!(
        "server = {:?}\ndata_dir = {:?}\nname = \"b\"\n{}",
        ils.url(),
        dir.display().to_string(),
        device.toml("tracer-1")
    );
    let overrides = ils_bridge::Overrides { key: Some("k".into()), ..Default::default() };
    let config =
        ils_bridge::Config::from_toml(&text, std::path::Path::new("bridge.toml"), &overrides).unwrap();
    let error = ils_bridge::run(config, std::future::pending()).await.unwrap_err();
    assert!(matches!(error, ils_bridge::Error::DataDirInUse { .. }), "{error}");
    bridge.stop().await;
}
