//! Devices on a serial port. `serialport` is blocking: a thread reads the port and hands what it
//! reads to the device's task through a channel; writes run on tokio's blocking pool. Any tty
//! works, a pseudo-terminal's slave side included (the tests use one).

use std::io::{self, Read as _, Write as _};
use std::time::Duration;

use serialport::TTYPort;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{DeviceEvent, Line, Reader, STEADY, Writer};
use crate::backoff::Backoff;
use crate::config::{DataBits, Parity, SerialSettings, StopBits};

/// How often the reading thread looks up from the port to see whether it should stop.
const READ_TIMEOUT: Duration = Duration::from_millis(100);
/// How long a write may wait for the port to take more bytes before the line counts as failed.
const WRITE_STALL: Duration = Duration::from_secs(30);

/// Opens the port and keeps opening it again, with backoff, whenever it fails.
pub(super) async fn run(settings: SerialSettings, mut line: Line) {
    let mut backoff = Backoff::new();
    let path = settings.path.display().to_string();
    loop {
        let opening = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || open(&settings))
        };
        match line.while_down(opening).await {
            None => return,
            Some(Ok(Ok((port, writer_port)))) => {
                tracing::info!(port = %path, "opened the serial port");
                line.events.send(DeviceEvent::Up { peer: None }).await;
                let started = Instant::now();
                let (tx, rx) = mpsc::channel(64);
                let thread = std::thread::Builder::new()
                    .name(format!("serial {path}"))
                    .spawn(move || read_thread(port, tx));
                let thread = match thread {
                    Ok(thread) => thread,
                    Err(e) => {
                        line.events
                            .send(DeviceEvent::Down { reason: format!("could not start reading: {e}") })
                            .await;
                        if !line.pause(backoff.next_delay()).await {
                            return;
                        }
                        continue;
                    }
                };
                let mut reader = Reader::Serial(SerialReader { rx });
                let mut writer = Writer::Serial(SerialWriter { port: Some(writer_port) });
                let stopped = line.stopped();
                let until = async {
                    stopped.await;
                    "the bridge is stopping".to_string()
                };
                let reason = line.serve(&mut reader, &mut writer, until).await;
                // Let go of the port (both descriptors) before reopening it: it is opened
                // exclusively.
                drop((reader, writer));
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
                tracing::info!(port = %path, %reason, "closed the serial port");
                line.events.send(DeviceEvent::Down { reason }).await;
                if line.stopping() {
                    return;
                }
                if started.elapsed() >= STEADY {
                    backoff.reset();
                }
            }
            Some(Ok(Err(e))) => line.events.problem(format!("could not open {path}: {e}")).await,
            Some(Err(e)) => line.events.problem(format!("could not open {path}: {e}")).await,
        }
        if !line.pause(backoff.next_delay()).await {
            return;
        }
    }
}

/// Opens the port with its line settings; returns it and a clone for writing.
fn open(settings: &SerialSettings) -> serialport::Result<(TTYPort, TTYPort)> {
    let data_bits = match settings.data_bits {
        DataBits::Five => serialport::DataBits::Five,
        DataBits::Six => serialport::DataBits::Six,
        DataBits::Seven => serialport::DataBits::Seven,
        DataBits::Eight => serialport::DataBits::Eight,
    };
    let parity = match settings.parity {
        Parity::None => serialport::Parity::None,
        Parity::Even => serialport::Parity::Even,
        Parity::Odd => serialport::Parity::Odd,
    };
    let stop_bits = match settings.stop_bits {
        StopBits::One => serialport::StopBits::One,
        StopBits::Two => serialport::StopBits::Two,
    };
    let port = serialport::new(settings.path.to_string_lossy(), settings.baud)
        .data_bits(data_bits)
        .parity(parity)
        .stop_bits(stop_bits)
        .flow_control(serialport::FlowControl::None)
        .timeout(READ_TIMEOUT)
        .open_native()?;
    let writer = port.try_clone_native()?;
    Ok((port, writer))
}

/// Reads until the port fails or the task drops its receiver.
fn read_thread(mut port: TTYPort, tx: mpsc::Sender<io::Result<Vec<u8>>>) {
    let mut buf = vec![0u8; 4096];
    loop {
        if tx.is_closed() {
            return;
        }
        match port.read(&mut buf) {
            Ok(0) => {
                let _ =
                    tx.blocking_send(Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the port closed")));
                return;
            }
            Ok(n) => {
                if tx.blocking_send(Ok(buf[..n].to_vec())).is_err() {
                    return;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                ) => {}
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    }
}

/// What the reading thread hands over.
pub(crate) struct SerialReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
}

impl SerialReader {
    pub(super) async fn read_into(&mut self, pending: &mut Vec<u8>) -> io::Result<usize> {
        match self.rx.recv().await {
            Some(Ok(chunk)) => {
                pending.extend_from_slice(&chunk);
                Ok(chunk.len())
            }
            Some(Err(e)) => Err(e),
            None => Err(io::Error::other("the reading thread stopped")),
        }
    }
}

/// The port's writing clone; lent to the blocking pool for each write.
pub(crate) struct SerialWriter {
    port: Option<TTYPort>,
}

impl SerialWriter {
    pub(super) async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        let mut port = self.port.take().ok_or_else(|| io::Error::other("an earlier write was abandoned"))?;
        let data = data.to_vec();
        let (port, result) = tokio::task::spawn_blocking(move || {
            let result = write_fully(&mut port, &data);
            (port, result)
        })
        .await
        .map_err(io::Error::other)?;
        self.port = Some(port);
        result
    }
}

fn write_fully(port: &mut TTYPort, mut data: &[u8]) -> io::Result<()> {
    let mut stalled_since: Option<std::time::Instant> = None;
    while !data.is_empty() {
        match port.write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                data = &data[n..];
                stalled_since = None;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                ) =>
            {
                let since = *stalled_since.get_or_insert_with(std::time::Instant::now);
                if since.elapsed() >= WRITE_STALL {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "the port took no bytes for 30 s"));
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
