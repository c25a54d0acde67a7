//! What the running bridge shows: `status.json` in the data directory, rewritten (by an atomic
//! rename) on every change, at most a few times a second, and every [`HEARTBEAT`] so a reader can
//! tell a bridge that stopped without saying so. `ils bridge status` prints it as a table.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::Error;

/// The status file in the data directory.
pub const FILE: &str = "status.json";
/// The least time between two writes of the file.
const MIN_INTERVAL: Duration = Duration::from_millis(200);
/// A running bridge rewrites its status at least this often.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// A bridge's state, as its status file says.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Status {
    /// The bridge's name.
    pub bridge: String,
    /// The bridge's version.
    pub version: String,
    /// Its process id.
    pub pid: u32,
    /// ILS's base URL.
    pub server: String,
    /// When the file was written.
    pub updated_at: Timestamp,
    /// The connection to ILS.
    pub connection: ConnectionStatus,
    /// Each configured device, then any device that has entries in the journal but is no longer
    /// configured.
    pub devices: Vec<DeviceStatus>,
}

/// The WebSocket to ILS.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ConnectionStatus {
    /// Where it is.
    pub state: ConnectionState,
    /// Since when.
    pub since: Timestamp,
    /// Why the last attempt or connection failed.
    pub last_error: Option<String>,
    /// The last `error` ILS sent that named no device.
    pub last_ils_error: Option<String>,
}

/// Where the connection to ILS is.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Dialling, or waiting to dial again.
    Connecting,
    /// ILS welcomed the bridge; entries flow.
    Connected,
    /// ILS refused the API key (401 or 403); the bridge retries slowly.
    Refused,
    /// The bridge has stopped.
    Stopped,
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Refused => "refused: the API key was refused",
            Self::Stopped => "stopped",
        })
    }
}

/// One device.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DeviceStatus {
    /// Its name.
    pub name: String,
    /// How it is reached (`tcp listen 0.0.0.0:5450`, `serial /dev/ttyUSB0 2400 7E2`); empty for
    /// a device that is no longer configured.
    pub transport: String,
    /// For `tcp_listen`, the address bound (the port, when the file says 0).
    pub listening: Option<String>,
    /// The address of the device's current (or last) TCP connection.
    pub peer: Option<String>,
    /// Whether the device is connected now.
    pub connected: bool,
    /// Whether ILS knows the device: `false` when its `welcome` listed it as unknown (its bytes
    /// are kept), `None` before the first `welcome`.
    pub registered: Option<bool>,
    /// Entries journaled and not yet acknowledged by ILS.
    pub waiting: u64,
    /// The bytes in those entries.
    pub waiting_bytes: u64,
    /// The last `seq` journaled.
    pub last_seq: u64,
    /// The last `seq` sent to ILS.
    pub last_sent: u64,
    /// The last `seq` ILS acknowledged.
    pub last_acked: u64,
    /// The last `out_seq` written to the device.
    pub last_out_written: u64,
    /// The last problem: a refused dial, a failed write, an `error` from ILS about the device.
    pub last_error: Option<String>,
}

