//! The binary: its first line on stdout says where it is.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use dcs_driver::frame::ACK;
use dcs_driver::{Output, encode_job};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fs::{Mode, OFlags};

use crate::{GUARD, recording};

/// The device process, killed if the test fails before it exits.
struct Device {
    child: Child,
    stdout: Receiver<String>,
}

impl Device {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ils-fake-devices"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, stdout) = channel();
        std::thread::spawn(move || {
            for line in out.lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self { child, stdout }
    }

    fn line(&self) -> String {
        self.stdout.recv_timeout(GUARD).expect("a line on stdout")
    }

    fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + GUARD;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the device did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_refractor_binary_tells_its_port_then_sends_the_file() {
    let file = recording("refractor-rt5100.txt");
    let mut device = Device::start(&[
        "refractor",
        "--listen",
        "127.0.0.1:0",
        "--chunk",
        "64",
        "--delay-ms",
        "1",
        file.to_str().unwrap(),
    ]);
    let first = device.line();
    let addr = first.strip_prefix("listening on ").unwrap_or_else(|| panic!("{first:?}"));
    assert!(!addr.ends_with(":0"), "{addr}");

    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(GUARD)).unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    assert_eq!(got, std::fs::read(&file).unwrap());
    drop(stream);
    assert!(device.wait().success());
}

#[test]
fn the_edger_binary_on_a_pty_acks_and_prints_the_job() {
    let mut device = Device::start(&["edger", "--pty", "--jobs", "1"]);
    let first = device.line();
    let path = first.strip_prefix("pty ").unwrap_or_else(|| panic!("{first:?}"));

    let port =
        rustix::fs::open(path, OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC, Mode::empty()).unwrap();
    let job = serde_json::json!({
        "number": "R-1001",
        "rx": { "right": { "sphere": "+1.00" }, "left": { "sphere": "+1.25" } },
        "lens": { "type": "single_vision", "material": "plastic", "index": 1.5 },
        "frame": { "shapes": [{ "side": "both", "source": "frame",
                                "radii": ils_fake_devices::shape::ellipse(5137, 4006, 400) }] }
    });
    let packet = encode_job(&job.to_string(), Output::Framed).unwrap();
    let mut writer = std::fs::File::from(port.try_clone().unwrap());
    writer.write_all(&packet).unwrap();
    let mut fds = [PollFd::new(&port, PollFlags::IN)];
    let timeout = Timespec { tv_sec: GUARD.as_secs() as i64, tv_nsec: 0 };
    assert_eq!(poll(&mut fds, Some(&timeout)).unwrap(), 1, "no answer from the edger");
    let mut answer = [0];
    assert_eq!(rustix::io::read(&port, &mut answer).unwrap(), 1);
    assert_eq!(answer[0], ACK, "the packet's CR LF and separators arrived unchanged");

    let lines: Vec<String> = (0..4).map(|_| device.line()).collect();
    assert_eq!(lines[0], "JOB=R-1001");
    drop((writer, port));
    assert!(device.wait().success());
}
