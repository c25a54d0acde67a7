//! The framed session: `FS records RS CRC=<decimal> CRLF GS`, answered by ACK or NAK.
//!
//! - [`crc16_xmodem`] over the body: the records **and the RS** after them; FS is not covered.
//! - [`encode`] and [`decode`] turn one body into one frame and back.
//! - [`Deframer`] cuts a byte stream into frames, ACKs and NAKs.
//! - [`Link`] is the stop-and-wait sender/receiver: ACK or NAK each frame received, resend a frame
//!   after a NAK or a timeout, give up after `max_retries` resends. It does no I/O: the host feeds
//!   it bytes and timeouts and sends what it returns.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::stored::Bytes;

/// File separator: starts a frame.
pub const FS: u8 = 0x1C;
/// Group separator: ends a frame.
pub const GS: u8 = 0x1D;
/// Record separator: ends the records, before the CRC.
pub const RS: u8 = 0x1E;
/// Positive acknowledgement.
pub const ACK: u8 = 0x06;
/// Negative acknowledgement: the sender resends.
pub const NAK: u8 = 0x15;

/// The largest frame accepted; a longer one is dropped (a 1000-point trace is about 6 KiB).
pub const MAX_FRAME: usize = 256 * 1024;

/// CRC-16/XMODEM: poly 0x1021, init 0, no reflection, no final xor.
///
/// ```
/// assert_eq!(dcs_driver::frame::crc16_xmodem(b"123456789"), 0x31C3);
/// ```
pub fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

/// How the CRC is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrcStyle {
    /// Plain decimal (`CRC=845`).
    #[default]
    Plain,
    /// Zero-padded to 5 digits (`CRC=00845`), for devices that want it.
    Padded,
}

/// Frames a body (records as [`crate::record::emit`] writes them).
pub fn encode(body: &[u8], style: CrcStyle) -> Vec<u8> {
    let mut covered = Vec::with_capacity(body.len() + 1);
    covered.extend_from_slice(body);
    covered.push(RS);
    let crc = crc16_xmodem(&covered);
    let mut out = Vec::with_capacity(covered.len() + 14);
    out.push(FS);
    out.extend_from_slice(&covered);
    match style {
        CrcStyle::Plain => out.extend_from_slice(format!("CRC={crc}\r\n").as_bytes()),
        CrcStyle::Padded => out.extend_from_slice(format!("CRC={crc:05}\r\n").as_bytes()),
    }
    out.push(GS);
    out
}

fn frame_error(message: &str) -> Error {
    Error::new(ErrorKind::Frame(message.to_string()))
}

/// Reads one frame, `FS … GS` exactly, and returns its body (the records, without RS) after
/// checking the CRC. The CRC may be plain or zero-padded; the line after it ends CRLF or LF.
pub fn decode(frame: &[u8]) -> Result<&[u8]> {
    let inner = frame
        .strip_prefix(&[FS])
        .ok_or_else(|| frame_error("does not start with FS (0x1C)"))?
        .strip_suffix(&[GS])
        .ok_or_else(|| frame_error("does not end with GS (0x1D)"))?;
    let rs =
        inner.iter().rposition(|&b| b == RS).ok_or_else(|| frame_error("no RS (0x1E) before the CRC"))?;
    let (covered, trailer) = inner.split_at(rs + 1);
    let body = &covered[..rs];
    let line = trailer
        .strip_suffix(b"\r\n")
        .or_else(|| trailer.strip_suffix(b"\n"))
        .ok_or_else(|| frame_error("the CRC line does not end with CRLF"))?;
    let digits = line.strip_prefix(b"CRC=").ok_or_else(|| frame_error("no `CRC=` after RS"))?;
    let written = parse_crc(digits).ok_or_else(|| {
        Error::in_label(
            "CRC",
            ErrorKind::BadValue {
                index: 1,
                value: String::from_utf8_lossy(digits).into_owned(),
                expected: "a decimal number 0–65535".into(),
            },
        )
    })?;
    let computed = crc16_xmodem(covered);
    if written != computed {
        return Err(Error::new(ErrorKind::CrcMismatch { written, computed }));
    }
    Ok(body)
}

fn parse_crc(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// What a [`Deframer`] found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// An ACK byte outside a frame.
    Ack,
    /// A NAK byte outside a frame.
    Nak,
    /// A whole frame, `FS … GS`, not yet checked (see [`decode`]).
    Frame(Vec<u8>),
    /// A frame longer than [`MAX_FRAME`] was dropped.
    Overflow,
}

/// Cuts a byte stream into frames, ACKs and NAKs. Other bytes between frames are line noise
/// and are dropped; an FS inside a frame starts the frame again (the sender restarted).
///
/// It serialises (serde) with the frame it has begun, so a frame may span stored steps.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deframer {
    buffer: Bytes,
    in_frame: bool,
}

