//! A refractor on a one-way RS-232 line (Nidek RT-5100 style): it sends a recorded
//! transmission to the host, in chunks with pauses if asked, and never reads an answer.

use std::time::Duration;

use crate::error::Error;
use crate::transport::{Endpoint, Port};

/// How a refractor sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefractorOptions {
    /// Bytes per write (the whole transmission at once when `None`).
    pub chunk: Option<usize>,
    /// The pause between chunks, as a slow serial line would make.
    pub delay: Duration,
    /// Send the transmission again and again until the host hangs up.
    pub repeat: bool,
    /// The pause between transmissions when repeating.
    pub pause: Duration,
    /// After the last transmission, how long to hold the line for the host to read it and hang
    /// up (`None`: until it does). On a pty, what the host has not read when the device lets go
    /// is lost.
    pub linger: Option<Duration>,
}

impl Default for RefractorOptions {
    fn default() -> Self {
        Self {
            chunk: None,
            delay: Duration::ZERO,
            repeat: false,
            pause: Duration::from_secs(1),
            linger: None,
        }
    }
}

/// What a refractor sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefractorReport {
    /// Whole transmissions sent.
    pub transmissions: u32,
    /// Bytes written.
    pub bytes: usize,
}

async fn send(
    port: &mut Port<'_>,
    data: &[u8],
    options: &RefractorOptions,
    report: &mut RefractorReport,
) -> Result<(), Error> {
    let size = options.chunk.unwrap_or(data.len()).max(1);
    for (i, chunk) in data.chunks(size).enumerate() {
        if i > 0 && !options.delay.is_zero() {
            tokio::time::sleep(options.delay).await;
        }
        port.write_all(chunk).await?;
        report.bytes += chunk.len();
    }
    report.transmissions += 1;
    Ok(())
}

/// Sends `transmission` to the host on `endpoint` (once, or until it hangs up with `repeat`).
pub async fn run_refractor(
    endpoint: &mut Endpoint,
    transmission: &[u8],
    options: &RefractorOptions,
) -> Result<RefractorReport, Error> {
    let mut port = endpoint.session().await?;
    let mut report = RefractorReport::default();
    loop {
        match send(&mut port, transmission, options, &mut report).await {
            Ok(()) => {}
            // Repeating ends when the host goes.
            Err(e) if options.repeat && e.is_link_drop() && report.transmissions > 0 => return Ok(report),
            Err(e) => return Err(e),
        }
        if !options.repeat {
            break;
        }
        if port.wait_hang_up(Some(options.pause)).await {
            return Ok(report);
        }
    }
    port.finish_sending().await;
    port.wait_hang_up(options.linger).await;
    Ok(report)
}