/// Reads the status that the bridge using `data_dir` last wrote.
pub fn status(data_dir: impl AsRef<Path>) -> Result<Status, Error> {
    let path = data_dir.as_ref().join(FILE);
    let text =
        std::fs::read(&path).map_err(|e| Error::Status { path: path.clone(), message: e.to_string() })?;
    serde_json::from_slice(&text).map_err(|e| Error::Status { path, message: e.to_string() })
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let age = Timestamp::now().duration_since(self.updated_at).as_secs();
        writeln!(f, "bridge   {} (ils-bridge {}, pid {})", self.bridge, self.version, self.pid)?;
        write!(f, "updated  {}", self.updated_at.round(jiff::Unit::Second).unwrap_or(self.updated_at))?;
        if self.connection.state != ConnectionState::Stopped && age > 6 * HEARTBEAT.as_secs() as i64 {
            write!(f, " ({age} s ago: is the bridge still running?)")?;
        }
        writeln!(f)?;
        let since = self.connection.since.round(jiff::Unit::Second).unwrap_or(self.connection.since);
        writeln!(f, "ILS      {}: {} since {since}", self.server, self.connection.state)?;
        if let Some(error) = &self.connection.last_error {
            writeln!(f, "         last error: {error}")?;
        }
        if let Some(error) = &self.connection.last_ils_error {
            writeln!(f, "         ILS said: {error}")?;
        }
        writeln!(f)?;

        let header = ["DEVICE", "TRANSPORT", "LINK", "WAITING", "SENT", "ACKED", "WRITTEN", "LAST ERROR"];
        let rows: Vec<[String; 8]> = self
            .devices
            .iter()
            .map(|d| {
                let link = match (d.connected, d.registered) {
                    (_, Some(false)) => {
                        format!("{} (not registered in ILS)", if d.connected { "up" } else { "down" })
                    }
                    (true, _) => "up".to_string(),
                    (false, _) => "down".to_string(),
                };
                let mut transport = d.transport.clone();
                if transport.is_empty() {
                    transport = "(no longer configured)".to_string();
                }
                if let Some(listening) = d.listening.as_ref().filter(|l| !d.transport.ends_with(l.as_str())) {
                    transport.push_str(&format!(" (on {listening})"));
                }
                if let Some(peer) =
                    d.peer.as_ref().filter(|p| d.connected && !d.transport.contains(p.as_str()))
                {
                    transport.push_str(&format!(" (peer {peer})"));
                }
                [
                    d.name.clone(),
                    transport,
                    link,
                    format!("{} ({} B)", d.waiting, d.waiting_bytes),
                    d.last_sent.to_string(),
                    d.last_acked.to_string(),
                    d.last_out_written.to_string(),
                    d.last_error.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: &[String]| -> fmt::Result {
            let last = cells.len() - 1;
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                if i == last {
                    writeln!(f, "{cell}")?;
                } else {
                    write!(f, "{cell:<w$}  ")?;
                }
            }
            Ok(())
        };
        line(f, &header.map(String::from))?;
        for row in &rows {
            line(f, row)?;
        }
        Ok(())
    }
}

/// Writes the latest status whenever it changes (at most every [`MIN_INTERVAL`]) and every
/// [`HEARTBEAT`]; writes it a last time and returns once the sender is dropped.
pub(crate) async fn write_loop(data_dir: PathBuf, mut rx: watch::Receiver<Status>) {
    let mut last = false;
    loop {
        let mut status = rx.borrow_and_update().clone();
        status.updated_at = Timestamp::now();
        let dir = data_dir.clone();
        match tokio::task::spawn_blocking(move || write(&dir, &status)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not write the status file"),
            Err(e) => tracing::warn!(error = %e, "the status writer failed"),
        }
        if last {
            return;
        }
        tokio::time::sleep(MIN_INTERVAL).await;
        // A timeout is the heartbeat; an error means the bridge has stopped: one last write.
        if let Ok(Err(_closed)) = tokio::time::timeout(HEARTBEAT, rx.changed()).await {
            last = true;
        }
    }
}

fn write(data_dir: &Path, status: &Status) -> std::io::Result<()> {
    let tmp = data_dir.join(format!("{FILE}.tmp"));
    let text = serde_json::to_vec_pretty(status).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, data_dir.join(FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_each_device_and_the_connection() {
        let at: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        let status = Status {
            bridge: "lab-bridge-1".into(),
            version: "0.1.0".into(),
            pid: 42,
            server: "https://ils.example.com/".into(),
            updated_at: at,
            connection: ConnectionStatus {
                state: ConnectionState::Refused,
                since: at,
                last_error: Some("HTTP 401 Unauthorized".into()),
                last_ils_error: None,
            },
            devices: vec![DeviceStatus {
                name: "tracer-1".into(),
                transport: "tcp listen 0.0.0.0:5450".into(),
                listening: Some("0.0.0.0:5450".into()),
                peer: Some("10.0.0.40:50312".into()),
                connected: true,
                registered: Some(false),
                waiting: 3,
                waiting_bytes: 120,
                last_seq: 9,
                last_sent: 8,
                last_acked: 6,
                last_out_written: 2,
                last_error: None,
            }],
        };
        let text = status.to_string();
        assert!(text.contains("refused: the API key was refused since 2026-03-01T10:00:00Z"), "{text}");
        assert!(text.contains("last error: HTTP 401 Unauthorized"), "{text}");
        assert!(text.contains("is the bridge still running?"), "{text}");
        let row = text.lines().find(|l| l.starts_with("tracer-1")).unwrap();
        let cells: Vec<&str> = row.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
        assert_eq!(
            cells,
            [
                "tracer-1",
                "tcp listen 0.0.0.0:5450 (peer 10.0.0.40:50312)",
                "up (not registered in ILS)",
                "3 (120 B)",
                "8",
                "6",
                "2",
                "-"
            ]
        );
    }
}
