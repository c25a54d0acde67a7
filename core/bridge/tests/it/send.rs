//! Bytes from ILS are written to the device once, however often ILS sends them.

use crate::fake_ils::FakeIls;
use crate::{Bridge, DialledDevice, data_dir, read_exact};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_is_written_once_and_a_repeated_send_is_answered_without_writing() {
    let ils = FakeIls::start().await;
    let (_tmp, dir) = data_dir();
    let device = DialledDevice::new().await;
    let bridge = Bridge::start(&ils.url(), &dir, &device.toml("edger-1"));
    let mut line = device.accept().await;
    ils.wait("link up", |w| w.links("edger-1") == [true]).await;

    ils.send("edger-1", 1, b"JOB=1\r");
    assert_eq!(read_exact(&mut line, 6).await, b"JOB=1\r");
    ils.wait("written 1", |w| w.times_written("edger-1", 1) == 1).await;

    ils.send("edger-1", 1, b"JOB=1\r");
    ils.wait("written 1 again", |w| w.times_written("edger-1", 1) == 2).await;
    ils.send("edger-1", 2, b"JOB=2\r");
    // Had the repeat been written, its bytes would come first.
    assert_eq!(read_exact(&mut line, 6).await, b"JOB=2\r");
    ils.wait("written 2", |w| w.times_written("edger-1", 2) == 1).await;
    bridge.stop().await;

    // What was written is remembered across a restart.
    let bridge = Bridge::start(&ils.url(), &dir, &device.toml("edger-1"));
    let mut line = device.accept().await;
    ils.wait("link up again", |w| w.links("edger-1") == [true, false, true]).await;
    ils.send("edger-1", 2, b"JOB=2\r");
    ils.wait("written 2 again", |w| w.times_written("edger-1", 2) == 2).await;
    ils.send("edger-1", 3, b"JOB=3\r");
    assert_eq!(read_exact(&mut line, 6).await, b"JOB=3\r");
    ils.wait("written 3", |w| w.times_written("edger-1", 3) == 1).await;
    bridge.stop().await;
}
