//! # The ILS bridge
//!
//! `ils bridge` runs on site, beside a lab's or practice's devices: a tracer on the LAN, a
//! refractor on a serial line. It connects to each device (a serial port, or TCP: listening for
//! the device or dialling it) and to ILS over one WebSocket, authenticated by an API key with
//! the `devices:connect` scope. It only moves bytes — ILS knows each device's driver — and keeps
//! them safe on the way (docs/adr/049-live-devices.md is the design; its wire table is the
//! contract implemented in this crate).
//!
//! ```no_run
//! # async fn example() -> Result<(), ils_bridge::Error> {
//! let config = ils_bridge::Config::load("/etc/ils-bridge/bridge.toml")?;
//! ils_bridge::run(config, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await?;
//! // Meanwhile, or afterwards, from another process:
//! print!("{}", ils_bridge::status("/var/lib/ils-bridge")?);
//! # Ok(())
//! # }
//! ```
//!
//! ## What it guarantees
//!
//! **Nothing read is lost.** Every entry from a device — `link` up or down, or `bytes` — gets
//! the device's next sequence number and is appended to the journal in the data directory and
//! fsync'd *before* it is sent. It stays there until ILS acknowledges it (`ack` is cumulative),
//! across lost connections and restarts. While ILS cannot be reached the journal simply grows.
//!
//! **In order, exactly once.** ILS applies a device's entry only at its `acked + 1` and
//! acknowledges again, without applying, one it already has. After every (re)connection the
//! bridge says `hello`, waits for `welcome`, drops the entries ILS reports committed and resends
//! the rest in order. Sequence numbers are never reused: the next number is kept on disk, and
//! after a `welcome` the bridge never numbers below ILS's `acked + 1`. (If ILS's count and the
//! journal's disagree — the data directory was lost, or ILS restored from a backup — the waiting
//! entries are renumbered from `acked + 1`, the only number ILS would apply, with a warning.)
//!
//! **Bytes to a device are written once.** ILS's `send` carries an `out_seq`; the bridge writes
//! the chunk, records the `out_seq` (fsync) and answers `written`. A `send` for an `out_seq`
//! already written is answered `written` without writing. One gap remains: if the bridge dies
//! after writing to the device and before recording it, ILS resends and the device gets the
//! chunk twice. The devices' protocols allow for it (a DCS device treats a repeated frame as a
//! resend).
//!
//! **A chunk that cannot be written is not answered.** When the device is not connected, or its
//! line fails mid-write, the bridge logs it, shows it in the status and does not answer
//! `written`; later chunks for that device are refused too (the device must never get them out
//! of order) until ILS resends the unwritten ones after the next `welcome`. The bridge does not
//! hold chunks for a device that is away: what ILS wants written to a device that reconnects is
//! ILS's to resend.
//!
//! ## How it behaves
//!
//! - Devices: a `tcp_listen` device has one connection at a time; a new connection replaces the
//!   old (`link` down, then up). `tcp_connect` and serial devices are reopened with backoff
//!   (0.2 s doubling to 10 s, with jitter) whenever they fail. Bytes that arrive within 5 ms of
//!   each other become one entry, and no byte waits more than 20 ms to be journaled.
//! - ILS: `{server}/api/v1/bridge` (`http` → `ws`, `https` → `wss` with rustls and Mozilla's
//!   roots), reconnected with the same backoff. A refused key (401 or 403) is shown as such and
//!   tried again every minute. The bridge pings every 15 s and drops a connection silent for 45 s.
//! - State: `status.json` in the data directory (see [`Status`]), rewritten on every change and
//!   every 10 s; [`status`] reads it, and its `Display` is the table `ils bridge status` prints.
//!   A lock file keeps a second bridge off the same data directory.
//! - The unacknowledged entries are also held in memory (they are what a resend sends), so a
//!   very long outage costs memory as well as disk.
//!
//! [`run`] returns when its shutdown future resolves: the devices' lines are closed (each
//! journals its `link` down and its last bytes), what is queued for ILS is sent, and the status
//! says `stopped`.

mod backoff;
mod bridge;
mod config;
mod device;
mod error;
mod ils;
mod journal;
mod status;
mod wire;

pub use bridge::run;
pub use config::{
    Config, ConfigError, DataBits, DeviceConfig, KEY_ENV, Overrides, Parity, SerialSettings, StopBits,
    Transport,
};
pub use error::Error;
pub use status::{ConnectionState, ConnectionStatus, DeviceStatus, Status, status};
