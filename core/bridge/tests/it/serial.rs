//! A serial device, played by the master side of a pseudo-terminal: the bridge opens the slave
//! path as it would `/dev/ttyUSB0`, line settings and all.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::PathBuf;

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{OptionalActions, tcgetattr, tcsetattr};

use crate::fake_ils::{FakeIls, GUARD};
use crate::{Bridge, data_dir, wait_status};

/// Opens a pseudo-terminal in raw mode; returns its master and the slave's path.
fn pty() -> (File, PathBuf) {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let path = PathBuf::from(ptsname(&master, Vec::new()).unwrap().into_string().unwrap());
    // Raw from the start: no echo of what the "device" sends, no CR/LF translation.
    let mut termios = tcgetattr(&master).unwrap();
    termios.make_raw();
    tcsetattr(&master, OptionalActions::Now, &termios).unwrap();
    (File::from(master), path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_on_a_serial_line_arrive_at_ils_and_bytes_from_ils_reach_the_line() {
    let (mut master, slave) = pty();
    let ils = FakeIls::start().await;
    let (_tmp, dir) = data_dir();
    let device = format!(
        "[[device]]\nname = \"refractor\"\nserial = {:?}\nbaud = 2400\ndata_bits = 7\nparity = \"even\"\nstop_bits = 2\n",
        slave.display().to_string()
    );
    let bridge = Bridge::start(&ils.url(), &dir, &device);
    ils.wait("the port to be opened", |w| w.links("refractor") == [true]).await;

    let transmission = b"\x01NIDEK RT-5100 ID\r\x02FR-0.25-0.50 90\r\x02FL+0.25-0.25 85\r\x04";
    master.write_all(transmission).unwrap();
    let world = ils.wait("the transmission", |w| w.stream("refractor") == transmission).await;
    assert_eq!(world.gaps, 0);

    ils.send("refractor", 1, b"\x06");
    let mut reader = master.try_clone().unwrap();
    let read = tokio::task::spawn_blocking(move || {
        let mut byte = [0u8; 1];
        reader.read_exact(&mut byte).map(|()| byte)
    });
    let byte = tokio::time::timeout(GUARD, read).await.expect("the bytes reach the line").unwrap().unwrap();
    assert_eq!(byte, [0x06]);
    ils.wait("written", |w| w.times_written("refractor", 1) == 1).await;

    let status = wait_status(&dir, "the written chunk", |s| s.devices[0].last_out_written == 1).await;
    assert_eq!(status.devices[0].transport, format!("serial {} 2400 7E2", slave.display()));
    assert!(status.devices[0].connected);
    bridge.stop().await;
}
