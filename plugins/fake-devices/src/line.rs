//! The device side of a DCS link on one [`Port`]: [`dcs_driver::frame::Link`] does the framing,
//! CRCs, ACK/NAK and resends; this drives it with the port's bytes and an ACK timer.
//!
//! A frame the host sends is acknowledged once the device has taken it in (the next call after
//! it was returned), so an ACK means "stored" for the edger and "read" for the tracer; a damaged
//! frame is NAKed at once.

use std::collections::VecDeque;
use std::time::Duration;

use dcs_driver::frame::{ACK, CrcStyle, FS, Link, LinkConfig, LinkEvent};
use tokio::time::Instant;

use crate::error::Error;
use crate::transport::Port;

/// Framing and timing of a device's DCS link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkOptions {
    /// How long the device waits for the host's ACK before sending a frame again.
    pub ack_timeout: Duration,
    /// Resends of one frame (after a NAK or a timeout) before giving up.
    pub retries: u8,
    /// How the CRC is written in frames sent (`CRC=845` or `CRC=00845`).
    pub crc: CrcStyle,
}

impl Default for LinkOptions {
    fn default() -> Self {
        Self { ack_timeout: Duration::from_secs(3), retries: 3, crc: CrcStyle::Plain }
    }
}

/// What [`Line::receive`] found.
pub(crate) enum Received {
    /// An intact frame's body; its ACK goes out on the next call.
    Frame(Vec<u8>),
    /// The host hung up.
    HungUp,
    /// The deadline passed.
    TimedOut,
}

/// Counts kept over a session.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LineStats {
    /// Frames written, resends included.
    pub frames_sent: u32,
    /// Frames written again after a NAK or a timeout.
    pub resends: u32,
    /// Damaged frames from the host, NAKed.
    pub rejected: u32,
}

pub(crate) struct Line<'p> {
    port: Port<'p>,
    link: Link,
    ack_timeout: Duration,
    ack_deadline: Instant,
    /// Intact frames not yet taken by the caller, each still owed its ACK.
    received: VecDeque<Vec<u8>>,
    /// An ACK for the frame the caller took last.
    owed_ack: bool,
    /// A message is sent and not yet acknowledged: frames arriving now answer the one before.
    sending: bool,
    gave_up: Option<u8>,
    buf: Vec<u8>,
    pub(crate) stats: LineStats,
}

impl<'p> Line<'p> {
    pub(crate) fn new(port: Port<'p>, options: LinkOptions) -> Self {
        let config = LinkConfig { max_retries: options.retries, crc_style: options.crc };
        Self {
            port,
            link: Link::new(config),
            ack_timeout: options.ack_timeout,
            ack_deadline: Instant::now(),
            received: VecDeque::new(),
            owed_ack: false,
            sending: false,
            gave_up: None,
            buf: vec![0; 16 * 1024],
            stats: LineStats::default(),
        }
    }

    async fn pay_ack(&mut self) -> Result<(), Error> {
        if std::mem::take(&mut self.owed_ack) {
            self.port.write_all(&[ACK]).await?;
        }
        Ok(())
    }

    async fn apply(&mut self, events: Vec<LinkEvent>) -> Result<(), Error> {
        for event in events {
            match event {
                // The ACK of an intact frame: owed until the caller takes the frame (below).
                LinkEvent::Send(bytes) if bytes == [ACK] => {}
                LinkEvent::Send(bytes) => {
                    if bytes.first() == Some(&FS) {
                        self.stats.frames_sent += 1;
                        self.ack_deadline = Instant::now() + self.ack_timeout;
                    }
                    self.port.write_all(&bytes).await?;
                }
                // The host answers a message only after acknowledging it, so a frame before that
                // ACK is its previous answer again (it missed the device's ACK): ACK it, drop it.
                LinkEvent::Received(_) if self.sending => {
                    tracing::debug!("the host sent its previous answer again");
                    self.port.write_all(&[ACK]).await?;
                }
                LinkEvent::Received(body) => self.received.push_back(body),
                LinkEvent::Rejected(e) => {
                    tracing::warn!(error = %e, "damaged frame from the host, NAKed");
                    self.stats.rejected += 1;
                }
                LinkEvent::Delivered => self.sending = false,
                LinkEvent::GaveUp { attempts } => {
                    self.sending = false;
                    self.gave_up = Some(attempts);
                }
            }
        }
        Ok(())
    }

    /// Reads once (until `deadline`) and feeds the link; `Ok(false)` when the deadline passed.
    async fn pump(&mut self, deadline: Option<Instant>) -> Result<bool, Error> {
        let read = self.port.read(&mut self.buf);
        let n = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, read).await {
                Ok(n) => n?,
                Err(_) => return Ok(false),
            },
            None => read.await?,
        };
        if n == 0 {
            return Err(Error::HungUp);
        }
        let events = self.link.on_bytes(&self.buf[..n]);
        self.apply(events).await?;
        Ok(true)
    }

    /// Sends one message and waits for its ACK, resending after a NAK or `ack_timeout`.
    /// `what` names the message in errors.
    pub(crate) async fn deliver(&mut self, body: &[u8], what: &str) -> Result<(), Error> {
        self.pay_ack().await?;
        let sent_before = self.stats.frames_sent;
        self.sending = true;
        let events = self.link.send(body);
        self.apply(events).await?;
        while self.link.awaiting_ack() {
            if !self.pump(Some(self.ack_deadline)).await? {
                tracing::debug!(message = what, "no ACK in time, sending again");
                let events = self.link.on_timeout();
                self.apply(events).await?;
            }
            if let Some(attempts) = self.gave_up.take() {
                return Err(Error::NoAck { message: what.to_string(), attempts });
            }
        }
        self.stats.resends += (self.stats.frames_sent - sent_before).saturating_sub(1);
        Ok(())
    }

    /// The next intact frame from the host; its ACK goes out on the next call.
    pub(crate) async fn receive(&mut self, deadline: Option<Instant>) -> Result<Received, Error> {
        self.pay_ack().await?;
        loop {
            if let Some(body) = self.received.pop_front() {
                self.owed_ack = true;
                return Ok(Received::Frame(body));
            }
            match self.pump(deadline).await {
                Ok(true) => {}
                Ok(false) => return Ok(Received::TimedOut),
                Err(Error::HungUp) => return Ok(Received::HungUp),
                Err(e) => return Err(e),
            }
        }
    }

    /// Holds the line after the last message, ACKing any resend, until the host hangs up or
    /// `linger` passes, so the last bytes reach it before the device lets go.
    pub(crate) async fn linger(mut self, linger: Duration) {
        let deadline = Instant::now() + linger;
        loop {
            if self.pay_ack().await.is_err() {
                return;
            }
            while self.received.pop_front().is_some() {
                self.owed_ack = true;
                if self.pay_ack().await.is_err() {
                    return;
                }
            }
            if !matches!(self.pump(Some(deadline)).await, Ok(true)) {
                return;
            }
        }
    }
}
