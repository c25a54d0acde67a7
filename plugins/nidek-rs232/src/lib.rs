//! An ILS equipment driver for Nidek RT-5100-style RS-232 output: the lensmeter (`@LM`),
//! autorefractor (`@RM`) and refractor (`@RT`) blocks a refraction system sends at the end of an
//! examination (2400 baud, 7 data bits, even parity, 2 stop bits, CR line ends).
//!
//! - [`output::parse`] reads a transmission; a corrupt line refuses it, reported with its number,
//!   while a line or block the driver does not know is skipped with a warning.
//! - [`measure::measurements`] turns it into measurements named `{stage}.{what}`
//!   (`final.sphere`, `objective.pd`); [`read_output`] gives them with the warnings.
//! - [`prescription::draft`] turns the final refraction into a draft prescription, as the JSON
//!   core's prescription endpoint takes ([`prescription_json`]).
//!
//! As a plugin it provides `equipment-driver`: [`Plugin::decode`] returns every value, or, for a
//! device name ending `/prescription`, the draft prescription's values; it encodes no jobs. And
//! `device-link` (platform 0.3): [`Plugin::read_device`] is [`read_output`], every value with a
//! warning for each line skipped, and a live [`session`] through the site's bridge reads each
//! transmission as its EOT arrives.
//!
//! ```
//! let data = b"\x01NIDEK RT-5100 ID DA2026/11/21\r\x02@RT\rFR+10.00- 5.00 90\rFL+ 9.50- 4.75 85\r\x04";
//! let json = nidek_rs232::prescription_json(data).unwrap();
//! assert!(json.contains(r#""right":{"sphere":"+10.00","cylinder":"-5.00","axis":90,"add":null}"#));
//! ```

pub mod error;
pub mod measure;
pub mod output;
pub mod prescription;
pub mod session;

use ils_plugin_sdk::{DeviceReading, DeviceStep, Measurement, Plugin, export_plugin};

pub use error::{Error, ErrorKind};
pub use prescription::PrescriptionDraft;

/// Every measurement in device output (an entry point for fuzzing). Skipped lines are dropped
/// silently here; [`read_output`] reports them.
pub fn decode_output(data: &[u8]) -> Result<Vec<Measurement>, Error> {
    Ok(measure::measurements(&output::parse(data)?))
}

/// Every measurement in device output, with a warning for each line skipped as unknown.
///
/// ```
/// let read = nidek_rs232::read_output(b"\x02@RT\rFR+ 1.00\rKM 12.34\r\x04").unwrap();
/// assert_eq!(read.measurements[0].name, "final.sphere");
/// assert_eq!(read.warnings, [r#"line 3: unknown code "KM" ("KM 12.34"), skipped"#]);
/// ```
pub fn read_output(data: &[u8]) -> Result<DeviceReading, Error> {
    Ok(measure::read(output::parse(data)?))
}

/// The draft prescription from device output.
pub fn draft_prescription(data: &[u8]) -> Result<PrescriptionDraft, Error> {
    prescription::draft(&output::parse(data)?)
}

/// The draft prescription from device output, as JSON for core.
pub fn prescription_json(data: &[u8]) -> Result<String, Error> {
    let draft = draft_prescription(data)?;
    serde_json::to_string(&draft).map_err(|e| Error::new(ErrorKind::Prescription(e.to_string())))
}

/// The plugin.
pub struct NidekRs232;

impl Plugin for NidekRs232 {
    fn decode(device: &str, data: &[u8]) -> Result<Vec<Measurement>, ils_plugin_sdk::Error> {
        if device.ends_with("/prescription") {
            return Ok(measure::prescription_measurements(&draft_prescription(data)?));
        }
        Ok(decode_output(data)?)
    }

    fn read_device(_device: &str, data: &[u8]) -> Result<DeviceReading, ils_plugin_sdk::Error> {
        Ok(read_output(data)?)
    }

    fn open_session(_device: &str) -> Result<DeviceStep, ils_plugin_sdk::Error> {
        Ok(session::open())
    }

    fn feed_session(_device: &str, state: &[u8], bytes: &[u8]) -> Result<DeviceStep, ils_plugin_sdk::Error> {
        Ok(session::feed(state, bytes))
    }

    fn wake_session(_device: &str, state: &[u8]) -> Result<DeviceStep, ils_plugin_sdk::Error> {
        Ok(session::wake(state))
    }

    fn encode_job(device: &str, _job: &str) -> Result<Vec<u8>, ils_plugin_sdk::Error> {
        Err(ils_plugin_sdk::Error::new(format!(
            "{device}: Nidek RS-232 output is read only; there is no job to send"
        )))
    }
}

export_plugin!(NidekRs232);
