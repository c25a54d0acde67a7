//! An ILS equipment driver for the Vision Council Data Communication Standard (DCS): tracers,
//! lensmeters and edgers talk it over serial lines and TCP.
//!
//! - [`record`]: `LABEL=value;value` records, parsed and written (vendor `_` records untouched).
//! - [`frame`]: `FS … RS CRC=… GS` frames with CRC-16/XMODEM, and the ACK/NAK [`frame::Link`].
//! - [`session`]: the tracer handshake (INI, TRC) as a state machine the host drives.
//! - [`edger`]: jobs sent to an edger, ACKed or failed, as a state machine the host drives.
//! - [`device_link`]: live sessions whose state the host keeps as bytes between calls.
//! - [`trace`]: TRCFMT 1 shapes, with their box and circumference.
//! - [`power`]: lens powers ([`ils_optics::Power`]), parsed from orders and written as DCS writes them.
//! - [`job`]: a lab order (JSON) written as a DCS job, and read back.
//! - [`measure`]: device output to measurements.
//!
//! As a plugin it provides `equipment-driver`: [`Plugin::decode`] turns device output into
//! measurements, [`Plugin::encode_job`] turns a job into a DCS packet. Every parser is a pure
//! function from bytes that returns an error naming the line, the label and the problem.
//!
//! It provides `device-link` too: live sessions, by the `device` name's model. A `tracer` sends
//! shapes (the INI/TRC handshake, host side: [`session::TracerSession`]); an `edger` is sent jobs
//! ([`edger::EdgerSession`]); `tracer/crc5` and `edger/crc5` zero-pad the CRC of frames sent.
//! [`Plugin::open_session`] starts one, [`Plugin::feed_session`] gives it the device's bytes,
//! [`Plugin::wake_session`] tells it its ACK timer ran out, [`Plugin::send_job_in_session`]
//! sends a job to an edger. Each call takes the state the last one returned (versioned JSON,
//! see [`device_link`]) and returns the next with the bytes to send and what happened.
//!
//! ```
//! use dcs_driver::{frame, measure, trace};
//!
//! let body = b"DO=B\r\nSPH=-1.75;-1.50\r\nTRCFMT=1;4;E;B;F\r\nR=2500;2000;2500;2000\r\n";
//! let packet = frame::encode(body, frame::CrcStyle::Plain);
//! let values = measure::decode_output(&packet).unwrap();
//! assert_eq!((values[0].name.as_str(), values[0].value), ("sphere", -1.75));
//! let shape = &trace::parse(body).unwrap()[0];
//! assert!((shape.size().hbox_mm - 50.0).abs() < 1e-9);
//! ```

pub mod device_link;
pub mod edger;
pub mod error;
pub mod frame;
pub mod job;
pub mod measure;
pub mod power;
pub mod record;
pub mod session;
mod stored;
pub mod trace;
pub mod values;

use ils_plugin_sdk::{DeviceStep, Measurement, Plugin, export_plugin};

pub use error::{Error, ErrorKind};

/// How [`DcsDriver`] frames a job, from the device name's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// `FS … GS` with a plain decimal CRC (any device name).
    Framed,
    /// `FS … GS` with the CRC zero-padded to 5 digits (a name ending `/crc5`).
    FramedPadded,
    /// Records only, for files and devices that frame themselves (a name ending `/records`).
    Records,
}

impl Output {
    /// The output for a device name.
    pub fn for_device(device: &str) -> Self {
        if device.ends_with("/crc5") {
            Output::FramedPadded
        } else if device.ends_with("/records") {
            Output::Records
        } else {
            Output::Framed
        }
    }
}

/// Encodes a job (JSON, see [`job::Job`]) for a device: a pure entry point.
pub fn encode_job(job_json: &str, output: Output) -> Result<Vec<u8>, Error> {
    let body = job::Job::from_json(job_json)?.to_document()?.to_bytes();
    Ok(match output {
        Output::Framed => frame::encode(&body, frame::CrcStyle::Plain),
        Output::FramedPadded => frame::encode(&body, frame::CrcStyle::Padded),
        Output::Records => body,
    })
}

/// The plugin.
pub struct DcsDriver;

impl Plugin for DcsDriver {
    fn decode(device: &str, data: &[u8]) -> Result<Vec<Measurement>, ils_plugin_sdk::Error> {
        let _ = device; // DCS is the same for every device; the labels say what was measured.
        Ok(measure::decode_output(data)?)
    }

    fn encode_job(device: &str, job: &str) -> Result<Vec<u8>, ils_plugin_sdk::Error> {
        Ok(encode_job(job, Output::for_device(device))?)
    }

    fn open_session(device: &str) -> Result<DeviceStep, ils_plugin_sdk::Error> {
        Ok(device_link::open(device)?)
    }

    fn feed_session(device: &str, state: &[u8], bytes: &[u8]) -> Result<DeviceStep, ils_plugin_sdk::Error> {
        Ok(device_link::feed(device, state, bytes)?)
    }

    fn wake_session(device: &str, state: &[u8]) -> Result<DeviceStep, ils_plugin_sdk::Error> {
        Ok(device_link::wake(device, state)?)
    }

    fn send_job_in_session(
        device: &str,
        state: &[u8],
        job: &str,
    ) -> Result<DeviceStep, ils_plugin_sdk::Error> {
        Ok(device_link::send_job(device, state, job)?)
    }
}

export_plugin!(DcsDriver);