impl Deframer {
    /// A deframer with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns what they completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Incoming> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == FS {
                self.buffer.clear();
                self.buffer.push(b);
                self.in_frame = true;
            } else if self.in_frame {
                if self.buffer.len() >= MAX_FRAME {
                    self.buffer.clear();
                    self.in_frame = false;
                    out.push(Incoming::Overflow);
                    continue;
                }
                self.buffer.push(b);
                if b == GS {
                    self.in_frame = false;
                    out.push(Incoming::Frame(std::mem::take(&mut self.buffer.0)));
                }
            } else if b == ACK {
                out.push(Incoming::Ack);
            } else if b == NAK {
                out.push(Incoming::Nak);
            }
        }
        out
    }
}

/// Settings of a [`Link`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    /// Resends of one frame after a NAK or timeout before giving up.
    pub max_retries: u8,
    /// How the CRC is written in frames sent.
    pub crc_style: CrcStyle,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self { max_retries: 3, crc_style: CrcStyle::Plain }
    }
}

/// What a [`Link`] asks of its host, or tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    /// Send these bytes to the device.
    Send(Vec<u8>),
    /// A frame arrived intact (and was ACKed): its body.
    Received(Vec<u8>),
    /// A frame arrived damaged and was NAKed.
    Rejected(Error),
    /// The frame in flight was acknowledged.
    Delivered,
    /// The frame in flight was not acknowledged after every retry; it is dropped.
    GaveUp {
        /// How many times it was sent.
        attempts: u8,
    },
}

/// Stop-and-wait over one serial or TCP connection.
///
/// It serialises (serde) with everything it holds: a frame begun, the frame in flight and how
/// often it was sent, the frames queued behind it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    config: LinkConfig,
    deframer: Deframer,
    in_flight: Option<(Bytes, u8)>,
    queue: std::collections::VecDeque<Bytes>,
}

impl Link {
    /// A link with `config`.
    pub fn new(config: LinkConfig) -> Self {
        Self { config, ..Self::default() }
    }

