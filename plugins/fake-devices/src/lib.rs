//! Simulated lab devices for the bridge's tests and demos. Each replays a recording over TCP
//! (dialling or listening) or a pseudo-terminal, answering the host's bytes as a real device would.
//!
//! - [`tracer`]: a DCS tracer. It opens the handshake (`REQ=INI`, `REQ=TRC` with its job), sends
//!   a shape, ACKs the host's frames, waits for the host's ACK of its own (resending after a NAK
//!   or a timeout) and checks the host's answers (`STATUS=0`). With reconnects it starts over on
//!   a new connection when the line drops, so the host may see a shape twice.
//! - [`edger`]: a DCS edger. It receives job packets, NAKs a damaged frame, and writes each job
//!   (records one a line) to a file before ACKing it.
//! - [`refractor`]: a Nidek RT-5100-style refractor on a one-way line: it sends a recorded
//!   transmission, in chunks with pauses if asked.
//!
//! Framing, CRCs and records are [`dcs_driver`]'s, the same code the host side runs.
//! [`recording`] reads the tracer's session files (see the README); [`shape`] makes shapes from
//! a formula. A device runs on an [`Endpoint`], opened from a [`Transport`] first so its address
//! (`listening on 127.0.0.1:40123`, `pty /dev/pts/3`) can be given to the host.
//!
//! ```
//! use ils_fake_devices::{Endpoint, RefractorOptions, Transport, run_refractor};
//! use tokio::io::AsyncReadExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut endpoint = Endpoint::open(&Transport::Listen("127.0.0.1:0".parse()?)).await?;
//! let addr = endpoint.local_addr().expect("a listening endpoint has an address");
//! let device = tokio::spawn(async move {
//!     run_refractor(&mut endpoint, b"\x01NIDEK RT-5100\r\x04", &RefractorOptions::default()).await
//! });
//!
//! let mut host = tokio::net::TcpStream::connect(addr).await?;
//! let mut got = Vec::new();
//! host.read_to_end(&mut got).await?; // the device closes its side after the transmission
//! drop(host); // and lets go once the host hangs up
//! assert_eq!(got, b"\x01NIDEK RT-5100\r\x04");
//! assert_eq!(device.await??.transmissions, 1);
//! # Ok(())
//! # }
//! ```

pub mod edger;
pub mod error;
mod line;
mod pty;
pub mod recording;
pub mod refractor;
pub mod shape;
pub mod tracer;
mod transport;

pub use edger::{EdgerOptions, EdgerReport, job_text, run_edger};
pub use error::Error;
pub use line::LinkOptions;
pub use recording::{Step, TracerRecording};
pub use refractor::{RefractorOptions, RefractorReport, run_refractor};
pub use tracer::{TracerOptions, TracerReport, run_tracer};
pub use transport::{Endpoint, Transport};
