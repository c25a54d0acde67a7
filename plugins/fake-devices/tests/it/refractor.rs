use std::time::Duration;

use ils_fake_devices::{Endpoint, RefractorOptions, RefractorReport, Transport, run_refractor};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fs::{Mode, OFlags};
use rustix::termios::{InputModes, LocalModes, OutputModes, tcgetattr};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::{GUARD, guard, recording};

const EOT: u8 = 0x04;

#[test]
fn a_refractor_on_a_pty_sends_its_transmission_byte_for_byte() {
    let transmission = std::fs::read(recording("refractor-rt5100.txt")).unwrap();
    assert!(transmission.contains(&b'\r'), "CR line ends, which a cooked tty would turn into LF");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut endpoint = runtime.block_on(Endpoint::open(&Transport::Pty)).unwrap();
    let path = endpoint.pty_path().unwrap().to_path_buf();
    assert!(path.starts_with("/dev/pts"), "{}", path.display());
    assert_eq!(endpoint.announcement(), Some(format!("pty {}", path.display())));
    let options =
        RefractorOptions { chunk: Some(16), delay: Duration::from_millis(2), ..RefractorOptions::default() };
    let data = transmission.clone();
    let device = runtime.spawn(async move { run_refractor(&mut endpoint, &data, &options).await });

    // The host opens the slave as a serial port: raw, as the device set it.
    let port =
        rustix::fs::open(&path, OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC, Mode::empty()).unwrap();
    let termios = tcgetattr(&port).unwrap();
    assert!(!termios.local_modes.intersects(LocalModes::ICANON | LocalModes::ECHO | LocalModes::ISIG));
    assert!(
        !termios
            .input_modes
            .intersects(InputModes::ICRNL | InputModes::INLCR | InputModes::IGNCR | InputModes::IXON)
    );
    assert!(!termios.output_modes.contains(OutputModes::OPOST));

    let mut got = Vec::new();
    while got.last() != Some(&EOT) {
        let mut fds = [PollFd::new(&port, PollFlags::IN)];
        let timeout = Timespec { tv_sec: GUARD.as_secs() as i64, tv_nsec: 0 };
        assert_eq!(poll(&mut fds, Some(&timeout)).unwrap(), 1, "nothing for {GUARD:?} after {got:?}");
        let mut buf = [0; 256];
        let n = rustix::io::read(&port, &mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, transmission);

    // The host closes the port: the device, holding the line until then, is done.
    drop(port);
    let report = runtime.block_on(guard("the device", device)).unwrap().unwrap();
    assert_eq!(report, RefractorReport { transmissions: 1, bytes: transmission.len() });
}

#[tokio::test]
async fn a_repeating_refractor_sends_until_the_host_hangs_up() {
    let transmission = std::fs::read(recording("refractor-rt5100.txt")).unwrap();
    let mut endpoint = Endpoint::open(&Transport::Listen("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let addr = endpoint.local_addr().unwrap();
    let options =
        RefractorOptions { repeat: true, pause: Duration::from_millis(10), ..RefractorOptions::default() };
    let data = transmission.clone();
    let device = tokio::spawn(async move { run_refractor(&mut endpoint, &data, &options).await });

    let mut stream = guard("connect", TcpStream::connect(addr)).await.unwrap();
    let mut got = vec![0; transmission.len() * 2];
    guard("two transmissions", stream.read_exact(&mut got)).await.unwrap();
    assert_eq!(got, [transmission.as_slice(), transmission.as_slice()].concat());
    drop(stream);
    let report = guard("the device", device).await.unwrap().unwrap();
    assert!(report.transmissions >= 2, "{report:?}");
}