    /// Whether a frame waits for its ACK (the host should run a timer).
    pub fn awaiting_ack(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Queues a body to send; sends it now unless another frame waits for its ACK.
    pub fn send(&mut self, body: &[u8]) -> Vec<LinkEvent> {
        self.queue.push_back(encode(body, self.config.crc_style).into());
        self.next()
    }

    fn next(&mut self) -> Vec<LinkEvent> {
        if self.in_flight.is_some() {
            return Vec::new();
        }
        match self.queue.pop_front() {
            Some(frame) => {
                self.in_flight = Some((frame.clone(), 1));
                vec![LinkEvent::Send(frame.0)]
            }
            None => Vec::new(),
        }
    }

    fn resend(&mut self) -> Vec<LinkEvent> {
        let Some((frame, attempts)) = self.in_flight.take() else { return Vec::new() };
        // `u8::MAX`: a stored link with `max_retries` 255 gives up rather than overflow.
        if attempts > self.config.max_retries || attempts == u8::MAX {
            let mut out = vec![LinkEvent::GaveUp { attempts }];
            out.extend(self.next());
            return out;
        }
        self.in_flight = Some((frame.clone(), attempts + 1));
        vec![LinkEvent::Send(frame.0)]
    }

    /// Feeds bytes received from the device.
    pub fn on_bytes(&mut self, bytes: &[u8]) -> Vec<LinkEvent> {
        let mut out = Vec::new();
        for incoming in self.deframer.push(bytes) {
            match incoming {
                Incoming::Ack => {
                    if self.in_flight.take().is_some() {
                        out.push(LinkEvent::Delivered);
                        out.extend(self.next());
                    }
                }
                Incoming::Nak => out.extend(self.resend()),
                Incoming::Frame(frame) => match decode(&frame) {
                    Ok(body) => {
                        out.push(LinkEvent::Send(vec![ACK]));
                        out.push(LinkEvent::Received(body.to_vec()));
                    }
                    Err(e) => {
                        out.push(LinkEvent::Send(vec![NAK]));
                        out.push(LinkEvent::Rejected(e));
                    }
                },
                Incoming::Overflow => {
                    out.push(LinkEvent::Send(vec![NAK]));
                    out.push(LinkEvent::Rejected(frame_error("longer than the 256 KiB limit")));
                }
            }
        }
        out
    }

    /// The host's timer for the frame in flight ran out: resend it, or give up.
    pub fn on_timeout(&mut self) -> Vec<LinkEvent> {
        self.resend()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_xmodem() {
        assert_eq!(crc16_xmodem(b"123456789"), 0x31C3);
        assert_eq!(crc16_xmodem(b""), 0);
        assert_eq!(crc16_xmodem(b"A"), 0x58E5);
    }

    #[test]
    fn frames_cover_body_and_rs_in_decimal() {
        let frame = encode(b"REQ=INI\r\n", CrcStyle::Plain);
        let crc = crc16_xmodem(b"REQ=INI\r\n\x1e");
        let mut expected = b"\x1cREQ=INI\r\n\x1e".to_vec();
        expected.extend_from_slice(format!("CRC={crc}\r\n\x1d").as_bytes());
        assert_eq!(frame, expected);
        assert_eq!(decode(&frame).unwrap(), b"REQ=INI\r\n");
        let padded = encode(b"A=1\r\n", CrcStyle::Padded);
        let crc = crc16_xmodem(b"A=1\r\n\x1e");
        assert!(padded.ends_with(format!("CRC={crc:05}\r\n\x1d").as_bytes()));
        assert_eq!(decode(&padded).unwrap(), b"A=1\r\n");
    }

    #[test]
    fn damaged_frames_are_refused_precisely() {
        let mut frame = encode(b"JOB=1\r\n", CrcStyle::Plain);
        frame[5] = b'2';
        assert!(matches!(decode(&frame).unwrap_err().kind, ErrorKind::CrcMismatch { .. }));
        assert!(decode(b"JOB=1\r\n\x1eCRC=1\r\n\x1d").unwrap_err().to_string().contains("FS"));
        assert!(decode(b"\x1cJOB=1\r\nCRC=1\r\n\x1d").unwrap_err().to_string().contains("RS"));
        let err = decode(b"\x1cJOB=1\r\n\x1eCRC=99999\r\n\x1d").unwrap_err();
        assert_eq!(err.to_string(), "CRC: value 1 \"99999\" is not a decimal number 0–65535");
        assert!(decode(b"\x1c\x1eCRC=\r\n\x1d").is_err());
        assert!(decode(b"").is_err());
        assert!(decode(b"\x1c\x1d").is_err());
    }

    #[test]
    fn a_crc_line_may_end_lf_and_an_fs_restarts_a_frame() {
        let crc = crc16_xmodem(b"A=1\r\n\x1e");
        let lf = format!("\x1cA=1\r\n\x1eCRC={crc}\n\x1d");
        assert_eq!(decode(lf.as_bytes()).unwrap(), b"A=1\r\n");
        let mut d = Deframer::new();
        let restarted = [&b"\x1cJOB=trunc"[..], &encode(b"A=1\r\n", CrcStyle::Plain)].concat();
        assert_eq!(d.push(&restarted), [Incoming::Frame(encode(b"A=1\r\n", CrcStyle::Plain))]);
    }

    #[test]
    fn an_endless_frame_is_dropped_at_the_limit() {
        let mut d = Deframer::new();
        let mut out = d.push(&[FS]);
        out.extend(d.push(&vec![b'x'; MAX_FRAME]));
        assert_eq!(out, [Incoming::Overflow]);
        assert_eq!(d.push(&[ACK]), [Incoming::Ack], "back outside a frame");
    }

    #[test]
    fn link_resends_after_nak_and_timeout_then_gives_up() {
        let mut link = Link::new(LinkConfig { max_retries: 2, crc_style: CrcStyle::Plain });
        let frame = encode(b"ANS=INI\r\n", CrcStyle::Plain);
        assert_eq!(link.send(b"ANS=INI\r\n"), [LinkEvent::Send(frame.clone())]);
        assert!(link.send(b"X=1\r\n").is_empty(), "waits for the ACK of the first");
        assert_eq!(link.on_bytes(&[NAK]), [LinkEvent::Send(frame.clone())]);
        assert_eq!(link.on_timeout(), [LinkEvent::Send(frame.clone())]);
        let next = encode(b"X=1\r\n", CrcStyle::Plain);
        assert_eq!(link.on_timeout(), [LinkEvent::GaveUp { attempts: 3 }, LinkEvent::Send(next)]);
        assert_eq!(link.on_bytes(&[ACK]), [LinkEvent::Delivered]);
        assert!(!link.awaiting_ack());
        assert!(link.on_bytes(&[ACK]).is_empty(), "a stray ACK is ignored");
    }

    #[test]
    fn link_acks_good_frames_and_naks_bad_ones_across_chunks() {
        let mut link = Link::default();
        let frame = encode(b"REQ=INI\r\n", CrcStyle::Padded);
        let (a, b) = frame.split_at(4);
        assert!(link.on_bytes(a).is_empty());
        assert_eq!(
            link.on_bytes(&[b, b"noise"].concat()),
            [LinkEvent::Send(vec![ACK]), LinkEvent::Received(b"REQ=INI\r\n".to_vec())]
        );
        let mut bad = frame.clone();
        bad[2] = b'X';
        let out = link.on_bytes(&bad);
        assert_eq!(out[0], LinkEvent::Send(vec![NAK]));
        assert!(matches!(&out[1], LinkEvent::Rejected(e) if matches!(e.kind, ErrorKind::CrcMismatch { .. })));
    }
}
